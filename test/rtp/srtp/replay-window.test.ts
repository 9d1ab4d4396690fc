/** RFC 3711 §3.3.2: the replay list as a sliding window, table-driven. */
import { describe, expect, it } from 'vitest';
import { ReplayWindow, type ReplayVerdict } from '../../../server/rtp/srtp/replay-window.js';
import { SrtpConfigError } from '../../../server/rtp/srtp/srtp-error.js';

interface Row {
  why: string;
  accepted: number[];
  probe: number;
  verdict: ReplayVerdict;
}

const ROWS: Row[] = [
  { why: 'anything is new before the first packet', accepted: [], probe: 0, verdict: 'new' },
  { why: 'a higher index is new', accepted: [10], probe: 11, verdict: 'new' },
  { why: 'the same index is a replay', accepted: [10], probe: 10, verdict: 'replay' },
  { why: 'a missing index inside the window is new', accepted: [10, 12], probe: 11, verdict: 'new' },
  { why: 'a received index inside the window is a replay', accepted: [10, 11, 12], probe: 11, verdict: 'replay' },
  { why: 'the oldest index still inside the window is checked', accepted: [100, 163], probe: 100, verdict: 'replay' },
  { why: 'one older than the window is too old', accepted: [163], probe: 99, verdict: 'too-old' },
  { why: 'a jump larger than the window forgets the old bits', accepted: [5, 5 + 64 + 10], probe: 5 + 64 + 9, verdict: 'new' },
  { why: 'after the window slides, a reused ring slot is not mistaken for a replay', accepted: [0, 64], probe: 63, verdict: 'new' },
  { why: 'an index around 2^47 works like any other', accepted: [2 ** 47, 2 ** 47 + 3], probe: 2 ** 47 + 1, verdict: 'new' },
];

describe('ReplayWindow of 64', () => {
  it.each(ROWS)('$why', ({ accepted, probe, verdict }) => {
    const w = new ReplayWindow(64);
    for (const i of accepted) w.accept(i);
    expect(w.check(probe)).toBe(verdict);
  });

  it('checking never changes the window', () => {
    const w = new ReplayWindow(64);
    w.accept(10);
    w.check(500);
    expect(w.highestIndex).toBe(10);
    expect(w.check(10)).toBe('replay');
  });

  it('accepts every index of a long in-order stream exactly once', () => {
    const w = new ReplayWindow(128);
    for (let i = 0; i < 10_000; i++) {
      expect(w.check(i)).toBe('new');
      w.accept(i);
      expect(w.check(i)).toBe('replay');
    }
  });

  it.each([0, 32, 63, 0x4001, 100.5])('refuses a window of %s packets', (size) => {
    expect(() => new ReplayWindow(size)).toThrow(SrtpConfigError);
  });
});
