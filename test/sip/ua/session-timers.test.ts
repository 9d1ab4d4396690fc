import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent, type SipUserAgentOptions } from '../../../server/sip/ua/user-agent.js';
import type { CallEndInfo, ReinviteOffer } from '../../../server/sip/ua/call.js';
import type { IncomingCall } from '../../../server/sip/ua/incoming-call.js';
import type { SipMessage, SipRequest } from '../../../server/sip/grammar/message.js';
import { MemoryNetwork } from '../../helpers/sip-memory-transport.js';
import { minimalSdp } from '../../helpers/sip-ua-harness.js';
import { MemoryPeer } from './memory-peer.js';

type TimerOpts = Pick<SipUserAgentOptions, 'sessionExpiresS' | 'minSeS'>;
const short: TimerOpts = { sessionExpiresS: 90, minSeS: 90 };

function pair(aOpts: TimerOpts = short, bOpts: TimerOpts = short) {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 10);
  const ta = net.transport();
  const tb = net.transport();
  const a = new SipUserAgent({ clock, transports: [ta], userAgentName: 'ua-a', localUser: 'a', ...aOpts });
  const b = new SipUserAgent({ clock, transports: [tb], userAgentName: 'ua-b', localUser: 'b', ...bOpts });
  return { clock, net, a, b, target: `sip:b@127.0.0.1:${tb.local.port}` };
}

/** acip alone, and a scripted peer next to it. */
function withPeer(opts: TimerOpts = short) {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 10);
  const t = net.transport();
  const ua = new SipUserAgent({ clock, transports: [t], userAgentName: 'acip', localUser: 'acip', ...opts });
  const peer = new MemoryPeer(net, t.local.port);
  return { clock, net, ua, peer, uaPort: t.local.port };
}

const sent = (method: string) => (r: { msg: SipMessage }) => r.msg.kind === 'request' && r.msg.method === method;

/** The peer calls acip with `headers`, acip answers at once, the peer ACKs. Returns acip's call and its To tag. */
function peerCalls(env: ReturnType<typeof withPeer>, headers: string[]): { call: () => IncomingCall | undefined; toTag: () => string } {
  let call: IncomingCall | undefined;
  env.ua.on('incomingCall', (c) => {
    call = c;
    c.accept(minimalSdp(40002));
  });
  env.peer.request({ method: 'INVITE', cseq: 1, branch: 'z9hG4bK-inv1', body: minimalSdp(40000), headers });
  env.clock.advance(30);
  const toTag = env.peer.uaTag!;
  env.peer.request({ method: 'ACK', cseq: 1, branch: 'z9hG4bK-ack1', toTag });
  env.clock.advance(20);
  return { call: () => call, toTag: () => toTag };
}

