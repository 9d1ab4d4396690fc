/**
 * The messages between `MediaWorkerPool` (main thread) and `media-worker.ts` (one per worker thread).
 * Plain data only: everything here crosses `postMessage` (structured clone). Requests carry a `req`
 * number answered by exactly one `reply`; events and stats flow unrequested.
 */
import type { MediaSessionEvents, MediaSessionParams, MediaSessionStats } from '../session-types.js';
import type { LevelSnapshot } from '../level-meter.js';

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
  /** Run one loopback call per codec before reporting ready (worker-warm-up.ts). */
  warmUp: boolean;
  /** SCHED_RR priority the worker asks for its thread once warmed up (thread-priority.ts), null: none. */
  realtimePriority: number | null;
}

export type ToWorker =
  | { t: 'open'; req: number; id: number; params: MediaSessionParams }
  | { t: 'update'; req: number; id: number; params: MediaSessionParams }
  | { t: 'close'; req: number; id: number; reason: string | null }
  /** Close every session, reply, then wait to be terminated. */
  | { t: 'shutdown'; req: number };

export interface OpenedValue {
  localRtpPort: number;
  localRtcpPort: number;
  params: MediaSessionParams;
  stats: MediaSessionStats;
}

export type FromWorker =
  | { t: 'ready' }
  | { t: 'reply'; req: number; ok: true; value?: OpenedValue | { params: MediaSessionParams; stats: MediaSessionStats } | { stats: MediaSessionStats | null } | { finalStats: Array<[number, MediaSessionStats]> } }
  | { t: 'reply'; req: number; ok: false; error: PlainErrorInfo; params?: MediaSessionParams }
  | { t: 'event'; id: number; name: keyof MediaSessionEvents; args: unknown[] }
  | { t: 'stats'; batch: Array<[number, MediaSessionStats]> }
  /** Between full snapshots: only the meters (about a tenth of the bytes to copy across threads). */
  | { t: 'meters'; batch: Array<[number, MeterPair]> }
  | { t: 'log'; level: 'warn' | 'info' | 'debug'; obj: Record<string, unknown>; msg: string };
