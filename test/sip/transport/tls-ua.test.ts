/** The user agent over the TLS transport: OPTIONS both ways, sips: routing, verification failures. */
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../server/util/clock.js';
import { TlsSipTransport } from '../../../server/sip/transport/tls-transport.js';
import { UdpSipTransport } from '../../../server/sip/transport/udp-transport.js';
import { SipResolver } from '../../../server/sip/transport/resolver.js';
import { UaRouter } from '../../../server/sip/ua/ua-routing.js';
import { responseDestination } from '../../../server/sip/transport/response-routing.js';
import { parseMessage } from '../../../server/sip/grammar/parser.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import type { SipTransport } from '../../../server/sip/transport/sip-transport.js';
import { makeTestCerts, type CertPair, type TestCerts } from '../../helpers/certs.js';
import { requireProgram } from '../../helpers/require-program.js';

const hasOpenssl = requireProgram('openssl');
let certs: TestCerts;
beforeAll(() => {
  if (hasOpenssl) certs = makeTestCerts();
});
afterAll(() => certs?.remove());
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function tlsUa(pair: CertPair) {
  const tlsT = await TlsSipTransport.listen({ clock: systemClock, host: '127.0.0.1', port: 0, credentials: { cert: pair.cert, key: pair.key, ca: certs.ca.cert } });
  const udp = await UdpSipTransport.listen({ host: '127.0.0.1', port: 0 });
  const ua = new SipUserAgent({ clock: systemClock, userAgentName: 'acip-test/0', transports: [udp, tlsT] });
  closers.push(() => ua.close());
  return { ua, tls: tlsT, udp };
}

describe.skipIf(!hasOpenssl)('the user agent over TLS', () => {
  it('answers OPTIONS that arrive over TLS, on the same connection, with the TLS Via kept', async () => {
    const a = await tlsUa(certs.server);
    const socket = tls.connect({ host: '127.0.0.1', port: a.tls.local.port, ca: certs.ca.cert });
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
    const a = await tlsUa(certs.server);
    const socket = tls.connect({ host: '127.0.0.1', port: a.tls.local.port, ca: certs.ca.cert });
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
      const a = await tlsUa(certs.server);
      const b = await tlsUa(certs.client);
      const r = await b.ua.options(t.uri(a.tls.local.port));
      expect(r.status).toBe(200);
      expect(b.tls.counters.messagesOut).toBe(1);
      expect(b.udp.counters.messagesOut).toBe(0);
    });
  }

  it('gives up on a peer whose certificate fails verification (503, nothing sent)', async () => {
    const a = await tlsUa(certs.selfSigned);
    const b = await tlsUa(certs.client);
    const r = await b.ua.options(`sips:acip@127.0.0.1:${a.tls.local.port}`);
    expect(r.status).toBe(503);
    expect(a.tls.counters.messagesIn).toBe(0);
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
