/**
 * Streaming sample-rate conversion and channel mapping for interleaved Float32 audio.
 *
 * Method: band-limited interpolation with a Kaiser-windowed sinc, evaluated polyphase.
 * The conversion ratio out/in is reduced to L/M (L phases, step M). Output sample n sits at
 * input time x = n·M/L; with n·M = q·L + p, the output is Σ_j in[q+j]·h(p/L − j).
 * When L is at most MAX_EXACT_PHASES the L phases are tabulated exactly; otherwise (odd
 * rate pairs) a 512-phase table is linearly interpolated. All phase arithmetic is integer,
 * so there is no drift however long the stream runs.
 *
 * Filter: cut-off in the middle of a transition band that ends at the lower rate's Nyquist
 * frequency and starts at 0.9 × Nyquist (e.g. 19.8 kHz flat when going to/from 44.1 kHz),
 * Kaiser β for STOPBAND_DB of attenuation (Kaiser's formulas, as in Oppenheim & Schafer §7.5.3).
 * Each phase is normalised to unit DC gain.
 *
 * Streaming: input history is kept between calls, so frame boundaries are inaudible; the
 * output is delayed by `latencyFrames` input frames of look-ahead (no output until then).
 * Equal rates are an identity: `process` returns its argument untouched (bit-exact).
 */
import { AcipError } from '../util/errors.js';

export const STOPBAND_DB = 90;
/** Passband edge as a fraction of the lower rate's Nyquist frequency. */
export const PASSBAND_FRACTION = 0.9;
const MAX_EXACT_PHASES = 1024;
const INTERPOLATED_PHASES = 512;

export interface ResamplerOptions {
  inRate: number;
  outRate: number;
  channels: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (series; converges fast for β ≤ 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) return 0.1102 * (attenuationDb - 8.7);
  if (attenuationDb >= 21) return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  return 0;
}

function checkRate(name: string, r: number): void {
  if (!Number.isInteger(r) || r < 1000 || r > 768000) {
    throw new AcipError('AUDIO_RATE_INVALID', `${name} ${r} is not a supported sample rate (integer 1000..768000 Hz)`, name);
  }
}

export function checkChannels(name: string, c: number): void {
  if (!Number.isInteger(c) || c < 1 || c > 32) {
    throw new AcipError('AUDIO_CHANNELS_INVALID', `${name} ${c} is not a supported channel count (1..32)`, name);
  }
}

export class Resampler {
  readonly inRate: number;
  readonly outRate: number;
  readonly channels: number;
  /** Input frames of look-ahead the filter needs before an output frame can be produced. */
  readonly latencyFrames: number;
  /** Taps per output sample (per channel). */
  readonly taps: number;

  private readonly identity: boolean;
  private readonly L: number;
  private readonly M: number;
  private readonly H: number;
  private readonly exact: boolean;
  private readonly table: Float32Array;
  private buf: Float32Array;
  private bufFrames: number;
  /** Buffer index of the input frame at floor(x) for the next output. */
  private q: number;
  /** Phase numerator of the next output: x = q + p/L. */
  private p = 0;
  private inTotal = 0;
  private outTotal = 0;

  constructor(opts: ResamplerOptions) {
    checkRate('inRate', opts.inRate);
    checkRate('outRate', opts.outRate);
    checkChannels('channels', opts.channels);
    this.inRate = opts.inRate;
    this.outRate = opts.outRate;
    this.channels = opts.channels;
    this.identity = opts.inRate === opts.outRate;
    const g = gcd(opts.outRate, opts.inRate);
    this.L = opts.outRate / g;
    this.M = opts.inRate / g;

    // Filter design in input-sample time units.
    const scale = Math.min(1, opts.outRate / opts.inRate);
    const stopEdge = 0.5 * scale; // cycles per input sample
    const passEdge = PASSBAND_FRACTION * stopEdge;
    const fc = (passEdge + stopEdge) / 2;
    const df = stopEdge - passEdge;
    const nTaps = (STOPBAND_DB - 8) / (2.285 * 2 * Math.PI * df);
    const halfLen = nTaps / 2;
    this.H = this.identity ? 0 : Math.ceil(halfLen);
    this.taps = 2 * this.H;
    this.latencyFrames = this.H;
    this.exact = this.L <= MAX_EXACT_PHASES;

    const beta = kaiserBeta(STOPBAND_DB);
    const i0b = besselI0(beta);
    const phases = this.identity ? 0 : this.exact ? this.L : INTERPOLATED_PHASES + 1;
    const T = this.taps;
    this.table = new Float32Array(phases * T);
    for (let ph = 0; ph < phases; ph++) {
      const frac = this.exact ? ph / this.L : ph / INTERPOLATED_PHASES;
      const row = new Float64Array(T);
      let sum = 0;
      for (let i = 0; i < T; i++) {
        const j = i - this.H + 1;
        const t = frac - j;
        if (Math.abs(t) > halfLen) continue;
        const a = 2 * fc * t;
        const sinc = a === 0 ? 1 : Math.sin(Math.PI * a) / (Math.PI * a);
        const r = t / halfLen;
        const w = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0b;
        row[i] = 2 * fc * sinc * w;
        sum += row[i]!;
      }
      for (let i = 0; i < T; i++) this.table[ph * T + i] = row[i]! / sum;
    }

    // History: H−1 frames of silence before the first input frame (so q + j ≥ 0 for j = −H+1).
    const pre = Math.max(0, this.H - 1);
    this.buf = new Float32Array(Math.max(1024, pre * 2) * this.channels);
    this.bufFrames = pre;
    this.q = pre;
  }

