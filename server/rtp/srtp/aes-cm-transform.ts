/**
 * AES_CM_128_HMAC_SHA1_{80,32}: AES in counter mode (RFC 3711 §4.1.1) and HMAC-SHA1 truncated to the
 * suite's tag (§4.2.1). Encrypt-then-MAC: the tag covers the header and the ciphertext (plus the ROC
 * for SRTP, plus E || index for SRTCP), and is verified before anything is decrypted.
 *
 * The keystream IV (§4.1.1):
 *
 *     IV = (k_s · 2^16) XOR (SSRC · 2^64) XOR (i · 2^16)
 *
 * 16 octets: the 14-octet session salt left-aligned, the SSRC XORed into octets 4–7, the 48-bit
 * index into octets 8–13; octets 14–15 are the block counter, which starts at zero (AesCmCipher).
 */
import { createHmac } from 'node:crypto';
import { AesCmCipher } from './aes-cm-cipher.js';
import type { SrtpSessionKeys } from './srtp-kdf.js';
import { RTCP_CLEAR_HEADER_LENGTH, SRTCP_E_FLAG, SRTCP_INDEX_LENGTH } from './srtp-packet.js';
import type { SrtpSuite } from './srtp-suite.js';
import type { SrtpTransform, SrtpTransformKeys } from './srtp-transform.js';

const IV_LENGTH = 16;

/**
 * Writes the §4.1.1 IV for (SSRC, index) into `iv` (16 octets). `indexHigh` is the upper 32 bits of
 * the 48-bit index (the ROC for SRTP), `indexLow` the lower 16 (SEQ); SRTCP passes its 31-bit index
 * split the same way.
 */
export function aesCmIv(iv: Buffer, salt: Buffer, ssrc: number, indexHigh: number, indexLow: number): Buffer {
  iv.fill(0);
  salt.copy(iv, 0, 0, 14);
  iv.writeUInt32BE(((iv.readUInt32BE(4) ^ ssrc) >>> 0), 4);
  iv.writeUInt32BE(((iv.readUInt32BE(8) ^ indexHigh) >>> 0), 8);
  iv.writeUInt16BE(((iv.readUInt16BE(12) ^ indexLow) & 0xffff), 12);
  return iv;
}

/**
 * Whether the first `length` octets of `mac` equal `packet`'s from `at` on, in time independent of
 * where they differ (as timingSafeEqual, without two views made per packet to call it).
 */
function tagMatches(mac: Buffer, packet: Buffer, at: number, length: number): boolean {
  if (packet.length - at !== length || mac.length < length) return false;
  let diff = 0;
  for (let i = 0; i < length; i++) diff |= (mac[i] as number) ^ (packet[at + i] as number);
  return diff === 0;
}

export class AesCmHmacSha1Transform implements SrtpTransform {
  readonly rtpTagLength: number;
  readonly rtcpTagLength: number;
  private readonly rtp: SrtpSessionKeys;
  private readonly rtcp: SrtpSessionKeys;
  private readonly rtpCipher: AesCmCipher;
  private readonly rtcpCipher: AesCmCipher;
  /** Scratch, reused per packet: createCipheriv and Hmac.update copy what they are given. */
  private readonly iv = Buffer.alloc(IV_LENGTH);
  private readonly word = Buffer.alloc(4);

  constructor(suite: SrtpSuite, keys: SrtpTransformKeys) {
    this.rtpTagLength = suite.rtpTagLength;
    this.rtcpTagLength = suite.rtcpTagLength;
    this.rtp = keys.rtp;
    this.rtcp = keys.rtcp;
    this.rtpCipher = new AesCmCipher(keys.rtp.encryptionKey);
    this.rtcpCipher = new AesCmCipher(keys.rtcp.encryptionKey);
  }

  srtcpIndexOffset(length: number): number {
    return length - this.rtcpTagLength - SRTCP_INDEX_LENGTH;
  }

