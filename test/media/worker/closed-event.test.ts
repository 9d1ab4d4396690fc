/**
 * A media session that ends without close() (its worker died) says so with a typed 'closed' event,
 * once; a session ended by close() never emits it, in a worker or in this thread.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaSession } from '../../../server/media/media-session.js';
import type { MediaSessionClosed, MediaSessionStats } from '../../../server/media/session-types.js';
import { MediaWorkerPool } from '../../../server/media/worker/media-worker-pool.js';
import { RemoteMediaSession, type RemoteSessionHost } from '../../../server/media/worker/remote-media-session.js';
import { systemClock } from '../../../server/util/clock.js';
import { CODEC_CASES, sessionParams } from '../session/session-harness.js';
import { until } from './worker-harness.js';

const params = sessionParams(CODEC_CASES[0]!, { linkId: 'closed-event' });

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

/** A RemoteMediaSession on a host that answers close() at once: no thread involved. */
function remote(): { session: RemoteMediaSession; closed: MediaSessionClosed[] } {
  const host: RemoteSessionHost = {
    updateSession: () => Promise.reject(new Error('not used')),
    closeSession: () => Promise.resolve(null),
  };
  const stats = { closed: false } as MediaSessionStats;
  const session = new RemoteMediaSession(host, { id: 1, localRtpPort: 40000, localRtcpPort: 40001, params, stats });
  const closed: MediaSessionClosed[] = [];
  session.on('closed', (info) => closed.push(info));
  return { session, closed };
}

describe("a remote media session's 'closed' event", () => {
  const cases: Array<{ name: string; run: (s: RemoteMediaSession) => Promise<void> | void; expected: number }> = [
    { name: 'is emitted once with reason worker-exit when the worker dies', run: (s) => s.workerExited('media worker 0 exited: exit code 1'), expected: 1 },
    {
      name: 'is emitted only once when the worker is reported dead twice',
      run: (s) => {
        s.workerExited('first');
        s.workerExited('second');
      },
      expected: 1,
    },
    { name: 'is not emitted by close()', run: (s) => s.close(), expected: 0 },
    {
      name: 'is not emitted when the worker dies after close()',
      run: async (s) => {
        await s.close();
        s.workerExited('late');
      },
      expected: 0,
    },
    { name: 'is not taken from the worker, whose sessions never end on their own', run: (s) => s.deliver('closed', [{ reason: 'worker-exit', message: 'forged' }]), expected: 0 },
  ];

  it.each(cases)('$name', async ({ run, expected }) => {
    const { session, closed } = remote();
    await run(session);
    expect(closed).toHaveLength(expected);
    if (expected > 0) {
      expect(closed[0]!.reason).toBe('worker-exit');
      expect(typeof closed[0]!.message).toBe('string');
      expect(session.isClosed).toBe(true);
      expect(session.workerLost).toBe(true);
      expect(session.stats().closed).toBe(true);
    }
  });

  it('carries the reason and the message of the exit', () => {
    const { session, closed } = remote();
    session.workerExited('media worker 3 exited: exit code 7');
    expect(closed).toEqual([{ reason: 'worker-exit', message: 'media worker 3 exited: exit code 7' }]);
  });
});

describe("'closed' from a real worker", () => {
  it('reaches the open session of a killed worker once, and not the one closed before', async () => {
    const pool = new MediaWorkerPool({ workers: 1 });
    try {
      const before = await pool.open({ ...params, linkId: 'closed-before' });
      const open = await pool.open({ ...params, linkId: 'open-at-exit' });
      const closedBefore: MediaSessionClosed[] = [];
      const closedOpen: MediaSessionClosed[] = [];
      before.on('closed', (i) => closedBefore.push(i));
      open.on('closed', (i) => closedOpen.push(i));
      await before.close();
      await pool.terminateWorkerForTest(0);
      await until(() => open.isClosed, 5000, 'the session of the killed worker closed');
      expect(closedOpen).toHaveLength(1);
      expect(closedOpen[0]).toMatchObject({ reason: 'worker-exit' });
      expect(closedOpen[0]!.message).toMatch(/media worker 0 exited/);
      expect(closedBefore).toEqual([]);
    } finally {
      await pool.close();
    }
    expect(unhandled).toEqual([]);
  });

  it('is never emitted by an in-process session on close()', async () => {
    const s = await MediaSession.open({ ...params, linkId: 'local' }, { clock: systemClock });
    const closed: MediaSessionClosed[] = [];
    s.on('closed', (i) => closed.push(i));
    await s.close();
    expect(closed).toEqual([]);
  });
});