describe('session timers between two acip user agents (RFC 4028)', () => {
  it('asks for the timer in the INVITE, lets the caller refresh, and refreshes with UPDATE at half the interval', () => {
    const { clock, net, a, b, target } = pair();
    let incoming: IncomingCall | undefined;
    b.on('incomingCall', (c) => {
      incoming = c;
      c.accept(minimalSdp(40002));
    });
    const call = a.invite(target, { sdp: minimalSdp(40000) });
    const ended: CallEndInfo[] = [];
    call.on('ended', (e) => ended.push(e));
    clock.advance(200_000);
    const invite = net.find(sent('INVITE'))[0]!.msg;
    expect([invite.headers.get('Supported'), invite.headers.get('Session-Expires'), invite.headers.get('Min-SE')]).toEqual(['timer, 100rel, replaces', '90', '90']);
    const ok = net.find((r) => r.msg.kind === 'response' && r.msg.status === 200 && r.msg.headers.get('CSeq') === '1 INVITE')[0]!.msg;
    expect([ok.headers.get('Require'), ok.headers.get('Session-Expires')]).toEqual(['timer', '90;refresher=uac']);
    expect(ok.headers.get('Allow')).toContain('UPDATE');
    const updates = net.find(sent('UPDATE'));
    // The 2xx reaches the caller at 20 ms; each refresh's 200 comes back 20 ms after it left.
    expect(updates.map((u) => u.at)).toEqual([45_020, 90_040, 135_060, 180_080]);
    expect(updates.every((u) => u.msg.body.length === 0 && u.msg.headers.get('Session-Expires') === '90;refresher=uac')).toBe(true);
    expect(call.sessionInterval).toEqual({ intervalS: 90, refresher: 'local' });
    expect(incoming?.sessionInterval).toEqual({ intervalS: 90, refresher: 'remote' });
    expect(ended).toEqual([]);
    expect(call.state).toBe('answered');
    expect(net.find(sent('INVITE'))).toHaveLength(1);
  });

  it('retries an INVITE refused with 422 once, with the larger Min-SE as Session-Expires and Min-SE (§7.4, §6)', () => {
    const { clock, net, a, b, target } = pair(short, { sessionExpiresS: 300, minSeS: 300 });
    b.on('incomingCall', (c) => c.accept(minimalSdp(40002)));
    const call = a.invite(target, { sdp: minimalSdp(40000) });
    clock.advance(1000);
    const tooSmall = net.find((r) => r.msg.kind === 'response' && r.msg.status === 422);
    expect(tooSmall).toHaveLength(1);
    expect(tooSmall[0]!.msg.headers.get('Min-SE')).toBe('300');
    const invites = net.find(sent('INVITE')).map((r) => r.msg);
    expect(invites.map((m) => [m.headers.get('CSeq'), m.headers.get('Session-Expires'), m.headers.get('Min-SE')])).toEqual([
      ['1 INVITE', '90', '90'],
      ['2 INVITE', '300', '300'],
    ]);
    expect(invites[0]!.headers.get('Via')).not.toBe(invites[1]!.headers.get('Via'));
    expect(call.state).toBe('answered');
    expect(call.sessionInterval).toEqual({ intervalS: 300, refresher: 'local' });
  });

  it('puts the session-timer headers in a re-INVITE from the layer above, and its 2xx restarts the interval (§7.4)', async () => {
    const { clock, net, a, b, target } = pair();
    b.on('incomingCall', (c) => {
      c.on('reinvite', (o) => o.accept(minimalSdp(40012, 2)));
      c.accept(minimalSdp(40002));
    });
    const call = a.invite(target, { sdp: minimalSdp(40000) });
    clock.advance(40_000);
    const result = call.reinvite(minimalSdp(40010, 2));
    clock.advance(100);
    expect((await result).status).toBe(200);
    const reinvite = net.find((r) => sent('INVITE')(r) && r.msg.headers.get('CSeq') === '2 INVITE')[0]!.msg;
    expect([reinvite.headers.get('Supported'), reinvite.headers.get('Session-Expires'), reinvite.headers.get('Min-SE')]).toEqual(['timer', '90;refresher=uac', '90']);
    clock.advance(60_000);
    // The re-INVITE's 2xx came back at 40 020 ms: the next refresh is half an interval after it.
    expect(net.find(sent('UPDATE')).map((u) => u.at)).toEqual([85_020]);
  });

  it('sends BYE with a reason when the refresh gets 481 (§10)', () => {
    const { clock, net, a, b, target } = pair();
    let incoming: IncomingCall | undefined;
    b.on('incomingCall', (c) => {
      incoming = c;
      c.accept(minimalSdp(40002));
    });
    const call = a.invite(target, { sdp: minimalSdp(40000) });
    const ended: CallEndInfo[] = [];
    call.on('ended', (e) => ended.push(e));
    clock.advance(1000);
    net.drop = (m) => m.kind === 'request' && m.method === 'BYE' && m.headers.get('User-Agent') === 'ua-b';
    void incoming!.bye(); // the callee forgets the dialog; its BYE is lost
    clock.advance(50_000);
    expect(ended).toEqual([{ by: 'network', status: 481, reason: 'session refresh failed: 481 Call/Transaction Does Not Exist', cause: 'refresh-failed' }]);
    expect(net.find((r) => sent('BYE')(r) && r.msg.headers.get('User-Agent') === 'ua-a')).toHaveLength(1);
  });

  it('sends BYE with a reason when the refresh times out (§10)', () => {
    const { clock, net, a, b, target } = pair({}, {});
    b.on('incomingCall', (c) => c.accept(minimalSdp(40002)));
    const call = a.invite(target, { sdp: minimalSdp(40000) });
    const ended: CallEndInfo[] = [];
    call.on('ended', (e) => ended.push(e));
    clock.advance(1000);
    net.drop = (m) => m.kind === 'request' && m.method === 'UPDATE';
    clock.advance(900_000 + 32_000);
    expect(net.find(sent('UPDATE'))[0]!.at).toBe(900_020);
    expect(ended).toEqual([{ by: 'network', status: 408, reason: 'session refresh failed: 408 Request Timeout', cause: 'refresh-failed' }]);
    expect(net.find(sent('BYE'))).toHaveLength(1);
  });
});

