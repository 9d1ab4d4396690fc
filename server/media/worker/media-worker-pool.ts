/**
 * Media sessions in worker threads: the session is driven by messages and returns its stats by
 * snapshot, so it can run off the main thread, and a link count beyond one core's worth uses them all.
 *
 * - `open(params)` puts the session on the least-loaded worker (sum of `sessionCost`, ties by session
 *   count, then by index) and resolves with a `RemoteMediaSession` once the worker has opened it. A
 *   session's cost is re-computed on every update: a provisional one (both directions off) weighs
 *   almost nothing until its media is turned on.
 * - By default all workers start at construction (about 0.3 s each to load under tsx; `ready()` waits
 *   for them). With `startWorkers: 'on-demand'` none does: the first open starts worker 0, and the
 *   next worker starts once every running one carries WARM_COST (warmed up at half that). An idle
 *   service then holds no worker heap (16 MB each, more once warmed: worker-warm-up.ts). Workers load
 *   TypeScript through media-worker-boot.mjs (tsx registered inside; see there why not `execArgv`).
 * - Before it reports ready, each worker runs one short loopback call per codec (`warmUp`, see
 *   worker-warm-up.ts): first-use compilation is paid while nothing is live on the thread.
 * - With `realtimePriority`, each worker once warmed up asks for real-time scheduling (SCHED_RR, see
 *   thread-priority.ts), so a busy main thread or machine does not delay its frame clocks. Off by
 *   default: a saturated real-time worker leaves the SIP/API thread only the kernel's RT-throttling
 *   share of its core, so it is the operator's choice (`media.realtimePriority`).
 * - Blast radius: an exception that escapes a session inside a worker (a bug: sessions contain their
 *   own errors) ends that worker and so every session on it, where in one thread it would end the
 *   process. The pool's restart keeps the service up; the links redial.
 * - A worker that exits unasked (crash, uncaught error, `terminate()`): every session on it emits
 *   'closed' `{ reason: 'worker-exit' }` and reads closed, its pending requests reject with
 *   MEDIA_WORKER_EXIT (a pending close resolves: the session is gone), and the pool starts a new
 *   worker in its place (at once if the dead one had started, with capped exponential backoff if it
 *   died before becoming ready, so a worker that cannot even load does not spin). No rejection is left unhandled in the main thread.
 * - The requests of one turn of the event loop go to a worker as one message (worker-outbox.ts), as its replies come back.
 * - Idle workers are unref'd: a pool with no sessions and no requests does not keep the process up.
 * - `close()` is idempotent: asks each worker to close all its sessions (RTCP BYE, sockets, WAV
 *   recordings flushed), then terminates the threads.
 */
import { availableParallelism } from 'node:os';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { systemClock, type Clock, type TimerHandle } from '../../util/clock.js';
import { backoffDelay, type BackoffOptions } from '../../util/backoff.js';
import { AcipError, isAcipErrorCode } from '../../util/errors.js';
import type { MediaSessionLogger } from '../media-session.js';
import type { MediaSessionParams, MediaSessionStats } from '../session-types.js';
import type { MediaSessionOpener } from './media-session-like.js';
import { MEDIA_WORKER_EXIT, RemoteMediaSession, type RemoteSessionHost } from './remote-media-session.js';
import { sessionCost } from './session-cost.js';
import { resolveStatsUpdate } from './stats-delta.js';
import type { ClosedValue, FromWorker, FromWorkerBatch, GcValue, MediaWorkerData, OpenedValue, PlainErrorInfo, ShutdownValue, ToWorker, UpdatedValue } from './worker-protocol.js';
import { WorkerOutbox } from './worker-outbox.js';
import type { WarmUpSet } from './worker-warm-up.js';

export { MEDIA_WORKER_EXIT } from './remote-media-session.js';
export const MEDIA_POOL_CLOSED = 'MEDIA_POOL_CLOSED';

/**
 * Restart delay of a worker that died before it was ready: 100 ms, doubling, at most 10 s, without
 * jitter (one process restarts its own workers; nothing to de-synchronise from).
 */
const RESTART_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 10_000, factor: 2, jitter: 0, random: () => 0.5 };

/**
 * On-demand start: sessions go to another worker once every running worker carries this much
 * sessionCost (≈ % of a core). Low enough that links spread over the cores long before one is busy.
 */
export const WARM_COST = 10;

