/**
 * An SRTP cryptographic context (RFC 3711 §3.2) for one master key and one direction: the sender's
 * context protects, the receiver's unprotects. RFC 3711 §3.2.3 identifies a context by SSRC as well
 * (the triplet SSRC, destination address, port); one master key may serve several SSRCs (§8.2,
 * RFC 4568 §6.1 SDES), and the session keys derived from it do not depend on the SSRC, so the
 * transform is shared and what is kept per SSRC is the state RFC 3711 puts in the context: the
 * highest index (which carries ROC and s_l, §3.3.1), the replay list (§3.3.2) and the SRTCP index
 * (§3.4). That is what lets an RFC 4588 retransmission stream (its own SSRC and sequence numbers)
 * share the media's key without disturbing the media's rollover counter or replay list. The IV
 * includes the SSRC (§4.1.1), so two SSRCs never share keystream.
 *
 * The number of SSRCs is bounded. Sending, a new SSRC beyond the bound evicts the least recently
 * used (our own SSRCs: the media and its RTX stream). Receiving, a new SSRC beyond the bound
 * evicts the least recently used only if that one has been idle for `idlePackets` packets (a peer
 * that changed SSRC); otherwise the packet is dropped with SrtpSsrcLimitError, so a flood of new
 * SSRCs can neither grow memory nor push out the live streams' replay lists. Receive state is only
 * created and moved by authenticated packets, so forged packets cannot fill the table or shift a
 * window.
 *
 * unprotectRtp / unprotectRtcp return a new buffer holding the authenticated, decrypted packet, or
 * throw SrtpError (SRTP_MALFORMED, SRTP_TOO_OLD, SRTP_REPLAY, SRTP_AUTH_FAIL). The input buffer is
 * never modified. Processing order follows RFC 3711 §3.3 (receiver): estimate the index, check the
 * replay list, verify the tag, decrypt, then update ROC, s_l and the replay list.
 *
 * Not implemented: MKI (RFC 3711 §3.1; SDES lines with an MKI are refused upstream), key derivation
 * rate > 0, unencrypted SRTP / unauthenticated SRTP session parameters (RFC 4568 §6.3).
 */
import { AesCmHmacSha1Transform } from './aes-cm-transform.js';
import { AesGcmTransform } from './aes-gcm-transform.js';
import { ReplayWindow } from './replay-window.js';
import { SrtpConfigError, SrtpError, SrtpSsrcLimitError } from './srtp-error.js';
import { estimateSrtpIndex, rocOf, SRTP_INDEX_LIMIT } from './srtp-index.js';
import { deriveSrtpKeys } from './srtp-kdf.js';
import { checkRtcpHeader, rtpHeaderLength, SRTCP_E_FLAG, SRTCP_INDEX_LENGTH, SRTCP_INDEX_LIMIT } from './srtp-packet.js';
import { SRTP_SUITES, type SrtpSuite, type SrtpSuiteName, type SrtpTransformKind } from './srtp-suite.js';
import type { SrtpTransform, SrtpTransformKeys } from './srtp-transform.js';

/** Default replay window: 256 packets is 256 ms of reordering at a 1 ms packet time. */
export const SRTP_DEFAULT_REPLAY_WINDOW = 256;
export const SRTP_DEFAULT_MAX_SSRCS = 16;
/** Packets (of any SSRC) after which a receive SSRC not seen since may be evicted for a new one. */
export const SRTP_DEFAULT_IDLE_PACKETS = 500;

export interface SrtpContextOptions {
  suite: SrtpSuiteName;
  /** A Buffer or any Uint8Array (a Buffer arrives as Uint8Array across a worker boundary). Copied. */
  masterKey: Uint8Array;
  masterSalt: Uint8Array;
  /** Replay list size in packets (RFC 3711 §3.3.2), 64 to 16384. */
  replayWindow?: number;
  /** Most SSRCs with state kept at once (per protocol direction). */
  maxSsrcs?: number;
  /** Receive state unused for this many packets may be evicted for a new SSRC (default 500). */
  idlePackets?: number;
  /** Encrypt sent SRTCP (E = 1, the default); received SRTCP is accepted either way. */
  encryptRtcp?: boolean;
  /**
   * SRTCP tag length in octets, for AES-CM suites only. The default is the suite's (10: RFC 4568
   * §6.2.2 keeps the 80-bit SRTCP tag even for AES_CM_128_HMAC_SHA1_32). Deliberate interop knob:
   * ffmpeg 5.1 sends and expects a 4-octet SRTCP tag with AES_CM_128_HMAC_SHA1_32 (captured in
   * test/fixtures/srtp), so a link to such a peer sets 4 here.
   */
  rtcpTagLength?: 4 | 10;
}

const TRANSFORMS: Readonly<Record<SrtpTransformKind, new (suite: SrtpSuite, keys: SrtpTransformKeys) => SrtpTransform>> = {
  'aes-cm-hmac-sha1': AesCmHmacSha1Transform,
  'aes-gcm': AesGcmTransform,
};

