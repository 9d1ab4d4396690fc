/**
 * Attended transfer in the user agent (RFC 3891): an INVITE with Replaces is matched to a dialog
 * before the call is offered (§3: 481 / 486 / 400), a REFER whose Refer-To carries Replaces is
 * followed rather than refused (§7.1), and `replaces` is advertised in Supported.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import type { IncomingCall } from '../../../server/sip/ua/incoming-call.js';
import type { IncomingRefer } from '../../../server/sip/ua/call-transfer.js';
import { checkInviteReplaces, checkReferTo, referToWithReplaces, type ReplaceableDialog } from '../../../server/sip/ua/refer.js';
import { parseUri } from '../../../server/sip/grammar/uri.js';
import { MemoryNetwork } from '../../helpers/sip-memory-transport.js';
import { minimalSdp } from '../../helpers/sip-ua-harness.js';
import { MemoryPeer } from './memory-peer.js';

const confirmed: ReplaceableDialog = { callId: 'call-1@192.0.2.1', localTag: 'ours', remoteTag: 'theirs', phase: 'confirmed', locallyInitiated: false };

describe('checking the Replaces of an INVITE (RFC 3891 §3)', () => {
  const rows: { name: string; values: string[]; dialog?: Partial<ReplaceableDialog>; want: { kind: string; status?: number; reason?: RegExp } }[] = [
    { name: 'no Replaces: an ordinary call', values: [], want: { kind: 'none' } },
    { name: 'a confirmed dialog: replace it', values: ['call-1@192.0.2.1;to-tag=ours;from-tag=theirs'], want: { kind: 'replace' } },
    { name: 'an early dialog we initiated: replace it', values: ['call-1@192.0.2.1;to-tag=ours;from-tag=theirs'], dialog: { phase: 'early', locallyInitiated: true }, want: { kind: 'replace' } },
    { name: 'an early dialog we did not initiate: 481', values: ['call-1@192.0.2.1;to-tag=ours;from-tag=theirs'], dialog: { phase: 'early' }, want: { kind: 'refuse', status: 481 } },
    { name: 'early-only against a confirmed dialog: 486', values: ['call-1@192.0.2.1;to-tag=ours;from-tag=theirs;early-only'], want: { kind: 'refuse', status: 486 } },
    { name: 'a dialog already over: 603', values: ['call-1@192.0.2.1;to-tag=ours;from-tag=theirs'], dialog: { phase: 'terminated' }, want: { kind: 'refuse', status: 603 } },
    { name: 'no such dialog: 481', values: ['call-9@192.0.2.1;to-tag=ours;from-tag=theirs'], want: { kind: 'refuse', status: 481 } },
    { name: 'the tags swapped: 481', values: ['call-1@192.0.2.1;to-tag=theirs;from-tag=ours'], want: { kind: 'refuse', status: 481 } },
    { name: 'no from-tag: 400 saying so', values: ['call-1@192.0.2.1;to-tag=ours'], want: { kind: 'refuse', status: 400, reason: /from-tag/ } },
    { name: 'a bad Call-ID: 400 saying so', values: ['call 1;to-tag=ours;from-tag=theirs'], want: { kind: 'refuse', status: 400, reason: /Call-ID/ } },
    { name: 'two Replaces headers: 400', values: ['call-1@192.0.2.1;to-tag=ours;from-tag=theirs', 'call-1@192.0.2.1;to-tag=ours;from-tag=theirs'], want: { kind: 'refuse', status: 400, reason: /more than one/ } },
  ];
  it.each(rows)('$name', ({ values, dialog, want }) => {
    const d = { ...confirmed, ...dialog };
    const got = checkInviteReplaces(values, (ids) => (ids.callId === d.callId && ids.localTag === d.localTag && ids.remoteTag === d.remoteTag ? d : undefined));
    expect(got.kind).toBe(want.kind);
    if (got.kind === 'refuse') {
      expect(got.status).toBe(want.status);
      if (want.reason) expect(got.reason).toMatch(want.reason);
    }
  });
});

describe('the Refer-To of an attended transfer (RFC 3891 §7.1)', () => {
  it("names the target's dialog as the target sees it, escaped, and reads back as the same Replaces", () => {
    const target = referToWithReplaces(parseUri('sip:bob@192.0.2.4:5070'), { callId: 'abc@192.0.2.1', localTag: 'ours', remoteTag: 'bobs' });
    expect(target).toBe('sip:bob@192.0.2.4:5070?Replaces=abc%40192.0.2.1%3Bto-tag%3Dbobs%3Bfrom-tag%3Dours');
    const back = checkReferTo([`<${target}>`]);
    expect(back).toMatchObject({ ok: true, replaces: { callId: 'abc@192.0.2.1', toTag: 'bobs', fromTag: 'ours', earlyOnly: false } });
  });
});

/** acip's UA with a call from peer 1 (answered at once unless `manual`); calls with Replaces are only recorded. */
function withCall(manual = false) {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 10);
  const t = net.transport();
  const acip = new SipUserAgent({ clock, transports: [t], userAgentName: 'acip', localUser: 'acip' });
  const offered: IncomingCall[] = [];
  acip.on('incomingCall', (c) => {
    offered.push(c);
    if (!manual && !c.replaces) c.accept(minimalSdp(40002));
  });
  const p1 = new MemoryPeer(net, t.local.port);
  p1.request({ method: 'INVITE', cseq: 1, branch: 'z9hG4bK-p1i', body: minimalSdp(40000), callId: 'call-p1' });
  clock.advance(50);
  if (manual) offered[0]!.ringing();
  else p1.request({ method: 'ACK', cseq: 1, branch: 'z9hG4bK-p1a', toTag: p1.uaTag!, callId: 'call-p1' });
  clock.advance(50);
  const p2 = new MemoryPeer(net, t.local.port);
  const replacing = (replaces: string[], extra: string[] = []) => {
    p2.request({ method: 'INVITE', cseq: 1, branch: `z9hG4bK-p2-${Math.random().toString(36).slice(2)}`, body: minimalSdp(40004), callId: 'call-p2', headers: [...replaces.map((r) => `Replaces: ${r}`), ...extra] });
    clock.advance(50);
  };
  return { clock, net, acip, offered, p1, p2, replacing, tag: p1.uaTag! };
}

