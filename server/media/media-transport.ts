/**
 * The network side of a media session: the RTP session (sockets, RTP/RTCP, SRTP stage), the second
 * RTP session of a duplicated stream (RFC 7198), and the loss-recovery stage between them and the
 * jitter buffer (recovery-stage.ts: RED, NACK/RTX, merging the two paths). The media session sends
 * encoded frames through it and gets back, once each, the packets to buffer.
 *
 * A payload type or clock-rate change retunes the running RTP session(s) (`RtpSession.retune`: same
 * sockets, SSRC and sequence numbers, no RTCP BYE); only adding or removing the second path reopens
 * them, on the same ports with the same SSRC and continuing sequence numbers. The SRTP contexts are
 * kept across a reopen (the rollover counter carries on); the second path has its own contexts with the
 * same keys, so that the copy it carries is not taken for a replay of the first (RFC 3711 §3.3.2).
 */
import type { CodecRecord } from '../codecs/codec.js';
import { RtpSession, type RtpLogger, type RtpRetune } from '../rtp/rtp-session.js';
import type { RtpSessionStats } from '../rtp/rtp-session-types.js';
import type { DuplicateMerger } from '../rtp/recovery/duplicate-merger.js';
import { sameSrtpKey, SrtpStage, type SrtpParams } from '../rtp/srtp-stage.js';
import type { Clock } from '../util/clock.js';
import type { IncomingPacket } from './jitter-buffer-types.js';
import { RecoveryStage } from './recovery-stage.js';
import type { MediaPathStats, MediaRecoveryStats, MediaSessionParams } from './session-types.js';

export interface MediaTransportHandlers {
  /** A packet for the jitter buffer (after recovery: each sequence number once). */
  packet(p: IncomingPacket): void;
  /** Any RTP packet of the stream accepted (either path): the no-media watch. */
  arrived(): void;
  /** The jitter buffer's target delay, ms (undefined when not receiving): NACK deadlines. */
  bufferDelayMs(): number | undefined;
  /** When the frame with this RTP timestamp will be played out, ms on the session clock (exact NACK deadlines). */
  playoutAtMs?(timestamp: number): number | undefined;
  bye(reason: string | undefined): void;
  rtcp(arrivalMs: number): void;
  latched(l: { kind: 'rtp' | 'rtcp'; address: string; port: number }): void;
  error(e: unknown): void;
}

export interface MediaTransportDeps {
  clock: Clock;
  logger?: RtpLogger;
}

interface Ports {
  rtp: number;
  rtcp?: number;
}

export class MediaTransport {
  private rtp: RtpSession;
  private second: RtpSession | null;
  private srtp: SrtpStage | null;
  private secondSrtp: SrtpStage | null;
  private recovery: RecoveryStage | null = null;
  private params: MediaSessionParams;
  private off: Array<() => void> = [];
  /** Packets sent by RTP sessions closed by a reopen (the next one continues their numbering). */
  private seqSent = 0;

  static async open(p: MediaSessionParams, record: CodecRecord, deps: MediaTransportDeps, ssrc: number, initialSeq: number, h: MediaTransportHandlers): Promise<MediaTransport> {
    const srtp = p.srtp ? new SrtpStage(p.srtp) : null;
    const rtp = await openRtp(p, record, deps, ssrc, initialSeq, p.ports ?? null, srtp, 'primary');
    let second: RtpSession | null = null;
    const secondSrtp = p.srtp && p.recovery?.duplicate ? new SrtpStage(p.srtp) : null;
    try {
      if (p.recovery?.duplicate) second = await openRtp(p, record, deps, ssrc, initialSeq, p.recovery.duplicate.ports ?? null, secondSrtp, 'second');
    } catch (e) {
      await rtp.close();
      throw e;
    }
    return new MediaTransport(p, record, deps, ssrc, initialSeq, h, rtp, second, srtp, secondSrtp);
  }

