/**
 * The link manager with the same fakes as the link tests: inbound policy, the one link limit, ended
 * links leaving the board, permanent links redialling, alarms, history, registration and probes.
 */
import { describe, expect, it } from 'vitest';
import { FakeIncomingCall, flush, header, peerAnswer, peerOffer } from './fakes.js';
import { AGENT, dialAndAnswer, entry, invite, setup } from './manager-env.js';
import type { DialOptions } from '../../server/links/call-port.js';
import type { PhonebookEntry } from '../../server/store/phonebook.js';

describe('inbound calls under the answer policy', () => {
  it.each([
    { policy: 'auto', from: 'sip:anyone@203.0.113.5', allowList: [], responses: [200], state: 'connected' },
    { policy: 'manual', from: 'sip:anyone@203.0.113.5', allowList: [], responses: [180], state: 'offered' },
    { policy: 'allow-list', from: 'sip:studio@192.0.2.7', allowList: ['studio@192.0.2.7'], responses: [200], state: 'connected' },
    { policy: 'allow-list', from: 'sip:other@192.0.2.7', allowList: ['@192.0.2.7'], responses: [200], state: 'connected' },
    { policy: 'allow-list', from: 'sip:desk@198.51.100.20', allowList: [], responses: [200], state: 'connected' },
    { policy: 'allow-list', from: 'sip:stranger@203.0.113.5', allowList: ['studio@192.0.2.7'], responses: [403], state: undefined },
  ])('$policy answers $from with $responses', async ({ policy, from, allowList, responses, state }) => {
    const env = setup({ config: { links: { answerPolicy: policy, allowList } }, phonebook: [entry('e1', 'Desk', 'sip:desk@198.51.100.20')] });
    const call = await invite(env, from);
    expect(call.responses.map((r) => r.status)).toEqual(responses);
    expect(env.manager.list().map((l) => l.state)).toEqual(state ? [state] : []);
  });

  it('names an inbound link after its phonebook entry, else the caller display name', async () => {
    const env = setup({ phonebook: [entry('e1', 'Studio 2', 'sip:studio2@192.0.2.7')] });
    await invite(env, 'sip:studio2@192.0.2.7', 'S2');
    await invite(env, 'sip:guest@203.0.113.5', 'Guest codec');
    expect(env.manager.list().map((l) => [l.remoteName, l.phonebookId])).toEqual([
      ['Studio 2', 'e1'],
      ['Guest codec', undefined],
    ]);
  });

  it('answers a manually offered link through the port, and refuses to answer twice', async () => {
    const env = setup({ config: { links: { answerPolicy: 'manual' } } });
    const call = await invite(env);
    const id = env.manager.list()[0]!.id;
    env.manager.answer(id);
    await flush();
    expect(call.responses.map((r) => r.status)).toEqual([180, 200]);
    expect(env.manager.get(id)?.state).toBe('connected');
    expect(() => env.manager.answer(id)).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
  });

  it('rejects a manually offered link through the port with 603', async () => {
    const env = setup({ config: { links: { answerPolicy: 'manual' } } });
    const call = await invite(env);
    const snap = env.manager.reject(env.manager.list()[0]!.id);
    expect(call.final?.status).toBe(603);
    expect(snap.state).toBe('ended');
    expect(env.records).toHaveLength(1);
  });

  it('answers 500 with a Warning naming our user agent when no default profile is loaded', async () => {
    const env = setup({ config: { defaultProfile: 'not-shipped' } });
    const call = await invite(env);
    expect(call.final?.status).toBe(500);
    expect(header(call.final, 'Warning')).toBe(`399 ${AGENT} "no default profile loaded"`);
    expect(env.manager.list()).toEqual([]);
  });

  it('answers 503 once the manager is closed', async () => {
    const env = setup();
    await env.manager.close();
    const call = new FakeIncomingCall(peerOffer('ebu-3326-interop'));
    env.ua.incoming(call);
    expect(call.final?.status).toBe(503);
  });
});

describe('the link limit (sip.maxLinks)', () => {
  it('refuses an inbound INVITE over the limit with 486 and an outbound dial with LINK_LIMIT', async () => {
    const env = setup();
    await invite(env);
    await dialAndAnswer(env);
    const third = await invite(env, 'sip:third@192.0.2.8');
    expect(third.responses).toEqual([{ status: 486, reason: 'Busy Here', headers: [] }]);
    expect(() => env.manager.dial({ to: 'sip:fourth@192.0.2.9' })).toThrow(expect.objectContaining({ code: 'LINK_LIMIT' }));
    expect(env.manager.list()).toHaveLength(2);
  });

  it('counts offered links and links waiting to redial, but not ended ones', async () => {
    const env = setup({ config: { links: { answerPolicy: 'manual' } } });
    await invite(env);
    const permanent = await dialAndAnswer(env, { to: 'sip:far@192.0.2.9', permanent: true });
    env.ua.lastInvite.remoteBye();
    await flush();
    expect(env.manager.get(permanent.id)?.state).toBe('redialling');
    expect((await invite(env, 'sip:third@192.0.2.8')).final?.status).toBe(486);

    env.manager.hangup(permanent.id);
    await flush();
    expect(env.manager.get(permanent.id)?.state).toBe('ended');
    expect((await invite(env, 'sip:fourth@192.0.2.8')).responses.map((r) => r.status)).toEqual([180]);
  });

  it('refuses every INVITE over the limit, however many arrive at once', async () => {
    const env = setup();
    const calls = [0, 1, 2, 3].map((i) => new FakeIncomingCall(peerOffer('ebu-3326-interop'), { uri: `sip:c${i}@192.0.2.7` }));
    for (const c of calls) env.ua.incoming(c);
    await flush();
    expect(calls.map((c) => c.final?.status)).toEqual([200, 200, 486, 486]);
  });
});

