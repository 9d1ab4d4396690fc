import { describe, expect, it } from 'vitest';
import { simulateTrace } from '../../bench/jitter/simulate.js';
import { generateTrace } from '../../bench/jitter/traces.js';

/**
 * The `step` trace: 20 ms packets, AR(1) jitter σ 2 ms, one-way delay +80 ms from 20 s to 40 s of
 * send time. Fake clock; the frame clock's phase comes from the seed.
 */
describe('adaptive target on a delay step', () => {
  for (const seed of [1, 2, 3]) {
    it(`rises within a few frames of a +80 ms step and is back within 10 ms of the earlier delay within 5 s of its end (seed ${seed})`, () => {
      const trace = generateTrace({ profile: 'step', seed });
      const targets: { t: number; target: number }[] = [];
      const added: { t: number; added: number }[] = [];
      const s = simulateTrace({
        trace,
        onFrame: (e) => {
          targets.push({ t: e.tick, target: e.target });
          if (e.added !== undefined) added.push({ t: e.t, added: e.added });
        },
      });
      const firstStepArrival = trace.rows.find((r) => r.sendMs >= 20_000)!.arrivalMs!;
      const before = targets.filter((x) => x.t > 15_000 && x.t < 20_000).map((x) => x.target);
      const beforeMax = Math.max(...before);
      expect(beforeMax).toBeLessThan(20);
      // Within 5 frame ticks (100 ms) of the first delayed packet arriving, the target is up by > 50 ms.
      const soon = targets.filter((x) => x.t >= firstStepArrival && x.t <= firstStepArrival + 5 * 20);
      expect(Math.max(...soon.map((x) => x.target))).toBeGreaterThan(beforeMax + 50);
      // The played delay during the step covers the step (nothing is played early and lost).
      const during = added.filter((x) => x.t > 22_000 && x.t < 39_000).map((x) => x.added);
      expect(Math.min(...during)).toBeGreaterThan(75);
      // Back within 10 ms of the pre-step delay within 5 s of the step's end.
      expect(s.stepRecoveryMs).not.toBeNull();
      expect(s.stepRecoveryMs!).toBeLessThan(5000);
      const earlier = added.filter((x) => x.t > 10_000 && x.t < 20_000).map((x) => x.added);
      const earlierMean = earlier.reduce((a, b) => a + b, 0) / earlier.length;
      const lastEnd = trace.rows.find((r) => r.sendMs >= 40_000)!.arrivalMs!;
      const after = added.filter((x) => x.t > lastEnd + 5000 && x.t < lastEnd + 15_000).map((x) => x.added);
      expect(Math.max(...after)).toBeLessThan(earlierMean + 10 + 20);
      expect(after.reduce((a, b) => a + b, 0) / after.length).toBeLessThan(earlierMean + 10);
      expect(s.jicoPct).toBeLessThan(1);
    });
  }
});
