/**
 * PCM-domain stretch: remove or insert a few samples in a decoded frame where it is least audible.
 *
 * The jitter buffer decides *when* and *how much* (its `adjustSamples` hint: drift compensation and
 * following the target delay); this module decides *where* and *how*. Frames are interleaved Float32
 * (`channels` samples per sample frame); k counts sample frames (per channel).
 *
 * How: a splice. The output is the frame up to a point s1, then the frame from s2 = s1 ± k on, joined by
 * a raised-cosine crossfade of X sample frames over the X frames that precede each side:
 *
 *     out = in[0, s1−X) ++ fade(in[s1−X, s1) → in[s2−X, s2)) ++ in[s2, n)      length n + s1 − s2
 *
 * s2 = s1 + k removes k sample frames, s2 = s1 − k repeats k. Both sides of the fade are continuous
 * with what precedes and follows them, and the fade weights sum to 1, so there is no step (no click)
 * and no level bump for correlated audio. s1 is chosen to minimise the squared difference between the
 * two faded segments (the WSOLA idea): that is small where the audio is quiet (low short-term energy)
 * and where the two segments are in phase (a period of a tone, a zero crossing of slowly varying
 * audio), which is where a splice is least audible.
 *
 * That splice removes exactly k samples, and on periodic audio k that is not a whole number of periods
 * shifts the phase however well it is placed (a tone's phase jump). The DriftCorrector's `wsola` mode
 * (what the playout adapter uses) therefore lets the length follow the audio instead (tsm-wsola.ts):
 * it collects the requests until they are worth a splice and then removes or repeats whole periods.
 */

import { wsolaStretch, type WsolaOptions } from './tsm-wsola.js';

export interface StretchOptions {
  /** Sample rate of the frame, for the crossfade length (default 48000). */
  sampleRate?: number;
  /** Longest crossfade (default 2.5 ms); shortened when the frame is too short. */
  crossfadeMs?: number;
}

export interface StretchResult {
  /** The stretched frame (a new array unless nothing was applied). */
  samples: Float32Array;
  /** Sample frames actually inserted (> 0) or removed (< 0); |applied| ≤ |requested|. */
  applied: number;
  /** Splice point s1 in the input (sample frames), or −1 when nothing was applied. */
  at: number;
}

/**
 * Remove (adjust < 0) or insert (adjust > 0) |adjust| sample frames.
 * A frame too short for the full request is stretched as far as it allows (see `applied`).
 */
export function stretchFrame(frame: Float32Array, channels: number, adjust: number, opts: StretchOptions = {}): StretchResult {
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError('channels must be a positive integer');
  if (frame.length % channels !== 0) throw new RangeError('frame length is not a multiple of channels');
  const n = frame.length / channels;
  let k = Math.trunc(Math.abs(adjust));
  if (k === 0 || n < 4) return { samples: frame, applied: 0, at: -1 };
  const sampleRate = opts.sampleRate ?? 48_000;
  const xMax = Math.max(2, Math.round(((opts.crossfadeMs ?? 2.5) * sampleRate) / 1000));
  // Room: removal needs s1 − X ≥ 0 and s1 + k ≤ n; insertion needs s1 − k − X ≥ 0 and s1 ≤ n.
  // Keep at least 2 crossfade samples.
  k = Math.min(k, n - 2);
  const x = Math.max(1, Math.min(xMax, Math.floor((n - k) / 2), n - k));
  const remove = adjust < 0;
  // Candidate s1 range.
  const lo = remove ? x : k + x;
  const hi = remove ? n - k : n;
  if (hi < lo) return { samples: frame, applied: 0, at: -1 };
  const cost = (s1: number): number => {
    const s2 = remove ? s1 + k : s1 - k;
    let c = 0;
    const a0 = (s1 - x) * channels;
    const b0 = (s2 - x) * channels;
    const len = x * channels;
    for (let i = 0; i < len; i++) {
      const d = (frame[a0 + i] as number) - (frame[b0 + i] as number);
      c += d * d;
    }
    return c;
  };
  // Coarse search then refine around the best.
  const step = Math.max(1, Math.floor((hi - lo) / 64));
  let best = lo;
  let bestCost = Infinity;
  for (let s1 = lo; s1 <= hi; s1 += step) {
    const c = cost(s1);
    if (c < bestCost) {
      bestCost = c;
      best = s1;
    }
  }
  if (step > 1) {
    const from = Math.max(lo, best - step + 1);
    const to = Math.min(hi, best + step - 1);
    for (let s1 = from; s1 <= to; s1++) {
      const c = cost(s1);
      if (c < bestCost) {
        bestCost = c;
        best = s1;
      }
    }
  }
  const s1 = best;
  const s2 = remove ? s1 + k : s1 - k;
  const outN = n + s1 - s2;
  const out = new Float32Array(outN * channels);
  out.set(frame.subarray(0, (s1 - x) * channels), 0);
  for (let i = 0; i < x; i++) {
    const w = 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / x);
    const ao = (s1 - x + i) * channels;
    const bo = (s2 - x + i) * channels;
    for (let c = 0; c < channels; c++) {
      out[ao + c] = (frame[ao + c] as number) * (1 - w) + (frame[bo + c] as number) * w;
    }
  }
  out.set(frame.subarray(s2 * channels), s1 * channels);
  return { samples: out, applied: remove ? -k : k, at: s1 };
}

