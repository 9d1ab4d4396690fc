import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import type { IncomingCall } from '../../../server/sip/ua/incoming-call.js';
import { parseChallenge } from '../../../server/sip/grammar/digest.js';
import { Admission, type AdmissionOptions } from '../../../server/sip/admission/admission.js';
import { MemoryNetwork } from '../../helpers/sip-memory-transport.js';
import { minimalSdp } from '../../helpers/sip-ua-harness.js';

/** A caller UA and an acip UA with admission on the in-memory network (every node is 127.0.0.1). */
function pair(over: Partial<AdmissionOptions> = {}) {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 10);
  const ta = net.transport();
  const tb = net.transport();
  const admission = new Admission({
    clock,
    allowSources: [],
    rateExempt: [],
    digest: { realm: 'acip', algorithms: ['SHA-256', 'MD5'], nonceLifetimeMs: 60_000 },
    passwordFor: (u) => (u === 'studio' ? 'secret-pw' : undefined),
    authRequired: () => true,
    ...over,
  });
  const caller = new SipUserAgent({ clock, transports: [ta], userAgentName: 'caller', localUser: 'studio' });
  const acip = new SipUserAgent({ clock, transports: [tb], userAgentName: 'acip', localUser: 'acip', admission });
  const offered: IncomingCall[] = [];
  acip.on('incomingCall', (c) => {
    offered.push(c);
    c.accept(minimalSdp(40002));
  });
  return { clock, net, caller, acip, offered, target: `sip:acip@127.0.0.1:${tb.local.port}` };
}

const statuses = (net: MemoryNetwork) => net.log.filter((r) => r.msg.kind === 'response').map((r) => (r.msg.kind === 'response' ? r.msg.status : 0));

describe('admission in the user-agent core', () => {
  it('challenges an INVITE with one 401 per algorithm and offers the call once the caller authenticates', () => {
    const { clock, net, caller, acip, offered, target } = pair();
    const call = caller.invite(target, { sdp: minimalSdp(40000), auth: { username: 'studio', password: 'secret-pw' } });
    let answered = false;
    call.on('answered', () => (answered = true));
    clock.advance(500);
    const challenge = net.log.find((r) => r.msg.kind === 'response' && r.msg.status === 401)!.msg;
    expect(challenge.headers.getAll('WWW-Authenticate').map((v) => parseChallenge(v).algorithm)).toEqual(['SHA-256', 'MD5']);
    expect(answered).toBe(true);
    expect(offered).toHaveLength(1);
    expect(offered[0]!.authenticatedUser).toBe('studio');
    expect(acip.counters.rejectedByReason.get('auth_required')).toBe(1);
  });

  it('refuses a wrong password with 403 and never offers the call', () => {
    const { clock, net, caller, acip, offered, target } = pair();
    const call = caller.invite(target, { sdp: minimalSdp(40000), auth: { username: 'studio', password: 'wrong-pw!' } });
    let failed = 0;
    call.on('failed', (f) => (failed = f.status));
    clock.advance(500);
    expect(failed).toBe(403);
    expect(statuses(net)).toEqual([401, 403]); // no 100 Trying before admission
    expect(offered).toHaveLength(0);
    expect(acip.counters.rejectedByReason.get('auth_failed')).toBe(1);
  });

  it('drops a request from a source outside allowSources without an answer or a transaction', () => {
    const { clock, net, caller, acip, offered, target } = pair({ allowSources: ['192.0.2.0/24'] });
    caller.invite(target, { sdp: minimalSdp(40000) });
    clock.advance(200);
    expect(statuses(net)).toEqual([]);
    expect(offered).toHaveLength(0);
    expect(acip.transactionCount).toBe(0);
    expect(acip.counters.rejectedByReason.get('source')).toBeGreaterThanOrEqual(1);
  });

  it('answers OPTIONS without a challenge', async () => {
    const { clock, caller, target } = pair();
    const probe = caller.options(target);
    clock.advance(100);
    expect((await probe).status).toBe(200);
  });

  it('counts the core\'s own rejections by reason', () => {
    const { clock, caller, acip, target } = pair({ authRequired: () => false });
    const call = caller.invite(target, { sdp: minimalSdp(40000), headers: [['Require', 'no-such-extension']] });
    call.on('failed', () => undefined);
    clock.advance(200);
    expect(acip.counters.rejectedByReason.get('extension')).toBe(1);
  });
});
