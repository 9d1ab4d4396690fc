import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEndInfo, ReinviteOffer } from '../../../server/sip/ua/call.js';
import { requireProgram } from '../../helpers/require-program.js';
import { freePort, readSippStats, runProgram } from '../../helpers/sip-peer-process.js';
import { minimalSdp, startUa } from '../../helpers/sip-ua-harness.js';

/**
 * RFC 4028 session timers and RFC 3311 UPDATE against sipp scenarios (test/fixtures/sipp). sipp runs
 * in real time, so the UA under test uses intervals of seconds: `sessionTimerFloorS` lowers the
 * RFC 4028 §4 floor of 90 s for these tests only.
 */
const hasSipp = requireProgram('sipp');
const SCENARIOS = resolve(__dirname, '../../fixtures/sipp');
const SECONDS = { sessionTimerFloorS: 1, minSeS: 2, sessionExpiresS: 6 };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'acip-sipp-timer-'));
});
afterAll(() => {
  if (!process.env.KEEP_SIPP) rmSync(dir, { recursive: true, force: true });
});

async function runScenario(name: string, uaPort: number, extra: string[] = []) {
  const stf = join(dir, `${name}.csv`);
  const r = await runProgram(
    'sipp',
    ['-sf', join(SCENARIOS, `${name}.xml`), `127.0.0.1:${uaPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-m', '1', '-nostdin',
      '-trace_stat', '-stf', stf, '-trace_err', '-error_file', join(dir, `${name}-errors.log`), '-timeout', '30s', ...extra],
    40_000,
    dir,
  );
  return { r, stats: readSippStats(stf) };
}

describe('session timers against sipp (RFC 4028)', () => {
  it.skipIf(!hasSipp)('hangs up a caller that asked to refresh and then went silent, with the session timer as the reason', async () => {
    const h = await startUa(SECONDS);
    const ended: CallEndInfo[] = [];
    h.ua.on('incomingCall', (call) => {
      call.on('ended', (e) => ended.push(e));
      call.accept(minimalSdp());
    });
    try {
      const { r, stats } = await runScenario('uac-session-timer-silent', h.udp.local.port, ['-key', 'se', '3']);
      expect(r.timedOut).toBe(false);
      expect(stats.get('SuccessfulCall(C)')).toBe('1');
      expect(r.code).toBe(0);
      expect(ended).toEqual([{ by: 'network', reason: 'session timer expired after 3 s', cause: 'session-expired' }]);
      expect(h.ua.activeCalls).toBe(0);
    } finally {
      await h.close();
    }
  }, 60_000);

  it.skipIf(!hasSipp)('answers UPDATE without SDP as a refresh and UPDATE with SDP through the re-INVITE offer path', async () => {
    const h = await startUa(SECONDS);
    const offers: ReinviteOffer['method'][] = [];
    h.ua.on('incomingCall', (call) => {
      call.on('reinvite', (o) => {
        offers.push(o.method);
        o.accept(minimalSdp(41010, 2));
      });
      call.accept(minimalSdp());
    });
    try {
      const { r, stats } = await runScenario('uac-update', h.udp.local.port);
      expect(r.timedOut).toBe(false);
      expect(stats.get('SuccessfulCall(C)')).toBe('1');
      expect(r.code).toBe(0);
      expect(offers).toEqual(['UPDATE']);
    } finally {
      await h.close();
    }
  }, 60_000);

  it.skipIf(!hasSipp)('refuses an interval below its Min-SE with 422, and answers the retry that uses its Min-SE', async () => {
    const h = await startUa(SECONDS);
    let offered = 0;
    h.ua.on('incomingCall', (call) => {
      offered++;
      call.accept(minimalSdp());
    });
    try {
      const { r, stats } = await runScenario('uac-422-retry', h.udp.local.port);
      expect(r.timedOut).toBe(false);
      expect(stats.get('SuccessfulCall(C)')).toBe('1');
      expect(r.code).toBe(0);
      expect(offered).toBe(1);
    } finally {
      await h.close();
    }
  }, 60_000);
});
