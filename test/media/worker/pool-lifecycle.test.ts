/**
 * MediaWorkerPool and RemoteMediaSession lifecycle: events from the worker (latched, no-media,
 * media-restored), update() changing the codec on the same ports, errors that cross the thread
 * boundary with their codes, balancing by cost, a killed worker (its sessions report an error and
 * read closed, the others run on, the pool restarts it and serves new sessions), and close() that is
 * idempotent and leaves no handles.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MediaWorkerPool, MEDIA_POOL_CLOSED, MEDIA_WORKER_EXIT } from '../../../server/media/worker/media-worker-pool.js';
import { RemoteMediaSession } from '../../../server/media/worker/remote-media-session.js';
import type { MediaErrorInfo } from '../../../server/media/session-types.js';
import { AcipError } from '../../../server/util/errors.js';
import { CODEC_CASES, sessionParams, sleep } from '../session/session-harness.js';
import { handleCounts, openRemotePair, until, waitFor } from './worker-harness.js';

const opus20 = CODEC_CASES[0]!;
const l24 = CODEC_CASES.find((c) => c.codecId === 'L24' && c.params.ptimeMs === 5)!;

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => {
  unhandled.push(e);
};
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe('a media session in a worker', () => {
  const pool = new MediaWorkerPool({ workers: 2, statsIntervalMs: 50 });
  afterAll(() => pool.close());

  it('forwards no-media and media-restored from the worker', async () => {
    const pa = sessionParams(l24, { linkId: 'nm-a', input: 'tone', receive: false });
    const pb = sessionParams(l24, { linkId: 'nm-b', send: false, noMediaTimeoutMs: 300 });
    const { a, b } = await openRemotePair(pool, pa, pb);
    const noMedia: unknown[] = [];
    b.on('no-media', (e) => noMedia.push(e));
    try {
      const latched = await waitFor<{ kind: string; port: number }>((r) => b.once('latched', r), 3000, 'latched');
      expect(latched.port).toBe(a.localRtpPort);
      await a.update({ ...a.currentParams(), send: false });
      const ev = await waitFor<{ sinceMs: number; silentForMs: number }>((r) => b.once('no-media', r), 5000, 'no-media');
      expect(ev.silentForMs).toBeGreaterThanOrEqual(300);
      // Worker monotonic times share the main thread's time origin.
      expect(ev.sinceMs).toBeLessThanOrEqual(performance.now());
      expect(ev.sinceMs).toBeGreaterThan(performance.now() - 10_000);
      await until(() => b.stats().noMedia, 2000, 'noMedia in a pushed snapshot');
      await a.update({ ...a.currentParams(), send: true });
      const restored = await waitFor<{ outageMs: number }>((r) => b.once('media-restored', r), 5000, 'media-restored');
      expect(restored.outageMs).toBeGreaterThanOrEqual(300);
      expect(noMedia).toHaveLength(1);
      await until(() => !b.stats().noMedia, 2000, 'noMedia cleared in a snapshot');
      expect(b.stats().noMediaEvents).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('changes codec on update, on the same ports, and reports the new parameters', async () => {
    const pa = sessionParams(opus20, { linkId: 'cc-a', input: 'tone' });
    const pb = sessionParams(opus20, { linkId: 'cc-b', input: 'tone' });
    const { a, b } = await openRemotePair(pool, pa, pb);
    try {
      await until(() => b.stats().rtp.rx.packets > 5, 3000, 'opus packets');
      expect(b.stats().codec.id).toBe('opus');
      const ports = [a.localRtpPort, a.localRtcpPort];
      const toL24 = { codecId: l24.codecId, payloadType: l24.payloadType, codecParams: { ...l24.params } };
      await a.update({ ...a.currentParams(), ...toL24 });
      await b.update({ ...b.currentParams(), ...toL24 });
      // update() resolves with the new parameters in force and a fresh snapshot, at once.
      expect(a.currentParams().codecId).toBe('L24');
      expect(a.stats().codec).toMatchObject({ id: 'L24', payloadType: 98, sendPtimeMs: 5 });
      expect([a.localRtpPort, a.localRtcpPort]).toEqual(ports);
      expect(a.stats().localRtpPort).toBe(ports[0]);
      const before = b.stats().jitterBuffer!.framesPlayed;
      await until(() => b.stats().jitterBuffer!.framesPlayed > before + 100, 3000, 'L24 frames played');
      expect(b.stats().codec).toMatchObject({ id: 'L24', payloadType: 98, receivePtimeMs: 5 });
      expect(b.stats().output.meter.channels[0]!.peakDbfs).toBeGreaterThan(-30);
      // currentParams() is a copy.
      const p = a.currentParams();
      p.codecId = 'PCMU';
      expect(a.currentParams().codecId).toBe('L24');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('rejects bad parameters with the session error code, across the thread', async () => {
    const bad = sessionParams(opus20, { linkId: 'bad', payloadType: 200 });
    const err = await pool.open(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcipError);
    expect((err as AcipError).code).toBe('MEDIA_SESSION_PARAMS');
    expect((err as AcipError).field).toBe('payloadType');
    const s = await pool.open(sessionParams(opus20, { linkId: 'upd' }));
    try {
      const e2 = await s.update({ ...s.currentParams(), linkId: 'other' }).catch((e: unknown) => e);
      expect((e2 as AcipError).code).toBe('MEDIA_SESSION_PARAMS');
      expect(s.currentParams().linkId).toBe('upd');
      expect(s.isClosed).toBe(false);
    } finally {
      await s.close();
    }
    // Closed: update refuses, close stays idempotent.
    expect(s.isClosed).toBe(true);
    await expect(s.update(s.currentParams())).rejects.toMatchObject({ code: 'MEDIA_SESSION_CLOSED' });
    await s.close();
    expect(s.stats().closed).toBe(true);
  });

  it('balances sessions across workers by cost', async () => {
    // One expensive session (L24 at 1 ms, receiving: 1000 packets/s) on one worker; three cheap ones
    // (provisional: both directions off) go to the other.
    const l24x1 = CODEC_CASES.find((c) => c.codecId === 'L24' && c.params.ptimeMs === 1)!;
    const pcmu = CODEC_CASES.find((c) => c.codecId === 'PCMU')!;
    const opened: RemoteMediaSession[] = [];
    try {
      opened.push(await pool.open(sessionParams(l24x1, { linkId: 'heavy', send: false, receive: true })));
      for (let i = 0; i < 3; i++) opened.push(await pool.open(sessionParams(pcmu, { linkId: `light${i}`, send: false, receive: false })));
      const w = pool.workers();
      expect(w.map((x) => x.sessions).sort()).toEqual([1, 3]);
      const heavy = w.find((x) => x.sessions === 1)!;
      const light = w.find((x) => x.sessions === 3)!;
      expect(heavy.cost).toBeGreaterThan(light.cost);
    } finally {
      await Promise.all(opened.map((s) => s.close()));
    }
    expect(pool.workers().map((x) => x.sessions)).toEqual([0, 0]);
  });

  it('places a session on a named worker when asked, and refuses a worker that does not exist', async () => {
    const s = await pool.open(sessionParams(opus20, { linkId: 'placed', send: false, receive: false }), { worker: 1 });
    try {
      expect(pool.workers().map((x) => x.sessions)).toEqual([0, 1]);
    } finally {
      await s.close();
    }
    await expect(pool.open(sessionParams(opus20, { linkId: 'nowhere' }), { worker: 2 })).rejects.toMatchObject({ code: 'MEDIA_POOL_PARAMS' });
    expect(pool.workers().map((x) => x.sessions)).toEqual([0, 0]);
  });

});

describe('a worker that dies', () => {
  let pool: MediaWorkerPool | null = null;
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  it('fails its sessions with an error and closed state, leaves the other worker running, and is replaced', async () => {
    pool = new MediaWorkerPool({ workers: 2, statsIntervalMs: 50 });
    const p = pool;
    // A on worker 0, B on worker 1.
    const { a, b } = await openRemotePair(p, sessionParams(l24, { linkId: 'k-a', input: 'tone' }), sessionParams(l24, { linkId: 'k-b', input: 'tone', noMediaTimeoutMs: 0 }));
    const errorsA: MediaErrorInfo[] = [];
    const errorsB: MediaErrorInfo[] = [];
    a.on('error', (e) => errorsA.push(e));
    b.on('error', (e) => errorsB.push(e));
    await until(() => b.stats().rtp.rx.packets > 10, 3000, 'media flowing');
    const workerOfA = p.workers().find((w) => w.sessions === 1 && w.index === 0);
    expect(workerOfA).toBeDefined();
    const threadBefore = p.workers()[0]!.threadId;
    // An update in flight when the worker dies rejects.
    const inFlight = a.update({ ...a.currentParams(), input: 'silence' }).catch((e: unknown) => e);
    await p.terminateWorkerForTest(0);
    await until(() => a.isClosed, 2000, 'A closed');
    expect(errorsA).toHaveLength(1);
    expect(errorsA[0]).toMatchObject({ code: MEDIA_WORKER_EXIT, where: 'worker' });
    expect(a.stats().closed).toBe(true);
    // It settles either way: applied before the thread stopped, or failed with the exit code.
    const inFlightErr = await inFlight;
    expect(inFlightErr === undefined || (inFlightErr as AcipError).code === MEDIA_WORKER_EXIT, String(inFlightErr)).toBe(true);
    await expect(a.update(a.currentParams())).rejects.toMatchObject({ code: 'MEDIA_SESSION_CLOSED' });
    await a.close(); // a no-op, resolves
    // B, on the other worker, keeps running and stops receiving.
    expect(b.isClosed).toBe(false);
    expect(errorsB).toHaveLength(0);
    const txBefore = b.stats().rtp.tx.packets;
    await until(() => b.stats().rtp.tx.packets > txBefore + 20, 3000, 'B still sending');
    // The slot got a new thread; a new session lands there and carries media to B's worker.
    await until(() => p.workers()[0]!.ready, 5000, 'worker 0 restarted');
    expect(p.workers()[0]!.restarts).toBe(1);
    expect(p.workers()[0]!.threadId).not.toBe(threadBefore);
    const c = await p.open(sessionParams(l24, { linkId: 'k-c', input: 'tone', receive: false, remote: { address: '127.0.0.1', rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort } }));
    expect(p.workers()[0]!.sessions).toBe(1);
    // B had latched to A's address (RFC 4961): point it at C, as a re-INVITE would.
    await b.update({ ...b.currentParams(), remote: { address: '127.0.0.1', rtpPort: c.localRtpPort, rtcpPort: c.localRtcpPort } });
    const played = b.stats().jitterBuffer!.framesPlayed;
    await until(() => b.stats().jitterBuffer!.framesPlayed > played + 50 && b.stats().output.meter.channels[0]!.peakDbfs > -30, 3000, 'C → B media');
    await Promise.all([b.close(), c.close()]);
    expect(unhandled).toEqual([]);
  });

  it('lets open() reject, not hang, when the worker dies during it', async () => {
    pool = new MediaWorkerPool({ workers: 1 });
    const p = pool;
    await p.ready();
    const opening = p.open(sessionParams(opus20, { linkId: 'dying' })).catch((e: unknown) => e);
    await p.terminateWorkerForTest(0);
    const r = await opening;
    // Either the open won the race (then its session reads lost) or it was failed with the exit code.
    if (r instanceof RemoteMediaSession) await until(() => r.isClosed, 2000, 'lost session closed');
    const outcome = r instanceof RemoteMediaSession ? (r.workerLost ? 'lost' : 'alive') : (r as AcipError).code;
    expect(['lost', MEDIA_WORKER_EXIT]).toContain(outcome);
    // The pool serves again.
    const s = await p.open(sessionParams(opus20, { linkId: 'after' }));
    expect(s.isClosed).toBe(false);
    await s.close();
    expect(unhandled).toEqual([]);
  });
});

describe('closing the pool', () => {
  it('closes its sessions, is idempotent, refuses new opens and leaves no handles behind', async () => {
    const before = handleCounts();
    const pool = new MediaWorkerPool({ workers: 2 });
    const { a, b } = await openRemotePair(pool, sessionParams(opus20, { linkId: 'z-a', input: 'tone' }), sessionParams(opus20, { linkId: 'z-b', input: 'tone' }));
    await until(() => b.stats().rtp.rx.packets > 5, 3000, 'media flowing');
    expect([...handleCounts().values()].reduce((x, y) => x + y, 0)).toBeGreaterThan([...before.values()].reduce((x, y) => x + y, 0));
    const errors: unknown[] = [];
    a.on('error', (e) => errors.push(e));
    const c1 = pool.close();
    const c2 = pool.close();
    expect(c2).toBe(c1);
    await c1;
    expect(pool.isClosed).toBe(true);
    expect(a.isClosed && b.isClosed).toBe(true);
    expect(a.stats().closed).toBe(true);
    expect(b.stats().closed).toBe(true);
    // Closed by the pool, not lost: no error event.
    expect(errors).toEqual([]);
    await expect(pool.open(sessionParams(opus20, { linkId: 'late' }))).rejects.toMatchObject({ code: MEDIA_POOL_CLOSED });
    await a.close();
    await sleep(50);
    // Timers are vitest's own (test timeouts); everything else must be as before.
    const after = handleCounts();
    after.delete('Timeout');
    before.delete('Timeout');
    expect(after).toEqual(before);
    expect(unhandled).toEqual([]);
  });
});