/**
 * How the corrector splices: `exact` removes or repeats exactly what is asked, frame by frame
 * (`stretchFrame`); `wsola` waits until the request adds up to half a search window and then splices
 * a length near it that the audio repeats (tsm-wsola.ts), keeping the difference as a remainder, so
 * that a tone or a voice keeps its phase. Near-silent frames take the exact request at once: a splice
 * there is inaudible whatever its length.
 */
export type SpliceMode = 'exact' | 'wsola';

/** Frames quieter than this (RMS, full scale 1) are spliced exactly, whatever the mode. */
const SILENT_RMS = 1e-3;

/**
 * Applies the jitter buffer's stretch hints frame by frame, carrying over what a short frame could not
 * take. `unitRatio` converts the hint's RTP timestamp units to sample frames of the decoded audio
 * (decoded rate / RTP clock rate: 2 for G.722, whose RTP clock is 8000 for 16 kHz audio; 1 usually).
 */
export class DriftCorrector {
  private carry = 0;
  private readonly opts: StretchOptions;
  private readonly wsolaHalf: number;
  /** Totals, in decoded sample frames. */
  inserted = 0;
  removed = 0;

  constructor(
    private readonly channels: number,
    private readonly sampleRate: number,
    private readonly unitRatio = 1,
    crossfadeMs = 2.5,
    private readonly mode: SpliceMode = 'exact',
    private readonly searchMs = 5,
  ) {
    this.opts = { sampleRate, crossfadeMs };
    this.wsolaHalf = Math.max(1, Math.round((searchMs * sampleRate) / 2000));
  }

  /** Stretch `frame` by the hint (RTP units) plus any carried remainder; returns the new frame. */
  apply(frame: Float32Array, adjustRtpUnits: number): Float32Array {
    this.carry += adjustRtpUnits * this.unitRatio;
    const want = Math.trunc(this.carry);
    if (want === 0) return frame;
    let r: StretchResult | undefined;
    if (this.mode === 'wsola' && !isSilent(frame)) {
      const search = this.searchFor(frame.length / this.channels);
      // Below half a search window the remainder of a splice could turn the next one round: wait.
      if (Math.abs(want) <= search.half) return frame;
      // A length range centred on more than the frame has room for is cut short (and wsola gives up):
      // take what fits now, the rest stays carried.
      const k = Math.sign(want) * Math.min(Math.abs(want), search.maxK);
      r = wsolaStretch(frame, this.channels, k, search.opts);
      if (r.applied === 0) r = undefined;
    }
    r ??= stretchFrame(frame, this.channels, want, this.opts);
    this.carry -= r.applied;
    // Never let an unserviceable request pile up beyond one frame.
    const n = frame.length / this.channels;
    this.carry = Math.max(-n, Math.min(n, this.carry));
    if (r.applied > 0) this.inserted += r.applied;
    else this.removed -= r.applied;
    return r.samples;
  }

  /**
   * The search for a frame of n sample frames. A splice just above half the search window needs
   * 2·half + 1 samples of room besides the crossfade: a 20 ms frame has it with the configured 2.5 ms
   * crossfade and 5 ms search. Short frames (4 ms L16 packets) do not, and would fall back to an exact
   * splice of half a window, a phase jump on every tone, several times a second at a percent of drift.
   * They get a crossfade of a quarter frame and the widest search the rest of the frame holds (periods
   * up to about 3 ms on a 4 ms frame: a tone or a voice above 330 Hz is still spliced in whole periods).
   */
  private searchFor(n: number): { half: number; maxK: number; opts: WsolaOptions } {
    const x = Math.max(2, Math.round(((this.opts.crossfadeMs ?? 2.5) * this.sampleRate) / 1000));
    if (n - x >= 2 * this.wsolaHalf + 1) {
      return { half: this.wsolaHalf, maxK: n - x - this.wsolaHalf, opts: { ...this.opts, searchMs: this.searchMs } };
    }
    const xs = Math.max(2, Math.min(x, Math.floor(n / 4)));
    const half = Math.max(1, Math.floor((n - xs) / 2) - 1);
    const ms = (samples: number) => (samples * 1000) / this.sampleRate;
    return { half, maxK: n - xs - half, opts: { sampleRate: this.sampleRate, crossfadeMs: ms(xs), searchMs: ms(2 * half) } };
  }

  /** Remainder not yet applied (decoded sample frames; > 0 to insert, < 0 to remove). */
  get pending(): number {
    return this.carry;
  }

  /** The remainder in ms of audio: what the output's backlog will gain (or lose) once it is applied. */
  get pendingMs(): number {
    return (this.carry * 1000) / this.sampleRate;
  }
}

function isSilent(frame: Float32Array): boolean {
  let s = 0;
  for (let i = 0; i < frame.length; i++) s += (frame[i] as number) * (frame[i] as number);
  return s <= SILENT_RMS * SILENT_RMS * frame.length;
}
