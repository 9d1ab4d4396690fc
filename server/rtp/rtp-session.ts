/**
 * One RTP session (RFC 3550) for one media stream between two parties: the two UDP sockets
 * (RTP on an even port, RTCP on the next), sending with our SSRC, receiving from one remote
 * source, RTCP reports at the §6.3 interval, statistics both ways, symmetric RTP (RFC 4961).
 *
 * Network input never throws out of a socket handler: every malformed or unwanted datagram is
 * dropped and counted by reason (and logged, rate-limited).
 *
 * Not here: jitter buffering, decoding, the no-media timeout (the media session's job; it reads
 * `lastRxMs`), SRTP, rtcp-mux (RFC 5761), RTCP feedback (RFC 4585) and RTCP timer
 * reconsideration for large groups (§6.3.3–6.3.7; this is a two-party session).
 */
import type dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../util/clock.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { AcipError } from '../util/errors.js';
import { parseRtp, RtpParseError, serializeRtp, type RtpPacket, type RtpParseErrorCode } from './rtp-packet.js';
import {
  parseRtcp,
  RtcpParseError,
  sdesItem,
  SDES_CNAME,
  serializeRtcp,
  type ReportBlock,
  type RtcpPacket,
  type RtcpParseErrorCode,
} from './rtcp-packet.js';
import { ReceiverStats, type SeqVerdict, type ReceiverStatsSnapshot } from './receiver-stats.js';
import { ntpFromUnixMs, ntpMiddle32 } from './ntp.js';
import { rttFromCompactNtp, SrSendLog } from './rtt.js';
import {
  rtcpBandwidthOctets,
  rtcpIntervalS,
  reducedMinimumS,
  updateAvgRtcpSize,
  RTCP_MIN_TIME_S,
  UDP_IPV4_OVERHEAD,
  UDP_IPV6_OVERHEAD,
} from './rtcp-interval.js';
import { allocatePortPair, bindPortPair, DEFAULT_PORT_RANGE, type BoundPortPair, type PortRange } from './port-pair.js';
import { RateMeter } from './rate-meter.js';
import { seqAdd, seq16, ts32, tsAdd } from './seq.js';
import { isIPv6 } from 'node:net';

export { allocatePortPair, bindPortPair, DEFAULT_PORT_RANGE, type PortRange, type BoundPortPair } from './port-pair.js';

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
}

export type RtpSessionEvents = {
  /** A packet accepted from the remote source (in arrival order; probation packets released in order). */
  rtp: [RtpReceived];
  /** A compound RTCP packet accepted. */
  rtcp: [{ packets: RtcpPacket[]; arrivalMs: number }];
  /** The remote source said BYE (§6.6). */
  bye: [{ ssrc: number; reason: string | undefined }];
  /** We latched a send destination from the peer's traffic (RFC 4961). */
  latched: [{ kind: 'rtp' | 'rtcp'; address: string; port: number }];
  /** A socket error (the session stays open; sends may fail). */
  error: [Error];
};

type MutableRemote = { address: string; rtpPort: number; rtcpPort: number };

function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  const o = {} as Record<K, number>;
  for (const k of keys) o[k] = 0;
  return o;
}

const RTP_ERROR_CODES: readonly RtpParseErrorCode[] = ['RTP_SHORT', 'RTP_VERSION', 'RTP_CSRC_OVERRUN', 'RTP_EXT_OVERRUN', 'RTP_PADDING'];
const RTCP_ERROR_CODES: readonly RtcpParseErrorCode[] = [
  'RTCP_SHORT',
  'RTCP_VERSION',
  'RTCP_LENGTH_OVERRUN',
  'RTCP_COUNT_OVERRUN',
  'RTCP_PADDING',
  'RTCP_SDES',
  'RTCP_BYE',
  'RTCP_NOT_REPORT_FIRST',
];

function random32(): number {
  return randomBytes(4).readUInt32BE(0);
}

export class RtpSession extends TypedEmitter<RtpSessionEvents> {
  readonly ssrc: number;
  readonly cname: string;
  readonly clockRate: number;
  readonly payloadType: number;

