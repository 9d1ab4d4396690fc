/** The user agent over the TLS transport: OPTIONS both ways, sips: routing, verification failures. */
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../server/util/clock.js';
import { TlsSipTransport } from '../../../server/sip/transport/tls-transport.js';
import { UdpSipTransport } from '../../../server/sip/transport/udp-transport.js';
import { SipResolver } from '../../../server/sip/transport/resolver.js';
import { UaRouter } from '../../../server/sip/ua/ua-routing.js';
import { responseDestination } from '../../../server/sip/transport/response-routing.js';
import { parseMessage } from '../../../server/sip/grammar/parser.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import type { SipTransport } from '../../../server/sip/transport/sip-transport.js';
import type { SipMessage } from '../../../server/sip/grammar/message.js';
import type { IncomingCall } from '../../../server/sip/ua/incoming-call.js';
import type { OutgoingCall } from '../../../server/sip/ua/outgoing-call.js';
import { minimalSdp } from '../../helpers/sip-ua-harness.js';
import { tlsTestEnv, type CertPair } from '../../helpers/certs.js';

const env = tlsTestEnv();
const { hasOpenssl, closers } = env;

async function tlsUa(pair: CertPair) {
  const tlsT = await TlsSipTransport.listen({ clock: systemClock, host: '127.0.0.1', port: 0, credentials: { cert: pair.cert, key: pair.key, ca: env.certs.ca.cert } });
  const udp = await UdpSipTransport.listen({ host: '127.0.0.1', port: 0 });
  const ua = new SipUserAgent({ clock: systemClock, userAgentName: 'acip-test/0', transports: [udp, tlsT] });
  closers.push(() => ua.close());
  return { ua, tls: tlsT, udp };
}

