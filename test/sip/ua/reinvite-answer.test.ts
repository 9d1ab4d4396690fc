import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import type { IncomingCall } from '../../../server/sip/ua/incoming-call.js';
import type { SipMessage, SipResponse } from '../../../server/sip/grammar/message.js';
import { parseMessage } from '../../../server/sip/grammar/parser.js';
import { MemoryNetwork } from '../../helpers/sip-memory-transport.js';
import { UdpRawPeer } from '../../helpers/sip-raw-peer.js';
import { minimalSdp, startUa, type UaHarness } from '../../helpers/sip-ua-harness.js';

/**
 * Requests of a scripted peer at 127.0.0.1:`peerPort` calling acip at 127.0.0.1:`uaPort`, as raw
 * text (independent of the serializer under test).
 */
function peerRequest(o: { method: string; cseq: number; branch: string; peerPort: number; uaPort: number; toTag?: string; body?: string }): Buffer {
  const body = o.body ?? '';
  const lines = [
    `${o.method} sip:acip@127.0.0.1:${o.uaPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${o.peerPort};branch=${o.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:peer@127.0.0.1:${o.peerPort}>;tag=peertag`,
    `To: <sip:acip@127.0.0.1:${o.uaPort}>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    'Call-ID: reinvite-answer-1@127.0.0.1',
    `CSeq: ${o.cseq} ${o.method}`,
    `Contact: <sip:peer@127.0.0.1:${o.peerPort}>`,
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

const okFor = (cseq: string) => (m: SipMessage) => m.kind === 'response' && m.status === 200 && m.headers.get('CSeq') === cseq;
const toTagOf = (m: SipMessage) => /;tag=([^;\s]+)/.exec(m.headers.get('To') ?? '')?.[1];

describe('the answer to our offer in the ACK of a re-INVITE without SDP (RFC 3261 §14.2, RFC 3264 §5)', () => {
  let h: UaHarness | undefined;
  let peer: UdpRawPeer | undefined;
  afterEach(async () => {
    peer?.close();
    await h?.close();
    h = peer = undefined;
  });

  it('is reported as reinvite-answer with the SDP over real loopback UDP, and as undefined when the ACK has none', async () => {
    h = await startUa();
    peer = await UdpRawPeer.open();
    const p = peer;
    const uaPort = h.udp.local.port;
    const base = { peerPort: p.port, uaPort };
    const events: string[] = [];
    let call: IncomingCall | undefined;
    h.ua.on('incomingCall', (c) => {
      call = c;
      c.on('reinvite', (offer) => {
        events.push(`reinvite offer ${offer.offerSdp === undefined ? 'none' : 'present'}`);
        // Without an offer, what we accept with is our offer (the answer comes in the ACK).
        offer.accept(minimalSdp(40010 + events.length, 10 + events.length));
      });
      c.on('reinvite-answer', ({ sdp }) => events.push(`answer ${sdp === undefined ? 'missing' : (/m=audio (\d+)/.exec(sdp)?.[1] ?? '?')}`));
      c.accept(minimalSdp(40002));
    });
    await p.send(peerRequest({ ...base, method: 'INVITE', cseq: 1, branch: 'z9hG4bK-i1', body: minimalSdp(40000) }), uaPort);
    const ok1 = await p.waitFor(okFor('1 INVITE'), 3000);
    expect(ok1).toBeDefined();
    const toTag = toTagOf(ok1!)!;
    await p.send(peerRequest({ ...base, method: 'ACK', cseq: 1, branch: 'z9hG4bK-a1', toTag }), uaPort);

    // 1: re-INVITE without SDP → our 200 carries an offer → the ACK answers it.
    await p.send(peerRequest({ ...base, method: 'INVITE', cseq: 2, branch: 'z9hG4bK-i2', toTag }), uaPort);
    const ok2 = (await p.waitFor(okFor('2 INVITE'), 3000)) as SipResponse | undefined;
    expect(ok2?.body.toString('utf8')).toContain('m=audio 40011');
    await p.send(peerRequest({ ...base, method: 'ACK', cseq: 2, branch: 'z9hG4bK-a2', toTag, body: minimalSdp(40020, 20) }), uaPort);

    // 2: the same, but the ACK forgets the answer.
    await p.send(peerRequest({ ...base, method: 'INVITE', cseq: 3, branch: 'z9hG4bK-i3', toTag }), uaPort);
    expect(await p.waitFor(okFor('3 INVITE'), 3000)).toBeDefined();
    await p.send(peerRequest({ ...base, method: 'ACK', cseq: 3, branch: 'z9hG4bK-a3', toTag }), uaPort);

    // 3: an ordinary re-INVITE with an offer: its ACK answers nothing, so no event.
    await p.send(peerRequest({ ...base, method: 'INVITE', cseq: 4, branch: 'z9hG4bK-i4', toTag, body: minimalSdp(40030, 30) }), uaPort);
    expect(await p.waitFor(okFor('4 INVITE'), 3000)).toBeDefined();
    await p.send(peerRequest({ ...base, method: 'ACK', cseq: 4, branch: 'z9hG4bK-a4', toTag }), uaPort);
    // An OPTIONS round trip orders us after the ACK's processing (same socket, same handler).
    await p.send(peerRequest({ ...base, method: 'OPTIONS', cseq: 5, branch: 'z9hG4bK-o5', toTag }), uaPort);
    expect(await p.waitFor(okFor('5 OPTIONS'), 3000)).toBeDefined();

    expect(events).toEqual(['reinvite offer none', 'answer 40020', 'reinvite offer none', 'answer missing', 'reinvite offer present']);
    expect(call!.remoteSdp).toContain('m=audio 40030');
  });

  it('is reported once, when the ACK finally arrives after 2xx retransmissions (fake clock)', () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock, 10);
    const tu = net.transport();
    const tp = net.transport();
    const ua = new SipUserAgent({ clock, transports: [tu], userAgentName: 'ua' });
    const base = { peerPort: tp.local.port, uaPort: tu.local.port };
    const got: SipMessage[] = [];
    tp.setHandler({ onMessage: (m) => got.push(m) });
    const send = (b: Buffer) => void tp.send(parseMessage(b), { address: '127.0.0.1', port: tu.local.port });
    const answers: (string | undefined)[] = [];
    ua.on('incomingCall', (c) => {
      c.on('reinvite', (offer) => offer.accept(minimalSdp(40100, 5)));
      c.on('reinvite-answer', ({ sdp }) => answers.push(sdp));
      c.accept(minimalSdp(40002));
    });
    send(peerRequest({ ...base, method: 'INVITE', cseq: 1, branch: 'z9hG4bK-f1', body: minimalSdp(40000) }));
    clock.advance(50);
    const toTag = toTagOf(got.find(okFor('1 INVITE'))!)!;
    send(peerRequest({ ...base, method: 'ACK', cseq: 1, branch: 'z9hG4bK-fa1', toTag }));
    send(peerRequest({ ...base, method: 'INVITE', cseq: 2, branch: 'z9hG4bK-f2', toTag }));
    clock.advance(2000); // no ACK yet: the 2xx is retransmitted at T1, 2·T1 (§13.3.1.4)
    expect(got.filter(okFor('2 INVITE')).length).toBeGreaterThanOrEqual(3);
    expect(answers).toEqual([]);
    const ack = peerRequest({ ...base, method: 'ACK', cseq: 2, branch: 'z9hG4bK-fa2', toTag, body: minimalSdp(40200, 6) });
    send(ack);
    send(ack); // a retransmitted ACK is absorbed
    clock.advance(5000);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toContain('m=audio 40200');
    const after = got.filter(okFor('2 INVITE')).length;
    clock.advance(10_000);
    expect(got.filter(okFor('2 INVITE')).length).toBe(after); // retransmissions stopped
  });
});