  private readonly clock: Clock;
  private readonly rtpSock: dgram.Socket;
  private readonly rtcpSock: dgram.Socket;
  private readonly localAddress: string;
  private readonly rtpPort: number;
  private readonly rtcpPort: number;
  private readonly acceptPt: Set<number>;
  private readonly symmetric: boolean;
  private readonly logger: RtpLogger | undefined;
  private readonly random: () => number;
  private readonly requireReportFirst: boolean;
  private readonly sessionKbps: number;
  private readonly minIntervalS: number;
  private readonly ipOverhead: number;

  // Send side.
  private remote: MutableRemote | null;
  private latchedRtp: { address: string; port: number } | null = null;
  private latchedRtcp: { address: string; port: number } | null = null;
  private seq: number;
  private readonly tsOffset: number;
  private txPackets = 0;
  private txOctets = 0;
  private txDropped = 0;
  private txRtcpPackets = 0;
  private txRtcpOctets = 0;
  private lastTxRtpTs: number | undefined;
  private lastTxMs = 0;
  private sentSinceReport = false;
  private readonly txRate = new RateMeter();
  private readonly srLog = new SrSendLog();

  // Receive side.
  private source: ReceiverStats | null = null;
  private remoteCname: string | null = null;
  private held: RtpReceived[] = [];
  private pendingSr: { ssrc: number; lsr: number; arrivalMs: number } | null = null;
  private rxOctets = 0;
  private readonly rxRate = new RateMeter();
  private rxSinceReport = false;
  private malformedByReason: RtpMalformedCounts = zeroCounts(RTP_ERROR_CODES);
  private rtcpMalformedByReason: RtcpMalformedCounts = zeroCounts(RTCP_ERROR_CODES);
  private wrongPt = 0;
  private foreign = 0;
  private rtcpForeign = 0;
  private ssrcChanges = 0;
  private rxRtcpPackets = 0;
  private lastRx: number | null = null;
  private remoteReport: RtpRemoteReport | null = null;
  private rtt: number | null = null;

  // RTCP scheduling.
  private avgRtcpSize: number;
  private initialReport = true;
  private rtcpTimer: TimerHandle | null = null;
  private closing: Promise<void> | null = null;
  private logCounts = new Map<string, number>();

  /** Open a session: binds its sockets, starts RTCP. */
  static async open(options: RtpSessionOptions): Promise<RtpSession> {
    validateOptions(options);
    const pair = options.ports
      ? await bindPortPair(options.localHost, options.ports.rtp, options.ports.rtcp)
      : await allocatePortPair(options.portRange ?? DEFAULT_PORT_RANGE, options.localHost);
    return new RtpSession(options, pair);
  }

  private constructor(options: RtpSessionOptions, pair: BoundPortPair) {
    super();
    this.clock = options.clock;
    this.rtpSock = pair.rtp;
    this.rtcpSock = pair.rtcp;
    this.localAddress = options.localHost;
    this.rtpPort = pair.rtpPort;
    this.rtcpPort = pair.rtcpPort;
    this.ssrc = options.ssrc ?? random32();
    this.cname = options.cname;
    this.clockRate = options.clockRate;
    this.payloadType = options.payloadType;
    this.acceptPt = new Set(options.acceptPayloadTypes ?? [options.payloadType]);
    this.symmetric = options.symmetric ?? true;
    this.logger = options.logger;
    this.random = options.random ?? Math.random;
    this.requireReportFirst = !(options.rtcpReducedSize ?? false);
    this.sessionKbps = options.sessionBandwidthKbps ?? 128;
    this.minIntervalS =
      options.rtcpMinIntervalS ?? (options.rtcpReducedMinimum ? reducedMinimumS(this.sessionKbps) : RTCP_MIN_TIME_S);
    this.ipOverhead = isIPv6(options.localHost) ? UDP_IPV6_OVERHEAD : UDP_IPV4_OVERHEAD;
    // §5.1: initial sequence number and timestamp SHOULD be random.
    this.seq = seq16(options.initialSeq ?? random32());
    this.tsOffset = ts32(options.initialTimestamp ?? random32());
    this.remote = options.remote ? toRemote(options.remote) : null;
    // §6.3.2: avg_rtcp_size starts at the probable size of the first compound packet (RR + SDES).
    this.avgRtcpSize = this.ipOverhead + 8 + 24 + 4 + 4 + 2 + Buffer.byteLength(this.cname) + 4;
    this.onListenerError = (event, err) => this.logger?.warn({ event, err }, 'rtp session listener threw');

    this.rtpSock.on('message', (msg, rinfo) => this.safely('rtp', () => this.onRtp(msg, rinfo)));
    this.rtcpSock.on('message', (msg, rinfo) => this.safely('rtcp', () => this.onRtcp(msg, rinfo)));
    this.rtpSock.on('error', (err) => this.emit('error', err));
    this.rtcpSock.on('error', (err) => this.emit('error', err));
    this.scheduleRtcp();
  }

