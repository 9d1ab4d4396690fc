/**
 * The one capped exponential backoff: link redial, SIP registration retry (RFC 5626 §4.5) and
 * anything else that retries. Retries wait longer each time up to a cap, never loop tightly.
 *
 *   base  = min(maxMs, initialMs · factor^attempt)
 *   delay = base jittered by `jitterMode`:
 *     'spread' — uniformly in base·(1 ± jitter), capped at maxMs. Redial uses ±20 % so that two
 *                codecs that lost each other at the same moment do not redial in lock-step.
 *     'down'   — uniformly in base·[1 − jitter, 1]: never longer than base. RFC 5626 §4.5 is
 *                this mode with jitter 0.5 ("a random number between 50% and 100% of wait-time").
 *
 * `random` (in [0, 1)) is injected so that tests pin the jitter.
 */
export type JitterMode = 'spread' | 'down';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Jitter as a fraction of the base delay, in [0, 1]. */
  jitter: number;
  /** How the jitter is applied (see the module comment); default 'spread'. */
  jitterMode?: JitterMode;
  random: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2, random: Math.random };

/** Past this exponent every sane base is beyond any cap; it also keeps factor^attempt finite. */
const MAX_EXPONENT = 30;

/** Delay in milliseconds (an integer) before retry `attempt` (0-based; non-integers are floored). */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  const n = Math.min(Math.max(0, Math.floor(attempt)), MAX_EXPONENT);
  const base = Math.min(opts.maxMs, opts.initialMs * opts.factor ** n);
  const r = Math.min(Math.max(opts.random(), 0), 1);
  const delay = (opts.jitterMode ?? 'spread') === 'down' ? base * (1 - opts.jitter * (1 - r)) : base + base * opts.jitter * (2 * r - 1);
  return Math.max(0, Math.round(Math.min(opts.maxMs, delay)));
}
