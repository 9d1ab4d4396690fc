/**
 * One RTP session (RFC 3550) for one media stream between two parties: the two UDP sockets
 * (RTP on an even port, RTCP on the next), sending with our SSRC, receiving from one remote
 * source, RTCP reports at the §6.3 interval, statistics both ways, symmetric RTP (RFC 4961).
 *
 * Network input never throws out of a socket handler: every malformed or unwanted datagram is
 * dropped and counted by reason (and logged, rate-limited). With an SRTP stage (RFC 3711) every
 * datagram is authenticated and decrypted first, before latching or parsing (srtp-stage.ts).
 *
 * When RTCP goes out is `RtcpScheduler`'s; the session's shapes (options, events, stats) are in
 * rtp-session-types.ts and re-exported here.
 *
 * Not here: jitter buffering, decoding, the no-media timeout (the media session's job; it reads
 * `lastRxMs`), keying SRTP (SDES, in sdp/), rtcp-mux (RFC 5761), deciding on RTCP feedback (the
 * session only carries it: `sendFeedback`, and the 'rtcp' event, RFC 4585) or retransmissions.
 */
import type dgram from 'node:dgram';
import type { Clock } from '../util/clock.js';
import { RTCP_PARSE_ERROR_CODES, RTP_PARSE_ERROR_CODES } from '../util/errors.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { parseRtp, RtpParseError, serializeRtp, serializeRtpPlain, type RtpPacket } from './rtp-packet.js';
import { parseRtcp, serializeRtcp, type RtcpPacket } from './rtcp/compound.js';
import { RtcpParseError } from './rtcp/rtcp-common.js';
import type { ReportBlock } from './rtcp/report-block.js';
import { SDES_CNAME } from './rtcp/sdes.js';
import { byePacket } from './rtcp/bye.js';
import { ReceiverStats } from './receiver-stats.js';
import { ntpFromUnixMs, ntpMiddle32 } from './ntp.js';
import { rttFromCompactNtp, SrSendLog } from './rtt.js';
import { RtcpScheduler } from './rtcp-scheduler.js';
import { allocatePortPair, bindPortPair, closeSockets, DEFAULT_PORT_RANGE, type BoundPortPair } from './port-pair.js';
import { RateMeter } from './rate-meter.js';
import { seqAdd, seq16, ts32, tsAdd } from './seq.js';
import { buildReport } from './rtcp-report.js';
import { DropLog, parseOrDrop } from './drop-log.js';
import type { SrtpStage } from './srtp-stage.js';
import { remoteOf, remoteReportOf, rxStats, txStats, type RxCounters, type TxCounters } from './rtp-session-stats.js';
import { random32 } from '../util/random-pool.js';
import {
  validateRtpSessionOptions,
  ptKinds,
  PT_NONE,
  PT_SIDE,
  toRemote,
  zeroMalformedCounts,
  type MutableRemote,
  type RtcpMalformedCounts,
  type RtpEndpoint,
  type RtpLogger,
  type RtpMalformedCounts,
  type RtpReceived,
  type RtpRemoteReport,
  type RtpSessionEvents,
  type RtpSessionOptions,
  type RtpSessionStats,
} from './rtp-session-types.js';

export { allocatePortPair, bindPortPair, DEFAULT_PORT_RANGE, type PortRange, type BoundPortPair } from './port-pair.js';
export type {
  RtcpMalformedCounts,
  RtpEndpoint,
  RtpLogger,
  RtpMalformedCounts,
  RtpReceived,
  RtpRemoteReport,
  RtpSessionEvents,
  RtpSessionOptions,
  RtpSessionStats,
} from './rtp-session-types.js';

/** What a codec change alters in a running session (`retune`): payload types, RTP clock, RTCP bandwidth. */
export type RtpRetune = Pick<RtpSessionOptions, 'clockRate' | 'payloadType' | 'acceptPayloadTypes' | 'sidePayloadTypes' | 'sessionBandwidthKbps' | 'rtcpMinIntervalS'>;

