/**
 * A pool that starts its workers on demand holds no thread while idle, starts worker 0 for the first
 * session, and warms up the next worker once the running one carries half of WARM_COST, so the sessions
 * after that spread to it. A provisional session (both directions off) weighs almost nothing until the
 * update that turns its media on.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MediaWorkerPool, WARM_COST } from '../../../server/media/worker/media-worker-pool.js';
import { IDLE_COST, sessionCost } from '../../../server/media/worker/session-cost.js';
import { CODEC_CASES, sessionParams } from '../session/session-harness.js';

const pcma = CODEC_CASES.find((c) => c.name === 'PCMA')!;
const l24fast = CODEC_CASES.find((c) => c.name === 'L24 stereo 1 ms')!;
/** Sessions that run no clocks (both directions off): placed by their cost, cheap to host. */
const quiet = (c: typeof pcma, linkId: string) => sessionParams(c, { linkId, send: false, receive: false });
/** Both directions on, nowhere to send yet: the clocks run, nothing goes out. */
const running = (c: typeof pcma, linkId: string) => sessionParams(c, { linkId, remote: null });

describe('a media worker pool that starts workers on demand', () => {
  const pool = new MediaWorkerPool({ workers: 2, startWorkers: 'on-demand' });
  afterAll(() => pool.close());

  it('starts no worker before the first session', () => {
    expect(pool.workers().map((w) => [w.threadId, w.ready])).toEqual([
      [null, false],
      [null, false],
    ]);
  });

  it('starts worker 0 for the first session and leaves worker 1 stopped while the load is light', async () => {
    const s = await pool.open(quiet(pcma, 'first'));
    expect(pool.workers().map((w) => [w.ready, w.sessions])).toEqual([
      [true, 1],
      [false, 0],
    ]);
    expect(pool.workers()[1]!.threadId).toBeNull();
    await s.close();
  });

  it('warms up worker 1 once worker 0 carries half of WARM_COST, and places the next session there', async () => {
    expect(sessionCost(running(l24fast, 'x'))).toBeGreaterThanOrEqual(WARM_COST / 2);
    const heavy = await pool.open(running(l24fast, 'heavy'));
    expect(pool.workers()[1]!.threadId).not.toBeNull();
    const next = await pool.open(quiet(pcma, 'next'));
    expect(pool.workers().map((w) => [w.ready, w.sessions])).toEqual([
      [true, 1],
      [true, 1],
    ]);
    await Promise.all([heavy.close(), next.close()]);
  });
});

describe('a provisional session in an on-demand pool', () => {
  const pool = new MediaWorkerPool({ workers: 2, startWorkers: 'on-demand' });
  afterAll(() => pool.close());

  it('weighs it at the idle cost, and re-costs it (warming up worker 1) when an update turns its media on', async () => {
    expect(sessionCost(running(l24fast, 'x'))).toBeGreaterThanOrEqual(WARM_COST / 2);
    const s = await pool.open(quiet(l24fast, 'provisional'));
    try {
      expect(pool.workers()[0]!.cost).toBeCloseTo(IDLE_COST, 6);
      expect(pool.workers()[1]!.threadId).toBeNull();
      await s.update({ ...s.currentParams(), send: true, receive: true });
      expect(pool.workers()[0]!.cost).toBeCloseTo(sessionCost(running(l24fast, 'x')), 6);
      // The update took worker 0 past half of WARM_COST: worker 1 is warming up.
      expect(pool.workers()[1]!.threadId).not.toBeNull();
    } finally {
      await s.close();
    }
    expect(pool.workers()[0]!.cost).toBe(0);
  });
});
