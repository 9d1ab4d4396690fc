/** Signal measurements shared by the media tests (not a test file itself). */

/** One channel out of interleaved audio. */
export function channel(x: Float32Array, channels: number, c: number): Float64Array {
  const n = Math.floor(x.length / channels);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = x[i * channels + c]!;
  return out;
}

export function rms(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / Math.max(1, x.length));
}

export function peak(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

export const dbfs = (v: number): number => 20 * Math.log10(v);

/** Frequency from interpolated rising zero crossings (first to last), in Hz. */
export function zeroCrossingFrequency(x: ArrayLike<number>, sampleRate: number): number {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 1; i < x.length; i++) {
    const a = x[i - 1]!;
    const b = x[i]!;
    if (a < 0 && b >= 0) {
      const t = i - 1 + a / (a - b);
      if (first < 0) first = t;
      else count++;
      last = t;
    }
  }
  if (count === 0) return 0;
  return (count * sampleRate) / (last - first);
}

/**
 * Amplitude (peak) of the component at `freq`, from a Blackman-Harris-windowed single-bin DFT.
 * Leakage from a component more than ~4 bins away is below −92 dB.
 */
export function toneAmplitude(x: ArrayLike<number>, sampleRate: number, freq: number): number {
  const n = x.length;
  let re = 0;
  let im = 0;
  let wsum = 0;
  const a0 = 0.35875;
  const a1 = 0.48829;
  const a2 = 0.14128;
  const a3 = 0.01168;
  const w0 = (2 * Math.PI * freq) / sampleRate;
  for (let i = 0; i < n; i++) {
    const ph = (2 * Math.PI * i) / (n - 1);
    const w = a0 - a1 * Math.cos(ph) + a2 * Math.cos(2 * ph) - a3 * Math.cos(3 * ph);
    wsum += w;
    const v = x[i]! * w;
    re += v * Math.cos(w0 * i);
    im -= v * Math.sin(w0 * i);
  }
  return (2 * Math.hypot(re, im)) / wsum;
}

/** A sine of `amp` peak at `freq`, `frames` long, interleaved into `channels` identical channels. */
export function sine(freq: number, sampleRate: number, frames: number, amp: number, channels = 1, phase = 0): Float32Array {
  const out = new Float32Array(frames * channels);
  for (let i = 0; i < frames; i++) {
    const v = amp * Math.sin((2 * Math.PI * freq * i) / sampleRate + phase);
    for (let c = 0; c < channels; c++) out[i * channels + c] = v;
  }
  return out;
}