export class RtpSession extends TypedEmitter<RtpSessionEvents> {
  readonly ssrc: number;
  readonly cname: string;
  private rate: number;
  private pt: number;

  private readonly clock: Clock;
  private readonly rtpSock: dgram.Socket;
  private readonly rtcpSock: dgram.Socket;
  private readonly localAddress: string;
  private readonly rtpPort: number;
  private readonly rtcpPort: number;
  /** What each of the 128 payload types is to us (PT_*): one indexed read per packet, not two set lookups. */
  private ptKind: Uint8Array;
  private readonly symmetric: boolean;
  private readonly logger: RtpLogger | undefined;
  private readonly requireReportFirst: boolean;
  private srtp: SrtpStage | null;

  // Send side.
  private remote: MutableRemote | null;
  /** `remote`'s RTP address and port as a destination, made when the remote is set (not per packet). */
  private remoteRtp: { address: string; port: number } | null;
  private latchedRtp: { address: string; port: number } | null = null;
  private latchedRtcp: { address: string; port: number } | null = null;
  private seq: number;
  private readonly tsOffset: number;
  private readonly txc: TxCounters = { packets: 0, octets: 0, dropped: 0, rtcpPackets: 0, rtcpOctets: 0 };
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
  private readonly rxRate = new RateMeter();
  private rxSinceReport = false;
  private malformedByReason: RtpMalformedCounts = zeroMalformedCounts(RTP_PARSE_ERROR_CODES);
  private rtcpMalformedByReason: RtcpMalformedCounts = zeroMalformedCounts(RTCP_PARSE_ERROR_CODES);
  private readonly rxc: RxCounters = { octets: 0, wrongPt: 0, foreign: 0, rtcpForeign: 0, ssrcChanges: 0, rtcpPackets: 0 };
  private lastRx: number | null = null;
  private remoteReport: RtpRemoteReport | null = null;
  private rtt: number | null = null;

  private readonly rtcp: RtcpScheduler;
  private closing: Promise<void> | null = null;
  private readonly drops: DropLog;

  /** Open a session: binds its sockets, starts RTCP. */
  static async open(options: RtpSessionOptions): Promise<RtpSession> {
    validateRtpSessionOptions(options);
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
    this.rate = options.clockRate;
    this.pt = options.payloadType;
    this.ptKind = ptKinds(options.acceptPayloadTypes ?? [options.payloadType], options.sidePayloadTypes ?? []);
    this.symmetric = options.symmetric ?? true;
    this.logger = options.logger;
    this.drops = new DropLog(options.logger, this.ssrc);
    this.requireReportFirst = !(options.rtcpReducedSize ?? false);
    this.srtp = options.srtp ?? null;
    // §5.1: initial sequence number and timestamp SHOULD be random.
    this.seq = seq16(options.initialSeq ?? random32());
    this.tsOffset = ts32(options.initialTimestamp ?? random32());
    this.remote = options.remote ? toRemote(options.remote) : null;
    this.remoteRtp = this.remote ? { address: this.remote.address, port: this.remote.rtpPort } : null;
    this.rtcp = new RtcpScheduler(
      {
        clock: this.clock,
        localHost: options.localHost,
        cname: this.cname,
        random: options.random ?? Math.random,
        sessionBandwidthKbps: options.sessionBandwidthKbps,
        rtcpReducedMinimum: options.rtcpReducedMinimum,
        rtcpMinIntervalS: options.rtcpMinIntervalS,
      },
      () => ({
        members: 1 + (this.source ? 1 : 0),
        senders: (this.sentSinceReport ? 1 : 0) + (this.rxSinceReport ? 1 : 0),
        weSent: this.sentSinceReport,
      }),
      () => this.safely('rtcp-timer', () => this.sendCompound([])),
    );
    this.onListenerError = (event, err) => this.logger?.warn({ event, err }, 'rtp session listener threw');

    this.rtpSock.on('message', (msg, rinfo) => this.receive('rtp', msg, rinfo));
    this.rtcpSock.on('message', (msg, rinfo) => this.receive('rtcp', msg, rinfo));
    this.rtpSock.on('error', (err) => this.emit('error', err));
    this.rtcpSock.on('error', (err) => this.emit('error', err));
    this.rtcp.start();
  }