export interface MediaWorkerPoolOptions {
  /** Worker threads (default `os.availableParallelism()`). */
  workers?: number;
  /** How often each worker pushes its sessions' meters, ms (default 100). Meters in `stats()` are at most this stale. */
  statsIntervalMs?: number;
  /**
   * How often it pushes their full stats, ms (default: statsIntervalMs, every push is full; at least
   * statsIntervalMs, rounded to a multiple of it). The rest of `stats()` is at most this stale, except
   * right after an event. A service with many links sets 500: the meters keep their 10 Hz and the
   * worker copies a tenth of the bytes in between.
   */
  fullStatsIntervalMs?: number;
  /** Receives the workers' session log lines (warn/info; debug too with `forwardDebug`). */
  logger?: MediaSessionLogger;
  forwardDebug?: boolean;
  /** Restart backoff timers only (the sessions in the workers use the real system clock). */
  clock?: Clock;
  /** Time allowed for workers to close their sessions in `close()` before they are terminated (default 5000 ms). */
  closeTimeoutMs?: number;
  /** Tests only: another worker module (file URL, .ts or .js) in place of media-worker.ts. */
  entryForTest?: string;
  /**
   * The loopback calls each worker runs before it reports ready, so the first real sessions do not stall
   * the links beside them (worker-warm-up.ts; default true = 'all', false = 'none').
   */
  warmUp?: boolean | WarmUpSet;
  /**
   * SCHED_RR priority each worker asks for its thread once warmed up (default null: none;
   * MEDIA_RT_PRIORITY is the value the configuration suggests). Needs CAP_SYS_NICE or a sufficient RLIMIT_RTPRIO; without, the worker logs why and runs at
   * normal priority. See thread-priority.ts.
   */
  realtimePriority?: number | null;
  /** 'all' (default): every worker starts at construction; 'on-demand': as the load grows (see above). */
  startWorkers?: 'all' | 'on-demand';
}

export interface MediaWorkerInfo {
  index: number;
  threadId: number | null;
  ready: boolean;
  sessions: number;
  /** Sum of sessionCost() of its sessions (≈ % of a core). */
  cost: number;
  /** Times this slot's worker was replaced after dying. */
  restarts: number;
  /** Event-loop utilisation of the worker since it started (0..1), null if not running. */
  eventLoopUtilization: EventLoopUtilization | null;
}

interface Pending {
  kind: ToWorker['t'];
  /** Session the request is about (open/update/close). */
  id: number | null;
  /**
   * Runs on the reply's value as the reply arrives, before any later message of the worker is
   * handled (a stats delta must meet the base it was made against); its result resolves the request.
   */
  onValue: ((v: unknown) => unknown) | undefined;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  index: number;
  worker: Worker | null;
  ready: boolean;
  /** Resolves when the worker posts 'ready'; rejects if it dies first (always has a handler). */
  readyPromise: Promise<void>;
  sessions: Map<number, RemoteMediaSession>;
  /** Cost per session id, including sessions still opening. */
  costs: Map<number, number>;
  pending: Map<number, Pending>;
  restarts: number;
  /** Consecutive deaths before 'ready' (drives the backoff). */
  failedStarts: number;
  /** Set when the pool itself ends the worker. */
  stopping: boolean;
  /** Its worker has been started (on-demand pools start slots as the load grows). */
  started: boolean;
  lastError: string | null;
  restartTimer: TimerHandle | null;
  /** The worker's open template (see OpenedValue): the last open reply's full snapshot. */
  openTemplate: MediaSessionStats | null;
  /** Requests to its worker, posted once per turn (worker-outbox.ts); null while no worker runs. */
  outbox: WorkerOutbox | null;
}

/**
 * Back to an AcipError. A code that is not one of ours (a Node error's 'EADDRINUSE' from inside the
 * worker) becomes MEDIA_WORKER_ERROR, with the original code kept in the message.
 */
function toError(e: PlainErrorInfo): AcipError {
  if (isAcipErrorCode(e.code)) return new AcipError(e.code, e.message, e.field);
  return new AcipError('MEDIA_WORKER_ERROR', `${e.code}: ${e.message}`, e.field);
}

export class MediaWorkerPool implements RemoteSessionHost {
  private readonly slots: Slot[];
  private readonly statsIntervalMs: number;
  private readonly fullStatsIntervalMs: number;
  private readonly logger: MediaSessionLogger | undefined;
  private readonly forwardDebug: boolean;
  private readonly warmUp: WarmUpSet;
  private readonly realtimePriority: number | null;
  private readonly clock: Clock;
  private readonly closeTimeoutMs: number;
  private readonly entry: string;
  private nextId = 1;
  private nextReq = 1;
  private closing: Promise<void> | null = null;

