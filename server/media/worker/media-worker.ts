/**
 * One media worker thread: hosts MediaSessions for `MediaWorkerPool`, driven only by messages
 * (worker-protocol.ts). Each session runs on this thread's own event loop with the real system clock,
 * so its frame clocks are not delayed by the sessions of other workers or by the main thread's SIP and
 * API work.
 *
 * - Operations on one session run one after another (a close waits for a pending update).
 * - Every `statsIntervalMs` each session's meters go to the main thread, batched (in five slices);
 *   every `fullStatsIntervalMs` its full stats go instead. A full snapshot is about 3 kB to copy across
 *   threads and rebuild on the main thread, the meters about a tenth of that, and only the meter feed
 *   needs 10 Hz.
 * - Open, update and close replies carry the session's snapshot as a delta (stats-delta.ts): against the
 *   previous open's snapshot for an open (a new session differs from it in a handful of fields), and
 *   against what the main thread holds for the session (`Hosted.sent`) for an update or a close. No
 *   parameters go back: on success they are the ones the main thread sent.
 * - Session events are forwarded as they happen, followed by the session's full stats once the turn's
 *   events are out (so what they changed, e.g. `noMedia`, is in the snapshot without waiting for the
 *   next full push; one snapshot for the events of one turn); log lines go to the main thread's logger.
 * - Between full snapshots the meter pushes read only the meters (`MediaSession.meters()`), not the
 *   whole stats.
 * - Anything that escapes (a bug) kills this thread; the pool reports its sessions lost and restarts it.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { MediaSession, type MediaSessionLogger } from '../media-session.js';
import type { MediaSessionStats } from '../session-types.js';
import { encodeStatsUpdate, withMeters, type StatsUpdate } from './stats-delta.js';
import { systemClock } from '../../util/clock.js';
import { isAcipError } from '../../util/errors.js';
import { MEDIA_SESSION_EVENT_NAMES } from './media-session-like.js';
import { raiseToRealtime } from './thread-priority.js';
import { WARM_UP_SETS, warmUpMediaPath } from './worker-warm-up.js';
import { collectAndCompact, readThreadMemory, type FromWorker, type GcValue, type MediaWorkerData, type MeterPair, type PlainErrorInfo, type ToWorker, type ToWorkerBatch } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('media-worker.ts must run in a worker thread');
const data = workerData as MediaWorkerData;

/** What this turn of the event loop has to say, posted as one message (see `post`). */
let outbox: FromWorker[] = [];

/**
 * Queues `m` for the main thread. Everything queued in one turn of the event loop (the replies,
 * events, stats and log lines of the callbacks that ran in it) goes as ONE message, in order, once the
 * turn's I/O callbacks have run: a postMessage has a fixed cost on both threads (about as much as
 * copying a whole stats snapshot; a cross-thread wake-up), and with calls in flight several
 * replies are often ready in the same turn.
 */
function post(m: FromWorker): void {
  if (outbox.length === 0) setImmediate(flush);
  outbox.push(m);
}

function flush(): void {
  const batch = outbox;
  outbox = [];
  port!.postMessage(batch);
}

/** Log fields made cloneable: Errors become {name, message, code, stack}; anything else odd, a string. */
function plainFields(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v instanceof Error) out[k] = { name: v.name, message: v.message, code: (v as { code?: unknown }).code, stack: v.stack };
    else if (typeof v === 'function' || typeof v === 'symbol') out[k] = String(v);
    else out[k] = v;
  }
  try {
    structuredClone(out);
    return out;
  } catch {
    return { unclonable: JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) };
  }
}

const logger: MediaSessionLogger = {
  warn: (obj, msg) => post({ t: 'log', level: 'warn', obj: plainFields(obj), msg }),
  info: (obj, msg) => post({ t: 'log', level: 'info', obj: plainFields(obj), msg }),
  debug: data.forwardDebug ? (obj, msg) => post({ t: 'log', level: 'debug', obj: plainFields(obj), msg }) : () => {},
};

function plainError(e: unknown): PlainErrorInfo {
  if (isAcipError(e)) return e.field !== undefined ? { code: e.code, message: e.message, field: e.field } : { code: e.code, message: e.message };
  const err = e as { code?: unknown; message?: unknown };
  return { code: typeof err?.code === 'string' ? err.code : 'MEDIA_WORKER_ERROR', message: String(err?.message ?? e) };
}

interface Hosted {
  session: MediaSession;
  /** Serialises update/close on this session. */
  chain: Promise<unknown>;
  /** Stats pushes since it opened: every FULL_EVERY-th carries full stats (after the open reply, the main thread holds a full one). */
  pushes: number;
  /** The snapshot the main thread holds for this session, but for `sentMeters`: the base of the next reply's delta. */
  sent: MediaSessionStats;
  /** Meters pushed since `sent` was last brought up to date (see `sentBase`): the main thread applies them alike. */
  sentMeters: MeterPair | null;
}

