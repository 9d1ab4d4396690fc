/**
 * The shipped Kamailio config (server/deploy/kamailio/acip-dispatch.cfg) passes Kamailio's own
 * check (`kamailio -c`) with its defaults, with every define overridden on the command line the way
 * the dispatcher test and a deployment do it, and with SIP over TLS switched on (WITH_TLS).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { DISPATCH_CFG } from '../../helpers/sip-kamailio.js';
import { runProgram } from '../../helpers/sip-peer-process.js';

const has = requireProgram('kamailio');

describe.skipIf(!has)('the shipped Kamailio dispatcher config', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'acip-kam-check-'));
    writeFileSync(join(dir, 'dispatcher.list'), '1 sip:127.0.0.1:15060\n1 sip:127.0.0.1:15062\n');
    writeFileSync(join(dir, 'tls.cfg'), '[server:default]\nmethod = TLSv1.2+\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    { name: 'its defaults', defines: () => [] },
    {
      name: 'every define set with -A',
      defines: () => [
        'LISTEN_UDP=udp:127.0.0.1:15070', 'LISTEN_TCP=tcp:127.0.0.1:15070', `DS_LIST="${join(dir, 'dispatcher.list')}"`, 'DS_SET=3',
        'DS_PING_INTERVAL=5', 'DS_PROBING_THRESHOLD=3', 'NODE_SECRET="s3cret with spaces"', 'REG_MIN_EXPIRES=60',
        'FR_TIMER_MS=3000', 'FR_INV_TIMER_MS=60000', 'SIP_T1_MS=250', 'CHILDREN=8', 'LOG_LEVEL=1',
      ],
    },
    { name: 'WITH_TLS', defines: () => ['WITH_TLS', 'LISTEN_TLS=tls:127.0.0.1:15071', `TLS_CONFIG="${join(dir, 'tls.cfg')}"`] },
  ])('passes kamailio -c with $name', async ({ defines }) => {
    const args = ['-c', '-f', DISPATCH_CFG, ...defines().flatMap((d) => ['-A', d])];
    const r = await runProgram('kamailio', args, 20_000, dir);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/config file ok/);
  });
});
