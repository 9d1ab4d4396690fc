/**
 * Time-scale modification by one waveform-similar splice (the WSOLA idea): remove or repeat a stretch
 * of audio whose length is chosen near the request so that the audio on both sides of the splice is
 * alike — a whole number of periods of a tone or of a voice's pitch, or anything in near-silence.
 *
 * drift-corrector.ts's `stretchFrame` removes exactly the number of samples asked for and only chooses
 * where. On periodic audio a splice of k samples that is not a multiple of the period shifts the phase
 * by 2πk/period however smoothly it is crossfaded: an audible glitch on a tone (the residual of a sine
 * fit around it is as loud as the tone's own phase error). Here the length L is free within
 * [k − W/2, k + W/2] (W = `searchMs`), so a period of every pitch above 1/W fits in the range, and the
 * pair (splice point, L) minimising the squared difference of the two crossfaded segments wins. The
 * caller keeps the difference L − k as a remainder (see DriftCorrector).
 *
 *     remove: out = in[0, s1−X) ++ fade(in[s1−X, s1) → in[s1+L−X, s1+L)) ++ in[s1+L, n)
 *     repeat: out = in[0, s1−X) ++ fade(in[s1−X, s1) → in[s1−L−X, s1−L)) ++ in[s1−L, n)
 */
import type { StretchResult } from './drift-corrector.js';

export interface WsolaOptions {
  sampleRate?: number;
  /** Crossfade (default 2.5 ms). */
  crossfadeMs?: number;
  /** Width of the range the splice length is chosen in, centred on the request (default 5 ms). */
  searchMs?: number;
}

/** Positions of the splice point tried in the first pass (then refined around the best). */
const COARSE_POSITIONS = 8;

/**
 * Remove (adjust < 0) or insert (adjust > 0) about |adjust| sample frames where the audio repeats
 * itself. Returns the frame untouched (applied 0) when it is too short for the request's range: the
 * caller then falls back to an exact splice.
 */
export function wsolaStretch(frame: Float32Array, channels: number, adjust: number, opts: WsolaOptions = {}): StretchResult {
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError('channels must be a positive integer');
  if (frame.length % channels !== 0) throw new RangeError('frame length is not a multiple of channels');
  const n = frame.length / channels;
  const k = Math.trunc(Math.abs(adjust));
  const none: StretchResult = { samples: frame, applied: 0, at: -1 };
  if (k === 0) return none;
  const rate = opts.sampleRate ?? 48_000;
  const x = Math.max(2, Math.round(((opts.crossfadeMs ?? 2.5) * rate) / 1000));
  const half = Math.max(1, Math.round(((opts.searchMs ?? 5) * rate) / 2000));
  const lMin = Math.max(1, k - half);
  const lMax = Math.min(k + half, n - x);
  // The range must hold at least a search window's worth of lengths, or periodic audio may find none.
  if (lMax - lMin < Math.min(2 * half, k + half - 1)) return none;
  const remove = adjust < 0;
  const cost = (s1: number, l: number, stride: number): number => {
    const s2 = remove ? s1 + l : s1 - l;
    let c = 0;
    const a0 = (s1 - x) * channels;
    const b0 = (s2 - x) * channels;
    const len = x * channels;
    for (let i = 0; i < len; i += stride * channels) {
      for (let ch = 0; ch < channels; ch++) {
        const d = (frame[a0 + i + ch] as number) - (frame[b0 + i + ch] as number);
        c += d * d;
      }
    }
    return c;
  };
  // s1 range for length l: remove needs s1 ≥ x and s1 + l ≤ n; repeat needs s1 − l ≥ x and s1 ≤ n.
  const lo = (l: number) => (remove ? x : l + x);
  const hi = (l: number) => (remove ? n - l : n);
  let best = { s1: -1, l: 0, c: Infinity };
  const consider = (s1: number, l: number, stride: number) => {
    if (s1 < lo(l) || s1 > hi(l)) return;
    const c = cost(s1, l, stride);
    // Ties (exact periods of a tone, silence) go to the length nearest the request.
    if (c < best.c - 1e-12 || (Math.abs(c - best.c) <= 1e-12 && Math.abs(l - k) < Math.abs(best.l - k))) best = { s1, l, c };
  };
  // Coarse to fine, so that a splice costs well under a millisecond: first every other length at a
  // few splice points with every fourth sample of the crossfade compared, then the length, then the
  // point, at full resolution.
  const span = n - x - lMin;
  const step = Math.max(1, Math.floor(span / COARSE_POSITIONS));
  for (let l = lMin; l <= lMax; l += 2) {
    for (let s1 = lo(l); s1 <= hi(l); s1 += step) consider(s1, l, 4);
  }
  if (best.s1 < 0) return none;
  const at = best.s1;
  let bestL = best.l;
  best = { s1: -1, l: 0, c: Infinity };
  // The coarse point may lie on the edge of the range its length allows (s1 ≥ l + X when repeating):
  // each neighbouring length is tried at the nearest point its own range allows, or a whole period
  // next to an odd coarse length would never be looked at.
  for (let l = Math.max(lMin, bestL - 3); l <= Math.min(lMax, bestL + 3); l++) consider(Math.min(hi(l), Math.max(lo(l), at)), l, 1);
  if (best.s1 >= 0) bestL = best.l;
  best = { s1: -1, l: 0, c: Infinity };
  const fine = Math.max(1, Math.floor(step / 16));
  for (let s1 = at - step + 1; s1 <= at + step - 1; s1 += fine) consider(s1, bestL, 2);
  if (best.s1 < 0) consider(at, bestL, 1);
  const around = best.s1;
  best = { s1: -1, l: 0, c: Infinity };
  for (let s1 = around - fine + 1; s1 <= around + fine - 1; s1++) consider(s1, bestL, 1);
  if (best.s1 < 0) return none;
  const { s1, l } = best;
  const s2 = remove ? s1 + l : s1 - l;
  const outN = n + s1 - s2;
  const out = new Float32Array(outN * channels);
  out.set(frame.subarray(0, (s1 - x) * channels), 0);
  for (let i = 0; i < x; i++) {
    const w = 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / x);
    const ao = (s1 - x + i) * channels;
    const bo = (s2 - x + i) * channels;
    for (let c = 0; c < channels; c++) out[ao + c] = (frame[ao + c] as number) * (1 - w) + (frame[bo + c] as number) * w;
  }
  out.set(frame.subarray(s2 * channels), s1 * channels);
  return { samples: out, applied: remove ? -l : l, at: s1 };
}
