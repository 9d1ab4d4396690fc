/**
 * A small cache whose entries expire after their own time to live (DNS answers, RFC 1035
 * §3.2.1 TTL; negative answers, RFC 2308). Bounded: when full, the entry inserted or refreshed
 * longest ago is evicted first. Time comes from the caller (an injected clock's `now()`).
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(readonly maxEntries: number) {
    if (!(maxEntries >= 1)) throw new RangeError('TtlCache needs room for at least one entry');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The live value for `key`, or undefined (an expired entry is removed on the way). */
  get(key: string, now: number): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** Store `value` for `ttlMs` milliseconds; a TTL of 0 or less stores nothing. */
  set(key: string, value: V, ttlMs: number, now: number): void {
    this.entries.delete(key);
    if (!(ttlMs > 0)) return;
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: now + ttlMs });
  }

  clear(): void {
    this.entries.clear();
  }
}
