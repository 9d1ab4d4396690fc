/**
 * The shared random pool: every value is fresh (no byte handed out twice, refills included) and each
 * kind has its documented size.
 */
import { describe, expect, it } from 'vitest';
import { random32, random64, randomHex } from '../../server/util/random-pool.js';

describe('the random pool', () => {
  it.each([
    { bytes: 6, chars: 12 },
    { bytes: 9, chars: 18 },
    { bytes: 12, chars: 24 },
  ])('gives $bytes bytes as $chars lower-case hex characters', ({ bytes, chars }) => {
    expect(randomHex(bytes)).toMatch(new RegExp(`^[0-9a-f]{${chars}}$`));
  });

  it('hands out no value twice across several refills of the pool', () => {
    // 3 000 draws of 9 bytes cross the 4 KiB pool six times; a repeated 72-bit value would mean reused bytes.
    const seen = new Set(Array.from({ length: 3000 }, () => randomHex(9)));
    expect(seen.size).toBe(3000);
    const words = new Set(Array.from({ length: 3000 }, () => random64()));
    expect(words.size).toBe(3000);
  });

  it('gives 32-bit values as unsigned integers, and 64-bit ones as bigints below 2^64', () => {
    const xs = Array.from({ length: 200 }, () => random32());
    expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(195);
    const y = random64();
    expect(y >= 0n && y < 1n << 64n).toBe(true);
  });
});