  // ------------------------------------------------------------------------------------------
  // Public surface

  get localRtpPort(): number {
    return this.rtpPort;
  }

  get localRtcpPort(): number {
    return this.rtcpPort;
  }

  /** `clock.now()` of the last RTP packet accepted from the remote source, null before the first. */
  get lastRxMs(): number | null {
    return this.lastRx;
  }

  get isClosed(): boolean {
    return this.closing !== null;
  }

  /** Set or change the destination (e.g. after a re-INVITE). Clears any latch. */
  setRemote(remote: RtpEndpoint): void {
    this.remote = toRemote(remote);
    this.latchedRtp = null;
    this.latchedRtcp = null;
  }

  /**
   * Send one RTP packet. `timestamp` is in clock-rate units from the caller's own origin (e.g. the
   * sample count); the session adds its random offset (§5.1). Returns false if not sent
   * (no destination yet, or closed).
   */
  send(payload: Buffer, timestamp: number, marker = false): boolean {
    if (this.closing) return false;
    const dest = this.rtpDestination();
    if (!dest) {
      this.txDropped++;
      return false;
    }
    const rtpTs = tsAdd(this.tsOffset, ts32(timestamp));
    const buf = serializeRtp({
      padding: 0,
      marker,
      payloadType: this.payloadType,
      sequenceNumber: this.seq,
      timestamp: rtpTs,
      ssrc: this.ssrc,
      csrcs: [],
      extension: undefined,
      payload,
    });
    this.seq = seqAdd(this.seq, 1);
    const now = this.clock.now();
    this.txPackets++;
    // SR counts wrap modulo 2^32 (§6.4.1).
    this.txOctets += payload.length;
    this.lastTxRtpTs = rtpTs;
    this.lastTxMs = now;
    this.sentSinceReport = true;
    this.txRate.add(now, buf.length);
    this.rtpSock.send(buf, dest.port, dest.address, (err) => {
      if (err) {
        this.txDropped++;
        this.logLimited('tx-error', { err: err.message }, 'rtp send failed');
      }
    });
    return true;
  }

  stats(): RtpSessionStats {
    const now = this.clock.now();
    const src = this.source?.snapshot() ?? null;
    const rtpDest = this.rtpDestination();
    const rtcpDest = this.rtcpDestination();
    const rtpAddr = rtpDest?.address ?? null;
    return {
      ssrc: this.ssrc,
      cname: this.cname,
      local: { address: this.localAddress, rtpPort: this.localRtpPort, rtcpPort: this.localRtcpPort },
      remote:
        rtpDest && rtpAddr !== null
          ? { address: rtpAddr, rtpPort: rtpDest.port, rtcpPort: rtcpDest?.port ?? rtpDest.port + 1 }
          : null,
      latched: this.latchedRtp !== null,
      rtcpLatched: this.latchedRtcp !== null,
      remoteSsrc: this.source?.ssrc ?? null,
      remoteCname: this.remoteCname,
      lastRxMs: this.lastRx,
      closed: this.closing !== null,
      tx: {
        packets: this.txPackets,
        octets: this.txOctets,
        bitrateBps: this.txRate.bitsPerSecond(now),
        dropped: this.txDropped,
        rtcpPackets: this.txRtcpPackets,
        rtcpOctets: this.txRtcpOctets,
      },
      rx: {
        packets: src?.received ?? 0,
        octets: this.rxOctets,
        bitrateBps: this.rxRate.bitsPerSecond(now),
        expected: src?.expected ?? 0,
        lost: src?.lost ?? 0,
        lossFraction: src && src.expected > 0 ? Math.max(0, src.lost) / src.expected : 0,
        duplicates: src?.duplicates ?? 0,
        reordered: src?.reordered ?? 0,
        jitterMs: src?.jitterMs ?? 0,
        malformed: sum(this.malformedByReason),
        malformedByReason: { ...this.malformedByReason },
        wrongPt: this.wrongPt,
        foreignSource: this.foreign,
        badSeq: src?.badSeq ?? 0,
        ssrcChanges: this.ssrcChanges,
        rtcpPackets: this.rxRtcpPackets,
        rtcpMalformed: sum(this.rtcpMalformedByReason),
        rtcpMalformedByReason: { ...this.rtcpMalformedByReason },
        rtcpForeignSource: this.rtcpForeign,
      },
      remoteReport: this.remoteReport ? { ...this.remoteReport } : null,
      rttMs: this.rtt,
      source: src,
    };
  }

