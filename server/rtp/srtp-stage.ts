/**
 * The SRTP packet-transform stage of an RTP session (RFC 3711): between the socket and the RTP/RTCP
 * parsers on the way in, between the serializers and the socket on the way out. It holds one
 * context per direction and master key, keyed as SDES says (RFC 4568 §6.1): we send with the key of
 * OUR a=crypto line and receive with the key of the PEER's. Each context keeps its rollover counter,
 * replay list and SRTCP index per SSRC (RFC 3711 §3.2.3, srtp-context.ts), so the RFC 4588 RTX
 * stream, with its own SSRC and sequence numbers, goes through the same stage as the media under
 * the same master key, both ways, without touching the media's state. The SSRCs a context tracks
 * are bounded; a packet of one more, while all are active, is dropped and counted as
 * `SRTP_SSRC_LIMIT` (and in `ssrcLimitDropped`, both protocols together).
 *
 * Inbound it runs first, before symmetric-RTP latching and before any parse that changes state: a
 * forged, replayed or too-old packet (RFC 3711 §3.3: estimate the index, check the replay list,
 * verify the tag) never reaches them. Each rejection is counted by its stable code, per protocol.
 * A stage without a receive key (keys not negotiated yet) drops everything as `SRTP_NO_KEY`: a link
 * that expects SRTP never plays or latches on clear RTP. Without a send key nothing is sent.
 *
 * Rekeying (a re-INVITE with new a=crypto, RFC 4568 §7.1.4) replaces only the context of the
 * direction whose key changed; an unchanged key keeps its context, so the rollover counter and the
 * replay list carry on (a fresh context under the same key would restart ROC at 0, RFC 3711 §3.3.1).
 * The stage outlives the RtpSession it serves when the media session reopens its sockets.
 */
import { SRTP_ERROR_CODES } from '../util/errors.js';
import { SrtpConfigError, SrtpError, SrtpSsrcLimitError } from './srtp/srtp-error.js';
import { SrtpContext } from './srtp/srtp-context.js';
import type { SrtpSuiteName } from './srtp/srtp-suite.js';

/** One direction's key material, as it comes from an a=crypto line. Plain data (crosses a worker boundary). */
export interface SrtpKeyParams {
  suite: SrtpSuiteName;
  /** A Buffer or any Uint8Array. */
  masterKey: Uint8Array;
  masterSalt: Uint8Array;
  /** Send SRTCP encrypted (default true; false after UNENCRYPTED_SRTCP, RFC 4568 §6.3.2). */
  encryptRtcp?: boolean;
  /** SRTCP tag length for AES-CM suites (see SrtpContextOptions.rtcpTagLength). */
  rtcpTagLength?: 4 | 10;
}

/** Both directions; null where no key is known yet. */
export interface SrtpParams {
  send: SrtpKeyParams | null;
  receive: SrtpKeyParams | null;
}

/** Why an inbound SRTP/SRTCP packet was dropped. */
export const SRTP_DROP_REASONS = [...SRTP_ERROR_CODES, 'SRTP_NO_KEY', 'SRTP_SSRC_LIMIT'] as const;
export type SrtpDropReason = (typeof SRTP_DROP_REASONS)[number];
export type SrtpDropCounts = Record<SrtpDropReason, number>;
/** Every reason an inbound packet is refused, a new SSRC beyond the bound included. */
export type SrtpRejection = SrtpDropReason;

/** Plain snapshot of the stage. */
export interface SrtpStats {
  /** Suite of the send context, else of the receive context; null before any key. */
  suite: SrtpSuiteName | null;
  sendKeyed: boolean;
  receiveKeyed: boolean;
  /** Inbound SRTP packets dropped for a bad packet or a missing key, total (SSRC-limit drops apart), and every drop by reason. */
  dropped: number;
  droppedByReason: SrtpDropCounts;
  /** Inbound SRTCP packets dropped, total and by reason. */
  rtcpDropped: number;
  rtcpDroppedByReason: SrtpDropCounts;
  /** Outbound packets that could not be protected (no send key, or the index is exhausted). */
  sendFailed: number;
  /** Inbound SRTP and SRTCP packets of a new SSRC dropped because the receive context was full. */
  ssrcLimitDropped: number;
  /** SSRCs with state in the send and receive contexts (the media, its RTX stream, ...). */
  ssrcs: { send: number; receive: number };
}

function zeroCounts(): SrtpDropCounts {
  const o = {} as SrtpDropCounts;
  for (const r of SRTP_DROP_REASONS) o[r] = 0;
  return o;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** True when two key params would build the same context. */
export function sameSrtpKey(a: SrtpKeyParams | null, b: SrtpKeyParams | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.suite === b.suite &&
    (a.encryptRtcp ?? true) === (b.encryptRtcp ?? true) &&
    a.rtcpTagLength === b.rtcpTagLength &&
    sameBytes(a.masterKey, b.masterKey) &&
    sameBytes(a.masterSalt, b.masterSalt)
  );
}

