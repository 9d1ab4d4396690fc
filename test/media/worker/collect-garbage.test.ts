/**
 * MediaWorkerPool.collectGarbage: every running worker answers with its heap used before and after a
 * full collection (gc exists in a worker only when the process runs with --expose-gc, as npm start
 * does); a pool whose workers have not started answers with none.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MediaWorkerPool } from '../../../server/media/worker/media-worker-pool.js';

describe('garbage collection on request in the media workers', () => {
  const pool = new MediaWorkerPool({ workers: 2, startWorkers: 'on-demand' });
  afterAll(() => pool.close());

  it('answers with nothing while no worker runs', async () => {
    expect(await pool.collectGarbage()).toEqual([]);
  });

  it('answers once per running worker with its heap figures', async () => {
    await pool.ready();
    const values = await pool.collectGarbage();
    expect(values).toHaveLength(2);
    const exposed = typeof (globalThis as { gc?: unknown }).gc === 'function';
    for (const v of values) {
      expect(v.collected).toBe(exposed);
      expect(v.heapUsedBefore).toBeGreaterThan(0);
      expect(v.heapUsedAfter).toBeGreaterThan(0);
    }
  });
});
