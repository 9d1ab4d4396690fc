/**
 * SDES a=crypto lines (RFC 4568): parsing and formatting, table-driven, with the lines baresip and
 * ffmpeg write, and the answerer's choice (RFC 4568 §7.1.2).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseSdp } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { SrtpContext } from '../../server/rtp/srtp/srtp-context.js';
import {
  answerCrypto,
  collectCryptoAttributes,
  cryptoFromSdpTransform,
  formatCryptoAttribute,
  offerCrypto,
  parseCryptoAttribute,
  SdesError,
  selectOfferedCrypto,
  srtpKeysOf,
  unusableReason,
  type SdesCrypto,
  type SdesErrorReason,
} from '../../server/sdp/sdes.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

function cryptoLinesOf(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.startsWith('a=crypto:'));
}

const BARESIP_LINE = cryptoLinesOf(readFileSync(join(FIXTURES, 'sdp', 'baresip-offer-srtp.sdp'), 'utf8'))[0] ?? '';
const FFMPEG_80_LINE = cryptoLinesOf((JSON.parse(readFileSync(join(FIXTURES, 'srtp', 'ffmpeg-5.1-aes-cm-128-hmac-sha1-80-pcma.json'), 'utf8')) as { sdp: string }).sdp)[0] ?? '';
const FFMPEG_32_LINE = cryptoLinesOf((JSON.parse(readFileSync(join(FIXTURES, 'srtp', 'ffmpeg-5.1-aes-cm-128-hmac-sha1-32-opus.json'), 'utf8')) as { sdp: string }).sdp)[0] ?? '';

/** 30 octets 0x00..0x1d: a valid AES-CM key||salt. */
const KEY30 = Buffer.from(Array.from({ length: 30 }, (_, i) => i)).toString('base64');
/** 28 octets: a valid GCM key||salt (base64 ends in '='). */
const KEY28 = Buffer.from(Array.from({ length: 28 }, (_, i) => 100 + i)).toString('base64');

interface GoodRow {
  why: string;
  line: string;
  tag: number;
  suite: string;
  kind: 'srtp' | 'unknown';
  keys?: number;
  lifetime?: number;
  mki?: { value: number; length: number };
  usable: boolean;
}