  /** Send a report now (outside the schedule), e.g. right after media starts. No-op when closed. */
  sendReport(): void {
    if (this.closing) return;
    this.sendCompound([]);
  }

  /**
   * Idempotent. Sends RTCP BYE (§6.6, with `reason` if given), cancels the RTCP timer, closes both
   * sockets. Resolves once the sockets are closed.
   */
  close(reason?: string): Promise<void> {
    if (this.closing) return this.closing;
    this.rtcpTimer?.cancel();
    this.rtcpTimer = null;
    this.closing = new Promise<void>((resolve) => {
      const finish = (): void => {
        let open = 2;
        const done = (): void => {
          if (--open === 0) resolve();
        };
        for (const s of [this.rtpSock, this.rtcpSock]) {
          try {
            s.close(done);
          } catch {
            done();
          }
        }
      };
      const bye: RtcpPacket = {
        type: 'bye',
        padding: 0,
        ssrcs: [this.ssrc],
        reason: reason === undefined ? undefined : Buffer.from(reason, 'utf8').subarray(0, 255),
      };
      // §6.1: BYE goes last in a compound packet that starts with a report.
      let sent = false;
      try {
        sent = this.sendCompound([bye], finish);
      } catch (err) {
        this.logLimited('bye', { err }, 'rtcp bye not sent');
      }
      if (!sent) finish();
    });
    return this.closing;
  }

  // ------------------------------------------------------------------------------------------
  // Receive path

  private safely(kind: string, fn: () => void): void {
    if (this.closing) return;
    try {
      fn();
    } catch (err) {
      // A bug, not bad input (bad input is handled below); never let it out of the socket handler.
      this.logLimited(`bug-${kind}`, { err }, 'rtp session handler failed');
    }
  }

  private rtpDestination(): { address: string; port: number } | null {
    if (this.latchedRtp) return this.latchedRtp;
    return this.remote ? { address: this.remote.address, port: this.remote.rtpPort } : null;
  }

  private rtcpDestination(): { address: string; port: number } | null {
    if (this.latchedRtcp) return this.latchedRtcp;
    if (this.remote) return { address: this.remote.address, port: this.remote.rtcpPort };
    // Latched RTP but no RTCP heard yet: RTCP goes to the next port up (§11).
    if (this.latchedRtp) return { address: this.latchedRtp.address, port: this.latchedRtp.port + 1 };
    return null;
  }

