/**
 * sessionCost: the weight the pool balances workers by. Each direction counts only while it runs, so a
 * provisional session (both off, as the link layer opens it before the SDP answer) weighs the idle
 * cost whatever its codec.
 */
import { describe, expect, it } from 'vitest';
import { IDLE_COST, sessionCost } from '../../../server/media/worker/session-cost.js';
import { CODEC_CASES, sessionParams } from '../session/session-harness.js';

const codec = (name: string) => CODEC_CASES.find((c) => c.name === name)!;
/** Opus as the default profile offers it first (128k stereo, complexity 10). */
const opusDefault = { ...codec('opus stereo 20 ms'), params: { ...codec('opus stereo 20 ms').params, complexity: 10 } };

interface Row {
  what: string;
  c: Pick<(typeof CODEC_CASES)[number], 'codecId' | 'payloadType' | 'params'>;
  send: boolean;
  receive: boolean;
  receivePtimeMs?: number;
  /** Expected cost, ≈ % of a core. */
  cost: number;
}

// Per direction: 0.004 per packet/s + the codec's work (Opus 48k stereo: 0.25 + 0.02 × complexity).
const ROWS: Row[] = [
  { what: 'a provisional default-profile Opus session', c: opusDefault, send: false, receive: false, cost: IDLE_COST },
  { what: 'a provisional L24 1 ms session', c: codec('L24 stereo 1 ms'), send: false, receive: false, cost: IDLE_COST },
  { what: 'Opus 128k c10 both ways', c: opusDefault, send: true, receive: true, cost: IDLE_COST + 2 * (0.2 + 0.45) },
  { what: 'Opus 128k c10 sending only', c: opusDefault, send: true, receive: false, cost: IDLE_COST + 0.2 + 0.45 },
  { what: 'Opus 128k c10 receiving only', c: opusDefault, send: false, receive: true, cost: IDLE_COST + 0.2 + 0.45 },
  { what: 'PCMA 20 ms both ways (a call-flood answer)', c: codec('PCMA'), send: true, receive: true, cost: IDLE_COST + 2 * (0.2 + 0.05 / 12) },
  { what: 'L24 1 ms both ways', c: codec('L24 stereo 1 ms'), send: true, receive: true, cost: IDLE_COST + 2 * (4 + 0.05) },
  { what: 'L24 5 ms receiving a 1 ms stream', c: codec('L24 stereo 5 ms'), send: false, receive: true, receivePtimeMs: 1, cost: IDLE_COST + 4 + 0.05 },
  { what: 'G.722 both ways', c: codec('G.722'), send: true, receive: true, cost: IDLE_COST + 2 * (0.2 + 0.2) },
];

describe('the cost of a media session', () => {
  for (const r of ROWS) {
    it(`of ${r.what} is ${r.cost.toFixed(3)}`, () => {
      const p = sessionParams(r.c, { send: r.send, receive: r.receive, ...(r.receivePtimeMs ? { receivePtimeMs: r.receivePtimeMs } : {}) });
      expect(sessionCost(p)).toBeCloseTo(r.cost, 9);
    });
  }

  it('of a provisional session is far below the same session running, so flood calls do not move carried links', () => {
    const provisional = sessionParams(opusDefault, { send: false, receive: false });
    expect(sessionCost(provisional) * 50).toBeLessThan(sessionCost({ ...provisional, send: true, receive: true }));
  });
});
