import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipMessage } from '../../../server/sip/grammar/message.js';
import { UdpRawPeer, optionsRequest } from '../../helpers/sip-raw-peer.js';
import { minimalSdp, startUa, type UaHarness } from '../../helpers/sip-ua-harness.js';

let h: UaHarness;
let peer: UdpRawPeer;
let seq = 0;
/** Call-IDs of the INVITEs the UA offered to its listener. */
const offered: string[] = [];
beforeAll(async () => {
  h = await startUa();
  h.ua.on('incomingCall', (call) => {
    offered.push(call.callId);
    call.ringing(); // keeps every call ringing
  });
  peer = await UdpRawPeer.open();
});
afterAll(async () => {
  peer.close();
  await h.close();
});

interface ReqOpts {
  method: string;
  cseqMethod?: string;
  toTag?: string;
  callId?: string;
  fromTag?: string;
  branch?: string;
  extra?: string[];
  body?: string;
  via?: string;
}

function request(o: ReqOpts): Buffer {
  seq++;
  const body = o.body ?? '';
  const lines = [
    `${o.method} sip:acip@127.0.0.1:${h.udp.local.port} SIP/2.0`,
    o.via ?? `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=${o.branch ?? `z9hG4bK-uas-${seq}`}`,
    'Max-Forwards: 70',
    `From: <sip:tester@127.0.0.1>;tag=${o.fromTag ?? `f${seq}`}`,
    `To: <sip:acip@127.0.0.1>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId ?? `uas-${seq}@test`}`,
    `CSeq: 1 ${o.cseqMethod ?? o.method}`,
    ...(o.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return Buffer.from(lines.join('\r\n'));
}

async function ask(buf: Buffer, callId: string, ms = 1500): Promise<SipMessage | undefined> {
  await peer.send(buf, h.udp.local.port);
  return peer.waitFor((m) => m.kind === 'response' && m.status >= 200 && m.headers.get('Call-ID') === callId, ms);
}

const status = (m: SipMessage | undefined) => (m?.kind === 'response' ? m.status : undefined);

describe('responses a UAS must give (RFC 3261 §8.2, §12.2.2)', () => {
  it('answers 405 with Allow to a method it knows but does not allow here (REGISTER)', async () => {
    const r = await ask(request({ method: 'REGISTER', callId: 'c405' }), 'c405');
    expect(status(r)).toBe(405);
    expect(r?.headers.get('Allow')).toBe('INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, MESSAGE, SUBSCRIBE, NOTIFY, PRACK, REFER');
  });

  it('answers 501 to an unknown method', async () => {
    expect(status(await ask(request({ method: 'FROBNICATE', callId: 'c501' }), 'c501'))).toBe(501);
  });

  it('answers 481 to a BYE for a dialog it does not know', async () => {
    expect(status(await ask(request({ method: 'BYE', toTag: 'nosuch', callId: 'c481' }), 'c481'))).toBe(481);
  });

  it('answers 420 with Unsupported listing the unknown Require tags', async () => {
    const r = await ask(request({ method: 'OPTIONS', callId: 'c420', extra: ['Require: foo, 100rel, precondition'] }), 'c420');
    expect(status(r)).toBe(420);
    // 100rel is supported (RFC 3262); the others are listed.
    expect(r?.headers.get('Unsupported')).toBe('foo, precondition');
  });

  it('answers 415 with Accept to an INVITE body that is not SDP', async () => {
    const r = await ask(request({ method: 'INVITE', callId: 'c415', extra: ['Content-Type: text/plain'], body: 'hello' }), 'c415');
    expect(status(r)).toBe(415);
    expect(r?.headers.get('Accept')).toBe('application/sdp');
  });

  it('answers 482 to a merged request (same From tag, Call-ID, CSeq, other branch), and leaves any call limit to its listener', async () => {
    const sdp = ['Content-Type: application/sdp'];
    await peer.send(request({ method: 'INVITE', callId: 'busy-1', fromTag: 'ft', branch: 'z9hG4bK-first', extra: sdp, body: minimalSdp() }), h.udp.local.port);
    const ringing = await peer.waitFor((m) => m.kind === 'response' && m.status === 180 && m.headers.get('Call-ID') === 'busy-1', 1500);
    expect(ringing).toBeDefined();
    // The same request arriving by another path (another branch) is a loop/merge → 482 (§8.2.2.2).
    seq--; // keep the same CSeq-independent numbering; CSeq is always 1 here
    const merged = await ask(request({ method: 'INVITE', callId: 'busy-1', fromTag: 'ft', branch: 'z9hG4bK-second', extra: sdp, body: minimalSdp() }), 'busy-1');
    expect(status(merged)).toBe(482);
    // A second call while the first rings is offered too: the link manager's limit decides.
    await peer.send(request({ method: 'INVITE', callId: 'busy-2', extra: sdp, body: minimalSdp() }), h.udp.local.port);
    const second = await peer.waitFor((m) => m.kind === 'response' && m.status === 180 && m.headers.get('Call-ID') === 'busy-2', 1500);
    expect(second).toBeDefined();
    expect(offered).toEqual(expect.arrayContaining(['busy-1', 'busy-2']));
  });

  it('answers 406 with Accept to the RFC 4475 §3.3.15 INVITE whose Accept excludes application/sdp, without offering the call', async () => {
    // RFC 4475 §3.3.15 (sdp01), hosts moved to 127.0.0.1 and the Via to our raw peer.
    const body = [
      'v=0',
      'o=mhandley 29739 7272939 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      'm=audio 49217 RTP/AVP 0 12',
      'm=video 3227 RTP/AVP 31',
      'a=rtpmap:31 LPC',
      '',
    ].join('\r\n');
    const msg = [
      `INVITE sip:user@127.0.0.1:${h.udp.local.port} SIP/2.0`,
      'To: sip:j_user@127.0.0.1',
      'Contact: <sip:caller@127.0.0.1>',
      'From: sip:caller@127.0.0.1;tag=234',
      'Max-Forwards: 5',
      'Call-ID: sdp01.ndaksdj9342dasdd',
      'Accept: text/nobodyKnowsThis',
      'CSeq: 8 INVITE',
      `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKkdjuw`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Content-Type: application/sdp',
      '',
      body,
    ].join('\r\n');
    const r = await ask(Buffer.from(msg), 'sdp01.ndaksdj9342dasdd');
    expect(status(r)).toBe(406);
    expect(r?.headers.get('Accept')).toBe('application/sdp');
    expect(r?.body.length).toBe(0);
    expect(offered).not.toContain('sdp01.ndaksdj9342dasdd');
  });

  it('drops stray responses, responses above 699 and stray ACKs, and keeps answering', async () => {
    const before = { ...h.ua.counters };
    const stray = Buffer.from(
      [
        'SIP/2.0 200 OK',
        `Via: SIP/2.0/UDP 127.0.0.1:${h.udp.local.port};branch=z9hG4bK-never-sent`,
        'From: <sip:a@b>;tag=1',
        'To: <sip:c@d>;tag=2',
        'Call-ID: stray@test',
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    await peer.send(stray, h.udp.local.port);
    await peer.send(Buffer.from(stray.toString().replace('200 OK', '4294967301 Big')), h.udp.local.port);
    await peer.send(request({ method: 'ACK', toTag: 'unknown', callId: 'stray-ack' }), h.udp.local.port);
    const probe = optionsRequest(peer.port, 'UDP', h.udp.local.port, 'after-stray');
    await peer.send(probe, h.udp.local.port);
    const ok = await peer.waitFor((m) => m.kind === 'response' && m.headers.get('Call-ID') === 'probe-after-stray@127.0.0.1', 1500);
    expect(status(ok)).toBe(200);
    expect(h.ua.counters.strayResponses - before.strayResponses).toBe(1);
    expect(h.ua.counters.strayAcks - before.strayAcks).toBe(1);
    expect(h.udp.counters.malformed).toBeGreaterThanOrEqual(1);
    expect(peer.received.filter((m) => ['stray@test', 'stray-ack'].includes(m.headers.get('Call-ID') ?? ''))).toEqual([]);
  });

  it('keeps a header named __proto__ as a header, and answers 400 naming an absurd Expires', async () => {
    const ok = await ask(request({ method: 'OPTIONS', callId: 'proto', extra: ['__proto__: x', 'constructor: y'] }), 'proto');
    expect(status(ok)).toBe(200);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    const bad = await ask(request({ method: 'OPTIONS', callId: 'expires', extra: [`Expires: ${'9'.repeat(40)}`] }), 'expires');
    expect(status(bad)).toBe(400);
    expect(bad?.kind === 'response' && bad.reason).toMatch(/Expires/);
  });

  it('stamps received and fills rport, and answers to the source port (RFC 3581)', async () => {
    const via = `Via: SIP/2.0/UDP 192.0.2.99:5999;rport;branch=z9hG4bK-rport-1`;
    const r = await ask(request({ method: 'OPTIONS', callId: 'rport', via }), 'rport');
    expect(status(r)).toBe(200);
    expect(r?.headers.get('Via')).toBe(`SIP/2.0/UDP 192.0.2.99:5999;rport=${peer.port};branch=z9hG4bK-rport-1;received=127.0.0.1`);
  });
});
