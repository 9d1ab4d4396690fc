/**
 * Log lines for refused inbound calls, at most one per kind of refusal per interval. A call flood
 * against a full or overloaded service is refused at hundreds of calls a second: a line for each
 * would add a log write to every refusal, the very work the refusal is there to shed, and bury the
 * rest of the log. The first refusal of a burst is logged at once; the ones after it within the
 * interval are counted and reported on the next line (every refusal is also counted in the metrics).
 */
import type { Clock } from '../util/clock.js';
import type { LinkLogger } from './link-logger.js';

/** The kinds of refusal, each rate-limited on its own. */
export type RefusalKind = 'link-limit' | 'source-limit' | 'overload';

/** Default interval between two lines of one kind, ms. */
export const REFUSAL_LOG_INTERVAL_MS = 1000;

export class RefusalLog {
  private readonly last = new Map<RefusalKind, { at: number; suppressed: number }>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly log: Pick<LinkLogger, 'warn'>,
    private readonly intervalMs = REFUSAL_LOG_INTERVAL_MS,
  ) {}

  /** Log `msg` unless a line of this kind went out less than an interval ago (then count it). */
  warn(kind: RefusalKind, fields: object, msg: string): void {
    const now = this.clock.now();
    const prev = this.last.get(kind);
    if (prev && now - prev.at < this.intervalMs) {
      prev.suppressed++;
      return;
    }
    const more = prev?.suppressed ?? 0;
    this.last.set(kind, { at: now, suppressed: 0 });
    if (more === 0) this.log.warn(fields, msg);
    else this.log.warn({ ...fields, alsoRefused: more }, `${msg} (and ${more} more refused alike since the last such line)`);
  }
}
