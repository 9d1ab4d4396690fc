/**
 * Published known-answer vectors: RFC 3711 Appendix B.2 (AES-CM keystream) and B.3 (key
 * derivation), libsrtp's reference packets for AES_CM_128_HMAC_SHA1_80 (and the same packet with the
 * 32-bit tag), and RFC 7714 §16–17 for AEAD_AES_128_GCM.
 */
import { describe, expect, it } from 'vitest';
import { AesCmCipher } from '../../../server/rtp/srtp/aes-cm-cipher.js';
import { aesCmIv } from '../../../server/rtp/srtp/aes-cm-transform.js';
import { gcmRtcpIv, gcmRtpIv } from '../../../server/rtp/srtp/aes-gcm-transform.js';
import { createSrtpTransform, SrtpContext } from '../../../server/rtp/srtp/srtp-context.js';
import { deriveSessionKey, deriveSrtpKeys, SRTP_LABEL } from '../../../server/rtp/srtp/srtp-kdf.js';
import { SRTP_SUITES } from '../../../server/rtp/srtp/srtp-suite.js';
import { hex, loadSrtpFixture, rtcpReceiverReport, type LibsrtpVectors, type Rfc3711Vectors, type Rfc7714Vectors } from './fixtures.js';

const b = loadSrtpFixture<Rfc3711Vectors>('rfc3711-appendix-b.json');
const lib = loadSrtpFixture<LibsrtpVectors>('libsrtp-reference-packets.json');
const gcm = loadSrtpFixture<Rfc7714Vectors>('rfc7714-aes-128-gcm.json');

describe('RFC 3711 Appendix B.2: the AES-CM keystream', () => {
  const cm = b.aesCm;
  const iv = aesCmIv(Buffer.alloc(16), hex(cm.sessionSalt), cm.ssrc, cm.roc, cm.seq);
  const keystream = Buffer.alloc(cm.keystreamLength);
  new AesCmCipher(hex(cm.sessionKey)).xorInto(iv, Buffer.alloc(cm.keystreamLength), keystream, 0);

  it('builds the IV from the shifted salt, SSRC 0 and index 0', () => {
    expect(iv.toString('hex')).toBe(cm.blocks[0]?.counter);
  });

  it.each(cm.blocks)('keystream block at counter $counter is $keystream', ({ counter, keystream: expected }) => {
    const block = parseInt(counter.slice(-4), 16);
    expect(keystream.subarray(block * 16, block * 16 + 16).toString('hex')).toBe(expected);
  });

  it('ends the 1044512-octet segment with the last listed block', () => {
    expect(keystream.subarray(-16).toString('hex')).toBe(cm.blocks.at(-1)?.keystream);
  });
});

describe('RFC 3711 Appendix B.3: key derivation with kdr = 0', () => {
  const kd = b.keyDerivation;
  const mk = hex(kd.masterKey);
  const ms = hex(kd.masterSalt);

  it('derives the cipher key with label 0x00', () => {
    expect(deriveSessionKey(mk, ms, SRTP_LABEL.rtpEncryption, 16).toString('hex')).toBe(kd.cipherKey);
  });

  it('derives the cipher salt with label 0x02', () => {
    expect(deriveSessionKey(mk, ms, SRTP_LABEL.rtpSalt, 14).toString('hex')).toBe(kd.cipherSalt);
  });

  it('derives all 94 octets of the auth key listed with label 0x01', () => {
    expect(deriveSessionKey(mk, ms, SRTP_LABEL.rtpAuthentication, 94).toString('hex')).toBe(kd.authKey94);
  });

  it('gives the HMAC-SHA1 suites the first 20 octets of that auth key', () => {
    const keys = deriveSrtpKeys(SRTP_SUITES.AES_CM_128_HMAC_SHA1_80, mk, ms);
    expect(keys.rtp.encryptionKey.toString('hex')).toBe(kd.cipherKey);
    expect(keys.rtp.salt.toString('hex')).toBe(kd.cipherSalt);
    expect(keys.rtp.authKey.toString('hex')).toBe(kd.authKey94.slice(0, 40));
  });
});

