import { describe, expect, it } from 'vitest';
import { LINK_STATES, assertTransition, canTransition } from '../../server/links/link-state.js';
import { backoffDelay } from '../../server/util/backoff.js';

describe('link state machine', () => {
  it.each([
    ['idle', 'dialling'],
    ['dialling', 'ringing'],
    ['ringing', 'connected'],
    ['connected', 'ending'],
    ['ending', 'ended'],
    ['connected', 'redialling'],
    ['failed', 'redialling'],
    ['redialling', 'dialling'],
    ['idle', 'offered'],
    ['offered', 'connected'],
  ] as const)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each([
    ['ended', 'dialling'],
    ['connected', 'ringing'],
    ['idle', 'ringing'],
    ['redialling', 'connected'],
  ] as const)('refuses %s → %s with a typed error', (from, to) => {
    expect(() => assertTransition(from, to)).toThrow(/illegal link transition/);
  });

  it('lets nothing leave ended', () => {
    for (const s of LINK_STATES) expect(canTransition('ended', s)).toBe(false);
  });
});

describe('redial backoff', () => {
  const opts = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2, random: () => 0.5 };
  it('doubles from 1 s and caps at 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((a) => backoffDelay(a, opts))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
  it('spreads by the jitter fraction and never exceeds the cap', () => {
    expect(backoffDelay(0, { ...opts, random: () => 0 })).toBe(800);
    expect(backoffDelay(0, { ...opts, random: () => 1 })).toBe(1200);
    expect(backoffDelay(10, { ...opts, random: () => 1 })).toBe(30000);
  });
});
