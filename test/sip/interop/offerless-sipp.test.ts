import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEndInfo } from '../../../server/sip/ua/call.js';
import { requireProgram } from '../../helpers/require-program.js';
import { freePort, readSippStats, runProgram } from '../../helpers/sip-peer-process.js';
import { minimalSdp, startUa } from '../../helpers/sip-ua-harness.js';

/**
 * INVITE and re-INVITE without an offer (RFC 3261 §13.2.1, RFC 3264 §4, §8) against sipp
 * scenarios (test/fixtures/sipp/offerless-*): the user agent's 2xx carries the offer, sipp's ACK
 * the answer, which must reach the layer above.
 */
const hasSipp = requireProgram('sipp');
const SCENARIOS = resolve(__dirname, '../../fixtures/sipp');
const ANSWER_PORT = '41234';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'acip-sipp-offerless-'));
});
afterAll(() => {
  if (!process.env.KEEP_SIPP) rmSync(dir, { recursive: true, force: true });
});

async function runScenario(name: string, uaPort: number) {
  const stf = join(dir, `${name}.csv`);
  const r = await runProgram(
    'sipp',
    ['-sf', join(SCENARIOS, `${name}.xml`), `127.0.0.1:${uaPort}`, '-i', '127.0.0.1', '-p', String(await freePort()), '-m', '1', '-nostdin',
      '-key', 'answer_port', ANSWER_PORT, '-trace_stat', '-stf', stf, '-trace_err', '-error_file', join(dir, `${name}-errors.log`), '-timeout', '30s'],
    40_000,
    dir,
  );
  return { r, stats: readSippStats(stf) };
}

describe('offerless INVITEs against sipp', () => {
  it.skipIf(!hasSipp)('puts our offer in the 200 OK to an INVITE without SDP and hands the answer in the ACK up', async () => {
    const h = await startUa();
    const answers: (string | undefined)[] = [];
    const ended: CallEndInfo[] = [];
    h.ua.on('incomingCall', (call) => {
      call.on('ack-answer', ({ sdp }) => answers.push(sdp));
      call.on('ended', (e) => ended.push(e));
      call.accept(minimalSdp(41000, 5));
    });
    try {
      const { r, stats } = await runScenario('offerless-uac', h.udp.local.port);
      expect(r.timedOut).toBe(false);
      expect(stats.get('SuccessfulCall(C)')).toBe('1');
      expect(r.code).toBe(0);
      expect(answers).toHaveLength(1);
      expect(answers[0]).toContain(`m=audio ${ANSWER_PORT} RTP/AVP 0`);
      expect(answers[0]).toContain('a=rtpmap:0 PCMU/8000');
      expect(ended).toEqual([{ by: 'remote' }]);
    } finally {
      await h.close();
    }
  }, 60_000);

  it.skipIf(!hasSipp)('reports an ACK without an answer, and the BYE of the layer above reaches the caller', async () => {
    const h = await startUa();
    const answers: (string | undefined)[] = [];
    h.ua.on('incomingCall', (call) => {
      call.on('ack-answer', ({ sdp }) => {
        answers.push(sdp);
        if (sdp === undefined) void call.bye();
      });
      call.accept(minimalSdp(41000, 5));
    });
    try {
      const { r, stats } = await runScenario('offerless-uac-no-answer', h.udp.local.port);
      expect(r.timedOut).toBe(false);
      expect(stats.get('SuccessfulCall(C)')).toBe('1');
      expect(r.code).toBe(0);
      expect(answers).toEqual([undefined]);
      expect(h.ua.activeCalls).toBe(0);
    } finally {
      await h.close();
    }
  }, 60_000);

  it.skipIf(!hasSipp)('offers our session again to a re-INVITE without SDP and hands the answer in its ACK up', async () => {
    const h = await startUa();
    const offers: (string | undefined)[] = [];
    const answers: (string | undefined)[] = [];
    h.ua.on('incomingCall', (call) => {
      call.on('reinvite', (o) => {
        offers.push(o.offerSdp);
        o.accept(minimalSdp(41000, 5));
      });
      call.on('reinvite-answer', ({ sdp }) => answers.push(sdp));
      call.accept(minimalSdp(41000, 5));
    });
    try {
      const { r, stats } = await runScenario('offerless-uac-reinvite', h.udp.local.port);
      expect(r.timedOut).toBe(false);
      expect(stats.get('SuccessfulCall(C)')).toBe('1');
      expect(r.code).toBe(0);
      expect(offers).toEqual([undefined]);
      expect(answers).toHaveLength(1);
      expect(answers[0]).toContain(`m=audio ${ANSWER_PORT} RTP/AVP 0`);
    } finally {
      await h.close();
    }
  }, 60_000);
});