describe('libsrtp reference packets (srtp_validate)', () => {
  const options = { masterKey: hex(lib.masterKey), masterSalt: hex(lib.masterSalt) };

  it('protects the reference RTP packet to the reference SRTP packet with AES_CM_128_HMAC_SHA1_80', () => {
    const tx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', ...options });
    expect(tx.protectRtp(hex(lib.rtpPlaintext)).toString('hex')).toBe(lib.srtpAesCm128HmacSha1_80);
  });

  it('unprotects the reference SRTP packet back to the reference RTP packet', () => {
    const rx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', ...options });
    expect(rx.unprotectRtp(hex(lib.srtpAesCm128HmacSha1_80)).toString('hex')).toBe(lib.rtpPlaintext);
  });

  it('protects and unprotects the same packet with the 32-bit tag of AES_CM_128_HMAC_SHA1_32', () => {
    const tx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_32', ...options });
    const rx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_32', ...options });
    expect(tx.protectRtp(hex(lib.rtpPlaintext)).toString('hex')).toBe(lib.srtpAesCm128HmacSha1_32);
    expect(rx.unprotectRtp(hex(lib.srtpAesCm128HmacSha1_32)).toString('hex')).toBe(lib.rtpPlaintext);
  });

  it('protects the reference RTCP packet to the reference SRTCP packet (index 1, E set)', () => {
    const tx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', ...options });
    // RFC 3711 §3.4 starts the SRTCP index at 0; libsrtp's reference packet is the one sent second.
    tx.protectRtcp(rtcpReceiverReport(0xcafebabe));
    expect(tx.protectRtcp(hex(lib.rtcpPlaintext)).toString('hex')).toBe(lib.srtcpAesCm128HmacSha1_80);
  });

  it('unprotects the reference SRTCP packet back to the reference RTCP packet', () => {
    const rx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_80', ...options });
    expect(rx.unprotectRtcp(hex(lib.srtcpAesCm128HmacSha1_80)).toString('hex')).toBe(lib.rtcpPlaintext);
  });

  it('uses the 80-bit SRTCP tag for AES_CM_128_HMAC_SHA1_32 too (RFC 4568 §6.2)', () => {
    const tx = new SrtpContext({ suite: 'AES_CM_128_HMAC_SHA1_32', ...options });
    tx.protectRtcp(rtcpReceiverReport(0xcafebabe));
    expect(tx.protectRtcp(hex(lib.rtcpPlaintext)).toString('hex')).toBe(lib.srtcpAesCm128HmacSha1_80);
  });
});

describe('RFC 7714 §16–17: AEAD_AES_128_GCM with the published session key and salt', () => {
  const suite = SRTP_SUITES.AEAD_AES_128_GCM;
  const keys = { encryptionKey: hex(gcm.sessionKey), salt: hex(gcm.sessionSalt), authKey: Buffer.alloc(0) };
  const transform = createSrtpTransform(suite, { rtp: keys, rtcp: keys });
  const { rtp, rtcp } = gcm;

  it('builds the §16 SRTP IV from SSRC, ROC and SEQ', () => {
    expect(gcmRtpIv(Buffer.alloc(12), keys.salt, rtp.ssrc, rtp.roc, rtp.seq).toString('hex')).toBe(rtp.iv);
  });

  it('encrypts and tags the §16.1.1 packet', () => {
    expect(transform.protectRtp(hex(rtp.plaintext), 12, rtp.ssrc, rtp.roc, rtp.seq).toString('hex')).toBe(rtp.protected);
  });

  it('verifies and decrypts the §16.1.2 packet', () => {
    expect(transform.unprotectRtp(hex(rtp.protected), 12, rtp.ssrc, rtp.roc, rtp.seq)?.toString('hex')).toBe(rtp.plaintext);
  });

  it('refuses the §16.1.2 packet with one ciphertext bit flipped', () => {
    const bad = hex(rtp.protected);
    bad[20] = (bad[20] ?? 0) ^ 0x01;
    expect(transform.unprotectRtp(bad, 12, rtp.ssrc, rtp.roc, rtp.seq)).toBeNull();
  });

  it('builds the §17 SRTCP IV from SSRC and SRTCP index', () => {
    expect(gcmRtcpIv(Buffer.alloc(12), keys.salt, rtcp.ssrc, rtcp.index).toString('hex')).toBe(rtcp.iv);
  });

  it('encrypts and tags the §17.1 SRTCP packet', () => {
    expect(transform.protectRtcp(hex(rtcp.plaintext), rtcp.ssrc, rtcp.index, true).toString('hex')).toBe(rtcp.protectedEncrypted);
  });

  it('verifies and decrypts the §17.1 SRTCP packet', () => {
    expect(transform.unprotectRtcp(hex(rtcp.protectedEncrypted), rtcp.ssrc, rtcp.index, true)?.toString('hex')).toBe(rtcp.plaintext);
  });

  it('tags without encrypting as §17.3 shows (E = 0)', () => {
    expect(transform.protectRtcp(hex(rtcp.plaintext), rtcp.ssrc, rtcp.index, false).toString('hex')).toBe(rtcp.protectedTagOnly);
    expect(transform.unprotectRtcp(hex(rtcp.protectedTagOnly), rtcp.ssrc, rtcp.index, false)?.toString('hex')).toBe(rtcp.plaintext);
  });

  it('refuses the §17.1 packet under another SRTCP index', () => {
    expect(transform.unprotectRtcp(hex(rtcp.protectedEncrypted), rtcp.ssrc, rtcp.index + 1, true)).toBeNull();
  });
});