  private constructor(
    p: MediaSessionParams,
    record: CodecRecord,
    private readonly deps: MediaTransportDeps,
    private readonly ssrc: number,
    private readonly initialSeq: number,
    private readonly h: MediaTransportHandlers,
    rtp: RtpSession,
    second: RtpSession | null,
    srtp: SrtpStage | null,
    secondSrtp: SrtpStage | null,
  ) {
    this.params = p;
    this.rtp = rtp;
    this.second = second;
    this.srtp = srtp;
    this.secondSrtp = secondSrtp;
    this.bind();
    this.rebuildRecovery(p, record);
  }

  get localRtpPort(): number {
    return this.rtp.localRtpPort;
  }

  get localRtcpPort(): number {
    return this.rtp.localRtcpPort;
  }

  /** Last RTP arrival on either path. */
  get lastRxMs(): number | null {
    const a = this.rtp.lastRxMs;
    const b = this.second?.lastRxMs ?? null;
    return a === null ? b : b === null ? a : Math.max(a, b);
  }

  /** Whether `next` needs the RTP session(s) reopened (payload types or clock rate fixed at open). */
  needsReopen(next: MediaSessionParams, record: CodecRecord): boolean {
    const prev = this.params;
    return (
      next.payloadType !== prev.payloadType ||
      record.rtpClockRate(next.codecParams) !== this.rtp.clockRate ||
      JSON.stringify(next.recovery?.red ?? null) !== JSON.stringify(prev.recovery?.red ?? null) ||
      JSON.stringify(next.recovery?.rtx ?? null) !== JSON.stringify(prev.recovery?.rtx ?? null) ||
      (next.recovery?.duplicate === undefined) !== (prev.recovery?.duplicate === undefined)
    );
  }

  /** New parameters: remote endpoints, SRTP keys, and a reopen when `needsReopen` says so. */
  async update(next: MediaSessionParams, record: CodecRecord, reopen: boolean): Promise<void> {
    const prev = this.params;
    this.updateSrtp(next.srtp);
    this.params = next;
    const samePaths = (next.recovery?.duplicate === undefined) === (prev.recovery?.duplicate === undefined);
    if (reopen && samePaths) {
      // A codec change retunes the running session(s): same sockets, SSRC and numbering, no BYE.
      const tuning = rtpTuning(next, record);
      this.rtp.retune(tuning);
      this.second?.retune(tuning);
      this.setRemotes(next, prev);
    } else if (reopen) {
      this.seqSent += this.rtp.stats().tx.packets;
      for (const off of this.off) off();
      this.off = [];
      const ports = { rtp: this.rtp.localRtpPort, rtcp: this.rtp.localRtcpPort };
      const secondPorts = this.second ? { rtp: this.second.localRtpPort, rtcp: this.second.localRtcpPort } : (next.recovery?.duplicate?.ports ?? null);
      await this.rtp.close('codec change');
      await this.second?.close('codec change');
      const seq = (this.initialSeq + this.seqSent) & 0xffff;
      this.rtp = await openRtp(next, record, this.deps, this.ssrc, seq, ports, this.srtp, 'primary');
      this.secondSrtp = next.srtp && next.recovery?.duplicate ? (this.secondSrtp ?? new SrtpStage(next.srtp)) : null;
      this.second = next.recovery?.duplicate ? await openRtp(next, record, this.deps, this.ssrc, seq, secondPorts, this.secondSrtp, 'second') : null;
      this.bind();
    } else this.setRemotes(next, prev);
    if (reopen || JSON.stringify(next.recovery) !== JSON.stringify(prev.recovery) || next.receivePtimeMs !== prev.receivePtimeMs) this.rebuildRecovery(next, record);
  }

  /**
   * Send one encoded frame (RED-wrapped, kept for RTX, copied to the second path, as negotiated).
   * Nothing keeps `payload` after the call (what RED and RTX keep are copies the RTP and RED layers
   * made): the encoder may reuse it for the next frame.
   */
  send(payload: Buffer, timestamp: number, marker: boolean): void {
    const rec = this.recovery;
    if (!rec) {
      // Plain RTP (no RED, RTX or second path): nothing else wants the packet.
      this.rtp.send(payload, timestamp, marker);
      return;
    }
    const now = this.deps.clock.now();
    const out = rec.outgoing(payload, timestamp);
    const pkt = this.rtp.sendPayload(out.payload, timestamp, marker, out.payloadType, now);
    rec.sent(pkt, payload, now);
    if (pkt && this.second) this.second.sendPacket(pkt);
  }

