import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import type { IncomingCall } from '../../../server/sip/ua/incoming-call.js';
import type { IncomingRefer, ReferProgress } from '../../../server/sip/ua/call-transfer.js';
import type { SipRequest } from '../../../server/sip/grammar/message.js';
import { MemoryNetwork } from '../../helpers/sip-memory-transport.js';
import { minimalSdp } from '../../helpers/sip-ua-harness.js';
import { MemoryPeer } from './memory-peer.js';

/** A studio UA calling acip's UA, the call up; acip's UA passes REFERs to `onRefer`. */
function connected(listen = true) {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 10);
  const ta = net.transport();
  const tb = net.transport();
  const studio = new SipUserAgent({ clock, transports: [ta], userAgentName: 'studio', localUser: 'studio' });
  const acip = new SipUserAgent({ clock, transports: [tb], userAgentName: 'acip', localUser: 'acip' });
  let incoming: IncomingCall | undefined;
  acip.on('incomingCall', (c) => {
    incoming = c;
    c.accept(minimalSdp(40002));
  });
  const refers: IncomingRefer[] = [];
  if (listen) acip.on('refer', (_call, r) => refers.push(r));
  const call = studio.invite(`sip:acip@127.0.0.1:${tb.local.port}`, { sdp: minimalSdp(40000) });
  const progress: ReferProgress[] = [];
  call.on('refer-progress', (p) => progress.push(p));
  clock.advance(200);
  return { clock, net, studio, acip, call, incoming: incoming!, refers, progress };
}

const notifies = (net: MemoryNetwork) => net.find((r) => r.msg.kind === 'request' && r.msg.method === 'NOTIFY').map((r) => r.msg as SipRequest);

describe('REFER inside a call (RFC 3515)', () => {
  it('accepts with 202, NOTIFYs 100 at once and then every status the layer above reports, the final one ending the subscription', async () => {
    const { clock, net, call, refers, progress } = connected();
    const answer = call.refer('sip:studio3@192.0.2.3');
    clock.advance(50);
    expect(await answer).toEqual({ status: 202, reason: 'Accepted' });
    expect(refers.map((r) => r.target)).toEqual(['sip:studio3@192.0.2.3']);
    refers[0]!.report(180, 'Ringing');
    refers[0]!.report(200, 'OK');
    refers[0]!.report(486); // after the final one: ignored
    clock.advance(50);
    expect(progress).toEqual([
      { status: 100, reason: 'Trying', final: false },
      { status: 180, reason: 'Ringing', final: false },
      { status: 200, reason: 'OK', final: true },
    ]);
    const n = notifies(net);
    expect(n.map((m) => m.headers.get('Event'))).toEqual(['refer;id=2', 'refer;id=2', 'refer;id=2']);
    expect(n.at(-1)!.headers.get('Subscription-State')).toBe('terminated;reason=noresource');
    expect(n[0]!.headers.get('Content-Type')).toBe('message/sipfrag;version=2.0');
  });

  it('reports 603 in its NOTIFY when nobody follows REFERs', async () => {
    const { clock, call, progress } = connected(false);
    await Promise.all([call.refer('sip:studio3@192.0.2.3'), Promise.resolve(clock.advance(100))]);
    expect(progress.map((p) => p.status)).toEqual([100, 603]);
  });

  const bad: { name: string; headers: string[]; status: number }[] = [
    { name: 'without Refer-To', headers: [], status: 400 },
    { name: 'with two Refer-To', headers: ['Refer-To: <sip:a@192.0.2.1>', 'Refer-To: <sip:b@192.0.2.2>'], status: 400 },
    { name: 'with a tel: Refer-To', headers: ['Refer-To: <tel:+4930123>'], status: 400 },
  ];
  for (const b of bad) {
    it(`answers a REFER ${b.name} with ${b.status}`, () => {
      const clock = new FakeClock();
      const net = new MemoryNetwork(clock, 10);
      const t = net.transport();
      const acip = new SipUserAgent({ clock, transports: [t], userAgentName: 'acip', localUser: 'acip' });
      acip.on('incomingCall', (c) => c.accept(minimalSdp(40002)));
      const peer = new MemoryPeer(net, t.local.port);
      peer.request({ method: 'INVITE', cseq: 1, branch: 'z9hG4bK-i1', body: minimalSdp(40000) });
      clock.advance(50);
      peer.request({ method: 'ACK', cseq: 1, branch: 'z9hG4bK-a1', toTag: peer.uaTag! });
      peer.request({ method: 'REFER', cseq: 2, branch: 'z9hG4bK-r1', toTag: peer.uaTag!, headers: b.headers });
      clock.advance(50);
      expect(peer.responses(b.status, 'REFER')).toHaveLength(1);
    });
  }

  it('answers a NOTIFY of another package in a call with 489 naming refer', () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock, 10);
    const t = net.transport();
    const acip = new SipUserAgent({ clock, transports: [t], userAgentName: 'acip', localUser: 'acip' });
    acip.on('incomingCall', (c) => c.accept(minimalSdp(40002)));
    const peer = new MemoryPeer(net, t.local.port);
    peer.request({ method: 'INVITE', cseq: 1, branch: 'z9hG4bK-i2', body: minimalSdp(40000) });
    clock.advance(50);
    peer.request({ method: 'ACK', cseq: 1, branch: 'z9hG4bK-a2', toTag: peer.uaTag! });
    peer.request({ method: 'NOTIFY', cseq: 2, branch: 'z9hG4bK-n2', toTag: peer.uaTag!, headers: ['Event: dialog', 'Subscription-State: active'] });
    clock.advance(50);
    expect(peer.responses(489, 'NOTIFY')[0]!.headers.get('Allow-Events')).toBe('refer');
  });
});
