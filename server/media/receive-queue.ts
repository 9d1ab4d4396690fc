/**
 * The media session's receive loop runs after socket reads: the receive clock's timer callback only
 * queues the tick (with its due time) and the playout runs from a deferred callback (`setImmediate`
 * in production). Node runs timers before it polls for I/O, so after an event-loop stall (GC, a slow
 * listener, a busy machine) the catch-up ticks would otherwise run before the packets that arrived
 * during the stall are read, and conceal frames whose packets are already waiting in the socket
 * (test/media/session/stall.test.ts measures the difference). libuv reads at most 32 datagrams per
 * socket per loop iteration, so a long backlog of ticks is worked off in slices of
 * RECEIVE_TICKS_PER_TURN per iteration, letting the reads keep ahead. The queues of every session of
 * the thread that have ticks waiting are drained from one `setImmediate` per turn (`deferAfterReads`).
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

/**
 * The receive ticks every session of this thread deferred in one turn, run from one `setImmediate`
 * (in the same check phase and order as one `setImmediate` each, which cost an Immediate per session
 * and tick). A tick deferred while the batch runs goes to the next turn's batch, as it would have.
 * Two arrays take turns (one filling, one running) and are emptied in place: a turn allocates only
 * its Immediate.
 */
let deferredTicks: Array<(() => void) | undefined> = [];
let runningTicks: Array<(() => void) | undefined> = [];
let deferredCount = 0;

function runDeferredTicks(): void {
  const batch = deferredTicks;
  const n = deferredCount;
  deferredTicks = runningTicks;
  runningTicks = batch;
  deferredCount = 0;
  let failed: { err: unknown } | null = null;
  for (let i = 0; i < n; i++) {
    const fn = batch[i]!;
    // Not kept past its turn (a closed session's queue must not stay reachable from here).
    batch[i] = undefined;
    try {
      fn();
    } catch (err) {
      // As uncaught as it was from its own setImmediate, but only after the other sessions' ticks ran.
      failed ??= { err };
    }
  }
  if (failed) throw failed.err;
}

/** The production `defer`: the receive ticks run after pending socket reads, batched per turn. */
export function deferAfterReads(fn: () => void): void {
  if (deferredCount === 0) setImmediate(runDeferredTicks);
  deferredTicks[deferredCount++] = fn;
}

export class ReceiveQueue {
  /**
   * Due times of receive ticks waiting for the deferred run: a ring (`head`, `count`) that grows only
   * when a stall queues more than it holds, so the usual turn (a tick or a few) allocates nothing.
   */
  private q = new Float64Array(RECEIVE_TICKS_PER_TURN);
  private head = 0;
  private count = 0;
  private scheduled = false;
  /** Queued receive ticks skipped for lagging more than RECEIVE_MAX_LAG_MS. */
  private lagSkipped = 0;
  /** The deferred callback, made once (not a closure per tick). */
  private readonly drainFn = (): void => this.drain();

  constructor(private readonly h: ReceiveQueueHooks) {}

  /** The receive clock's callback: queue the tick and run it after pending socket reads. */
  push(dueMs: number): void {
    if (!this.h.live()) return;
    if (this.count === this.q.length) this.grow();
    this.q[(this.head + this.count) % this.q.length] = dueMs;
    this.count++;
    if (this.scheduled) return;
    this.scheduled = true;
    this.h.defer(this.drainFn);
  }

  /** Drops the queued ticks (the path is being stopped). */
  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  /** The receive clock's stats with the ticks skipped here counted as skipped, not delivered. */
  clockStats(s: FrameClockStats | undefined): FrameClockStats | null {
    if (!s) return null;
    return { ...s, ticks: s.ticks - this.lagSkipped, skippedTicks: s.skippedTicks + this.lagSkipped };
  }

  private grow(): void {
    const next = new Float64Array(this.q.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.q[(this.head + i) % this.q.length]!;
    this.q = next;
    this.head = 0;
  }

  private drain(): void {
    this.scheduled = false;
    const oldest = this.h.clock.now() - RECEIVE_MAX_LAG_MS;
    while (this.count > 0 && this.q[this.head]! < oldest) {
      this.head = (this.head + 1) % this.q.length;
      this.count--;
      this.lagSkipped++;
    }
    for (let n = 0; n < RECEIVE_TICKS_PER_TURN && this.count > 0; n++) {
      const due = this.q[this.head]!;
      this.head = (this.head + 1) % this.q.length;
      this.count--;
      try {
        this.h.run(due);
      } catch (e) {
        this.h.onError(e);
      }
    }
    if (this.count > 0 && this.h.live()) {
      // More than a turn's worth (a long stall): let the next poll phase read more packets first.
      this.scheduled = true;
      this.h.defer(this.drainFn);
    }
  }
}
