/**
 * A service that runs unattended must not grow with the number of calls it has seen: at most
 * links.keepEnded ended links stay in memory (oldest dropped first, and each after keepEndedMs
 * anyway), and neither refused INVITEs nor ended links leave entries, timers, media sessions or
 * listeners behind. The history store keeps every call; the board only the last ones.
 */
import { describe, expect, it } from 'vitest';
import { AcipError } from '../../server/util/errors.js';
import { FakeIncomingCall, flush, peerAnswer, peerOffer } from './fakes.js';
import { setup, type Env } from './manager-env.js';

const OFFER = peerOffer('ebu-3326-interop');

/** An INVITE from packet source `source`, with our usual offer, another body, or none (null). */
function inviteFrom(env: Env, source: string, offer: string | null = OFFER): FakeIncomingCall {
  const c = new FakeIncomingCall(offer ?? undefined, { uri: `sip:codec@${source}` }, source);
  env.ua.incoming(c);
  return c;
}

async function dialAndHangUp(env: Env, i: number): Promise<void> {
  const snap = env.manager.dial({ to: `sip:far${i}@192.0.2.9` });
  await flush();
  const out = env.ua.lastInvite;
  out.answer(peerAnswer(out.offer, 'ebu-3326-interop'));
  await flush();
  env.manager.hangup(snap.id);
}

/** One short call of kind `i % 8`: answered and hung up either side, refused, failed or silent. */
async function shortCall(env: Env, i: number, silent: FakeIncomingCall[]): Promise<[string, FakeIncomingCall?]> {
  const source = `203.0.113.${(i % 200) + 1}`;
  switch (i % 8) {
    case 0: {
      const c = inviteFrom(env, source);
      await flush();
      c.remoteBye();
      return ['remote hang-up', c];
    }
    case 1:
      await dialAndHangUp(env, i);
      return ['local hang-up'];
    case 2:
      // A flood from one source: it already holds its maximum of links.
      return ['refused per source', inviteFrom(env, '192.0.2.66')];
    case 3: {
      // No offer: ours goes in the 200 (RFC 3264 §4); the ACK forgets the answer, so we hang up.
      const c = inviteFrom(env, source, null);
      await flush();
      c.ack(undefined);
      return ['no offer', c];
    }
    case 4:
      env.media.failNextOpen = new AcipError('RTP_NO_PORTS', 'no free RTP/RTCP port pair');
      return ['no ports', inviteFrom(env, source)];
    case 5: {
      const c = inviteFrom(env, source);
      c.remoteCancel();
      return ['cancelled', c];
    }
    case 6:
      // Answered, then nothing: the inactivity timeout ends it (at most 4 at a time from this source).
      if (silent.filter((c) => !c.ended).length < 4) silent.push(inviteFrom(env, '192.0.2.77'));
      return ['silent'];
    default:
      return ['bad offer', inviteFrom(env, '192.0.2.88', 'v=0\r\nthis is not SDP\r\n')];
  }
}

