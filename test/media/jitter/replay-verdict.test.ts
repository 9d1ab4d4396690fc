import { describe, expect, it } from 'vitest';
import { betterSettings, bestGst, packetConcealedPct, senderVoidReasons, verdictLine, type VerdictInput } from '../../bench/jitter/replay.js';
import type { GstScore } from '../../bench/jitter/gst-compare.js';

/** The real-time comparison's judgement (test/bench/jitter/replay.ts): pure parts, table-driven. */
const gst = (latencyMs: number, dropOnLatency: boolean, addedP95: number, concealedPct: number): GstScore => ({
  latencyMs, dropOnLatency, addedP95, concealedPct, addedMean: addedP95, addedP99: addedP95, addedLast10sMean: addedP95,
  lostNetPct: 0, latePct: concealedPct, jicoPct: concealedPct, events: 0,
});
const CURVE = [gst(20, false, 33.9, 0.7), gst(20, true, 31.7, 1.47), gst(40, false, 46.4, 0.67)];

describe('real-time replay verdict', () => {
  it.each([
    { name: 'a clean run', passes: [{ pass: 'acip pass', errP99: 0.4 }, { pass: 'GStreamer pass', errP99: 1.5 }], reasons: 0 },
    { name: 'a late sender in the acip pass', passes: [{ pass: 'acip pass', errP99: 8.2 }, { pass: 'GStreamer pass', errP99: 0.3 }], reasons: 1 },
    { name: 'late senders in both passes', passes: [{ pass: 'acip pass', errP99: 8.2 }, { pass: 'GStreamer pass', errP99: 7.9 }], reasons: 2 },
    { name: 'a pass without a timing figure', passes: [{ pass: '', errP99: NaN }], reasons: 1 },
  ])('voids $name only on the sender timing error ($reasons reasons)', ({ passes, reasons }) => {
    expect(senderVoidReasons(passes, 1.5)).toHaveLength(reasons);
  });

  it.each([
    { name: 'plays every packet', played: 1000, stallPct: 0, outputFrames: 1000, pct: 0 },
    { name: 'skips 10 packets without concealing them', played: 990, stallPct: 0, outputFrames: 990, pct: 1 },
    { name: 'plays every packet but stalls 10 frames', played: 1000, stallPct: (100 * 10) / 1010, outputFrames: 1010, pct: (100 * 10) / 1010 },
  ])('counts a receiver that $name as $pct % concealed, as GStreamer is counted', ({ played, stallPct, outputFrames, pct }) => {
    expect(packetConcealedPct({ packets: 1000 }, { played, stallPct, outputFrames })).toBeCloseTo(pct, 6);
  });

  it.each([
    { name: 'below the whole curve', p95: 19.8, conc: 0.6, better: [] as string[] },
    { name: 'beaten on both by one setting', p95: 35, conc: 0.8, better: ['latency=20 (33.9 ms, 0.70 %)'] },
    { name: 'equal to a setting on both', p95: 46.4, conc: 0.67, better: ['latency=40 (46.4 ms, 0.67 %)'] },
  ])('names the GStreamer settings at least as good as acip $name', ({ p95, conc, better }) => {
    expect(betterSettings({ addedP95: p95, concealedPct: conc }, CURVE)).toEqual(better);
  });

  it('says yes, no or void with acip\'s point', () => {
    const base: VerdictInput = { void: false, voidReasons: [], gst: CURVE, betterGst: [], acipConcealed: { real: 0.6, simulated: 0.5, asSent: 0.5, replayed: 0.6 }, acip: { scores: { addedP95: 19.8 } } };
    expect(verdictLine(base)).toBe('dominates: yes; acip p95 19.8 ms at 0.60 % concealed');
    expect(verdictLine({ ...base, betterGst: ['latency=20 (33.9 ms, 0.70 %)'] })).toMatch(/^dominates: no; .*latency=20/);
    expect(verdictLine({ ...base, void: true, voidReasons: ['sender timing error p99 8.19 ms > 1.5'] })).toMatch(/^dominates: void \(sender timing error/);
  });

  it('takes as the best GStreamer setting the lowest delay among those concealing no more than acip', () => {
    expect(bestGst(CURVE, 0.7)?.latencyMs).toBe(20);
    expect(bestGst(CURVE, 0.68)?.latencyMs).toBe(40);
    expect(bestGst(CURVE, 0.1)?.latencyMs).toBe(40);
  });
});