  protectRtp(packet: Buffer, headerLength: number, ssrc: number, roc: number, seq: number): Buffer {
    const out = Buffer.allocUnsafe(packet.length + this.rtpTagLength);
    packet.copy(out, 0, 0, headerLength);
    const iv = aesCmIv(this.iv, this.rtp.salt, ssrc, roc, seq);
    this.rtpCipher.xorInto(iv, packet.subarray(headerLength), out, headerLength);
    this.rtpTag(out.subarray(0, packet.length), roc).copy(out, packet.length, 0, this.rtpTagLength);
    return out;
  }

  unprotectRtp(packet: Buffer, headerLength: number, ssrc: number, roc: number, seq: number): Buffer | null {
    const authEnd = packet.length - this.rtpTagLength;
    if (!tagMatches(this.rtpTag(packet.subarray(0, authEnd), roc), packet, authEnd, this.rtpTagLength)) return null;
    const out = Buffer.allocUnsafe(authEnd);
    packet.copy(out, 0, 0, headerLength);
    const iv = aesCmIv(this.iv, this.rtp.salt, ssrc, roc, seq);
    this.rtpCipher.xorInto(iv, packet.subarray(headerLength, authEnd), out, headerLength);
    return out;
  }

  protectRtcp(packet: Buffer, ssrc: number, index: number, encrypt: boolean): Buffer {
    const indexEnd = packet.length + SRTCP_INDEX_LENGTH;
    const out = Buffer.allocUnsafe(indexEnd + this.rtcpTagLength);
    if (encrypt) {
      packet.copy(out, 0, 0, RTCP_CLEAR_HEADER_LENGTH);
      const iv = aesCmIv(this.iv, this.rtcp.salt, ssrc, index >>> 16, index & 0xffff);
      this.rtcpCipher.xorInto(iv, packet.subarray(RTCP_CLEAR_HEADER_LENGTH), out, RTCP_CLEAR_HEADER_LENGTH);
    } else {
      packet.copy(out, 0);
    }
    out.writeUInt32BE((encrypt ? SRTCP_E_FLAG | index : index) >>> 0, packet.length);
    // RFC 3711 §3.4: the tag covers the whole SRTCP packet up to and including E || index.
    this.tag(this.rtcp.authKey, out.subarray(0, indexEnd)).copy(out, indexEnd, 0, this.rtcpTagLength);
    return out;
  }

  unprotectRtcp(packet: Buffer, ssrc: number, index: number, encrypted: boolean): Buffer | null {
    const authEnd = packet.length - this.rtcpTagLength;
    if (!tagMatches(this.tag(this.rtcp.authKey, packet.subarray(0, authEnd)), packet, authEnd, this.rtcpTagLength)) return null;
    const end = authEnd - SRTCP_INDEX_LENGTH;
    const out = Buffer.allocUnsafe(end);
    if (encrypted) {
      packet.copy(out, 0, 0, RTCP_CLEAR_HEADER_LENGTH);
      const iv = aesCmIv(this.iv, this.rtcp.salt, ssrc, index >>> 16, index & 0xffff);
      this.rtcpCipher.xorInto(iv, packet.subarray(RTCP_CLEAR_HEADER_LENGTH, end), out, RTCP_CLEAR_HEADER_LENGTH);
    } else {
      packet.copy(out, 0, 0, end);
    }
    return out;
  }

  /** RFC 3711 §4.2: HMAC-SHA1 over the authenticated portion || ROC (SRTP only). */
  private rtpTag(authenticated: Buffer, roc: number): Buffer {
    this.word.writeUInt32BE(roc >>> 0, 0);
    return createHmac('sha1', this.rtp.authKey).update(authenticated).update(this.word).digest();
  }

  private tag(key: Buffer, authenticated: Buffer): Buffer {
    return createHmac('sha1', key).update(authenticated).digest();
  }
}
