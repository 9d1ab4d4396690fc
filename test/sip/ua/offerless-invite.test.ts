import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import type { CallEndInfo } from '../../../server/sip/ua/call.js';
import type { IncomingCall } from '../../../server/sip/ua/incoming-call.js';
import type { SipMessage } from '../../../server/sip/grammar/message.js';
import { MemoryNetwork } from '../../helpers/sip-memory-transport.js';
import { minimalSdp } from '../../helpers/sip-ua-harness.js';
import { MemoryPeer } from './memory-peer.js';

/**
 * An INVITE or re-INVITE without an offer (RFC 3261 §13.2.1, RFC 3264 §4, §8): our 2xx carries
 * the offer, the ACK the answer, and the answer goes up to the layer above.
 */

/** acip alone, and a scripted peer next to it that answers acip's BYE with 200. */
function withPeer() {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 10);
  const t = net.transport();
  const ua = new SipUserAgent({ clock, transports: [t], userAgentName: 'acip', localUser: 'acip' });
  const peer = new MemoryPeer(net, t.local.port);
  peer.onRequest = (req) => (req.method === 'BYE' ? MemoryPeer.answer(req, 200, 'OK') : undefined);
  return { clock, net, ua, peer, uaPort: t.local.port };
}

type Env = ReturnType<typeof withPeer>;

const OUR_OFFER = minimalSdp(40002, 7);
const THEIR_ANSWER = minimalSdp(40000, 3);
const portOf = (sdp: string | undefined) => (sdp === undefined ? 'none' : (/m=audio (\d+)/.exec(sdp)?.[1] ?? '?'));
const fromUa = (env: Env, pred: (m: SipMessage) => boolean) => env.net.find((r) => r.from.port === env.uaPort && pred(r.msg));
const isOk = (cseq: string) => (m: SipMessage) => m.kind === 'response' && m.status === 200 && m.headers.get('CSeq') === cseq;
const isBye = (m: SipMessage) => m.kind === 'request' && m.method === 'BYE';

/**
 * The peer sends an INVITE without a body; acip accepts at once with OUR_OFFER and logs what the
 * call reports. Returns the call and the log.
 */
function offerlessCall(env: Env): { call: () => IncomingCall; log: string[] } {
  let call: IncomingCall | undefined;
  const log: string[] = [];
  env.ua.on('incomingCall', (c) => {
    call = c;
    c.on('confirmed', () => log.push('confirmed'));
    c.on('ack-answer', ({ sdp }) => log.push(`answer ${portOf(sdp)}`));
    c.on('ended', (e) => log.push(`ended ${e.by} ${e.status ?? '-'}`));
    c.accept(OUR_OFFER);
  });
  env.peer.request({ method: 'INVITE', cseq: 1, branch: 'z9hG4bK-inv1' });
  env.clock.advance(30);
  return { call: () => call!, log };
}

function ack(env: Env, o: { cseq?: number; branch?: string; body?: string; contentType?: string } = {}): void {
  const { cseq = 1, branch = 'z9hG4bK-ack1', body, contentType } = o;
  env.peer.request({ method: 'ACK', cseq, branch, toTag: env.peer.uaTag!, ...(body !== undefined ? { body } : {}), ...(contentType ? { contentType } : {}) });
  env.clock.advance(20);
}