describe('session timers against peers acip cannot be (RFC 4028 §9, §10)', () => {
  it('answers 422 with its Min-SE to an INVITE asking for less, and never rings', () => {
    const env = withPeer();
    let offered = 0;
    env.ua.on('incomingCall', () => offered++);
    env.peer.request({ method: 'INVITE', cseq: 1, branch: 'z9hG4bK-small', body: minimalSdp(40000), headers: ['Supported: timer', 'Session-Expires: 60'] });
    env.clock.advance(100);
    const r = env.peer.responses(422, 'INVITE');
    expect(r).toHaveLength(1);
    expect(r[0]!.reason).toBe('Session Interval Too Small');
    expect(r[0]!.headers.get('Min-SE')).toBe('90');
    expect(offered).toBe(0);
  });

  it('hangs up a caller that asked to refresh and went silent, at the expiry minus a third (§10)', () => {
    const env = withPeer();
    env.peer.onRequest = (req) => (req.method === 'BYE' ? MemoryPeer.answer(req, 200, 'OK') : undefined);
    const c = peerCalls(env, ['Supported: timer', 'Session-Expires: 90;refresher=uac']);
    const ended: CallEndInfo[] = [];
    c.call()!.on('ended', (e) => ended.push(e));
    const ok = env.peer.responses(200, 'INVITE')[0]!;
    expect([ok.headers.get('Require'), ok.headers.get('Session-Expires')]).toEqual(['timer', '90;refresher=uac']);
    env.clock.advance(59_000);
    expect(env.peer.requests('BYE')).toHaveLength(0);
    env.clock.advance(2000);
    // accepted at 10 ms; BYE at 10 + (90 − 30) s, on the wire 10 ms later.
    expect(env.net.find(sent('BYE')).map((r) => r.at)).toEqual([60_010]);
    expect(ended).toEqual([{ by: 'network', reason: 'session timer expired after 90 s', cause: 'session-expired' }]);
  });

  it('keeps a caller without timer support refreshed by re-INVITE with the same SDP when it does not allow UPDATE', () => {
    const env = withPeer();
    env.peer.onRequest = (req) =>
      req.method === 'INVITE' ? MemoryPeer.answer(req, 200, 'OK', { headers: [`Contact: <sip:peer@127.0.0.1:${env.peer.port}>`], body: minimalSdp(40000) }) : undefined;
    const c = peerCalls(env, ['Allow: INVITE, ACK, CANCEL, BYE, OPTIONS']);
    const ended: CallEndInfo[] = [];
    c.call()!.on('ended', (e) => ended.push(e));
    const ok = env.peer.responses(200, 'INVITE')[0]!;
    expect([ok.headers.get('Require'), ok.headers.get('Session-Expires')]).toEqual([undefined, '90;refresher=uas']);
    env.clock.advance(100_000);
    const reinvites = env.net.find((r) => sent('INVITE')(r) && r.from.port === env.uaPort);
    expect(reinvites.map((r) => r.at)).toEqual([45_010, 90_030]);
    expect(reinvites.every((r) => r.msg.body.toString() === ok.body.toString())).toBe(true);
    expect(reinvites[0]!.msg.headers.get('Session-Expires')).toBe('90;refresher=uac');
    expect(env.peer.requests('ACK')).toHaveLength(2);
    expect(env.net.find(sent('UPDATE'))).toHaveLength(0);
    expect(ended).toEqual([]);
  });

  it('retries a refresh refused with 422 once, with the larger Min-SE (§7.4)', () => {
    const env = withPeer();
    let updates = 0;
    env.peer.onRequest = (req) => {
      const contact = `Contact: <sip:peer@127.0.0.1:${env.peer.port}>`;
      if (req.method === 'INVITE') {
        return MemoryPeer.answer(req, 200, 'OK', { toTag: 'callee', headers: [contact, 'Supported: timer', 'Require: timer', 'Session-Expires: 90;refresher=uac', 'Allow: INVITE, ACK, BYE, UPDATE'], body: minimalSdp(40000) });
      }
      if (req.method === 'UPDATE') {
        updates++;
        return updates === 1
          ? MemoryPeer.answer(req, 422, 'Session Interval Too Small', { headers: ['Min-SE: 120'] })
          : MemoryPeer.answer(req, 200, 'OK', { headers: [contact, 'Require: timer', 'Session-Expires: 120;refresher=uac'] });
      }
      return undefined;
    };
    const call = env.ua.invite(`sip:peer@127.0.0.1:${env.peer.port}`, { sdp: minimalSdp(40002) });
    env.clock.advance(46_000);
    const sentUpdates = env.peer.requests('UPDATE');
    expect(sentUpdates.map((u) => [u.headers.get('Session-Expires'), u.headers.get('Min-SE')])).toEqual([
      ['90;refresher=uac', '90'],
      ['120;refresher=uac', '120'],
    ]);
    expect(call.sessionInterval).toEqual({ intervalS: 120, refresher: 'local' });
    expect(call.state).toBe('answered');
  });

  it('refreshes a callee without timer support itself: a 2xx without Session-Expires still gets refreshes', () => {
    const env = withPeer();
    env.peer.onRequest = (req) =>
      req.method === 'INVITE'
        ? MemoryPeer.answer(req, 200, 'OK', { toTag: 'callee', headers: [`Contact: <sip:peer@127.0.0.1:${env.peer.port}>`, 'Allow: INVITE, ACK, BYE, CANCEL'], body: minimalSdp(40000) })
        : undefined;
    const call = env.ua.invite(`sip:peer@127.0.0.1:${env.peer.port}`, { sdp: minimalSdp(40002) });
    env.clock.advance(50_000);
    expect(call.state).toBe('answered');
    expect(call.sessionInterval).toEqual({ intervalS: 90, refresher: 'local' });
    expect(env.peer.requests('INVITE').map((r) => r.headers.get('CSeq'))).toEqual(['1 INVITE', '2 INVITE']);
  });
});

