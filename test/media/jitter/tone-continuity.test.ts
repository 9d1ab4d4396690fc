import { describe, expect, it } from 'vitest';
import { JitterBuffer } from '../../../server/media/jitter-buffer.js';
import { PlayoutAdapter } from '../../../server/media/playout-adapter.js';
import type { SpliceMode } from '../../../server/media/drift-corrector.js';
import { arrivalsInOrder, componentStream, generateTrace, type ProfileName } from '../../bench/jitter/traces.js';

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
const RATE = 48_000;
const TONE_HZ = 1000;
const AMP = 0.5;
const WINDOW = RATE / 10;

function playTone(profile: ProfileName, seed: number, seconds: number, splice: SpliceMode): { out: Float32Array; stretched: number } {
  const trace = generateTrace({ profile, seed, seconds });
  const spf = trace.samplesPerFrame;
  const tickMs = 5;
  const tickSamples = (RATE * tickMs) / 1000;
  const jb = new JitterBuffer({ mode: 'adaptive', minDelayMs: 0, maxDelayMs: 300, pullPeriodMs: tickMs, ptimeMs: trace.ptimeMs, rtpClockRate: RATE, samplesPerFrame: spf });
  let last = new Float32Array(spf);
  const adapter = new PlayoutAdapter({
    buffer: jb, channels: 1, sampleRate: RATE, frameSamples: tickSamples, codecFrameSamples: spf, splice,
    decode: (payload) => {
      const index = payload.readUInt32BE(0);
      const pcm = new Float32Array(spf);
      for (let j = 0; j < spf; j++) pcm[j] = AMP * Math.sin((2 * Math.PI * TONE_HZ * (index * spf + j)) / RATE);
      last = pcm;
      return pcm;
    },
    conceal: () => last.slice(),
  });
  const arrivals = arrivalsInOrder(trace);
  const phase = componentStream('tick-phase', seed)() * trace.ptimeMs;
  const endMs = (arrivals[arrivals.length - 1]?.arrivalMs as number) - 200;
  const ticks = Math.floor((endMs - phase) / tickMs);
  const out = new Float32Array(ticks * tickSamples);
  let a = 0;
  for (let k = 0; k < ticks; k++) {
    const now = phase + k * tickMs;
    while (a < arrivals.length && (arrivals[a]!.arrivalMs as number) <= now) {
      const r = arrivals[a++]!;
      const payload = Buffer.alloc(4);
      payload.writeUInt32BE(r.index);
      jb.push({ seq: r.seq, timestamp: r.rtpTs, payload, arrivalMs: r.arrivalMs as number });
    }
    out.set(adapter.tick(now), k * tickSamples);
  }
  const st = adapter.stats();
  return { out, stretched: st.samplesInserted + st.samplesRemoved };
}

/** Residual of the best fit of (a + b·t)·sin + (c + d·t)·cos at TONE_HZ, in dB against the fitted tone. */
function sineResidualDb(x: Float32Array): number {
  const n = x.length;
  const basis = (i: number): number[] => {
    const w = (2 * Math.PI * TONE_HZ * i) / RATE;
    const t = (2 * i) / n - 1;
    return [Math.sin(w), Math.cos(w), t * Math.sin(w), t * Math.cos(w)];
  };
  const m = 4;
  const ata = Array.from({ length: m }, () => new Float64Array(m));
  const atb = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const b = basis(i);
    for (let r = 0; r < m; r++) {
      atb[r]! += b[r]! * x[i]!;
      for (let c = 0; c < m; c++) ata[r]![c]! += b[r]! * b[c]!;
    }
  }
  // Gaussian elimination (the 4 × 4 normal equations are well conditioned).
  for (let p = 0; p < m; p++) {
    for (let r = p + 1; r < m; r++) {
      const f = ata[r]![p]! / ata[p]![p]!;
      for (let c = p; c < m; c++) ata[r]![c]! -= f * ata[p]![c]!;
      atb[r]! -= f * atb[p]!;
    }
  }
  const coef = new Float64Array(m);
  for (let r = m - 1; r >= 0; r--) {
    let s = atb[r]!;
    for (let c = r + 1; c < m; c++) s -= ata[r]![c]! * coef[c]!;
    coef[r] = s / ata[r]![r]!;
  }
  let res = 0;
  let fit = 0;
  for (let i = 0; i < n; i++) {
    const b = basis(i);
    let y = 0;
    for (let r = 0; r < m; r++) y += coef[r]! * b[r]!;
    res += (x[i]! - y) ** 2;
    fit += y * y;
  }
  return 10 * Math.log10(res / Math.max(fit, 1e-20));
}

/** dB residual of every 100 ms window from the first played (non-zero) sample on. */
function windowResiduals(out: Float32Array): number[] {
  const first = out.findIndex((v) => v !== 0);
  const res: number[] = [];
  for (let s = first; s + WINDOW <= out.length; s += WINDOW) res.push(sineResidualDb(out.subarray(s, s + WINDOW)));
  return res;
}

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
