import { describe, expect, it } from 'vitest';
import { FakeClock, systemClock, type Clock, type TimerHandle } from '../../server/util/clock.js';
import { sharedTickScheduler, TickScheduler } from '../../server/media/tick-scheduler.js';
import { FrameClock } from '../../server/media/frame-clock.js';

/** A FakeClock that counts the timers armed on it: the scheduler's base timers. */
function countingClock(fake: FakeClock): Clock & { armed: number } {
  const c = {
    armed: 0,
    now: () => fake.now(),
    wallNow: () => fake.wallNow(),
    setTimer: (ms: number, fn: () => void): TimerHandle => {
      c.armed++;
      return fake.setTimer(ms, fn);
    },
  };
  return c;
}

describe('tick scheduler', () => {
  it.each([
    // [clock start, delays asked at that time, when each callback runs]
    { start: 0, delays: [5, 5, 3], runs: [5, 5, 3] },
    { start: 0, delays: [2.2, 2.9, 3], runs: [3, 3, 3] },
    { start: 10.5, delays: [2, 2.5, 0], runs: [13, 13, 11] },
    { start: 10.5, delays: [0.4, -1, Number.NaN], runs: [11, 11, 11] },
  ])('runs each callback in the whole millisecond at or after the time asked (start $start, delays $delays)', ({ start, delays, runs }) => {
    const fake = new FakeClock(start);
    const s = new TickScheduler(fake);
    const ran: number[] = new Array<number>(delays.length).fill(-1);
    delays.forEach((d, i) => s.setTimer(d, () => (ran[i] = fake.now())));
    fake.advance(100);
    expect(ran).toEqual(runs);
  });

  it('runs the callbacks of one millisecond in the order they were filed, and earlier milliseconds first', () => {
    const fake = new FakeClock(0);
    const s = new TickScheduler(fake);
    const order: string[] = [];
    s.setTimer(4, () => order.push('a@4'));
    s.setTimer(2, () => order.push('b@2'));
    s.setTimer(3.5, () => order.push('c@4'));
    s.setTimer(1.1, () => order.push('d@2'));
    fake.advance(10);
    expect(order).toEqual(['b@2', 'd@2', 'a@4', 'c@4']);
  });

  it('wakes once per millisecond for many frame clocks, as often as one clock alone', () => {
    const fake = new FakeClock(0);
    const base = countingClock(fake);
    const s = new TickScheduler(base);
    let ticks = 0;
    // 40 clocks at 5 ms and 40 at 20 ms, started at 80 different phases within the first 5 ms.
    const clocks = Array.from({ length: 80 }, (_, i) => new FrameClock({ frameMs: i % 2 ? 20 : 5, clock: s, onTick: () => ticks++ }));
    for (const fc of clocks) {
      fake.advance(5 / 80);
      fc.start();
    }
    const armed0 = base.armed;
    fake.advance(1000);
    const armed = base.armed - armed0;
    for (const fc of clocks) fc.stop();
    expect(ticks).toBeGreaterThanOrEqual(40 * 200 + 40 * 50);
    // Every frame clock's wake-up falls in one of at most 1000 milliseconds (and one is armed after them).
    expect(armed).toBeLessThanOrEqual(1000 + 1);
    expect(s.stats().callbacks).toBeGreaterThan(10 * armed);
    expect(fake.pending()).toBe(0);
  });

  it('runs a callback filed while its millisecond runs on a later run, never the running one', () => {
    const fake = new FakeClock(0);
    const base = countingClock(fake);
    const s = new TickScheduler(base);
    const log: string[] = [];
    s.setTimer(1, () => {
      log.push(`first@${fake.now()}`);
      s.setTimer(0, () => log.push(`filed inside@${fake.now()}`));
    });
    s.setTimer(1, () => log.push(`second@${fake.now()}`));
    fake.advance(1);
    expect(log).toEqual(['first@1', 'second@1', 'filed inside@1']);
    expect(s.stats().wakeups).toBe(2);
  });

  it('runs every other callback of the millisecond when one throws, then rethrows the first error', () => {
    const fake = new FakeClock(0);
    const s = new TickScheduler(fake);
    const ran: string[] = [];
    s.setTimer(1, () => ran.push('a'));
    s.setTimer(1, () => {
      throw new Error('first');
    });
    s.setTimer(1, () => {
      throw new Error('second');
    });
    s.setTimer(1, () => ran.push('d'));
    s.setTimer(2, () => ran.push('e'));
    expect(() => fake.advance(1)).toThrow('first');
    expect(ran).toEqual(['a', 'd']);
    fake.advance(1);
    expect(ran).toEqual(['a', 'd', 'e']);
  });

  it('moves or disarms its timer when callbacks are cancelled, so nothing is left armed', () => {
    const fake = new FakeClock(0);
    const s = new TickScheduler(fake);
    const ran: number[] = [];
    const a = s.setTimer(5, () => ran.push(5));
    const b = s.setTimer(10, () => ran.push(10));
    expect(fake.pending()).toBe(1);
    a.cancel();
    a.cancel();
    expect(fake.pending()).toBe(1);
    expect(s.pending()).toBe(1);
    b.cancel();
    expect(fake.pending()).toBe(0);
    expect(s.pending()).toBe(0);
    fake.advance(20);
    expect(ran).toEqual([]);
    const c = s.setTimer(1, () => ran.push(21));
    fake.advance(1);
    c.cancel(); // after it ran: a no-op
    expect(ran).toEqual([21]);
    expect(fake.pending()).toBe(0);
  });

  it('does not run a millisecond early when its timer fires early, and runs what a stall left overdue in one wake-up, in order', () => {
    const fake = new FakeClock(0);
    // A base clock whose first timer fires 0.6 ms early and whose second is held back by a 30 ms stall.
    let armedCount = 0;
    const base: Clock = {
      now: () => fake.now(),
      wallNow: () => fake.wallNow(),
      setTimer: (ms, fn) => fake.setTimer(++armedCount === 1 ? ms - 0.6 : armedCount === 2 ? ms : ms + 30, fn),
    };
    const s = new TickScheduler(base);
    const log: string[] = [];
    s.setTimer(5, () => log.push(`5@${fake.now()}`));
    fake.advance(5);
    expect(log).toEqual(['5@5']);
    expect(s.stats().earlyWakeups).toBe(1);
    s.setTimer(1, () => log.push(`6@${fake.now()}`));
    s.setTimer(3, () => log.push(`8@${fake.now()}`));
    fake.advance(40);
    expect(log).toEqual(['5@5', '6@36', '8@36']);
  });

  it('is one per clock and thread', () => {
    const a = new FakeClock(0);
    const b = new FakeClock(0);
    expect(sharedTickScheduler(a)).toBe(sharedTickScheduler(a));
    expect(sharedTickScheduler(a)).not.toBe(sharedTickScheduler(b));
    expect(sharedTickScheduler(sharedTickScheduler(b))).toBe(sharedTickScheduler(b));
    expect(sharedTickScheduler(systemClock).base).toBe(systemClock);
  });
});
