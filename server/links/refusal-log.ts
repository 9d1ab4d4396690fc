/**
 * Log lines for refused inbound calls, at most one per kind of refusal per interval: a call flood
 * against a full or overloaded service is refused at hundreds of calls a second (see
 * rate-limited-log.ts). Every refusal is also counted in the metrics.
 */
import type { Clock } from '../util/clock.js';
import { RateLimitedLog, RATE_LIMITED_LOG_DEFAULTS, type WarnSink } from '../util/rate-limited-log.js';

/** The kinds of refusal, each rate-limited on its own. */
export type RefusalKind = 'link-limit' | 'source-limit' | 'overload';

/** Default interval between two lines of one kind, ms. */
export const REFUSAL_LOG_INTERVAL_MS = RATE_LIMITED_LOG_DEFAULTS.intervalMs;

export class RefusalLog extends RateLimitedLog<RefusalKind> {
  constructor(clock: Pick<Clock, 'now'>, log: WarnSink, intervalMs = REFUSAL_LOG_INTERVAL_MS) {
    super(clock, log, { intervalMs, countField: 'alsoRefused', foldedText: (n) => `and ${n} more refused alike since the last such line` });
  }
}