/** Creates the transform of a suite from session keys (test vectors stated with session keys use this). */
export function createSrtpTransform(suite: SrtpSuite, keys: SrtpTransformKeys): SrtpTransform {
  return new TRANSFORMS[suite.transform](suite, keys);
}

interface SendState {
  /** Highest SRTP index sent, −1 before the first packet. */
  highestIndex: number;
  /** Next SRTCP index to send (RFC 3711 §3.4: starts at zero). */
  nextRtcpIndex: number;
  lastUse: number;
}

interface ReceiveState {
  readonly rtp: ReplayWindow;
  readonly rtcp: ReplayWindow;
  lastUse: number;
}

export class SrtpContext {
  readonly suite: SrtpSuite;
  private readonly transform: SrtpTransform;
  private readonly replayWindow: number;
  private readonly maxSsrcs: number;
  private readonly idlePackets: number;
  private readonly encryptRtcp: boolean;
  private readonly sending = new Map<number, SendState>();
  private readonly receiving = new Map<number, ReceiveState>();
  /** Packet counter used as the LRU clock for eviction. */
  private tick = 0;

  constructor(options: SrtpContextOptions) {
    const suite = Object.prototype.hasOwnProperty.call(SRTP_SUITES, options.suite) ? SRTP_SUITES[options.suite] : undefined;
    if (!suite) throw new SrtpConfigError(`unknown SRTP suite ${String(options.suite)}`, 'suite');
    this.suite = suite;
    const rtcpTagLength = options.rtcpTagLength ?? suite.rtcpTagLength;
    if (rtcpTagLength !== suite.rtcpTagLength && !(suite.transform === 'aes-cm-hmac-sha1' && (rtcpTagLength === 4 || rtcpTagLength === 10))) {
      throw new SrtpConfigError(`${suite.name} cannot use a ${String(rtcpTagLength)}-octet SRTCP tag`, 'rtcpTagLength');
    }
    this.transform = createSrtpTransform({ ...suite, rtcpTagLength }, deriveSrtpKeys(suite, Buffer.from(options.masterKey), Buffer.from(options.masterSalt)));
    this.replayWindow = options.replayWindow ?? SRTP_DEFAULT_REPLAY_WINDOW;
    new ReplayWindow(this.replayWindow); // validates the size now rather than at the first packet
    this.maxSsrcs = options.maxSsrcs ?? SRTP_DEFAULT_MAX_SSRCS;
    if (!Number.isInteger(this.maxSsrcs) || this.maxSsrcs < 1) throw new SrtpConfigError(`maxSsrcs must be a positive integer, got ${this.maxSsrcs}`, 'maxSsrcs');
    this.idlePackets = options.idlePackets ?? SRTP_DEFAULT_IDLE_PACKETS;
    if (!Number.isInteger(this.idlePackets) || this.idlePackets < 0) throw new SrtpConfigError(`idlePackets must be a non-negative integer, got ${this.idlePackets}`, 'idlePackets');
    this.encryptRtcp = options.encryptRtcp ?? true;
  }

  /** RTP in, SRTP out (RFC 3711 §3.3, sender). */
  protectRtp(packet: Buffer): Buffer {
    const headerLength = rtpHeaderLength(packet, 0);
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    const state = this.sendState(ssrc);
    const index = estimateSrtpIndex(state.highestIndex, seq);
    if (index < 0) {
      // Sending it under ROC 0 would reuse the keystream of a later packet (RFC 3711 §9.1).
      throw new SrtpError('SRTP_TOO_OLD', `sequence number ${seq} lies before the first packet sent for SSRC ${ssrc}`);
    }
    if (index >= SRTP_INDEX_LIMIT) {
      // RFC 3711 §3.3.1: no more than 2^48 packets under one master key.
      throw new SrtpConfigError(`SRTP index exhausted for SSRC ${ssrc}: rekey`, 'masterKey');
    }
    if (index > state.highestIndex) state.highestIndex = index;
    return this.transform.protectRtp(packet, headerLength, ssrc, rocOf(index), seq);
  }

  /** SRTP in, authenticated RTP out (RFC 3711 §3.3, receiver). */
  unprotectRtp(packet: Buffer): Buffer {
    const headerLength = rtpHeaderLength(packet, this.transform.rtpTagLength);
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    const state = this.receiving.get(ssrc);
    const index = estimateSrtpIndex(state ? state.rtp.highestIndex : -1, seq);
    if (index < 0) throw new SrtpError('SRTP_TOO_OLD', `SRTP packet ${seq} of SSRC ${ssrc} is from before the stream's first packet`);
    if (state) this.checkReplay(state.rtp, index, 'SRTP', ssrc);
    const plain = this.transform.unprotectRtp(packet, headerLength, ssrc, rocOf(index), seq);
    if (!plain) throw new SrtpError('SRTP_AUTH_FAIL', `SRTP packet ${seq} of SSRC ${ssrc} failed authentication`);
    const accepted = state ?? this.newReceiveState(ssrc, 'SRTP');
    accepted.rtp.accept(index);
    accepted.lastUse = ++this.tick;
    return plain;
  }

