/**
 * Failed-authentication lockout: after `maxFailures` failed digest attempts from one source for
 * one user name within `windowMs`, that (source, user) pair is refused without checking for
 * `lockoutMs`, so a password cannot be guessed faster than `maxFailures` per lockout period.
 * Keyed by the packet source and the user name the caller claims, so a guesser at one address
 * does not lock the real user out everywhere. Bounded, timed by the injected clock.
 */
import type { Clock } from '../../util/clock.js';
import { BoundedMap } from './bounded-map.js';

export interface LockoutOptions {
  maxFailures: number;
  /** Failures older than this are forgotten, ms. */
  windowMs: number;
  lockoutMs: number;
  maxEntries: number;
}

export const DEFAULT_LOCKOUT: LockoutOptions = { maxFailures: 10, windowMs: 600_000, lockoutMs: 300_000, maxEntries: 10_000 };

interface Failures {
  count: number;
  firstAt: number;
  lockedUntil: number;
}

export class AuthLockout {
  private readonly entries: BoundedMap<string, Failures>;

  constructor(
    private readonly clock: Clock,
    private readonly opts: LockoutOptions = DEFAULT_LOCKOUT,
  ) {
    this.entries = new BoundedMap(opts.maxEntries);
  }

  private key(source: string, user: string): string {
    return `${source}\u0000${user}`;
  }

  isLocked(source: string, user: string): boolean {
    const e = this.entries.get(this.key(source, user));
    return e !== undefined && e.lockedUntil > this.clock.now();
  }

  /** Count a failure; true when this failure locks the pair out. */
  fail(source: string, user: string): boolean {
    const now = this.clock.now();
    const k = this.key(source, user);
    let e = this.entries.get(k);
    if (!e || now - e.firstAt > this.opts.windowMs || (e.lockedUntil !== 0 && e.lockedUntil <= now)) {
      e = { count: 0, firstAt: now, lockedUntil: 0 };
    }
    e.count++;
    const locks = e.count >= this.opts.maxFailures;
    if (locks) e.lockedUntil = now + this.opts.lockoutMs;
    this.entries.set(k, e);
    return locks;
  }

  /** A successful authentication clears the pair's failures. */
  succeed(source: string, user: string): void {
    this.entries.delete(this.key(source, user));
  }
}
