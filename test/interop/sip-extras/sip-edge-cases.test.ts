/**
 * Edge cases of RFC 3262 and RFC 6665 against the real service, played by sipp:
 *   - `prack-uas-out-of-order.xml`: acip as UAC PRACKs a reliable 183 (RSeq 5), then must not PRACK
 *     a reliable 180 with an older RSeq (4, out of order) nor the 183 repeated with RSeq 5 (already
 *     acknowledged): RFC 3262 §4 lets a UAC PRACK only RSeq = last + 1. The call still connects.
 *   - `subscribe-expiry.xml`: a presence SUBSCRIBE below the minimum interval gets 423 with
 *     Min-Expires 60 (RFC 6665 §4.2.1.1); the retry at 60 s is accepted, and when the watcher lets it
 *     lapse acip sends NOTIFY `terminated;reason=timeout` (§4.2.2). sipp runs in real time, so this
 *     one waits the full minute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { PeerProcess, freePort, runProgram } from '../../helpers/sip-peer-process.js';
import { ROOT_DIR } from '../../../server/version.js';
import { startLtAcip, waitForLinkState, type LtAcip } from '../links/harness.js';

const HAVE_SIPP = requireProgram('sipp');

function exitOf(p: PeerProcess, ms: number): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null) return resolve(p.child.exitCode);
    const t = setTimeout(() => resolve(null), ms);
    p.child.on('close', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

/** True once something is bound to UDP `port` on 127.0.0.1 (sipp is listening), polled for at most `ms`. */
async function udpPortTaken(port: number, ms: number): Promise<boolean> {
  for (let waited = 0; waited <= ms; waited += 50) {
    const taken = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(true));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
    });
    if (taken) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe.runIf(HAVE_SIPP)('RFC 3262 and RFC 6665 edge cases with sipp', () => {
  let acip: LtAcip;
  beforeAll(async () => {
    acip = await startLtAcip();
  }, 120_000);
  afterAll(async () => {
    await acip?.close();
  });

  it('PRACKs only the in-order reliable provisional and neither an out-of-order nor a repeated RSeq', async () => {
    const port = await freePort();
    const sipp = PeerProcess.start('sipp', [
      '-sf', join(ROOT_DIR, 'test/fixtures/sipp/prack-uas-out-of-order.xml'), '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-timeout', '30',
    ]);
    try {
      expect(await udpPortTaken(port, 5_000), 'sipp did not bind its port').toBe(true);
      const dial = await acip.api('POST', '/api/links', { to: `sip:sipp@127.0.0.1:${port}` });
      expect(dial.status, JSON.stringify(dial.body)).toBe(201);
      await waitForLinkState(acip, dial.body.id, 'connected', 10_000);
      await acip.api('DELETE', `/api/links/${dial.body.id}`);
      expect(await exitOf(sipp, 15_000), sipp.output.slice(-2500)).toBe(0);
    } finally {
      await sipp.stop();
    }
  }, 60_000);

  it('refuses a too short subscription with 423 and Min-Expires, and ends the accepted one at expiry with reason=timeout', async () => {
    const port = await freePort();
    const r = await runProgram(
      'sipp',
      ['-sf', join(ROOT_DIR, 'test/fixtures/sipp/subscribe-expiry.xml'), '-s', 'acip', '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-timeout', '100', `127.0.0.1:${acip.sipPort}`],
      110_000,
    );
    expect(r.code, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-800)}`).toBe(0);
  }, 130_000);
});
