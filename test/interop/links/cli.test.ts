/**
 * The `acip` CLI (server/cli/acip.mjs) against the real service and baresip: status, dial, links,
 * hangup, and its exit codes (0 ok, 1 refused, 2 usage). ACIP_URL points it at the service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT_DIR } from '../../../server/version.js';
import { requireProgram } from '../../helpers/require-program.js';
import { BARESIP_CODECS, startBaresip, type BaresipPeer } from '../../helpers/baresip.js';
import { sleep, startLtAcip, waitForLinkState, type LtAcip } from './harness.js';

const has = requireProgram('baresip') && requireProgram('sox');

function cli(url: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT_DIR, 'server/cli/acip.mjs'), ...args], {
      cwd: ROOT_DIR,
      env: { ...process.env, ACIP_URL: url, ACIP_HTTP_PASSWORD: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, out, err });
    });
  });
}

describe.skipIf(!has)('the acip CLI against the real service', () => {
  let acip: LtAcip;
  let b: BaresipPeer;
  beforeAll(async () => {
    acip = await startLtAcip({ output: 'null' });
    b = await startBaresip({ codecs: [BARESIP_CODECS.G722] });
  }, 30_000);
  afterAll(async () => {
    await b?.stop();
    await acip?.close();
  });

  it('status, dial URI --profile P, links and hangup ID drive a real call', async () => {
    const st = await cli(acip.httpUrl, ['status']);
    expect(st.code, st.err).toBe(0);
    expect(st.out).toMatch(/^acip /m);
    expect(st.out).toContain(`127.0.0.1:${acip.sipPort}`);
    expect(st.out).toMatch(/registration: none configured/);

    const dial = await cli(acip.httpUrl, ['dial', b.uri, '--profile', 'g722-voice']);
    expect(dial.code, dial.err).toBe(0);
    const id = /^(\S+)\s+dialling/m.exec(dial.out)?.[1];
    expect(id, dial.out).toBeTruthy();
    expect((await waitForLinkState(acip, id!, 'connected', 8000)).state).toBe('connected');
    await sleep(500);

    const links = await cli(acip.httpUrl, ['links']);
    expect(links.code, links.err).toBe(0);
    expect(links.out).toMatch(new RegExp(`^${id}\\s+connected\\s+outbound\\s+${b.uri.replace(/[.]/g, '\\.')}\\s+G722/8000/1 20ms`, 'm'));

    const hang = await cli(acip.httpUrl, ['hangup', id!]);
    expect(hang.code, hang.err).toBe(0);
    expect((await waitForLinkState(acip, id!, 'ended', 5000)).state).toBe('ended');
    expect((await cli(acip.httpUrl, ['links'])).out).toMatch(new RegExp(`^${id}\\s+ended`, 'm'));
  }, 60_000);

  it('exits 1 with the service\'s message on a refused request, and 2 on a usage error', async () => {
    const bad = await cli(acip.httpUrl, ['dial', 'sip:x@127.0.0.1', '--profile', 'no-such-profile']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/400.*profile/);
    const usage = await cli(acip.httpUrl, ['dial']);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/usage: acip/);
    const gone = await cli(acip.httpUrl, ['hangup', 'nope']);
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/404/);
  }, 60_000);
});
