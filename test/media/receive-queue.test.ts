import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../server/util/clock.js';
import { ReceiveQueue } from '../../server/media/receive-queue.js';

/** A queue whose deferred drains are held until `turn()` runs them (one event-loop turn each). */
function harness(clock: FakeClock) {
  const ran: number[] = [];
  let pending: Array<() => void> = [];
  let live = true;
  const q = new ReceiveQueue({
    clock,
    defer: (fn) => pending.push(fn),
    live: () => live,
    run: (due) => {
      if (due === 13) throw new Error('bad tick');
      ran.push(due);
    },
    onError: () => ran.push(-1),
  });
  return {
    q,
    ran,
    deferred: () => pending.length,
    turn: () => {
      const fns = pending;
      pending = [];
      for (const fn of fns) fn();
    },
    setLive: (v: boolean) => (live = v),
  };
}

describe('receive queue', () => {
  it.each([
    // ticks queued before a turn, the ticks each turn runs (16 at most per turn)
    { queued: 1, turns: [1] },
    { queued: 3, turns: [3] },
    { queued: 16, turns: [16] },
    { queued: 17, turns: [16, 1] },
    { queued: 40, turns: [16, 16, 8] },
  ])('runs $queued queued ticks in order, at most 16 per turn', ({ queued, turns }) => {
    const clock = new FakeClock(1000);
    const h = harness(clock);
    for (let i = 0; i < queued; i++) h.q.push(1000 + i * 0.5);
    expect(h.deferred()).toBe(1);
    const perTurn: number[] = [];
    while (h.deferred() > 0) {
      const before = h.ran.length;
      h.turn();
      perTurn.push(h.ran.length - before);
    }
    expect(perTurn).toEqual(turns);
    expect(h.ran).toEqual(Array.from({ length: queued }, (_, i) => 1000 + i * 0.5));
  });

  it('keeps order when ticks arrive between the turns of a long backlog (the ring wraps and grows)', () => {
    const clock = new FakeClock(0);
    const h = harness(clock);
    const due: number[] = [];
    let t = 100;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 11; i++) {
        h.q.push(t);
        due.push(t++);
      }
      h.turn();
    }
    while (h.deferred() > 0) h.turn();
    expect(h.ran).toEqual(due);
  });

  it('skips ticks more than 200 ms behind and counts them as skipped clock ticks', () => {
    const clock = new FakeClock(0);
    const h = harness(clock);
    for (let due = 0; due < 300; due += 5) h.q.push(due);
    clock.advance(300);
    h.turn();
    // Due before 100 ms (300 − 200): 20 ticks skipped; then a turn's 16.
    expect(h.ran[0]).toBe(100);
    const stats = h.q.clockStats({ frameMs: 5, ticks: 60, skippedTicks: 0, wakeups: 60, maxBatch: 1, lastLateMs: 0, maxLateMs: 0 });
    expect(stats).toMatchObject({ ticks: 40, skippedTicks: 20 });
  });

  it('reports a throwing tick and goes on with the next', () => {
    const clock = new FakeClock(0);
    const h = harness(clock);
    for (const due of [12, 13, 14]) h.q.push(due);
    h.turn();
    expect(h.ran).toEqual([12, -1, 14]);
  });

  it('queues nothing for a path no longer live, and drops what was queued when cleared', () => {
    const clock = new FakeClock(0);
    const h = harness(clock);
    h.q.push(1);
    h.q.push(2);
    h.q.clear();
    h.turn();
    expect(h.ran).toEqual([]);
    h.setLive(false);
    h.q.push(3);
    expect(h.deferred()).toBe(0);
  });
});
