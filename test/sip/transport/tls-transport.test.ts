import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { FakeClock, systemClock } from '../../../server/util/clock.js';
import { TlsSipTransport, type TlsCredentials } from '../../../server/sip/transport/tls-transport.js';
import { isSipTransportError } from '../../../server/sip/transport/transport-error.js';
import type { SipMessage } from '../../../server/sip/grammar/message.js';
import { tlsTestEnv, type CertPair } from '../../helpers/certs.js';

const env = tlsTestEnv();
const { hasOpenssl, closers } = env;

const creds = (p: CertPair, withCa = true): TlsCredentials => ({ cert: p.cert, key: p.key, ...(withCa ? { ca: env.certs.ca.cert } : {}) });

async function listen(credentials: TlsCredentials, connectTimeoutMs = 5000) {
  const t = await TlsSipTransport.listen({ clock: systemClock, credentials, stallTimeoutMs: 5000, idleTimeoutMs: 60_000, connectTimeoutMs });
  const got: SipMessage[] = [];
  const malformed: string[] = [];
  t.setHandler({
    onMessage: (m, info) => {
      got.push(m);
      if (m.kind === 'request') void t.send(okFor(m), { ...info.remote, ...(info.connectionId ? { connectionId: info.connectionId } : {}) });
    },
    onMalformedRequest: (_p, reason) => malformed.push(reason),
  });
  closers.push(() => t.close());
  return { t, got, malformed };
}

function okFor(m: SipMessage): Buffer {
  return Buffer.from(
    `SIP/2.0 200 OK\r\nVia: ${m.headers.get('Via')}\r\nCall-ID: ${m.headers.get('Call-ID')}\r\nCSeq: 1 OPTIONS\r\nFrom: a\r\nTo: b\r\nContent-Length: 0\r\n\r\n`,
  );
}

