/**
 * A bounded memo of a pure function (a parse, a well-formedness check, a rule verdict) for values
 * that repeat: the requests of one call carry the same From, To, Via and source address again and
 * again. A flood of distinct values costs bounded memory: the memo is emptied when full, which is
 * cheaper per hit than least-recently-used order (that moves the entry on every read). A value whose
 * computation throws is never remembered, so it throws every time.
 */
export class MemoCache<K, V> {
  private readonly map = new Map<K, V>();

  constructor(
    readonly max: number,
    private readonly compute: (key: K) => V,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`MemoCache max must be a positive integer, not ${max}`);
  }

  get size(): number {
    return this.map.size;
  }

  /** `compute(key)`, worked out once while remembered. */
  get(key: K): V {
    const hit = this.map.get(key);
    if (hit !== undefined || this.map.has(key)) return hit as V;
    const v = this.compute(key);
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(key, v);
    return v;
  }
}
