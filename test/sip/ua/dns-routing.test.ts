import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import type { IncomingCall } from '../../../server/sip/ua/incoming-call.js';
import type { SipMessage, SipRequest } from '../../../server/sip/grammar/message.js';
import { createResponse } from '../../../server/sip/grammar/response.js';
import { MemoryNetwork } from '../../helpers/sip-memory-transport.js';
import { minimalSdp, startUa, type UaHarness } from '../../helpers/sip-ua-harness.js';
import { FakeDns } from '../fake-dns.js';

/** Let promise chains (the fake DNS answers) run to completion; no wall-clock wait. */
const flush = () => new Promise<void>((r) => setImmediate(r));

const isReq = (method: string) => (m: SipMessage) => m.kind === 'request' && m.method === method;
const branchOf = (m: SipMessage) => /branch=([^;,\s]+)/.exec(m.headers.get('Via') ?? '')?.[1];

function world() {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 10);
  const dns = new FakeDns();
  const ta = net.transport();
  const tb = net.transport();
  const a = new SipUserAgent({ clock, transports: [ta], userAgentName: 'ua-a', localUser: 'a', dns });
  const b = new SipUserAgent({ clock, transports: [tb], userAgentName: 'ua-b', localUser: 'b' });
  return { clock, net, dns, ta, tb, a, b };
}

