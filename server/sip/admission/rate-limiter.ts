/**
 * Per-source request rate limit with a temporary block, in the manner of Kamailio's pike module:
 * each source has a token bucket (`burst` tokens, refilled at `ratePerS`); a request takes one
 * token, and a source that finds its bucket empty is blocked for `blockMs`. Every request seen
 * while blocked pushes the end of the block out again, so a source that keeps flooding stays
 * blocked until it stops. Time comes from the injected clock; state is bounded by `maxSources`.
 */
import type { Clock, TimerHandle } from '../../util/clock.js';
import { BoundedMap } from './bounded-map.js';

export interface RateLimitOptions {
  /** Sustained requests per second per source. */
  ratePerS: number;
  /** Requests a source may send at once before the rate applies. */
  burst: number;
  /** How long a source that exceeded the rate stays blocked, ms. */
  blockMs: number;
  /** Sources tracked at once (least recently seen forgotten first). */
  maxSources: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { ratePerS: 20, burst: 40, blockMs: 60_000, maxSources: 10_000 };

/** `pass`: go on; `blocked`: drop (the source is blocked); `blocked-now`: drop, and this request started the block. */
export type RateVerdict = 'pass' | 'blocked' | 'blocked-now';

interface Bucket {
  tokens: number;
  at: number;
  blockedUntil: number;
  timer?: TimerHandle;
}

export interface RateLimiterEvents {
  /** A source was blocked (once per block). */
  onBlocked?: (source: string) => void;
  /** A block ended (the source was quiet for `blockMs`, or was forgotten to make room). */
  onUnblocked?: (source: string) => void;
}

export class RateLimiter {
  private readonly buckets: BoundedMap<string, Bucket>;

  constructor(
    private readonly clock: Clock,
    private readonly opts: RateLimitOptions = DEFAULT_RATE_LIMIT,
    private readonly events: RateLimiterEvents = {},
  ) {
    if (!(opts.ratePerS > 0) || !(opts.burst >= 1) || !(opts.blockMs >= 0)) throw new RangeError('rate limit: ratePerS > 0, burst >= 1, blockMs >= 0');
    this.buckets = new BoundedMap(opts.maxSources, (source, b) => this.endBlock(source, b));
  }

  /** Number of sources blocked right now. */
  get blockedCount(): number {
    let n = 0;
    for (const [, b] of this.buckets.entries()) if (b.timer) n++;
    return n;
  }

  isBlocked(source: string): boolean {
    return this.buckets.get(source)?.timer !== undefined;
  }

  /** Account one request from `source`. */
  take(source: string): RateVerdict {
    const now = this.clock.now();
    let b = this.buckets.get(source);
    if (!b) {
      b = { tokens: this.opts.burst, at: now, blockedUntil: 0 };
      this.buckets.set(source, b);
    }
    if (b.timer) {
      b.blockedUntil = now + this.opts.blockMs;
      return 'blocked';
    }
    b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) / 1000) * this.opts.ratePerS);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 'pass';
    }
    b.blockedUntil = now + this.opts.blockMs;
    this.armUnblock(source, b, this.opts.blockMs);
    this.events.onBlocked?.(source);
    return 'blocked-now';
  }

  private armUnblock(source: string, b: Bucket, ms: number): void {
    b.timer = this.clock.setTimer(ms, () => {
      b.timer = undefined;
      const left = b.blockedUntil - this.clock.now();
      if (left > 0) {
        this.armUnblock(source, b, left);
        return;
      }
      b.tokens = this.opts.burst;
      b.at = this.clock.now();
      this.events.onUnblocked?.(source);
    });
  }

  private endBlock(source: string, b: Bucket): void {
    if (!b.timer) return;
    b.timer.cancel();
    b.timer = undefined;
    this.events.onUnblocked?.(source);
  }

  /** Cancel every timer (close). Blocks end without events. */
  close(): void {
    for (const [, b] of this.buckets.entries()) {
      b.timer?.cancel();
      b.timer = undefined;
    }
    this.buckets.clear();
  }
}