describe('an INVITE without an offer (RFC 3261 §13.2.1, RFC 3264 §4)', () => {
  it('is offered to the layer above with no offer SDP, and accepting it puts our offer in the 200 OK', () => {
    const env = withPeer();
    const { call } = offerlessCall(env);
    expect(call().offerSdp).toBeUndefined();
    const ok = env.peer.responses(200, 'INVITE');
    expect(ok).toHaveLength(1);
    expect(ok[0]!.headers.get('Content-Type')).toBe('application/sdp');
    expect(ok[0]!.body.toString('utf8')).toBe(OUR_OFFER);
    expect(call().localSdp).toBe(OUR_OFFER);
    expect(call().state).toBe('accepted');
  });

  it('hands the answer in the ACK up as ack-answer, right after confirmed, and keeps it as the remote SDP', () => {
    const env = withPeer();
    const { call, log } = offerlessCall(env);
    ack(env, { body: THEIR_ANSWER });
    expect(log).toEqual(['confirmed', 'answer 40000']);
    expect(call().remoteSdp).toBe(THEIR_ANSWER);
    expect(call().state).toBe('confirmed');
    expect(env.peer.requests('BYE')).toHaveLength(0);
  });

  const missing: { name: string; body?: string; contentType?: string }[] = [
    { name: 'an ACK without a body' },
    { name: 'an ACK whose body is not SDP', body: 'hello', contentType: 'text/plain' },
  ];
  it.each(missing)('reports $name as a missing answer, and a BYE from the layer above then ends the call', ({ body, contentType }) => {
    const env = withPeer();
    const { call, log } = offerlessCall(env);
    call().on('ack-answer', ({ sdp }) => {
      if (sdp === undefined) void call().bye();
    });
    ack(env, { ...(body !== undefined ? { body } : {}), ...(contentType ? { contentType } : {}) });
    env.clock.advance(100);
    expect(log).toEqual(['confirmed', 'answer none', 'ended local -']);
    expect(call().remoteSdp).toBeUndefined();
    expect(env.peer.requests('BYE')).toHaveLength(1);
    expect(env.ua.activeCalls).toBe(0);
  });

  it('retransmits the 200 OK with the offer at T1, 2·T1, 4·T1 until the ACK, then hands the answer up once and stops', () => {
    const env = withPeer();
    const { log } = offerlessCall(env);
    env.clock.advance(4000); // §13.3.1.4: 500, 1500, 3500 ms after the first
    const answerAck = { body: THEIR_ANSWER };
    ack(env, answerAck);
    ack(env, answerAck); // a retransmitted ACK is absorbed
    env.clock.advance(30_000);
    const sent = fromUa(env, isOk('1 INVITE'));
    expect(sent.map((r) => r.at - sent[0]!.at)).toEqual([0, 500, 1500, 3500]);
    expect(sent.every((r) => r.msg.body.toString('utf8') === OUR_OFFER)).toBe(true);
    expect(log).toEqual(['confirmed', 'answer 40000']);
  });

  it('ends the call with BYE and status 408 when no ACK brings the answer within 64·T1 (§13.3.1.4)', () => {
    const env = withPeer();
    const { call } = offerlessCall(env);
    const ended: CallEndInfo[] = [];
    const answers: (string | undefined)[] = [];
    call().on('ended', (e) => ended.push(e));
    call().on('ack-answer', ({ sdp }) => answers.push(sdp));
    env.clock.advance(40_000);
    expect(ended).toEqual([{ by: 'local', status: 408, reason: 'no ACK for our 2xx within 64·T1' }]);
    expect(answers).toEqual([]);
    expect(fromUa(env, isBye)).toHaveLength(1);
    expect(fromUa(env, isBye)[0]!.at).toBe(10 + 32_000);
  });

  it('answers an UPDATE with an offer while our offer is unanswered with 491 (RFC 3311 §5.2)', () => {
    const env = withPeer();
    offerlessCall(env);
    env.peer.request({ method: 'UPDATE', cseq: 2, branch: 'z9hG4bK-upd2', toTag: env.peer.uaTag!, body: minimalSdp(40004, 3) });
    env.clock.advance(30);
    expect(env.peer.responses(491, 'UPDATE')).toHaveLength(1);
  });

  it('ignores a body in the ACK of an INVITE that carried an offer: the ACK answers nothing', () => {
    const env = withPeer();
    const events: string[] = [];
    let call: IncomingCall | undefined;
    env.ua.on('incomingCall', (c) => {
      call = c;
      c.on('ack-answer', () => events.push('ack-answer'));
      c.on('confirmed', () => events.push('confirmed'));
      c.accept(OUR_OFFER);
    });
    env.peer.request({ method: 'INVITE', cseq: 1, branch: 'z9hG4bK-inv1', body: THEIR_ANSWER });
    env.clock.advance(30);
    ack(env, { body: minimalSdp(40100, 9) });
    expect(events).toEqual(['confirmed']);
    expect(call!.remoteSdp).toBe(THEIR_ANSWER);
  });
});

