/**
 * Constants of ITU-T G.722 (64 kbit/s, mode 1), as fixed-point integers in the scaling the
 * Recommendation's block descriptions use. Values are facts of the standard (its tables), listed
 * here in our own arrangement.
 */

/**
 * QMF coefficients h0..h23 (Table 2/G.722, ×2^13): the 24-tap linear-phase filter, symmetric
 * (h(23-i) = h(i)); they sum to 2^13.
 */
const QMF_HALF = [3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876] as const;
export const QMF_H: readonly number[] = [...QMF_HALF, ...[...QMF_HALF].reverse()];

/**
 * Lower sub-band 6-bit quantizer decision levels (Table 6/G.722, normalised levels ×2^9); index
 * mil = 1..29 is the upper edge of interval mil. Compared against |el| scaled by the step size detl.
 */
export const LOW_DECISION: readonly number[] = [
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219,
  1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
];
export const LOW_INTERVALS = 30;

/** Code words for interval mil (1..30) of a positive / negative difference (Table 6/G.722). */
export function lowCodeFor(mil: number, negative: boolean): number {
  if (!negative) return 62 - mil; // 61 (smallest) .. 32 (largest)
  if (mil === 1) return 63;
  if (mil === 2) return 62;
  return 34 - mil; // 31 .. 4
}

/**
 * Lower sub-band 6-bit inverse quantizer output levels (Table 7/G.722, ×2^12), by magnitude
 * rank 1..30 (rank 1 = the interval next to zero).
 */
const LOW_OUT6_BY_RANK = [
  136, 432, 728, 1040, 1360, 1688, 2032, 2400, 2776, 3168, 3576, 4008, 4464, 4944, 5456, 6000, 6576, 7192, 7856,
  8576, 9360, 10232, 11192, 12280, 13512, 14984, 16704, 19008, 21904, 24808,
];

/** 6-bit code -> signed output level; codes 0..3 are unused by encoders and read as the smallest negative step. */
export const LOW_INV_Q6: Int32Array = (() => {
  const t = new Int32Array(64).fill(-136);
  for (let mil = 1; mil <= LOW_INTERVALS; mil++) {
    const mag = LOW_OUT6_BY_RANK[mil - 1] as number;
    t[lowCodeFor(mil, false)] = mag;
    t[lowCodeFor(mil, true)] = -mag;
  }
  return t;
})();

/**
 * Lower sub-band 4-bit inverse quantizer (Table 7/G.722 4-bit column, ×2^12), indexed by the 6-bit code
 * truncated to its 4 most significant bits. It drives the predictor and scale-factor adaptation in both
 * encoder and decoder, which is what lets a decoder follow an encoder whose lower bits were dropped
 * (the 56 and 48 kbit/s modes).
 */
export const LOW_INV_Q4: readonly number[] = [
  0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
];

/**
 * Log scale-factor multipliers W_L (Table 8/G.722 ×2^11... in the units of nbl) by magnitude rank of
 * the 4-bit code: 0 for the codes that carry no magnitude, 1 for the smallest, ... 7 for the largest.
 */
const LOW_LOG_STEP_BY_RANK = [-60, -30, 58, 172, 334, 538, 1198, 3042];
/** 4-bit code -> magnitude rank (sign-magnitude layout of LOW_INV_Q4). */
const LOW_RANK_OF_Q4 = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
export const LOW_LOG_STEP: readonly number[] = LOW_RANK_OF_Q4.map((r) => LOW_LOG_STEP_BY_RANK[r] as number);

/** Upper sub-band 2-bit quantizer decision level (Table 9/G.722, ×2^9). */
export const HIGH_DECISION = 564;
/** 2-bit code for (magnitude class 1 = small, 2 = large) of a negative / positive difference. */
export function highCodeFor(large: boolean, negative: boolean): number {
  if (negative) return large ? 0 : 1;
  return large ? 2 : 3;
}
/** Upper sub-band inverse quantizer (×2^12) by 2-bit code. */
export const HIGH_INV_Q2: readonly number[] = [-7408, -1616, 7408, 1616];
/** Log scale-factor multipliers W_H by 2-bit code (large magnitudes grow the step, small ones shrink it). */
export const HIGH_LOG_STEP: readonly number[] = [798, -214, 798, -214];

/** Scale-factor limits (block 3L / 3H): nbl in 0..18432, nbh in 0..22528. */
export const LOW_NB_MAX = 18432;
export const HIGH_NB_MAX = 22528;

/**
 * Inverse log2 table for the step-size computation (block 3L/3H), 2048·2^(i/32) rounded, i = 0..31
 * (2048, 2093, 2139, ... 4008).
 */
export const INV_LOG2: Int32Array = (() => {
  const t = new Int32Array(32);
  for (let i = 0; i < 32; i++) t[i] = Math.round(2048 * 2 ** (i / 32));
  return t;
})();