function contextOf(k: SrtpKeyParams | null): SrtpContext | null {
  if (!k) return null;
  return new SrtpContext({
    suite: k.suite,
    masterKey: k.masterKey,
    masterSalt: k.masterSalt,
    ...(k.encryptRtcp !== undefined ? { encryptRtcp: k.encryptRtcp } : {}),
    ...(k.rtcpTagLength !== undefined ? { rtcpTagLength: k.rtcpTagLength } : {}),
  });
}

export class SrtpStage {
  private keys: SrtpParams;
  private sender: SrtpContext | null;
  private receiver: SrtpContext | null;
  private readonly droppedByReason = zeroCounts();
  private readonly rtcpDroppedByReason = zeroCounts();
  private sendFailed = 0;
  private ssrcLimitDropped = 0;

  /** Throws SrtpConfigError (SRTP_CONFIG) for unusable keys. */
  constructor(params: SrtpParams) {
    this.keys = params;
    this.sender = contextOf(params.send);
    this.receiver = contextOf(params.receive);
  }

  /** New keys (re-INVITE/UPDATE): a direction whose key is unchanged keeps its context. */
  rekey(params: SrtpParams): void {
    const sender = sameSrtpKey(this.keys.send, params.send) ? this.sender : contextOf(params.send);
    const receiver = sameSrtpKey(this.keys.receive, params.receive) ? this.receiver : contextOf(params.receive);
    this.sender = sender;
    this.receiver = receiver;
    this.keys = params;
  }

  /** SRTP for an RTP packet, or null when it cannot be protected (then it must not be sent). */
  protectRtp(packet: Buffer): Buffer | null {
    return this.protect(packet, 'rtp');
  }

  protectRtcp(packet: Buffer): Buffer | null {
    return this.protect(packet, 'rtcp');
  }

  /** The authenticated, decrypted RTP packet, or the reason it is dropped (counted here). */
  unprotectRtp(datagram: Buffer): Buffer | SrtpRejection {
    return this.unprotect(datagram, 'rtp');
  }

  unprotectRtcp(datagram: Buffer): Buffer | SrtpRejection {
    return this.unprotect(datagram, 'rtcp');
  }

  stats(): SrtpStats {
    const ctx = this.sender ?? this.receiver;
    return {
      suite: ctx ? ctx.suite.name : null,
      sendKeyed: this.sender !== null,
      receiveKeyed: this.receiver !== null,
      dropped: sum(this.droppedByReason) - this.droppedByReason.SRTP_SSRC_LIMIT,
      droppedByReason: { ...this.droppedByReason },
      rtcpDropped: sum(this.rtcpDroppedByReason) - this.rtcpDroppedByReason.SRTP_SSRC_LIMIT,
      rtcpDroppedByReason: { ...this.rtcpDroppedByReason },
      sendFailed: this.sendFailed,
      ssrcLimitDropped: this.ssrcLimitDropped,
      ssrcs: { send: this.sender?.ssrcCount.send ?? 0, receive: this.receiver?.ssrcCount.receive ?? 0 },
    };
  }

  private protect(packet: Buffer, kind: 'rtp' | 'rtcp'): Buffer | null {
    const ctx = this.sender;
    if (!ctx) {
      this.sendFailed++;
      return null;
    }
    try {
      return kind === 'rtp' ? ctx.protectRtp(packet) : ctx.protectRtcp(packet);
    } catch (err) {
      // Our own packets: only an exhausted index (rekey needed) or a packet older than the first sent.
      if (!(err instanceof SrtpError || err instanceof SrtpConfigError)) throw err;
      this.sendFailed++;
      return null;
    }
  }

  private unprotect(datagram: Buffer, kind: 'rtp' | 'rtcp'): Buffer | SrtpRejection {
    const counts = kind === 'rtp' ? this.droppedByReason : this.rtcpDroppedByReason;
    const ctx = this.receiver;
    if (!ctx) {
      counts.SRTP_NO_KEY++;
      return 'SRTP_NO_KEY';
    }
    try {
      return kind === 'rtp' ? ctx.unprotectRtp(datagram) : ctx.unprotectRtcp(datagram);
    } catch (err) {
      if (err instanceof SrtpSsrcLimitError) {
        this.ssrcLimitDropped++;
        counts.SRTP_SSRC_LIMIT++;
        return err.code;
      }
      if (!(err instanceof SrtpError)) throw err;
      counts[err.code]++;
      return err.code;
    }
  }
}

function sum(o: Record<string, number>): number {
  let n = 0;
  for (const v of Object.values(o)) n += v;
  return n;
}
