/**
 * The overload monitor turns each media worker's cumulative event-loop utilisation into the share of
 * the last interval, starts over when a worker is replaced, reads the machine's busy share from
 * cumulative CPU times (injected: no test reads this machine's), and samples on its (fake) clock.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../server/util/clock.js';
import { OverloadMonitor, type WorkerLoadSource } from '../../server/links/overload-monitor.js';
import type { MediaWorkerInfo } from '../../server/media/worker/media-worker-pool.js';
import type { CpuTimes } from '../../server/links/machine-cpu.js';

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

/** A machine whose cumulative CPU times the test sets; `null` stands for a platform that gives none. */
class FakeMachine {
  times: CpuTimes | null = { busy: 0, total: 0 };
  read = (): CpuTimes | null => this.times;
}

const monitor = (opts: Omit<ConstructorParameters<typeof OverloadMonitor>[0], 'machineCpu'>, machine = new FakeMachine()) =>
  new OverloadMonitor({ ...opts, machineCpu: machine.read });

const loads = (m: OverloadMonitor) => m.sample().workers.map((w) => [w.index, Math.round(w.loadRatio * 100) / 100]);

describe('the overload monitor', () => {
  it('reports each worker’s utilisation over the last interval, not since it started', () => {
    const pool = new FakePool();
    pool.rows = [
      { threadId: 1, ready: true, idle: 900, active: 100 },
      { threadId: 2, ready: true, idle: 500, active: 500 },
    ];
    const m = monitor({ clock: new FakeClock(), pool });
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

  it('samples the concealing links from its probe, set after construction, and reads null without one', () => {
    const m = monitor({ clock: new FakeClock() });
    expect(m.sample().concealingLinks).toBeNull();
    let n = 0;
    m.setConcealingProbe(() => n);
    expect(m.sample().concealingLinks).toBe(0);
    n = 4;
    expect(m.sample().concealingLinks).toBe(4);
    m.close();
  });

  it('skips a worker that is not running and starts over with its replacement', () => {
    const pool = new FakePool();
    pool.rows = [{ threadId: 1, ready: true, idle: 100, active: 900 }];
    const m = monitor({ clock: new FakeClock(), pool });
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
    const m = monitor({ clock, pool, intervalMs: 500 });
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

  // Each row: the machine's cumulative CPU times at construction, then at each sample, and the busy share
  // the sample reports (null: not known).
  it.each([
    {
      name: 'reports the busy share of the interval since the last sample, from the first sample on',
      times: [{ busy: 1000, total: 4000 }, { busy: 1150, total: 4200 }, { busy: 1350, total: 4400 }],
      ratios: [0.75, 1],
    },
    {
      name: 'reports nothing while the platform gives no CPU times, and counts from the first it gives',
      times: [null, null, { busy: 10, total: 100 }, { busy: 100, total: 200 }],
      ratios: [null, null, 0.9],
    },
    {
      name: 'reports nothing for an interval whose counters went backwards (a core taken offline), then counts again',
      times: [{ busy: 500, total: 1000 }, { busy: 400, total: 900 }, { busy: 420, total: 1000 }],
      ratios: [null, 0.2],
    },
    {
      name: 'reports nothing for an interval in which no CPU time passed',
      times: [{ busy: 500, total: 1000 }, { busy: 500, total: 1000 }],
      ratios: [null],
    },
  ])('$name', ({ times, ratios }) => {
    const machine = new FakeMachine();
    machine.times = times[0]!;
    const m = monitor({ clock: new FakeClock(), pool: new FakePool() }, machine);
    const seen: (number | null | undefined)[] = [];
    for (const t of times.slice(1)) {
      machine.times = t;
      seen.push(m.sample().machineBusyRatio);
    }
    expect(seen).toEqual(ratios);
    m.close();
  });

  it('refuses once the machine is saturated for two samples though its workers read half busy', () => {
    const clock = new FakeClock();
    const pool = new FakePool();
    const machine = new FakeMachine();
    pool.rows = [
      { threadId: 1, ready: true, idle: 0, active: 0 },
      { threadId: 2, ready: true, idle: 0, active: 0 },
    ];
    const m = monitor({ clock, pool, intervalMs: 500 }, machine);
    m.start();
    const states: string[] = [];
    // Each interval: both workers 55 % busy (their 500 ms), the machine's two cores 98 % busy (1000 ms of CPU).
    for (let i = 1; i <= 2; i++) {
      pool.rows = pool.rows.map((r) => ({ ...r, idle: 225 * i, active: 275 * i }));
      machine.times = { busy: 980 * i, total: 1000 * i };
      clock.advance(500);
      states.push(m.guard.state);
    }
    expect(states).toEqual(['normal', 'overloaded']);
    expect(m.guard.status()).toMatchObject({ mediaLoadRatio: 0.55, machineBusyRatio: 0.98 });
    m.close();
  });

  it('stands the main thread in as the one worker when media runs there', () => {
    const m = monitor({ clock: new FakeClock() });
    const s = m.sample();
    expect(s.workers.map((w) => w.index)).toEqual([0]);
    expect(s.workers[0]!.loadRatio).toBeGreaterThanOrEqual(0);
    expect(s.eventLoopLagS).toBeGreaterThanOrEqual(0);
    m.close();
  });
});
