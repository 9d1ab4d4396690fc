import { describe, expect, it } from 'vitest';
import { DriftEstimator } from '../../../server/media/drift-estimator.js';
import { simulateTrace } from '../../bench/jitter/simulate.js';
import { generateTrace, type TraceProfile } from '../../bench/jitter/traces.js';

/**
 * Clock drift: the sender's clock runs ±100 ppm against ours for two simulated hours, with LAN jitter
 * (AR(1) σ 1 ms). Pure simulation on a fake clock (test/bench/jitter/simulate.ts): the buffer is asked
 * for frames by an output that takes exactly one 20 ms frame per tick, and stretches frames as told.
 */
function longDrift(ppm: number, seconds: number): TraceProfile {
  return { name: `drift${ppm}`, ptimeMs: 20, d0Ms: 5, jitter: { kind: 'ar1', sigma: 1, rho: 0.5 }, reorder: 0, dup: 0, ppm, defaultSeconds: seconds };
}

describe('clock-drift compensation over hours', () => {
  for (const ppm of [100, -100]) {
    it(`keeps the buffer level flat for 2 h with the sender ${ppm > 0 ? 'slow' : 'fast'} by ${Math.abs(ppm)} ppm, and estimates the drift`, () => {
      const trace = generateTrace({ profile: longDrift(ppm, 2 * 3600), seed: 11 });
      const s = simulateTrace({ trace });
      console.info(`drift ${ppm} ppm over 2 h: slope ${s.slopeMsPerMin.toFixed(4)} ms/min, estimate ${s.driftPpm.toFixed(2)} ppm, ` +
        `added delay mean ${s.addedMean.toFixed(1)} ms, last 10 s ${s.addedLast10sMean.toFixed(1)} ms, underruns ${s.underruns}`);
      expect(Math.abs(s.slopeMsPerMin)).toBeLessThan(1);
      expect(s.underruns).toBe(0);
      expect(Math.abs(s.driftPpm - ppm)).toBeLessThan(10);
      // Flat means the end looks like the start: the last 10 s within a frame of the overall mean.
      expect(Math.abs(s.addedLast10sMean - s.addedMean)).toBeLessThan(20);
      // Without compensation the level would have moved by 0.72 s; it was corrected by stretching.
      expect(s.jb.samplesInserted + s.jb.samplesDropped).toBeGreaterThan(0.9 * Math.abs(ppm) * 1e-6 * 2 * 3600 * 48_000);
      if (ppm > 0) expect(s.jb.samplesInserted).toBeGreaterThan(s.jb.samplesDropped);
      else expect(s.jb.samplesDropped).toBeGreaterThan(s.jb.samplesInserted);
    });
  }
});

describe('DriftEstimator', () => {
  it('finds a +50 ppm trend through jitter and reports the floor on the trend', () => {
    const est = new DriftEstimator();
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 60 * 50 * 5; i++) {
      const t = i * 20;
      const jitter = rnd() < 0.5 ? 0 : rnd() * 8;
      est.add(t, 3 + 50e-6 * t + jitter);
    }
    expect(est.driftPpm).toBeGreaterThan(45);
    expect(est.driftPpm).toBeLessThan(55);
    const t = 60 * 50 * 5 * 20;
    expect(est.floorAt(t)).toBeCloseTo(3 + 50e-6 * t, 0);
  });

  it('treats a sudden 80 ms level shift as a route change, not as drift', () => {
    const est = new DriftEstimator();
    for (let i = 0; i < 50 * 120; i++) {
      const t = i * 20;
      est.add(t, 10 + (t >= 40_000 && t < 60_000 ? 80 : 0));
    }
    expect(est.routeChanges).toBeGreaterThanOrEqual(2);
    expect(Math.abs(est.driftPpm)).toBeLessThan(1);
  });
});
