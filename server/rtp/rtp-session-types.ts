/**
 * The public shapes of an RTP session (RFC 3550): its options (and their validation), what it
 * emits, and the plain statistics snapshot it gives (JSON-serialisable, so it crosses a worker
 * boundary as is).
 */
import type { Clock } from '../util/clock.js';
import { AcipError } from '../util/errors.js';
import type { ReceiverStatsSnapshot, SeqVerdict } from './receiver-stats.js';
import type { RtcpPacket } from './rtcp/compound.js';
import type { RtcpParseErrorCode } from './rtcp/rtcp-common.js';
import type { PortRange } from './port-pair.js';
import type { RtpPacket, RtpParseErrorCode } from './rtp-packet.js';
import type { SrtpStage, SrtpStats } from './srtp-stage.js';

export interface RtpEndpoint {
  address: string;
  rtpPort: number;
  /** Defaults to rtpPort + 1. */
  rtcpPort?: number;
}

/** pino's Logger satisfies this. */
export interface RtpLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface RtpSessionOptions {
  /** Drives RTCP scheduling and arrival stamps (`now()`), and SR NTP timestamps (`wallNow()`). */
  clock: Clock;
  /** Address to bind both sockets on, e.g. '0.0.0.0' or '127.0.0.1'. */
  localHost: string;
  /**
   * Exact ports to bind. `{ rtp: 0, rtcp: 0 }` binds two ephemeral ports (not an even/odd pair:
   * for tests). When absent, a free even/odd pair is allocated in `portRange`.
   */
  ports?: { rtp: number; rtcp?: number };
  /** Default 5004–5999 (EBU Tech 3326 starts at 5004/5005). */
  portRange?: PortRange;
  /** Where to send; may come later with `setRemote()` or by latching (symmetric RTP). */
  remote?: RtpEndpoint;
  /** Our SSRC; random (RFC 3550 §8.1) when absent. */
  ssrc?: number;
  /** SDES CNAME (§6.5.1), e.g. `acip@<host>` or a random token. */
  cname: string;
  /** RTP clock rate of the negotiated payload format (e.g. 48000; 8000 for G.722). */
  clockRate: number;
  /** Payload type we send. */
  payloadType: number;
  /** Payload types we accept; defaults to [payloadType]. Others are dropped and counted. */
  acceptPayloadTypes?: number[];
  /**
   * Payload types of a second stream that shares the session's transport but not its SSRC and
   * sequence numbers (an RFC 4588 RTX stream): emitted as 'side' after the source checks and
   * latching, never counted in the A.1 statistics of the remote source.
   */
  sidePayloadTypes?: number[];
  /** RFC 4961 symmetric RTP with latching. Default true. */
  symmetric?: boolean;
  /** Session bandwidth in kbit/s for the RTCP interval (§6.2); default 128. */
  sessionBandwidthKbps?: number;
  /** Use the §6.2 reduced minimum interval 360/kbps instead of 5 s. Default false. */
  rtcpReducedMinimum?: boolean;
  /** Override the minimum RTCP interval in seconds (tests, or a profile setting). */
  rtcpMinIntervalS?: number;
  /** RFC 5506 reduced-size RTCP: accept compound packets not starting with SR/RR. Default false. */
  rtcpReducedSize?: boolean;
  /** Random source in [0,1) for the RTCP interval (A.7 drand48); Math.random by default. */
  random?: () => number;
  /** Initial sequence number and timestamp offset (random per §5.1 when absent; tests may fix them). */
  initialSeq?: number;
  initialTimestamp?: number;
  logger?: RtpLogger;
  /**
   * SRTP (RFC 3711): protect what we send and authenticate what we receive, before latching and
   * parsing. May be set or replaced later with `setSrtp()`. Absent: clear RTP.
   */
  srtp?: SrtpStage;
}

export interface RtpReceived {
  packet: RtpPacket;
  /** `clock.now()` when the datagram was handled. */
  arrivalMs: number;
  /** What the A.1 bookkeeping made of it ('ok', 'reordered', 'duplicate', 'restart'). */
  verdict: Exclude<SeqVerdict, 'bad' | 'probation'>;
}

export interface RtpRemoteReport {
  /** Fraction of our packets the far end lost in its last interval, 0..1. */
  fractionLost: number;
  /** Cumulative packets of ours the far end lost (signed, §6.4.1). */
  cumulativeLost: number;
  /** Interarrival jitter of our stream at the far end, ms. */
  jitterMs: number;
  /** Extended highest sequence number the far end received from us. */
  highestSeq: number;
  /** `clock.now()` when the report arrived. */
  receivedAtMs: number;
}

export type RtpMalformedCounts = Record<RtpParseErrorCode, number>;
export type RtcpMalformedCounts = Record<RtcpParseErrorCode, number>;