describe('an INVITE with Replaces reaching the user agent', () => {
  it('is offered with the Replaces it carried when it names a confirmed dialog, even when it requires replaces', () => {
    const { offered, p2, replacing, tag } = withCall();
    replacing([`call-p1;to-tag=${tag};from-tag=peertag`], ['Require: replaces']);
    expect(p2.responses(420, 'INVITE')).toHaveLength(0);
    expect(offered).toHaveLength(2);
    expect(offered[1]!.replaces).toMatchObject({ callId: 'call-p1', toTag: tag, fromTag: 'peertag' });
  });

  const refused: [string, (tag: string) => string[], number, boolean][] = [
    ['naming no dialog', () => ['call-none;to-tag=x;from-tag=peertag'], 481, false],
    ['with early-only against a confirmed dialog', (tag) => [`call-p1;to-tag=${tag};from-tag=peertag;early-only`], 486, false],
    ['without a to-tag', () => ['call-p1;from-tag=peertag'], 400, false],
    ['naming an early dialog acip did not initiate', (tag) => [`call-p1;to-tag=${tag};from-tag=peertag`], 481, true],
  ];
  it.each(refused)('is refused %s, and never offered', (_name, header, status, manual) => {
    const { offered, p2, replacing, tag } = withCall(manual);
    replacing(header(tag));
    expect(p2.responses(status, 'INVITE')).toHaveLength(1);
    expect(offered).toHaveLength(1);
  });

  it('answers a Replaces header in a request other than INVITE with 400', () => {
    const { p2, clock } = withCall();
    p2.request({ method: 'OPTIONS', cseq: 1, branch: 'z9hG4bK-o1', headers: ['Replaces: call-p1;to-tag=a;from-tag=b'] });
    clock.advance(50);
    expect(p2.responses(400, 'OPTIONS')).toHaveLength(1);
  });

  it('advertises replaces in Supported of OPTIONS and of the 2xx to an INVITE', () => {
    const { p1, p2, clock } = withCall();
    p2.request({ method: 'OPTIONS', cseq: 1, branch: 'z9hG4bK-o2' });
    clock.advance(50);
    expect(p2.responses(200, 'OPTIONS')[0]!.headers.get('Supported')).toMatch(/\breplaces\b/);
    expect(p1.responses(200, 'INVITE')[0]!.headers.get('Supported')).toMatch(/\breplaces\b/);
  });
});

describe('a REFER whose Refer-To carries Replaces', () => {
  it('is accepted with 202 and handed up with the Replaces for the INVITE to the target', () => {
    const { acip, p1, clock, tag } = withCall();
    const refers: IncomingRefer[] = [];
    acip.on('refer', (_call, r) => refers.push(r));
    p1.request({
      method: 'REFER', cseq: 2, branch: 'z9hG4bK-r1', toTag: tag, callId: 'call-p1',
      headers: ['Refer-To: <sip:bob@192.0.2.4?Replaces=abc%40192.0.2.1%3Bto-tag%3Dbobs%3Bfrom-tag%3Dalices>'],
    });
    clock.advance(50);
    expect(p1.responses(202, 'REFER')).toHaveLength(1);
    expect(refers.map((r) => [r.target, r.replaces])).toEqual([['sip:bob@192.0.2.4', 'abc@192.0.2.1;to-tag=bobs;from-tag=alices']]);
  });
});
