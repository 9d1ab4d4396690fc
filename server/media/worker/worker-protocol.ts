/**
 * The messages between `MediaWorkerPool` (main thread) and `media-worker.ts` (one per worker thread).
 * Plain data only: everything here crosses `postMessage` (structured clone). Requests carry a `req`
 * number answered by exactly one `reply`; events and stats flow unrequested. The worker posts what
 * one turn of its event loop produced as one array of `FromWorker` (`FromWorkerBatch`), and the pool
 * the requests of one turn of the main thread's as one `ToWorkerBatch`. Messages of one port
 * arrive in the order they were posted: the stats deltas rely on it (both sides see the same
 * sequence of snapshots per session).
 */
import type { MediaSessionEvents, MediaSessionParams, MediaSessionStats } from '../session-types.js';
import type { LevelSnapshot } from '../level-meter.js';
import type { StatsUpdate } from './stats-delta.js';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import type { WarmUpSet } from './worker-warm-up.js';

/** A session's two level meters: what the 10 Hz meter feed needs between full stats snapshots. */
export interface MeterPair {
  input: LevelSnapshot;
  output: LevelSnapshot;
}

/** An error as it crosses the thread boundary (AcipError's code and field survive). */
export interface PlainErrorInfo {
  code: string;
  message: string;
  field?: string;
}

export interface MediaWorkerData {
  /** Module the boot file imports (media-worker.ts or .js). */
  entry: string;
  /** How often the worker pushes every session's meters, ms. */
  statsIntervalMs: number;
  /** How often it pushes every session's full stats instead (a multiple of statsIntervalMs), ms. */
  fullStatsIntervalMs: number;
  /** Forward the sessions' debug log lines (RTP drops etc.) to the main thread's logger. */
  forwardDebug: boolean;
  /** The loopback calls to run before reporting ready (worker-warm-up.ts). */
  warmUp: WarmUpSet;
  /** SCHED_RR priority the worker asks for its thread once warmed up (thread-priority.ts), null: none. */
  realtimePriority: number | null;
}

export type ToWorker =
  | { t: 'open'; req: number; id: number; params: MediaSessionParams }
  | { t: 'update'; req: number; id: number; params: MediaSessionParams }
  | { t: 'close'; req: number; id: number; reason: string | null }
  /** Close every session, reply, then wait to be terminated. */
  | { t: 'shutdown'; req: number }
  /** A full, compacting garbage collection of the worker's heap (needs node --expose-gc); replies with a `GcValue`. */
  | { t: 'gc'; req: number };

/** One V8 heap space of a thread after a collection, bytes. */
export interface HeapSpaceUse {
  /** Bytes of live objects. */
  used: number;
  /** Bytes the space holds from the system (its pages), whether or not objects fill them. */
  committed: number;
}

/**
 * One thread's memory after a requested collection, bytes: `process.memoryUsage()`'s per-isolate
 * fields (the process-wide RSS is the main thread's to report) and every V8 heap space by name
 * (`v8.getHeapSpaceStatistics()`: new, old, code, large object, …). `external` counts memory outside
 * the V8 heap that its objects keep alive (Buffers' and ArrayBuffers' backing stores, WebAssembly
 * memories); `arrayBuffers` is the part of it held by ArrayBuffers and Buffers.
 */
export interface ThreadMemory {
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  spaces: Record<string, HeapSpaceUse>;
}

/** The calling thread's `ThreadMemory`, now: what a gc reply carries, and what the main thread logs of its own. */
export function readThreadMemory(): ThreadMemory {
  const m = process.memoryUsage();
  const spaces: Record<string, HeapSpaceUse> = {};
  for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = { used: s.space_used_size, committed: s.physical_space_size };
  return { heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, spaces };
}

/**
 * A full collection that also compacts every page of the thread's heap: V8's own full collections
 * move objects out of a few fragmented pages only, so after a burst a heap can keep tens of MiB of
 * pages that hold little; compacting them all gives those pages back to the system, as V8's memory
 * reducer does once a service goes idle. V8's flags are process-wide: the flag is set only for the
 * duration of this call (another thread's full collection in that window compacts too, no harm).
 */
export function collectAndCompact(gc: () => void): void {
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/**
 * A worker's heap used before and after a requested collection, bytes, and its memory after it;
 * `collected` false without --expose-gc.
 */
export interface GcValue {
  collected: boolean;
  heapUsedBefore: number;
  heapUsedAfter: number;
  /** How long the collection held the worker's thread (its frame clocks wait meanwhile), ms. */
  pauseMs: number;
  after: ThreadMemory;
}

/** What the pool actually posts: the requests of one turn of the main thread's event loop, in order. */
export type ToWorkerBatch = ToWorker[];

/**
 * Open, update and close replies carry the session's snapshot as a `StatsUpdate` (stats-delta.ts),
 * and no parameters: on success the worker's parameters are the ones the main thread sent.
 */
export interface OpenedValue {
  localRtpPort: number;
  localRtcpPort: number;
  /**
   * Against the worker's open template: the last open reply that carried full stats. A new session
   * differs from it in a handful of fields (link id, ports, SSRC, open time).
   */
  stats: StatsUpdate;
}

/** Against the session's snapshot as the main thread holds it (its last reply or push). */
export interface UpdatedValue {
  stats: StatsUpdate;
}

/** The final snapshot, against the session's snapshot as the main thread holds it; null: no such session. */
export interface ClosedValue {
  stats: StatsUpdate | null;
}

export interface ShutdownValue {
  finalStats: Array<[number, MediaSessionStats]>;
}

export type FromWorker =
  | { t: 'ready' }
  | { t: 'reply'; req: number; ok: true; value: OpenedValue | UpdatedValue | ClosedValue | ShutdownValue | GcValue }
  /** A failed update carries the parameters in force (update() may have applied part of the change). */
  | { t: 'reply'; req: number; ok: false; error: PlainErrorInfo; params?: MediaSessionParams }
  | { t: 'event'; id: number; name: keyof MediaSessionEvents; args: unknown[] }
  /** Full snapshots (periodic, and after a turn's events): each becomes the session's base for deltas. */
  | { t: 'stats'; batch: Array<[number, MediaSessionStats]> }
  /**
   * Between full snapshots: only the meters (about a tenth of the bytes to copy across threads). Both
   * sides fold them into the session's base (`withMeters`).
   */
  | { t: 'meters'; batch: Array<[number, MeterPair]> }
  | { t: 'log'; level: 'warn' | 'info' | 'debug'; obj: Record<string, unknown>; msg: string };

/** What the worker actually posts: the messages of one turn of its event loop, in order. */
export type FromWorkerBatch = FromWorker[];
