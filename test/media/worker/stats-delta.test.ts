/**
 * Stats deltas (stats-delta.ts): the worker sends the changes between the snapshot the main thread
 * holds and the new one; applying them rebuilds the new snapshot exactly, without touching the base
 * (shared with callers of stats()).
 */
import { describe, expect, it } from 'vitest';
import { applyStatsDelta, diffStats, encodeStatsUpdate, resolveStatsUpdate, withMeters } from '../../../server/media/worker/stats-delta.js';
import type { MediaSessionStats } from '../../../server/media/session-types.js';
import { isAcipError } from '../../../server/util/errors.js';

interface Row {
  what: string;
  prev: Record<string, unknown>;
  next: Record<string, unknown>;
  /** The delta on the wire. */
  delta: Record<string, unknown>;
}

const base = () => ({
  linkId: 'a',
  closed: false,
  rtp: { ssrc: 1, remote: null as null | { address: string; rtpPort: number }, tx: { packets: 0, octets: 0 } },
  meter: { channels: [{ peak: -120 }, { peak: -120 }], windows: 0 },
  jitterBuffer: null as null | Record<string, number>,
});

const ROWS: Row[] = [
  { what: 'nothing changed', prev: base(), next: base(), delta: {} },
  { what: 'a top-level field', prev: base(), next: { ...base(), closed: true }, delta: { closed: true } },
  { what: 'nested counters', prev: base(), next: { ...base(), rtp: { ...base().rtp, tx: { packets: 3, octets: 480 } } }, delta: { rtp: { tx: { packets: 3, octets: 480 } } } },
  {
    what: 'null becoming an object (sent whole)',
    prev: base(),
    next: { ...base(), rtp: { ...base().rtp, remote: { address: '127.0.0.1', rtpPort: 5004 } } },
    delta: { rtp: { remote: [{ address: '127.0.0.1', rtpPort: 5004 }] } },
  },
  { what: 'an object becoming null', prev: { ...base(), jitterBuffer: { delayMs: 40 } }, next: base(), delta: { jitterBuffer: null } },
  {
    what: 'an array element, by index',
    prev: base(),
    next: { ...base(), meter: { channels: [{ peak: -120 }, { peak: -18 }], windows: 1 } },
    delta: { meter: { channels: { 1: { peak: -18 } }, windows: 1 } },
  },
  {
    what: 'an array that shrank (sent whole)',
    prev: base(),
    next: { ...base(), meter: { channels: [{ peak: -20 }], windows: 0 } },
    delta: { meter: { channels: [[{ peak: -20 }]] } },
  },
  {
    what: 'a key added (the object sent whole)',
    prev: base(),
    next: { ...base(), rtp: { ...base().rtp, srtp: { authFailures: 0 } } },
    delta: { rtp: [{ ...base().rtp, srtp: { authFailures: 0 } }] },
  },
  {
    what: 'a key removed (the object sent whole)',
    prev: { ...base(), recovery: { red: true } },
    next: base(),
    delta: [base()] as unknown as Record<string, unknown>,
  },
  { what: 'NaN staying NaN', prev: { ...base(), x: Number.NaN }, next: { ...base(), x: Number.NaN }, delta: {} },
  { what: 'a number becoming a string', prev: { ...base(), x: 1 }, next: { ...base(), x: '1' }, delta: { x: '1' } },
];

describe('a stats delta', () => {
  for (const r of ROWS) {
    it(`carries ${r.what}, and rebuilds the new snapshot from the old one`, () => {
      const d = diffStats(r.prev, r.next, 100);
      if (Array.isArray(r.delta)) {
        // The root's keys changed: no delta, the snapshot goes whole.
        expect(d).toBeNull();
        return;
      }
      expect(d).toEqual(r.delta);
      const frozen = structuredClone(r.prev);
      const rebuilt = applyStatsDelta(r.prev, d!);
      expect(rebuilt).toEqual(r.next);
      // Copy on write: the base is as it was.
      expect(r.prev).toEqual(frozen);
      // A delta survives the thread boundary as it is.
      expect(applyStatsDelta(r.prev, structuredClone(d!))).toEqual(r.next);
    });
  }

  it('keeps the objects that did not change and copies only those along a changed path', () => {
    const prev = base();
    const next = { ...prev, rtp: { ...prev.rtp, tx: { packets: 1, octets: 160 } } };
    const out = applyStatsDelta(prev, diffStats(prev, next, 100)!);
    expect(out).not.toBe(prev);
    expect(out.rtp).not.toBe(prev.rtp);
    expect(out.meter).toBe(prev.meter);
    expect(out.rtp.remote).toBe(prev.rtp.remote);
  });

  it('sends a subtree that is the same object in both snapshots whole (it may have changed in place)', () => {
    const prev = base();
    const next = { ...prev, closed: true };
    expect(diffStats(prev, next, 100)).toEqual({ closed: true, rtp: [prev.rtp], meter: [prev.meter] });
  });

  it('gives up beyond the change budget, and then goes whole on the wire', () => {
    const prev = base();
    const next = { ...base(), linkId: 'b', closed: true, rtp: { ...base().rtp, ssrc: 2 } };
    expect(diffStats(prev, next, 3)).not.toBeNull();
    expect(diffStats(prev, next, 2)).toBeNull();
    const s = next as unknown as MediaSessionStats;
    expect(encodeStatsUpdate(prev as unknown as MediaSessionStats, s, 2)).toEqual({ full: s });
    expect(encodeStatsUpdate(null, s, 100)).toEqual({ full: s });
    expect(resolveStatsUpdate(prev as unknown as MediaSessionStats, encodeStatsUpdate(prev as unknown as MediaSessionStats, s, 3))).toEqual(next);
  });

  it.each([
    ['a delta without a base', () => resolveStatsUpdate(null, { delta: { closed: true } })],
    ['a path through a null', () => applyStatsDelta(base(), { jitterBuffer: { delayMs: 40 } })],
    ['a path through a number', () => applyStatsDelta(base(), { linkId: { x: 1 } })],
    ['a __proto__ key', () => applyStatsDelta(base(), JSON.parse('{"__proto__": {"polluted": 1}}'))],
  ])('refuses %s with MEDIA_WORKER_ERROR', (_what, fn) => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(isAcipError(err) && err.code).toBe('MEDIA_WORKER_ERROR');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('folds meters into a snapshot the same way on both sides of the thread boundary', () => {
    const s = { input: { meter: 'old-in', silence: 1 }, output: { meter: 'old-out', sink: 2 }, linkId: 'a' } as unknown as MediaSessionStats;
    const m = { input: 'in', output: 'out' } as unknown as Parameters<typeof withMeters>[1];
    const out = withMeters(s, m);
    expect(out).toEqual({ input: { meter: 'in', silence: 1 }, output: { meter: 'out', sink: 2 }, linkId: 'a' });
    expect(s.input.meter).toBe('old-in');
  });
});