describe('UPDATE inside a dialog (RFC 3311)', () => {
  it('answers an UPDATE without a body with 200 and the session-timer headers, as a refresh', () => {
    const env = withPeer();
    const c = peerCalls(env, ['Supported: timer', 'Session-Expires: 90;refresher=uac']);
    const offers: ReinviteOffer[] = [];
    c.call()!.on('reinvite', (o) => offers.push(o));
    const ended: CallEndInfo[] = [];
    c.call()!.on('ended', (e) => ended.push(e));
    // Refresh at 45 s: the expiry moves to 45 s + 60 s.
    env.clock.advance(45_000);
    env.peer.request({ method: 'UPDATE', cseq: 2, branch: 'z9hG4bK-up2', toTag: c.toTag(), headers: ['Supported: timer', 'Session-Expires: 90;refresher=uac'] });
    env.clock.advance(100);
    const ok = env.peer.responses(200, 'UPDATE');
    expect(ok).toHaveLength(1);
    expect([ok[0]!.headers.get('Session-Expires'), ok[0]!.headers.get('Require'), ok[0]!.body.length]).toEqual(['90;refresher=uac', 'timer', 0]);
    expect(offers).toEqual([]);
    env.clock.advance(40_000); // 85 s: past the first expiry
    expect(ended).toEqual([]);
    expect(env.peer.requests('BYE')).toHaveLength(0);
  });

  it('offers an UPDATE with SDP up as a re-INVITE offer, and answers in the 200 to the UPDATE', () => {
    const env = withPeer();
    const c = peerCalls(env, ['Supported: timer']);
    c.call()!.on('reinvite', (o) => {
      expect(o.method).toBe('UPDATE');
      expect(o.offerSdp).toContain('m=audio 40100');
      o.accept(minimalSdp(40102, 2));
    });
    env.peer.request({ method: 'UPDATE', cseq: 2, branch: 'z9hG4bK-up3', toTag: c.toTag(), body: minimalSdp(40100, 2) });
    env.clock.advance(100);
    const ok = env.peer.responses(200, 'UPDATE');
    expect(ok[0]?.body.toString()).toContain('m=audio 40102');
    expect(c.call()!.remoteSdp).toContain('m=audio 40100');
    expect(c.call()!.localSdp).toContain('m=audio 40102');
  });

  it('answers an UPDATE in the early dialog without starting the session, and 500 to an offer in it (RFC 3311 §5.2)', () => {
    const env = withPeer();
    let call: IncomingCall | undefined;
    env.ua.on('incomingCall', (c) => {
      call = c;
      c.ringing();
    });
    env.peer.request({ method: 'INVITE', cseq: 1, branch: 'z9hG4bK-early', body: minimalSdp(40000), headers: ['Supported: timer'] });
    env.clock.advance(30);
    const toTag = env.peer.uaTag!;
    env.peer.request({ method: 'UPDATE', cseq: 2, branch: 'z9hG4bK-eu1', toTag });
    env.peer.request({ method: 'UPDATE', cseq: 3, branch: 'z9hG4bK-eu2', toTag, body: minimalSdp(40100, 2) });
    env.clock.advance(30);
    expect(env.peer.responses(200, 'UPDATE')[0]?.headers.get('Session-Expires')).toBeUndefined();
    expect(env.peer.responses(500, 'UPDATE')).toHaveLength(1);
    expect(call?.sessionInterval).toBeUndefined();
    expect(call?.state).toBe('ringing');
  });

  it('answers 481 to an UPDATE outside any dialog', () => {
    const env = withPeer();
    env.ua.on('incomingCall', () => undefined);
    env.peer.request({ method: 'UPDATE', cseq: 1, branch: 'z9hG4bK-u481a', toTag: 'nosuchtag' });
    env.peer.request({ method: 'UPDATE', cseq: 1, branch: 'z9hG4bK-u481b', callId: 'other' });
    env.clock.advance(100);
    expect(env.peer.responses(481, 'UPDATE')).toHaveLength(2);
  });

  it('answers 491 to an UPDATE offer while its own re-INVITE offer is unanswered', () => {
    const env = withPeer();
    const c = peerCalls(env, []);
    void c.call()!.reinvite(minimalSdp(40004, 3)); // the peer never answers it
    env.clock.advance(20);
    env.peer.request({ method: 'UPDATE', cseq: 2, branch: 'z9hG4bK-u491', toTag: c.toTag(), body: minimalSdp(40100, 2) });
    env.clock.advance(20);
    expect(env.peer.responses(491, 'UPDATE')).toHaveLength(1);
  });

  it("answers 500 with Retry-After to an UPDATE offer while the peer's earlier offer is unanswered", () => {
    const env = withPeer();
    const c = peerCalls(env, []);
    c.call()!.on('reinvite', () => undefined); // the layer above is still thinking
    env.peer.request({ method: 'INVITE', cseq: 2, branch: 'z9hG4bK-ri2', toTag: c.toTag(), body: minimalSdp(40100, 2) });
    env.clock.advance(20);
    env.peer.request({ method: 'UPDATE', cseq: 3, branch: 'z9hG4bK-u500', toTag: c.toTag(), body: minimalSdp(40200, 3) });
    env.clock.advance(20);
    const r = env.peer.responses(500, 'UPDATE');
    expect(r).toHaveLength(1);
    expect(Number(r[0]!.headers.get('Retry-After'))).toBeLessThanOrEqual(10);
  });

  it('answers 422 to an UPDATE asking for an interval below its Min-SE', () => {
    const env = withPeer();
    const c = peerCalls(env, ['Supported: timer']);
    env.peer.request({ method: 'UPDATE', cseq: 2, branch: 'z9hG4bK-u422', toTag: c.toTag(), headers: ['Supported: timer', 'Session-Expires: 30'] });
    env.clock.advance(20);
    const r = env.peer.responses(422, 'UPDATE');
    expect(r[0]?.headers.get('Min-SE')).toBe('90');
  });
});

describe('session-timer options', () => {
  it('refuses a Min-SE below the RFC 4028 floor of 90 s unless a test lowers the floor explicitly', () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock, 10);
    expect(() => new SipUserAgent({ clock, transports: [net.transport()], userAgentName: 'x', minSeS: 30 })).toThrow(/minSeS/);
    expect(() => new SipUserAgent({ clock, transports: [net.transport()], userAgentName: 'x', sessionExpiresS: 60 })).toThrow(/sessionExpiresS/);
    const ua = new SipUserAgent({ clock, transports: [net.transport()], userAgentName: 'x', minSeS: 2, sessionExpiresS: 6, sessionTimerFloorS: 1 });
    expect(ua.sessionTimer).toEqual({ sessionExpiresS: 6, minSeS: 2 });
    expect(new SipUserAgent({ clock, transports: [net.transport()], userAgentName: 'x' }).sessionTimer).toEqual({ sessionExpiresS: 1800, minSeS: 90 });
  });
});

export type { SipRequest };
