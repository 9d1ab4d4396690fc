/**
 * The stateful SRTP/SRTCP context (RFC 3711 §3.3, §3.4) for every suite: round trips, tampering,
 * replay and the replay window, truncation, ROC at the sequence wrap, reordering, and the bound on
 * SSRC state. Random packets come from a seeded generator so a failure reproduces.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SrtpContext, type SrtpContextOptions } from '../../../server/rtp/srtp/srtp-context.js';
import { SrtpConfigError, SrtpError, type SrtpErrorCode } from '../../../server/rtp/srtp/srtp-error.js';
import { rtpHeaderLength } from '../../../server/rtp/srtp/srtp-packet.js';
import { SRTP_SUITES, type SrtpSuiteName } from '../../../server/rtp/srtp/srtp-suite.js';
import { rtcpReceiverReport, rtpPacket } from './fixtures.js';

const SUITES = Object.keys(SRTP_SUITES) as SrtpSuiteName[];

/** mulberry32: a tiny seeded generator, enough to make "random" packets reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

function pair(suite: SrtpSuiteName, extra: Partial<SrtpContextOptions> = {}): { tx: SrtpContext; rx: SrtpContext } {
  const s = SRTP_SUITES[suite];
  const masterKey = randomBytes(s.keyLength);
  const masterSalt = randomBytes(s.saltLength);
  const options = { suite, masterKey, masterSalt, ...extra };
  return { tx: new SrtpContext(options), rx: new SrtpContext(options) };
}

function codeOf(f: () => unknown): SrtpErrorCode | 'none' {
  try {
    f();
    return 'none';
  } catch (e) {
    if (e instanceof SrtpError) return e.code;
    throw e;
  }
}

/** A random RTP packet: random CSRC count, optional extension, random payload of 0–1400 octets. */
function randomRtp(rand: () => number, seq: number, ssrc: number): Buffer {
  const cc = Math.floor(rand() * 4);
  const withExt = rand() < 0.3;
  const extWords = withExt ? 1 + Math.floor(rand() * 3) : 0;
  const payload = Math.floor(rand() * 1400);
  const header = 12 + 4 * cc + (withExt ? 4 + 4 * extWords : 0);
  const p = Buffer.alloc(header + payload);
  for (let i = 0; i < p.length; i++) p[i] = Math.floor(rand() * 256);
  p[0] = 0x80 | (withExt ? 0x10 : 0) | cc;
  p.writeUInt16BE(seq, 2);
  p.writeUInt32BE(ssrc >>> 0, 8);
  if (withExt) p.writeUInt16BE(extWords, 12 + 4 * cc + 2);
  return p;
}

