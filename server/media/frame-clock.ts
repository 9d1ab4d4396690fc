/**
 * The audio clock of one direction of a media session: ticks once per frame duration.
 *
 * Tick k is due at t0 + k·frameMs (a product, never a running sum, so rounding cannot
 * accumulate: after any time T exactly floor(T/frameMs)+1 ticks are due). Each wake-up
 * delivers every tick that is due by then, in order, so a late timer delays ticks but never
 * loses or adds one. Node's timers have about 1 ms granularity, so the clock never sleeps less
 * than `minWakeMs` (default 2 ms): at 1 ms or 2.5 ms frames it fires in small batches.
 *
 * If the process stalls (GC, a blocked event loop) for longer than `maxCatchUpMs` (default 200 ms),
 * the ticks older than that are skipped rather than delivered in a burst that would flood the
 * network or the jitter buffer; the tick numbers keep counting real time (so RTP timestamps do
 * too) and the skips are counted.
 *
 * A wake-up also delivers a tick due within `earlyMs` (default 1 ms, at most half a frame) from
 * now: Node's timer wheel works in whole milliseconds and may fire a fraction of a millisecond
 * before the requested time, and without this tolerance such a tick would wait a full
 * `minWakeMs` more.
 *
 * Time comes from an injected Clock (monotonic `now()` in ms and `setTimer`), `systemClock`
 * (performance.now + setTimeout) by default, `FakeClock` in tests. The wake-ups of every frame clock
 * on the same Clock go through one timer (frame-ticker.ts): a thread running many sessions arms one
 * timer per distinct millisecond, not one per clock per wake-up.
 */
import { systemClock, type Clock } from '../util/clock.js';
import { tickerEntry, tickerFor, type FrameTicker, type TickerEntry } from './frame-ticker.js';

export interface FrameClockOptions {
  /** Frame duration in milliseconds (e.g. 20, 5, 2.5, 1, or samples·1000/rate). */
  frameMs: number;
  /** Called for every tick with its number (0, 1, 2, ...) and its due time on the clock. */
  onTick: (tick: number, dueMs: number) => void;
  clock?: Clock;
  minWakeMs?: number;
  maxCatchUpMs?: number;
  earlyMs?: number;
  /** A throwing onTick is contained and reported here; the clock keeps running. */
  onError?: (err: unknown) => void;
}

export interface FrameClockStats {
  frameMs: number;
  /** Ticks delivered to onTick. */
  ticks: number;
  /** Ticks skipped after a stall longer than maxCatchUpMs. */
  skippedTicks: number;
  /** Timer wake-ups. */
  wakeups: number;
  /** Largest number of ticks delivered in one wake-up. */
  maxBatch: number;
  /** Lateness (delivery time − due time; negative when delivered within earlyMs) of the most recent tick and the worst so far, ms. */
  lastLateMs: number;
  maxLateMs: number;
}

export class FrameClock {
  readonly frameMs: number;
  private readonly clock: Clock;
  private readonly onTick: FrameClockOptions['onTick'];
  private readonly onError: (err: unknown) => void;
  private readonly minWakeMs: number;
  private readonly maxCatchUpMs: number;
  private readonly earlyMs: number;
  private t0 = 0;
  private next = 0; // number of the next tick to deliver
  private running = false;
  private stopped = false;
  private s: FrameClockStats;
  /** The shared timer of this clock's Clock, and this clock's standing request in it (made once). */
  private readonly ticker: FrameTicker;
  private readonly entry: TickerEntry = tickerEntry(() => this.wake());

  constructor(opts: FrameClockOptions) {
    if (!(opts.frameMs > 0) || !Number.isFinite(opts.frameMs)) throw new RangeError(`frameMs ${opts.frameMs} must be a positive number`);
    this.frameMs = opts.frameMs;
    this.clock = opts.clock ?? systemClock;
    this.onTick = opts.onTick;
    this.onError = opts.onError ?? ((e) => console.error('frame clock tick failed', e));
    this.minWakeMs = opts.minWakeMs ?? 2;
    this.maxCatchUpMs = Math.max(opts.maxCatchUpMs ?? 200, this.frameMs);
    this.earlyMs = Math.min(opts.earlyMs ?? 1, this.frameMs / 2);
    this.s = { frameMs: this.frameMs, ticks: 0, skippedTicks: 0, wakeups: 0, maxBatch: 0, lastLateMs: 0, maxLateMs: 0 };
    this.ticker = tickerFor(this.clock);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Number of the next tick to be delivered (= ticks delivered + skipped). */
  get nextTick(): number {
    return this.next;
  }

  /** Due time of tick k on the injected clock. */
  dueTime(k: number): number {
    return this.t0 + k * this.frameMs;
  }

  /**
   * Starts ticking; tick 0 is due at `originMs` (default now; a past origin, e.g. when the owner was
   * created, just makes the first wake-up deliver the ticks due since). Ignored if running or stopped.
   */
  start(originMs?: number): void {
    if (this.running || this.stopped) return;
    this.running = true;
    const now = this.clock.now();
    this.t0 = originMs === undefined ? now : Math.min(originMs, now);
    this.next = 0;
    this.arm(now, 0);
  }

  /** Stops for good. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.running = false;
    this.ticker.cancel(this.entry);
  }

  stats(): FrameClockStats {
    return { ...this.s };
  }

  private arm(now: number, ms: number): void {
    // Node truncates fractional delays (asking 19.8 ms fires after ~19.2): round up to whole
    // milliseconds so a wake lands at or just after the intended time, inside the early window.
    this.ticker.schedule(this.entry, now + Math.ceil(ms));
  }

  private wake(): void {
    if (!this.running) return;
    this.s.wakeups++;
    const now = this.clock.now();
    // Ticks due more than maxCatchUpMs ago are skipped (see the file comment).
    const oldestAllowed = Math.ceil((now - this.maxCatchUpMs - this.t0) / this.frameMs);
    if (oldestAllowed > this.next) {
      this.s.skippedTicks += oldestAllowed - this.next;
      this.next = oldestAllowed;
    }
    let batch = 0;
    while (this.running && this.dueTime(this.next) <= now + this.earlyMs) {
      const k = this.next++;
      const due = this.dueTime(k);
      const late = now - due;
      this.s.ticks++;
      this.s.lastLateMs = late;
      if (late > this.s.maxLateMs) this.s.maxLateMs = late;
      batch++;
      try {
        this.onTick(k, due);
      } catch (err) {
        this.onError(err);
      }
    }
    if (batch > this.s.maxBatch) this.s.maxBatch = batch;
    if (!this.running) return;
    const now2 = this.clock.now();
    const nextDue = this.dueTime(this.next);
    // After a batch, sleep at least minWakeMs (batching short frames). A wake that found nothing
    // due (the timer fired a little early) sleeps exactly until the due time instead.
    this.arm(now2, batch > 0 ? Math.max(this.minWakeMs, nextDue - this.earlyMs - now2) : Math.max(0, nextDue - now2));
  }
}
