/**
 * The load that admission control reads, as Prometheus series, collected on scrape from the guard's
 * last sample: media load per worker, machine CPU busy share, main-thread lag, whether new links are
 * refused and how many were.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { OverloadStatus } from './overload-guard.js';

export function registerOverloadMetrics(registry: Registry, status: () => OverloadStatus | null): void {
  new Gauge({
    name: 'acip_media_load_ratio',
    help: 'Event-loop utilisation of each media worker over the last sampling interval (0..1; worker 0 is the main thread when media runs there)',
    labelNames: ['worker'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const w of status()?.workers ?? []) this.set({ worker: String(w.index) }, w.loadRatio);
    },
  });
  new Gauge({
    name: 'acip_machine_cpu_busy_ratio',
    help: 'Busy share of the machine CPU time, all cores, over the last sampling interval (0..1; NaN when the platform gives no CPU times)',
    registers: [registry],
    collect() {
      this.set(status()?.machineBusyRatio ?? NaN);
    },
  });
  new Gauge({
    name: 'acip_event_loop_lag_seconds',
    help: 'Main-thread event-loop delay, 99th percentile over the last sampling interval',
    registers: [registry],
    collect() {
      this.set(status()?.eventLoopLagS ?? 0);
    },
  });
  new Gauge({
    name: 'acip_overloaded',
    help: '1 while new links are refused for overload, else 0',
    registers: [registry],
    collect() {
      this.set(status()?.state === 'overloaded' ? 1 : 0);
    },
  });
  new Counter({
    name: 'acip_links_refused_overload_total',
    help: 'New links (INVITEs and dials) refused for overload',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(status()?.refused ?? 0);
    },
  });
}