  constructor(opts: MediaWorkerPoolOptions = {}) {
    const n = opts.workers ?? availableParallelism();
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new AcipError('MEDIA_POOL_PARAMS', `workers ${n} must be an integer 1..64`, 'workers');
    this.statsIntervalMs = opts.statsIntervalMs ?? 100;
    if (!(this.statsIntervalMs >= 10 && this.statsIntervalMs <= 10_000)) {
      throw new AcipError('MEDIA_POOL_PARAMS', `statsIntervalMs ${this.statsIntervalMs} must be 10..10000`, 'statsIntervalMs');
    }
    this.fullStatsIntervalMs = Math.max(this.statsIntervalMs, opts.fullStatsIntervalMs ?? this.statsIntervalMs);
    if (!(this.fullStatsIntervalMs <= 60_000)) {
      throw new AcipError('MEDIA_POOL_PARAMS', `fullStatsIntervalMs ${this.fullStatsIntervalMs} must be at most 60000`, 'fullStatsIntervalMs');
    }
    this.logger = opts.logger;
    this.forwardDebug = opts.forwardDebug ?? false;
    this.warmUp = opts.warmUp === false ? 'none' : opts.warmUp === true || opts.warmUp === undefined ? 'all' : opts.warmUp;
    this.realtimePriority = opts.realtimePriority ?? null;
    if (this.realtimePriority !== null && !(Number.isInteger(this.realtimePriority) && this.realtimePriority >= 1 && this.realtimePriority <= 99)) {
      throw new AcipError('MEDIA_POOL_PARAMS', `realtimePriority ${this.realtimePriority} must be an integer 1..99 or null`, 'realtimePriority');
    }
    this.clock = opts.clock ?? systemClock;
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
    // Run the worker from source under tsx, or from compiled .js alike.
    this.entry = opts.entryForTest ?? new URL(import.meta.url.endsWith('.ts') ? './media-worker.ts' : './media-worker.js', import.meta.url).href;
    this.slots = [];
    for (let i = 0; i < n; i++) {
      const slot: Slot = {
        index: i,
        worker: null,
        ready: false,
        readyPromise: Promise.resolve(),
        sessions: new Map(),
        costs: new Map(),
        pending: new Map(),
        restarts: 0,
        failedStarts: 0,
        stopping: false,
        started: false,
        lastError: null,
        restartTimer: null,
        openTemplate: null,
        outbox: null,
      };
      this.slots.push(slot);
      if (opts.startWorkers !== 'on-demand') this.start(slot);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  get isClosed(): boolean {
    return this.closing !== null;
  }

  /** An opener for the link layer (see media-session-like.ts). */
  opener(): MediaSessionOpener {
    return (params) => this.open(params);
  }

  /** Start every worker not started yet and wait until all have loaded (optional: open() waits for its own worker). */
  async ready(): Promise<void> {
    for (const s of this.slots) if (!s.started && !this.closing) this.start(s);
    await Promise.all(this.slots.map((s) => s.readyPromise));
  }

  /**
   * Opens a session on the least-loaded worker (or on worker `opts.worker`, for benchmarks and tests
   * that need a placement). Rejects with the session's own errors (bad params etc.).
   */
  async open(params: MediaSessionParams, opts: { worker?: number } = {}): Promise<RemoteMediaSession> {
    if (this.closing) throw new AcipError(MEDIA_POOL_CLOSED, 'media worker pool is closed');
    let slot: Slot;
    if (opts.worker !== undefined) {
      const s = this.slots[opts.worker];
      if (!s) throw new AcipError('MEDIA_POOL_PARAMS', `no worker ${opts.worker} (pool of ${this.slots.length})`, 'worker');
      slot = s;
    } else slot = this.pick();
    if (!slot.started) this.start(slot);
    const id = this.nextId++;
    slot.costs.set(id, sessionCost(params));
    this.warmNext();
    // Our own copy (the caller may change its object meanwhile): on success the worker's parameters
    // are these, so its reply does not carry them back. It is also what is posted: the request goes at
    // the end of this turn (worker-outbox.ts), after the caller may have changed its object.
    const own = structuredClone(params);
    let session: RemoteMediaSession;
    try {
      await slot.readyPromise;
      // The session is made and registered as the reply arrives (see Pending.onValue): the worker's
      // next pushes for it are deltas' bases and must not be missed.
      session = (await this.request(slot, { t: 'open', req: 0, id, params: own }, (v) => {
        const opened = v as OpenedValue;
        const stats = resolveStatsUpdate(slot.openTemplate, opened.stats);
        if ('full' in opened.stats) slot.openTemplate = stats;
        const s = new RemoteMediaSession(this, { id, localRtpPort: opened.localRtpPort, localRtcpPort: opened.localRtcpPort, params: own, stats }, (event, err) =>
          this.logger?.warn({ event, err, link: own.linkId }, 'media session listener threw'),
        );
        slot.sessions.set(id, s);
        return s;
      })) as RemoteMediaSession;
    } catch (e) {
      slot.costs.delete(id);
      this.updateRef(slot);
      throw e;
    }
    if (this.closing) {
      // The pool began closing while this open was in flight: the worker's shutdown closes it.
      slot.sessions.delete(id);
      slot.costs.delete(id);
      throw new AcipError(MEDIA_POOL_CLOSED, 'media worker pool is closed');
    }
    this.updateRef(slot);
    return session;
  }

  /** Load per worker (tests, benchmarks, the metrics page). */
  workers(): MediaWorkerInfo[] {
    return this.slots.map((s) => {
      let cost = 0;
      for (const c of s.costs.values()) cost += c;
      let elu: EventLoopUtilization | null = null;
      try {
        elu = s.worker && s.ready ? s.worker.performance.eventLoopUtilization() : null;
      } catch {
        elu = null;
      }
      return { index: s.index, threadId: s.worker?.threadId ?? null, ready: s.ready, sessions: s.sessions.size, cost, restarts: s.restarts, eventLoopUtilization: elu };
    });
  }

  /**
   * Test hook: kill worker `index` as a crash would (its sessions are lost, the pool restarts it).
   * Resolves when the thread has ended.
   */
  async terminateWorkerForTest(index: number): Promise<void> {
    const w = this.slots[index]?.worker;
    if (w) await w.terminate();
  }

  /**
   * A full garbage collection in every running worker (node --expose-gc), one worker at a time so that
   * only one thread's links wait for it: heap used before and after, per worker.
   */
  async collectGarbage(): Promise<GcValue[]> {
    const values: GcValue[] = [];
    for (const s of this.slots.filter((x) => x.worker && x.ready)) {
      const v = (await this.request(s, { t: 'gc', req: 0 }).catch(() => null)) as GcValue | null;
      if (v) values.push(v);
    }
    return values;
  }

  /** Idempotent. Closes every session in every worker, then terminates the workers. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      await Promise.all(this.slots.map((s) => this.stopSlot(s)));
    })();
    return this.closing;
  }

  // ---- RemoteSessionHost ------------------------------------------------------------------------

  async updateSession(id: number, params: MediaSessionParams): Promise<void> {
    const slot = this.slotOf(id);
    if (!slot) throw new AcipError('MEDIA_SESSION_CLOSED', 'media session is closed');
    try {
      await this.request(slot, { t: 'update', req: 0, id, params }, (v) => slot.sessions.get(id)?.applyStatsUpdate((v as UpdatedValue).stats));
      this.recost(slot, id, params);
    } catch (e) {
      // A failed update may have applied part of the change (onMessage kept the session's params).
      const s = slot.sessions.get(id);
      if (s) this.recost(slot, id, s.currentParams());
      throw e;
    }
  }

  async closeSession(id: number, reason: string | null): Promise<MediaSessionStats | null> {
    const slot = this.slotOf(id);
    if (!slot) return null;
    try {
      return (await this.request(slot, { t: 'close', req: 0, id, reason }, (v) => {
        const u = (v as ClosedValue).stats;
        const s = slot.sessions.get(id);
        return u && s ? resolveStatsUpdate(s.stats(), u) : null;
      })) as MediaSessionStats | null;
    } finally {
      slot.sessions.delete(id);
      slot.costs.delete(id);
      this.updateRef(slot);
    }
  }

  // ---- workers -----------------------------------------------------------------------------------

  private slotOf(id: number): Slot | undefined {
    return this.slots.find((s) => s.sessions.has(id));
  }

  private static costOf(s: Slot): number {
    let cost = 0;
    for (const c of s.costs.values()) cost += c;
    return cost;
  }

  /** The first slot not started yet, if every started one carries at least `cost`. */
  private unstartedIfAllAbove(cost: number): Slot | undefined {
    const idle = this.slots.find((s) => !s.started);
    if (!idle) return undefined;
    return this.slots.every((s) => !s.started || MediaWorkerPool.costOf(s) >= cost) ? idle : undefined;
  }

  /**
   * A session's cost follows its parameters: a provisional open (both directions off) weighs almost
   * nothing until the update that turns media on, which may also call for the next worker.
   */
  private recost(slot: Slot, id: number, params: MediaSessionParams): void {
    if (!slot.costs.has(id)) return;
    slot.costs.set(id, sessionCost(params));
    this.warmNext();
  }

  /** On-demand pools: start the next worker before the running ones fill up. */
  private warmNext(): void {
    const next = this.unstartedIfAllAbove(WARM_COST / 2);
    if (next && !this.closing) this.start(next);
  }

  private pick(): Slot {
    const fresh = this.unstartedIfAllAbove(WARM_COST);
    if (fresh) return fresh;
    let best: Slot | null = null;
    let bestCost = Infinity;
    for (const s of this.slots) {
      if (!s.started) continue;
      let cost = 0;
      for (const c of s.costs.values()) cost += c;
      // A slot waiting out a restart backoff is last choice.
      if (s.restartTimer) cost += 1e9;
      if (!best || cost < bestCost - 1e-9 || (Math.abs(cost - bestCost) <= 1e-9 && s.costs.size < best.costs.size)) {
        best = s;
        bestCost = cost;
      }
    }
    return best!;
  }

  private start(slot: Slot): void {
    slot.started = true;
    slot.ready = false;
    slot.stopping = false;
    slot.lastError = null;
    slot.restartTimer = null;
    // A new worker has no template: its first open reply carries full stats.
    slot.openTemplate = null;
    const data: MediaWorkerData = {
      entry: this.entry,
      statsIntervalMs: this.statsIntervalMs,
      fullStatsIntervalMs: this.fullStatsIntervalMs,
      forwardDebug: this.forwardDebug,
      warmUp: this.warmUp,
      realtimePriority: this.realtimePriority,
    };
    const worker = new Worker(new URL('./media-worker-boot.mjs', import.meta.url), { workerData: data, name: `acip-media-${slot.index}` });
    slot.worker = worker;
    slot.outbox = new WorkerOutbox(worker, (req, err) => {
      const p = slot.pending.get(req);
      slot.pending.delete(req);
      this.updateRef(slot);
      p?.reject(err);
    });
    let markReady!: () => void;
    let failReady!: (e: Error) => void;
    slot.readyPromise = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    // open() awaits it; this handler keeps a death before anyone waits from being "unhandled".
    slot.readyPromise.catch(() => undefined);
    worker.on('message', (batch: FromWorkerBatch) => {
      for (const m of batch) {
        if (slot.worker !== worker) return;
        if (m.t === 'ready') {
          slot.ready = true;
          slot.failedStarts = 0;
          markReady();
          continue;
        }
        this.onMessage(slot, m);
      }
    });
    worker.on('error', (e) => {
      slot.lastError = e instanceof Error ? e.message : String(e);
      this.logger?.warn({ err: e, worker: slot.index }, 'media worker failed');
    });
    worker.on('messageerror', (e) => this.logger?.warn({ err: e, worker: slot.index }, 'media worker: message could not be deserialised'));
    worker.on('exit', (code) => {
      if (slot.worker !== worker) return;
      const wasReady = slot.ready;
      slot.worker = null;
      slot.outbox?.discard();
      slot.outbox = null;
      slot.ready = false;
      const why = slot.lastError ?? `exit code ${code}`;
      failReady(new AcipError(MEDIA_WORKER_EXIT, `media worker ${slot.index} exited before it was ready: ${why}`));
      this.onWorkerGone(slot, `media worker ${slot.index} exited: ${why}`);
      if (slot.stopping || this.closing) return;
      this.logger?.warn({ worker: slot.index, code, error: slot.lastError }, 'media worker died; restarting it');
      slot.restarts++;
      if (wasReady) this.start(slot);
      else {
        slot.failedStarts++;
        const delay = backoffDelay(slot.failedStarts - 1, RESTART_BACKOFF);
        slot.restartTimer = this.clock.setTimer(delay, () => {
          slot.restartTimer = null;
          if (!this.closing) this.start(slot);
        });
      }
    });
    this.updateRef(slot);
  }

  /** The worker is gone: fail its requests and sessions. */
  private onWorkerGone(slot: Slot, message: string): void {
    const pending = [...slot.pending.values()];
    slot.pending.clear();
    for (const p of pending) {
      // A close resolves with no final snapshot (the session is gone); a shutdown with none either.
      if (p.kind === 'close' || p.kind === 'shutdown') p.resolve(p.kind === 'close' ? null : ({ finalStats: [] } satisfies ShutdownValue));
      else p.reject(new AcipError(this.closing ? MEDIA_POOL_CLOSED : MEDIA_WORKER_EXIT, message));
    }
    const sessions = [...slot.sessions.values()];
    slot.sessions.clear();
    slot.costs.clear();
    for (const s of sessions) s.workerExited(message);
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    switch (m.t) {
      case 'reply': {
        const p = slot.pending.get(m.req);
        if (!p) return;
        slot.pending.delete(m.req);
        if (m.ok) {
          try {
            p.resolve(p.onValue ? p.onValue(m.value) : m.value);
          } catch (e) {
            // A delta that does not fit its base: a bug; the request fails rather than serve wrong stats.
            this.logger?.warn({ err: e, worker: slot.index, request: p.kind }, 'media worker: reply could not be applied');
            p.reject(e instanceof Error ? e : new Error(String(e)));
          }
        } else {
          // A failed update may have applied part of the change: keep currentParams() truthful.
          if (m.params && p.kind === 'update' && p.id !== null) slot.sessions.get(p.id)?.applyParams(m.params);
          p.reject(toError(m.error));
        }
        this.updateRef(slot);
        return;
      }
      case 'stats':
        for (const [id, st] of m.batch) slot.sessions.get(id)?.applyStats(st);
        return;
      case 'meters':
        for (const [id, pair] of m.batch) slot.sessions.get(id)?.applyMeters(pair);
        return;
      case 'event':
        slot.sessions.get(m.id)?.deliver(m.name, m.args);
        return;
      case 'log': {
        const log = this.logger;
        if (!log) return;
        const fields = { ...m.obj, worker: slot.index };
        if (m.level === 'warn') log.warn(fields, m.msg);
        else if (m.level === 'info') log.info?.(fields, m.msg);
        else log.debug(fields, m.msg);
        return;
      }
      case 'ready':
        return;
    }
  }

  private request(slot: Slot, msg: ToWorker, onValue?: (v: unknown) => unknown): Promise<unknown> {
    const worker = slot.worker;
    if (!worker || !slot.ready) {
      return Promise.reject(new AcipError(this.closing ? MEDIA_POOL_CLOSED : MEDIA_WORKER_EXIT, `media worker ${slot.index} is not running`));
    }
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      slot.pending.set(req, { kind: msg.t, id: 'id' in msg ? msg.id : null, onValue, resolve, reject });
      this.updateRef(slot);
      slot.outbox!.post({ ...msg, req });
    });
  }

