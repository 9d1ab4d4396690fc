/**
 * One timer for all the frame clocks of a thread.
 *
 * Every media session has a FrameClock per direction, each re-arming its own timer every frame or
 * receive tick: with 80 sessions that is some 20 000 timer wake-ups per second, each a Node Timeout
 * object, a timer-list insertion, an unref and a callback from the timer phase. Node fires timers on a
 * whole-millisecond loop clock anyway, so the wake-ups that fall in the same millisecond can share one
 * underlying timer: the TickScheduler is a Clock whose `setTimer` files the callback under the whole
 * millisecond it is due in (`ceil(now + ms)` on the base clock) and keeps one base timer armed, for the
 * earliest such millisecond. When it fires, every callback filed under that millisecond (and under any
 * earlier one still waiting, after a stall) runs, in due order and, within a millisecond, in the order
 * they were filed. A thread then wakes at most once per millisecond for its frame clocks, however many
 * sessions it runs.
 *
 * Timing: a callback never runs before its whole millisecond, so it runs at most 1 ms later than asked
 * on a clock with fractional time (`performance.now()`: the granularity Node's timers have anyway) and
 * exactly when asked on a clock with whole-millisecond times (a FakeClock driven in whole ms).
 * Callbacks filed while a millisecond runs go to a later run, never the running one (as a timer armed
 * from a timer callback does). A callback that throws does not stop the others of its millisecond: the
 * first error is rethrown once they all ran, as uncaught as it would have been from its own timer.
 * Cancelling the last live callback of a millisecond disarms or moves the base timer, so a scheduler
 * with nothing filed holds no timer (leak checks on a FakeClock see none).
 *
 * One scheduler per base clock and thread (`sharedTickScheduler`); worker threads have their own.
 */
import { clampDelay, type Clock, type TimerHandle } from '../util/clock.js';

/** The callbacks due in one whole millisecond of the base clock. */
class TickSlot {
  readonly entries: TickEntry[] = [];
  /** Entries not cancelled. */
  live = 0;
  /** Whether the slot is still filed (not yet taken for running). */
  filed = true;
  constructor(readonly at: number) {}
}

class TickEntry implements TimerHandle {
  cancelled = false;
  constructor(
    readonly fn: () => void,
    private readonly slot: TickSlot,
    private readonly owner: TickScheduler,
  ) {}

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    if (--this.slot.live === 0 && this.slot.filed) this.owner.drop(this.slot);
  }
}

export interface TickSchedulerStats {
  /** Base timer wake-ups. */
  wakeups: number;
  /** Callbacks run. */
  callbacks: number;
  /** Most callbacks run in one wake-up. */
  maxBatch: number;
  /** Base timer wake-ups that came before their millisecond and only re-armed. */
  earlyWakeups: number;
}

export class TickScheduler implements Clock {
  /** Filed slots by millisecond, and their milliseconds in ascending order. */
  private readonly slots = new Map<number, TickSlot>();
  private readonly order: number[] = [];
  private armed: TimerHandle | null = null;
  private armedAt = Infinity;
  private running = false;
  private readonly st: TickSchedulerStats = { wakeups: 0, callbacks: 0, maxBatch: 0, earlyWakeups: 0 };
  private readonly fireFn = (): void => this.fire();

  constructor(readonly base: Clock) {}

  now(): number {
    return this.base.now();
  }

  wallNow(): number {
    return this.base.wallNow();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const at = Math.ceil(this.base.now() + clampDelay(ms));
    let slot = this.slots.get(at);
    if (!slot) {
      slot = new TickSlot(at);
      this.slots.set(at, slot);
      this.insertOrder(at);
    }
    const entry = new TickEntry(fn, slot, this);
    slot.entries.push(entry);
    slot.live++;
    if (!this.running && at < this.armedAt) this.arm();
    return entry;
  }

  /** Callbacks filed and not cancelled (for leak checks). */
  pending(): number {
    let n = 0;
    for (const s of this.slots.values()) n += s.live;
    return n;
  }

  stats(): TickSchedulerStats {
    return { ...this.st };
  }

  /** A slot's last live callback was cancelled: unfile it, and move the base timer if it was for it. */
  drop(slot: TickSlot): void {
    slot.filed = false;
    this.slots.delete(slot.at);
    const i = this.order.indexOf(slot.at);
    if (i >= 0) this.order.splice(i, 1);
    if (!this.running && slot.at === this.armedAt) this.arm();
  }

  /** Keeps `order` ascending (binary search; a handful of distinct milliseconds are filed at a time). */
  private insertOrder(at: number): void {
    const o = this.order;
    let lo = 0;
    let hi = o.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((o[mid] as number) < at) lo = mid + 1;
      else hi = mid;
    }
    o.splice(lo, 0, at);
  }

  /** Arms the base timer for the earliest filed millisecond, or disarms it if none. */
  private arm(): void {
    const next = this.order.length > 0 ? (this.order[0] as number) : Infinity;
    if (next === this.armedAt && this.armed) return;
    this.armed?.cancel();
    this.armed = null;
    this.armedAt = next;
    if (next === Infinity) return;
    // Exactly to the slot's millisecond (a fraction on a fractional clock: Node fires it on its
    // whole-millisecond loop clock, as it would the frame clock's own timer).
    this.armed = this.base.setTimer(Math.max(0, next - this.base.now()), this.fireFn);
  }

  private fire(): void {
    const firedAt = this.armedAt;
    this.armed = null;
    this.armedAt = Infinity;
    const now = this.base.now();
    if (now < firedAt) {
      // Early by the base clock (Node's loop clock counts whole milliseconds): running the slot now
      // would wake its frame clocks before their ticks are due, and each would only arm again.
      this.st.earlyWakeups++;
      this.arm();
      return;
    }
    const due: TickSlot[] = [];
    while (this.order.length > 0 && (this.order[0] as number) <= now) {
      const at = this.order.shift() as number;
      const slot = this.slots.get(at) as TickSlot;
      this.slots.delete(at);
      slot.filed = false;
      due.push(slot);
    }
    this.st.wakeups++;
    this.running = true;
    let failed: { err: unknown } | null = null;
    let batch = 0;
    try {
      for (const slot of due) {
        for (const e of slot.entries) {
          if (e.cancelled) continue;
          e.cancelled = true; // fired: a later cancel() is a no-op
          batch++;
          try {
            e.fn();
          } catch (err) {
            failed ??= { err };
          }
        }
      }
    } finally {
      this.running = false;
      this.st.callbacks += batch;
      if (batch > this.st.maxBatch) this.st.maxBatch = batch;
      this.arm();
    }
    if (failed) throw failed.err;
  }
}

const shared = new WeakMap<Clock, TickScheduler>();

/** This thread's scheduler over `clock` (made on first use); a TickScheduler is its own. */
export function sharedTickScheduler(clock: Clock): TickScheduler {
  if (clock instanceof TickScheduler) return clock;
  let s = shared.get(clock);
  if (!s) {
    s = new TickScheduler(clock);
    shared.set(clock, s);
  }
  return s;
}