  /** Each receive tick: NACKs now due. */
  poll(nowMs: number): void {
    this.recovery?.poll(nowMs);
  }

  stats(): RtpSessionStats {
    return this.rtp.stats();
  }

  recoveryStats(stillLost: number): MediaRecoveryStats | undefined {
    if (!this.recovery) return undefined;
    const m = this.recovery.merger;
    const second = this.second;
    const paths: [MediaPathStats, MediaPathStats] | undefined =
      m && second
        ? pathPair(m, this.rtp, second)
        : undefined;
    return this.recovery.stats(stillLost, paths);
  }

  async close(reason?: string): Promise<void> {
    for (const off of this.off) off();
    this.off = [];
    const results = await Promise.allSettled([this.rtp.close(reason), this.second?.close(reason)]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  // ------------------------------------------------------------------------------------------

  private setRemotes(next: MediaSessionParams, prev: MediaSessionParams): void {
    if (next.remote && JSON.stringify(next.remote) !== JSON.stringify(prev.remote)) this.rtp.setRemote(next.remote);
    const r2 = next.recovery?.duplicate?.remote;
    if (this.second && r2 && JSON.stringify(r2) !== JSON.stringify(prev.recovery?.duplicate?.remote)) this.second.setRemote(r2);
  }

  /** New, changed or removed SRTP keys (RFC 4568 §7.1.4): an unchanged direction keeps its context. */
  private updateSrtp(next: SrtpParams | undefined): void {
    const prev = this.params.srtp;
    if (prev && next && sameSrtpKey(prev.send, next.send) && sameSrtpKey(prev.receive, next.receive)) return;
    if (!next) this.srtp = null;
    else if (this.srtp) this.srtp.rekey(next);
    else this.srtp = new SrtpStage(next);
    this.rtp.setSrtp(this.srtp);
    if (this.second) {
      if (!next) this.secondSrtp = null;
      else if (this.secondSrtp) this.secondSrtp.rekey(next);
      else this.secondSrtp = new SrtpStage(next);
      this.second.setSrtp(this.secondSrtp);
    }
  }

  private rebuildRecovery(p: MediaSessionParams, record: CodecRecord): void {
    const r = p.recovery;
    if (!r || (!r.red && !r.rtx && !r.duplicate)) {
      this.recovery = null;
      return;
    }
    this.recovery = new RecoveryStage(
      {
        params: r,
        primaryPt: p.payloadType,
        ourSsrc: this.ssrc,
        rtpClockRate: record.rtpClockRate(p.codecParams),
        receivePtimeMs: p.receivePtimeMs ?? p.codecParams.ptimeMs,
      },
      {
        push: (pkt) => this.h.packet(pkt),
        bufferDelayMs: () => this.h.bufferDelayMs(),
        playoutAtMs: (ts) => this.h.playoutAtMs?.(ts),
        rttMs: () => this.rtp.rttMs,
        remoteSsrc: () => this.rtp.remoteSsrc ?? this.second?.remoteSsrc ?? null,
        sendRtx: (pkt) => {
          this.rtp.sendPacket(pkt);
          this.second?.sendPacket(pkt);
        },
        sendFeedback: (packets) => {
          this.rtp.sendFeedback(packets);
          this.second?.sendFeedback(packets);
        },
      },
    );
  }

  private bind(): void {
    const h = this.h;
    const sessions: Array<[RtpSession, 0 | 1]> = [[this.rtp, 0]];
    if (this.second) sessions.push([this.second, 1]);
    for (const [rtp, path] of sessions) {
      this.off.push(
        rtp.on('rtp', (r) => {
          h.arrived();
          const rec = this.recovery;
          if (rec) rec.onRtp(r.packet, r.arrivalMs, path);
          else {
            const pkt = r.packet;
            h.packet({ seq: pkt.sequenceNumber, timestamp: pkt.timestamp, payload: pkt.payload, arrivalMs: r.arrivalMs, marker: pkt.marker });
          }
        }),
        rtp.on('side', (s) => this.recovery?.onSide(s.packet, s.arrivalMs)),
        rtp.on('bye', (b) => h.bye(b.reason)),
        rtp.on('rtcp', (r) => {
          h.rtcp(r.arrivalMs);
          this.recovery?.onRtcp(r.packets, r.arrivalMs);
        }),
        rtp.on('error', (e) => h.error(e)),
      );
      if (path === 0) this.off.push(rtp.on('latched', (l) => h.latched({ ...l })));
    }
  }
}

/** Packets the merged stream expected (RFC 3550 A.3 over both paths). */
function expectedOf(m: { delivered: number; lost: number }): number {
  return m.delivered + Math.max(0, m.lost);
}

/**
 * One path's view. Its loss counts against what the merged stream expected, not against the path's
 * own highest number: a path that dies shows its loss growing rather than freezing.
 */
function pathStats(s: { received: number; jitterMs: number; firstCopies: number }, expected: number, relativeDelayMs: number | null, rtp: RtpSession): MediaPathStats {
  const st = rtp.stats();
  return {
    received: s.received,
    lost: Math.max(0, expected - s.received),
    jitterMs: s.jitterMs,
    firstCopies: s.firstCopies,
    relativeDelayMs,
    localRtpPort: rtp.localRtpPort,
    remote: st.remote ? { address: st.remote.address, rtpPort: st.remote.rtpPort } : null,
  };
}

/** Both paths' views; the merger's delay of path 1 relative to path 0 is each path's delay against the other. */
function pathPair(m: DuplicateMerger, first: RtpSession, second: RtpSession): [MediaPathStats, MediaPathStats] {
  const merged = m.stats();
  const rel = merged.relativeDelayMs;
  const expected = expectedOf(merged);
  return [pathStats(m.pathStats(0), expected, rel === undefined ? null : -rel, first), pathStats(m.pathStats(1), expected, rel ?? null, second)];
}

/** The codec-dependent part of an RTP session's options (what `RtpSession.retune` changes). */
function rtpTuning(p: MediaSessionParams, record: CodecRecord): RtpRetune {
  const bitrateKbps = (p.codecParams.bitrate ?? p.codecParams.sampleRate * p.codecParams.channels * 24) / 1000;
  const r = p.recovery;
  return {
    clockRate: record.rtpClockRate(p.codecParams),
    payloadType: p.payloadType,
    acceptPayloadTypes: [p.payloadType, ...(r?.red ? [r.red.payloadType] : [])],
    ...(r?.rtx ? { sidePayloadTypes: [r.rtx.payloadType] } : {}),
    sessionBandwidthKbps: p.rtcp?.sessionBandwidthKbps ?? Math.max(64, Math.ceil(bitrateKbps)),
    ...(p.rtcp?.minIntervalS !== undefined ? { rtcpMinIntervalS: p.rtcp.minIntervalS } : {}),
  };
}

function openRtp(
  p: MediaSessionParams,
  record: CodecRecord,
  deps: MediaTransportDeps,
  ssrc: number,
  initialSeq: number,
  ports: Ports | null,
  srtp: SrtpStage | null,
  which: 'primary' | 'second',
): Promise<RtpSession> {
  const r = p.recovery;
  const remote = which === 'primary' ? p.remote : (r?.duplicate?.remote ?? null);
  const range = which === 'primary' || !ports ? p.portRange : undefined;
  return RtpSession.open({
    clock: deps.clock,
    localHost: which === 'second' ? (r?.duplicate?.localHost ?? p.localHost) : p.localHost,
    ...(ports ? { ports } : {}),
    ...(range ? { portRange: range } : {}),
    ...(remote ? { remote } : {}),
    ssrc,
    cname: p.cname,
    ...rtpTuning(p, record),
    initialSeq,
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(srtp ? { srtp } : {}),
  });
}