describe('the manager’s memory over many calls', () => {
  it('stays bounded through 5 000 short calls of every kind', async () => {
    const env = setup({ config: { sip: { maxLinks: 16 }, links: { keepEnded: 50 } }, keepEndedMs: 10 * 60_000 });
    const listenersBefore = env.ua.listenerCount('incomingCall');
    // The flooding source holds its 4 links for the whole run (its peer keeps sending RTCP).
    const held = [0, 1, 2, 3].map(() => inviteFrom(env, '192.0.2.66'));
    await flush();
    const heldMedia = env.media.openSessions;
    expect(held.map((c) => c.final?.status)).toEqual([200, 200, 200, 200]);
    const silent: FakeIncomingCall[] = [];
    /** Final statuses seen per kind of call. */
    const kinds = new Map<string, Set<number>>();
    let maxLinks = 0;
    let maxTimers = 0;
    let maxAlarmsOpen = 0;
    for (let i = 0; i < 5000; i++) {
      const [kind, call] = await shortCall(env, i, silent);
      await flush();
      if (call) kinds.set(kind, (kinds.get(kind) ?? new Set()).add(call.final?.status ?? 0));
      env.clock.advance(1000);
      for (const m of heldMedia) m.lastRtcpRxMs = env.clock.now();
      await flush();
      const c = env.manager.debugCounts();
      maxLinks = Math.max(maxLinks, c.links);
      maxTimers = Math.max(maxTimers, env.clock.pending());
      maxAlarmsOpen = Math.max(maxAlarmsOpen, c.openAlarms);
      expect(c.ended).toBeLessThanOrEqual(50);
    }
    expect(Object.fromEntries([...kinds].map(([k, v]) => [k, [...v]]))).toEqual({
      'remote hang-up': [200],
      'refused per source': [486],
      'no offer': [200],
      'no ports': [503],
      cancelled: [487],
      'bad offer': [400],
    });
    expect(silent.length).toBeGreaterThan(100);
    expect(silent.filter((c) => c.byes === 1).length).toBeGreaterThan(100);
    const counts = env.manager.debugCounts();
    const active = env.manager.list().filter((l) => l.state !== 'ended').length;
    // 50 ended links at most, plus those still up (the 4 held ones and at most 4 silent ones).
    expect(counts.ended).toBe(50);
    expect(counts.links).toBe(50 + active);
    expect(active).toBeLessThanOrEqual(8);
    expect(maxLinks).toBeLessThanOrEqual(50 + 16);
    expect(counts.lossWindows).toBeLessThanOrEqual(active);
    expect(maxAlarmsOpen).toBeLessThanOrEqual(50 + 16);
    expect(counts.alarms).toBeLessThanOrEqual(500);
    // Timers: the 1 Hz sampler and one inactivity watch per connected link.
    expect(maxTimers).toBeLessThanOrEqual(1 + 16);
    expect(env.media.openSessions.length).toBe(active);
    expect(env.ua.listenerCount('incomingCall')).toBe(listenersBefore);
    // Every call attempt that became a link is in the history, not in memory.
    expect(env.records.length).toBeGreaterThan(3000);
    expect(held.every((c) => !c.ended)).toBe(true);
  }, 120_000);
});

describe('ended links on the board (links.keepEnded)', () => {
  async function endCalls(env: Env, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const c = inviteFrom(env, `203.0.113.${i + 1}`);
      await flush();
      ids.push(env.manager.list().at(-1)!.id);
      c.remoteBye();
      await flush();
      env.clock.advance(100);
    }
    return ids;
  }

  it('keeps the last keepEnded ended links, dropping the oldest first', async () => {
    const env = setup({ config: { links: { keepEnded: 5 } } });
    const ids = await endCalls(env, 8);
    expect(env.manager.list().map((l) => l.id)).toEqual(ids.slice(3));
    expect(env.removed).toEqual(ids.slice(0, 3));
    expect(env.records).toHaveLength(8);
  });

  it('keeps 50 when the configuration does not say', async () => {
    const env = setup();
    const ids = await endCalls(env, 53);
    expect(env.manager.list().map((l) => l.id)).toEqual(ids.slice(3));
  });

  it('still drops an ended link after keepEndedMs, however few there are', async () => {
    const env = setup({ config: { links: { keepEnded: 5 } }, keepEndedMs: 10_000 });
    const ids = await endCalls(env, 2);
    env.clock.advance(10_000);
    expect(env.manager.list()).toHaveLength(2);
    env.clock.advance(1000);
    expect(env.manager.list()).toEqual([]);
    expect(env.removed).toEqual(ids);
    expect(env.manager.debugCounts()).toMatchObject({ links: 0, ended: 0 });
  });

  it('keeps no ended link with keepEnded 0, and still answers and records the call', async () => {
    const env = setup({ config: { links: { keepEnded: 0 } } });
    const c = inviteFrom(env, '203.0.113.1');
    await flush();
    expect(c.final?.status).toBe(200);
    c.remoteBye();
    await flush();
    expect(env.manager.list()).toEqual([]);
    expect(env.published.at(-1)?.state).toBe('ended');
    expect(env.records).toHaveLength(1);
  });
});
