/**
 * A link manager wired to the fakes (user agent, media opener, phonebook, history) on the fake
 * clock. Shared by the manager tests.
 */
import { FakeClock } from '../../server/util/clock.js';
import { validateConfig } from '../../server/config/load-config.js';
import { LinkManager } from '../../server/links/link-manager.js';
import type { PhonebookEntry } from '../../server/store/phonebook.js';
import type { CallRecord } from '../../server/store/call-history.js';
import type { LinkSnapshot } from '../../server/links/link-types.js';
import type { OverloadGuard } from '../../server/links/overload-guard.js';
import { FakeIncomingCall, FakeMediaOpener, FakeUa, RecordingLog, flush, peerAnswer, peerOffer, profiles } from './fakes.js';

export const AGENT = 'studio-b';

/** A phonebook held in memory, matching URIs as the real one does (scheme and parameters ignored). */
export class MemoryPhonebook {
  constructor(private readonly entries: PhonebookEntry[] = []) {}
  list(): PhonebookEntry[] {
    return [...this.entries];
  }
  get(id: string): PhonebookEntry | undefined {
    return this.entries.find((e) => e.id === id);
  }
  findByInboundUser(user: string): PhonebookEntry | undefined {
    return this.entries.find((e) => e.inboundAuth?.user === user);
  }
  findByUri(uri: string): PhonebookEntry | undefined {
    const norm = (u: string) => u.trim().toLowerCase().replace(/^sips?:/, '').replace(/;.*$/, '');
    return this.entries.find((e) => norm(e.uri) === norm(uri));
  }
}

export function entry(id: string, name: string, uri: string, extra: Partial<PhonebookEntry> = {}): PhonebookEntry {
  return { id, name, uri, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', ...extra };
}

export function setup(opts: { config?: Record<string, unknown>; phonebook?: PhonebookEntry[]; keepEndedMs?: number; overload?: OverloadGuard } = {}) {
  const clock = new FakeClock();
  const ua = new FakeUa(AGENT);
  const media = new FakeMediaOpener();
  const log = new RecordingLog();
  const records: CallRecord[] = [];
  const setupTimes: number[] = [];
  const raw = opts.config ?? {};
  const config = validateConfig({
    ...raw,
    dataDir: '/nonexistent',
    sip: { maxLinks: 2, ...(raw.sip as object | undefined) },
    links: { probeIntervalS: 0, ...(raw.links as object | undefined) },
  });
  const manager = new LinkManager({
    ua,
    clock,
    config,
    profiles: () => profiles,
    phonebook: new MemoryPhonebook(opts.phonebook),
    history: { add: (r) => records.push(r) },
    log,
    portRange: { min: 6000, max: 6999 },
    mediaAddressFor: () => '198.51.100.1',
    onCallSetup: (s) => setupTimes.push(s),
    keepEndedMs: opts.keepEndedMs ?? 60_000,
    openMedia: media.open,
    ...(opts.overload ? { overload: opts.overload } : {}),
  });
  const published: LinkSnapshot[] = [];
  const removed: string[] = [];
  manager.events.on('link', (l) => published.push(l));
  manager.events.on('removed', (id) => removed.push(id));
  manager.start();
  return { clock, ua, media, log, records, setupTimes, manager, published, removed };
}

export type Env = ReturnType<typeof setup>;

/** An INVITE from `from` with an offer the shipped interop profile can answer. */
export async function invite(env: Env, from = 'sip:studio@192.0.2.7', displayName?: string): Promise<FakeIncomingCall> {
  const call = new FakeIncomingCall(peerOffer('ebu-3326-interop'), { uri: from, ...(displayName ? { displayName } : {}) });
  env.ua.incoming(call);
  await flush();
  return call;
}

/** Dial and let the far end answer. */
export async function dialAndAnswer(env: Env, req: { to: string; permanent?: boolean } = { to: 'sip:far@192.0.2.9' }): Promise<LinkSnapshot> {
  const snap = env.manager.dial(req);
  await flush();
  const call = env.ua.lastInvite;
  call.answer(peerAnswer(call.offer, 'ebu-3326-interop'));
  await flush();
  return env.manager.get(snap.id)!;
}
