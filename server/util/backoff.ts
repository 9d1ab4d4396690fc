/**
 * Capped exponential backoff for redialling permanent links (STYLE.md: retries use capped
 * exponential backoff, never `while (true)`). Jitter of ±20 % keeps two codecs that lost each other
 * at the same moment from redialling in lock-step. `random` is injected for tests.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  jitter: number;
  random: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2, random: Math.random };

/** Delay before redial attempt `attempt` (0-based). */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  const base = Math.min(opts.maxMs, opts.initialMs * opts.factor ** Math.min(attempt, 30));
  const spread = base * opts.jitter * (2 * opts.random() - 1);
  return Math.max(0, Math.round(Math.min(opts.maxMs, base + spread)));
}