describe('a re-INVITE without an offer (RFC 3264 §8: the peer asks us to offer)', () => {
  /** An ordinary call set up with an offer; acip answers re-INVITEs without an offer with `reoffer`. */
  function confirmedCall(env: Env, reoffer: string): { call: () => IncomingCall; log: string[] } {
    let call: IncomingCall | undefined;
    const log: string[] = [];
    env.ua.on('incomingCall', (c) => {
      call = c;
      c.on('reinvite', (o) => {
        log.push(`reinvite ${o.method} offer ${portOf(o.offerSdp)}`);
        o.accept(reoffer);
      });
      c.on('reinvite-answer', ({ sdp }) => log.push(`answer ${portOf(sdp)}`));
      c.on('ended', (e) => log.push(`ended ${e.by} ${e.status ?? '-'}`));
      c.accept(OUR_OFFER);
    });
    env.peer.request({ method: 'INVITE', cseq: 1, branch: 'z9hG4bK-inv1', body: THEIR_ANSWER });
    env.clock.advance(30);
    ack(env);
    return { call: () => call!, log };
  }

  it('puts our offer in the 200, hands the answer in the ACK up as reinvite-answer, and keeps both SDPs', () => {
    const env = withPeer();
    const reoffer = minimalSdp(40002, 7).replace('o=acip 7 1', 'o=acip 7 2');
    const { call, log } = confirmedCall(env, reoffer);
    env.peer.request({ method: 'INVITE', cseq: 2, branch: 'z9hG4bK-inv2', toTag: env.peer.uaTag! });
    env.clock.advance(30);
    const ok = env.peer.responses(200, 'INVITE').filter((r) => r.headers.get('CSeq') === '2 INVITE');
    expect(ok[0]!.body.toString('utf8')).toBe(reoffer);
    ack(env, { cseq: 2, branch: 'z9hG4bK-ack2', body: minimalSdp(40010, 3) });
    expect(log).toEqual(['reinvite INVITE offer none', 'answer 40010']);
    expect(call().localSdp).toBe(reoffer);
    expect(call().remoteSdp).toContain('m=audio 40010');
  });

  it('retransmits that 200 until the ACK and hands the answer up once', () => {
    const env = withPeer();
    const { log } = confirmedCall(env, OUR_OFFER);
    env.peer.request({ method: 'INVITE', cseq: 2, branch: 'z9hG4bK-inv2', toTag: env.peer.uaTag! });
    env.clock.advance(2000);
    ack(env, { cseq: 2, branch: 'z9hG4bK-ack2', body: minimalSdp(40010, 3) });
    ack(env, { cseq: 2, branch: 'z9hG4bK-ack2', body: minimalSdp(40010, 3) });
    env.clock.advance(30_000);
    const sent = fromUa(env, isOk('2 INVITE'));
    expect(sent.map((r) => r.at - sent[0]!.at)).toEqual([0, 500, 1500]);
    expect(log).toEqual(['reinvite INVITE offer none', 'answer 40010']);
  });

  it('ends the call with BYE and status 408 when no ACK answers our offer within 64·T1', () => {
    const env = withPeer();
    const { log } = confirmedCall(env, OUR_OFFER);
    env.peer.request({ method: 'INVITE', cseq: 2, branch: 'z9hG4bK-inv2', toTag: env.peer.uaTag! });
    env.clock.advance(40_000);
    expect(log).toEqual(['reinvite INVITE offer none', 'ended local 408']);
    expect(fromUa(env, isBye)).toHaveLength(1);
  });

  it('keeps the session when no ACK follows the 200 to a re-INVITE that carried an offer', () => {
    const env = withPeer();
    const { log } = confirmedCall(env, OUR_OFFER);
    env.peer.request({ method: 'INVITE', cseq: 2, branch: 'z9hG4bK-inv2', toTag: env.peer.uaTag!, body: minimalSdp(40020, 3) });
    env.clock.advance(40_000);
    expect(log).toEqual(['reinvite INVITE offer 40020']);
    expect(fromUa(env, isBye)).toHaveLength(0);
  });

  it('treats an UPDATE without a body as a session refresh, not as a request to offer', () => {
    const env = withPeer();
    const { log } = confirmedCall(env, OUR_OFFER);
    env.peer.request({ method: 'UPDATE', cseq: 2, branch: 'z9hG4bK-upd2', toTag: env.peer.uaTag! });
    env.clock.advance(30);
    const ok = env.peer.responses(200, 'UPDATE');
    expect(ok).toHaveLength(1);
    expect(ok[0]!.body.length).toBe(0);
    expect(log).toEqual([]);
  });
});
