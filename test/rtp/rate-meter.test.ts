import { describe, expect, it } from 'vitest';
import { RateMeter } from '../../server/rtp/rate-meter.js';

describe('bit-rate estimate over a sliding window', () => {
  it('reads 64 kbit/s for 160-octet packets every 20 ms and falls to 0 after the window', () => {
    const m = new RateMeter(2000, 8);
    expect(m.bitsPerSecond(0)).toBe(0);
    for (let t = 0; t < 5000; t += 20) m.add(t, 160);
    // Bucket edges cost at most one packet in the window (~0.7 % here).
    expect(Math.abs(m.bitsPerSecond(5000) - 64_000)).toBeLessThan(64_000 * 0.02);
    expect(Math.abs(m.bitsPerSecond(5010) - 64_000)).toBeLessThan(64_000 * 0.02);
    expect(m.bitsPerSecond(7100)).toBe(0);
  });
});
