/**
 * The overload monitor turns each media worker's cumulative event-loop utilisation into the share of
 * the last interval, starts over when a worker is replaced, and samples on its (fake) clock.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../server/util/clock.js';
import { OverloadMonitor, type WorkerLoadSource } from '../../server/links/overload-monitor.js';
import type { MediaWorkerInfo } from '../../server/media/worker/media-worker-pool.js';

/** A pool whose workers report cumulative idle/active milliseconds set by the test. */
class FakePool implements WorkerLoadSource {
  rows: { threadId: number; ready: boolean; idle: number; active: number }[] = [];
  workers(): MediaWorkerInfo[] {
    return this.rows.map((r, index) => ({
      index,
      threadId: r.threadId,
      ready: r.ready,
      sessions: 0,
      cost: 0,
      restarts: 0,
      eventLoopUtilization: r.ready ? { idle: r.idle, active: r.active, utilization: r.active / (r.idle + r.active) } : null,
    }));
  }
}

const loads = (m: OverloadMonitor) => m.sample().workers.map((w) => [w.index, Math.round(w.loadRatio * 100) / 100]);

describe('the overload monitor', () => {
  it('reports each worker’s utilisation over the last interval, not since it started', () => {
    const pool = new FakePool();
    pool.rows = [
      { threadId: 1, ready: true, idle: 900, active: 100 },
      { threadId: 2, ready: true, idle: 500, active: 500 },
    ];
    const m = new OverloadMonitor({ clock: new FakeClock(), pool });
    // The first sample of a worker covers its start-up (module loading reads as busy): a baseline only.
    expect(loads(m)).toEqual([]);
    pool.rows = [
      { threadId: 1, ready: true, idle: 950, active: 550 },
      { threadId: 2, ready: true, idle: 900, active: 600 },
    ];
    expect(loads(m)).toEqual([
      [0, 0.9],
      [1, 0.2],
    ]);
    m.close();
  });

  it('skips a worker that is not running and starts over with its replacement', () => {
    const pool = new FakePool();
    pool.rows = [{ threadId: 1, ready: true, idle: 100, active: 900 }];
    const m = new OverloadMonitor({ clock: new FakeClock(), pool });
    loads(m);
    pool.rows = [{ threadId: 1, ready: false, idle: 0, active: 0 }];
    expect(loads(m)).toEqual([]);
    pool.rows = [{ threadId: 7, ready: true, idle: 80, active: 20 }];
    expect(loads(m)).toEqual([]);
    pool.rows = [{ threadId: 7, ready: true, idle: 160, active: 40 }];
    expect(loads(m)).toEqual([[0, 0.2]]);
    m.close();
  });

  it('feeds its guard every interval once started, and stops when closed', () => {
    const clock = new FakeClock();
    const pool = new FakePool();
    pool.rows = [{ threadId: 1, ready: true, idle: 0, active: 1000 }];
    const m = new OverloadMonitor({ clock, pool, intervalMs: 500 });
    m.start();
    expect(m.guard.state).toBe('normal');
    clock.advance(500); // the worker's first sample: its baseline
    expect(m.guard.state).toBe('normal');
    pool.rows = [{ threadId: 1, ready: true, idle: 0, active: 1500 }];
    clock.advance(500);
    expect(m.guard.state).toBe('overloaded');
    m.close();
    expect(clock.pending()).toBe(0);
  });

  it('stands the main thread in as the one worker when media runs there', () => {
    const m = new OverloadMonitor({ clock: new FakeClock() });
    const s = m.sample();
    expect(s.workers.map((w) => w.index)).toEqual([0]);
    expect(s.workers[0]!.loadRatio).toBeGreaterThanOrEqual(0);
    expect(s.eventLoopLagS).toBeGreaterThanOrEqual(0);
    m.close();
  });
});
