import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent, comparableUri, type IncomingTextMessage } from '../../../server/sip/ua/user-agent.js';
import type { IncomingCall } from '../../../server/sip/ua/incoming-call.js';
import type { SipRequest } from '../../../server/sip/grammar/message.js';
import { MemoryNetwork } from '../../helpers/sip-memory-transport.js';
import { minimalSdp } from '../../helpers/sip-ua-harness.js';
import { MemoryPeer } from './memory-peer.js';

/** acip's UA on the in-memory network, taking every MESSAGE, with a scripted peer. */
function withPeer(listen = true) {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 10);
  const t = net.transport();
  const acip = new SipUserAgent({ clock, transports: [t], userAgentName: 'acip', localUser: 'acip' });
  const got: IncomingTextMessage[] = [];
  if (listen) acip.on('textMessage', (m) => got.push(m));
  const peer = new MemoryPeer(net, t.local.port);
  return { clock, net, acip, peer, got, uaPort: t.local.port };
}

/** A MESSAGE with a raw body, so a test can send bytes that are not UTF-8. */
function rawMessage(peerPort: number, uaPort: number, contentType: string, body: Buffer): Buffer {
  const head = [
    `MESSAGE sip:acip@127.0.0.1:${uaPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peerPort};branch=z9hG4bK-raw-1`,
    'Max-Forwards: 70',
    `From: <sip:peer@127.0.0.1:${peerPort}>;tag=peertag`,
    `To: <sip:acip@127.0.0.1:${uaPort}>`,
    'Call-ID: raw-message-1',
    'CSeq: 1 MESSAGE',
    `Content-Type: ${contentType}`,
    `Content-Length: ${body.length}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head), body]);
}

const TEXT = 'text/plain;charset=UTF-8';

describe('incoming MESSAGE (RFC 3428 §7)', () => {
  const answers: { name: string; contentType: string; body: string; status: number; accept?: RegExp; stored: boolean }[] = [
    { name: 'takes UTF-8 text outside a dialog with 200', contentType: TEXT, body: 'Stand by: on air in 30 s — ✓', status: 200, stored: true },
    { name: 'takes text/plain without a charset as UTF-8', contentType: 'text/plain', body: 'plain', status: 200, stored: true },
    { name: 'refuses another body type with 415 and an Accept naming text/plain', contentType: 'application/octet-stream', body: '0123', status: 415, accept: /text\/plain/, stored: false },
    { name: 'refuses a charset it does not read with 415', contentType: 'text/plain;charset=ISO-8859-1', body: 'abc', status: 415, accept: /text\/plain/, stored: false },
  ];
  for (const a of answers) {
    it(`${a.name}`, () => {
      const { clock, peer, got } = withPeer();
      peer.request({ method: 'MESSAGE', cseq: 1, branch: 'z9hG4bK-m1', body: a.body, contentType: a.contentType });
      clock.advance(50);
      const res = peer.received.find((m) => m.kind === 'response');
      expect(res?.kind === 'response' ? res.status : 0).toBe(a.status);
      if (a.accept) expect(res!.headers.get('Accept')).toMatch(a.accept);
      expect(got.length).toBe(a.stored ? 1 : 0);
      if (a.stored) {
        expect(got[0]!.text).toBe(a.body);
        expect(got[0]!.from).toBe(`sip:peer@127.0.0.1:${peer.port}`);
        expect(got[0]!.dialogKey).toBeUndefined();
        expect(got[0]!.source).toBe('127.0.0.1');
      }
    });
  }

  it('answers a body that is not UTF-8 with 400 and keeps nothing', () => {
    const { clock, peer, got, uaPort } = withPeer();
    void peer.t.send(rawMessage(peer.port, uaPort, TEXT, Buffer.from([0x68, 0xc3, 0x28, 0xff])), { address: '127.0.0.1', port: uaPort });
    clock.advance(50);
    expect(peer.responses(400, 'MESSAGE')).toHaveLength(1);
    expect(got).toHaveLength(0);
  });

  it('answers a MESSAGE in a dialog it does not know with 481', () => {
    const { clock, peer, got } = withPeer();
    peer.request({ method: 'MESSAGE', cseq: 2, branch: 'z9hG4bK-m2', toTag: 'nosuchtag', body: 'hello', contentType: TEXT });
    clock.advance(50);
    expect(peer.responses(481, 'MESSAGE')).toHaveLength(1);
    expect(got).toHaveLength(0);
  });

  it('answers 480 when nobody takes messages', () => {
    const { clock, peer } = withPeer(false);
    peer.request({ method: 'MESSAGE', cseq: 1, branch: 'z9hG4bK-m3', body: 'hello', contentType: TEXT });
    clock.advance(50);
    expect(peer.responses(480, 'MESSAGE')).toHaveLength(1);
  });

  it('names MESSAGE in Allow of its OPTIONS answer', () => {
    const { clock, peer } = withPeer();
    peer.request({ method: 'OPTIONS', cseq: 1, branch: 'z9hG4bK-o1' });
    clock.advance(50);
    expect(peer.responses(200, 'OPTIONS')[0]!.headers.get('Allow')).toMatch(/\bMESSAGE\b/);
  });
});

describe('outgoing MESSAGE (RFC 3428 §4)', () => {
  it('sends text/plain UTF-8 outside a dialog without a Contact and resolves with the final status', async () => {
    const { clock, acip, peer } = withPeer();
    peer.onRequest = (req) => MemoryPeer.answer(req, 202, 'Accepted', { toTag: 'pt' });
    const done = acip.sendMessage(`sip:peer@127.0.0.1:${peer.port}`, 'Zürich on air');
    clock.advance(50);
    expect(await done).toEqual({ status: 202, reason: 'Accepted' });
    const req = peer.requests('MESSAGE')[0]!;
    expect(req.headers.get('Content-Type')).toBe(TEXT);
    expect(req.body.toString('utf8')).toBe('Zürich on air');
    expect(req.headers.has('Contact')).toBe(false);
  });

  const failures: { name: string; answer?: [number, string]; status: number }[] = [
    { name: 'a refusal', answer: [403, 'Forbidden'], status: 403 },
    { name: 'no answer at all (408 after Timer F)', status: 408 },
  ];
  for (const f of failures) {
    it(`reports ${f.name} as the status`, async () => {
      const { clock, acip, peer } = withPeer();
      peer.onRequest = (req) => (f.answer ? MemoryPeer.answer(req, f.answer[0], f.answer[1], { toTag: 'pt' }) : undefined);
      const done = acip.sendMessage(`sip:peer@127.0.0.1:${peer.port}`, 'hello');
      clock.advance(40_000);
      expect((await done).status).toBe(f.status);
    });
  }
});

describe('MESSAGE inside a call (RFC 3428 §4, RFC 3261 §12.2)', () => {
  /** Two UAs with a call from `caller` to `acip` set up. */
  function callPair() {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock, 10);
    const ta = net.transport();
    const tb = net.transport();
    const caller = new SipUserAgent({ clock, transports: [ta], userAgentName: 'caller', localUser: 'studio' });
    const acip = new SipUserAgent({ clock, transports: [tb], userAgentName: 'acip', localUser: 'acip' });
    let incoming: IncomingCall | undefined;
    acip.on('incomingCall', (c) => {
      incoming = c;
      c.accept(minimalSdp(40002));
    });
    const gotByAcip: IncomingTextMessage[] = [];
    const gotByCaller: IncomingTextMessage[] = [];
    acip.on('textMessage', (m) => gotByAcip.push(m));
    caller.on('textMessage', (m) => gotByCaller.push(m));
    const call = caller.invite(`sip:acip@127.0.0.1:${tb.local.port}`, { sdp: minimalSdp(40000) });
    clock.advance(200);
    return { clock, net, caller, acip, call, incoming: incoming!, gotByAcip, gotByCaller, acipUri: `sip:acip@127.0.0.1:${tb.local.port}` };
  }

  it('sends in the dialog in both directions and the receiver sees the dialog it came in', async () => {
    const { clock, net, caller, acip, call, incoming, gotByAcip, gotByCaller, acipUri } = callPair();
    expect(call.dialogKey).toBeDefined();
    const sent = caller.sendMessage(acipUri, 'from the studio', { inDialogOf: call });
    clock.advance(50);
    expect((await sent).status).toBe(200);
    expect(gotByAcip.map((m) => [m.text, m.dialogKey])).toEqual([['from the studio', incoming.dialogKey]]);
    const back = acip.sendMessage(incoming.remoteUri!, 'from acip', { inDialogOf: incoming });
    clock.advance(50);
    expect((await back).status).toBe(200);
    expect(gotByCaller.map((m) => [m.text, m.dialogKey])).toEqual([['from acip', call.dialogKey]]);
    const inDialog = net.find((r) => r.msg.kind === 'request' && r.msg.method === 'MESSAGE').map((r) => r.msg as SipRequest);
    expect(inDialog.every((m) => m.headers.get('Call-ID') === call.callId && /;tag=/.test(m.headers.get('To') ?? ''))).toBe(true);
  });

  it('gives its own live call back for an opaque call object, and nothing for a foreign or ended one', async () => {
    const { clock, acip, call, incoming } = callPair();
    expect(acip.liveCall(incoming)).toBe(incoming);
    expect(acip.liveCall(call)).toBeUndefined();
    expect(acip.liveCall({})).toBeUndefined();
    void incoming.bye();
    clock.advance(500);
    expect(acip.liveCall(incoming)).toBeUndefined();
  });

  it('compares URIs without scheme, parameters and case', () => {
    const same = [
      ['sip:Studio@192.0.2.7:5060;transport=tcp', 'sips:studio@192.0.2.7:5060'],
      ['<sip:a@b>', 'sip:a@b?subject=x'],
    ];
    for (const [a, b] of same) expect(comparableUri(a!)).toBe(comparableUri(b!));
    expect(comparableUri('sip:a@b')).not.toBe(comparableUri('sip:a@c'));
  });
});