/** What the main thread holds for the session (`sent` with the meters pushed since), to diff against. */
function sentBase(h: Hosted): MediaSessionStats {
  if (h.sentMeters) {
    h.sent = withMeters(h.sent, h.sentMeters);
    h.sentMeters = null;
  }
  return h.sent;
}

const sessions = new Map<number, Hosted>();
/** Opens in flight: shutdown waits for them, so no session is left behind. */
const opening = new Set<Promise<unknown>>();
let shuttingDown = false;
/** The last open reply's full snapshot (the main thread keeps the same): the base of the next open's delta. */
let openTemplate: MediaSessionStats | null = null;

/**
 * A delta with more changed fields than this goes whole instead: a delta costs a walk of the snapshot
 * (about as much as copying it), and pays back in the bytes copied and rebuilt on the main thread.
 */
const MAX_DELTA_CHANGES = 48;

/** The session's snapshot for a reply, as a delta against what the main thread holds; that becomes the base. */
function replyStats(h: Hosted): StatsUpdate {
  const now = h.session.stats();
  const u = encodeStatsUpdate(sentBase(h), now, MAX_DELTA_CHANGES);
  h.sent = now;
  return u;
}

function queue<T>(h: Hosted, fn: () => Promise<T>): Promise<T> {
  const run = h.chain.then(fn, fn);
  h.chain = run.catch(() => undefined);
  return run;
}

/**
 * Stats go out in STATS_SLICES slices per interval (session id mod STATS_SLICES), one slice every
 * interval / STATS_SLICES: each session's snapshot is still refreshed once per interval, but the
 * stats() + structured-clone work (about 45 µs per session here) is spread out instead of stalling
 * every frame clock of this worker for ~3 ms at 64 sessions.
 */
const STATS_SLICES = 5;
/** Every FULL_EVERY-th push of a session carries its full stats; the others only its meters. */
const FULL_EVERY = Math.max(1, Math.round(data.fullStatsIntervalMs / data.statsIntervalMs));
let slice = 0;

function pushStats(): void {
  const current = slice;
  slice = (slice + 1) % STATS_SLICES;
  if (sessions.size === 0) return;
  const batch: Array<[number, MediaSessionStats]> = [];
  const meters: Array<[number, MeterPair]> = [];
  for (const [id, h] of sessions) {
    if (id % STATS_SLICES !== current || h.session.isClosed) continue;
    try {
      h.pushes = (h.pushes + 1) % FULL_EVERY;
      if (h.pushes === 0) {
        h.sent = h.session.stats();
        h.sentMeters = null;
        batch.push([id, h.sent]);
      } else {
        const m = h.session.meters();
        h.sentMeters = m;
        meters.push([id, m]);
      }
    } catch (e) {
      logger.warn({ err: e, link: h.session.linkId }, 'media worker: stats() failed');
    }
  }
  if (batch.length > 0) post({ t: 'stats', batch });
  if (meters.length > 0) post({ t: 'meters', batch: meters });
}

/** Sessions whose events of this turn still owe a full stats push (see `pushAfterEvent`). */
const owed = new Map<number, Hosted>();

/**
 * One session's full stats after an event it forwarded, once per event-loop turn: the events of one
 * turn (the RTP and RTCP latches of a call's first packets, a silence and a no-media) share one
 * snapshot, taken after all of them. The main thread gets it right after the event messages, as before.
 */
function pushAfterEvent(id: number, h: Hosted): void {
  if (owed.size === 0) setImmediate(pushOwed);
  owed.set(id, h);
}