  /** A worker keeps the process alive only while it has work. */
  private updateRef(slot: Slot): void {
    const w = slot.worker;
    if (!w) return;
    if (slot.costs.size > 0 || slot.pending.size > 0 || !slot.ready) w.ref();
    else w.unref();
  }

  private async stopSlot(slot: Slot): Promise<void> {
    slot.restartTimer?.cancel();
    slot.restartTimer = null;
    const worker = slot.worker;
    if (!worker) return;
    slot.stopping = true;
    // Let a worker that is still loading finish, so its sessions (none yet) and sockets close cleanly.
    await slot.readyPromise.catch(() => undefined);
    if (slot.worker === worker && slot.ready) {
      let timer: TimerHandle | null = null;
      const timeout = new Promise<null>((resolve) => {
        timer = this.clock.setTimer(this.closeTimeoutMs, () => resolve(null));
      });
      const res = await Promise.race([this.request(slot, { t: 'shutdown', req: 0 }).catch(() => null), timeout]);
      (timer as TimerHandle | null)?.cancel();
      const finals = new Map((res as ShutdownValue | null)?.finalStats ?? []);
      for (const [id, s] of slot.sessions) s.closedByPool(finals.get(id) ?? null);
      slot.sessions.clear();
      slot.costs.clear();
    }
    await worker.terminate();
  }
}