describe.skipIf(!hasOpenssl)('the user agent over TLS', () => {
  it('answers OPTIONS that arrive over TLS, on the same connection, with the TLS Via kept', async () => {
    const a = await tlsUa(env.certs.server);
    const socket = tls.connect({ host: '127.0.0.1', port: a.tls.local.port, ca: env.certs.ca.cert });
    closers.push(() => socket.destroy());
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString()));
    await new Promise<void>((r) => socket.once('secureConnect', r));
    socket.write(
      [
        `OPTIONS sips:acip@127.0.0.1:${a.tls.local.port} SIP/2.0`,
        'Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-tlsua;rport',
        'Max-Forwards: 70',
        'From: <sips:probe@127.0.0.1>;tag=p1',
        `To: <sips:acip@127.0.0.1:${a.tls.local.port}>`,
        'Call-ID: tls-ua-1@127.0.0.1',
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    const end = Date.now() + 3000;
    while (!/\r\n\r\n/.test(data) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(data).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(data).toMatch(/Via: SIP\/2\.0\/TLS 127\.0\.0\.1:5061;branch=z9hG4bK-tlsua;rport=\d+;received=127\.0\.0\.1/);
    expect(a.tls.counters.messagesOut).toBe(1);
  });

  it('answers a malformed request over TLS with 400 and the parser\'s reason, as over TCP', async () => {
    const a = await tlsUa(env.certs.server);
    const socket = tls.connect({ host: '127.0.0.1', port: a.tls.local.port, ca: env.certs.ca.cert });
    closers.push(() => socket.destroy());
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString()));
    await new Promise<void>((r) => socket.once('secureConnect', r));
    socket.write(
      [
        `OPTIONS sips:acip@127.0.0.1:${a.tls.local.port} SIP/2.0`,
        'Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-tlsbad',
        'Max-Forwards: 70',
        'From: <sips:probe@127.0.0.1>;tag=p1',
        `To: <sips:acip@127.0.0.1:${a.tls.local.port}>`,
        'Call-ID: tls-ua-bad@127.0.0.1',
        'CSeq: nonsense OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    const end = Date.now() + 3000;
    while (!/\r\n\r\n/.test(data) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(data).toMatch(/^SIP\/2\.0 400 /);
    expect(data).toContain('Call-ID: tls-ua-bad@127.0.0.1');
  });

  const targets = [
    { name: 'a sips: URI', uri: (port: number) => `sips:acip@127.0.0.1:${port}` },
    { name: 'a sip: URI with transport=tls', uri: (port: number) => `sip:acip@127.0.0.1:${port};transport=tls` },
    { name: 'a sips: URI naming localhost (SNI and DNS-name verification)', uri: (port: number) => `sips:acip@localhost:${port}` },
  ];
  for (const t of targets) {
    it(`sends OPTIONS to ${t.name} over TLS and gets 200 from a peer with a CA-signed certificate`, async () => {
      const a = await tlsUa(env.certs.server);
      const b = await tlsUa(env.certs.client);
      const r = await b.ua.options(t.uri(a.tls.local.port));
      expect(r.status).toBe(200);
      expect(b.tls.counters.messagesOut).toBe(1);
      expect(b.udp.counters.messagesOut).toBe(0);
    });
  }

  it('gives up on a peer whose certificate fails verification (503, nothing sent)', async () => {
    const a = await tlsUa(env.certs.selfSigned);
    const b = await tlsUa(env.certs.client);
    const r = await b.ua.options(`sips:acip@127.0.0.1:${a.tls.local.port}`);
    expect(r.status).toBe(503);
    expect(a.tls.counters.messagesIn).toBe(0);
  });
});

/** Every message `t` sends, as the UA handed it over. */
function recordSent(t: SipTransport): SipMessage[] {
  const sent: SipMessage[] = [];
  const send = t.send.bind(t);
  t.send = (m, dest) => {
    if (!Buffer.isBuffer(m)) sent.push(m);
    return send(m, dest);
  };
  return sent;
}

/** Close every connection of a stream transport, as an idle timeout or a peer restart would. */
async function dropConnections(t: TlsSipTransport): Promise<void> {
  const conns = (t as unknown as { conns: Map<string, { socket: { destroy(): void } }> }).conns;
  for (const c of conns.values()) c.socket.destroy();
  const end = Date.now() + 3000;
  while (t.connectionCount > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

function outcome(call: OutgoingCall): Promise<{ answered: true } | { answered: false; status: number; reason: string }> {
  return new Promise((resolve) => {
    call.on('answered', () => resolve({ answered: true }));
    call.on('failed', (f) => resolve({ answered: false, status: f.status, reason: f.reason }));
  });
}

function answerCalls(ua: SipUserAgent): Promise<IncomingCall> {
  return new Promise((resolve) => {
    ua.on('incomingCall', (c) => {
      c.accept(minimalSdp(40002));
      resolve(c);
    });
  });
}

describe.skipIf(!hasOpenssl)('calls over TLS', () => {
  it('fails a call to a peer whose certificate fails verification with the TLS reason in the 503', async () => {
    const a = await tlsUa(env.certs.selfSigned);
    const b = await tlsUa(env.certs.client);
    const r = await outcome(b.ua.invite(`sips:acip@127.0.0.1:${a.tls.local.port}`, { sdp: minimalSdp() }));
    expect(r).toMatchObject({ answered: false, status: 503 });
    expect(r.answered === false && r.reason).toMatch(/^Service Unavailable \(SIP_TLS_VERIFY_FAILED: TLS certificate of 127\.0\.0\.1:\d+ failed verification: DEPTH_ZERO_SELF_SIGNED_CERT/);
    expect(a.tls.counters.messagesIn).toBe(0);
  });

  it('calls a self-signed peer with tlsVerify false, and hangs up after the connection closed with the same choice', async () => {
    const a = await tlsUa(env.certs.selfSigned);
    const b = await tlsUa(env.certs.client);
    const incoming = answerCalls(a.ua);
    const call = b.ua.invite(`sips:acip@127.0.0.1:${a.tls.local.port}`, { sdp: minimalSdp(), tlsVerify: false });
    expect(await outcome(call)).toEqual({ answered: true });
    const callee = await incoming;
    await dropConnections(b.tls);
    const ended = new Promise((r) => callee.on('ended', r));
    await call.bye();
    expect(await ended).toMatchObject({ by: 'remote' });
    expect(b.tls.counters.connectionsOpened).toBe(2);
  });

  it('sends a sips: Contact for a sips: target and answers a sips: INVITE with a sips: Contact (RFC 5630 §3.1.3)', async () => {
    const a = await tlsUa(env.certs.server);
    const b = await tlsUa(env.certs.client);
    const aSent = recordSent(a.tls);
    void answerCalls(a.ua);
    const call = b.ua.invite(`sips:acip@localhost:${a.tls.local.port}`, { sdp: minimalSdp() });
    expect(await outcome(call)).toEqual({ answered: true });
    expect(call.request.headers.get('Contact')).toBe(`<sips:acip@127.0.0.1:${b.tls.local.port}>`);
    const ok = aSent.find((m) => m.kind === 'response' && m.status === 200);
    expect(ok?.headers.get('Contact')).toBe(`<sips:acip@127.0.0.1:${a.tls.local.port}>`);
    await call.bye();
  });

  it('keeps a sip: Contact with transport=tls for a sip: target over TLS', async () => {
    const a = await tlsUa(env.certs.server);
    const b = await tlsUa(env.certs.client);
    void answerCalls(a.ua);
    const call = b.ua.invite(`sip:acip@127.0.0.1:${a.tls.local.port};transport=tls`, { sdp: minimalSdp() });
    expect(await outcome(call)).toEqual({ answered: true });
    expect(call.request.headers.get('Contact')).toBe(`<sip:acip@127.0.0.1:${b.tls.local.port};transport=tls>`);
    await call.bye();
  });

  it('puts alias in its Via over TLS only (RFC 5923 §6)', async () => {
    const a = await tlsUa(env.certs.server);
    expect(a.ua.via(a.tls)).toMatch(/^SIP\/2\.0\/TLS 127\.0\.0\.1:\d+;branch=z9hG4bK[^;]+;rport;alias$/);
    expect(a.ua.via(a.udp)).not.toContain('alias');
  });
});

describe.skipIf(!hasOpenssl)('transport selection for TLS targets (RFC 3263 §4.1, RFC 5630)', () => {
  const fake = (protocol: 'udp' | 'tcp' | 'tls'): SipTransport =>
    ({ protocol, reliable: protocol !== 'udp', local: { address: '127.0.0.1', port: 5060 } }) as unknown as SipTransport;
  const router = () => new UaRouter([fake('udp'), fake('tcp'), fake('tls')], new SipResolver({ clock: systemClock }));
  const rows: Array<{ uri: string; opts?: { tlsVerify?: boolean }; protocol: string; port: number; serverName?: string; tlsVerify?: boolean }> = [
    { uri: 'sips:a@127.0.0.1', protocol: 'tls', port: 5061 },
    { uri: 'sips:a@localhost', protocol: 'tls', port: 5061, serverName: 'localhost' },
    { uri: 'sip:a@127.0.0.1;transport=tls', protocol: 'tls', port: 5061 },
    { uri: 'sips:a@127.0.0.1:5071;transport=tcp', protocol: 'tls', port: 5071 },
    { uri: 'sips:a@127.0.0.1', opts: { tlsVerify: false }, protocol: 'tls', port: 5061, tlsVerify: false },
    { uri: 'sip:a@127.0.0.1', opts: { tlsVerify: false }, protocol: 'udp', port: 5060 },
  ];
  for (const r of rows) {
    it(`routes ${r.uri}${r.opts ? ` with ${JSON.stringify(r.opts)}` : ''} over ${r.protocol.toUpperCase()} to port ${r.port}`, () => {
      const routes = router().locate(r.uri, undefined, undefined, r.opts);
      expect(Array.isArray(routes)).toBe(true);
      const route = (routes as unknown as Array<{ transport: SipTransport; dest: Record<string, unknown> }>)[0]!;
      expect(route.transport.protocol).toBe(r.protocol);
      expect(route.dest).toEqual({
        address: '127.0.0.1',
        port: r.port,
        ...(r.serverName ? { serverName: r.serverName } : {}),
        ...(r.tlsVerify === false ? { tlsVerify: false } : {}),
      });
    });
  }

  it('refuses sips: with transport=udp and picks TLS as the default transport of sips:', () => {
    expect(() => router().locate('sips:a@127.0.0.1;transport=udp')).toThrow(/transport=udp/);
    expect(router().defaultTransport('sips:a@studio.example.net').protocol).toBe('tls');
  });

  it('sends a response for a TLS Via without a port to 5061 (RFC 3261 §18.2.2, §19.1.2)', () => {
    const res = parseMessage(
      Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS 192.0.2.1;branch=z9hG4bK-x\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nContent-Length: 0\r\n\r\n'),
    );
    expect(res.kind).toBe('response');
    expect(responseDestination(res as Parameters<typeof responseDestination>[0], undefined)).toEqual({ address: '192.0.2.1', port: 5061 });
  });
});
