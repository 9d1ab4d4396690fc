/**
 * Reconnect delays for the live feed: capped exponential backoff with ±20 % jitter, so a room full
 * of panels does not hammer a service that has just restarted all at the same instant.
 */
export interface BackoffOptions {
  baseMs: number;
  factor: number;
  maxMs: number;
  /** Fraction of the delay added or removed at random (0.2 = ±20 %). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, factor: 2, maxMs: 10_000, jitter: 0.2 };

/** Delay before reconnect attempt `attempt` (0 = the first retry). `random` returns [0, 1). */
export function reconnectDelayMs(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const n = Math.max(0, Math.floor(attempt));
  // Cap the exponent too, so a long outage never overflows to Infinity.
  const raw = Math.min(opts.maxMs, opts.baseMs * Math.pow(opts.factor, Math.min(n, 30)));
  const spread = raw * opts.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(opts.maxMs, raw + spread)));
}