  // ------------------------------------------------------------------------------------------
  // Public surface

  /** RTP clock rate of the payload format in force, and the payload type we send by default. */
  get clockRate(): number {
    return this.rate;
  }
  get payloadType(): number {
    return this.pt;
  }

  /**
   * A codec change on the running session: new payload types and RTP clock, on the same sockets,
   * SSRC, sequence numbers and timestamp offset, with the latch, the destination, the SRTP stage and
   * the send counters kept (the SR counts are cumulative for as long as the SSRC is, RFC 3550
   * §6.4.1). Closing the session and opening another on the same ports does the same at the cost of
   * two socket closes and binds, and an RTCP BYE the far end may take for our leaving.
   * The remote source's A.3 statistics start afresh at its next packet (interarrival jitter is kept
   * in the clock's units, §6.4.1), as after a reopen. No-op when closed.
   */
  retune(t: RtpRetune): void {
    if (this.closing) return;
    if (t.clockRate !== this.rate) {
      this.source = null;
      this.held = [];
    }
    this.rate = t.clockRate;
    this.pt = t.payloadType;
    this.ptKind = ptKinds(t.acceptPayloadTypes ?? [t.payloadType], t.sidePayloadTypes ?? []);
    this.rtcp.setBandwidth(t.sessionBandwidthKbps, t.rtcpMinIntervalS);
  }

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

  /** Latest round-trip time from LSR/DLSR (RFC 3550 §6.4.1), ms; null before the first. */
  get rttMs(): number | null {
    return this.rtt;
  }

  /** SSRC of the remote source, null before its first packet. */
  get remoteSsrc(): number | null {
    return this.source?.ssrc ?? null;
  }

  /** Set or change the destination (e.g. after a re-INVITE). Clears any latch. */
  setRemote(remote: RtpEndpoint): void {
    this.remote = toRemote(remote);
    this.remoteRtp = { address: this.remote.address, port: this.remote.rtpPort };
    this.latchedRtp = null;
    this.latchedRtcp = null;
  }

  /** Put an SRTP stage in the path (keys negotiated or changed), or take it out (null: clear RTP). */
  setSrtp(stage: SrtpStage | null): void {
    this.srtp = stage;
  }

  /**
   * Send one RTP packet. `timestamp` is in clock-rate units from the caller's own origin (e.g. the
   * sample count); the session adds its random offset (§5.1). Returns false if not sent
   * (no destination yet, or closed). `payload` is copied onto the wire: the caller may reuse it.
   */
  send(payload: Buffer, timestamp: number, marker = false): boolean {
    return this.transmit(payload, timestamp, marker, this.pt, this.clock.now()) !== null;
  }

  /**
   * `send` with another payload type of ours (RED, RFC 2198), at `nowMs` on the session clock when the
   * caller has read it already; returns the packet as sent, or null. Its payload is a view into the
   * session's own copy (never reused), so the caller may keep the packet (RTX history, RFC 4588) and
   * reuse the buffer it passed in.
   */
  sendPayload(payload: Buffer, timestamp: number, marker = false, payloadType = this.pt, nowMs = this.clock.now()): RtpPacket | null {
    const buf = this.transmit(payload, timestamp, marker, payloadType, nowMs);
    return buf ? parseRtp(buf) : null;
  }

