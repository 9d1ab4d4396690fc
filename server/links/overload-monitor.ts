/**
 * Measures the service's load and feeds it to an OverloadGuard every `intervalMs`:
 * - the main thread's event-loop delay (perf_hooks monitorEventLoopDelay, 99th percentile of the
 *   interval, then reset);
 * - each media worker's event-loop utilisation over the interval (the share of time it ran sessions,
 *   from `Worker.performance.eventLoopUtilization()` deltas). Without workers, media runs on the main
 *   thread and its own utilisation stands in as the one "worker";
 * - the machine's CPU busy share over the interval, all cores (machine-cpu.ts: /proc/stat, else
 *   `os.cpus()`), which the two above cannot see when other processes share the cores.
 *
 * `close()` is idempotent and stops the timer and the histogram.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { MediaWorkerInfo } from '../media/worker/media-worker-pool.js';
import { busyRatio, readMachineCpuTimes, type CpuTimes, type CpuTimesReader } from './machine-cpu.js';
import { MAIN_THREAD_THRESHOLDS, OverloadGuard, WORKER_THRESHOLDS, type LoadSample, type OverloadThresholds } from './overload-guard.js';

/** What the monitor reads of a MediaWorkerPool. */
export interface WorkerLoadSource {
  workers(): MediaWorkerInfo[];
}

export interface OverloadMonitorOptions {
  clock: Clock;
  /** The media worker pool; absent when media runs on the main thread. */
  pool?: WorkerLoadSource;
  /** Sampling interval, ms (default 500: a burst of calls is refused within half a second of the load it causes). */
  intervalMs?: number;
  /** Default: WORKER_THRESHOLDS with a pool, MAIN_THREAD_THRESHOLDS without. */
  thresholds?: OverloadThresholds;
  /** Reads the machine's cumulative CPU time (default: readMachineCpuTimes); a test injects its own. */
  machineCpu?: CpuTimesReader;
  /** Connected links that concealed audio over the last second (see LoadSample.concealingLinks). */
  concealingLinks?: () => number | null;
}

const NS_PER_S = 1e9;
/** Histogram resolution of the event-loop delay monitor, ms. */
const LAG_RESOLUTION_MS = 10;

export class OverloadMonitor {
  readonly guard: OverloadGuard;
  private readonly histogram: IntervalHistogram;
  private readonly intervalMs: number;
  private timer: TimerHandle | undefined;
  private closed = false;
  /** Last cumulative utilisation per worker slot, with the thread it was read from (a restart starts over). */
  private readonly lastElu = new Map<number, { threadId: number | null; elu: EventLoopUtilization }>();
  private lastMainElu: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly readCpu: CpuTimesReader;
  /** The machine's CPU time at the last sample (first read at construction, so the first sample covers the time since). */
  private lastCpu: CpuTimes | null;
  private concealingProbe: (() => number | null) | undefined;

  constructor(private readonly opts: OverloadMonitorOptions) {
    this.guard = new OverloadGuard(opts.clock, opts.thresholds ?? (opts.pool ? WORKER_THRESHOLDS : MAIN_THREAD_THRESHOLDS));
    this.intervalMs = opts.intervalMs ?? 500;
    this.histogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    this.readCpu = opts.machineCpu ?? readMachineCpuTimes;
    this.lastCpu = this.readCpu();
    this.concealingProbe = opts.concealingLinks;
  }

  /**
   * Where the count of concealing links comes from: the link manager, which is built after the monitor
   * (it takes the guard), so it is wired here rather than in the options.
   */
  setConcealingProbe(probe: () => number | null): void {
    this.concealingProbe = probe;
  }

  start(): void {
    if (this.closed || this.timer) return;
    this.histogram.enable();
    this.arm();
  }

  /** Take a sample now (also what the timer does) and feed it to the guard. */
  sample(): LoadSample {
    const lag = this.histogram.count > 0 ? Math.max(0, this.histogram.percentile(99) / NS_PER_S - LAG_RESOLUTION_MS / 1000) : 0;
    this.histogram.reset();
    const s: LoadSample = {
      eventLoopLagS: lag,
      workers: this.opts.pool ? this.workerLoads(this.opts.pool) : [{ index: 0, loadRatio: this.mainLoad() }],
      machineBusyRatio: this.machineBusy(),
      concealingLinks: this.concealingProbe?.() ?? null,
    };
    this.guard.observe(s);
    return s;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.histogram.disable();
  }

  private arm(): void {
    this.timer = this.opts.clock.setTimer(this.intervalMs, () => {
      if (this.closed) return;
      this.sample();
      this.arm();
    });
  }

  private machineBusy(): number | null {
    const now = this.readCpu();
    const ratio = busyRatio(this.lastCpu, now);
    this.lastCpu = now;
    return ratio;
  }

  private mainLoad(): number {
    const now = performance.eventLoopUtilization();
    const d = performance.eventLoopUtilization(now, this.lastMainElu);
    this.lastMainElu = now;
    return d.utilization;
  }

  private workerLoads(pool: WorkerLoadSource): { index: number; loadRatio: number }[] {
    const out: { index: number; loadRatio: number }[] = [];
    for (const w of pool.workers()) {
      if (!w.ready || !w.eventLoopUtilization) {
        this.lastElu.delete(w.index);
        continue;
      }
      const prev = this.lastElu.get(w.index);
      this.lastElu.set(w.index, { threadId: w.threadId, elu: w.eventLoopUtilization });
      // A worker's first sample would cover its whole life so far, start-up (module loading, JIT) included,
      // which reads as nearly 100 % busy: it only sets the baseline, and the worker counts from the next.
      if (!prev || prev.threadId !== w.threadId) continue;
      const d = performance.eventLoopUtilization(w.eventLoopUtilization, prev.elu);
      out.push({ index: w.index, loadRatio: Number.isFinite(d.utilization) ? d.utilization : 0 });
    }
    return out;
  }
}
