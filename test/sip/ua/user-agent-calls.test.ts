import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import type { IncomingCall } from '../../../server/sip/ua/incoming-call.js';
import type { SipMessage } from '../../../server/sip/grammar/message.js';
import { MemoryNetwork } from '../../helpers/sip-memory-transport.js';
import { minimalSdp } from '../../helpers/sip-ua-harness.js';

function pair() {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 10);
  const ta = net.transport();
  const tb = net.transport();
  const a = new SipUserAgent({ clock, transports: [ta], userAgentName: 'ua-a', localUser: 'a' });
  const b = new SipUserAgent({ clock, transports: [tb], userAgentName: 'ua-b', localUser: 'b' });
  const target = `sip:b@127.0.0.1:${tb.local.port}`;
  return { clock, net, a, b, ta, tb, target };
}

const isResp = (status: number, method: string) => (m: SipMessage) =>
  m.kind === 'response' && m.status === status && (m.headers.get('CSeq') ?? '').endsWith(method);
const isReq = (method: string) => (m: SipMessage) => m.kind === 'request' && m.method === method;

describe('a call between two user agents', () => {
  it('rings, is answered with SDP both ways, is ACKed end to end, and is hung up with BYE', () => {
    const { clock, a, b, target, net } = pair();
    const seen: string[] = [];
    let incoming: IncomingCall | undefined;
    b.on('incomingCall', (call) => {
      incoming = call;
      call.ringing();
      call.on('confirmed', () => seen.push('b confirmed'));
      call.on('ended', (e) => seen.push(`b ended by ${e.by}`));
      clock.setTimer(1000, () => call.accept(minimalSdp(40002)));
    });
    const call = a.invite(target, { sdp: minimalSdp(40000) });
    call.on('progress', (p) => seen.push(`a progress ${p.status}`));
    call.on('answered', (x) => seen.push(`a answered ${x.sdp?.includes('m=audio 40002') ? 'with sdp' : 'without sdp'}`));
    clock.advance(2000);
    expect(incoming?.offerSdp).toContain('m=audio 40000');
    expect(incoming?.from.uri).toMatch(/^sip:a@127\.0\.0\.1/);
    expect(call.state).toBe('answered');
    expect(incoming?.state).toBe('confirmed');
    void call.bye();
    clock.advance(1000);
    expect(seen).toEqual(['a progress 180', 'a answered with sdp', 'b confirmed', 'b ended by remote']);
    expect(net.find((r) => isReq('ACK')(r.msg))).toHaveLength(1);
    expect(net.find((r) => isResp(200, 'BYE')(r.msg))).toHaveLength(1);
    expect(a.activeCalls + b.activeCalls).toBe(0);
  });

  it('retransmits a lost 200 OK at T1, 2·T1 … until the ACK arrives, and then stops (§13.3.1.4)', () => {
    const { clock, a, b, target, net } = pair();
    let lost = 0;
    net.drop = (m) => isResp(200, 'INVITE')(m) && lost++ < 2; // the first two 200 OKs are lost
    let acceptedAt = 0;
    b.on('incomingCall', (call) => {
      clock.setTimer(100, () => {
        acceptedAt = clock.now();
        call.accept(minimalSdp());
      });
    });
    const call = a.invite(target, { sdp: minimalSdp() });
    clock.advance(10_000);
    const oks = net.find((r) => isResp(200, 'INVITE')(r.msg)).map((r) => r.at - acceptedAt);
    expect(oks).toEqual([0, 500, 1500]);
    expect(net.find((r) => isReq('ACK')(r.msg))).toHaveLength(1);
    expect(call.state).toBe('answered');
  });

  it('gives up after 64·T1 without an ACK and hangs up with BYE', () => {
    const { clock, a, b, target, net } = pair();
    net.drop = (m) => isReq('ACK')(m);
    const ended: string[] = [];
    b.on('incomingCall', (call) => {
      call.accept(minimalSdp());
      call.on('ended', (e) => ended.push(e.by));
    });
    a.invite(target, { sdp: minimalSdp() });
    clock.advance(40_000);
    const first = net.find((r) => isResp(200, 'INVITE')(r.msg))[0]!.at;
    const oks = net.find((r) => isResp(200, 'INVITE')(r.msg)).map((r) => r.at - first);
    expect(oks).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(net.find((r) => isReq('BYE')(r.msg) && r.from.port !== net.log[0]!.from.port)).toHaveLength(1);
    expect(ended).toEqual(['local']);
  });

  it('re-ACKs a 2xx retransmitted after the ACK was lost', () => {
    const { clock, a, b, target, net } = pair();
    let acks = 0;
    net.drop = (m) => isReq('ACK')(m) && acks++ === 0; // first ACK lost
    b.on('incomingCall', (call) => call.accept(minimalSdp()));
    a.invite(target, { sdp: minimalSdp() });
    clock.advance(5000);
    expect(net.find((r) => isResp(200, 'INVITE')(r.msg))).toHaveLength(2);
    const sent = net.find((r) => isReq('ACK')(r.msg));
    expect(sent).toHaveLength(2);
    expect(sent[1]!.msg.headers.get('Via')).toBe(sent[0]!.msg.headers.get('Via'));
  });

  it('cancels a ringing call: 200 for the CANCEL, 487 for the INVITE, and both sides report it', () => {
    const { clock, a, b, target, net } = pair();
    const log: string[] = [];
    b.on('incomingCall', (call) => {
      call.ringing();
      call.on('ended', (e) => log.push(`b ended ${e.by} ${e.status}`));
    });
    const call = a.invite(target, { sdp: minimalSdp() });
    call.on('failed', (f) => log.push(`a failed ${f.status}`));
    clock.advance(100);
    call.cancel();
    clock.advance(1000);
    expect(net.find((r) => isResp(200, 'CANCEL')(r.msg))).toHaveLength(1);
    expect(net.find((r) => isResp(487, 'INVITE')(r.msg))).toHaveLength(1);
    expect(net.find((r) => isReq('ACK')(r.msg))).toHaveLength(1); // the ICT ACKs the 487
    expect(log).toEqual(['b ended remote 487', 'a failed 487']);
  });

  it("leaves the call limit to its listener: every INVITE is offered, and the listener's 486 reaches the caller", () => {
    const { clock, a, b, target } = pair();
    let offered = 0;
    b.on('incomingCall', (call) => {
      offered += 1;
      if (b.activeCalls > 1) call.reject(486, 'Busy Here');
      else call.ringing();
    });
    const first = a.invite(target, { sdp: minimalSdp() });
    const second = a.invite(target, { sdp: minimalSdp() });
    const failed: number[] = [];
    second.on('failed', (f) => failed.push(f.status));
    clock.advance(500);
    expect(offered).toBe(2);
    expect(first.state).toBe('proceeding');
    expect(failed).toEqual([486]);
  });

  it('changes the session with a re-INVITE in either direction (Tech 3326 mid-call codec change)', async () => {
    const { clock, a, b, target } = pair();
    let incoming: IncomingCall | undefined;
    b.on('incomingCall', (call) => {
      incoming = call;
      call.accept(minimalSdp(40002));
      call.on('reinvite', (offer) => offer.accept(minimalSdp(40004, 2)));
    });
    const call = a.invite(target, { sdp: minimalSdp() });
    clock.advance(200);
    call.on('reinvite', (offer) => offer.accept(minimalSdp(40006, 3)));
    const p1 = call.reinvite(minimalSdp(40008, 4));
    clock.advance(200);
    const r1 = await p1;
    expect(r1.status).toBe(200);
    expect(r1.sdp).toContain('m=audio 40004');
    expect(incoming!.remoteSdp).toContain('m=audio 40008');
    const p2 = incoming!.reinvite(minimalSdp(40010, 5));
    clock.advance(200);
    const r2 = await p2;
    expect(r2.status).toBe(200);
    expect(r2.sdp).toContain('m=audio 40006');
  });

  it('resolves re-INVITE glare with 491 and the §14.1 retry delays, after which both changes succeed', async () => {
    const { clock, a, b, target, net } = pair();
    let incoming: IncomingCall | undefined;
    b.on('incomingCall', (call) => {
      incoming = call;
      call.accept(minimalSdp());
      call.on('reinvite', (offer) => offer.accept(minimalSdp(1, 9)));
    });
    const call = a.invite(target, { sdp: minimalSdp() });
    clock.advance(200);
    call.on('reinvite', (offer) => offer.accept(minimalSdp(2, 9)));
    const pa = call.reinvite(minimalSdp(3, 10));
    const pb = incoming!.reinvite(minimalSdp(4, 10));
    // Let both promises progress: the fake clock drives every delay, microtasks run between steps.
    for (let i = 0; i < 100; i++) {
      clock.advance(100);
      await Promise.resolve();
    }
    const [ra, rb] = await Promise.all([pa, pb]);
    expect(net.find((r) => isResp(491, 'INVITE')(r.msg)).length).toBeGreaterThanOrEqual(2);
    expect([ra.status, rb.status]).toEqual([200, 200]);
  });

  it('answers 488 with a Warning to a re-INVITE nobody handles', async () => {
    const { clock, a, b, target, net } = pair();
    b.on('incomingCall', (call) => call.accept(minimalSdp()));
    const call = a.invite(target, { sdp: minimalSdp() });
    clock.advance(200);
    const p = call.reinvite(minimalSdp(5, 5));
    clock.advance(200);
    expect((await p).status).toBe(488);
    const res = net.find((r) => isResp(488, 'INVITE')(r.msg))[0]!.msg;
    expect(res.headers.get('Warning')).toMatch(/^399 /);
    expect(call.state).toBe('answered');
  });
});

