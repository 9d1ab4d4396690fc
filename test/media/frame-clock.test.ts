import { describe, expect, it } from 'vitest';
import { FakeClock, type Clock } from '../../server/util/clock.js';
import { FrameClock } from '../../server/media/frame-clock.js';

/** Mulberry32: a small seeded PRNG so that the "sloppy timer" runs are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A clock whose timers behave like Node's: whole milliseconds, firing up to `early` ms before
 * and up to `late` ms after the requested time.
 */
function sloppyClock(fake: FakeClock, seed: number, early: number, late: number): Clock {
  const rnd = prng(seed);
  return {
    now: () => fake.now(),
    wallNow: () => fake.wallNow(),
    setTimer: (ms, fn) => fake.setTimer(Math.max(0, Math.round(ms) - early + rnd() * (early + late)), fn),
  };
}

function run(frameMs: number, seconds: number, clock: Clock, fake: FakeClock, step = 1000) {
  const ticks: number[] = [];
  const times: number[] = [];
  const fc = new FrameClock({ frameMs, clock, onTick: (k) => (ticks.push(k), times.push(fake.now())) });
  fc.start();
  for (let t = 0; t < seconds * 1000; t += step) fake.advance(step);
  fc.stop();
  return { fc, ticks, times };
}

describe('frame clock', () => {
  it.each([20, 5, 2.5, 1])('delivers exactly floor(T/frame)+1 ticks of %s ms over 10 simulated minutes with exact timers', (frameMs) => {
    const fake = new FakeClock(1234.5);
    const { fc, ticks } = run(frameMs, 600, fake, fake);
    expect(ticks.length).toBe(Math.floor(600_000 / frameMs) + 1);
    expect(ticks.every((k, i) => k === i)).toBe(true);
    expect(fc.stats().skippedTicks).toBe(0);
  });

  it.each([
    [20, 600],
    [5, 120],
    [2.5, 60],
    [1, 60],
  ])('does not drift at %s ms over %i simulated seconds with timers that fire early and late like Node’s', (frameMs, seconds) => {
    const fake = new FakeClock(0);
    const { fc, ticks, times } = run(frameMs, seconds, sloppyClock(fake, 7, 1, 3), fake);
    // Every tick delivered in order, none lost or doubled...
    let inOrder = true;
    let minLate = Infinity;
    let maxLate = -Infinity;
    for (let k = 0; k < ticks.length; k++) {
      if (ticks[k] !== k) inOrder = false;
      const late = times[k]! - k * frameMs;
      minLate = Math.min(minLate, late);
      maxLate = Math.max(maxLate, late);
    }
    expect(inOrder).toBe(true);
    // ...the count at the end is exact to within the timer's lateness (3 ms) and the 2 ms minimum sleep...
    const due = Math.floor((seconds * 1000) / frameMs) + 1;
    expect(ticks.length).toBeLessThanOrEqual(due);
    expect(ticks.length).toBeGreaterThanOrEqual(due - Math.ceil(5 / frameMs));
    // ...and no tick ever came earlier than the 1 ms early tolerance (at most half a frame) or later than
    // the worst timer lateness plus the minimum sleep: the error does not grow with time.
    expect(minLate).toBeGreaterThanOrEqual(-Math.min(1, frameMs / 2));
    expect(maxLate).toBeLessThanOrEqual(3 + 2 + 1);
    expect(fc.stats().skippedTicks).toBe(0);
  });

  it('batches short frames: at 1 ms it wakes no more often than every 2 ms', () => {
    const fake = new FakeClock(0);
    const { fc } = run(1, 10, fake, fake);
    const s = fc.stats();
    expect(s.ticks).toBe(10_001);
    expect(s.wakeups).toBeLessThanOrEqual(10_000 / 2 + 1);
    expect(s.maxBatch).toBeGreaterThanOrEqual(2);
  });

  it('wakes once per frame for 20 ms frames', () => {
    const fake = new FakeClock(0);
    const { fc } = run(20, 10, fake, fake);
    expect(fc.stats().wakeups).toBe(501);
    expect(fc.stats().maxBatch).toBe(1);
  });

  it('catches up a short stall in one batch and skips the ticks of a long one, keeping tick numbers on real time', () => {
    const fake = new FakeClock(0);
    // A blocked event loop: no timer callback runs before `blockedUntil`.
    let blockedUntil = 0;
    const clock: Clock = {
      now: () => fake.now(),
      wallNow: () => fake.wallNow(),
      setTimer: (ms, fn) => {
        const fire = (): void => {
          if (fake.now() < blockedUntil) fake.setTimer(blockedUntil - fake.now(), fire);
          else fn();
        };
        return fake.setTimer(ms, fire);
      },
    };
    const ticks: number[] = [];
    const fc = new FrameClock({ frameMs: 20, clock, maxCatchUpMs: 200, onTick: (k) => ticks.push(k) });
    fc.start();
    fake.advance(1000); // ticks 0..50
    blockedUntil = 1100; // 100 ms stall: ticks 51..55 come in one batch at 1100
    fake.advance(200); // to t = 1200: up to tick 60
    expect(ticks.length).toBe(61);
    expect(fc.stats().maxBatch).toBe(5);
    expect(fc.stats().skippedTicks).toBe(0);
    blockedUntil = 2300; // 1.1 s stall: ticks due before 2100 (61..104) are skipped, 105..115 delivered at 2300
    fake.advance(1300); // to t = 2500
    const s = fc.stats();
    expect(s.skippedTicks).toBe(44);
    expect(s.maxBatch).toBe(11);
    expect(ticks[ticks.length - 1]).toBe(125);
    expect(s.ticks).toBe(61 + 21);
    expect(s.ticks + s.skippedTicks).toBe(fc.nextTick);
    fc.stop();
  });

  it('keeps ticking when a tick handler throws, reporting the error', () => {
    const fake = new FakeClock(0);
    const errors: unknown[] = [];
    let n = 0;
    const fc = new FrameClock({
      frameMs: 5,
      clock: fake,
      onError: (e) => errors.push(e),
      onTick: (k) => {
        n++;
        if (k === 3) throw new Error('boom');
      },
    });
    fc.start();
    fake.advance(100);
    fc.stop();
    expect(n).toBe(21);
    expect(errors).toHaveLength(1);
  });

  it('stops for good and leaves no timer armed', () => {
    const fake = new FakeClock(0);
    let n = 0;
    const fc = new FrameClock({ frameMs: 20, clock: fake, onTick: () => n++ });
    fc.start();
    fake.advance(100);
    fc.stop();
    fc.stop();
    fake.advance(1000);
    expect(n).toBe(6);
    expect(fake.pending()).toBe(0);
    fc.start();
    expect(fc.isRunning).toBe(false);
  });
});
