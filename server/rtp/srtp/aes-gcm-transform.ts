/**
 * AEAD_AES_128_GCM (RFC 7714): one AES-GCM operation both encrypts and authenticates, with a 16-octet
 * tag (§14.2) and a 12-octet IV built from the session salt.
 *
 * SRTP (§8.1): IV = (00 00 || SSRC || ROC || SEQ) XOR salt; the associated data is the RTP header
 * (fixed header, CSRCs, extension) and the ciphertext is followed by the tag (§8.2).
 *
 * SRTCP (§9.1): IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt; the associated data is
 * the first 8 octets and E || index (§9.2); the packet is header || ciphertext || tag || E || index.
 * With E = 0 (§9.3), nothing is encrypted: the whole RTCP packet and E || index are associated data
 * and the packet is RTCP || tag || E || index. (The associated data is given to GCM in two
 * setAAD calls, which OpenSSL concatenates, rather than copied into one buffer.)
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { SrtpConfigError } from './srtp-error.js';
import type { SrtpSessionKeys } from './srtp-kdf.js';
import { RTCP_CLEAR_HEADER_LENGTH, SRTCP_E_FLAG, SRTCP_INDEX_LENGTH } from './srtp-packet.js';
import type { SrtpSuite } from './srtp-suite.js';
import type { SrtpTransform, SrtpTransformKeys } from './srtp-transform.js';

const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const CIPHER = 'aes-128-gcm';

/** RFC 7714 §8.1 IV for SRTP into `iv` (12 octets). */
export function gcmRtpIv(iv: Buffer, salt: Buffer, ssrc: number, roc: number, seq: number): Buffer {
  iv.writeUInt16BE(0, 0);
  iv.writeUInt32BE(ssrc >>> 0, 2);
  iv.writeUInt32BE(roc >>> 0, 6);
  iv.writeUInt16BE(seq & 0xffff, 10);
  for (let i = 0; i < IV_LENGTH; i++) iv[i] = (iv[i] ?? 0) ^ (salt[i] ?? 0);
  return iv;
}

/** RFC 7714 §9.1 IV for SRTCP into `iv` (12 octets). */
export function gcmRtcpIv(iv: Buffer, salt: Buffer, ssrc: number, index: number): Buffer {
  iv.writeUInt16BE(0, 0);
  iv.writeUInt32BE(ssrc >>> 0, 2);
  iv.writeUInt16BE(0, 6);
  iv.writeUInt32BE(index & 0x7fff_ffff, 8);
  for (let i = 0; i < IV_LENGTH; i++) iv[i] = (iv[i] ?? 0) ^ (salt[i] ?? 0);
  return iv;
}

export class AesGcmTransform implements SrtpTransform {
  readonly rtpTagLength = TAG_LENGTH;
  readonly rtcpTagLength = TAG_LENGTH;
  private readonly rtp: SrtpSessionKeys;
  private readonly rtcp: SrtpSessionKeys;
  private readonly iv = Buffer.alloc(IV_LENGTH);
  private readonly word = Buffer.alloc(SRTCP_INDEX_LENGTH);

  constructor(suite: SrtpSuite, keys: SrtpTransformKeys) {
    if (suite.rtpTagLength !== TAG_LENGTH) throw new SrtpConfigError(`${suite.name}: GCM tag must be ${TAG_LENGTH} octets`, 'suite');
    this.rtp = keys.rtp;
    this.rtcp = keys.rtcp;
  }

  srtcpIndexOffset(length: number): number {
    return length - SRTCP_INDEX_LENGTH;
  }

  protectRtp(packet: Buffer, headerLength: number, ssrc: number, roc: number, seq: number): Buffer {
    const out = Buffer.allocUnsafe(packet.length + TAG_LENGTH);
    packet.copy(out, 0, 0, headerLength);
    const c = createCipheriv(CIPHER, this.rtp.encryptionKey, gcmRtpIv(this.iv, this.rtp.salt, ssrc, roc, seq), { authTagLength: TAG_LENGTH });
    c.setAAD(packet.subarray(0, headerLength));
    c.update(packet.subarray(headerLength)).copy(out, headerLength);
    c.final();
    c.getAuthTag().copy(out, packet.length);
    return out;
  }

  unprotectRtp(packet: Buffer, headerLength: number, ssrc: number, roc: number, seq: number): Buffer | null {
    const tagAt = packet.length - TAG_LENGTH;
    const d = createDecipheriv(CIPHER, this.rtp.encryptionKey, gcmRtpIv(this.iv, this.rtp.salt, ssrc, roc, seq), { authTagLength: TAG_LENGTH });
    d.setAuthTag(packet.subarray(tagAt));
    d.setAAD(packet.subarray(0, headerLength));
    const out = Buffer.allocUnsafe(tagAt);
    packet.copy(out, 0, 0, headerLength);
    d.update(packet.subarray(headerLength, tagAt)).copy(out, headerLength);
    // final() throws when the tag does not verify: the decrypted bytes in `out` are then dropped.
    try {
      d.final();
    } catch {
      return null;
    }
    return out;
  }

  protectRtcp(packet: Buffer, ssrc: number, index: number, encrypt: boolean): Buffer {
    const out = Buffer.allocUnsafe(packet.length + TAG_LENGTH + SRTCP_INDEX_LENGTH);
    this.word.writeUInt32BE((encrypt ? SRTCP_E_FLAG | index : index) >>> 0, 0);
    const c = createCipheriv(CIPHER, this.rtcp.encryptionKey, gcmRtcpIv(this.iv, this.rtcp.salt, ssrc, index), { authTagLength: TAG_LENGTH });
    if (encrypt) {
      c.setAAD(packet.subarray(0, RTCP_CLEAR_HEADER_LENGTH));
      c.setAAD(this.word);
      packet.copy(out, 0, 0, RTCP_CLEAR_HEADER_LENGTH);
      c.update(packet.subarray(RTCP_CLEAR_HEADER_LENGTH)).copy(out, RTCP_CLEAR_HEADER_LENGTH);
    } else {
      c.setAAD(packet);
      c.setAAD(this.word);
      packet.copy(out, 0);
    }
    c.final();
    c.getAuthTag().copy(out, packet.length);
    this.word.copy(out, packet.length + TAG_LENGTH);
    return out;
  }

  unprotectRtcp(packet: Buffer, ssrc: number, index: number, encrypted: boolean): Buffer | null {
    const indexAt = packet.length - SRTCP_INDEX_LENGTH;
    const tagAt = indexAt - TAG_LENGTH;
    const eIndex = packet.subarray(indexAt);
    const d = createDecipheriv(CIPHER, this.rtcp.encryptionKey, gcmRtcpIv(this.iv, this.rtcp.salt, ssrc, index), { authTagLength: TAG_LENGTH });
    d.setAuthTag(packet.subarray(tagAt, indexAt));
    const out = Buffer.allocUnsafe(tagAt);
    if (encrypted) {
      d.setAAD(packet.subarray(0, RTCP_CLEAR_HEADER_LENGTH));
      d.setAAD(eIndex);
      packet.copy(out, 0, 0, RTCP_CLEAR_HEADER_LENGTH);
      d.update(packet.subarray(RTCP_CLEAR_HEADER_LENGTH, tagAt)).copy(out, RTCP_CLEAR_HEADER_LENGTH);
    } else {
      d.setAAD(packet.subarray(0, tagAt));
      d.setAAD(eIndex);
      packet.copy(out, 0, 0, tagAt);
    }
    try {
      d.final();
    } catch {
      return null;
    }
    return out;
  }
}