  /**
   * The send path of `send` and `sendPayload`: the §5.1 fixed header written straight from the
   * session's own fields (no RtpPacket made), SRTP if keyed, the SR counters (§6.4.1), the datagram.
   * Returns the clear packet as serialized, or null when not sent.
   */
  private transmit(payload: Buffer, timestamp: number, marker: boolean, payloadType: number, now: number): Buffer | null {
    if (this.closing) return null;
    const dest = this.rtpDestination();
    if (!dest) {
      this.txc.dropped++;
      return null;
    }
    const rtpTs = tsAdd(this.tsOffset, ts32(timestamp));
    const buf = serializeRtpPlain(payload, marker, payloadType, this.seq, rtpTs, this.ssrc);
    const wire = this.srtp ? this.srtp.protectRtp(buf) : buf;
    if (!wire) {
      this.txc.dropped++;
      return null;
    }
    this.seq = seqAdd(this.seq, 1);
    this.txc.packets++;
    // SR counts wrap modulo 2^32 (§6.4.1).
    this.txc.octets += payload.length;
    this.lastTxRtpTs = rtpTs;
    this.lastTxMs = now;
    this.sentSinceReport = true;
    this.txRate.add(now, wire.length);
    this.rtpSock.send(wire, dest.port, dest.address, this.afterRtpSend);
    return buf;
  }

  /** One callback for every packet (not a closure per packet). */
  private readonly afterRtpSend = (err: Error | null): void => {
    if (!err) return;
    this.txc.dropped++;
    this.drops.warn('tx-error', { err: err.message }, 'rtp send failed');
  };

  /** Send a packet built elsewhere as is (RFC 4588 RTX, RFC 7198 copy); not in our SR counts (§6.4.1). */
  sendPacket(packet: RtpPacket): boolean {
    const dest = this.closing ? null : this.rtpDestination();
    const buf = serializeRtp(packet);
    const wire = dest ? (this.srtp ? this.srtp.protectRtp(buf) : buf) : null;
    if (!dest || !wire) return false;
    this.rtpSock.send(wire, dest.port, dest.address, this.afterPacketSend);
    return true;
  }

  private readonly afterPacketSend = (err: Error | null): void => {
    if (err) this.drops.warn('tx-error', { err: err.message }, 'rtp send failed');
  };

  /** Send RTCP feedback (RFC 4585 §3.5 early feedback) now, in a compound packet after our report. */
  sendFeedback(packets: RtcpPacket[]): boolean {
    return this.closing ? false : this.sendCompound(packets);
  }

