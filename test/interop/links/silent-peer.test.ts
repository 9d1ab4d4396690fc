/**
 * A caller that answers its part of the handshake and then goes silent (sipp: INVITE with SDP, ACK,
 * then neither RTP, RTCP nor BYE) must not hold a link forever. The real service runs with
 * rtp.inactivityTimeoutS 3: it hangs up with BYE inside the scenario's 20 s wait, and the link and
 * its history record say why (network, "no media for 3 s").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { freePort, readSippStats, runProgram } from '../../helpers/sip-peer-process.js';
import { startLtAcip, waitFor, type LtAcip } from './harness.js';

const hasSipp = requireProgram('sipp');
const SCENARIO = fileURLToPath(new URL('../../fixtures/sipp/silent-uac-no-media.xml', import.meta.url));

describe.skipIf(!hasSipp)('a caller that goes silent after the ACK (sipp)', () => {
  let acip: LtAcip;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acip-silent-'));
    acip = await startLtAcip({ config: 'rtp:\n  inactivityTimeoutS: 3\n' });
  }, 30_000);
  afterAll(async () => {
    await acip?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is hung up with BYE after rtp.inactivityTimeoutS and ended as "no media for 3 s"', async () => {
    const stf = join(dir, 'silent-stats.csv');
    const r = await runProgram(
      'sipp',
      ['-sf', SCENARIO, `127.0.0.1:${acip.sipPort}`, '-s', 'acip', '-i', '127.0.0.1', '-p', String(await freePort()), '-mp', String(await freePort()),
        '-m', '1', '-nostdin', '-trace_stat', '-stf', stf, '-trace_err', '-timeout', '40s'],
      45_000,
      dir,
    );
    const stats = readSippStats(stf);
    expect(r.timedOut).toBe(false);
    // The scenario only succeeds when acip's BYE arrived within its 20 s wait.
    expect(stats.get('SuccessfulCall(C)')).toBe('1');
    expect(stats.get('FailedCall(C)')).toBe('0');
    expect(r.code).toBe(0);

    const link = await waitFor(async () => ((await acip.api('GET', '/api/links')).body.links as any[]).find((l) => l.direction === 'inbound'), 5000);
    expect(link).toMatchObject({ state: 'ended', endReason: { by: 'network', reason: 'no media for 3 s' } });
    expect(link.rx?.packets ?? 0).toBe(0);

    const calls = (await acip.api('GET', '/api/history')).body.calls as any[];
    const record = calls.find((c) => c.linkId === link.id);
    expect(record).toMatchObject({ direction: 'inbound', answered: true, endReason: { by: 'network', reason: 'no media for 3 s' } });
    // It cannot have been hung up before the timeout ran out.
    expect(record.durationS).toBeGreaterThanOrEqual(3);

    const alarms = (await acip.api('GET', '/api/alarms')).body.alarms as any[];
    expect(alarms.find((a) => a.linkId === link.id)).toMatchObject({ kind: 'link-down' });
  }, 60_000);
});
