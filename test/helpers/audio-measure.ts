/**
 * Small, reusable audio measurements for tests. Samples are Float32 in [-1, 1) (or any numeric array
 * in that scale), interleaved when `channels` > 1; `channel` picks one channel (default: all samples).
 */

export type Samples = ArrayLike<number>;

function pick(x: Samples, channels = 1, channel?: number): Float64Array {
  if (channels === 1 || channel === undefined) return Float64Array.from(x as ArrayLike<number>);
  const n = Math.floor(x.length / channels);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = x[i * channels + channel] as number;
  return out;
}

export function dbfs(linear: number): number {
  return 20 * Math.log10(Math.max(linear, 1e-12));
}

/** RMS level in dBFS (full-scale sine peak 1.0 reads -3.01 dBFS). */
export function rmsDbfs(x: Samples, channels = 1, channel?: number): number {
  const s = pick(x, channels, channel);
  let acc = 0;
  for (const v of s) acc += v * v;
  return dbfs(Math.sqrt(acc / Math.max(1, s.length)));
}

export function peakDbfs(x: Samples, channels = 1, channel?: number): number {
  let p = 0;
  for (const v of pick(x, channels, channel)) p = Math.max(p, Math.abs(v));
  return dbfs(p);
}

/**
 * Frequency from rising zero crossings, interpolated linearly between samples: the span between
 * the first and the last crossing divided by the number of whole periods between them.
 */
export function estimateFrequency(x: Samples, sampleRate: number, channels = 1, channel?: number): number {
  const s = pick(x, channels, channel);
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 1; i < s.length; i++) {
    const a = s[i - 1] as number;
    const b = s[i] as number;
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

/** Level of one frequency component (Goertzel over the whole block), as the dBFS of a sine's peak. */
export function goertzelDbfs(x: Samples, sampleRate: number, freq: number, channels = 1, channel?: number): number {
  const s = pick(x, channels, channel);
  const n = s.length;
  // Hann window keeps leakage from a non-integer number of periods out of the estimate.
  const w = 2 * Math.cos((2 * Math.PI * freq) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const win = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    wsum += win;
    const s0 = (s[i] as number) * win + w * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - w * s1 * s2;
  const amplitude = (2 * Math.sqrt(Math.max(power, 0))) / wsum;
  return dbfs(amplitude);
}

export interface SnrResult {
  snrDb: number;
  /** Samples by which `test` lags `ref` at the best alignment. */
  lag: number;
}

/**
 * Signal-to-noise ratio of `test` against `ref` after aligning for codec delay: tries every lag in
 * 0..maxLag (test[i + lag] vs ref[i]) and keeps the best. `skip` leading reference samples are left
 * out (codec start-up), and the comparison runs over the overlap.
 */
export function snrDb(ref: Samples, test: Samples, maxLag: number, skip = 0): SnrResult {
  let best: SnrResult = { snrDb: -Infinity, lag: 0 };
  for (let lag = 0; lag <= maxLag; lag++) {
    const n = Math.min(ref.length, test.length - lag);
    let sig = 0;
    let err = 0;
    for (let i = skip; i < n; i++) {
      const r = ref[i] as number;
      const e = (test[i + lag] as number) - r;
      sig += r * r;
      err += e * e;
    }
    const snr = 10 * Math.log10(sig / Math.max(err, 1e-30));
    if (snr > best.snrDb) best = { snrDb: snr, lag };
  }
  return best;
}

/** An interleaved sine at `peakDbfs` (all channels alike, or channel c scaled by gains[c]). */
export function sine(sampleRate: number, freq: number, peakDbfsLevel: number, samplesPerChannel: number, channels = 1, startSample = 0): Float32Array {
  const a = 10 ** (peakDbfsLevel / 20);
  const out = new Float32Array(samplesPerChannel * channels);
  for (let i = 0; i < samplesPerChannel; i++) {
    const v = a * Math.sin((2 * Math.PI * freq * (startSample + i)) / sampleRate);
    for (let c = 0; c < channels; c++) out[i * channels + c] = v;
  }
  return out;
}

/** Minimal RIFF/WAVE reader for 16-bit PCM fixtures: returns the samples and format. */
export function readWav16(buf: Buffer): { sampleRate: number; channels: number; samples: Int16Array } {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file');
  let off = 12;
  let sampleRate = 0;
  let channels = 0;
  let bits = 0;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      channels = buf.readUInt16LE(body + 2);
      sampleRate = buf.readUInt32LE(body + 4);
      bits = buf.readUInt16LE(body + 14);
    } else if (id === 'data') {
      if (bits !== 16) throw new Error(`expected 16-bit WAV, got ${bits}`);
      const end = Math.min(buf.length, body + size);
      const copy = Buffer.from(buf.subarray(body, end));
      return { sampleRate, channels, samples: new Int16Array(copy.buffer, copy.byteOffset, copy.length >> 1) };
    }
    off = body + size + (size & 1);
  }
  throw new Error('WAV without a data chunk');
}

/** Little-endian 16-bit raw PCM (ffmpeg -f s16le) as Int16Array. */
export function s16le(buf: Buffer): Int16Array {
  const copy = Buffer.from(buf);
  return new Int16Array(copy.buffer, copy.byteOffset, copy.length >> 1);
}

export function int16ToFloat32(x: Int16Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] as number) / 32768;
  return out;
}
