/**
 * The one seeded PRNG of the tests and benches: mulberry32 (32-bit state, floats in [0, 1)).
 * Deterministic for a seed, so a failure's seed reproduces it; the jitter traces depend on this
 * exact sequence (test/media/jitter/traces.test.ts pins it), so do not change the algorithm.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