function pushOwed(): void {
  const batch: Array<[number, MediaSessionStats]> = [];
  for (const [id, h] of owed) {
    if (h.session.isClosed) continue;
    try {
      h.sent = h.session.stats();
      h.sentMeters = null;
      batch.push([id, h.sent]);
    } catch (e) {
      logger.warn({ err: e, link: h.session.linkId }, 'media worker: stats() failed');
    }
  }
  owed.clear();
  if (batch.length > 0) post({ t: 'stats', batch });
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.t) {
    case 'open': {
      if (shuttingDown) {
        post({ t: 'reply', req: m.req, ok: false, error: { code: 'MEDIA_POOL_CLOSED', message: 'media worker is shutting down' } });
        return;
      }
      const pending = MediaSession.open(m.params, { clock: systemClock, logger });
      opening.add(pending);
      try {
        const session = await pending;
        const stats = session.stats();
        const h: Hosted = { session, chain: Promise.resolve(), pushes: 0, sent: stats, sentMeters: null };
        if (shuttingDown) {
          // Shutdown awaits this open, then closes every session in the map: this one too.
          sessions.set(m.id, h);
          post({ t: 'reply', req: m.req, ok: false, error: { code: 'MEDIA_POOL_CLOSED', message: 'media worker is shutting down' } });
          return;
        }
        session.onListenerError = (event, err) => logger.warn({ event, err, link: session.linkId }, 'media worker: forwarding listener threw');
        for (const name of MEDIA_SESSION_EVENT_NAMES) {
          session.on(name, (...args: unknown[]) => {
            post({ t: 'event', id: m.id, name, args });
            pushAfterEvent(m.id, h);
          });
        }
        sessions.set(m.id, h);
        const u = encodeStatsUpdate(openTemplate, stats, MAX_DELTA_CHANGES);
        if ('full' in u) openTemplate = stats;
        post({ t: 'reply', req: m.req, ok: true, value: { localRtpPort: session.localRtpPort, localRtcpPort: session.localRtcpPort, stats: u } });
      } catch (e) {
        post({ t: 'reply', req: m.req, ok: false, error: plainError(e) });
      } finally {
        opening.delete(pending);
      }
      return;
    }
    case 'update': {
      const h = sessions.get(m.id);
      if (!h) {
        post({ t: 'reply', req: m.req, ok: false, error: { code: 'MEDIA_SESSION_CLOSED', message: 'media session is closed' } });
        return;
      }
      await queue(h, async () => {
        try {
          await h.session.update(m.params);
          post({ t: 'reply', req: m.req, ok: true, value: { stats: replyStats(h) } });
        } catch (e) {
          // update() may have applied part of the change: the caller gets what is in force now.
          post({ t: 'reply', req: m.req, ok: false, error: plainError(e), params: h.session.currentParams() });
        }
      });
      return;
    }
    case 'close': {
      const h = sessions.get(m.id);
      if (!h) {
        post({ t: 'reply', req: m.req, ok: true, value: { stats: null } });
        return;
      }
      await queue(h, async () => {
        try {
          await h.session.close(m.reason ?? undefined);
        } catch (e) {
          // MediaSession.close() logs its own failures and resolves; belt and braces.
          logger.warn({ err: e, link: h.session.linkId }, 'media worker: close failed');
        }
        sessions.delete(m.id);
        post({ t: 'reply', req: m.req, ok: true, value: { stats: replyStats(h) } });
      });
      return;
    }
    case 'gc': {
      const gc = (globalThis as { gc?: () => void }).gc;
      const heapUsedBefore = getHeapStatistics().used_heap_size;
      const t0 = performance.now();
      if (gc) collectAndCompact(gc);
      const pauseMs = performance.now() - t0;
      const value: GcValue = { collected: gc !== undefined, heapUsedBefore, heapUsedAfter: getHeapStatistics().used_heap_size, pauseMs, after: readThreadMemory() };
      post({ t: 'reply', req: m.req, ok: true, value });
      return;
    }
    case 'shutdown': {
      shuttingDown = true;
      clearInterval(statsTimer);
      await Promise.allSettled([...opening]);
      const finals = await Promise.all(
        [...sessions].map(async ([id, h]) => {
          await queue(h, () => h.session.close('shutdown')).catch((e: unknown) => logger.warn({ err: e, link: h.session.linkId }, 'media worker: close failed'));
          return [id, h.session.stats()] as [number, MediaSessionStats];
        }),
      );
      sessions.clear();
      post({ t: 'reply', req: m.req, ok: true, value: { finalStats: finals } });
      return;
    }
  }
}

const statsTimer = setInterval(pushStats, data.statsIntervalMs / STATS_SLICES);
statsTimer.unref();

// Pay for first-use compilation now, before any session is live on this thread (see worker-warm-up.ts).
if (data.warmUp !== 'none') {
  const r = await warmUpMediaPath(WARM_UP_SETS[data.warmUp]);
  if (r.error) logger.warn({ cases: r.cases, elapsedMs: Math.round(r.elapsedMs), err: r.error }, 'media worker: warm-up stopped early');
  else logger.debug({ cases: r.cases, elapsedMs: Math.round(r.elapsedMs) }, 'media worker: warmed up');
}
// Then real-time scheduling (after the warm-up, which must not hold a core at that priority): the
// frame clocks fire on time whatever the main thread and the rest of the machine are doing.
if (data.realtimePriority !== null) {
  const r = await raiseToRealtime(data.realtimePriority);
  if (r.ok) logger.info?.({ priority: data.realtimePriority, tid: r.tid }, 'media worker: real-time scheduling (SCHED_RR)');
  else logger.info?.({ priority: data.realtimePriority, reason: r.reason }, 'media worker: no real-time scheduling; it competes for the CPU with everything else');
}

port.on('message', (batch: ToWorkerBatch) => {
  // handle() answers every request itself; a rejection here is a bug: let it kill the thread (the
  // pool reports the sessions lost and restarts the worker) rather than leave a request unanswered.
  for (const m of batch) {
    handle(m).catch((e: unknown) => {
      throw e;
    });
  }
});
post({ t: 'ready' });