describe.each(SUITES)('%s', (suite) => {
  const tags = SRTP_SUITES[suite];

  it('round-trips 200 random RTP packets and keeps the header in clear', () => {
    const rand = prng(0x5eed);
    const { tx, rx } = pair(suite);
    for (let i = 0; i < 200; i++) {
      const plain = randomRtp(rand, (1000 + i) & 0xffff, 0x1234_5678);
      const copy = Buffer.from(plain);
      const wire = tx.protectRtp(plain);
      expect(wire.length).toBe(plain.length + tags.rtpTagLength);
      const headerLength = rtpHeaderLength(plain, 0);
      expect(wire.subarray(0, headerLength)).toEqual(plain.subarray(0, headerLength));
      expect(rx.unprotectRtp(wire)).toEqual(plain);
      expect(plain).toEqual(copy); // inputs are never modified
    }
  });

  it('encrypts the payload: the same payload under two sequence numbers gives two ciphertexts', () => {
    const { tx } = pair(suite);
    const a = tx.protectRtp(rtpPacket(1, 7, 64));
    const b = tx.protectRtp(rtpPacket(2, 7, 64));
    expect(a.subarray(12, 76).equals(rtpPacket(1, 7, 64).subarray(12))).toBe(false);
    expect(a.subarray(12, 76).equals(b.subarray(12, 76))).toBe(false);
  });

  it('round-trips RTCP packets with the SRTCP index counting from zero', () => {
    const { tx, rx } = pair(suite);
    for (let i = 0; i < 5; i++) {
      const rr = rtcpReceiverReport(0xdead_beef);
      const wire = tx.protectRtcp(rr);
      expect(wire.length).toBe(rr.length + 4 + tags.rtcpTagLength);
      expect(rx.unprotectRtcp(wire)).toEqual(rr);
    }
  });

  it('rejects one flipped bit anywhere in an SRTP packet, and still accepts the intact packet', () => {
    const { tx, rx } = pair(suite);
    const wire = tx.protectRtp(rtpPacket(4242, 0xabc, 20));
    for (let bit = 0; bit < wire.length * 8; bit++) {
      const bad = Buffer.from(wire);
      bad[bit >> 3] = (bad[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
      const code = codeOf(() => rx.unprotectRtp(bad));
      // Octet 0 holds V, X and CC: flipping them can make the header itself malformed.
      expect(code, `bit ${bit}`).toBe(bit < 8 && code === 'SRTP_MALFORMED' ? 'SRTP_MALFORMED' : 'SRTP_AUTH_FAIL');
    }
    expect(rx.ssrcCount.receive).toBe(0); // forged packets created no state
    expect(rx.unprotectRtp(wire)).toEqual(rtpPacket(4242, 0xabc, 20));
  });

  it('rejects one flipped bit anywhere in an SRTCP packet', () => {
    const { tx, rx } = pair(suite);
    const wire = tx.protectRtcp(rtcpReceiverReport(0x99));
    for (let bit = 0; bit < wire.length * 8; bit++) {
      const bad = Buffer.from(wire);
      bad[bit >> 3] = (bad[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
      const code = codeOf(() => rx.unprotectRtcp(bad));
      expect(code, `bit ${bit}`).toBe(bit < 2 ? 'SRTP_MALFORMED' : 'SRTP_AUTH_FAIL');
    }
    expect(rx.unprotectRtcp(wire)).toEqual(rtcpReceiverReport(0x99));
  });

  it('refuses the same SRTP packet twice with SRTP_REPLAY', () => {
    const { tx, rx } = pair(suite);
    const wire = tx.protectRtp(rtpPacket(10, 1, 30));
    rx.unprotectRtp(wire);
    expect(codeOf(() => rx.unprotectRtp(wire))).toBe('SRTP_REPLAY');
  });

  it('refuses the same SRTCP packet twice with SRTP_REPLAY', () => {
    const { tx, rx } = pair(suite);
    const wire = tx.protectRtcp(rtcpReceiverReport(1));
    rx.unprotectRtcp(wire);
    expect(codeOf(() => rx.unprotectRtcp(wire))).toBe('SRTP_REPLAY');
  });

  it('refuses an index older than the replay window with SRTP_TOO_OLD', () => {
    const { tx, rx } = pair(suite, { replayWindow: 64 });
    const wires = Array.from({ length: 100 }, (_, i) => tx.protectRtp(rtpPacket(i, 1, 10)));
    rx.unprotectRtp(wires[99] as Buffer);
    expect(codeOf(() => rx.unprotectRtp(wires[20] as Buffer))).toBe('SRTP_TOO_OLD'); // 99 − 20 = 79 ≥ 64
  });

  it.each([
    { name: 'empty', length: 0 },
    { name: 'one octet', length: 1 },
    { name: 'a fixed header minus one octet', length: 11 },
    { name: 'a fixed header without the full tag', length: 12 + tags.rtpTagLength - 1 },
  ])('refuses a truncated SRTP packet ($name) with SRTP_MALFORMED', ({ length }) => {
    const { tx, rx } = pair(suite);
    const wire = tx.protectRtp(rtpPacket(1, 1, 0));
    expect(codeOf(() => rx.unprotectRtp(wire.subarray(0, length)))).toBe('SRTP_MALFORMED');
  });

  it('refuses an SRTP packet cut short by one octet with SRTP_AUTH_FAIL', () => {
    const { tx, rx } = pair(suite);
    const wire = tx.protectRtp(rtpPacket(1, 1, 40));
    expect(codeOf(() => rx.unprotectRtp(wire.subarray(0, wire.length - 1)))).toBe('SRTP_AUTH_FAIL');
  });

  it.each([0, 7, 8 + 4 + tags.rtcpTagLength - 1])('refuses an SRTCP packet truncated to %i octets with SRTP_MALFORMED', (length) => {
    const { tx, rx } = pair(suite);
    const wire = tx.protectRtcp(rtcpReceiverReport(1));
    expect(codeOf(() => rx.unprotectRtcp(wire.subarray(0, length)))).toBe('SRTP_MALFORMED');
  });

  it('increments the ROC across the wrap from 65535 to 0 and decrypts on both sides of it', () => {
    const { tx, rx } = pair(suite);
    for (let i = 0; i < 12; i++) {
      const seq = (65530 + i) & 0xffff;
      const plain = rtpPacket(seq, 0x77, 50, i);
      expect(rx.unprotectRtp(tx.protectRtp(plain))).toEqual(plain);
    }
    expect(tx.rolloverCounter(0x77, 'send')).toBe(1);
    expect(rx.rolloverCounter(0x77, 'receive')).toBe(1);
  });

  it('accepts packets reordered across the wrap with the right ROC', () => {
    const { tx, rx } = pair(suite);
    const seqs = [65533, 65534, 65535, 0, 1, 2];
    const wires = new Map(seqs.map((s) => [s, tx.protectRtp(rtpPacket(s, 5, 16, s & 0xff))]));
    for (const s of [65533, 0, 65535, 2, 65534, 1]) {
      expect(rx.unprotectRtp(wires.get(s) as Buffer)).toEqual(rtpPacket(s, 5, 16, s & 0xff));
    }
    expect(rx.rolloverCounter(5, 'receive')).toBe(1);
  });

  it('accepts a reordered burst within the window once each, then refuses each again as a replay', () => {
    const rand = prng(42);
    const { tx, rx } = pair(suite, { replayWindow: 64 });
    const wires = Array.from({ length: 60 }, (_, i) => tx.protectRtp(rtpPacket(100 + i, 9, 32, i)));
    const order = wires.map((_, i) => i).sort(() => rand() - 0.5);
    for (const i of order) expect(rx.unprotectRtp(wires[i] as Buffer)).toEqual(rtpPacket(100 + i, 9, 32, i));
    for (const i of order) expect(codeOf(() => rx.unprotectRtp(wires[i] as Buffer))).toBe('SRTP_REPLAY');
  });

  it('refuses a packet under other keys with SRTP_AUTH_FAIL', () => {
    const { tx } = pair(suite);
    const { rx } = pair(suite);
    expect(codeOf(() => rx.unprotectRtp(tx.protectRtp(rtpPacket(1, 1, 10))))).toBe('SRTP_AUTH_FAIL');
    expect(codeOf(() => rx.unprotectRtcp(tx.protectRtcp(rtcpReceiverReport(1))))).toBe('SRTP_AUTH_FAIL');
  });

  it('sends SRTCP unencrypted with E = 0 when asked, and the receiver still authenticates it', () => {
    const { tx, rx } = pair(suite, { encryptRtcp: false });
    const rr = Buffer.concat([rtcpReceiverReport(3), Buffer.from('abcdefgh')]);
    rr.writeUInt16BE(3, 2);
    const wire = tx.protectRtcp(rr);
    expect(wire.subarray(0, rr.length)).toEqual(rr);
    expect(rx.unprotectRtcp(wire)).toEqual(rr);
  });

  it('keeps send state for at most maxSsrcs SSRCs, evicting the least recently used', () => {
    const { tx } = pair(suite, { maxSsrcs: 4 });
    for (let ssrc = 1; ssrc <= 6; ssrc++) tx.protectRtp(rtpPacket(1, ssrc, 8));
    expect(tx.ssrcCount.send).toBe(4);
    expect(tx.rolloverCounter(1, 'send')).toBeUndefined();
    expect(tx.rolloverCounter(6, 'send')).toBe(0);
  });

  it('keeps receive state for at most maxSsrcs SSRCs: a new one is dropped while all are active', () => {
    const { tx, rx } = pair(suite, { maxSsrcs: 4, idlePackets: 10 });
    for (let ssrc = 1; ssrc <= 4; ssrc++) rx.unprotectRtp(tx.protectRtp(rtpPacket(1, ssrc, 8)));
    const refused = (): string => {
      try {
        rx.unprotectRtp(tx.protectRtp(rtpPacket(2, 5, 8)));
        return 'none';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(refused()).toBe('SRTP_SSRC_LIMIT');
    expect(rx.ssrcCount.receive).toBe(4);
    // SSRC 1 falls silent while 2 keeps sending: once idle for 10 packets it gives way.
    for (let seq = 2; seq < 12; seq++) rx.unprotectRtp(tx.protectRtp(rtpPacket(seq, 2, 8)));
    expect(refused()).toBe('none');
    expect(rx.rolloverCounter(1, 'receive')).toBeUndefined();
    expect(rx.rolloverCounter(5, 'receive')).toBe(0);
    expect(rx.ssrcCount.receive).toBe(4);
  });
});

describe('the replay window edge', () => {
  it.each([
    { highest: 99, late: 36, window: 64, expected: 'SRTP_REPLAY' as const },
    { highest: 99, late: 35, window: 64, expected: 'SRTP_TOO_OLD' as const },
    { highest: 99, late: 36, window: 128, expected: 'SRTP_REPLAY' as const },
  ])('after index $highest, a replay of index $late with a $window-packet window is $expected', ({ highest, late, window, expected }) => {
    const { tx, rx } = pair('AES_CM_128_HMAC_SHA1_80', { replayWindow: window });
    const wires = Array.from({ length: highest + 1 }, (_, i) => tx.protectRtp(rtpPacket(i, 1, 4)));
    rx.unprotectRtp(wires[late] as Buffer);
    rx.unprotectRtp(wires[highest] as Buffer);
    expect(codeOf(() => rx.unprotectRtp(wires[late] as Buffer))).toBe(expected);
  });

  it('refuses a never-seen packet older than the window with SRTP_TOO_OLD', () => {
    const { tx, rx } = pair('AES_CM_128_HMAC_SHA1_80', { replayWindow: 64 });
    const wires = Array.from({ length: 100 }, (_, i) => tx.protectRtp(rtpPacket(i, 1, 4)));
    rx.unprotectRtp(wires[99] as Buffer);
    expect(codeOf(() => rx.unprotectRtp(wires[35] as Buffer))).toBe('SRTP_TOO_OLD');
    expect(rx.unprotectRtp(wires[36] as Buffer)).toEqual(rtpPacket(36, 1, 4));
  });
});

describe('configuration', () => {
  const key = Buffer.alloc(16);
  const salt = Buffer.alloc(14);

  it.each([
    { name: 'an unknown suite', options: { suite: 'F8_128_HMAC_SHA1_80' as SrtpSuiteName, masterKey: key, masterSalt: salt }, field: 'suite' },
    { name: 'a 15-octet master key', options: { suite: 'AES_CM_128_HMAC_SHA1_80' as const, masterKey: Buffer.alloc(15), masterSalt: salt }, field: 'masterKey' },
    { name: 'a 14-octet salt for GCM', options: { suite: 'AEAD_AES_128_GCM' as const, masterKey: key, masterSalt: salt }, field: 'masterSalt' },
    { name: 'a replay window of 32', options: { suite: 'AES_CM_128_HMAC_SHA1_80' as const, masterKey: key, masterSalt: salt, replayWindow: 32 }, field: 'replayWindow' },
    { name: 'maxSsrcs of 0', options: { suite: 'AES_CM_128_HMAC_SHA1_80' as const, masterKey: key, masterSalt: salt, maxSsrcs: 0 }, field: 'maxSsrcs' },
  ])('refuses $name with SrtpConfigError on $field', ({ options, field }) => {
    expect(() => new SrtpContext(options)).toThrow(SrtpConfigError);
    try {
      new SrtpContext(options);
    } catch (e) {
      expect((e as SrtpConfigError).field).toBe(field);
    }
  });

  it('refuses to send a sequence number from before the first packet of the stream, to never reuse a keystream', () => {
    const { tx } = pair('AES_CM_128_HMAC_SHA1_80');
    tx.protectRtp(rtpPacket(10, 1, 4));
    expect(codeOf(() => tx.protectRtp(rtpPacket(65000, 1, 4)))).toBe('SRTP_TOO_OLD');
  });
});

describe('keys that crossed a worker boundary', () => {
  it('accepts the master key and salt as plain Uint8Arrays, as structured clone delivers them', () => {
    const masterKey = randomBytes(16);
    const masterSalt = randomBytes(14);
    const tx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', masterKey, masterSalt });
    const rx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', masterKey: new Uint8Array(masterKey), masterSalt: new Uint8Array(masterSalt) });
    expect(rx.unprotectRtp(tx.protectRtp(rtpPacket(1, 2, 40)))).toEqual(rtpPacket(1, 2, 40));
  });

  it('copies the keys, so changing the caller’s buffer afterwards changes nothing', () => {
    const masterKey = randomBytes(16);
    const masterSalt = randomBytes(14);
    const tx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', masterKey, masterSalt });
    const rx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', masterKey: Buffer.from(masterKey), masterSalt: Buffer.from(masterSalt) });
    masterKey.fill(0);
    expect(rx.unprotectRtp(tx.protectRtp(rtpPacket(1, 2, 40)))).toEqual(rtpPacket(1, 2, 40));
  });
});

describe('rtpHeaderLength', () => {
  it.each([
    { why: 'a fixed header', hex: '80600001000000000000000a', length: 12 },
    { why: 'two CSRCs', hex: '8260000100000000000000aa' + '00000001' + '00000002', length: 20 },
    { why: 'a one-word extension', hex: '9060000100000000000000aa' + 'bede0001' + '10ff0000', length: 20 },
  ])('reads $why as $length octets', ({ hex: h, length }) => {
    expect(rtpHeaderLength(Buffer.from(h, 'hex'), 0)).toBe(length);
  });

  it.each([
    { why: 'version 1', hex: '40600001000000000000000a' },
    { why: 'a CSRC list past the end', hex: '8160000100000000000000aa' },
    { why: 'an extension header past the end', hex: '9060000100000000000000aa' + 'bede' },
    { why: 'extension words past the end', hex: '9060000100000000000000aa' + 'bede0002' + '10ff0000' },
  ])('refuses $why with SRTP_MALFORMED', ({ hex: h }) => {
    expect(codeOf(() => rtpHeaderLength(Buffer.from(h, 'hex'), 0))).toBe('SRTP_MALFORMED');
  });
});
