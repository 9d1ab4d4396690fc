import { describe, expect, it } from 'vitest';
import { simulateTrace } from '../../bench/jitter/simulate.js';
import { generateTrace, TRACE_PROFILES, type TraceProfile } from '../../bench/jitter/traces.js';

/**
 * Overload recovery, fake clock. The `overload` trace is a clean lan path whose two ends were
 * CPU-starved from 20 s to 50 s: packets moved in bursts, read every 40–140 ms. The adaptive target
 * rises to cover that; once the load is gone the delay must come back within 10 ms of its level
 * before the disturbance within 10 s (the long-term histogram alone kept it above 100 ms for more than
 * a minute), with jitter-induced concealment (late + stall) at most 1 %.
 */
const starved = (TRACE_PROFILES.overload as TraceProfile).starved!;

describe('jitter buffer overload recovery', () => {
  const rows = [
    { seed: 1, maxDelayMs: 160 },
    { seed: 2, maxDelayMs: 160 },
    { seed: 3, maxDelayMs: 300 },
  ];
  for (const { seed, maxDelayMs } of rows) {
    it(`comes back within 10 ms of its earlier delay within 10 s of a 30 s overload's end (seed ${seed}, max ${maxDelayMs} ms)`, () => {
      const trace = generateTrace({ profile: 'overload', seed });
      const added: { t: number; a: number }[] = [];
      let peakTarget = 0;
      let afterFrames = 0;
      let afterJico = 0;
      const s = simulateTrace({
        trace,
        jb: { mode: 'adaptive', minDelayMs: 0, maxDelayMs, pullPeriodMs: 5 },
        onFrame: (e) => {
          if (e.added !== undefined) added.push({ t: e.t, a: e.added });
          if (e.t >= starved.fromMs && e.t < starved.toMs) peakTarget = Math.max(peakTarget, e.target);
          if (e.t >= starved.toMs + 1000) {
            afterFrames++;
            // The lan path loses nothing: every concealment after the load is jitter-induced.
            if (e.kind !== 'play') afterJico++;
          }
        },
      });
      const before = added.filter((x) => x.t >= starved.fromMs - 10_000 && x.t < starved.fromMs).map((x) => x.a);
      const level = before.reduce((sum, x) => sum + x, 0) / before.length;
      // The disturbance did raise the delay a long way.
      expect(peakTarget).toBeGreaterThan(level + 60);
      const recovered = added.filter((x) => x.t >= starved.toMs + 10_000);
      expect(recovered.length).toBeGreaterThan(2000);
      expect(Math.max(...recovered.map((x) => x.a))).toBeLessThanOrEqual(level + 10);
      expect(Math.min(...recovered.map((x) => x.a))).toBeGreaterThanOrEqual(level - 10);
      expect(s.jicoPct).toBeLessThanOrEqual(1);
      expect(afterJico / afterFrames).toBeLessThanOrEqual(0.01);
    });
  }
});
