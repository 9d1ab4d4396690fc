/**
 * Refused inbound calls are logged at most once a second per kind of refusal: the first of a burst at
 * once, the rest counted onto the next line of that kind.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../server/util/clock.js';
import { RefusalLog, type RefusalKind } from '../../server/links/refusal-log.js';

function recorder() {
  const lines: { fields: Record<string, unknown>; msg: string }[] = [];
  return { lines, log: { warn: (fields: object, msg: string) => lines.push({ fields: fields as Record<string, unknown>, msg }) } };
}

describe('the refusal log', () => {
  // [ms since start, kind, the line written (null: counted, not written)]
  const rows: [number, RefusalKind, string | null][] = [
    [0, 'overload', 'refused'],
    [10, 'overload', null],
    [999, 'overload', null],
    [500, 'link-limit', 'refused'],
    [1000, 'overload', 'refused (and 2 more refused alike since the last such line)'],
    [1500, 'link-limit', 'refused'],
    [2999, 'overload', 'refused'],
  ];
  it('writes the first refusal of each kind at once and folds the rest of the second into the next line', () => {
    const clock = new FakeClock();
    const { lines, log } = recorder();
    const r = new RefusalLog(clock, log, 1000);
    const start = clock.now();
    for (const [at, kind, expected] of [...rows].sort((a, b) => a[0] - b[0])) {
      clock.advance(start + at - clock.now());
      const before = lines.length;
      r.warn(kind, { kind }, 'refused');
      expect(lines.length - before, `${kind} at ${at} ms`).toBe(expected === null ? 0 : 1);
      if (expected !== null) expect(lines.at(-1)!.msg).toBe(expected);
    }
  });

  it('carries the count of the folded refusals as a field', () => {
    const clock = new FakeClock();
    const { lines, log } = recorder();
    const r = new RefusalLog(clock, log, 1000);
    for (let i = 0; i < 5; i++) r.warn('source-limit', { from: 'sip:a@b' }, 'refused');
    clock.advance(1000);
    r.warn('source-limit', { from: 'sip:a@b' }, 'refused');
    expect(lines.map((l) => l.fields)).toEqual([{ from: 'sip:a@b' }, { from: 'sip:a@b', alsoRefused: 4 }]);
  });
});
