/** Watched phonebook entries: one watch per entry that asks for it, in step with the phonebook, every change announced once. */
import { describe, expect, it } from 'vitest';
import { PeerPresenceBook, type PeerPresenceState } from '../../server/store/peer-presence.js';

function make() {
  const live = new Map<string, (p: PeerPresenceState) => void>();
  const log: string[] = [];
  const book = new PeerPresenceBook({
    watch: (uri, onPresence) => {
      log.push(`watch ${uri}`);
      live.set(uri, onPresence);
      return {
        stop: () => {
          log.push(`stop ${uri}`);
          live.delete(uri);
        },
      };
    },
  });
  const heard: [string, PeerPresenceState][] = [];
  book.events.on('presence', (id, p) => heard.push([id, p]));
  return { book, live, log, heard };
}

const a = { id: 'a', uri: 'sip:a@192.0.2.1', watchPresence: true };
const b = { id: 'b', uri: 'sip:b@192.0.2.2', watchPresence: false };

describe('the presence of watched phonebook entries', () => {
  it('watches only the entries that ask for it, and reports unknown until their first NOTIFY', () => {
    const { book, log } = make();
    book.reconcile([a, b]);
    expect(log).toEqual(['watch sip:a@192.0.2.1']);
    expect(book.of('a')).toBe('unknown');
    expect(book.of('b')).toBeUndefined();
  });

  it('announces each change once', () => {
    const { book, live, heard } = make();
    book.reconcile([a]);
    for (const p of ['open', 'open', 'busy'] as const) live.get(a.uri)!(p);
    expect(heard).toEqual([
      ['a', 'open'],
      ['a', 'busy'],
    ]);
    expect(book.of('a')).toBe('busy');
  });

  const changes: { name: string; next: { id: string; uri: string; watchPresence?: boolean }[]; log: string[] }[] = [
    { name: 'keeps the watch of an unchanged entry', next: [a], log: [] },
    { name: 'stops the watch of a removed entry', next: [], log: ['stop sip:a@192.0.2.1'] },
    { name: 'stops the watch of an entry that no longer asks for it', next: [{ ...a, watchPresence: false }], log: ['stop sip:a@192.0.2.1'] },
    { name: 'watches the new URI of an edited entry', next: [{ ...a, uri: 'sip:a2@192.0.2.9' }], log: ['stop sip:a@192.0.2.1', 'watch sip:a2@192.0.2.9'] },
  ];
  for (const c of changes) {
    it(`${c.name} when the phonebook changes`, () => {
      const { book, log } = make();
      book.reconcile([a]);
      log.length = 0;
      book.reconcile(c.next);
      expect(log).toEqual(c.log);
    });
  }

  it('ignores what a stopped watch still reports, and unsubscribes everything on close', () => {
    const { book, live, heard, log } = make();
    book.reconcile([a]);
    const old = live.get(a.uri)!;
    book.reconcile([]);
    old('open');
    expect(heard).toEqual([]);
    book.reconcile([a]);
    book.close();
    expect(log.at(-1)).toBe('stop sip:a@192.0.2.1');
    expect(book.size).toBe(0);
  });
});
