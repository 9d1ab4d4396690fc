/**
 * SRTP keyed by SDES in offer/answer (RFC 4568), as the profile's policy decides: tables of
 * off / optional / mandatory × a peer offering with or without a=crypto × TLS or clear signalling,
 * for our answers, our offers and the answers we apply; and the keys: fresh per call, ours to send
 * and the peer's to receive, kept across a re-offer.
 */
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../server/config/profile-schema.js';
import { answerOffer, applyAnswer, buildOffer, buildReoffer, type Signalling } from '../../server/sdp/offer-answer.js';
import { collectCryptoAttributes, formatCryptoAttribute, offerCrypto, redactCryptoKeys, srtpKeysOf, type SdesCryptoKnown } from '../../server/sdp/sdes.js';
import { attributes, audioOffer, profile } from './helpers.js';

type Policy = 'off' | 'optional' | 'mandatory';

function withPolicy(policy: Policy, extra: Partial<Profile> = {}): Profile {
  return { ...profile('g711-telephone'), srtp: policy, ...extra };
}

const [PEER_80, PEER_32] = offerCrypto(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']) as [SdesCryptoKnown, SdesCryptoKnown];
const peerCryptoLines = [`a=crypto:${formatCryptoAttribute(PEER_80)}`, `a=crypto:${formatCryptoAttribute(PEER_32)}`];

function answer(policy: Policy, signalling: Signalling, proto: string, crypto: boolean, extra: Partial<Profile> = {}) {
  return answerOffer(audioOffer(['a=rtpmap:8 PCMA/8000', ...(crypto ? peerCryptoLines : [])], { proto, fmts: '8' }), {
    profile: withPolicy(policy, extra),
    localAddress: '192.0.2.1',
    rtpPort: 5004,
    signalling,
  });
}

function cryptoOf(sdp: string): SdesCryptoKnown[] {
  const lines = attributes(sdp).filter((a) => a.startsWith('crypto:'));
  return collectCryptoAttributes(lines).crypto.filter((c): c is SdesCryptoKnown => c.kind === 'srtp');
}

function mLine(sdp: string): string {
  return sdp.split('\r\n').find((l) => l.startsWith('m=')) ?? '';
}

describe('Answering an offer under each SRTP policy', () => {
  // [policy, signalling, offered protocol, offered a=crypto, expected: 'srtp' | 'rtp' | SIP status + code]
  const rows: Array<[Policy, Signalling, string, boolean, 'srtp' | 'rtp' | `488 ${string}`]> = [
    ['off', 'tls', 'RTP/AVP', false, 'rtp'],
    ['off', 'tls', 'RTP/AVP', true, 'rtp'],
    ['off', 'tls', 'RTP/SAVP', true, '488 SDP_SRTP_UNSUPPORTED'],
    ['off', 'clear', 'RTP/SAVP', true, '488 SDP_SRTP_UNSUPPORTED'],
    ['optional', 'tls', 'RTP/AVP', false, 'rtp'],
    ['optional', 'tls', 'RTP/AVP', true, 'srtp'],
    ['optional', 'tls', 'RTP/SAVP', true, 'srtp'],
    ['optional', 'tls', 'RTP/SAVP', false, '488 SDP_SRTP_REQUIRED'],
    ['optional', 'clear', 'RTP/AVP', true, 'rtp'],
    ['optional', 'clear', 'RTP/SAVP', true, '488 SDP_SRTP_INSECURE_SIGNALLING'],
    ['mandatory', 'tls', 'RTP/AVP', false, '488 SDP_SRTP_REQUIRED'],
    ['mandatory', 'tls', 'RTP/AVP', true, 'srtp'],
    ['mandatory', 'tls', 'RTP/SAVP', true, 'srtp'],
    ['mandatory', 'tls', 'RTP/SAVPF', true, 'srtp'],
    ['mandatory', 'clear', 'RTP/SAVP', true, '488 SDP_SRTP_INSECURE_SIGNALLING'],
    ['mandatory', 'clear', 'RTP/AVP', false, '488 SDP_SRTP_REQUIRED'],
  ];

  it.each(rows)('policy %s over %s signalling, offer %s with a=crypto %s: %s', (policy, signalling, proto, crypto, expected) => {
    const r = answer(policy, signalling, proto, crypto);
    if (expected.startsWith('488')) {
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(`${r.status} ${r.code}`).toBe(expected);
      expect(r.warning.text.length).toBeGreaterThan(0);
      return;
    }
    if (!r.ok) throw new Error(r.reason);
    // The answer keeps the offer's transport protocol (RFC 3264 §6).
    expect(mLine(r.sdp)).toContain(` ${proto} `);
    const ours = cryptoOf(r.sdp);
    if (expected === 'rtp') {
      expect(ours).toEqual([]);
      expect(r.negotiated.srtp).toBeUndefined();
      expect(r.negotiated.security).toMatchObject({ media: 'rtp' });
      expect(r.negotiated.security?.reason).toMatch(/^media not encrypted: /);
      return;
    }
    // RFC 4568 §7.1.2: the offerer's first usable line, its tag and suite, our own fresh key.
    expect(ours).toHaveLength(1);
    const line = ours[0]!;
    expect([line.tag, line.suite]).toEqual([PEER_80.tag, PEER_80.suite]);
    expect(line.keyParams[0]!.keySalt.equals(PEER_80.keyParams[0]!.keySalt)).toBe(false);
    const n = r.negotiated;
    expect(n.security).toEqual({ media: 'srtp', suite: 'AES_CM_128_HMAC_SHA1_80', reason: '' });
    // We receive with the peer's key and send with ours (RFC 4568 §6.1).
    expect(Buffer.from(n.srtp!.receive.masterKey).equals(srtpKeysOf(PEER_80).masterKey)).toBe(true);
    expect(Buffer.from(n.srtp!.send.masterKey).equals(srtpKeysOf(line).masterKey)).toBe(true);
  });

  it('answers over clear signalling when the profile allows SDES without TLS', () => {
    const r = answer('mandatory', 'clear', 'RTP/SAVP', true, { allowSdesWithoutTls: true });
    if (!r.ok) throw new Error(r.reason);
    expect(r.negotiated.security?.media).toBe('srtp');
  });

  it('takes the first offered line it can use, skipping a suite it does not know and a line with an MKI', () => {
    const offer = audioOffer(
      [
        'a=rtpmap:8 PCMA/8000',
        'a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:32',
        `a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${PEER_80.keyParams[0]!.keySalt.toString('base64')}|2^20|1:4`,
        `a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:${PEER_32.keyParams[0]!.keySalt.toString('base64')}`,
      ],
      { proto: 'RTP/SAVP', fmts: '8' },
    );
    const r = answerOffer(offer, { profile: withPolicy('mandatory'), localAddress: '192.0.2.1', rtpPort: 5004, signalling: 'tls' });
    if (!r.ok) throw new Error(r.reason);
    expect(cryptoOf(r.sdp).map((c) => [c.tag, c.suite])).toEqual([[3, 'AES_CM_128_HMAC_SHA1_32']]);
  });

  it('refuses an RTP/SAVP offer whose every line is unusable, and says why', () => {
    const offer = audioOffer(['a=rtpmap:8 PCMA/8000', 'a=crypto:1 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm'], { proto: 'RTP/SAVP', fmts: '8' });
    const r = answerOffer(offer, { profile: withPolicy('optional'), localAddress: '192.0.2.1', rtpPort: 5004, signalling: 'tls' });
    expect(r).toMatchObject({ ok: false, status: 488, code: 'SDP_SRTP_REQUIRED' });
    if (!r.ok) expect(r.reason).toContain('unknown suite F8_128_HMAC_SHA1_80');
  });
});

describe('Our offer under each SRTP policy', () => {
  const rows: Array<[Policy, Signalling, string, number | 'throws']> = [
    ['off', 'tls', 'RTP/AVP', 0],
    ['off', 'clear', 'RTP/AVP', 0],
    ['optional', 'tls', 'RTP/AVP', 2],
    ['optional', 'clear', 'RTP/AVP', 0],
    ['mandatory', 'tls', 'RTP/SAVP', 2],
    ['mandatory', 'clear', 'RTP/SAVP', 'throws'],
  ];

  it.each(rows)('policy %s over %s signalling offers %s with %s a=crypto lines', (policy, signalling, proto, lines) => {
    const build = () => buildOffer({ profile: withPolicy(policy), localAddress: '192.0.2.1', rtpPort: 5004, signalling });
    if (lines === 'throws') {
      expect(build).toThrow(expect.objectContaining({ code: 'SDP_SRTP_INSECURE_SIGNALLING', field: 'srtp' }));
      return;
    }
    const { sdp } = build();
    expect(mLine(sdp)).toContain(` ${proto} `);
    const c = cryptoOf(sdp);
    expect(c).toHaveLength(lines);
    // Both tag lengths, the 80-bit one first (our preference), tags 1 and 2.
    if (lines > 0) expect(c.map((x) => [x.tag, x.suite])).toEqual([[1, 'AES_CM_128_HMAC_SHA1_80'], [2, 'AES_CM_128_HMAC_SHA1_32']]);
  });

  it('uses a fresh master key for every call', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { sdp } = buildOffer({ profile: withPolicy('mandatory'), localAddress: '192.0.2.1', rtpPort: 5004, signalling: 'tls' });
      for (const c of cryptoOf(sdp)) keys.add(c.keyParams[0]!.keySalt.toString('hex'));
    }
    expect(keys.size).toBe(10);
  });

  it('offers the profile’s own suite list in its order', () => {
    const { sdp } = buildOffer({ profile: withPolicy('mandatory', { srtpSuites: ['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80'] }), localAddress: '192.0.2.1', rtpPort: 5004, signalling: 'tls' });
    expect(cryptoOf(sdp).map((c) => c.suite)).toEqual(['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80']);
  });
});