const GOOD: GoodRow[] = [
  { why: 'baresip 1.0 (captured)', line: BARESIP_LINE, tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', kind: 'srtp', keys: 1, usable: true },
  { why: 'ffmpeg 5.1, 80-bit tag (captured)', line: FFMPEG_80_LINE, tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', kind: 'srtp', keys: 1, usable: true },
  { why: 'ffmpeg 5.1, 32-bit tag (captured)', line: FFMPEG_32_LINE, tag: 1, suite: 'AES_CM_128_HMAC_SHA1_32', kind: 'srtp', keys: 1, usable: true },
  { why: 'AEAD_AES_128_GCM with a padded 28-octet key||salt', line: `a=crypto:3 AEAD_AES_128_GCM inline:${KEY28}`, tag: 3, suite: 'AEAD_AES_128_GCM', kind: 'srtp', keys: 1, usable: true },
  { why: 'GCM key||salt without its base64 padding', line: `a=crypto:3 AEAD_AES_128_GCM inline:${KEY28.replace(/=+$/, '')}`, tag: 3, suite: 'AEAD_AES_128_GCM', kind: 'srtp', keys: 1, usable: true },
  { why: 'a lifetime as a power of two (RFC 4568 §6.1 example)', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^20`, tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', kind: 'srtp', keys: 1, lifetime: 2 ** 20, usable: true },
  { why: 'a decimal lifetime', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|1000000`, tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', kind: 'srtp', keys: 1, lifetime: 1_000_000, usable: true },
  { why: 'lifetime and MKI (usable by the grammar, not by us)', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^20|1:4`, tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', kind: 'srtp', keys: 1, lifetime: 2 ** 20, mki: { value: 1, length: 4 }, usable: false },
  { why: 'an MKI without a lifetime', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${KEY30}|7:1`, tag: 1, suite: 'AES_CM_128_HMAC_SHA1_32', kind: 'srtp', keys: 1, mki: { value: 7, length: 1 }, usable: false },
  { why: 'two master keys with MKIs', line: `a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^20|1:4;inline:${KEY30}|2^20|2:4`, tag: 2, suite: 'AES_CM_128_HMAC_SHA1_80', kind: 'srtp', keys: 2, lifetime: 2 ** 20, mki: { value: 1, length: 4 }, usable: false },
  { why: 'an unknown suite kept as unknown', line: 'a=crypto:3 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4', tag: 3, suite: 'F8_128_HMAC_SHA1_80', kind: 'unknown', usable: false },
  { why: 'AES_256 (unknown to us) with a key of its own length', line: 'a=crypto:4 AES_256_CM_HMAC_SHA1_80 inline:8AbZePWwsKhLGX3GlXA+yHYPQ3cgraer/9DkFJYCOPZZy3o9wC0NIbIFYZfyHw==', tag: 4, suite: 'AES_256_CM_HMAC_SHA1_80', kind: 'unknown', usable: false },
  { why: 'UNENCRYPTED_SRTCP, which we can honour', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30} UNENCRYPTED_SRTCP`, tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', kind: 'srtp', keys: 1, usable: true },
  { why: 'a window size hint', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30} WSH=128`, tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', kind: 'srtp', keys: 1, usable: true },
  { why: 'a key derivation rate, which we do not do', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30} KDR=10`, tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', kind: 'srtp', keys: 1, usable: false },
  { why: 'UNENCRYPTED_SRTP, which we refuse', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30} UNENCRYPTED_SRTP`, tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', kind: 'srtp', keys: 1, usable: false },
  { why: 'an unknown session parameter', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30} FEC_KEY=inline:${KEY30}`, tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', kind: 'srtp', keys: 1, usable: false },
  { why: 'a 9-digit tag, extra spaces and a CRLF', line: `a=crypto:999999999  AES_CM_128_HMAC_SHA1_80   inline:${KEY30}\r\n`, tag: 999_999_999, suite: 'AES_CM_128_HMAC_SHA1_80', kind: 'srtp', keys: 1, usable: true },
  { why: 'the value alone, without a=crypto:', line: `7 AES_CM_128_HMAC_SHA1_32 inline:${KEY30}`, tag: 7, suite: 'AES_CM_128_HMAC_SHA1_32', kind: 'srtp', keys: 1, usable: true },
];

describe('parseCryptoAttribute on good lines', () => {
  it.each(GOOD)('reads $why', (row) => {
    const c = parseCryptoAttribute(row.line);
    expect(c.kind).toBe(row.kind);
    expect(c.tag).toBe(row.tag);
    expect(c.suite).toBe(row.suite);
    if (c.kind === 'srtp') {
      expect(c.keyParams).toHaveLength(row.keys ?? 1);
      expect(c.keyParams[0]?.lifetime).toBe(row.lifetime);
      expect(c.keyParams[0]?.mki).toEqual(row.mki);
    }
    expect(unusableReason(c) === undefined).toBe(row.usable);
  });

  it.each(GOOD)('formats $why back to a line that reads the same', (row) => {
    const c = parseCryptoAttribute(row.line);
    expect(parseCryptoAttribute(formatCryptoAttribute(c))).toEqual(c);
  });

  it('formats the captured baresip line byte for byte', () => {
    expect(`a=crypto:${formatCryptoAttribute(parseCryptoAttribute(BARESIP_LINE))}`).toBe(BARESIP_LINE);
  });

  it('formats a lifetime of 2^20 and an MKI as written', () => {
    const line = `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^20|1:4`;
    expect(formatCryptoAttribute(parseCryptoAttribute(line))).toBe(line);
  });
});

interface BadRow {
  why: string;
  line: string;
  reason: SdesErrorReason;
}

const BAD: BadRow[] = [
  { why: 'an empty value', line: 'a=crypto:', reason: 'syntax' },
  { why: 'no key parameters', line: 'a=crypto:1 AES_CM_128_HMAC_SHA1_80', reason: 'syntax' },
  { why: 'a non-numeric tag', line: `a=crypto:one AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`, reason: 'tag' },
  { why: 'a 10-digit tag', line: `a=crypto:1234567890 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`, reason: 'tag' },
  { why: 'a suite name with punctuation', line: `a=crypto:1 AES-CM-128 inline:${KEY30}`, reason: 'suite' },
  { why: 'a key method other than inline', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:https://example.com/k`, reason: 'key-method' },
  { why: 'bad base64 characters', line: 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGV*', reason: 'base64' },
  { why: 'base64 with a dangling sextet', line: 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzA', reason: 'base64' },
  { why: 'non-canonical base64 (stray low bits)', line: `a=crypto:1 AEAD_AES_128_GCM inline:${KEY28.slice(0, 37)}B==`, reason: 'base64' },
  { why: 'an empty key', line: 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:', reason: 'base64' },
  { why: 'a 29-octet key||salt for AES-CM', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(29, 1).toString('base64')}`, reason: 'key-length' },
  { why: 'a 30-octet key||salt for GCM', line: `a=crypto:1 AEAD_AES_128_GCM inline:${KEY30}`, reason: 'key-length' },
  { why: 'a 46-octet AES-256 key under an AES-128 suite', line: 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:8AbZePWwsKhLGX3GlXA+yHYPQ3cgraer/9DkFJYCOPZZy3o9wC0NIbIFYZfyHw==', reason: 'key-length' },
  { why: 'a lifetime of 2^49', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^49`, reason: 'lifetime' },
  { why: 'a lifetime of zero', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|0`, reason: 'lifetime' },
  { why: 'a lifetime with letters', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^x`, reason: 'lifetime' },
  { why: 'two lifetimes', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^20|2^21`, reason: 'lifetime' },
  { why: 'an MKI length of 0', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|1:0`, reason: 'mki' },
  { why: 'an MKI length of 129', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|1:129`, reason: 'mki' },
  { why: 'an MKI value too large for its length', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|256:1`, reason: 'mki' },
  { why: 'four key-info parts', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^20|1:4|x`, reason: 'syntax' },
  { why: 'a window size hint below 64', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30} WSH=32`, reason: 'session-param' },
  { why: 'a KDR above 24', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30} KDR=25`, reason: 'session-param' },
  { why: 'a KDR without a value', line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30} KDR=`, reason: 'session-param' },
];

describe('parseCryptoAttribute on bad lines', () => {
  it.each(BAD)('refuses $why ($reason)', ({ line, reason }) => {
    let error: unknown;
    try {
      parseCryptoAttribute(line);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SdesError);
    expect((error as SdesError).reason).toBe(reason);
    expect((error as SdesError).code).toBe('SDP_MALFORMED');
  });
});

describe('key material stays out of messages', () => {
  it.each([
    `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30.slice(0, -1)}*`,
    `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^20|1:4|x`,
    `a=crypto:1 AES_CM_128_HMAC_SHA1_80 Inline2:${KEY30}`,
  ])('does not echo the key of a bad line (%#)', (line) => {
    const { invalid } = collectCryptoAttributes([line]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]?.message).not.toContain(KEY30.slice(0, 20));
  });

  it('names an unsupported FEC_KEY without its key', () => {
    const c = parseCryptoAttribute(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30} FEC_KEY=inline:${KEY30}`);
    expect(unusableReason(c)).toBe('session parameters not supported: FEC_KEY');
  });
});

describe('collectCryptoAttributes', () => {
  it('keeps the good lines, and the bad ones with their reason, without throwing', () => {
    const out = collectCryptoAttributes([BARESIP_LINE, BAD[6]?.line ?? '', `a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${KEY30}`, GOOD[10]?.line ?? '']);
    expect(out.crypto.map((c) => [c.tag, c.suite])).toEqual([
      [1, 'AES_CM_128_HMAC_SHA1_80'],
      [3, 'F8_128_HMAC_SHA1_80'],
    ]);
    expect(out.invalid.map((i) => i.reason)).toEqual(['base64', 'duplicate-tag']);
  });

  it('reads the a=crypto of the captured baresip offer as sdp-transform parses it', () => {
    const sdp = parseSdp(readFileSync(join(FIXTURES, 'sdp', 'baresip-offer-srtp.sdp'), 'utf8'));
    const entries = sdp.media[0]?.crypto ?? [];
    expect(entries).toHaveLength(1);
    const entry = entries[0];
    if (!entry) throw new Error('no a=crypto');
    const c = cryptoFromSdpTransform(entry);
    expect(c.kind === 'srtp' && selectOfferedCrypto([c])?.tag).toBe(1);
  });

  it('reads sdp-transform media.crypto entries', () => {
    const c = cryptoFromSdpTransform({ id: 1, suite: 'AES_CM_128_HMAC_SHA1_80', config: `inline:${KEY30}|2^20`, sessionConfig: 'WSH=256' });
    expect(c.kind === 'srtp' && c.sessionParams.windowSizeHint).toBe(256);
  });
});

describe('the answerer picks the first offered line it can use (RFC 4568 §7.1.2)', () => {
  const offer = (lines: string[]): SdesCrypto[] => collectCryptoAttributes(lines).crypto;

  it.each([
    {
      why: 'the offerer’s first choice when we support it',
      lines: [`a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${KEY30}`, `a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`],
      tag: 1,
    },
    {
      why: 'past an unknown suite',
      lines: [GOOD[11]?.line ?? '', `a=crypto:2 AEAD_AES_128_GCM inline:${KEY28}`],
      tag: 2,
    },
    {
      why: 'past a line with an MKI',
      lines: [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^20|1:4`, `a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`],
      tag: 2,
    },
    {
      why: 'past a suite we have disabled',
      lines: [`a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${KEY30}`, `a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`],
      tag: 5,
      supported: ['AES_CM_128_HMAC_SHA1_80' as const],
    },
    { why: 'nothing when no line is usable', lines: [GOOD[10]?.line ?? '', GOOD[14]?.line ?? ''], tag: undefined },
  ])('$why', ({ lines, tag, supported }) => {
    expect(selectOfferedCrypto(offer(lines), supported)?.tag).toBe(tag);
  });

  it('answers with the same tag and suite and a fresh key of the suite’s length', () => {
    const chosen = selectOfferedCrypto(offer([BARESIP_LINE]));
    if (!chosen) throw new Error('baresip line not usable');
    const answer = answerCrypto(chosen, (n) => Buffer.alloc(n, 0x42));
    expect(formatCryptoAttribute(answer)).toBe(`1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(30, 0x42).toString('base64')}`);
  });

  it('echoes UNENCRYPTED_SRTCP and then sends SRTCP in clear too', () => {
    const chosen = selectOfferedCrypto(offer([GOOD[12]?.line ?? '']));
    if (!chosen) throw new Error('not usable');
    const answer = answerCrypto(chosen);
    expect(formatCryptoAttribute(answer)).toMatch(/ UNENCRYPTED_SRTCP$/);
    expect(srtpKeysOf(answer).encryptRtcp).toBe(false);
  });

  it('offers one line per enabled suite, tagged 1, 2, 3, with keys of each suite’s length', () => {
    const lines = offerCrypto(undefined, (n) => Buffer.alloc(n, 7)).map(formatCryptoAttribute);
    expect(lines).toEqual([
      `1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(30, 7).toString('base64')}`,
      `2 AEAD_AES_128_GCM inline:${Buffer.alloc(28, 7).toString('base64')}`,
      `3 AES_CM_128_HMAC_SHA1_32 inline:${Buffer.alloc(30, 7).toString('base64')}`,
    ]);
  });

  it('keys SRTP contexts that talk to each other from an offer and its answer', () => {
    const [ours] = offerCrypto(['AEAD_AES_128_GCM']);
    if (!ours) throw new Error('no offer');
    // The far end reads our line off the wire and answers it.
    const received = selectOfferedCrypto(offer([`a=crypto:${formatCryptoAttribute(ours)}`]));
    if (!received) throw new Error('our own offer is not usable');
    const theirs = answerCrypto(received);
    // Each side sends with the key of its own line (RFC 4568 §6.1).
    const weSend = new SrtpContext(srtpKeysOf(ours));
    const theyReceive = new SrtpContext(srtpKeysOf(received));
    const theySend = new SrtpContext(srtpKeysOf(theirs));
    const weReceive = new SrtpContext(srtpKeysOf(theirs));
    const rtp = Buffer.from('80600001000000000000abcd68656c6c6f', 'hex');
    expect(theyReceive.unprotectRtp(weSend.protectRtp(rtp))).toEqual(rtp);
    expect(weReceive.unprotectRtp(theySend.protectRtp(rtp))).toEqual(rtp);
  });
});