function options(viaPort: number, target: number, id: string, viaParams = ''): Buffer {
  return Buffer.from(
    [
      `OPTIONS sip:acip@127.0.0.1:${target};transport=tls SIP/2.0`,
      `Via: SIP/2.0/TLS 127.0.0.1:${viaPort};branch=z9hG4bK-${id}${viaParams}`,
      'Max-Forwards: 70',
      `From: <sip:probe@127.0.0.1>;tag=t-${id}`,
      `To: <sip:acip@127.0.0.1:${target}>`,
      `Call-ID: tls-${id}@127.0.0.1`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

/** A bare TLS client that trusts the test CA and records what it receives and the server's certificate. */
async function rawClient(port: number) {
  const socket = tls.connect({ host: '127.0.0.1', port, ca: env.certs.ca.cert });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  const peer = {
    socket,
    data: '',
    ended: false,
    cn: socket.getPeerCertificate().subject?.CN,
    write: (b: Buffer | string) => new Promise<void>((r) => socket.write(b, () => r())),
  };
  socket.on('data', (d: Buffer) => (peer.data += d.toString('latin1')));
  socket.on('close', () => (peer.ended = true));
  socket.on('error', () => {});
  closers.push(() => socket.destroy());
  return peer;
}

const until = async (pred: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return pred();
};

describe.skipIf(!hasOpenssl)('SIP over TLS', () => {
  it('carries a request one way and its response back on the same verified connection, with SNI-free address verification', async () => {
    const server = await listen(creds(env.certs.server));
    const client = await listen(creds(env.certs.client));
    await client.t.send(options(client.t.local.port, server.t.local.port, 'a'), server.t.local);
    expect(await until(() => client.got.length === 1)).toBe(true);
    expect(server.got[0]!.kind).toBe('request');
    expect(client.got[0]!.kind).toBe('response');
    expect(server.t.connectionCount).toBe(1);
    expect(client.t.connectionCount).toBe(1);
    expect(server.t.protocol).toBe('tls');
    expect(server.t.reliable).toBe(true);
  });

  it('keeps one outbound connection per remote target when sends race', async () => {
    const server = await listen(creds(env.certs.server));
    const client = await listen(creds(env.certs.client));
    await Promise.all(['a', 'b', 'c'].map((id) => client.t.send(options(client.t.local.port, server.t.local.port, id), server.t.local)));
    expect(await until(() => server.got.length === 3)).toBe(true);
    expect(client.t.connectionCount).toBe(1);
    expect(client.t.counters.connectionsOpened).toBe(1);
  });

  it('frames a message split across many TLS records and two messages in one record', async () => {
    const server = await listen(creds(env.certs.server));
    const peer = await rawClient(server.t.local.port);
    const msg = options(5061, server.t.local.port, 'split');
    for (let i = 0; i < msg.length; i += 7) await peer.write(msg.subarray(i, i + 7));
    await peer.write(Buffer.concat([options(5061, server.t.local.port, 'x'), options(5061, server.t.local.port, 'y')]));
    expect(await until(() => server.got.length === 3)).toBe(true);
    expect(server.got.map((m) => m.headers.get('Call-ID'))).toEqual(['tls-split@127.0.0.1', 'tls-x@127.0.0.1', 'tls-y@127.0.0.1']);
    expect(await until(() => (peer.data.match(/SIP\/2\.0 200 OK/g) ?? []).length === 3)).toBe(true);
  });

  it('answers an oversized message as malformed and closes the connection, as over TCP', async () => {
    const server = await listen(creds(env.certs.server));
    const peer = await rawClient(server.t.local.port);
    const head = options(5061, server.t.local.port, 'big').toString('latin1').replace('Content-Length: 0', `X-Pad: ${'a'.repeat(1000)}\r\nContent-Length: 65000`);
    await peer.write(head);
    expect(await until(() => peer.ended)).toBe(true);
    expect(server.malformed).toEqual([expect.stringMatching(/too large/i)]);
    expect(server.t.counters.malformed).toBe(1);
    expect(server.t.connectionCount).toBe(0);
  });

  it('closes a connection that sends garbage and keeps serving others', async () => {
    const server = await listen(creds(env.certs.server));
    const bad = await rawClient(server.t.local.port);
    await bad.write('\x00\x01garbage without end\r\n\r\n');
    expect(await until(() => bad.ended)).toBe(true);
    const good = await rawClient(server.t.local.port);
    await good.write(options(5061, server.t.local.port, 'ok'));
    expect(await until(() => good.data.includes('200 OK'))).toBe(true);
  });

  const failures = [
    { name: 'a self-signed certificate', server: () => env.certs.selfSigned, serverName: undefined, reason: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
    { name: 'a certificate for another name', server: () => env.certs.server, serverName: 'sip.example.net', reason: 'ERR_TLS_CERT_ALTNAME_INVALID' },
  ];
  for (const f of failures) {
    it(`refuses ${f.name} with SIP_TLS_VERIFY_FAILED naming the OpenSSL reason, and accepts it with tlsVerify: false`, async () => {
      const server = await listen(creds(f.server(), false));
      const client = await listen(creds(env.certs.client));
      const dest = { ...server.t.local, ...(f.serverName ? { serverName: f.serverName } : {}) };
      const err = await client.t.send(options(client.t.local.port, server.t.local.port, 'v'), dest).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isSipTransportError(err)).toBe(true);
      expect(err).toMatchObject({ code: 'SIP_TLS_VERIFY_FAILED', reason: f.reason });
      expect((err as Error).message).toContain(f.reason);
      expect(client.t.connectionCount).toBe(0);
      expect(server.got).toHaveLength(0);
      await client.t.send(options(client.t.local.port, server.t.local.port, 'nv'), { ...dest, tlsVerify: false });
      expect(await until(() => client.got.length === 1)).toBe(true);
      // The unverified connection never carries a request that asks for verification.
      const again = await client.t.send(options(client.t.local.port, server.t.local.port, 'v2'), dest).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(again).toMatchObject({ code: 'SIP_TLS_VERIFY_FAILED' });
    });
  }

  it('reloads certificate and key without dropping an open connection; new connections get the new certificate', async () => {
    const server = await listen(creds(env.certs.server));
    const before = await rawClient(server.t.local.port);
    expect(before.cn).toBe('localhost');
    const next = env.certs.issueServer('server2', 'reloaded');
    server.t.reloadCredentials(creds(next));
    await before.write(options(5061, server.t.local.port, 'after-reload'));
    expect(await until(() => before.data.includes('200 OK'))).toBe(true);
    expect(before.ended).toBe(false);
    const after = await rawClient(server.t.local.port);
    expect(after.cn).toBe('reloaded');
  });

  it('refuses to reload a key that does not match the certificate and keeps the old pair', async () => {
    const server = await listen(creds(env.certs.server));
    expect(() => server.t.reloadCredentials({ cert: env.certs.server.cert, key: env.certs.client.key })).toThrow();
    const peer = await rawClient(server.t.local.port);
    expect(peer.cn).toBe('localhost');
  });

  it('sends requests for a peer\'s Via alias over the connection that peer opened (RFC 5923)', async () => {
    const server = await listen(creds(env.certs.server));
    const peer = await rawClient(server.t.local.port);
    // The peer claims 127.0.0.1:15061, where nothing listens: only the alias can reach it.
    await peer.write(options(15061, server.t.local.port, 'alias', ';alias'));
    expect(await until(() => server.got.length === 1)).toBe(true);
    await server.t.send(options(server.t.local.port, 15061, 'back'), { address: '127.0.0.1', port: 15061 });
    expect(await until(() => peer.data.includes('OPTIONS sip:acip@127.0.0.1:15061'))).toBe(true);
    expect(server.t.connectionCount).toBe(1);
  });

  it('does not take an alias for an address other than the connection\'s own', async () => {
    const server = await listen(creds(env.certs.server), 300);
    const peer = await rawClient(server.t.local.port);
    await peer.write(Buffer.from(options(15062, server.t.local.port, 'spoof', ';alias').toString('latin1').replace('Via: SIP/2.0/TLS 127.0.0.1', 'Via: SIP/2.0/TLS 192.0.2.7')));
    expect(await until(() => server.got.length === 1)).toBe(true);
    const err = await server.t.send(options(server.t.local.port, 15062, 'x'), { address: '192.0.2.7', port: 15062 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Not the peer's connection: a new one was dialled, and with nobody there it failed.
    expect(err).toBeInstanceOf(Error);
    expect(peer.data).not.toContain('OPTIONS sip:acip@127.0.0.1:15062');
  });

  it('closes idle connections on the injected clock', async () => {
    const clock = new FakeClock();
    const t = await TlsSipTransport.listen({ clock, credentials: creds(env.certs.server), idleTimeoutMs: 1000 });
    closers.push(() => t.close());
    const peer = await rawClient(t.local.port);
    expect(await until(() => t.connectionCount === 1)).toBe(true);
    clock.advance(1001);
    expect(await until(() => peer.ended)).toBe(true);
  });
});
