/**
 * Outgoing MESSAGE, SUBSCRIBE and PUBLISH answered 401/407 (RFC 3261 §22.2, §22.3): resent once
 * with credentials, CSeq + 1 and the same Call-ID; a second challenge is the final answer. The far
 * end is a scripted presence server on the in-memory network checking digests with acip's own
 * server-side digest code, under a fake clock.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import type { SipRequest } from '../../../server/sip/grammar/message.js';
import { DigestServer, parseCredentials } from '../../../server/sip/admission/digest-server.js';
import { parsePidf } from '../../../server/sip/presence/pidf.js';
import { presenceFromPidf } from '../../../server/sip/presence/presence-state.js';
import { MemoryNetwork } from '../../helpers/sip-memory-transport.js';
import { MemoryPeer } from './memory-peer.js';

const REALM = 'presence.test';
const USER = 'studio-a';
const PASSWORD = 'correct-horse';
const AOR = 'sip:studio-a@presence.test';
const PIDF_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:studio-b@presence.test"><tuple id="t"><status><basic>open</basic></status></tuple></presence>';

interface ServerScript {
  /** 401 (WWW-Authenticate) or 407 (Proxy-Authenticate). */
  challenge?: 401 | 407;
  /** Refuse every credentials (a wrong password as the server sees it). */
  refuseAll?: boolean;
  /** Answers to PUBLISHes that passed authentication, in order (then 200). */
  publishAnswers?: number[];
}

/** acip's UA and a presence server that challenges every request without good credentials. */
function setup(script: ServerScript = {}) {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 10);
  const t = net.transport();
  const ua = new SipUserAgent({ clock, transports: [t], userAgentName: 'acip', localUser: 'acip' });
  const server = new MemoryPeer(net, t.local.port);
  const digest = new DigestServer(clock, { realm: REALM, algorithms: ['MD5'], nonceLifetimeMs: 60_000, maxNonces: 100 });
  const challenge = script.challenge ?? 401;
  const authHeader = challenge === 401 ? 'Authorization' : 'Proxy-Authorization';
  const challengeHeader = challenge === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
  let etags = 0;
  const publishAnswers = [...(script.publishAnswers ?? [])];
  server.onRequest = (req) => {
    const cred = parseCredentials(req.headers.get(authHeader) ?? '');
    const ok = cred !== undefined && !script.refuseAll && digest.check(cred, req.method, '127.0.0.1', cred.username === USER ? PASSWORD : undefined) === 'ok';
    if (!ok) {
      return MemoryPeer.answer(req, challenge, 'Unauthorized', { headers: digest.challenges('127.0.0.1').map((c) => `${challengeHeader}: ${c}`) });
    }
    if (req.method === 'PUBLISH') {
      const status = publishAnswers.shift() ?? 200;
      if (status !== 200) return MemoryPeer.answer(req, status, 'Failed');
      return MemoryPeer.answer(req, 200, 'OK', { headers: [`SIP-ETag: e${++etags}`, `Expires: ${req.headers.get('Expires')}`] });
    }
    if (req.method === 'SUBSCRIBE') {
      const tagged = /;tag=/.test(req.headers.get('To') ?? '');
      if (!tagged) clock.setTimer(5, () => notify(req));
      return MemoryPeer.answer(req, 200, 'OK', { toTag: 'pa', headers: ['Expires: 600', `Contact: <sip:pa@127.0.0.1:${server.port}>`] });
    }
    return MemoryPeer.answer(req, 200, 'OK');
  };
  const notify = (sub: SipRequest) => {
    const text = [
      `NOTIFY sip:acip@127.0.0.1:${t.local.port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${server.port};branch=z9hG4bK-pa-n1`,
      'Max-Forwards: 70',
      `From: ${sub.headers.get('To')};tag=pa`,
      `To: ${sub.headers.get('From')}`,
      `Call-ID: ${sub.headers.get('Call-ID')}`,
      'CSeq: 1 NOTIFY',
      `Contact: <sip:pa@127.0.0.1:${server.port}>`,
      'Event: presence',
      'Subscription-State: active;expires=600',
      'Content-Type: application/pidf+xml',
      `Content-Length: ${Buffer.byteLength(PIDF_OPEN)}`,
      '',
      PIDF_OPEN,
    ].join('\r\n');
    void server.t.send(Buffer.from(text), { address: '127.0.0.1', port: t.local.port });
  };
  return { clock, ua, server, serverUri: `sip:127.0.0.1:${server.port}`, authHeader };
}

