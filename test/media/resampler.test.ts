import { describe, expect, it } from 'vitest';
import { mapChannels, resampleAll, Resampler } from '../../server/media/resampler.js';
import { channel, dbfs, rms, sine, toneAmplitude, zeroCrossingFrequency } from './analysis.js';

/** Drops the filter's start-up and tail so that only the steady state is measured. */
function middle(x: Float64Array, rate: number): Float64Array {
  const skip = Math.round(rate * 0.05);
  return x.subarray(skip, x.length - skip);
}

describe('resampler', () => {
  it('passes audio through bit-exactly when the rates are equal', () => {
    const r = new Resampler({ inRate: 48000, outRate: 48000, channels: 2 });
    const x = sine(1000, 48000, 480, 0.5, 2);
    x[7] = 0.123456789;
    const y = r.process(x);
    expect(y).toBe(x);
    expect(r.latencyFrames).toBe(0);
  });

  it('keeps a 1 kHz tone within 0.1 dB and its frequency through 48 kHz → 44.1 kHz → 48 kHz', () => {
    const amp = 10 ** (-18 / 20);
    const x = sine(1000, 48000, 48000, amp);
    const down = resampleAll(x, 48000, 44100, 1);
    expect(down.length).toBe(44100);
    const up = resampleAll(down, 44100, 48000, 1);
    expect(up.length).toBe(48000);
    const m = middle(channel(up, 1, 0), 48000);
    expect(Math.abs(dbfs(rms(m)) - dbfs(amp / Math.SQRT2))).toBeLessThan(0.1);
    expect(Math.abs(zeroCrossingFrequency(m, 48000) - 1000)).toBeLessThan(0.05);
    // Latency-compensated: the round trip lines up with the input sample for sample (within −60 dB).
    let err = 0;
    for (let i = 2400; i < 45600; i++) err = Math.max(err, Math.abs(up[i]! - x[i]!));
    expect(dbfs(err / amp)).toBeLessThan(-60);
  });

  it('streams in odd-sized frames with the same output as one whole-buffer call (no frame-boundary clicks)', () => {
    const x = sine(997, 44100, 44100, 0.5, 2);
    const whole = new Resampler({ inRate: 44100, outRate: 48000, channels: 2 }).process(x);
    const r = new Resampler({ inRate: 44100, outRate: 48000, channels: 2 });
    const parts: Float32Array[] = [];
    const sizes = [1, 7, 441, 13, 882, 3, 1000];
    let off = 0;
    for (let i = 0; off < 44100; i++) {
      const n = Math.min(sizes[i % sizes.length]!, 44100 - off);
      parts.push(r.process(x.subarray(off * 2, (off + n) * 2)));
      off += n;
    }
    const joined = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) {
      joined.set(p, o);
      o += p.length;
    }
    expect(joined.length).toBe(whole.length);
    expect(joined).toEqual(whole);
  });

  it.each([
    [48000, 16000],
    [16000, 48000],
    [8000, 48000],
    [48000, 8000],
    [44100, 48000],
  ])('is flat within 0.05 dB across the passband from %i Hz to %i Hz', (inRate, outRate) => {
    const low = Math.min(inRate, outRate);
    for (const frac of [0.01, 0.1, 0.3, 0.6, 0.85]) {
      const f = Math.round((frac * low) / 2);
      const y = resampleAll(sine(f, inRate, inRate / 2, 0.5), inRate, outRate, 1);
      const m = middle(channel(y, 1, 0), outRate);
      const gainDb = dbfs(toneAmplitude(m, outRate, f) / 0.5);
      expect(Math.abs(gainDb), `${f} Hz`).toBeLessThan(0.05);
    }
  });

  it('attenuates aliases of content above the new Nyquist frequency by at least 85 dB (48 kHz → 16 kHz)', () => {
    // 12 kHz and 10 kHz would fold to 4 kHz and 6 kHz at 16 kHz.
    for (const [f, alias] of [
      [12000, 4000],
      [10000, 6000],
      [20000, 4000],
    ] as const) {
      const y = resampleAll(sine(f, 48000, 48000, 0.9), 48000, 16000, 1);
      const m = middle(channel(y, 1, 0), 16000);
      const aliasDb = dbfs(toneAmplitude(m, 16000, alias) / 0.9);
      expect(aliasDb, `${f} Hz → ${alias} Hz`).toBeLessThan(-85);
    }
  });

  it('attenuates aliases by at least 85 dB going from 48 kHz to 44.1 kHz', () => {
    // 23 kHz folds to 21.1 kHz at 44.1 kHz.
    const y = resampleAll(sine(23000, 48000, 48000, 0.9), 48000, 44100, 1);
    const m = middle(channel(y, 1, 0), 44100);
    expect(dbfs(toneAmplitude(m, 44100, 21100) / 0.9)).toBeLessThan(-85);
  });

  it('handles rate pairs with many phases (interpolated table) and keeps the tone', () => {
    const y = resampleAll(sine(1000, 44100, 44100, 0.5), 44100, 47999, 1);
    expect(y.length).toBe(47999);
    const m = middle(channel(y, 1, 0), 47999);
    expect(Math.abs(dbfs(toneAmplitude(m, 47999, 1000) / 0.5))).toBeLessThan(0.05);
    expect(Math.abs(zeroCrossingFrequency(m, 47999) - 1000)).toBeLessThan(0.05);
  });

  it('keeps stereo channels separate', () => {
    const frames = 24000;
    const x = new Float32Array(frames * 2);
    const l = sine(1000, 48000, frames, 0.5);
    const r = sine(3000, 48000, frames, 0.25);
    for (let i = 0; i < frames; i++) {
      x[2 * i] = l[i]!;
      x[2 * i + 1] = r[i]!;
    }
    const y = resampleAll(x, 48000, 16000, 2);
    const left = middle(channel(y, 2, 0), 16000);
    const right = middle(channel(y, 2, 1), 16000);
    expect(toneAmplitude(left, 16000, 1000)).toBeCloseTo(0.5, 3);
    expect(dbfs(toneAmplitude(left, 16000, 3000))).toBeLessThan(-90);
    expect(toneAmplitude(right, 16000, 3000)).toBeCloseTo(0.25, 3);
    expect(dbfs(toneAmplitude(right, 16000, 1000))).toBeLessThan(-90);
  });
});

describe('channel mapping', () => {
  it('duplicates mono into both stereo channels', () => {
    expect(Array.from(mapChannels(new Float32Array([0.5, -0.25]), 1, 2))).toEqual([0.5, 0.5, -0.25, -0.25]);
  });

  it('averages stereo into mono', () => {
    expect(Array.from(mapChannels(new Float32Array([0.5, 0.25, -1, 1]), 2, 1))).toEqual([0.375, 0]);
  });

  it('returns the same buffer when the counts are equal', () => {
    const x = new Float32Array([1, 2]);
    expect(mapChannels(x, 2, 2)).toBe(x);
  });
});
