/**
 * Wrap-around arithmetic for RTP numbers (RFC 3550 §5.1: 16-bit sequence numbers,
 * 32-bit timestamps, both starting at random values and wrapping).
 *
 * All comparisons of RTP sequence numbers and timestamps in acip go through this module;
 * a bare `<` on two sequence numbers is wrong as soon as the counter wraps at 65535.
 * The convention is serial-number arithmetic (the idea of RFC 1982): `a` is "before" `b`
 * when the forward distance from `a` to `b` is less than half the number space.
 */

export const SEQ_MOD = 0x1_0000;
export const TS_MOD = 0x1_0000_0000;

/** Reduce to an unsigned 16-bit sequence number. */
export function seq16(n: number): number {
  return ((n % SEQ_MOD) + SEQ_MOD) % SEQ_MOD;
}

/** Reduce to an unsigned 32-bit timestamp. */
export function ts32(n: number): number {
  return ((n % TS_MOD) + TS_MOD) % TS_MOD;
}

/** `a + n` modulo 2^16. */
export function seqAdd(a: number, n: number): number {
  return seq16(a + n);
}

/** `a + n` modulo 2^32. */
export function tsAdd(a: number, n: number): number {
  return ts32(a + n);
}

/**
 * Signed distance from `a` to `b` (b − a) in the 16-bit circle, in [-32768, 32767].
 * seqDiff(65535, 0) === 1; seqDiff(0, 65535) === -1.
 */
export function seqDiff(b: number, a: number): number {
  const d = seq16(b - a);
  return d >= 0x8000 ? d - SEQ_MOD : d;
}

/** Unsigned forward distance from `a` to `b` modulo 2^16, in [0, 65535]. */
export function seqDelta(b: number, a: number): number {
  return seq16(b - a);
}

/** True when `a` comes strictly before `b` in serial-number order. */
export function seqLess(a: number, b: number): boolean {
  return seqDiff(b, a) > 0;
}

/** True when `a` comes before or equals `b`. */
export function seqLessOrEqual(a: number, b: number): boolean {
  return seqDiff(b, a) >= 0;
}

/** The later of two sequence numbers in serial-number order. */
export function seqMax(a: number, b: number): number {
  return seqLess(a, b) ? b : a;
}

/**
 * Signed distance from `a` to `b` (b − a) in the 32-bit timestamp circle,
 * in [-2^31, 2^31 − 1].
 */
export function tsDiff(b: number, a: number): number {
  const d = ts32(b - a);
  return d >= 0x8000_0000 ? d - TS_MOD : d;
}

/** True when timestamp `a` comes strictly before `b`. */
export function tsLess(a: number, b: number): boolean {
  return tsDiff(b, a) > 0;
}

/**
 * Unwraps a stream of numbers on a circle (`reduce` maps onto it, `diff` is the signed distance)
 * into a monotone-ish extended counter, choosing for each input the extended value nearest to the
 * previous one.
 */
class Unwrapper {
  private last: number | undefined;

  constructor(
    private readonly reduce: (n: number) => number,
    private readonly diff: (b: number, a: number) => number,
  ) {}

  unwrap(n: number): number {
    const x = this.reduce(n);
    if (this.last === undefined) {
      this.last = x;
      return x;
    }
    const ext = this.last + this.diff(x, this.reduce(this.last));
    // Keep the running value; negative extended values (reordering right at the start) are allowed.
    if (ext > this.last) this.last = ext;
    return ext;
  }

  reset(): void {
    this.last = undefined;
  }
}

/**
 * 16-bit sequence numbers unwrapped into cycles · 2^16 + seq. Useful for consumers (jitter buffer,
 * tests) that want plain integers to sort on.
 */
export class SeqUnwrapper extends Unwrapper {
  constructor() {
    super(seq16, seqDiff);
  }
}

/** Same idea for 32-bit RTP timestamps. */
export class TsUnwrapper extends Unwrapper {
  constructor() {
    super(ts32, tsDiff);
  }
}
