import { describe, expect, it } from 'vitest';
import { seqAdd, seqDiff, seqLess, seqLessOrEqual, seqMax, SeqUnwrapper, tsAdd, tsDiff, tsLess, TsUnwrapper } from '../../server/rtp/seq.js';

describe('16-bit sequence arithmetic wraps at 65535', () => {
  it.each([
    [0, 1, 1],
    [65535, 0, 1],
    [0, 65535, -1],
    [65530, 5, 11],
    [100, 100, 0],
    [0, 32767, 32767],
    [0, 32768, -32768],
  ])('the signed distance from %i to %i is %i', (a, b, d) => {
    expect(seqDiff(b, a)).toBe(d);
  });

  it('orders 65535 before 0 and 0 after 65000', () => {
    expect(seqLess(65535, 0)).toBe(true);
    expect(seqLess(0, 65535)).toBe(false);
    expect(seqLess(65000, 10)).toBe(true);
    expect(seqLessOrEqual(7, 7)).toBe(true);
    expect(seqMax(65535, 2)).toBe(2);
    expect(seqAdd(65535, 1)).toBe(0);
    expect(seqAdd(0, -1)).toBe(65535);
  });

  it('unwraps a sequence that wraps twice into increasing integers, reordering included', () => {
    const u = new SeqUnwrapper();
    const input = [65534, 65535, 1, 0, 2, 65535, 3];
    expect(input.map((s) => u.unwrap(s))).toEqual([65534, 65535, 65537, 65536, 65538, 65535, 65539]);
  });
});

describe('32-bit timestamp arithmetic wraps at 2^32', () => {
  it('measures a forward step across the wrap as positive', () => {
    expect(tsDiff(100, 0xffff_ff00)).toBe(356);
    expect(tsDiff(0xffff_ff00, 100)).toBe(-356);
    expect(tsLess(0xffff_fff0, 16)).toBe(true);
    expect(tsAdd(0xffff_ffff, 2)).toBe(1);
  });

  it('unwraps timestamps across the wrap', () => {
    const u = new TsUnwrapper();
    expect([0xffff_fe00, 0xffff_ff00, 0x0000_0000, 0x0000_0100].map((t) => u.unwrap(t))).toEqual([
      0xffff_fe00, 0xffff_ff00, 0x1_0000_0000, 0x1_0000_0100,
    ]);
  });
});
