/**
 * RFC 2782 ("A DNS RR for specifying the location of services"), the usage rules on p. 3–4:
 * order SRV records by priority (lowest first) and, within one priority, by a weighted random
 * selection. RFC 3263 §4.4 sends SIP to the targets in exactly this order.
 *
 * Pure: the random source is injected so that tests can pin the order.
 */

export interface SrvRecord {
  /** Target host name (`.` means "decidedly not available here", RFC 2782). */
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** A number in [0, 1), like Math.random. */
export type RandomSource = () => number;

/** True for the RFC 2782 "service not available" record (a single target of `.`). */
export function isNullTarget(r: SrvRecord): boolean {
  return r.name === '.' || r.name === '';
}

/**
 * The RFC 2782 selection order. Within each priority: put weight-0 records first (the RFC:
 * "arrange all SRV RRs ... in any order, except that all those with weight 0 are placed at the
 * beginning of the list"), compute the running sum of weights, pick a uniform random number in
 * [0, sum], take the first record whose running sum is ≥ it, remove it and repeat.
 */
export function orderSrv(records: readonly SrvRecord[], random: RandomSource = Math.random): SrvRecord[] {
  const byPriority = new Map<number, SrvRecord[]>();
  for (const r of records) {
    if (isNullTarget(r)) continue;
    const group = byPriority.get(r.priority);
    if (group) group.push(r);
    else byPriority.set(r.priority, [r]);
  }
  const out: SrvRecord[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const group = byPriority.get(priority)!;
    const pool = [...group.filter((r) => r.weight === 0), ...group.filter((r) => r.weight !== 0)];
    while (pool.length > 0) {
      const total = pool.reduce((s, r) => s + Math.max(0, r.weight), 0);
      // random() < 1, so the pick is in [0, total]; with total 0 every record has weight 0 and
      // the first one is taken, which keeps their (arbitrary) order.
      const pick = Math.min(total, Math.floor(random() * (total + 1)));
      let running = 0;
      let index = pool.length - 1;
      for (let i = 0; i < pool.length; i++) {
        running += Math.max(0, pool[i]!.weight);
        if (running >= pick) {
          index = i;
          break;
        }
      }
      out.push(pool[index]!);
      pool.splice(index, 1);
    }
  }
  return out;
}