describe('ended links', () => {
  it('stay on the board for keepEndedMs, then are removed', async () => {
    const env = setup({ keepEndedMs: 10_000 });
    const snap = await dialAndAnswer(env);
    env.manager.hangup(snap.id);
    await flush();
    expect(env.manager.get(snap.id)?.state).toBe('ended');
    env.clock.advance(10_000);
    expect(env.manager.get(snap.id)).toBeDefined();
    env.clock.advance(1000);
    expect(env.manager.get(snap.id)).toBeUndefined();
    expect(env.removed).toEqual([snap.id]);
  });

  it('publish every state change and write one history record per attempt', async () => {
    const env = setup();
    const snap = await dialAndAnswer(env);
    env.manager.hangup(snap.id);
    await flush();
    expect(env.published.filter((l) => l.id === snap.id).map((l) => l.state)).toEqual(['dialling', 'connected', 'ending', 'ended']);
    expect(env.records).toHaveLength(1);
    expect(env.records[0]).toMatchObject({ linkId: snap.id, direction: 'outbound', answered: true });
    expect(env.setupTimes).toEqual([0]);
  });
});

describe('permanent links', () => {
  it('redial after the configured initial delay and raise, then clear, a link-down alarm', async () => {
    const env = setup({ config: { links: { redialInitialS: 2 } } });
    const snap = await dialAndAnswer(env, { to: 'sip:far@192.0.2.9', permanent: true });
    env.ua.lastInvite.remoteBye();
    await flush();
    expect(env.manager.alarms()).toMatchObject([{ kind: 'link-down', linkId: snap.id }]);
    // ±20 % jitter around 2 s.
    env.clock.advance(1599);
    await flush();
    expect(env.ua.invites).toHaveLength(1);
    env.clock.advance(801);
    await flush();
    expect(env.ua.invites).toHaveLength(2);
    const call = env.ua.lastInvite;
    call.answer(peerAnswer(call.offer, 'ebu-3326-interop'));
    await flush();
    expect(env.manager.get(snap.id)).toMatchObject({ state: 'connected', redials: 1 });
    expect(env.manager.alarms()[0]!.clearedAt).toBeDefined();
  });
});

describe('quality sampling', () => {
  it('raises a loss alarm when more than lossAlarmPct is lost over 10 s', async () => {
    const env = setup({ config: { links: { lossAlarmPct: 5 } } });
    const snap = await dialAndAnswer(env);
    const media = env.media.last;
    for (let s = 1; s <= 3; s++) {
      media.rx = { expected: 100 * s, lost: 10 * s };
      env.clock.advance(1000);
    }
    expect(env.manager.alarms()).toMatchObject([{ kind: 'loss', linkId: snap.id }]);
  });

  it('counts the connected links whose playout concealed audio between the last two samples', async () => {
    const env = setup();
    await dialAndAnswer(env);
    const media = env.media.last;
    const rows: { concealed: number; want: number }[] = [
      { concealed: 0, want: 0 },
      { concealed: 0, want: 0 },
      { concealed: 12, want: 1 },
      { concealed: 12, want: 0 },
      { concealed: 13, want: 1 },
    ];
    const seen = rows.map((r) => {
      media.concealedFrames = r.concealed;
      env.clock.advance(1000);
      return env.manager.concealingLinks();
    });
    expect(seen).toEqual(rows.map((r) => r.want));
    await env.manager.close();
  });
});