describe('rejecting an offer', () => {
  it('answers 488 with a Warning when the upper layer finds no common codec, and the caller sees it as failed', () => {
    const { clock, a, b, target, net } = pair();
    const ended: string[] = [];
    b.on('incomingCall', (call) => {
      call.on('ended', (e) => ended.push(`${e.by} ${e.status}`));
      call.rejectNotAcceptable('No common codec (offered L24 only)');
    });
    const call = a.invite(target, { sdp: minimalSdp() });
    const failed: string[] = [];
    call.on('failed', (f) => failed.push(`${f.status} ${f.reason}`));
    clock.advance(500);
    const res = net.find((r) => isResp(488, 'INVITE')(r.msg))[0]!.msg;
    expect(res.headers.get('Warning')).toBe('305 ua-b "No common codec (offered L24 only)"');
    expect(failed).toEqual(['488 Not Acceptable Here']);
    expect(ended).toEqual(['local 488']);
  });
});

describe('OPTIONS', () => {
  it('measures reachability and round-trip time, and times out with 408 after 64·T1', async () => {
    const { clock, a, target } = pair();
    const p = a.options(target);
    clock.advance(100);
    expect(await p).toEqual({ status: 200, rttMs: 20 });
    const dead = a.options('sip:nobody@127.0.0.1:9');
    clock.advance(40_000);
    expect(await dead).toEqual({ status: 408, rttMs: 32_000 });
  });
});

describe('memory of ended calls', () => {
  it("lets go of an ended call from its INVITE server transaction, which lives on for Timer L (RFC 6026 §7.1)", () => {
    const { clock, a, b, target } = pair();
    let incoming: IncomingCall | undefined;
    b.on('incomingCall', (call) => {
      incoming = call;
      call.accept(minimalSdp());
    });
    const call = a.invite(target, { sdp: minimalSdp() });
    clock.advance(1000);
    expect(incoming?.state).toBe('confirmed');
    // The transaction reaches the call through its user callbacks (private: read for this check only).
    const tx = (incoming as unknown as { tx: { user: Record<string, unknown>; state: string } }).tx;
    expect(Object.keys(tx.user).length).toBeGreaterThan(0);
    void call.bye();
    clock.advance(1000);
    expect(incoming?.state).toBe('ended');
    // Still within Timer L's 32 s: the transaction is alive, but holds nothing of the call.
    expect(tx.state).toBe('accepted');
    expect(Object.keys(tx.user)).toEqual([]);
  });
});