describe('Applying the answer to our offer', () => {
  function offerAndAnswer(policy: Policy, answerLines: (ours: SdesCryptoKnown[]) => string[], proto?: string) {
    const { offered, sdp } = buildOffer({ profile: withPolicy(policy), localAddress: '192.0.2.1', rtpPort: 5004, signalling: 'tls' });
    const ours = cryptoOf(sdp);
    const answerSdp = audioOffer(['a=rtpmap:8 PCMA/8000', ...answerLines(ours)], { proto: proto ?? mLine(sdp).split(' ')[2], fmts: '8' });
    return { ours, res: applyAnswer(offered, answerSdp) };
  }
  const peerLine = (tag: number, c: SdesCryptoKnown) => `a=crypto:${tag} ${c.suite} inline:${c.keyParams[0]!.keySalt.toString('base64')}`;

  it('keys SRTP from the answer line with one of our tags: we send with ours, receive with theirs', () => {
    const { ours, res } = offerAndAnswer('mandatory', () => [peerLine(2, PEER_32)]);
    if (!res.ok) throw new Error(res.reason);
    expect(res.negotiated.security).toEqual({ media: 'srtp', suite: 'AES_CM_128_HMAC_SHA1_32', reason: '' });
    expect(Buffer.from(res.negotiated.srtp!.send.masterKey).equals(srtpKeysOf(ours[1]!).masterKey)).toBe(true);
    expect(Buffer.from(res.negotiated.srtp!.receive.masterKey).equals(srtpKeysOf(PEER_32).masterKey)).toBe(true);
  });

  const rows: Array<[Policy, string, (ours: SdesCryptoKnown[]) => string[], string | 'rtp']> = [
    ['mandatory', 'no a=crypto', () => [], 'SDP_SRTP_REQUIRED'],
    ['mandatory', 'a tag we did not offer', () => [peerLine(7, PEER_80)], 'SDP_SRTP_REQUIRED'],
    ['mandatory', 'our tag with another suite', () => [peerLine(1, PEER_32)], 'SDP_SRTP_REQUIRED'],
    ['optional', 'no a=crypto (a best-effort answerer that ignored it)', () => [], 'rtp'],
    ['optional', 'a tag we did not offer', () => [peerLine(7, PEER_80)], 'rtp'],
  ];
  it.each(rows)('policy %s, an answer with %s: %s', (policy, _what, lines, expected) => {
    const { res } = offerAndAnswer(policy, lines);
    if (expected === 'rtp') {
      if (!res.ok) throw new Error(res.reason);
      expect(res.negotiated.srtp).toBeUndefined();
      expect(res.negotiated.security?.media).toBe('rtp');
      return;
    }
    expect(res).toMatchObject({ ok: false, code: expected });
  });

  it('refuses an answer that changes the transport protocol', () => {
    const { res } = offerAndAnswer('mandatory', () => [peerLine(1, PEER_80)], 'RTP/AVP');
    expect(res).toMatchObject({ ok: false, code: 'SDP_ANSWER_MISMATCH' });
  });
});

