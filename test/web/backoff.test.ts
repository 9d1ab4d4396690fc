import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, reconnectDelayMs } from '../../web/src/model/backoff.js';

describe('reconnect backoff', () => {
  const mid = () => 0.5; // no jitter

  it('doubles from the base delay up to the cap', () => {
    const delays = Array.from({ length: 8 }, (_, i) => reconnectDelayMs(i, DEFAULT_BACKOFF, mid));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  });

  it('spreads retries by the jitter fraction and never exceeds the cap', () => {
    expect(reconnectDelayMs(0, DEFAULT_BACKOFF, () => 0)).toBe(400);
    expect(reconnectDelayMs(0, DEFAULT_BACKOFF, () => 0.999999)).toBe(600);
    expect(reconnectDelayMs(20, DEFAULT_BACKOFF, () => 0.999999)).toBe(10000);
    expect(reconnectDelayMs(20, DEFAULT_BACKOFF, () => 0)).toBe(8000);
  });

  it('stays finite after a very long outage', () => {
    expect(reconnectDelayMs(1e6, DEFAULT_BACKOFF, mid)).toBe(10000);
    expect(reconnectDelayMs(-3, DEFAULT_BACKOFF, mid)).toBe(500);
  });
});