const cseqOf = (r: SipRequest) => r.headers.get('CSeq');
const branchOf = (r: SipRequest) => /branch=([^;\s]+)/.exec(r.headers.get('Via') ?? '')?.[1];

describe('a MESSAGE answered with a challenge (RFC 3261 §22.2)', () => {
  const rows: { name: string; script: ServerScript; auth: boolean; status: number; sent: number }[] = [
    { name: 'is resent once with credentials after 401 and delivered', script: {}, auth: true, status: 200, sent: 2 },
    { name: 'is resent once with proxy credentials after 407 and delivered', script: { challenge: 407 }, auth: true, status: 200, sent: 2 },
    { name: 'fails with the second challenge when the credentials are refused', script: { refuseAll: true }, auth: true, status: 401, sent: 2 },
    { name: 'fails with the challenge when there are no credentials', script: {}, auth: false, status: 401, sent: 1 },
  ];
  for (const r of rows) {
    it(r.name, async () => {
      const { clock, ua, server, authHeader } = setup(r.script);
      const result = ua.sendMessage(`sip:studio-b@127.0.0.1:${server.port}`, 'on air in 10', r.auth ? { auth: { username: USER, password: PASSWORD } } : {});
      clock.advance(100);
      expect((await result).status).toBe(r.status);
      const sent = server.requests('MESSAGE');
      expect(sent).toHaveLength(r.sent);
      if (r.sent === 2) {
        const [first, again] = sent as [SipRequest, SipRequest];
        expect(again.headers.get('Call-ID')).toBe(first.headers.get('Call-ID'));
        expect(again.headers.get('From')).toBe(first.headers.get('From'));
        expect(cseqOf(first)).toBe('1 MESSAGE');
        expect(cseqOf(again)).toBe('2 MESSAGE');
        expect(branchOf(again)).not.toBe(branchOf(first));
        expect(first.headers.get(authHeader)).toBeUndefined();
        expect(again.headers.get(authHeader)).toMatch(/^Digest .*username="studio-a"/);
        expect(again.body.toString()).toBe('on air in 10');
      }
    });
  }
});

describe('a watch through a presence server (RFC 3856, RFC 6665)', () => {
  it('sends the SUBSCRIBE to the server for the peer’s AOR, answers its challenge once and hears the NOTIFY', () => {
    const { clock, ua, server, serverUri } = setup();
    const heard: string[] = [];
    ua.watchPresence('sip:studio-b@presence.test', (p) => heard.push(p), { server: serverUri, from: AOR, auth: { username: USER, password: PASSWORD } });
    clock.advance(200);
    const subs = server.requests('SUBSCRIBE');
    expect(subs).toHaveLength(2);
    expect(subs.map((s) => s.uri)).toEqual(['sip:studio-b@presence.test', 'sip:studio-b@presence.test']);
    expect(subs[0]!.headers.get('To')).toBe('<sip:studio-b@presence.test>');
    expect(subs[0]!.headers.get('From')).toMatch(/^<sip:studio-a@presence\.test>;tag=/);
    expect(subs.map(cseqOf)).toEqual(['1 SUBSCRIBE', '2 SUBSCRIBE']);
    expect(subs[1]!.headers.get('Call-ID')).toBe(subs[0]!.headers.get('Call-ID'));
    expect(subs[1]!.headers.get('Authorization')).toMatch(/username="studio-a"/);
    expect(heard).toEqual(['open']);
  });

  it('refreshes in the dialog with credentials and a CSeq above the one the challenge used', () => {
    const { clock, ua, server, serverUri } = setup();
    ua.watchPresence('sip:studio-b@presence.test', () => undefined, { server: serverUri, from: AOR, auth: { username: USER, password: PASSWORD } });
    clock.advance(200);
    // The nonce has expired by the refresh: the server challenges again, the refresh is resent once.
    clock.advance(600_000);
    const subs = server.requests('SUBSCRIBE');
    expect(subs.map(cseqOf)).toEqual(['1 SUBSCRIBE', '2 SUBSCRIBE', '3 SUBSCRIBE', '4 SUBSCRIBE']);
    expect(subs[2]!.headers.get('To')).toMatch(/;tag=pa/);
    expect(subs[2]!.uri).toBe(`sip:pa@127.0.0.1:${server.port}`);
    expect(subs[2]!.headers.get('Authorization')).toMatch(/^Digest /);
    expect(subs[3]!.headers.get('Call-ID')).toBe(subs[0]!.headers.get('Call-ID'));
  });

  it('gives the subscription up for this attempt when the credentials are refused', () => {
    const { clock, ua, server, serverUri } = setup({ refuseAll: true });
    const heard: string[] = [];
    const w = ua.watchPresence('sip:studio-b@presence.test', (p) => heard.push(p), { server: serverUri, from: AOR, auth: { username: USER, password: 'wrong-password' } });
    clock.advance(200);
    expect(server.requests('SUBSCRIBE')).toHaveLength(2);
    expect(heard).toEqual([]);
    w.stop();
  });
});

