/** The bounded memo behind the SIP grammar's and admission's per-value caches. */
import { describe, expect, it } from 'vitest';
import { MemoCache } from '../../server/util/memo-cache.js';

describe('MemoCache', () => {
  it('computes a value once while it is remembered, undefined results included', () => {
    const calls: string[] = [];
    const memo = new MemoCache<string, string | undefined>(4, (k) => {
      calls.push(k);
      return k === 'none' ? undefined : k.toUpperCase();
    });
    expect(['a', 'a', 'none', 'none', 'a'].map((k) => memo.get(k))).toEqual(['A', 'A', undefined, undefined, 'A']);
    expect(calls).toEqual(['a', 'none']);
  });

  it('never remembers a key whose computation threw', () => {
    let calls = 0;
    const memo = new MemoCache<string, true>(4, () => {
      calls++;
      throw new Error('malformed');
    });
    expect(() => memo.get('x')).toThrow('malformed');
    expect(() => memo.get('x')).toThrow('malformed');
    expect(calls).toBe(2);
    expect(memo.size).toBe(0);
  });

  it('stays within its bound and stays right for more distinct keys than it holds', () => {
    const memo = new MemoCache<number, number>(8, (k) => k * 2);
    const out = Array.from({ length: 50 }, (_, i) => memo.get(i % 20));
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => (i % 20) * 2));
    expect(memo.size).toBeLessThanOrEqual(8);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a bound of %s', (max) => {
    expect(() => new MemoCache(max, (k: string) => k)).toThrow(RangeError);
  });
});
