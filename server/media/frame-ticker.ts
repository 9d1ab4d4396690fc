/**
 * One timer per clock (per thread) for every frame clock on it: "one tick drives many sessions".
 *
 * Each frame clock asks to be woken at an absolute time on the clock; the ticker keeps the requests
 * in a binary heap ordered by (whole millisecond, order asked) and arms a single timer on the
 * injected clock for the earliest. When it fires, every frame clock whose millisecond has come is
 * woken, in that order, and the timer is armed again for the next earliest. A frame clock keeps its
 * own tick numbers, due times, catch-up and early window (frame-clock.ts): the ticker only replaces
 * N timers (a Node `Timeout` and a handle per wake-up of every session's send and receive clocks)
 * with one, and a timer that fires late (a busy event loop) wakes every clock whose time has passed
 * in one callback.
 *
 * Requests are grouped by whole millisecond (rounded down), as Node groups timers that expire in the
 * same millisecond: a clock may be woken up to a millisecond before the fractional time it asked
 * for, as its own Node timer could have been, which the frame clock's early window absorbs. On a
 * clock with whole-millisecond times (FakeClock in tests) every clock wakes exactly when it asked.
 */
import type { Clock, TimerHandle } from '../util/clock.js';

/** A frame clock's standing request (one object per frame clock, reused for every wake-up). */
export interface TickerEntry {
  /** The whole millisecond on the clock at which to wake. */
  at: number;
  /** Order of the request among those of the same millisecond. */
  seq: number;
  /** Position in the heap, -1 when not scheduled. */
  index: number;
  readonly wake: () => void;
}

export function tickerEntry(wake: () => void): TickerEntry {
  return { at: 0, seq: 0, index: -1, wake };
}

export class FrameTicker {
  private readonly heap: TickerEntry[] = [];
  private seq = 0;
  private timer: TimerHandle | undefined;
  /** The millisecond the armed timer is for (Infinity when none is armed). */
  private timerAt = Infinity;
  /** Set while the timer callback wakes clocks: their new requests are armed once, after. */
  private firing = false;
  private readonly fireFn = (): void => this.fire();

  constructor(private readonly clock: Clock) {}

  /** Number of frame clocks waiting (for tests). */
  get size(): number {
    return this.heap.length;
  }

  /** Wake `e` in the millisecond of `atMs`; replaces its previous request. */
  schedule(e: TickerEntry, atMs: number): void {
    if (e.index >= 0) this.removeAt(e.index);
    // Grouped by whole millisecond, as Node's timer wheel groups timers (see the file comment).
    e.at = Math.floor(atMs);
    e.seq = this.seq++;
    e.index = this.heap.length;
    this.heap.push(e);
    this.up(e.index);
    if (!this.firing && e.at < this.timerAt) this.arm();
  }

  /** Drops `e`'s request (idempotent); the timer is cancelled when no request is left. */
  cancel(e: TickerEntry): void {
    if (e.index < 0) return;
    this.removeAt(e.index);
    if (this.heap.length === 0 && !this.firing) this.disarm();
  }

  private arm(): void {
    this.disarm();
    const top = this.heap[0];
    if (!top) return;
    this.timerAt = top.at;
    // Whole milliseconds, rounded up, as the frame clock asked its own timer for (Node truncates a
    // fractional delay).
    this.timer = this.clock.setTimer(Math.max(0, Math.ceil(top.at - this.clock.now())), this.fireFn);
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private fire(): void {
    // A timer may fire a fraction of a millisecond before the time it was armed for (Node's timer
    // wheel counts whole milliseconds of its cached loop time): it counts as having reached it.
    const reached = Math.max(this.clock.now(), this.timerAt);
    this.timer = undefined;
    this.timerAt = Infinity;
    // Requests made while waking (a clock re-arming itself) wait for the next timer, as a timer armed
    // from inside a timer callback would.
    const limit = this.seq;
    let failed: { err: unknown } | null = null;
    this.firing = true;
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > reached || top.seq >= limit) break;
      this.removeAt(0);
      try {
        top.wake();
      } catch (err) {
        failed ??= { err };
      }
    }
    this.firing = false;
    this.arm();
    if (failed) throw failed.err;
  }

  // Binary heap on (at, seq).

  private less(a: TickerEntry, b: TickerEntry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private removeAt(i: number): void {
    const h = this.heap;
    const e = h[i]!;
    const last = h.pop()!;
    e.index = -1;
    if (i === h.length) return;
    h[i] = last;
    last.index = i;
    this.up(i);
    this.down(last.index);
  }

  private up(i: number): void {
    const h = this.heap;
    const e = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = h[p]!;
      if (!this.less(e, pe)) break;
      h[i] = pe;
      pe.index = i;
      i = p;
    }
    h[i] = e;
    e.index = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(h[r]!, h[l]!) ? r : l;
      const ce = h[c]!;
      if (!this.less(ce, e)) break;
      h[i] = ce;
      ce.index = i;
      i = c;
    }
    h[i] = e;
    e.index = i;
  }
}

/**
 * The origin a media session gives its frame clocks: a grid point of the clock (a multiple of
 * TICK_GRID_MS, at most that long before the session opened or its codec changed), so that the sessions' send and
 * receive ticks of any frame length that divides it, or that it divides (1, 2.5, 5, 10, 20 ms ...),
 * fall due at the same moments: one timer wake-up (the ticker above) then drives them all, where
 * random phases cost a wake-up of the event loop per session tick. Each session keeps its own
 * pacing: only its phase is chosen. A past origin makes the first wake-up deliver the tick due at it.
 */
export const TICK_GRID_MS = 5;

export function tickGridAtOrBefore(nowMs: number): number {
  return Math.floor(nowMs / TICK_GRID_MS) * TICK_GRID_MS;
}

/** The ticker of each clock (one per clock object, per thread). */
const tickers = new WeakMap<Clock, FrameTicker>();

export function tickerFor(clock: Clock): FrameTicker {
  let t = tickers.get(clock);
  if (!t) {
    t = new FrameTicker(clock);
    tickers.set(clock, t);
  }
  return t;
}
