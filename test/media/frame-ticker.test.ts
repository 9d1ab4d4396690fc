import { describe, expect, it } from 'vitest';
import { FakeClock, type Clock } from '../../server/util/clock.js';
import { FrameTicker, TICK_GRID_MS, tickerEntry, tickGridAtOrBefore } from '../../server/media/frame-ticker.js';
import { FrameClock } from '../../server/media/frame-clock.js';

/** A FakeClock that counts the timer callbacks run on it. */
function countingClock(fake: FakeClock): { clock: Clock; fired: () => number } {
  let n = 0;
  return {
    clock: {
      now: () => fake.now(),
      wallNow: () => fake.wallNow(),
      setTimer: (ms, fn) =>
        fake.setTimer(ms, () => {
          n++;
          fn();
        }),
    },
    fired: () => n,
  };
}

describe('frame ticker', () => {
  it.each([
    // requests (name, at) in the order made; expected wake order; timer callbacks run
    { rows: [['a', 10], ['b', 5], ['c', 10]] as const, order: 'b a c', timers: 2 },
    { rows: [['a', 7], ['b', 7], ['c', 7]] as const, order: 'a b c', timers: 1 },
    { rows: [['a', 3.2], ['b', 3.9], ['c', 4]] as const, order: 'a b c', timers: 2 },
    { rows: [['a', 20], ['b', 1], ['c', 20], ['d', 0.5]] as const, order: 'd b a c', timers: 3 },
  ])('wakes requests in time order, ties in the order asked, grouped by whole millisecond: $order', ({ rows, order, timers }) => {
    const fake = new FakeClock(0);
    const { clock, fired } = countingClock(fake);
    const t = new FrameTicker(clock);
    const woke: string[] = [];
    for (const [name, at] of rows) t.schedule(tickerEntry(() => woke.push(name)), at);
    fake.advance(100);
    expect(woke.join(' ')).toBe(order);
    expect(fired()).toBe(timers);
    expect(fake.pending()).toBe(0);
  });

  it('drives many frame clocks on the same clock with a single armed timer', () => {
    const fake = new FakeClock(0);
    const ticks = [0, 0, 0, 0];
    const clocks = [20, 5, 20, 5].map((frameMs, i) => new FrameClock({ frameMs, clock: fake, onTick: () => ticks[i]!++ }));
    for (const c of clocks) c.start();
    for (let ms = 0; ms < 1000; ms++) {
      fake.advance(1);
      expect(fake.pending()).toBeLessThanOrEqual(1);
    }
    expect(ticks).toEqual([51, 201, 51, 201]);
    for (const c of clocks) c.stop();
    expect(fake.pending()).toBe(0);
  });

  it('lets a wake-up re-arm, cancel another request or throw without losing the others', () => {
    const fake = new FakeClock(0);
    const t = new FrameTicker(fake);
    const woke: string[] = [];
    const c = tickerEntry(() => woke.push('c'));
    const a = tickerEntry(() => {
      woke.push('a');
      t.cancel(c);
      t.schedule(a, fake.now() + 5);
    });
    const b = tickerEntry(() => {
      woke.push('b');
      throw new Error('boom');
    });
    t.schedule(a, 10);
    t.schedule(b, 10);
    t.schedule(c, 10);
    expect(() => fake.advance(10)).toThrow('boom');
    expect(woke).toEqual(['a', 'b']);
    // The timer was armed again before the error left the callback.
    fake.advance(5);
    expect(woke).toEqual(['a', 'b', 'a']);
    t.cancel(a);
    expect(t.size).toBe(0);
    expect(fake.pending()).toBe(0);
  });

  it('treats a timer that fires early within its millisecond as on time', () => {
    const fake = new FakeClock(0);
    // Fires 0.4 ms before the requested time, as a whole-millisecond timer wheel may.
    const early: Clock = { now: () => fake.now(), wallNow: () => fake.wallNow(), setTimer: (ms, fn) => fake.setTimer(Math.max(0, ms - 0.4), fn) };
    const t = new FrameTicker(early);
    const woke: number[] = [];
    t.schedule(tickerEntry(() => woke.push(fake.now())), 10);
    fake.advance(20);
    expect(woke).toEqual([9.6]);
  });

  it.each([
    [0, 0],
    [4.999, 0],
    [5, 5],
    [1234.5, 1230],
    [99_999.9, 99_995],
  ])('puts a session opened at %s ms on the tick grid point %s ms', (now, origin) => {
    expect(tickGridAtOrBefore(now)).toBe(origin);
    expect(now - tickGridAtOrBefore(now)).toBeLessThan(TICK_GRID_MS);
  });
});
