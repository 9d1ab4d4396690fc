import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../../server/util/backoff.js';

const fixed = (r: number) => () => r;

describe('capped exponential backoff', () => {
  const exact: BackoffOptions = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0, random: fixed(0.5) };

  it.each([
    [0, 1000],
    [1, 2000],
    [2, 4000],
    [3, 8000],
    [4, 16_000],
    [5, 30_000],
    [6, 30_000],
    [1000, 30_000],
    [-3, 1000],
    [2.7, 4000],
  ])('waits %s attempts → %i ms without jitter (doubling, capped, negative and fractional attempts clamped)', (attempt, ms) => {
    expect(backoffDelay(attempt, exact)).toBe(ms);
  });

  it('uses ±20 % jitter around the base by default, never past the cap', () => {
    expect(DEFAULT_BACKOFF).toMatchObject({ initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2 });
    expect(DEFAULT_BACKOFF.jitterMode ?? 'spread').toBe('spread');
  });

  it.each([
    // mode, attempt, random, expected ms
    ['spread', 0, 0, 800],
    ['spread', 0, 0.5, 1000],
    ['spread', 0, 1, 1200],
    ['spread', 3, 0, 6400],
    ['spread', 10, 0, 24_000],
    ['spread', 10, 1, 30_000],
    ['down', 0, 0, 800],
    ['down', 0, 0.5, 900],
    ['down', 0, 1, 1000],
    ['down', 10, 0, 24_000],
    ['down', 10, 1, 30_000],
  ] as const)('in %s mode, attempt %i with random() = %s waits %i ms', (mode, attempt, r, ms) => {
    expect(backoffDelay(attempt, { ...DEFAULT_BACKOFF, jitter: 0.2, jitterMode: mode, random: fixed(r) })).toBe(ms);
    if (mode === 'spread') expect(backoffDelay(attempt, { ...DEFAULT_BACKOFF, random: fixed(r) })).toBe(ms);
  });

  it.each([
    // RFC 5626 §4.5 with base-time 30 s, max-time 1800 s: consecutive failures, random(), seconds
    [1, 0, 30],
    [1, 0.999999, 60],
    [2, 0.5, 90],
    [3, 0, 120],
    [5, 0.999999, 960],
    [6, 0, 900],
    [6, 0.999999, 1800],
    [40, 0, 900],
  ])('gives RFC 5626 §4.5 delays (50–100 %% of min(max-time, base-time·2^n)) for n = %i, random() = %s: %i s', (n, r, s) => {
    const rfc5626: BackoffOptions = { initialMs: 30_000, maxMs: 1_800_000, factor: 2, jitter: 0.5, jitterMode: 'down', random: fixed(r) };
    expect(Math.round(backoffDelay(n, rfc5626) / 1000)).toBe(s);
  });

  it('returns whole milliseconds, never negative, even for random values outside [0, 1)', () => {
    const odd = [-1, 0.123456, 2].map((r) => backoffDelay(1, { ...DEFAULT_BACKOFF, jitter: 1, random: fixed(r) }));
    expect(odd).toEqual([0, 494, 4000]);
    for (const v of odd) expect(Number.isInteger(v)).toBe(true);
  });
});
