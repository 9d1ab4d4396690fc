/**
 * The media session's receive loop runs after socket reads: the receive clock's timer callback only
 * queues the tick (with its due time) and the playout runs from a deferred callback (`setImmediate`
 * in production). Node runs timers before it polls for I/O, so after an event-loop stall (GC, a slow
 * listener, a busy machine) the catch-up ticks would otherwise run before the packets that arrived
 * during the stall are read, and conceal frames whose packets are already waiting in the socket
 * (test/media/session/stall.test.ts measures the difference). libuv reads at most 32 datagrams per
 * socket per loop iteration, so a long backlog of ticks is worked off in slices of
 * RECEIVE_TICKS_PER_TURN per iteration, letting the reads keep ahead.
 */
import type { Clock } from '../util/clock.js';
import type { FrameClockStats } from './frame-clock.js';

/** Queued receive ticks worked off per event-loop iteration (see the file comment). */
const RECEIVE_TICKS_PER_TURN = 16;
/**
 * A queued receive tick older than this when its turn comes is skipped (counted with the receive
 * clock's skipped ticks), as the frame clock itself skips ticks after a longer stall: a process too
 * starved to keep up must not play on ever further behind real time.
 */
const RECEIVE_MAX_LAG_MS = 200;

export interface ReceiveQueueHooks {
  clock: Clock;
  /** Runs the queued ticks after pending socket reads. */
  defer: (fn: () => void) => void;
  /** Whether the path this queue feeds is still the session's live receive path. */
  live: () => boolean;
  /** Plays one receive tick due at `dueMs`. */
  run: (dueMs: number) => void;
  /** A tick threw. */
  onError: (e: unknown) => void;
}

export class ReceiveQueue {
  /** Due times of receive ticks waiting for the deferred run. */
  private readonly q: number[] = [];
  private scheduled = false;
  /** Queued receive ticks skipped for lagging more than RECEIVE_MAX_LAG_MS. */
  private lagSkipped = 0;
  /** The deferred callback, made once (not a closure per tick). */
  private readonly drainFn = (): void => this.drain();

  constructor(private readonly h: ReceiveQueueHooks) {}

  /** The receive clock's callback: queue the tick and run it after pending socket reads. */
  push(dueMs: number): void {
    if (!this.h.live()) return;
    this.q.push(dueMs);
    if (this.scheduled) return;
    this.scheduled = true;
    this.h.defer(this.drainFn);
  }

  /** Drops the queued ticks (the path is being stopped). */
  clear(): void {
    this.q.length = 0;
  }

  /** The receive clock's stats with the ticks skipped here counted as skipped, not delivered. */
  clockStats(s: FrameClockStats | undefined): FrameClockStats | null {
    if (!s) return null;
    return { ...s, ticks: s.ticks - this.lagSkipped, skippedTicks: s.skippedTicks + this.lagSkipped };
  }

  private drain(): void {
    this.scheduled = false;
    const q = this.q;
    const oldest = this.h.clock.now() - RECEIVE_MAX_LAG_MS;
    let stale = 0;
    while (stale < q.length && (q[stale] as number) < oldest) stale++;
    this.lagSkipped += stale;
    const end = Math.min(q.length, stale + RECEIVE_TICKS_PER_TURN);
    for (let i = stale; i < end; i++) {
      try {
        this.h.run(q[i] as number);
      } catch (e) {
        this.h.onError(e);
      }
    }
    // The usual turn ran the whole queue (one tick or a few): empty it in place, no spliced-out copy.
    if (end === q.length) q.length = 0;
    else q.splice(0, end);
    if (q.length > 0 && this.h.live()) {
      // More than a turn's worth (a long stall): let the next poll phase read more packets first.
      this.scheduled = true;
      this.h.defer(this.drainFn);
    }
  }
}
