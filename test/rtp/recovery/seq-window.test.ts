import { describe, expect, it } from 'vitest';
import { RecoveryError } from '../../../server/rtp/recovery/recovery-error.js';
import { SeqStateWindow } from '../../../server/rtp/recovery/seq-window.js';

describe('the per-sequence-number state window', () => {
  it.each([
    { name: 'the highest itself', seq: 2, place: 'inside' },
    { name: 'a number behind the wrap', seq: 65535, place: 'inside' },
    { name: 'the last number inside the span', seq: 65531, place: 'inside' },
    { name: 'the first number past the span', seq: 65530, place: 'stale' },
    { name: 'a number after the highest', seq: 3, place: 'ahead' },
  ] as const)('with highest 2 and span 8 places $name ($seq) $place', ({ seq, place }) => {
    const w = new SeqStateWindow(8);
    w.observe(2);
    expect(w.place(seq)).toBe(place);
  });

  it('keeps states across 65535→0 and clears the numbers the highest passes', () => {
    const w = new SeqStateWindow(16);
    w.observe(65534);
    w.set(65534, 1);
    w.observe(1);
    w.set(0, 2);
    expect([w.get(65534), w.get(65535), w.get(0), w.get(1)]).toEqual([1, 0, 2, 0]);
    // A whole lap later the same numbers start out clear again.
    for (let s = 2; s < 65536 + 2; s += 1000) w.observe(s % 65536);
    w.observe(65534);
    w.observe(1);
    expect([w.get(65534), w.get(0)]).toEqual([0, 0]);
  });

  it('refuses to set stale or future numbers', () => {
    const w = new SeqStateWindow(4);
    w.observe(100);
    expect(w.set(90, 1)).toBe(false);
    expect(w.set(101, 1)).toBe(false);
    expect(w.observe(90)).toBe(false);
    expect(w.get(90)).toBe(0);
  });

  it('rejects a span of half the circle or more', () => {
    expect(() => new SeqStateWindow(32768)).toThrow(RecoveryError);
    expect(() => new SeqStateWindow(0)).toThrow(RecoveryError);
  });
});

describe('a sender that restarts its sequence far behind', () => {
  it('is followed after two consecutive numbers, as RFC 3550 A.1 does', () => {
    const w = new SeqStateWindow(16);
    w.observe(40000);
    w.set(40000, 1);
    expect(w.observe(30000)).toBe(false);
    expect(w.observe(30001)).toBe(true);
    expect(w.highest).toBe(30001);
    expect(w.get(30000)).toBe(0);
    expect(w.place(40000)).toBe('ahead');
  });

  it('is not followed on a single stray number', () => {
    const w = new SeqStateWindow(16);
    w.observe(40000);
    expect(w.observe(30000)).toBe(false);
    expect(w.observe(40001)).toBe(true);
    expect(w.observe(30002)).toBe(false);
    expect(w.highest).toBe(40001);
  });
});
