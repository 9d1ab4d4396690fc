/**
 * The text messages the panel knows (SIP MESSAGE, RFC 3428), from GET /api/messages and the live
 * feed's `message`: one record per id (a status change replaces it), bounded, and grouped into
 * threads by peer. Two addresses of the same peer (sip: or sips:, with or without parameters, any
 * case) share a thread. No DOM here.
 */
import type { Message } from './api-types.js';

/** Messages kept in the browser; older ones drop out (the service keeps the full history). */
export const MESSAGE_BOOK_MAX = 1000;

/** A peer's URI as its thread key: no scheme, parameters or headers, lower case. */
export function threadKey(uri: string): string {
  return uri.trim().replace(/^<|>$/g, '').toLowerCase().replace(/^sips?:/, '').replace(/[;?].*$/, '');
}

export class MessageBook {
  /** By id, oldest first (insertion order). */
  private readonly byId = new Map<string, Message>();
  /** Bumped on every change, so a view can tell it has something new. */
  revision = 0;

  constructor(private readonly max = MESSAGE_BOOK_MAX) {}

  get size(): number {
    return this.byId.size;
  }

  /** A new message or a newer state of a known one (same id: replaced in place). */
  apply(m: Message): void {
    this.byId.set(m.id, m);
    while (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value as string);
    this.revision++;
  }

  /**
   * A list from GET /api/messages (newest first), merged in time order. A message the live feed
   * already brought keeps its state unless that is still pending (the feed is newer than a list).
   */
  load(newestFirst: readonly Message[]): void {
    for (let i = newestFirst.length - 1; i >= 0; i--) {
      const m = newestFirst[i]!;
      const known = this.byId.get(m.id);
      if (!known || known.status === 'pending') this.byId.set(m.id, m);
    }
    const sorted = [...this.byId.values()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    this.byId.clear();
    for (const m of sorted.slice(-this.max)) this.byId.set(m.id, m);
    this.revision++;
  }

  /** The messages with one peer, oldest first. */
  thread(remote: string): Message[] {
    const key = threadKey(remote);
    return [...this.byId.values()].filter((m) => threadKey(m.remote) === key);
  }

  /** How many messages came in from a peer after the last one sent to it (unanswered). */
  unanswered(remote: string): number {
    let n = 0;
    for (const m of this.thread(remote)) n = m.direction === 'in' ? n + 1 : 0;
    return n;
  }
}

/** Delivery status in words, for a message row. */
export function deliveryWord(m: Message): string {
  if (m.direction === 'in') return 'received';
  if (m.status === 'pending') return 'sending…';
  if (m.status === 'delivered') return 'delivered';
  return `not delivered${m.statusCode !== undefined ? ` (${m.statusCode}${m.reason ? ` ${m.reason}` : ''})` : m.reason ? ` (${m.reason})` : ''}`;
}