  private onRtp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    // RFC 4961 symmetric RTP: once latched, only the latched address:port is our peer. Checked
    // before parsing so that a flood from elsewhere costs nothing.
    if (this.symmetric && this.latchedRtp && (rinfo.address !== this.latchedRtp.address || rinfo.port !== this.latchedRtp.port)) {
      this.foreign++;
      this.logLimited('rtp-foreign', { from: `${rinfo.address}:${rinfo.port}` }, 'rtp from a foreign source dropped');
      return;
    }
    let pkt: RtpPacket;
    try {
      pkt = parseRtp(msg);
    } catch (err) {
      if (err instanceof RtpParseError) {
        this.malformedByReason[err.code]++;
        this.logLimited(`rtp-${err.code}`, { from: `${rinfo.address}:${rinfo.port}`, reason: err.message }, 'malformed rtp dropped');
        return;
      }
      throw err;
    }
    if (!this.acceptPt.has(pkt.payloadType)) {
      this.wrongPt++;
      this.logLimited('rtp-pt', { pt: pkt.payloadType }, 'rtp with an unexpected payload type dropped');
      return;
    }
    const now = this.clock.now();
    if (this.symmetric && !this.latchedRtp) {
      this.latchedRtp = { address: rinfo.address, port: rinfo.port };
      this.emit('latched', { kind: 'rtp', address: rinfo.address, port: rinfo.port });
    }
    if (!this.source || this.source.ssrc !== pkt.ssrc) {
      if (this.source) this.ssrcChanges++;
      this.source = new ReceiverStats(pkt.ssrc, this.clockRate, pkt.sequenceNumber);
      this.held = [];
      if (this.pendingSr && this.pendingSr.ssrc === pkt.ssrc) {
        this.source.onSenderReport(this.pendingSr.lsr, this.pendingSr.arrivalMs);
      }
    }
    const verdict = this.source.update(pkt.sequenceNumber, pkt.timestamp, now);
    if (verdict === 'bad') return;
    this.rxOctets += pkt.payload.length;
    this.rxRate.add(now, msg.length);
    this.lastRx = now;
    this.rxSinceReport = true;
    if (verdict === 'probation') {
      // A.1: not valid until MIN_SEQUENTIAL in sequence; hold it (keep the most recent only,
      // since probation restarts on a gap) and release it with the packet that validates.
      this.held = [{ packet: pkt, arrivalMs: now, verdict: 'ok' }];
      return;
    }
    if (this.held.length > 0) {
      const held = this.held;
      this.held = [];
      for (const h of held) this.emit('rtp', h);
    }
    this.emit('rtp', { packet: pkt, arrivalMs: now, verdict });
  }

  private onRtcp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.symmetric && this.latchedRtcp && (rinfo.address !== this.latchedRtcp.address || rinfo.port !== this.latchedRtcp.port)) {
      this.rtcpForeign++;
      this.logLimited('rtcp-foreign', { from: `${rinfo.address}:${rinfo.port}` }, 'rtcp from a foreign source dropped');
      return;
    }
    // Before RTP latched, RTCP from a different host than the latched RTP one is foreign too.
    if (this.symmetric && !this.latchedRtcp && this.latchedRtp && rinfo.address !== this.latchedRtp.address) {
      this.rtcpForeign++;
      return;
    }
    let packets: RtcpPacket[];
    try {
      packets = parseRtcp(msg, { requireReportFirst: this.requireReportFirst });
    } catch (err) {
      if (err instanceof RtcpParseError) {
        this.rtcpMalformedByReason[err.code]++;
        this.logLimited(`rtcp-${err.code}`, { from: `${rinfo.address}:${rinfo.port}`, reason: err.message }, 'malformed rtcp dropped');
        return;
      }
      throw err;
    }
    const now = this.clock.now();
    if (this.symmetric && !this.latchedRtcp) {
      this.latchedRtcp = { address: rinfo.address, port: rinfo.port };
      this.emit('latched', { kind: 'rtcp', address: rinfo.address, port: rinfo.port });
    }
    this.rxRtcpPackets++;
    for (const p of packets) {
      switch (p.type) {
        case 'sr': {
          const lsr = ntpMiddle32({ seconds: p.ntpSeconds, fraction: p.ntpFraction });
          this.pendingSr = { ssrc: p.ssrc, lsr, arrivalMs: now };
          if (this.source && this.source.ssrc === p.ssrc) this.source.onSenderReport(lsr, now);
          this.onReportBlocks(p.reports, now);
          break;
        }
        case 'rr':
          this.onReportBlocks(p.reports, now);
          break;
        case 'sdes':
          for (const c of p.chunks) {
            if (this.source && c.ssrc !== this.source.ssrc) continue;
            for (const it of c.items) {
              if (it.type === SDES_CNAME) this.remoteCname = it.data.toString('utf8');
            }
          }
          break;
        case 'bye':
          for (const s of p.ssrcs) {
            if (s === this.ssrc) continue;
            this.emit('bye', { ssrc: s, reason: p.reason?.toString('utf8') });
          }
          break;
        default:
          break;
      }
    }
    this.emit('rtcp', { packets, arrivalMs: now });
  }

  private onReportBlocks(blocks: ReportBlock[], now: number): void {
    for (const b of blocks) {
      if (b.ssrc !== this.ssrc) continue;
      this.remoteReport = {
        fractionLost: b.fractionLost / 256,
        cumulativeLost: b.cumulativeLost,
        jitterMs: (b.jitter / this.clockRate) * 1000,
        highestSeq: b.highestSeq,
        receivedAtMs: now,
      };
      // §6.4.1 RTT = A − LSR − DLSR; A−LSR on our monotonic clock when we remember that SR.
      const rtt =
        this.srLog.rtt(now, b.lsr, b.dlsr) ??
        rttFromCompactNtp(ntpMiddle32(ntpFromUnixMs(this.clock.wallNow())), b.lsr, b.dlsr);
      if (rtt !== undefined) this.rtt = rtt;
    }
  }

  // ------------------------------------------------------------------------------------------
  // RTCP send path

  private scheduleRtcp(): void {
    if (this.closing) return;
    const members = 1 + (this.source ? 1 : 0);
    const senders = (this.sentSinceReport ? 1 : 0) + (this.rxSinceReport ? 1 : 0);
    const intervalS = rtcpIntervalS(
      {
        members,
        senders,
        rtcpBandwidth: rtcpBandwidthOctets(this.sessionKbps),
        weSent: this.sentSinceReport,
        avgRtcpSize: this.avgRtcpSize,
        initial: this.initialReport,
        minIntervalS: this.minIntervalS,
      },
      this.random,
    );
    this.rtcpTimer = this.clock.setTimer(intervalS * 1000, () => {
      this.rtcpTimer = null;
      this.safely('rtcp-timer', () => {
        this.initialReport = false;
        this.sendCompound([]);
      });
      this.scheduleRtcp();
    });
  }

  /** Build and send SR-or-RR + SDES CNAME (+ extra, e.g. BYE). Returns false if nowhere to send. */
  private sendCompound(extra: RtcpPacket[], onSent?: () => void): boolean {
    const dest = this.rtcpDestination();
    if (!dest) {
      this.sentSinceReport = false;
      this.rxSinceReport = false;
      return false;
    }
    const now = this.clock.now();
    const reports: ReportBlock[] = [];
    // §6.4.2: one block per source we received RTP from since the last report.
    if (this.source && this.source.isValid && this.rxSinceReport) reports.push(this.source.makeReportBlock(now));
    let first: RtcpPacket;
    if (this.sentSinceReport && this.lastTxRtpTs !== undefined) {
      // §6.4.1 SR: the NTP and RTP timestamps denote the same instant; extrapolate the RTP
      // timestamp from the last packet sent to now.
      const ntp = ntpFromUnixMs(this.clock.wallNow());
      const rtpTs = tsAdd(this.lastTxRtpTs, Math.round(((now - this.lastTxMs) * this.clockRate) / 1000));
      first = {
        type: 'sr',
        padding: 0,
        ssrc: this.ssrc,
        ntpSeconds: ntp.seconds,
        ntpFraction: ntp.fraction,
        rtpTimestamp: rtpTs,
        packetCount: this.txPackets % 0x1_0000_0000,
        octetCount: this.txOctets % 0x1_0000_0000,
        reports,
        extension: Buffer.alloc(0),
      };
      this.srLog.record(ntpMiddle32(ntp), now);
    } else {
      first = { type: 'rr', padding: 0, ssrc: this.ssrc, reports, extension: Buffer.alloc(0) };
    }
    const sdes: RtcpPacket = { type: 'sdes', padding: 0, chunks: [{ ssrc: this.ssrc, items: [sdesItem(SDES_CNAME, this.cname)] }] };
    const buf = serializeRtcp([first, sdes, ...extra]);
    this.sentSinceReport = false;
    this.rxSinceReport = false;
    this.txRtcpPackets++;
    this.txRtcpOctets += buf.length;
    this.avgRtcpSize = updateAvgRtcpSize(this.avgRtcpSize, buf.length + this.ipOverhead);
    this.rtcpSock.send(buf, dest.port, dest.address, (err) => {
      if (err) this.logLimited('rtcp-tx-error', { err: err.message }, 'rtcp send failed');
      onSent?.();
    });
    return true;
  }

  private logLimited(key: string, obj: object, msg: string): void {
    if (!this.logger) return;
    const n = (this.logCounts.get(key) ?? 0) + 1;
    this.logCounts.set(key, n);
    // First occurrence, then every 1000th: a flood must not flood the log.
    if (n === 1 || n % 1000 === 0) this.logger.warn({ ...obj, occurrences: n, ssrc: this.ssrc }, msg);
  }
}

function sum(o: Record<string, number>): number {
  let n = 0;
  for (const v of Object.values(o)) n += v;
  return n;
}

function toRemote(r: RtpEndpoint): MutableRemote {
  return { address: r.address, rtpPort: r.rtpPort, rtcpPort: r.rtcpPort ?? r.rtpPort + 1 };
}

function validateOptions(o: RtpSessionOptions): void {
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