/** Plain, JSON-serialisable snapshot (crosses a worker boundary as is). */
export interface RtpSessionStats {
  ssrc: number;
  cname: string;
  local: { address: string; rtpPort: number; rtcpPort: number };
  /** Where we send RTP/RTCP now (configured or latched), null if nowhere yet. */
  remote: { address: string; rtpPort: number; rtcpPort: number } | null;
  /** RTP destination latched from the peer's media (RFC 4961). */
  latched: boolean;
  rtcpLatched: boolean;
  remoteSsrc: number | null;
  remoteCname: string | null;
  /** `clock.now()` of the last RTP packet accepted, null before the first. */
  lastRxMs: number | null;
  closed: boolean;
  tx: {
    packets: number;
    /** Payload octets (as the SR octet count, §6.4.1). */
    octets: number;
    /** RTP packets (header + payload) over the last ~2 s, bit/s. */
    bitrateBps: number;
    /** Sends with no destination yet, or failed at the socket. */
    dropped: number;
    rtcpPackets: number;
    rtcpOctets: number;
  };
  rx: {
    /** Packets accepted from the remote source (A.1 counting for the current source: duplicates included). */
    packets: number;
    /** Payload octets accepted (all sources). */
    octets: number;
    bitrateBps: number;
    expected: number;
    /** A.3 cumulative lost (expected − received); may be negative with duplicates. */
    lost: number;
    /** lost / expected over the whole session for the current source, 0..1. */
    lossFraction: number;
    duplicates: number;
    reordered: number;
    jitterMs: number;
    /** Datagrams that failed to parse, total and by reason. */
    malformed: number;
    malformedByReason: RtpMalformedCounts;
    wrongPt: number;
    /** From an address other than the latched one (RTP bleed attempts). */
    foreignSource: number;
    /** Dropped by A.1 as a large sequence jump or too late (bad_seq). */
    badSeq: number;
    /** Times the remote SSRC changed. */
    ssrcChanges: number;
    rtcpPackets: number;
    rtcpMalformed: number;
    rtcpMalformedByReason: RtcpMalformedCounts;
    rtcpForeignSource: number;
  };
  /** What the far end reports about our stream (from its last SR/RR block about our SSRC). */
  remoteReport: RtpRemoteReport | null;
  /** Latest round-trip time from LSR/DLSR, ms. */
  rttMs: number | null;
  /** Full A.1/A.3/A.8 view of the current remote source. */
  source: ReceiverStatsSnapshot | null;
  /** The SRTP stage's keys and drop counters, when the session runs SRTP. */
  srtp?: SrtpStats;
}

export type RtpSessionEvents = {
  /** A packet accepted from the remote source (in arrival order; probation packets released in order). */
  rtp: [RtpReceived];
  /** A packet of one of the side payload types (see `sidePayloadTypes`). */
  side: [{ packet: RtpPacket; arrivalMs: number }];
  /** A compound RTCP packet accepted. */
  rtcp: [{ packets: RtcpPacket[]; arrivalMs: number }];
  /** The remote source said BYE (§6.6). */
  bye: [{ ssrc: number; reason: string | undefined }];
  /** We latched a send destination from the peer's traffic (RFC 4961). */
  latched: [{ kind: 'rtp' | 'rtcp'; address: string; port: number }];
  /** A socket error (the session stays open; sends may fail). */
  error: [Error];
};

/** A zero count per error code (the session counts malformed datagrams by reason). */
export function zeroMalformedCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  const o = {} as Record<K, number>;
  for (const k of keys) o[k] = 0;
  return o;
}

/** Throws RTP_OPTIONS for options no session can run with. */
export function validateRtpSessionOptions(o: RtpSessionOptions): void {
  if (!Number.isInteger(o.clockRate) || o.clockRate <= 0) {
    throw new AcipError('RTP_OPTIONS', `clockRate ${o.clockRate} must be a positive integer`, 'clockRate');
  }
  if (!Number.isInteger(o.payloadType) || o.payloadType < 0 || o.payloadType > 127) {
    throw new AcipError('RTP_OPTIONS', `payloadType ${o.payloadType} must be 0..127`, 'payloadType');
  }
  if (o.ssrc !== undefined && (!Number.isInteger(o.ssrc) || o.ssrc < 0 || o.ssrc > 0xffff_ffff)) {
    throw new AcipError('RTP_OPTIONS', `ssrc ${o.ssrc} must be a 32-bit unsigned integer`, 'ssrc');
  }
  if (Buffer.byteLength(o.cname) > 255) {
    throw new AcipError('RTP_OPTIONS', 'cname longer than 255 octets', 'cname');
  }
}

export type MutableRemote = { address: string; rtpPort: number; rtcpPort: number };

export function sumCounts(o: Record<string, number>): number {
  let n = 0;
  for (const v of Object.values(o)) n += v;
  return n;
}

/** A remote endpoint with its RTCP port filled in (RFC 3550 §11: RTP port + 1 by default). */
export function toRemote(r: RtpEndpoint): MutableRemote {
  return { address: r.address, rtpPort: r.rtpPort, rtcpPort: r.rtcpPort ?? r.rtpPort + 1 };
}

/** Payload type kinds: not ours (dropped), the stream's ('rtp' events), a side stream's (RTX: 'side' events). */
export const PT_NONE = 0;
export const PT_STREAM = 1;
export const PT_SIDE = 2;

/** The table of what each of the 128 payload types is; a type in both lists is the stream's. */
export function ptKinds(accept: readonly number[], side: readonly number[]): Uint8Array {
  const t = new Uint8Array(128);
  for (const pt of side) if (pt >= 0 && pt < 128) t[pt] = PT_SIDE;
  for (const pt of accept) if (pt >= 0 && pt < 128) t[pt] = PT_STREAM;
  return t;
}
