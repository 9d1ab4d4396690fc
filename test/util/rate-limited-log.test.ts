/**
 * A repeated warning is written at most once per key per interval: the first of a burst at once, the
 * rest counted onto the next line of that key; the keys it remembers are bounded.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../server/util/clock.js';
import { RateLimitedLog } from '../../server/util/rate-limited-log.js';

function recorder() {
  const lines: { fields: Record<string, unknown>; msg: string }[] = [];
  return { lines, log: { warn: (fields: object, msg: string) => lines.push({ fields: fields as Record<string, unknown>, msg }) } };
}

describe('the rate-limited log', () => {
  // [ms since start, key, the line written (null: counted, not written)]
  const rows: [number, string, string | null][] = [
    [0, 'a', 'w'],
    [1, 'a', null],
    [2, 'b', 'w'],
    [999, 'a', null],
    [1000, 'a', 'w (and 2 more alike since the last such line)'],
    [1002, 'b', 'w'],
    [5000, 'a', 'w'],
  ];
  it('writes the first warning of each key at once and folds the rest of the interval into the next line', () => {
    const clock = new FakeClock();
    const { lines, log } = recorder();
    const r = new RateLimitedLog<string>(clock, log);
    const start = clock.now();
    for (const [at, key, expected] of rows) {
      clock.advance(start + at - clock.now());
      const before = lines.length;
      r.warn(key, { key }, 'w');
      expect(lines.length - before, `${key} at ${at} ms`).toBe(expected === null ? 0 : 1);
      if (expected !== null) expect(lines.at(-1)!.msg).toBe(expected);
    }
  });

  it('puts the count of folded warnings in the field it is given, with its own wording', () => {
    const clock = new FakeClock();
    const { lines, log } = recorder();
    const r = new RateLimitedLog<string>(clock, log, { intervalMs: 100, countField: 'dropped', foldedText: (n) => `${n} dropped` });
    for (let i = 0; i < 3; i++) r.warn('k', { peer: 'x' }, 'bad');
    clock.advance(100);
    r.warn('k', { peer: 'x' }, 'bad');
    expect(lines).toEqual([
      { fields: { peer: 'x' }, msg: 'bad' },
      { fields: { peer: 'x', dropped: 2 }, msg: 'bad (2 dropped)' },
    ]);
  });

  it('forgets the oldest key past its bound, so many keys cost bounded memory (a forgotten key writes again)', () => {
    const clock = new FakeClock();
    const { lines, log } = recorder();
    const r = new RateLimitedLog<number>(clock, log, { maxKeys: 2 });
    for (const k of [1, 2, 3, 1, 3]) r.warn(k, {}, `k${k}`);
    expect(lines.map((l) => l.msg)).toEqual(['k1', 'k2', 'k3', 'k1']);
  });
});