describe('calling a host name (RFC 3263)', () => {
  it('finds the callee by SRV, keeps the name in the Request-URI, and serves the next call from the cache', async () => {
    const { clock, net, dns, tb, a, b } = world();
    dns.srv.set('_sip._udp.studio.example.net', [{ name: 'edge.studio.example.net', port: tb.local.port, priority: 10, weight: 0 }]);
    dns.a.set('edge.studio.example.net', [{ address: '127.0.0.1', ttl: 300 }]);
    b.on('incomingCall', (c) => c.accept(minimalSdp(40002)));
    const call = a.invite('sip:codec@studio.example.net', { sdp: minimalSdp() });
    expect(call.state).toBe('resolving');
    expect(net.log).toHaveLength(0);
    await flush();
    clock.advance(500);
    expect(call.state).toBe('answered');
    const invite = net.find((r) => isReq('INVITE')(r.msg))[0]!;
    expect([invite.msg.kind === 'request' && invite.msg.uri, invite.to.port]).toEqual(['sip:codec@studio.example.net', tb.local.port]);
    const queries = dns.log.length;
    const again = a.invite('sip:codec@studio.example.net', { sdp: minimalSdp() });
    expect(again.state).toBe('calling'); // sent synchronously: the answer is cached
    expect(dns.log.length).toBe(queries);
  });

  it('moves on to the next SRV target after a timeout and after a 503, with a new branch each time (§4.3)', async () => {
    const { clock, net, dns, ta, tb, a, b } = world();
    const busy = net.transport();
    busy.setHandler({
      onMessage: (msg, info) => {
        if (msg.kind === 'request' && msg.method === 'INVITE') void busy.send(createResponse(msg, 503, 'Service Unavailable', { toTag: 'busy' }), info.remote);
      },
    });
    dns.srv.set('_sip._udp.pool.example.net', [
      { name: 'dead.pool.example.net', port: 9, priority: 10, weight: 0 },
      { name: 'busy.pool.example.net', port: busy.local.port, priority: 20, weight: 0 },
      { name: 'good.pool.example.net', port: tb.local.port, priority: 30, weight: 0 },
    ]);
    for (const h of ['dead', 'busy', 'good']) dns.a.set(`${h}.pool.example.net`, [{ address: '127.0.0.1', ttl: 300 }]);
    b.on('incomingCall', (c) => c.accept(minimalSdp(40002)));
    const call = a.invite('sip:codec@pool.example.net', { sdp: minimalSdp() });
    const seen: string[] = [];
    call.on('answered', () => seen.push(`answered at ${clock.now()}`));
    await flush();
    clock.advance(33_000);
    const invites = net.find((r) => isReq('INVITE')(r.msg) && r.from.port === ta.local.port);
    const firstPerPort = [9, busy.local.port, tb.local.port].map((p) => invites.find((r) => r.to.port === p)!);
    // Timer B (64·T1 = 32 s) on the dead target, then the 503 target, then the good one 2×10 ms later.
    expect(firstPerPort.map((r) => r.at)).toEqual([0, 32_000, 32_020]);
    expect(new Set(firstPerPort.map((r) => branchOf(r.msg))).size).toBe(3);
    expect(new Set(firstPerPort.map((r) => r.msg.headers.get('Call-ID'))).size).toBe(1);
    expect(new Set(firstPerPort.map((r) => r.msg.headers.get('CSeq'))).size).toBe(1);
    expect(seen).toEqual(['answered at 32040']);
  });

  it('fails with 404 naming the host when the name does not exist, and with 503 when DNS does not answer', async () => {
    const { clock, dns, a } = world();
    const failures: string[] = [];
    a.invite('sip:codec@nowhere.example.net', { sdp: minimalSdp() }).on('failed', (f) => failures.push(`${f.status} ${f.reason}`));
    dns.hang.add('SRV _sip._udp.mute.example.net');
    dns.a.set('mute.example.net', 'ESERVFAIL');
    a.invite('sip:codec@mute.example.net', { sdp: minimalSdp() }).on('failed', (f) => failures.push(`${f.status} ${f.reason}`));
    await flush();
    clock.advance(5000); // the resolver's deadline for the silent SRV query
    await flush();
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatch(/^404 Not Found \(.*nowhere\.example\.net/);
    expect(failures[1]).toMatch(/^503 Service Unavailable \(DNS lookup for mute\.example\.net failed/);
    expect(a.activeCalls).toBe(0);
  });

  it('refuses at once what no lookup can route: sips: without TLS (§26.2.2), an unknown transport, tel:', () => {
    const { a, dns } = world();
    expect(() => a.invite('sips:codec@studio.example.net', { sdp: minimalSdp() })).toThrow(/sips: URIs need TLS/);
    expect(() => a.invite('sip:codec@studio.example.net;transport=sctp', { sdp: minimalSdp() })).toThrow(/no sctp transport/);
    expect(() => a.invite('tel:+4930123456', { sdp: minimalSdp() })).toThrow(/tel: URI/);
    expect(dns.log).toEqual([]);
  });

  it('cancels a call that is still resolving without sending anything', async () => {
    const { clock, net, dns, tb, a } = world();
    dns.a.set('late.example.net', [{ address: '127.0.0.1', ttl: 60 }]);
    const call = a.invite(`sip:codec@late.example.net:${tb.local.port}`, { sdp: minimalSdp() });
    const failed: number[] = [];
    call.on('failed', (f) => failed.push(f.status));
    call.cancel();
    await flush();
    clock.advance(100);
    expect(failed).toEqual([487]);
    expect(net.log).toHaveLength(0);
  });

  it('probes and registers by host name, and rejects a probe of a name that does not exist', async () => {
    const { clock, net, dns, tb, a } = world();
    const registrar = net.transport();
    registrar.setHandler({
      onMessage: (msg, info) => {
        if (msg.kind !== 'request' || msg.method !== 'REGISTER') return;
        const req = msg as SipRequest;
        void registrar.send(createResponse(req, 200, 'OK', { toTag: 'r', headers: [['Contact', `${req.headers.get('Contact') ?? ''};expires=600`]] }), info.remote);
      },
    });
    dns.srv.set('_sip._udp.studio.example.net', [{ name: 'edge.studio.example.net', port: tb.local.port, priority: 0, weight: 0 }]);
    dns.srv.set('_sip._udp.example.net', [{ name: 'reg.example.net', port: registrar.local.port, priority: 0, weight: 0 }]);
    dns.a.set('edge.studio.example.net', [{ address: '127.0.0.1', ttl: 300 }]);
    dns.a.set('reg.example.net', [{ address: '127.0.0.1', ttl: 300 }]);
    const probe = a.options('sip:studio.example.net');
    const reg = a.register({ registrar: 'sip:example.net', aor: 'sip:a@example.net', expires: 600 });
    const events: string[] = [];
    reg.on('registered', (r) => events.push(`registered ${r.expires}`));
    await flush();
    clock.advance(100);
    expect(await probe).toEqual({ status: 200, rttMs: 20 });
    expect(events).toEqual(['registered 600']);
    expect(reg.target).toBe(`udp:127.0.0.1:${registrar.local.port}`);
    await expect(a.options('sip:nowhere.example.net')).rejects.toMatchObject({ code: 'SIP_DNS_NOT_FOUND' });
  });

  it('routes the ACK and BYE to a remote target that is a host name (§12.2.1.1 through RFC 3263)', async () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock, 10);
    const dns = new FakeDns();
    const ta = net.transport();
    const tb = net.transport();
    const a = new SipUserAgent({ clock, transports: [ta], userAgentName: 'ua-a', localUser: 'a', dns });
    // b advertises a name in its Contact: a must look it up to send the ACK.
    const b = new SipUserAgent({ clock, transports: [tb], userAgentName: 'ua-b', localUser: 'b', advertisedHost: 'b-host.example.net' });
    dns.a.set('b-host.example.net', [{ address: '127.0.0.1', ttl: 300 }]);
    let incoming: IncomingCall | undefined;
    const seen: string[] = [];
    b.on('incomingCall', (c) => {
      incoming = c;
      c.on('confirmed', () => seen.push('b confirmed'));
      c.on('ended', (e) => seen.push(`b ended by ${e.by}`));
      c.accept(minimalSdp(40002));
    });
    const call = a.invite(`sip:b@127.0.0.1:${tb.local.port}`, { sdp: minimalSdp() });
    clock.advance(100);
    expect(call.state).toBe('answered');
    await flush(); // the A lookup for the Contact's host
    clock.advance(100);
    expect(incoming?.state).toBe('confirmed');
    void call.bye(); // from the cache: sent at once
    clock.advance(100);
    expect(seen).toEqual(['b confirmed', 'b ended by remote']);
    expect(dns.log).toEqual(['A b-host.example.net']);
    expect(net.find((r) => isReq('ACK')(r.msg))).toHaveLength(1);
  });
});

