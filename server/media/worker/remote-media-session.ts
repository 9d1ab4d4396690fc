/**
 * A media session that runs in a worker thread, seen from the main thread: the same public surface as
 * `MediaSession` (it satisfies `MediaSessionLike`). Opened through `MediaWorkerPool.open()`.
 *
 * - `update()` and `close()` are messages to the worker and resolve when it has applied them.
 * - `currentParams()`, `localRtpPort`, `localRtcpPort` and `isClosed` are answered here, synchronously,
 *   from what the worker reported (ports never change after open; params change when update resolves).
 * - `stats()` is synchronous and returns the LATEST SNAPSHOT THE WORKER SENT: the worker pushes
 *   every session's meters every `statsIntervalMs` (100 ms by default) and its full stats every
 *   `fullStatsIntervalMs` (by default the same interval) and after each event, batched per worker (a fifth of its
 *   sessions every interval / 5, to spread the work), so the meters are at most one interval and the
 *   rest at most one full interval (plus message latency, normally < 1 ms) old. Counters are
 *   therefore monotonic but coarse. A snapshot is also taken on open (valid as soon as `open()`
 *   resolves), on every update (in force when `update()` resolves) and on close (after close()
 *   resolves, stats() is the final one, with `closed: true`). Those three come as deltas against
 *   what this side already holds (stats-delta.ts), to copy a few fields across threads rather than
 *   the whole snapshot; the result is the same object the worker's `stats()` returned, field for
 *   field. Monotonic times inside it
 *   (`openedAtMs`, `lastRxMs`, event `sinceMs`) are comparable with the main thread's
 *   `performance.now()`: Node's worker threads share the process's time origin. The returned object is
 *   shared between callers until the next push: do not mutate it.
 * - Events are the worker session's events, re-emitted here in order.
 * - If the worker thread dies, the session emits 'closed' `{ reason: 'worker-exit', message }` once
 *   (after an 'error' `{ code: 'MEDIA_WORKER_EXIT', where: 'worker' }` for listeners that log errors),
 *   `isClosed` turns true and its last snapshot is kept (with `closed: true`). Nothing more will come
 *   from it: its owner should treat it like a dead link (close it — a no-op — and redial). A session
 *   ended by `close()` emits neither.
 */
import { AcipError } from '../../util/errors.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import type { MediaSessionEvents, MediaSessionParams, MediaSessionStats } from '../session-types.js';
import type { MeterPair } from './worker-protocol.js';
import { resolveStatsUpdate, withMeters, type StatsUpdate } from './stats-delta.js';
import type { MediaSessionLike } from './media-session-like.js';

/**
 * Code of the requests that fail because the worker died, and of the 'error' event a session emits
 * then (its 'closed' event is the signal to act on).
 */
export const MEDIA_WORKER_EXIT = 'MEDIA_WORKER_EXIT';

/** What a RemoteMediaSession asks of its pool. */
export interface RemoteSessionHost {
  /**
   * Resolves once the worker applied `params` (they are then in force, as sent), after handing this
   * session the new snapshot (`applyStatsUpdate`). A failure may have applied part of the change: the
   * host hands the session the parameters in force (`applyParams`) before it rejects.
   */
  updateSession(id: number, params: MediaSessionParams): Promise<void>;
  /** Resolves with the final stats, or null if the worker no longer had the session. */
  closeSession(id: number, reason: string | null): Promise<MediaSessionStats | null>;
}

export interface RemoteSessionInit {
  id: number;
  localRtpPort: number;
  localRtcpPort: number;
  params: MediaSessionParams;
  stats: MediaSessionStats;
}

export class RemoteMediaSession extends TypedEmitter<MediaSessionEvents> implements MediaSessionLike {
  readonly linkId: string;
  /** The pool's id for this session (unique per pool). */
  readonly id: number;
  readonly localRtpPort: number;
  readonly localRtcpPort: number;
  private params: MediaSessionParams;
  private snapshot: MediaSessionStats;
  /**
   * Meters pushed since `snapshot` was last brought up to date: applied when the snapshot is next read
   * (`stats()`, a delta, the final one), so a session nobody looks at between two pushes costs no copy.
   */
  private pendingMeters: MeterPair | null = null;
  private closing: Promise<void> | null = null;
  private lost = false;
  /**
   * The final snapshot is in: nothing more is applied. Until then every push is, even while closing:
   * the worker's deltas are made against the snapshot with all its pushes applied.
   */
  private final = false;

