import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import type { IncomingCall } from '../../../server/sip/ua/incoming-call.js';
import type { SipMessage, SipRequest } from '../../../server/sip/grammar/message.js';
import { MemoryNetwork } from '../../helpers/sip-memory-transport.js';
import { minimalSdp } from '../../helpers/sip-ua-harness.js';
import { MemoryPeer } from './memory-peer.js';

/** A caller UA and acip's UA; acip rings every call and answers when told. */
function pair() {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 10);
  const ta = net.transport();
  const tb = net.transport();
  const caller = new SipUserAgent({ clock, transports: [ta], userAgentName: 'caller', localUser: 'studio' });
  const acip = new SipUserAgent({ clock, transports: [tb], userAgentName: 'acip', localUser: 'acip' });
  const offered: IncomingCall[] = [];
  acip.on('incomingCall', (c) => {
    offered.push(c);
    c.ringing();
  });
  return { clock, net, caller, acip, offered, target: `sip:acip@127.0.0.1:${tb.local.port}` };
}

const requests = (net: MemoryNetwork, method: string) =>
  net.find((r) => !r.dropped && r.msg.kind === 'request' && r.msg.method === method).map((r) => r.msg as SipRequest);
const responses = (net: MemoryNetwork, status: number, method: string) =>
  net.find((r) => !r.dropped && r.msg.kind === 'response' && r.msg.status === status && (r.msg.headers.get('CSeq') ?? '').endsWith(` ${method}`)).map((r) => r.msg);
const cseqNo = (m: SipMessage) => Number((m.headers.get('CSeq') ?? '').split(' ')[0]);

describe('reliable provisional responses between two UAs (RFC 3262)', () => {
  it('rings reliably for a caller that supports 100rel, which PRACKs the 180 in the early dialog', () => {
    const { clock, net, caller, offered, target } = pair();
    const call = caller.invite(target, { sdp: minimalSdp(40000) });
    const progress: number[] = [];
    call.on('progress', (p) => progress.push(p.status));
    clock.advance(100);
    expect(requests(net, 'INVITE')[0]!.headers.get('Supported')).toBe('timer, 100rel, replaces');
    const ringing = responses(net, 180, 'INVITE')[0]!;
    expect(ringing.headers.get('Require')).toBe('100rel');
    const rseq = ringing.headers.get('RSeq')!;
    const prack = requests(net, 'PRACK')[0]!;
    expect(prack.headers.get('RAck')).toBe(`${rseq} 1 INVITE`);
    expect(prack.headers.get('To')).toMatch(/;tag=/);
    expect(responses(net, 200, 'PRACK')).toHaveLength(1);
    expect(progress).toEqual([180]);
    // No retransmission of the 180 once PRACKed.
    clock.advance(5000);
    expect(responses(net, 180, 'INVITE')).toHaveLength(1);
    offered[0]!.accept(minimalSdp(40002));
    clock.advance(100);
    expect(call.state).toBe('answered');
    void call.bye();
    clock.advance(100);
    // The dialog of the PRACK carries on: the BYE's CSeq is above the PRACK's.
    expect(cseqNo(requests(net, 'BYE')[0]!)).toBeGreaterThan(cseqNo(prack));
  });

  it('retransmits the 180 until the PRACK comes, and reports the ringing once', () => {
    const { clock, net, caller, target } = pair();
    let lost = 0;
    net.drop = (m) => m.kind === 'request' && m.method === 'PRACK' && lost++ < 1;
    const call = caller.invite(target, { sdp: minimalSdp(40000) });
    const progress: number[] = [];
    call.on('progress', (p) => progress.push(p.status));
    clock.advance(3000);
    expect(responses(net, 180, 'INVITE').length).toBeGreaterThanOrEqual(2);
    expect(responses(net, 200, 'PRACK')).toHaveLength(1);
    expect(progress).toEqual([180]);
  });

  it('rejects the INVITE with 504 when no PRACK comes within 64·T1', () => {
    const { clock, net, caller, target } = pair();
    net.drop = (m) => m.kind === 'request' && m.method === 'PRACK';
    const call = caller.invite(target, { sdp: minimalSdp(40000) });
    let failed = 0;
    call.on('failed', (f) => (failed = f.status));
    clock.advance(40_000);
    expect(failed).toBe(504);
  });
});

describe('PRACKs acip does not expect (RFC 3262 §3, §7.2)', () => {
  function ringingPeer() {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock, 10);
    const t = net.transport();
    const acip = new SipUserAgent({ clock, transports: [t], userAgentName: 'acip', localUser: 'acip' });
    acip.on('incomingCall', (c) => c.ringing());
    const peer = new MemoryPeer(net, t.local.port);
    peer.request({ method: 'INVITE', cseq: 1, branch: 'z9hG4bK-i1', body: minimalSdp(40000), headers: ['Require: 100rel', 'Supported: 100rel'] });
    clock.advance(50);
    return { clock, peer };
  }

  const cases: { name: string; rack?: string; status: number }[] = [
    { name: 'a RAck naming another RSeq gets 481', rack: 'WRONG', status: 481 },
    { name: 'a missing RAck gets 400', status: 400 },
    { name: 'an unparsable RAck gets 400', rack: 'one two', status: 400 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { clock, peer } = ringingPeer();
      const ringing = peer.responses(180, 'INVITE')[0]!;
      const rseq = Number(ringing.headers.get('RSeq'));
      const rack = c.rack === 'WRONG' ? `${rseq + 5} 1 INVITE` : c.rack;
      peer.request({ method: 'PRACK', cseq: 2, branch: 'z9hG4bK-p1', toTag: peer.uaTag!, headers: rack ? [`RAck: ${rack}`] : [] });
      clock.advance(50);
      expect(peer.responses(c.status, 'PRACK')).toHaveLength(1);
    });
  }

  it('answers a PRACK for the right RSeq 200, and the same RAck again 481', () => {
    const { clock, peer } = ringingPeer();
    const rseq = peer.responses(180, 'INVITE')[0]!.headers.get('RSeq');
    peer.request({ method: 'PRACK', cseq: 2, branch: 'z9hG4bK-p2', toTag: peer.uaTag!, headers: [`RAck: ${rseq} 1 INVITE`] });
    clock.advance(50);
    peer.request({ method: 'PRACK', cseq: 3, branch: 'z9hG4bK-p3', toTag: peer.uaTag!, headers: [`RAck: ${rseq} 1 INVITE`] });
    clock.advance(50);
    expect(peer.responses(200, 'PRACK')).toHaveLength(1);
    expect(peer.responses(481, 'PRACK')).toHaveLength(1);
  });

  it('rings unreliably for a caller that knows no 100rel', () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock, 10);
    const t = net.transport();
    const acip = new SipUserAgent({ clock, transports: [t], userAgentName: 'acip', localUser: 'acip' });
    acip.on('incomingCall', (c) => c.ringing());
    const peer = new MemoryPeer(net, t.local.port);
    peer.request({ method: 'INVITE', cseq: 1, branch: 'z9hG4bK-i2', body: minimalSdp(40000) });
    clock.advance(50);
    const ringing = peer.responses(180, 'INVITE')[0]!;
    expect(ringing.headers.has('RSeq')).toBe(false);
    expect(ringing.headers.has('Require')).toBe(false);
  });
});