describe('registration and probes', () => {
  it('registers when configured and raises an alarm when a registration is lost', async () => {
    const env = setup({ config: { sip: { registration: { registrar: 'sip:192.0.2.1', aor: 'sip:studio1@example.net' } } } });
    const reg = env.ua.registrations[0]!;
    expect(reg.opts).toMatchObject({ registrar: 'sip:192.0.2.1', aor: 'sip:studio1@example.net', username: 'studio1', expires: 600 });
    expect(env.manager.registration()?.state).toBe('registering');
    reg.emit('registered', { expires: 600, refreshInSeconds: 300 });
    expect(env.manager.registration()?.state).toBe('registered');
    reg.emit('failed', { status: 403, reason: 'Forbidden', consecutiveFailures: 1, retryInSeconds: 30 });
    expect(env.manager.registration()).toMatchObject({ state: 'failed', lastError: '403 Forbidden' });
    expect(env.manager.alarms()).toMatchObject([{ kind: 'registration-lost' }]);
    await env.manager.close();
    expect(reg.unregistered).toBe(1);
    expect(reg.closed).toBe(true);
  });

  it('probes phonebook entries with OPTIONS and reports them reachable', async () => {
    const env = setup({
      config: { links: { probeIntervalS: 30 } },
      phonebook: [entry('e1', 'Studio 2', 'sip:studio2@192.0.2.7'), entry('e2', 'Silent', 'sip:quiet@192.0.2.8', { probe: false })],
    });
    expect(env.manager.reachability('e1').reachable).toBeNull();
    env.clock.advance(1000);
    await flush();
    expect(env.ua.probed).toEqual(['sip:studio2@192.0.2.7']);
    expect(env.manager.reachability('e1')).toMatchObject({ reachable: true, status: 200 });
  });
});

describe('TLS verification per phonebook entry', () => {
  const rows: Array<{ name: string; extra: Partial<PhonebookEntry>; dial: DialOptions }> = [
    { name: 'an entry with tlsVerify false dials without verification', extra: { tlsVerify: false }, dial: { tlsVerify: false } },
    { name: 'an entry with tlsVerify true dials with verification', extra: { tlsVerify: true }, dial: {} },
    { name: 'an entry without tlsVerify dials with verification', extra: {}, dial: {} },
  ];
  for (const r of rows) {
    it(r.name, async () => {
      const env = setup({ phonebook: [entry('e1', 'Studio 2', 'sips:studio2@192.0.2.7', r.extra)] });
      env.manager.dial({ to: 'sips:studio2@192.0.2.7' });
      await flush();
      expect(env.ua.inviteOptions).toEqual([r.dial]);
    });
  }

  it('dials a URI that is in no phonebook entry with verification', async () => {
    const env = setup();
    env.manager.dial({ to: 'sips:elsewhere@192.0.2.9' });
    await flush();
    expect(env.ua.inviteOptions).toEqual([{}]);
  });

  it('probes an entry with tlsVerify false without verification', async () => {
    const env = setup({ config: { links: { probeIntervalS: 30 } }, phonebook: [entry('e1', 'Studio 2', 'sips:studio2@192.0.2.7', { tlsVerify: false })] });
    env.clock.advance(1000);
    await flush();
    expect(env.ua.probeOptions).toEqual([{ tlsVerify: false }]);
  });

  it('shows a certificate that failed verification in the end reason of the link', async () => {
    const env = setup();
    const snap = env.manager.dial({ to: 'sips:studio2@192.0.2.7' });
    await flush();
    const reason = 'Service Unavailable (SIP_TLS_VERIFY_FAILED: TLS certificate of 192.0.2.7:5061 failed verification: DEPTH_ZERO_SELF_SIGNED_CERT)';
    env.ua.lastInvite.fail(503, reason);
    await flush();
    expect(env.manager.get(snap.id)?.endReason).toEqual({ by: 'remote', sipStatus: 503, reason });
  });
});

describe('a caller that passed the digest challenge', () => {
  const studio = entry('pb-2', 'Studio Two', 'sip:studio2@198.51.100.2', { profile: 'g711-telephone', inboundAuth: { user: 'studio2', hasPassword: true } });

  it('is the phonebook entry holding those credentials, whatever its From claims', async () => {
    const env = setup({ phonebook: [studio] });
    const call = new FakeIncomingCall(peerOffer('ebu-3326-interop'), { uri: 'sip:someone-else@203.0.113.9' });
    call.authenticatedUser = 'studio2';
    env.ua.incoming(call);
    await flush();
    const link = env.manager.list()[0]!;
    expect([link.phonebookId, link.remoteName, link.profile]).toEqual(['pb-2', 'Studio Two', 'g711-telephone']);
  });

  it('passes the allow-list policy as that entry, while the same From without authentication is refused', async () => {
    const env = setup({ phonebook: [studio], config: { links: { answerPolicy: 'allow-list', allowList: [] } } });
    const proven = new FakeIncomingCall(peerOffer('ebu-3326-interop'), { uri: 'sip:someone-else@203.0.113.9' });
    proven.authenticatedUser = 'studio2';
    env.ua.incoming(proven);
    const claimed = new FakeIncomingCall(peerOffer('ebu-3326-interop'), { uri: 'sip:someone-else@203.0.113.9' }, '203.0.113.10');
    env.ua.incoming(claimed);
    await flush();
    expect(proven.final?.status).toBe(200);
    expect(claimed.final?.status).toBe(403);
  });

  it('falls back to the From URI when the user belongs to no phonebook entry (a config user)', async () => {
    const env = setup({ phonebook: [studio] });
    const call = new FakeIncomingCall(peerOffer('ebu-3326-interop'), { uri: 'sip:studio2@198.51.100.2' });
    call.authenticatedUser = 'config-user';
    env.ua.incoming(call);
    await flush();
    expect(env.manager.list()[0]?.phonebookId).toBe('pb-2');
  });
});
