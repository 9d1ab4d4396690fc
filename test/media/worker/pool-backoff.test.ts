/**
 * A worker that dies before it is ready (it cannot even load) is restarted with capped exponential
 * backoff on the pool's clock, never in a tight loop; opens meanwhile reject with MEDIA_WORKER_EXIT,
 * nothing is left unhandled, and close() cancels the pending restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaWorkerPool, MEDIA_WORKER_EXIT } from '../../../server/media/worker/media-worker-pool.js';
import { FakeClock } from '../../../server/util/clock.js';
import { CODEC_CASES, sessionParams } from '../session/session-harness.js';
import { handleCounts, until } from './worker-harness.js';

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

describe('a worker that cannot start', () => {
  it('is restarted with backoff on the pool clock while opens fail with the exit code', async () => {
    const before = handleCounts();
    const clock = new FakeClock();
    const warnings: string[] = [];
    const pool = new MediaWorkerPool({
      workers: 1,
      clock,
      entryForTest: new URL('./fixtures/broken-worker.ts', import.meta.url).href,
      logger: { warn: (_o, m) => warnings.push(m), debug: () => {} },
    });
    await expect(pool.open(sessionParams(CODEC_CASES[0]!, { linkId: 'x' }))).rejects.toMatchObject({ code: MEDIA_WORKER_EXIT });
    await until(() => pool.workers()[0]!.restarts === 1, 5000, 'first death');
    // Waiting on the clock: no new thread until 100 ms of pool time pass.
    expect(pool.workers()[0]!.threadId).toBeNull();
    clock.advance(99);
    expect(pool.workers()[0]!.threadId).toBeNull();
    clock.advance(1);
    expect(pool.workers()[0]!.threadId).not.toBeNull();
    await until(() => pool.workers()[0]!.restarts === 2, 5000, 'second death');
    // The delay doubled.
    clock.advance(199);
    expect(pool.workers()[0]!.threadId).toBeNull();
    clock.advance(1);
    expect(pool.workers()[0]!.threadId).not.toBeNull();
    await until(() => pool.workers()[0]!.restarts === 3, 5000, 'third death');
    expect(warnings.filter((w) => w.includes('media worker died'))).toHaveLength(3);
    await pool.close();
    // The pending restart was cancelled.
    clock.advance(10_000);
    expect(pool.workers()[0]!.threadId).toBeNull();
    const after = handleCounts();
    after.delete('Timeout');
    before.delete('Timeout');
    expect(after).toEqual(before);
    expect(unhandled).toEqual([]);
  });
});
