/**
 * A pool that pushes full stats less often than meters: between full snapshots the meters in
 * `stats()` still move at the meter rate while the counters stay as last pushed, and an event brings
 * a full snapshot at once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MediaWorkerPool } from '../../../server/media/worker/media-worker-pool.js';
import { CODEC_CASES, sessionParams } from '../session/session-harness.js';
import { until } from './worker-harness.js';

const pcma = CODEC_CASES.find((c) => c.name === 'PCMA')!;

describe('meters between full stats pushes', () => {
  const pool = new MediaWorkerPool({ workers: 1, statsIntervalMs: 50, fullStatsIntervalMs: 60_000 });
  afterAll(() => pool.close());

  it('refreshes the meters at the meter rate and the counters only with a full snapshot', async () => {
    // No remote: nothing is sent, so no send error event brings a full snapshot early.
    const s = await pool.open(sessionParams(pcma, { linkId: 'meters', input: 'tone', receive: false }));
    const events: string[] = [];
    for (const name of ['error', 'latched', 'no-media', 'silence'] as const) s.on(name, () => events.push(name));
    try {
      const first = s.stats();
      // The meter closes a window every 100 ms; the pushes carry each new reading.
      await until(() => s.stats().input.meter.windows >= first.input.meter.windows + 3, 5000, 'meter windows');
      const later = s.stats();
      expect(later.input.meter.channels[0]!.peakDbfs).toBeGreaterThan(-30);
      // No full push (a minute apart) and no event: the source counter is still the one of the open reply.
      expect(events).toEqual([]);
      expect(later.input.source.framesRead).toBe(first.input.source.framesRead);
      expect(later.linkId).toBe('meters');
    } finally {
      await s.close();
    }
  });

  it('sends the full stats with an event', async () => {
    const s = await pool.open(sessionParams(pcma, { linkId: 'event', send: false, noMediaTimeoutMs: 200 }));
    try {
      await until(() => s.stats().noMedia, 5000, 'noMedia in the snapshot pushed with the no-media event');
    } finally {
      await s.close();
    }
  });
});