  stats(): RtpSessionStats {
    const now = this.clock.now();
    const src = this.source?.snapshot() ?? null;
    return {
      ssrc: this.ssrc,
      cname: this.cname,
      local: { address: this.localAddress, rtpPort: this.localRtpPort, rtcpPort: this.localRtcpPort },
      remote: remoteOf(this.rtpDestination(), this.rtcpDestination()),
      latched: this.latchedRtp !== null,
      rtcpLatched: this.latchedRtcp !== null,
      remoteSsrc: this.source?.ssrc ?? null,
      remoteCname: this.remoteCname,
      lastRxMs: this.lastRx,
      closed: this.closing !== null,
      tx: txStats(this.txc, this.txRate.bitsPerSecond(now)),
      rx: rxStats(src, this.rxc, this.rxRate.bitsPerSecond(now), this.malformedByReason, this.rtcpMalformedByReason),
      remoteReport: this.remoteReport ? { ...this.remoteReport } : null,
      rttMs: this.rtt,
      source: src,
      ...(this.srtp ? { srtp: this.srtp.stats() } : {}),
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
    this.rtcp.stop();
    this.closing = new Promise<void>((resolve) => {
      const finish = (): void => closeSockets([this.rtpSock, this.rtcpSock], resolve);
      // §6.1: BYE goes last in a compound packet that starts with a report.
      let sent = false;
      try {
        sent = this.sendCompound([byePacket(this.ssrc, reason)], finish);
      } catch (err) {
        this.drops.warn('bye', { err }, 'rtcp bye not sent');
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
      this.drops.warn(`bug-${kind}`, { err }, 'rtp session handler failed');
    }
  }

  /** `safely` for one datagram, without a closure made per datagram. */
  private receive(kind: 'rtp' | 'rtcp', msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closing) return;
    try {
      if (kind === 'rtp') this.onRtp(msg, rinfo);
      else this.onRtcp(msg, rinfo);
    } catch (err) {
      this.drops.warn(`bug-${kind}`, { err }, 'rtp session handler failed');
    }
  }

  private rtpDestination(): { address: string; port: number } | null {
    if (this.latchedRtp) return this.latchedRtp;
    return this.remoteRtp;
  }

  private rtcpDestination(): { address: string; port: number } | null {
    if (this.latchedRtcp) return this.latchedRtcp;
    if (this.remote) return { address: this.remote.address, port: this.remote.rtcpPort };
    // Latched RTP but no RTCP heard yet: RTCP goes to the next port up (§11).
    if (this.latchedRtp) return { address: this.latchedRtp.address, port: this.latchedRtp.port + 1 };
    return null;
  }

  private onRtp(datagram: Buffer, rinfo: dgram.RemoteInfo): void {
    // Checked before parsing so that a flood from elsewhere costs nothing.
    if (this.fromForeignSource('rtp', this.latchedRtp, rinfo)) {
      this.rxc.foreign++;
      return;
    }
    const msg = this.srtp ? this.unprotectOrDrop('rtp', datagram, rinfo) : datagram;
    if (!msg) return;
    const pkt = parseOrDrop(this.drops, 'rtp', parseRtp, msg, RtpParseError, this.malformedByReason, rinfo);
    if (!pkt) return;
    const ptKind = this.ptKind[pkt.payloadType];
    if (ptKind === PT_NONE) {
      this.rxc.wrongPt++;
      this.drops.warn('rtp-pt', { pt: pkt.payloadType }, 'rtp with an unexpected payload type dropped');
      return;
    }
    const now = this.clock.now();
    if (this.symmetric && !this.latchedRtp) {
      this.latchedRtp = { address: rinfo.address, port: rinfo.port };
      this.emit('latched', { kind: 'rtp', address: rinfo.address, port: rinfo.port });
    }
    if (ptKind === PT_SIDE) {
      this.emit('side', { packet: pkt, arrivalMs: now });
      return;
    }
    if (!this.source || this.source.ssrc !== pkt.ssrc) {
      if (this.source) this.rxc.ssrcChanges++;
      this.source = new ReceiverStats(pkt.ssrc, this.rate, pkt.sequenceNumber);
      this.held = [];
      if (this.pendingSr && this.pendingSr.ssrc === pkt.ssrc) {
        this.source.onSenderReport(this.pendingSr.lsr, this.pendingSr.arrivalMs);
      }
    }
    const verdict = this.source.update(pkt.sequenceNumber, pkt.timestamp, now);
    if (verdict === 'bad') return;
    this.rxc.octets += pkt.payload.length;
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

  private readonly parseRtcpDatagram = (datagram: Buffer): RtcpPacket[] => parseRtcp(datagram, { requireReportFirst: this.requireReportFirst });

  /**
   * RFC 4961 symmetric RTP: once latched, only the latched address:port is our peer. True (and
   * logged, rate-limited) for a datagram from anywhere else, which the caller counts and drops.
   */
  private fromForeignSource(kind: 'rtp' | 'rtcp', latched: { address: string; port: number } | null, rinfo: dgram.RemoteInfo): boolean {
    if (!this.symmetric || !latched || (rinfo.address === latched.address && rinfo.port === latched.port)) return false;
    this.drops.warn(`${kind}-foreign`, { from: `${rinfo.address}:${rinfo.port}` }, `${kind} from a foreign source dropped`);
    return true;
  }

  /** RFC 3711 §3.3: authenticate and decrypt, or drop (the stage counts it by reason). */
  private unprotectOrDrop(kind: 'rtp' | 'rtcp', datagram: Buffer, rinfo: dgram.RemoteInfo): Buffer | undefined {
    const out = kind === 'rtp' ? this.srtp!.unprotectRtp(datagram) : this.srtp!.unprotectRtcp(datagram);
    if (typeof out !== 'string') return out;
    this.drops.warn(`s${kind}-${out}`, { from: `${rinfo.address}:${rinfo.port}` }, `s${kind} dropped: ${out}`);
    return undefined;
  }

  private onRtcp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.fromForeignSource('rtcp', this.latchedRtcp, rinfo)) {
      this.rxc.rtcpForeign++;
      return;
    }
    // Before RTP latched, RTCP from a different host than the latched RTP one is foreign too.
    if (this.symmetric && !this.latchedRtcp && this.latchedRtp && rinfo.address !== this.latchedRtp.address) {
      this.rxc.rtcpForeign++;
      return;
    }
    const plain = this.srtp ? this.unprotectOrDrop('rtcp', msg, rinfo) : msg;
    if (!plain) return;
    const packets = parseOrDrop(this.drops, 'rtcp', this.parseRtcpDatagram, plain, RtcpParseError, this.rtcpMalformedByReason, rinfo);
    if (!packets) return;
    const now = this.clock.now();
    if (this.symmetric && !this.latchedRtcp) {
      this.latchedRtcp = { address: rinfo.address, port: rinfo.port };
      this.emit('latched', { kind: 'rtcp', address: rinfo.address, port: rinfo.port });
    }
    this.rxc.rtcpPackets++;
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
      this.remoteReport = remoteReportOf(b, this.rate, now);
      // §6.4.1 RTT = A − LSR − DLSR; A−LSR on our monotonic clock when we remember that SR.
      const rtt =
        this.srLog.rtt(now, b.lsr, b.dlsr) ??
        rttFromCompactNtp(ntpMiddle32(ntpFromUnixMs(this.clock.wallNow())), b.lsr, b.dlsr);
      if (rtt !== undefined) this.rtt = rtt;
    }
  }