  /** @internal Created by MediaWorkerPool. */
  constructor(
    private readonly host: RemoteSessionHost,
    init: RemoteSessionInit,
    onListenerError?: (event: string, err: unknown) => void,
  ) {
    super();
    this.id = init.id;
    this.linkId = init.params.linkId;
    this.localRtpPort = init.localRtpPort;
    this.localRtcpPort = init.localRtcpPort;
    this.params = init.params;
    this.snapshot = init.stats;
    if (onListenerError) this.onListenerError = onListenerError;
  }

  get isClosed(): boolean {
    return this.closing !== null || this.lost;
  }

  /** Whether the session ended because its worker died (rather than by close()). */
  get workerLost(): boolean {
    return this.lost;
  }

  currentParams(): MediaSessionParams {
    return structuredClone(this.params);
  }

  /** The latest snapshot pushed by the worker (see the file comment for its staleness). */
  stats(): MediaSessionStats {
    const m = this.pendingMeters;
    if (m) {
      this.pendingMeters = null;
      this.snapshot = withMeters(this.snapshot, m);
    }
    return this.snapshot;
  }

  async update(next: MediaSessionParams): Promise<void> {
    if (this.isClosed) throw new AcipError('MEDIA_SESSION_CLOSED', 'media session is closed');
    // Copy now: the caller may mutate its object while the request is in flight. On success it is
    // what the worker has in force.
    const own = structuredClone(next);
    await this.host.updateSession(this.id, own);
    this.params = own;
  }

  close(reason?: string): Promise<void> {
    if (this.closing) return this.closing;
    if (this.lost) {
      this.closing = Promise.resolve();
      return this.closing;
    }
    this.closing = this.host.closeSession(this.id, reason ?? null).then(
      (final) => {
        if (final) this.setFinal(final);
        else this.markSnapshotClosed();
      },
      // The host only fails a close when the worker died meanwhile: the session is gone either way.
      () => this.markSnapshotClosed(),
    );
    return this.closing;
  }

  // ---- fed by the pool ------------------------------------------------------------------------

  /** @internal A full snapshot pushed by the worker. */
  applyStats(s: MediaSessionStats): void {
    if (this.final) return;
    this.snapshot = s;
    this.pendingMeters = null;
  }

  /** @internal The snapshot of an update reply: a delta against this one, or whole. */
  applyStatsUpdate(u: StatsUpdate): void {
    if (!this.final) this.snapshot = resolveStatsUpdate(this.stats(), u);
  }

  /** @internal Fresh meters between full snapshots: the rest of the snapshot stays as it was. */
  applyMeters(m: MeterPair): void {
    if (!this.final) this.pendingMeters = m;
  }

  /** @internal */
  applyParams(p: MediaSessionParams): void {
    this.params = p;
  }

  /** @internal */
  deliver(name: keyof MediaSessionEvents, args: unknown[]): void {
    // 'closed' is this side's own finding (workerExited), never the worker's to report.
    if (this.lost || name === 'closed') return;
    (this.emit as (n: keyof MediaSessionEvents, ...a: unknown[]) => void)(name, ...args);
  }

  /** @internal The pool closed it (shutdown) with this final snapshot. */
  closedByPool(final: MediaSessionStats | null): void {
    if (!this.closing) this.closing = Promise.resolve();
    if (final) this.setFinal(final);
    else this.markSnapshotClosed();
  }

  /** @internal The worker died: report once, then stay closed. */
  workerExited(message: string): void {
    if (this.lost || this.closing) {
      this.lost = true;
      this.markSnapshotClosed();
      return;
    }
    this.lost = true;
    this.markSnapshotClosed();
    this.emit('error', { code: MEDIA_WORKER_EXIT, message, where: 'worker' });
    this.emit('closed', { reason: 'worker-exit', message });
  }

  private setFinal(s: MediaSessionStats): void {
    this.final = true;
    this.snapshot = s;
    this.pendingMeters = null;
  }

  /** No final snapshot will come: the last one, marked closed, stands for it. */
  private markSnapshotClosed(): void {
    const last = this.stats();
    this.final = true;
    if (!last.closed) this.snapshot = { ...last, closed: true };
  }
}