describe('Re-offers and re-answers keep the keys', () => {
  it('a re-offer repeats our a=crypto lines, keys included', () => {
    const first = buildOffer({ profile: withPolicy('mandatory'), localAddress: '192.0.2.1', rtpPort: 5004, signalling: 'tls' });
    const again = buildReoffer(first.offered, first.offered.profile, { direction: 'sendonly' });
    expect(cryptoOf(again.sdp)).toEqual(cryptoOf(first.sdp));
    expect(again.offered.signalling).toBe('tls');
  });

  it('a re-answer to the same suite keeps our key; a new suite gets a new one', () => {
    const offer = (lines: string[]) => audioOffer(['a=rtpmap:8 PCMA/8000', ...lines], { proto: 'RTP/SAVP', fmts: '8' });
    const opts = { profile: withPolicy('mandatory'), localAddress: '192.0.2.1', rtpPort: 5004, signalling: 'tls' as const };
    const first = answerOffer(offer(peerCryptoLines), opts);
    if (!first.ok) throw new Error(first.reason);
    const same = answerOffer(offer(peerCryptoLines), { ...opts, previous: first.local });
    const other = answerOffer(offer([peerCryptoLines[1]!]), { ...opts, previous: first.local });
    if (!same.ok || !other.ok) throw new Error('re-answer refused');
    const key = (sdp: string) => cryptoOf(sdp)[0]!.keyParams[0]!.keySalt.toString('hex');
    expect(key(same.sdp)).toBe(key(first.sdp));
    expect(same.sdp).toBe(first.sdp); // nothing changed: the same o= version too (RFC 3264 §8)
    expect(key(other.sdp)).not.toBe(key(first.sdp));
  });
});

describe('Showing a description', () => {
  it('redacts the key of every a=crypto line and nothing else', () => {
    const { sdp } = buildOffer({ profile: withPolicy('mandatory'), localAddress: '192.0.2.1', rtpPort: 5004, signalling: 'tls' });
    const shown = redactCryptoKeys(sdp);
    expect(shown).toContain('a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:(redacted)');
    for (const c of cryptoOf(sdp)) expect(shown).not.toContain(c.keyParams[0]!.keySalt.toString('base64'));
    expect(shown.replace(/a=crypto:.*\r\n/g, '')).toBe(sdp.replace(/a=crypto:.*\r\n/g, ''));
  });
});
