import { describe, expect, it } from 'vitest';
import { buildAuthorization, chooseChallenge, computeDigestResponse, parseChallenge } from '../../../server/sip/grammar/digest.js';
import { parseMessage } from '../../../server/sip/grammar/parser.js';
import { SipParseError } from '../../../server/sip/grammar/parse-error.js';
import { capture } from './fixtures.js';

// RFC 7616 §3.9.1: the same request authorized with SHA-256 and with MD5.
const RFC7616 = {
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  username: 'Mufasa',
  password: 'Circle of Life',
  uri: '/dir/index.html',
  method: 'GET',
};

function rfcChallenge(alg: string): string {
  return `Digest realm="${RFC7616.realm}", qop="auth, auth-int", algorithm=${alg}, nonce="${RFC7616.nonce}", opaque="${RFC7616.opaque}"`;
}

describe('digest authentication (RFC 7616, RFC 8760)', () => {
  it('parses a challenge with every field', () => {
    const ch = parseChallenge(rfcChallenge('SHA-256'));
    expect(ch).toMatchObject({
      scheme: 'Digest', realm: RFC7616.realm, nonce: RFC7616.nonce, opaque: RFC7616.opaque,
      algorithm: 'SHA-256', qop: ['auth', 'auth-int'], stale: false, userhash: false,
    });
    expect(parseChallenge('digest realm="r", nonce="n", stale=TRUE, algorithm=md5-SESS')).toMatchObject({ algorithm: 'MD5-sess', stale: true, qop: [] });
    expect(parseChallenge('Digest realm="r",nonce="n"').algorithm).toBe('MD5');
  });

  it('rejects challenges it cannot use, with a typed error', () => {
    const bad: [string, string][] = [
      ['Basic realm="r"', 'SIP_BAD_CHALLENGE'],
      ['Digest nonce="n"', 'SIP_BAD_CHALLENGE'],
      ['Digest realm="r"', 'SIP_BAD_CHALLENGE'],
      ['Digest realm="r", nonce="n", algorithm=SHA-512-256', 'SIP_UNSUPPORTED_DIGEST_ALGORITHM'],
      ['Digest realm="r, nonce="n"', 'SIP_BAD_QUOTED_STRING'],
      ['Digest realm="r", realm="s", nonce="n"', 'SIP_BAD_CHALLENGE'],
      ['Digest realm', 'SIP_BAD_CHALLENGE'],
    ];
    for (const [v, code] of bad) {
      try {
        parseChallenge(v);
        expect.unreachable(v);
      } catch (e) {
        expect((e as SipParseError).code, v).toBe(code);
      }
    }
  });

  it('computes the RFC 7616 §3.9.1 MD5 response', () => {
    const auth = buildAuthorization({ challenge: parseChallenge(rfcChallenge('MD5')), ...RFC7616, nc: 1 });
    expect(auth).toBe(
      `Digest username="Mufasa", realm="${RFC7616.realm}", nonce="${RFC7616.nonce}", uri="/dir/index.html", ` +
        `response="8ca523f5e9506fed4657c9700eebdbec", algorithm=MD5, cnonce="${RFC7616.cnonce}", qop=auth, nc=00000001, opaque="${RFC7616.opaque}"`,
    );
  });

  it('computes the RFC 7616 §3.9.1 SHA-256 response', () => {
    const auth = buildAuthorization({ challenge: parseChallenge(rfcChallenge('SHA-256')), ...RFC7616, nc: 1 });
    expect(auth).toContain('response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"');
    expect(auth).toContain('algorithm=SHA-256');
  });

  it('agrees with the response baresip computed for our 401 challenge', () => {
    const reg = parseMessage(capture('baresip-register-auth.sip'));
    const auth = reg.headers.get('Authorization')!;
    const field = (name: string): string => new RegExp(`${name}="?([^",]+)"?`).exec(auth)![1]!;
    const challenge = parseChallenge('Digest realm="acip.test", nonce="5d1c2ab0e3f94c7a", qop="auth", algorithm=MD5');
    const ours = buildAuthorization({
      challenge, method: 'REGISTER', uri: field('uri'), username: 'alice', password: 'secret', nc: 1, cnonce: field('cnonce'),
    });
    expect(ours).toContain(`response="${field('response')}"`);
  });

  it('writes the RFC 2617 form without qop when the server offers none', () => {
    const ch = parseChallenge('Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    const auth = buildAuthorization({ challenge: ch, method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle Of Life' });
    // RFC 2617 §3.5 gives 6629fae49393a05397450978507c4ef1 for this exchange *with* qop=auth; without
    // qop the response is MD5(HA1:nonce:HA2), computed independently here.
    expect(auth).not.toMatch(/qop=|nc=|cnonce=/);
    expect(auth).toContain('response="670fd8c2df070c60b045671b8b24ff02"');
  });

  it('reproduces the RFC 2617 §3.5 example with qop=auth', () => {
    const ch = parseChallenge('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    const r = computeDigestResponse({ challenge: ch, method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle Of Life', nc: 1, cnonce: '0a4f113b' }, 'auth');
    expect(r).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('uses auth-int with the body hash when only auth-int is offered, and -sess when asked', () => {
    const ch = parseChallenge('Digest realm="r", nonce="n", qop="auth-int", algorithm=SHA-256-sess');
    const a = buildAuthorization({ challenge: ch, method: 'INVITE', uri: 'sip:b@h', username: 'u', password: 'p', nc: 2, cnonce: 'c', body: Buffer.from('v=0\r\n') });
    const b = buildAuthorization({ challenge: ch, method: 'INVITE', uri: 'sip:b@h', username: 'u', password: 'p', nc: 2, cnonce: 'c', body: Buffer.from('v=1\r\n') });
    expect(a).toContain('qop=auth-int, nc=00000002');
    expect(a).not.toBe(b);
  });

  it('picks the first challenge it supports (RFC 8760 §2.4)', () => {
    const picked = chooseChallenge([
      'Digest realm="r", nonce="a", algorithm=SHA-512-256, qop="auth"',
      'Digest realm="r", nonce="b", algorithm=SHA-256, qop="auth"',
      'Digest realm="r", nonce="c", algorithm=MD5, qop="auth"',
    ]);
    expect(picked?.nonce).toBe('b');
    expect(chooseChallenge(['Basic realm="x"'])).toBeUndefined();
  });
});
