/**
 * The per-packet cryptographic transform of one suite, below the stateful context: it is given the
 * session keys and, per packet, the index (ROC and SEQ, or the SRTCP index) and returns new buffers.
 * It holds no stream state, so published vectors stated with session keys (RFC 7714 §16–17) test it
 * directly. Authentication failure is `null`, never partly decrypted data.
 */
import type { SrtpSessionKeys } from './srtp-kdf.js';

export interface SrtpTransform {
  readonly rtpTagLength: number;
  readonly rtcpTagLength: number;
  /**
   * Offset of E || SRTCP index in a protected SRTCP packet of `length` octets: before the tag for
   * AES-CM (RFC 3711 §3.4), after it for GCM (RFC 7714 §9.2).
   */
  srtcpIndexOffset(length: number): number;
  /** Encrypts and tags an RTP packet whose header is `headerLength` octets: header || cipher || tag. */
  protectRtp(packet: Buffer, headerLength: number, ssrc: number, roc: number, seq: number): Buffer;
  /** Verifies and decrypts `header || cipher || tag`; null when the tag does not verify. */
  unprotectRtp(packet: Buffer, headerLength: number, ssrc: number, roc: number, seq: number): Buffer | null;
  /** Encrypts (when `encrypt`) and tags an RTCP compound packet with the SRTCP index. */
  protectRtcp(packet: Buffer, ssrc: number, index: number, encrypt: boolean): Buffer;
  /** Verifies and decrypts an SRTCP packet whose E flag and index were read by the caller. */
  unprotectRtcp(packet: Buffer, ssrc: number, index: number, encrypted: boolean): Buffer | null;
}

export interface SrtpTransformKeys {
  readonly rtp: SrtpSessionKeys;
  readonly rtcp: SrtpSessionKeys;
}
