/**
 * The presence of the phonebook studios acip watches (RFC 3856): one watch per entry with
 * `watchPresence`, kept in step with the phonebook by `reconcile` (a new or changed entry gets a
 * new watch, a removed or unticked one is unsubscribed), and the last state each watch reported.
 * Every change is announced on `events` (the live feed). The SIP side comes in as `watch`, so this
 * is testable with a plain function.
 */
import { TypedEmitter } from '../util/typed-emitter.js';

export type PeerPresenceState = 'open' | 'busy' | 'closed' | 'unknown';

export interface PeerPresenceDeps {
  /** Start watching `uri`; `onPresence` hears every change. */
  watch(uri: string, onPresence: (p: PeerPresenceState) => void): { stop(): void };
}

export type PeerPresenceEvents = {
  presence: [phonebookId: string, presence: PeerPresenceState];
};

interface Watched {
  uri: string;
  handle: { stop(): void };
  state: PeerPresenceState;
}

export class PeerPresenceBook {
  readonly events = new TypedEmitter<PeerPresenceEvents>();
  private readonly watched = new Map<string, Watched>();

  constructor(private readonly deps: PeerPresenceDeps) {}

  /** The presence of a watched entry; undefined when the entry is not watched. */
  of(phonebookId: string): PeerPresenceState | undefined {
    return this.watched.get(phonebookId)?.state;
  }

  get size(): number {
    return this.watched.size;
  }

  /** Watch exactly the entries that ask for it, at their current URI. */
  reconcile(entries: readonly { id: string; uri: string; watchPresence?: boolean | undefined }[]): void {
    const want = new Map(entries.filter((e) => e.watchPresence === true).map((e) => [e.id, e.uri]));
    for (const [id, w] of [...this.watched]) {
      if (want.get(id) !== w.uri) this.unwatch(id, w);
    }
    for (const [id, uri] of want) {
      if (this.watched.has(id)) continue;
      const w: Watched = { uri, state: 'unknown', handle: { stop: () => undefined } };
      this.watched.set(id, w);
      w.handle = this.deps.watch(uri, (p) => {
        if (this.watched.get(id) !== w || w.state === p) return;
        w.state = p;
        this.events.emit('presence', id, p);
      });
    }
  }

  /** Unsubscribe from everything. */
  close(): void {
    for (const [id, w] of [...this.watched]) this.unwatch(id, w);
  }

  private unwatch(id: string, w: Watched): void {
    this.watched.delete(id);
    w.handle.stop();
  }
}