describe('publishing our presence (RFC 3903) through the user agent', () => {
  const publishes = (server: MemoryPeer) => server.requests('PUBLISH');
  const summary = (r: SipRequest) => {
    const body = r.body.length > 0 ? presenceFromPidf(parsePidf(r.body)) : '-';
    return `${cseqOf(r)} exp=${r.headers.get('Expires')} if=${r.headers.get('SIP-If-Match') ?? '-'} ${body} ${r.headers.get('Authorization') ? 'auth' : 'noauth'}`;
  };

  it('publishes on start, answers the challenge once, modifies on a change, refreshes, and removes on stop', async () => {
    const { clock, ua, server, serverUri } = setup();
    const pub = ua.publishPresence({ server: serverUri, aor: AOR, expiresS: 600, auth: { username: USER, password: PASSWORD } });
    pub.start('open');
    clock.advance(100);
    expect(pub.state).toBe('published');
    pub.setPresence('busy');
    clock.advance(100);
    // Refresh before the 600 s run out (the nonce is stale by then: one more challenge).
    clock.advance(570_000);
    const stopped = pub.stop();
    clock.advance(100);
    await stopped;
    expect(publishes(server).map(summary)).toEqual([
      '1 PUBLISH exp=600 if=- open noauth',
      '2 PUBLISH exp=600 if=- open auth',
      '3 PUBLISH exp=600 if=e1 busy auth',
      '4 PUBLISH exp=600 if=e2 - auth',
      '5 PUBLISH exp=600 if=e2 - auth',
      '6 PUBLISH exp=0 if=e3 - auth',
    ]);
    const all = publishes(server);
    expect(new Set(all.map((r) => r.headers.get('Call-ID'))).size).toBe(1);
    expect(all.every((r) => r.uri === AOR && r.headers.get('To') === `<${AOR}>` && r.headers.get('Event') === 'presence')).toBe(true);
    expect(pub.state).toBe('terminated');
  });

  it('starts again with an initial publication after 412 (RFC 3903 §6)', () => {
    const { clock, ua, server, serverUri } = setup({ publishAnswers: [200, 412] });
    const pub = ua.publishPresence({ server: serverUri, aor: AOR, expiresS: 600, auth: { username: USER, password: PASSWORD } });
    pub.start('open');
    clock.advance(100);
    pub.setPresence('closed');
    clock.advance(100);
    expect(publishes(server).map(summary)).toEqual([
      '1 PUBLISH exp=600 if=- open noauth',
      '2 PUBLISH exp=600 if=- open auth',
      '3 PUBLISH exp=600 if=e1 closed auth',
      '4 PUBLISH exp=600 if=- closed auth',
    ]);
    expect(pub.state).toBe('published');
  });

  it('waits to retry when the credentials are refused, sending each PUBLISH at most twice', () => {
    const { clock, ua, server, serverUri } = setup({ refuseAll: true });
    const pub = ua.publishPresence({ server: serverUri, aor: AOR, expiresS: 600, auth: { username: USER, password: 'wrong-password' } });
    pub.start('open');
    clock.advance(100);
    expect(publishes(server)).toHaveLength(2);
    expect(pub.state).toBe('retry-wait');
    void pub.stop();
  });
});
