import { describe, expect, it } from 'vitest';
import { MediaSession } from '../../../server/media/media-session.js';
import { TICK_GRID_MS } from '../../../server/media/frame-ticker.js';
import { FakeClock } from '../../../server/util/clock.js';
import { CODEC_CASES, sessionParams } from './session-harness.js';

const PCMA = CODEC_CASES.find((c) => c.codecId === 'PCMA')!;

describe('media session tick grid', () => {
  it.each([
    // when the second session opens, ms after the first (opened at 1000 ms)
    [0],
    [1],
    [3.5],
    [7],
  ])('ticks a session opened %s ms after another at the same moments as it, on the thread tick grid', async (laterMs) => {
    const clock = new FakeClock(1000);
    const ticksAt: [number[], number[]] = [[], []];
    const open = (i: 0 | 1): Promise<MediaSession> =>
      MediaSession.open(sessionParams(PCMA, { linkId: `s${i}`, send: false }), {
        clock,
        deferReceive: (fn) => fn(),
        onPlayout: () => ticksAt[i].push(clock.now()),
      });
    const a = await open(0);
    clock.advance(laterMs);
    const b = await open(1);
    try {
      const openedB = clock.now();
      expect(a.stats().openedAtMs).toBe(1000);
      // B's clocks count from the grid point at or just before it opened.
      expect(b.stats().openedAtMs).toBeLessThanOrEqual(openedB);
      expect(openedB - b.stats().openedAtMs).toBeLessThan(TICK_GRID_MS);
      expect(b.stats().openedAtMs % TICK_GRID_MS).toBe(0);
      const from = ticksAt[1].length;
      for (let i = 0; i < 20; i++) clock.advance(5);
      // After the first two (the tick due at B's origin, delivered at once, and the next after the
      // clock's minimum sleep), every tick of B came in the same wake-up as one of A's.
      const bTimes = ticksAt[1].slice(from + 2);
      expect(bTimes.length).toBeGreaterThanOrEqual(17);
      for (const t of bTimes) expect(ticksAt[0]).toContain(t);
    } finally {
      await a.close();
      await b.close();
    }
    expect(clock.pending()).toBe(0);
  });
});
