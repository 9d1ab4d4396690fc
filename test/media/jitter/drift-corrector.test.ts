import { describe, expect, it } from 'vitest';
import { DriftCorrector, stretchFrame } from '../../../server/media/drift-corrector.js';

const RATE = 48_000;

/** Interleaved stereo: left a sine, right its negation. */
function stereoSine(n: number, freq: number, amp: number, phase = 0): Float32Array {
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const v = amp * Math.sin(phase + (2 * Math.PI * freq * i) / RATE);
    out[2 * i] = v;
    out[2 * i + 1] = -v;
  }
  return out;
}

function maxStep(x: Float32Array, channels: number): number {
  let m = 0;
  for (let c = 0; c < channels; c++) {
    for (let i = channels + c; i < x.length; i += channels) m = Math.max(m, Math.abs((x[i] as number) - (x[i - channels] as number)));
  }
  return m;
}

describe('stretchFrame', () => {
  for (const adjust of [-1, -7, -48, -96, -480, 1, 7, 48, 96, 480]) {
    it(`${adjust < 0 ? 'removes' : 'inserts'} exactly ${Math.abs(adjust)} sample frames from a 1 kHz stereo tone without a click`, () => {
      const frame = stereoSine(960, 1000, 0.5, 0.3);
      const r = stretchFrame(frame, 2, adjust, { sampleRate: RATE });
      expect(r.applied).toBe(adjust);
      expect(r.samples.length).toBe((960 + adjust) * 2);
      // No step larger than the tone's own steepest slope (plus 10 %): no discontinuity.
      expect(maxStep(r.samples, 2)).toBeLessThanOrEqual(maxStep(frame, 2) * 1.1);
      // Channels stay paired (interleaving intact): right is still exactly minus left.
      for (let i = 0; i < r.samples.length; i += 2) expect(r.samples[i + 1]).toBe(-(r.samples[i] as number));
      // Level kept: peak within 0.5 dB of the tone's (raised-cosine weights sum to one).
      let peak = 0;
      for (const v of r.samples) peak = Math.max(peak, Math.abs(v));
      expect(20 * Math.log10(peak / 0.5)).toBeGreaterThan(-0.5);
      expect(peak).toBeLessThanOrEqual(0.5 + 1e-6);
    });
  }

  it('splices in the quiet part of the frame', () => {
    // Loud noise, with a near-silent stretch in samples 400–600.
    let seed = 5;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const frame = new Float32Array(960);
    for (let i = 0; i < 960; i++) frame[i] = (i >= 400 && i < 600 ? 0.001 : 0.8) * rnd();
    for (const adjust of [-20, 20]) {
      const r = stretchFrame(frame, 1, adjust, { sampleRate: RATE, crossfadeMs: 1 });
      expect(r.at).toBeGreaterThanOrEqual(400 + (adjust > 0 ? 20 : 0));
      expect(r.at).toBeLessThanOrEqual(600 - (adjust < 0 ? 20 : 0));
      expect(maxStep(r.samples, 1)).toBeLessThanOrEqual(maxStep(frame, 1));
    }
  });

  it('returns the frame untouched for a zero adjustment', () => {
    const frame = stereoSine(960, 440, 0.25);
    const r = stretchFrame(frame, 2, 0);
    expect(r.samples).toBe(frame);
    expect(r.applied).toBe(0);
  });

  it('stretches a short frame only as far as it can', () => {
    const frame = stereoSine(48, 1000, 0.5);
    const r = stretchFrame(frame, 2, -100, { sampleRate: RATE });
    expect(r.applied).toBeLessThan(0);
    expect(-r.applied).toBeLessThanOrEqual(46);
    expect(r.samples.length).toBe((48 + r.applied) * 2);
  });

  it('rejects a frame whose length is not a multiple of the channel count', () => {
    expect(() => stretchFrame(new Float32Array(5), 2, 1)).toThrow(RangeError);
  });
});

describe('DriftCorrector', () => {
  it('applies hints frame by frame and carries what a short frame could not take', () => {
    const dc = new DriftCorrector(1, RATE);
    const frame = new Float32Array(48).fill(0.1);
    let total = 0;
    for (let i = 0; i < 10; i++) total += dc.apply(frame, i === 0 ? -60 : 0).length;
    expect(total).toBe(480 - 60);
    expect(dc.removed).toBe(60);
    expect(dc.pending).toBe(0);
  });

  it('scales RTP timestamp units to decoded samples (G.722: RTP clock 8000, audio 16 kHz)', () => {
    const dc = new DriftCorrector(1, 16_000, 2);
    const out = dc.apply(new Float32Array(320).fill(0.2), 3);
    expect(out.length).toBe(326);
    expect(dc.inserted).toBe(6);
  });

  it('keeps a tone continuous across many stretched frames (no click at frame joins either)', () => {
    const dc = new DriftCorrector(2, RATE);
    const chunks: Float32Array[] = [];
    let phase = 0;
    for (let i = 0; i < 50; i++) {
      const f = stereoSine(960, 997, 0.5, phase);
      phase += (2 * Math.PI * 997 * 960) / RATE;
      chunks.push(dc.apply(f, i % 5 === 0 ? (i % 10 === 0 ? -3 : 3) : 0));
    }
    const all = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      all.set(c, o);
      o += c.length;
    }
    expect(all.length).toBe(50 * 960 * 2);
    expect(maxStep(all, 2)).toBeLessThanOrEqual(maxStep(stereoSine(960, 997, 0.5), 2) * 1.1);
  });
});