  // ------------------------------------------------------------------------------------------
  // RTCP send path

  /** Build and send SR-or-RR + SDES CNAME (+ extra, e.g. BYE), SRTCP when keyed. Returns false if not sent. */
  private sendCompound(extra: RtcpPacket[], onSent?: () => void): boolean {
    const dest = this.rtcpDestination();
    if (!dest) {
      this.sentSinceReport = false;
      this.rxSinceReport = false;
      return false;
    }
    const now = this.clock.now();
    const report = buildReport({
      ssrc: this.ssrc,
      cname: this.cname,
      clockRate: this.rate,
      now,
      wallNow: this.clock.wallNow(),
      source: this.source,
      rxSinceReport: this.rxSinceReport,
      sentSinceReport: this.sentSinceReport,
      lastTxRtpTs: this.lastTxRtpTs,
      lastTxMs: this.lastTxMs,
      txPackets: this.txc.packets,
      txOctets: this.txc.octets,
    });
    if (report.srNtp !== undefined) this.srLog.record(report.srNtp, now);
    this.sentSinceReport = false;
    this.rxSinceReport = false;
    const plain = serializeRtcp([...report.packets, ...extra]);
    const buf = this.srtp ? this.srtp.protectRtcp(plain) : plain;
    if (!buf) return false;
    this.txc.rtcpPackets++;
    this.txc.rtcpOctets += buf.length;
    this.rtcp.sent(buf.length);
    this.rtcpSock.send(buf, dest.port, dest.address, (err) => {
      if (err) this.drops.warn('rtcp-tx-error', { err: err.message }, 'rtcp send failed');
      onSent?.();
    });
    return true;
  }
}