  /** Output frames that `process` will have produced in total for `inFrames` input frames after `flush`. */
  outputFramesFor(inFrames: number): number {
    if (this.identity) return inFrames;
    return Math.ceil((inFrames * this.L) / this.M);
  }

  /**
   * Feeds interleaved input (length a multiple of `channels`) and returns all output frames
   * that can now be computed. With equal rates the argument itself is returned.
   */
  process(input: Float32Array): Float32Array {
    const C = this.channels;
    if (input.length % C !== 0) {
      throw new AcipError('AUDIO_FRAME_INVALID', `input length ${input.length} is not a multiple of ${C} channels`);
    }
    const frames = input.length / C;
    this.inTotal += frames;
    if (this.identity) {
      this.outTotal += frames;
      return input;
    }
    this.append(input, frames);
    return this.drain(Infinity);
  }

  /**
   * Pushes `latencyFrames` of silence through so that the tail of the input comes out, and
   * returns that tail, trimmed to exactly `outputFramesFor(total input)` frames overall.
   */
  flush(): Float32Array {
    if (this.identity) return new Float32Array(0);
    const want = this.outputFramesFor(this.inTotal) - this.outTotal;
    if (want <= 0) return new Float32Array(0);
    this.append(new Float32Array((this.H + 1) * this.channels), this.H + 1);
    return this.drain(want);
  }

  /** Clears all history, as if newly created. */
  reset(): void {
    const pre = Math.max(0, this.H - 1);
    this.buf.fill(0, 0, pre * this.channels);
    this.bufFrames = pre;
    this.q = pre;
    this.p = 0;
    this.inTotal = 0;
    this.outTotal = 0;
  }

  private append(input: Float32Array, frames: number): void {
    const C = this.channels;
    // Discard history no longer reachable (frames before q − H + 1).
    const keepFrom = Math.max(0, this.q - this.H + 1);
    if (keepFrom > 0) {
      this.buf.copyWithin(0, keepFrom * C, this.bufFrames * C);
      this.bufFrames -= keepFrom;
      this.q -= keepFrom;
    }
    const need = (this.bufFrames + frames) * C;
    if (need > this.buf.length) {
      const grown = new Float32Array(Math.max(need, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.bufFrames * C));
      this.buf = grown;
    }
    this.buf.set(input, this.bufFrames * C);
    this.bufFrames += frames;
  }

  private drain(limit: number): Float32Array {
    const C = this.channels;
    const H = this.H;
    const T = this.taps;
    const L = this.L;
    const M = this.M;
    // Output n is computable when its last tap q + H is in the buffer.
    let count = 0;
    {
      let q = this.q;
      let p = this.p;
      while (q + H < this.bufFrames && count < limit) {
        count++;
        p += M;
        q += Math.floor(p / L);
        p %= L;
      }
    }
    const out = new Float32Array(count * C);
    const buf = this.buf;
    const tab = this.table;
    for (let n = 0; n < count; n++) {
      const start = (this.q - H + 1) * C;
      if (this.exact) {
        const base = this.p * T;
        for (let c = 0; c < C; c++) {
          let acc = 0;
          let k = start + c;
          for (let i = 0; i < T; i++, k += C) acc += buf[k]! * tab[base + i]!;
          out[n * C + c] = acc;
        }
      } else {
        const pos = (this.p / L) * INTERPOLATED_PHASES;
        const ph = Math.min(INTERPOLATED_PHASES - 1, Math.floor(pos));
        const f = pos - ph;
        const b0 = ph * T;
        const b1 = b0 + T;
        for (let c = 0; c < C; c++) {
          let acc = 0;
          let k = start + c;
          for (let i = 0; i < T; i++, k += C) {
            const h0 = tab[b0 + i]!;
            acc += buf[k]! * (h0 + f * (tab[b1 + i]! - h0));
          }
          out[n * C + c] = acc;
        }
      }
      this.p += M;
      this.q += Math.floor(this.p / L);
      this.p %= L;
    }
    this.outTotal += count;
    return out;
  }
}

/** Converts a whole buffer in one go (look-ahead flushed), returning exactly ceil(frames·out/in) frames. */
export function resampleAll(input: Float32Array, inRate: number, outRate: number, channels: number): Float32Array {
  const r = new Resampler({ inRate, outRate, channels });
  if (inRate === outRate) return input.slice();
  const a = r.process(input);
  const b = r.flush();
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Maps interleaved audio between channel counts. Equal counts return the argument.
 * Mono → N duplicates; N → mono averages; otherwise output channel c takes input channel
 * c (upmix beyond the input count repeats channels cyclically: c mod inChannels).
 */
export function mapChannels(input: Float32Array, inChannels: number, outChannels: number): Float32Array {
  checkChannels('inChannels', inChannels);
  checkChannels('outChannels', outChannels);
  if (inChannels === outChannels) return input;
  if (input.length % inChannels !== 0) {
    throw new AcipError('AUDIO_FRAME_INVALID', `input length ${input.length} is not a multiple of ${inChannels} channels`);
  }
  const frames = input.length / inChannels;
  const out = new Float32Array(frames * outChannels);
  if (outChannels === 1) {
    const g = 1 / inChannels;
    for (let f = 0; f < frames; f++) {
      let s = 0;
      for (let c = 0; c < inChannels; c++) s += input[f * inChannels + c]!;
      out[f] = s * g;
    }
    return out;
  }
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < outChannels; c++) out[f * outChannels + c] = input[f * inChannels + (c % inChannels)]!;
  }
  return out;
}
