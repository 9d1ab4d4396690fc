import { describe, expect, it } from 'vitest';
import { wsolaStretch } from '../../../server/media/tsm-wsola.js';
import { DriftCorrector } from '../../../server/media/drift-corrector.js';

const RATE = 48_000;

function sine(n: number, freq: number, amp: number, phase = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = amp * Math.sin(phase + (2 * Math.PI * freq * i) / RATE);
  return out;
}

/** Largest sample-to-sample step: a splice with a phase jump or a click shows as a larger step. */
function maxStep(x: Float32Array): number {
  let m = 0;
  for (let i = 1; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - x[i - 1]!));
  return m;
}

describe('wsolaStretch', () => {
  const rows: { freq: number; period: number; adjust: number }[] = [
    { freq: 1000, period: 48, adjust: -130 },
    { freq: 1000, period: 48, adjust: 130 },
    { freq: 400, period: 120, adjust: -200 },
    { freq: 400, period: 120, adjust: 200 },
    { freq: 250, period: 192, adjust: -150 },
  ];
  for (const { freq, period, adjust } of rows) {
    it(`${adjust < 0 ? 'removes' : 'repeats'} a whole number of ${freq} Hz periods near ${Math.abs(adjust)} samples, keeping the phase`, () => {
      const frame = sine(960, freq, 0.5, 0.4);
      const r = wsolaStretch(frame, 1, adjust, { sampleRate: RATE });
      expect(r.applied).not.toBe(0);
      expect(Math.sign(r.applied)).toBe(Math.sign(adjust));
      expect(Math.abs(r.applied) % period).toBe(0);
      expect(Math.abs(r.applied - adjust)).toBeLessThanOrEqual(120);
      expect(r.samples.length).toBe(960 + r.applied);
      // The output is the same sine, sample for sample, continuous through the splice.
      const ref = sine(960 + r.applied, freq, 0.5, 0.4);
      for (let i = 0; i < r.samples.length; i++) expect(Math.abs(r.samples[i]! - ref[i]!)).toBeLessThan(1e-5);
    });
  }

  it('keeps stereo channels paired', () => {
    const mono = sine(960, 1000, 0.5);
    const st = new Float32Array(1920);
    for (let i = 0; i < 960; i++) {
      st[2 * i] = mono[i]!;
      st[2 * i + 1] = -mono[i]!;
    }
    const r = wsolaStretch(st, 2, -150, { sampleRate: RATE });
    expect(Math.abs(r.applied) % 48).toBe(0);
    for (let i = 0; i < r.samples.length; i += 2) expect(r.samples[i + 1]).toBe(-r.samples[i]!);
  });

  it('splices noise without a step larger than the noise makes itself', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const frame = new Float32Array(960).map(() => 0.3 * rnd());
    const r = wsolaStretch(frame, 1, -200, { sampleRate: RATE });
    expect(r.applied).toBeLessThan(0);
    expect(maxStep(r.samples)).toBeLessThanOrEqual(maxStep(frame));
  });

  it('declines a frame too short for the search range, so that the caller splices exactly', () => {
    const r = wsolaStretch(sine(240, 1000, 0.5), 1, -200, { sampleRate: RATE });
    expect(r.applied).toBe(0);
    expect(r.at).toBe(-1);
  });
});

describe('DriftCorrector in wsola mode', () => {
  it('waits until the requests add up to half a search window, then splices whole periods of a tone', () => {
    const dc = new DriftCorrector(1, RATE, 1, 2.5, 'wsola');
    let phase = 0;
    let total = 0;
    const lengths: number[] = [];
    for (let i = 0; i < 40; i++) {
      const f = sine(960, 1000, 0.5, phase);
      phase += (2 * Math.PI * 1000 * 960) / RATE;
      const out = dc.apply(f, -10);
      lengths.push(out.length);
      total += out.length;
    }
    // 400 samples asked for; removed in whole 1 ms periods, the remainder pending.
    expect(dc.removed % 48).toBe(0);
    expect(dc.removed - dc.pending).toBe(400);
    expect(Math.abs(dc.pending)).toBeLessThanOrEqual(120);
    expect(total).toBe(40 * 960 - dc.removed);
    // Nothing removed for the first 12 frames (120 samples or fewer asked for).
    expect(lengths.slice(0, 12).every((n) => n === 960)).toBe(true);
  });

  it('splices a near-silent frame exactly, at once', () => {
    const dc = new DriftCorrector(1, RATE, 1, 2.5, 'wsola');
    const out = dc.apply(new Float32Array(960).fill(1e-5), -7);
    expect(out.length).toBe(953);
    expect(dc.pending).toBe(0);
  });
});

describe('wsolaStretch length refinement', () => {
  // The coarse pass tries every other length from k − W/2; when that parity misses the period (odd
  // lengths against a 48-sample period), the refinement must try the neighbouring lengths at a splice
  // point each of them allows. It used to try them only at the coarse point, which for a repeat sits on
  // the edge of the odd length's range (s1 = L + X), so the whole period next to it was never looked at
  // and a splice one sample short of it was made: a phase jump on every splice at 2.5 % drift.
  const rows: { adjust: number; startPeriods: number }[] = [
    { adjust: 101, startPeriods: 333 * 20 },
    { adjust: 105, startPeriods: 333 * 20 },
    { adjust: 121, startPeriods: 17 * 20 },
    { adjust: 133, startPeriods: 5 * 20 },
    { adjust: -101, startPeriods: 333 * 20 },
    { adjust: -121, startPeriods: 17 * 20 },
  ];
  for (const { adjust, startPeriods } of rows) {
    it(`${adjust < 0 ? 'removes' : 'repeats'} whole 1 kHz periods for a request of ${Math.abs(adjust)} samples (tone ${startPeriods} periods in)`, () => {
      const frame = new Float32Array(960);
      for (let j = 0; j < 960; j++) frame[j] = 0.5 * Math.sin((2 * Math.PI * 1000 * (startPeriods * 48 + j)) / RATE);
      const r = wsolaStretch(frame, 1, adjust, { sampleRate: RATE });
      expect(Math.abs(r.applied) % 48).toBe(0);
      expect(Math.sign(r.applied)).toBe(Math.sign(adjust));
    });
  }
});

describe('DriftCorrector in wsola mode on short frames', () => {
  it('stretches 4 ms frames by 2.5 % in whole periods of a tone: the output is the tone itself', () => {
    // 192-sample frames: the 5 ms search and 2.5 ms crossfade do not fit, so the frame's own room sets
    // them. An exact splice of half a window would jump the phase several times a second.
    const dc = new DriftCorrector(1, RATE, 1, 2.5, 'wsola');
    const chunks: Float32Array[] = [];
    let acc = 0;
    for (let i = 0; i < 1000; i++) {
      const f = sine(192, 1000, 0.5, (2 * Math.PI * 1000 * 192 * i) / RATE);
      acc += 0.025 * 192;
      const ask = Math.trunc(acc);
      acc -= ask;
      chunks.push(dc.apply(f, ask));
    }
    const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    // 2.5 % of 4 s inserted (within what is still pending), all of it in whole periods.
    expect(dc.inserted + dc.pending).toBeCloseTo(0.025 * 192 * 1000, -1);
    expect(dc.inserted % 48).toBe(0);
    expect(dc.removed).toBe(0);
    // Sample for sample a continuous 1 kHz sine.
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i]! - 0.5 * Math.sin((2 * Math.PI * 1000 * i) / RATE)));
    expect(worst).toBeLessThan(1e-3);
  });
});
