import { describe, expect, it } from 'vitest';
import { TRACE_PROFILES, type TraceProfile } from '../../bench/jitter/traces.js';
import { playTone, windowResiduals } from './tone-harness.js';

/**
 * A sender percent off real time (baresip's file source: −2.5 %), followed by the drift estimator and
 * cancelled by stretching: the corrector then splices every few frames. A 1 kHz tone through the buffer
 * and the playout adapter must come out a clean sine in every 100 ms window (residual of a sine fit below
 * −30 dB): every splice a whole number of periods, on 20 ms frames and on 4 ms ones (L16 at 4 ms), where
 * the configured 5 ms search window and 2.5 ms crossfade do not fit in a frame.
 */
const lan = TRACE_PROFILES.lan as TraceProfile;
const CASES: { name: string; profile: TraceProfile; tickMs: number }[] = [
  { name: 'a sender 2.5 % slow, 20 ms packets', profile: { ...lan, name: 'slow-2.5', ppm: 25_000 }, tickMs: 5 },
  { name: 'a sender 2.5 % fast, 20 ms packets', profile: { ...lan, name: 'fast-2.5', ppm: -25_000 }, tickMs: 5 },
  { name: 'a sender 1 % slow, 20 ms packets', profile: { ...lan, name: 'slow-1', ppm: 10_000 }, tickMs: 5 },
  { name: 'a sender 2.5 % slow, 4 ms packets', profile: { ...lan, name: 'slow-2.5-4ms', ppm: 25_000, ptimeMs: 4 }, tickMs: 4 },
  { name: 'baresip 1.0 L16 (4 ms, 2.5 % slow, in bursts)', profile: TRACE_PROFILES.slow_sender as TraceProfile, tickMs: 4 },
];

describe('a tone from a sender percent off real time', () => {
  for (const { name, profile, tickMs } of CASES) {
    it(`has no 100 ms window with a residual above −30 dB of the tone from ${name}`, () => {
      const seconds = 20;
      const run = playTone(profile, 1, seconds, 'wsola', tickMs);
      // The drift was cancelled by stretching (about ppm × duration), not by re-anchoring.
      const expected = (Math.abs(profile.ppm) / (1e6 + profile.ppm)) * seconds * 48_000;
      expect(run.stretched).toBeGreaterThan(0.8 * expected);
      expect(run.resyncs).toBe(0);
      if (profile.ppm > 0) expect(run.inserted).toBeGreaterThan(run.removed);
      else expect(run.removed).toBeGreaterThan(run.inserted);
      const res = windowResiduals(run.out);
      expect(res.length).toBeGreaterThan(seconds * 10 - 15);
      expect(res.map((db, i) => ({ i, db })).filter((w) => w.db > -30)).toEqual([]);
    });
  }
});
