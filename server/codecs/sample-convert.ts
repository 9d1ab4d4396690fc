/**
 * Exact conversions between Float32 samples in [-1, 1) and integer PCM. Integer -> float divides by
 * the scale below, a power of two, which is exact in float32 for 16- and 24-bit values (24
 * significant bits), so int -> float -> int is the identity: L24 in -> L24 out stays bit-exact.
 * float -> int rounds to nearest and clamps (a +1.0 sample becomes the largest positive code).
 */
export const INT16_SCALE = 32768;
export const INT24_SCALE = 8388608;
export const INT32_SCALE = 2147483648;

/** Widths of the little-endian integer samples of WAV files and ALSA's S16_LE/S32_LE. */
export type IntSampleBits = 16 | 24 | 32;

/** x · scale rounded to nearest, clamped to the integer range [-scale, scale - 1]. */
function quantize(x: number, scale: number): number {
  const v = Math.round(x * scale);
  return v >= scale ? scale - 1 : v < -scale ? -scale : v;
}

export function floatToInt16(x: number): number {
  return quantize(x, INT16_SCALE);
}

export function floatToInt24(x: number): number {
  return quantize(x, INT24_SCALE);
}

/** Little-endian signed integers -> `n` floats (default: every whole sample in `bytes`), into `out` from sample 0. */
export function decodeIntLE(
  bytes: Buffer,
  bits: IntSampleBits,
  n = Math.floor(bytes.length / (bits / 8)),
  out: Float32Array = new Float32Array(n),
): Float32Array {
  const size = bits / 8;
  const scale = 2 ** (bits - 1);
  for (let i = 0, p = 0; i < n; i++, p += size) out[i] = bytes.readIntLE(p, size) / scale;
  return out;
}

/** Floats -> little-endian signed integers, rounded and clamped, into `out` (default a new buffer). */
export function encodeIntLE(samples: Float32Array, bits: IntSampleBits, out?: Buffer): Buffer {
  const size = bits / 8;
  const scale = 2 ** (bits - 1);
  const buf = out ?? Buffer.allocUnsafe(samples.length * size);
  for (let i = 0; i < samples.length; i++) buf.writeIntLE(quantize(samples[i] as number, scale), i * size, size);
  return buf;
}
