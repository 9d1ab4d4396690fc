/**
 * The one place protocol code gets time from.
 *
 * Protocol timers (SIP Timer A–K, RTCP interval, redial backoff, OPTIONS probes)
 * take a `Clock` by injection so that tests can run 32 s of Timer B in a millisecond
 * with `FakeClock`. Only this module touches `setTimeout` and the monotonic clock.
 */

export interface TimerHandle {
  /** Idempotent. */
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds (fractional allowed). Not wall time. */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for timestamps shown to people (history, NTP in RTCP). */
  wallNow(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** Largest delay we ever arm: a header such as `Expires: 99999999999` must not become a 1 ms timer (Node clamps > 2^31-1 to 1). */
export const MAX_TIMER_MS = 2_147_000_000;

function clampDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/** A Node timer as a TimerHandle: a class, so arming a timer allocates no closure besides the callback. */
class NodeTimer implements TimerHandle {
  constructor(private readonly t: NodeJS.Timeout) {}
  cancel(): void {
    clearTimeout(this.t);
  }
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, clampDelay(ms));
    t.unref?.();
    return new NodeTimer(t);
  },
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A deterministic clock for tests. `advance(ms)` fires due timers in time order
 * (ties in the order they were armed), letting callbacks arm new timers that also fire
 * if they fall inside the advanced window.
 */
export class FakeClock implements Clock {
  private t: number;
  private wallOffset: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(start = 0, wallStart = 1_700_000_000_000) {
    this.t = start;
    this.wallOffset = wallStart - start;
  }

  now(): number {
    return this.t;
  }

  wallNow(): number {
    return this.t + this.wallOffset;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: FakeTimer = { at: this.t + clampDelay(ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Number of armed, uncancelled timers (for leak checks). */
  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: FakeTimer | undefined;
      for (const t of this.timers) {
        if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.t = Math.max(this.t, next.at);
      next.cancelled = true;
      next.fn();
    }
    this.t = end;
  }
}
