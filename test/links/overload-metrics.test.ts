/** The admission-control series on /metrics, read from the guard's status at scrape time. */
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { registerOverloadMetrics } from '../../server/links/overload-metrics.js';
import type { OverloadStatus } from '../../server/links/overload-guard.js';

const lines = (text: string) => text.split('\n').filter((l) => l.startsWith('acip_'));

describe('the overload metrics', () => {
  it('expose the load per worker, the machine busy share, the lag, the state and the refusals of the last sample', async () => {
    const registry = new Registry();
    let status: OverloadStatus | null = {
      state: 'overloaded',
      reason: 'media workers 90 % busy (refuse at 85 %)',
      eventLoopLagS: 0.012,
      mediaLoadRatio: 0.9,
      machineBusyRatio: 0.97,
      workers: [
        { index: 0, loadRatio: 0.95 },
        { index: 1, loadRatio: 0.85 },
      ],
      refused: 7,
    };
    registerOverloadMetrics(registry, () => status);
    expect(lines(await registry.metrics())).toEqual([
      'acip_media_load_ratio{worker="0"} 0.95',
      'acip_media_load_ratio{worker="1"} 0.85',
      'acip_machine_cpu_busy_ratio 0.97',
      'acip_event_loop_lag_seconds 0.012',
      'acip_overloaded 1',
      'acip_links_refused_overload_total 7',
    ]);
    status = null;
    expect(lines(await registry.metrics())).toEqual([
      'acip_machine_cpu_busy_ratio Nan', // prom-client's spelling; Prometheus reads NaN case-insensitively
      'acip_event_loop_lag_seconds 0',
      'acip_overloaded 0',
      'acip_links_refused_overload_total 0',
    ]);
  });
});