describe('calling a host name over real loopback sockets', () => {
  let ha: UaHarness | undefined;
  let hb: UaHarness | undefined;
  afterEach(async () => {
    await ha?.close();
    await hb?.close();
    ha = hb = undefined;
  });

  it('switches the INVITE to TCP (Via and Contact) when SRV offers only _sip._tcp', async () => {
    const dns = new FakeDns();
    ha = await startUa({ dns, localUser: 'a' });
    hb = await startUa({ localUser: 'b' });
    dns.srv.set('_sip._tcp.studio.test', [{ name: 'tcp.studio.test', port: hb.tcp.local.port, priority: 0, weight: 0 }]);
    dns.a.set('tcp.studio.test', [{ address: '127.0.0.1', ttl: 60 }]);
    const got = new Promise<IncomingCall>((resolve) => hb!.ua.on('incomingCall', (c) => resolve(c)));
    const call = ha.ua.invite('sip:b@studio.test', { sdp: minimalSdp() });
    const answered = new Promise<string>((resolve) => {
      call.on('answered', () => resolve('answered'));
      call.on('failed', (f) => resolve(`failed ${f.status} ${f.reason}`));
    });
    const incoming = await Promise.race([got, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000))]);
    expect(incoming).toBeDefined();
    expect(incoming!.request.headers.get('Via')).toMatch(/^SIP\/2\.0\/TCP /);
    expect(incoming!.request.headers.get('Contact')).toMatch(/;transport=tcp>$/);
    incoming!.accept(minimalSdp(40002));
    expect(await Promise.race([answered, new Promise<string>((r) => setTimeout(() => r('timeout'), 5000))])).toBe('answered');
    expect(dns.log).toContain('SRV _sip._udp.studio.test');
    await call.bye();
  });
});
