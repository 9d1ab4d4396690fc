/**
 * Running counts of SIP messages by label and direction, for `acip_sip_requests_total` (label: the
 * method) and `acip_sip_responses_total` (label: the status code). Every SIP message in or out counts
 * once; prom-client's `inc(labels)` builds a key string from a label object and looks it up in a
 * dictionary each time, so the counts are kept here and handed to the counters when they are scraped.
 * Bounded by the caller's labels (known methods and 'other', codes 100..699 and 'other').
 */

export type MessageDirection = 'in' | 'out';

export class SipTally {
  private readonly counts: Record<MessageDirection, Map<string, number>> = { in: new Map(), out: new Map() };

  add(direction: MessageDirection, label: string): void {
    const m = this.counts[direction];
    m.set(label, (m.get(label) ?? 0) + 1);
  }

  /** Every (direction, label) counted so far, with its count. */
  *entries(): Generator<[MessageDirection, string, number]> {
    for (const direction of ['in', 'out'] as const) for (const [label, n] of this.counts[direction]) yield [direction, label, n];
  }
}