  /** RTCP compound packet in, SRTCP out (RFC 3711 §3.4). */
  protectRtcp(packet: Buffer): Buffer {
    checkRtcpHeader(packet, 0);
    const ssrc = packet.readUInt32BE(4);
    const state = this.sendState(ssrc);
    const index = state.nextRtcpIndex;
    if (index >= SRTCP_INDEX_LIMIT) {
      // RFC 3711 §9.2: the master key must be replaced before the 31-bit SRTCP index wraps.
      throw new SrtpConfigError(`SRTCP index exhausted for SSRC ${ssrc}: rekey`, 'masterKey');
    }
    state.nextRtcpIndex = index + 1;
    return this.transform.protectRtcp(packet, ssrc, index, this.encryptRtcp);
  }

  /** SRTCP in, authenticated RTCP out (RFC 3711 §3.4). */
  unprotectRtcp(packet: Buffer): Buffer {
    checkRtcpHeader(packet, SRTCP_INDEX_LENGTH + this.transform.rtcpTagLength);
    const ssrc = packet.readUInt32BE(4);
    const word = packet.readUInt32BE(this.transform.srtcpIndexOffset(packet.length));
    const encrypted = (word & SRTCP_E_FLAG) !== 0;
    const index = word & 0x7fff_ffff;
    const state = this.receiving.get(ssrc);
    if (state) this.checkReplay(state.rtcp, index, 'SRTCP', ssrc);
    const plain = this.transform.unprotectRtcp(packet, ssrc, index, encrypted);
    if (!plain) throw new SrtpError('SRTP_AUTH_FAIL', `SRTCP packet ${index} of SSRC ${ssrc} failed authentication`);
    const accepted = state ?? this.newReceiveState(ssrc, 'SRTCP');
    accepted.rtcp.accept(index);
    accepted.lastUse = ++this.tick;
    return plain;
  }

  /** Drops the state of an SSRC (after an RTCP BYE, RFC 3550 §6.6). */
  forgetSsrc(ssrc: number): void {
    this.sending.delete(ssrc);
    this.receiving.delete(ssrc);
  }

  /** Rollover counter last used or accepted for an SSRC (for diagnostics and tests). */
  rolloverCounter(ssrc: number, direction: 'send' | 'receive'): number | undefined {
    const highest = direction === 'send' ? this.sending.get(ssrc)?.highestIndex : this.receiving.get(ssrc)?.rtp.highestIndex;
    return highest === undefined || highest < 0 ? undefined : rocOf(highest);
  }

  /** SSRCs with state, per direction. */
  get ssrcCount(): { send: number; receive: number } {
    return { send: this.sending.size, receive: this.receiving.size };
  }

  private checkReplay(window: ReplayWindow, index: number, what: string, ssrc: number): void {
    const verdict = window.check(index);
    if (verdict === 'replay') throw new SrtpError('SRTP_REPLAY', `${what} index ${index} of SSRC ${ssrc} was already received`);
    if (verdict === 'too-old') throw new SrtpError('SRTP_TOO_OLD', `${what} index ${index} of SSRC ${ssrc} is older than the replay window`);
  }

  private sendState(ssrc: number): SendState {
    let state = this.sending.get(ssrc);
    if (!state) {
      evictLeastRecentlyUsed(this.sending, this.maxSsrcs);
      state = { highestIndex: -1, nextRtcpIndex: 0, lastUse: 0 };
      this.sending.set(ssrc, state);
    }
    state.lastUse = ++this.tick;
    return state;
  }

  /** State for an authenticated new SSRC; throws SrtpSsrcLimitError when full of active ones. */
  private newReceiveState(ssrc: number, what: string): ReceiveState {
    if (this.receiving.size >= this.maxSsrcs) {
      const oldest = leastRecentlyUsed(this.receiving);
      if (oldest === undefined || this.tick - oldest.lastUse < this.idlePackets) {
        throw new SrtpSsrcLimitError(`${what} packet of a new SSRC ${ssrc} dropped: state kept for ${this.maxSsrcs} active SSRCs already`);
      }
      this.receiving.delete(oldest.ssrc);
    }
    const state: ReceiveState = { rtp: new ReplayWindow(this.replayWindow), rtcp: new ReplayWindow(this.replayWindow), lastUse: 0 };
    this.receiving.set(ssrc, state);
    return state;
  }
}

function leastRecentlyUsed(map: Map<number, { lastUse: number }>): { ssrc: number; lastUse: number } | undefined {
  let oldest: { ssrc: number; lastUse: number } | undefined;
  for (const [ssrc, s] of map) if (!oldest || s.lastUse < oldest.lastUse) oldest = { ssrc, lastUse: s.lastUse };
  return oldest;
}

function evictLeastRecentlyUsed(map: Map<number, { lastUse: number }>, max: number): void {
  if (map.size < max) return;
  const oldest = leastRecentlyUsed(map);
  if (oldest !== undefined) map.delete(oldest.ssrc);
}
