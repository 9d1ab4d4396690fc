/**
 * Exact conversions between Float32 samples in [-1, 1) and integer PCM. Integer -> float divides by
 * the scale below, a power of two, which is exact in float32 for 16- and 24-bit values (24
 * significant bits), so int -> float -> int is the identity: L24 in -> L24 out stays bit-exact.
 * float -> int rounds to nearest and clamps (a +1.0 sample becomes the largest positive code).
 */
export const INT16_SCALE = 32768;
export const INT24_SCALE = 8388608;

export function floatToInt16(x: number): number {
  const v = Math.round(x * INT16_SCALE);
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

export function floatToInt24(x: number): number {
  const v = Math.round(x * INT24_SCALE);
  return v > 8388607 ? 8388607 : v < -8388608 ? -8388608 : v;
}
