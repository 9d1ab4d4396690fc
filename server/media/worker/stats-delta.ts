/**
 * Stats snapshots sent as changes. The worker remembers, per session, the snapshot the main thread
 * holds, and for the replies to open/update/close sends what changed since (a delta) instead of the
 * whole snapshot (about 3 kB, ~250 fields, to copy across threads and rebuild). Both sides start
 * from the same base and apply the same changes in the same order (one message port), so the main
 * thread's copy equals what the worker's `stats()` returned.
 *
 * A delta mirrors the snapshot's shape, holding only what changed:
 *   - a primitive (number, string, boolean, null) is the field's new value;
 *   - a one-element array `[v]` replaces the field with `v` whole (a subtree whose shape changed:
 *     a key added or removed, an array that grew or shrank, null ↔ object);
 *   - a plain object descends into the field (an array's elements by index).
 * The root is always a plain object. Pure functions: no I/O, no clock.
 */
import { AcipError } from '../../util/errors.js';
import type { MediaSessionStats } from '../session-types.js';
import type { MeterPair } from './worker-protocol.js';

export type StatsDelta = { [key: string]: StatsDeltaNode };
export type StatsDeltaNode = string | number | boolean | null | [unknown] | StatsDelta;

/** What goes on the wire for one snapshot: all of it, or its changes from the receiver's base. */
export type StatsUpdate = { full: MediaSessionStats } | { delta: StatsDelta };

/** A delta that does not fit its base: a bug on one side of the thread boundary, never bad input. */
function badDelta(message: string): AcipError {
  return new AcipError('MEDIA_WORKER_ERROR', `stats delta: ${message}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The keys of `b` if `a` has exactly the same ones in the same order (snapshots built by one function do), else null. */
function sameKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] | null {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return null;
  for (let i = 0; i < kb.length; i++) if (ka[i] !== kb[i] || kb[i] === '__proto__') return null;
  return kb;
}

/**
 * The changes that turn `prev` into `next` (both plain objects), or null when more than
 * `maxChanges` fields changed (the whole snapshot is then as cheap to send). A subtree that is the
 * same object in both is sent whole: it may be live state that changed in place, so comparing it
 * with itself would prove nothing.
 */
export function diffStats(prev: object, next: object, maxChanges: number): StatsDelta | null {
  let budget = maxChanges;
  // Returns the delta node for b against a, `undefined` if equal; sets budget < 0 to give up.
  const walk = (a: unknown, b: unknown): StatsDeltaNode | undefined => {
    if (Object.is(a, b) && (b === null || typeof b !== 'object')) return undefined;
    if (a !== b && typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
      if (Array.isArray(a) && Array.isArray(b)) {
        if (a.length === b.length) return walkInto(a as unknown as Record<string, unknown>, b as unknown as Record<string, unknown>, Object.keys(b));
      } else if (isRecord(a) && isRecord(b)) {
        const keys = sameKeys(a, b);
        if (keys) return walkInto(a, b, keys);
      }
    }
    budget--;
    return b === null || typeof b !== 'object' ? (b as StatsDeltaNode) : [b];
  };
  const walkInto = (a: Record<string, unknown>, b: Record<string, unknown>, keys: string[]): StatsDelta | undefined => {
    let out: StatsDelta | undefined;
    for (const k of keys) {
      const d = walk(a[k], b[k]);
      if (budget < 0) return undefined;
      if (d !== undefined) (out ??= {})[k] = d;
    }
    return out;
  };
  const root = walk(prev, next);
  if (budget < 0) return null;
  if (root === undefined) return {};
  // The root's shape changed (not two plain objects with the same keys): only whole will do.
  return Array.isArray(root) || !isRecord(root) ? null : root;
}

/**
 * `base` with `delta` applied, copy on write: `base` and every object in it stay as they were (they
 * may be shared with callers of `stats()`); the objects along a changed path are new.
 */
export function applyStatsDelta<T extends object>(base: T, delta: StatsDelta): T {
  const apply = (b: unknown, d: StatsDelta, where: string): Record<string, unknown> => {
    if (b === null || typeof b !== 'object') throw badDelta(`${where || 'the root'} is ${b === null ? 'null' : typeof b} in the base, not an object`);
    const copy = (Array.isArray(b) ? b.slice() : { ...b }) as Record<string, unknown>;
    for (const k of Object.keys(d)) {
      if (k === '__proto__') throw badDelta(`${where}.__proto__`);
      const v = d[k];
      if (v === null || typeof v !== 'object') copy[k] = v;
      else if (Array.isArray(v)) copy[k] = v[0];
      else copy[k] = apply(copy[k], v, where ? `${where}.${k}` : k);
    }
    return copy;
  };
  return apply(base, delta, '') as T;
}

/** The snapshot a stats update stands for, given the receiver's base (null: none yet). */
export function resolveStatsUpdate(base: MediaSessionStats | null, u: StatsUpdate): MediaSessionStats {
  if ('full' in u) return u.full;
  if (!base) throw badDelta('no base snapshot to apply it to');
  return applyStatsDelta(base, u.delta);
}

/**
 * What the worker sends for `next` when the receiver holds `base`: a delta when there is a base and
 * at most `maxChanges` fields changed, else the whole snapshot.
 */
export function encodeStatsUpdate(base: MediaSessionStats | null, next: MediaSessionStats, maxChanges: number): StatsUpdate {
  const delta = base ? diffStats(base, next, maxChanges) : null;
  return delta ? { delta } : { full: next };
}

/**
 * A snapshot with fresher meters (the meter pushes between full ones). Both threads apply it to
 * their copy of the session's snapshot, so the next delta starts from the same base on both sides.
 */
export function withMeters(s: MediaSessionStats, m: MeterPair): MediaSessionStats {
  return { ...s, input: { ...s.input, meter: m.input }, output: { ...s.output, meter: m.output } };
}
