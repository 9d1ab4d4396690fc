/**
 * Warnings that can repeat hundreds of times a second (a refused call flood, a misbehaving peer), at
 * most one line per key per interval. A line for each would add a log write to every occurrence,
 * the very work a refusal is there to shed, and bury the rest of the log. The first occurrence of a
 * burst is written at once; the ones after it within the interval are counted and reported on the
 * next line of that key (the metrics count every occurrence).
 */
import type { Clock } from './clock.js';

/** The one method a rate-limited log writes through (pino's shape). */
export interface WarnSink {
  warn(obj: object, msg: string): void;
}

export interface RateLimitedLogOptions {
  /** Least time between two lines of one key, ms (default 1000). */
  intervalMs?: number;
  /** Keys remembered at once; past it the oldest is forgotten (its next occurrence is written). Default 256. */
  maxKeys?: number;
  /** The field the count of folded occurrences goes in (default `suppressed`). */
  countField?: string;
  /** The text after the message when some were folded (default: "and N more alike since the last such line"). */
  foldedText?: (n: number) => string;
}

export const RATE_LIMITED_LOG_DEFAULTS = { intervalMs: 1000, maxKeys: 256 } as const;

export class RateLimitedLog<K> {
  private readonly last = new Map<K, { at: number; suppressed: number }>();
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly countField: string;
  private readonly foldedText: (n: number) => string;

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly log: WarnSink,
    opts: RateLimitedLogOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? RATE_LIMITED_LOG_DEFAULTS.intervalMs;
    this.maxKeys = Math.max(1, opts.maxKeys ?? RATE_LIMITED_LOG_DEFAULTS.maxKeys);
    this.countField = opts.countField ?? 'suppressed';
    this.foldedText = opts.foldedText ?? ((n) => `and ${n} more alike since the last such line`);
  }

  /** Write `msg` unless a line of this key went out less than an interval ago (then count it). */
  warn(key: K, fields: object, msg: string): void {
    const now = this.clock.now();
    const prev = this.last.get(key);
    if (prev && now - prev.at < this.intervalMs) {
      prev.suppressed++;
      return;
    }
    const more = prev?.suppressed ?? 0;
    this.last.delete(key);
    if (this.last.size >= this.maxKeys) this.last.delete(this.last.keys().next().value as K);
    this.last.set(key, { at: now, suppressed: 0 });
    if (more === 0) this.log.warn(fields, msg);
    else this.log.warn({ ...fields, [this.countField]: more }, `${msg} (${this.foldedText(more)})`);
  }
}
