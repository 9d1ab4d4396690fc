import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { buildAuthorization, computeDigestResponse, parseChallenge, type DigestChallenge } from '../../../server/sip/grammar/digest.js';
import { DigestServer, parseCredentials, type ServerDigestAlgorithm } from '../../../server/sip/admission/digest-server.js';

/** RFC 7616 §3.9.1: the example request and both of its responses. */
const RFC7616 = {
  username: 'Mufasa',
  password: 'Circle of Life',
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  uri: '/dir/index.html',
  method: 'GET',
  responses: {
    MD5: '8ca523f5e9506fed4657c9700eebdbec',
    'SHA-256': '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
  },
} as const;

describe('digest response against the RFC 7616 §3.9.1 example', () => {
  it.each(['MD5', 'SHA-256'] as const)('computes the %s response of the example', (algorithm) => {
    const challenge: DigestChallenge = { scheme: 'Digest', realm: RFC7616.realm, nonce: RFC7616.nonce, algorithm, qop: ['auth'], stale: false, userhash: false, params: new Map() };
    const r = computeDigestResponse(
      { challenge, method: RFC7616.method, uri: RFC7616.uri, username: RFC7616.username, password: RFC7616.password, nc: 1, cnonce: RFC7616.cnonce },
      'auth',
    );
    expect(r).toBe(RFC7616.responses[algorithm]);
  });

  it('parses the example Authorization header field', () => {
    const c = parseCredentials(
      `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=SHA-256, nonce="${RFC7616.nonce}", nc=00000001, cnonce="${RFC7616.cnonce}", qop=auth, response="${RFC7616.responses['SHA-256']}", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
    );
    expect(c).toEqual({
      username: 'Mufasa',
      realm: 'http-auth@example.org',
      nonce: RFC7616.nonce,
      uri: '/dir/index.html',
      response: RFC7616.responses['SHA-256'],
      algorithm: 'SHA-256',
      qop: 'auth',
      nc: '00000001',
      cnonce: RFC7616.cnonce,
      opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
    });
  });

  it.each(['Basic dXNlcjpwYXNz', 'Digest username="a"', 'Digest username="a", username="b", realm="r", nonce="n", uri="u", response="x"', 'Digest ,,, =x'])(
    'refuses the credentials %j',
    (v) => {
      expect(parseCredentials(v)).toBeUndefined();
    },
  );
});

describe('stateless nonces and the server check', () => {
  const URI = 'sip:acip@192.0.2.1';
  const SOURCE = '192.0.2.7';
  function setup(algorithms: ServerDigestAlgorithm[] = ['SHA-256', 'MD5']) {
    const clock = new FakeClock(1_000_000);
    const server = new DigestServer(clock, { realm: 'acip', algorithms, nonceLifetimeMs: 60_000, maxNonces: 100, secret: Buffer.alloc(32, 7) });
    return { clock, server };
  }
  /** What a client sends back to the `i`-th challenge of `values`. */
  function answer(values: string[], i: number, password: string, nc = 1, uri = URI, method = 'INVITE') {
    const challenge = parseChallenge(values[i]!);
    return parseCredentials(buildAuthorization({ challenge, method, uri, username: 'studio', password, nc, cnonce: 'c0ffee' }))!;
  }

  it('challenges once per algorithm, in the configured order, with qop=auth', () => {
    const { server } = setup();
    const values = server.challenges(SOURCE);
    expect(values.map((v) => parseChallenge(v).algorithm)).toEqual(['SHA-256', 'MD5']);
    expect(values.every((v) => parseChallenge(v).qop.join() === 'auth')).toBe(true);
    expect(parseChallenge(server.challenges(SOURCE, true)[0]!).stale).toBe(true);
  });

  it.each([0, 1])('accepts the right password answering challenge %i', (i) => {
    const { server } = setup();
    expect(server.check(answer(server.challenges(SOURCE), i, 'secret-pw'), 'INVITE', SOURCE, 'secret-pw')).toBe('ok');
  });

  it('refuses a wrong password and an unknown user alike', () => {
    const { server } = setup();
    const values = server.challenges(SOURCE);
    expect(server.check(answer(values, 0, 'wrong-pw'), 'INVITE', SOURCE, 'secret-pw')).toBe('bad');
    expect(server.check(answer(values, 0, 'secret-pw'), 'INVITE', SOURCE, undefined)).toBe('bad');
  });

  it('calls a nonce stale once its lifetime is over, but only with the right password', () => {
    const { clock, server } = setup();
    const values = server.challenges(SOURCE);
    clock.advance(60_001);
    expect(server.check(answer(values, 0, 'secret-pw'), 'INVITE', SOURCE, 'secret-pw')).toBe('stale');
    expect(server.check(answer(values, 0, 'wrong-pw'), 'INVITE', SOURCE, 'secret-pw')).toBe('bad');
  });

  it('treats a repeated nonce count as a replay and a growing one as fine', () => {
    const { server } = setup();
    const values = server.challenges(SOURCE);
    expect(server.check(answer(values, 0, 'secret-pw', 1), 'INVITE', SOURCE, 'secret-pw')).toBe('ok');
    expect(server.check(answer(values, 0, 'secret-pw', 1), 'INVITE', SOURCE, 'secret-pw')).toBe('stale');
    expect(server.check(answer(values, 0, 'secret-pw', 2), 'INVITE', SOURCE, 'secret-pw')).toBe('ok');
  });

  it('does not take a nonce issued to another source, a forged one or one of another realm', () => {
    const { server } = setup();
    const values = server.challenges('198.51.100.1');
    expect(server.check(answer(values, 0, 'secret-pw'), 'INVITE', SOURCE, 'secret-pw')).toBe('foreign');
    const forged = { ...answer(server.challenges(SOURCE), 0, 'secret-pw'), nonce: 'abc.def' };
    expect(server.check(forged, 'INVITE', SOURCE, 'secret-pw')).toBe('foreign');
    const otherRealm = { ...answer(server.challenges(SOURCE), 0, 'secret-pw'), realm: 'elsewhere' };
    expect(server.check(otherRealm, 'INVITE', SOURCE, 'secret-pw')).toBe('foreign');
  });

  it('hashes the digest-uri the caller sent, so a proxy may rewrite the Request-URI on the way', () => {
    const { server } = setup();
    expect(server.check(answer(server.challenges(SOURCE), 0, 'secret-pw', 1, 'sip:studio@registrar.example'), 'INVITE', SOURCE, 'secret-pw')).toBe('ok');
  });

  it('refuses credentials for another method, algorithm or without qop', () => {
    const { server } = setup(['SHA-256']);
    const values = server.challenges(SOURCE);
    expect(server.check(answer(values, 0, 'secret-pw', 2, URI, 'BYE'), 'INVITE', SOURCE, 'secret-pw')).toBe('bad');
    const md5 = answer([values[0]!.replace('SHA-256', 'MD5')], 0, 'secret-pw', 3);
    expect(server.check(md5, 'INVITE', SOURCE, 'secret-pw')).toBe('bad');
    const { qop: _q, nc: _n, ...noQop } = answer(values, 0, 'secret-pw', 4);
    expect(server.check(noQop, 'INVITE', SOURCE, 'secret-pw')).toBe('bad');
  });
});
