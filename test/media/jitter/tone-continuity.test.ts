import { describe, expect, it } from 'vitest';
import type { ProfileName } from '../../bench/jitter/traces.js';
import { playTone, windowResiduals } from './tone-harness.js';

/**
 * A 1 kHz tone through the jitter buffer and the playout adapter on the fake clock, as the media
 * session runs them (5 ms output ticks, 20 ms packets): every 100 ms window of the output, from the
 * first played sample on, must be a clean sine. The residual after a least-squares fit of a sine
 * (with a linear drift of amplitude and phase, so that the ±100 ppm traces' resampled tone fits too)
 * is measured against the tone. A splice that is not a whole number of periods (the buffer moving its
 * level while it settles, or following the sender's drift) leaves a phase jump whose residual is
 * about as loud as the tone; the WSOLA splice keeps it below −30 dB.
 *
 * Packets carry their packet index; the fake decoder renders the tone at the sender's sample clock.
 * Concealment repeats the last decoded frame, a stand-in for a codec's pitch-repeating PLC (for this
 * tone it is phase-continuous, so a window can only fail through the buffer's own splices).
 */
const CASES: { profile: ProfileName; seconds: number }[] = [
  { profile: 'clean', seconds: 10 },
  { profile: 'lan', seconds: 20 },
  { profile: 'drift_p100', seconds: 40 },
  { profile: 'drift_m100', seconds: 40 },
];

describe('a tone through the jitter buffer from the first played sample on', () => {
  for (const { profile, seconds } of CASES) {
    it(`has no 100 ms window with a residual above −30 dB of the tone on the ${profile} trace`, () => {
      const { out, stretched } = playTone(profile, 1, seconds, 'wsola');
      // The buffer did move its level (start-up, and the drift on the drift traces) by splicing.
      expect(stretched).toBeGreaterThan(0);
      const res = windowResiduals(out);
      expect(res.length).toBeGreaterThan(seconds * 10 - 10);
      const bad = res.map((db, i) => ({ i, db })).filter((w) => w.db > -30);
      expect(bad).toEqual([]);
    });
  }

  it('had phase jumps in the first second and a half with exact-length splices (the bug this guards)', () => {
    const res = windowResiduals(playTone('clean', 1, 10, 'exact').out);
    expect(res.slice(0, 15).filter((db) => db > -30).length).toBeGreaterThan(3);
  });
});
