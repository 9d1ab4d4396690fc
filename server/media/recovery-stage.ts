/**
 * The loss-recovery stage of a media session: between the RTP session(s) and the jitter buffer on
 * the receive side, between the encoder and the RTP session on the send side. It runs the pure
 * building blocks of server/rtp (RED, RFC 2198; generic NACK, RFC 4585 §6.2.1; RTX, RFC 4588;
 * duplicate merging, RFC 7198) and owns no socket or timer: the media session feeds it packets and
 * RTCP, polls it on its receive ticks, and gives it functions to send with.
 *
 * Receive order: [path merge] -> RED unwrap (primary, and copies of missing frames) / RTX unwrap ->
 * "already have it?" -> NACK bookkeeping -> jitter buffer. A frame is handed to the buffer once.
 *
 * When to NACK (RFC 4585 §3.5 leaves it to the receiver, §6.2.1 allows packets deemed lost):
 * - by gap: as soon as an arrival shows numbers missing;
 * - by time: on the receive ticks, a number overdue by more than a jitter margin is deemed lost
 *   (overdue-detector.ts). In a burst the gap shows only when the burst ends, too late for its
 *   first packets; the sender's packet rate says when each one was due;
 * - the same request once more a packet time later (`NACK_ECHO_SPACING_MS`): the feedback path
 *   loses requests too, and where there is no time for a repeat a lost request is a lost frame;
 * - again once, when the first answer is overdue (RTT plus a margin), but as late as the answer
 *   can still be played: a burst that swallowed the first retransmission has then had the most
 *   time to end;
 * - never when the answer could not be played in time, and at most a cap of requests per RTT
 *   (the oldest first).
 * The first request goes out as soon as the loss is known, never put off: its answer is sent twice
 * (below), and the sooner it goes the more time there is for the copies and a repeat.
 *
 * When to retransmit (RFC 4588): every request is answered at most once per resend interval
 * (rtx.ts). An early answer, to a request that came right after the loss, is sent again one
 * packet time and two packet times later (`RTX_COPIES`, RFC 4588 allows retransmitting a packet
 * more than once): a burst that took the original often takes the answer sent tens of ms later,
 * seldom all three. The copies go on the send clock (`sent`) and on the receive ticks (`poll`).
 * With RED a first request is held while a RED packet that carries a copy of the missing frame is
 * still due (its expected arrival plus the margin), if the request and its repeat asked for after
 * that can still beat the deadline: single losses are then recovered without a retransmission.
 * Copies are handed on before the primary that carried them, so the primary's arrival does not
 * show a gap the copy fills.
 *
 * NACK deadline: a missing packet is worth asking for only while a retransmission can arrive before
 * its playout. Its playout time comes from the jitter buffer when the media session passes it
 * (`playoutAtMs`); otherwise it is estimated from the latest original packet that raised the
 * highest sequence number (not a copy nor a retransmission, which arrive later than their turn):
 * its arrival, plus the missing one's distance in packet times, plus the buffer's target delay.
 * The estimate is up to a packet time early (the phase of the buffer's pull grid), which costs the
 * repeat some of its time.
 */
import type { IncomingPacket } from './jitter-buffer-types.js';
import { RedEncoder, RedRecovery, parseRed } from '../rtp/red.js';
import { RtxHistory, unwrapRtx, type RtxHistoryStats } from '../rtp/rtx.js';
import { NackScheduler, type NackSchedulerStats } from '../rtp/recovery/nack-scheduler.js';
import { OverdueDetector } from '../rtp/recovery/overdue-detector.js';
import { DuplicateMerger, type PathIndex } from '../rtp/recovery/duplicate-merger.js';
import { SeqStateWindow } from '../rtp/recovery/seq-window.js';
import { buildGenericNacks, nackFciToSeqs } from '../rtp/rtcp/feedback.js';
import type { RtcpPacket } from '../rtp/rtcp/compound.js';
import type { RtpPacket } from '../rtp/rtp-packet.js';
import { seqAdd, seqDiff, tsAdd } from '../rtp/seq.js';
import type { MediaRecoveryParams, MediaRecoveryStats } from './session-types.js';

/** RTT assumed before RTCP has measured one (ms): a second request then waits this long. */
export const DEFAULT_NACK_RTT_MS = 50;
/** Packets the RTX history holds at most (RFC 4588 §8.1 rtx-time bounds it by age as well). */
export const RTX_HISTORY_PACKETS = 2048;
/** Added to the RTT before a NACK is repeated (far-end scheduling and jitter). */
export const NACK_RETRY_MARGIN_MS = 10;
/** An answer due less than this before its frame is played is not asked for (handling, pull timing). */
export const NACK_MIN_GUARD_MS = 1;
/** Fewest NACK requests allowed per RTT; more at short packet times (one per packet time of the default RTT). */
export const NACK_MIN_PER_RTT = 8;
/**
 * A repeated NACK waits until it is this close to the last moment its answer can still be played:
 * a burst that swallowed the first retransmission has then had the most time to end. One and a
 * half 5 ms receive ticks: at least one tick always falls inside, and so does one that runs up to
 * half a tick late.
 */
export const NACK_LATE_RETRY_WINDOW_MS = 7.5;
/**
 * Largest guard (ms) the arrival jitter adds before an answer's deadline. The interarrival jitter
 * (RFC 3550 §6.4.1) also measures the receiver's own stalls: packets read in a batch after one look
 * like tens of ms of jitter for seconds afterwards, and a guard that large rules out requests whose
 * answers would arrive in time.
 */
export const NACK_MAX_GUARD_MS = 10;
/**
 * Copies of an early answer to a NACK (rtx.ts, `RtxCopyPolicy`): a loss burst lasts tens of ms, and
 * on a 40 ms RTT, 100 ms buffer path with 5 % bursty loss the simulation concealed 0.33 % with one
 * copy, 0.26 % with two (0.46 % with none, the answer alone). Each copy costs a retransmission.
 */
export const RTX_COPIES = 2;
/**
 * Between an answer and its copy, and between copies: one 20 ms packet time, so that each leaves in
 * another packet slot; with the send clock's granularity (a frame) a copy leaves 20 to 40 ms after
 * the one before.
 */
export const RTX_COPY_SPACING_MS = 20;
/**
 * How far past the original's send plus the RTT a request may reach us and still be copied: the
 * receiver's loss detection (a packet time's lateness at most, plus its tick) and the feedback
 * path's jitter.
 */
export const RTX_COPY_EARLY_MS = 30;
/**
 * A first NACK is sent once more this much later (nack-scheduler.ts, `echoSpacingMs`): one packet
 * time, past most of a short burst on the feedback path, and shorter than the sender's resend
 * interval (three quarters of the RTT, rtx.ts) at RTTs from 27 ms up, so a sender that answered the
 * first ignores it. Where no repeat fits before playout, a lost NACK was a lost frame.
 */
export const NACK_ECHO_SPACING_MS = 20;

export interface RecoveryStageIo {
  /** Into the jitter buffer. */
  push(p: IncomingPacket): void;
  /** The jitter buffer's target delay (ms), undefined when not receiving. */
  bufferDelayMs(): number | undefined;
  /**
   * When the frame with this RTP timestamp will be taken from the jitter buffer (ms), undefined
   * when not known (playout not started). Optional: without it the time is estimated from the
   * arrivals and `bufferDelayMs`, which is up to a packet time early (the pull grid's phase).
   */
  playoutAtMs?(timestamp: number): number | undefined;
  rttMs(): number | null;
  remoteSsrc(): number | null;
  sendRtx(packet: RtpPacket): void;
  sendFeedback(packets: RtcpPacket[]): void;
}

export interface RecoveryStageOptions {
  params: MediaRecoveryParams;
  /** The codec's payload type (the primary of RED, the apt of RTX). */
  primaryPt: number;
  ourSsrc: number;
  rtpClockRate: number;
  /** Packet time the peer sends (for deadlines and the RED distance), ms. */
  receivePtimeMs: number;
  random?: () => number;
}

type Counts = Omit<MediaRecoveryStats, 'red' | 'rtx' | 'duplicate' | 'stillLost' | 'paths' | 'recoveredByPath' | 'rtxCopies'>;

export class RecoveryStage {
  private readonly o: RecoveryStageOptions;
  private readonly io: RecoveryStageIo;
  private readonly redTx: RedEncoder | null;
  private redRx: RedRecovery | null = null;
  private readonly history: RtxHistory | null;
  private readonly nack: NackScheduler | null;
  private readonly overdue: OverdueDetector | null;
  /** Copies per RED packet the peer sends (its depth), learnt from its packets. */
  private redDepth = 0;
  readonly merger: DuplicateMerger | null;
  private readonly have = new SeqStateWindow(1024);
  private txFrames = 0;
  /** The latest original packet that raised the highest sequence number: the timing anchor. */
  private readonly highest = { known: false, seq: 0, arrivalMs: 0, timestamp: 0 };
  private readonly counts: Counts = {
    recoveredByRed: 0,
    recoveredByRtx: 0,
    nackRequests: 0,
    nacksSent: 0,
    rtxLate: 0,
    peerRequests: 0,
    rtxSent: 0,
    rtxMissing: 0,
    rtxSuppressed: 0,
    redMalformed: 0,
  };

  constructor(options: RecoveryStageOptions, io: RecoveryStageIo) {
    this.o = options;
    this.io = io;
    const p = options.params;
    const random = options.random ?? Math.random;
    this.redTx = p.red ? new RedEncoder({ depth: p.red.depth, distance: p.red.distance }) : null;
    this.history = p.rtx
      ? new RtxHistory({
          capacityPackets: RTX_HISTORY_PACKETS,
          capacityMs: Math.max(1, Math.min(60_000, p.rtx.rtxTimeMs)),
          rtxSsrc: (random() * 0x1_0000_0000) >>> 0,
          rtxPayloadTypes: new Map([[options.primaryPt, p.rtx.payloadType]]),
          initialRtxSeq: (random() * 0x10000) >>> 0,
          // One answer per packet per round trip: a repeat sooner was asked before our resend could arrive.
          rttMs: () => this.io.rttMs(),
          copy: { count: RTX_COPIES, spacingMs: RTX_COPY_SPACING_MS, earlyMs: RTX_COPY_EARLY_MS },
        })
      : null;
    this.nack = p.rtx
      ? new NackScheduler({
          deadlineOf: (s) => this.deadlineOf(s),
          retryMarginMs: NACK_RETRY_MARGIN_MS,
          rttMs: () => this.rttMs(),
          maxPerRtt: Math.max(NACK_MIN_PER_RTT, Math.ceil(DEFAULT_NACK_RTT_MS / options.receivePtimeMs)),
          guardMs: () => this.guardMs(),
          lateRetryWindowMs: NACK_LATE_RETRY_WINDOW_MS,
          echoSpacingMs: NACK_ECHO_SPACING_MS,
          ...(p.red ? { holdUntil: (s: number, now: number) => this.redHold(s, now) } : {}),
        })
      : null;
    this.overdue = p.rtx ? new OverdueDetector({ ptimeMs: options.receivePtimeMs, clockRate: options.rtpClockRate }) : null;
    this.merger = p.duplicate ? new DuplicateMerger({ clockRate: options.rtpClockRate }) : null;
  }

  // ------------------------------------------------------------------------------------------
  // Send side

  /** The payload and payload type to send for one encoded frame (RED-wrapped when RED is on). */
  outgoing(payload: Buffer, timestamp: number): { payload: Buffer; payloadType: number } {
    if (!this.redTx || !this.o.params.red) return { payload, payloadType: this.o.primaryPt };
    const red = this.redTx.encode({ sequenceNumber: this.txFrames++ & 0xffff, timestamp: timestamp >>> 0, payloadType: this.o.primaryPt, payload });
    return { payload: red.payload, payloadType: this.o.params.red.payloadType };
  }

  /**
   * What `outgoing` gave was sent as `packet` (null: not sent, so the RED copies start over). `packet`
   * is kept for RTX, so its payload must be a buffer nobody reuses (the RTP session's own copy,
   * `RtpSession.sendPayload`); `primary`, the codec frame it carries, is not kept: the caller may
   * reuse it.
   */
  sent(packet: RtpPacket | null, primary: Buffer, nowMs: number): void {
    this.sendCopies(nowMs);
    if (!packet) {
      this.redTx?.reset();
      return;
    }
    if (!this.history) return;
    // RTX resends the primary under the codec's own payload type (apt, RFC 4588 §8.1): the packet
    // itself when it went out plain; from RED, its last block (RFC 2198 §3: the primary comes last).
    if (packet.payloadType === this.o.primaryPt) this.history.record(packet, nowMs);
    else this.history.record({ ...packet, payloadType: this.o.primaryPt, payload: packet.payload.subarray(packet.payload.length - primary.length) }, nowMs);
  }

  /** RTCP from the peer: answer its generic NACKs about our stream with RTX. */
  onRtcp(packets: readonly RtcpPacket[], nowMs: number): void {
    if (!this.history) return;
    for (const p of packets) {
      if (p.type !== 'nack' || p.mediaSsrc !== this.o.ourSsrc) continue;
      const seqs = nackFciToSeqs(p.fci);
      this.counts.peerRequests += seqs.length;
      const out = this.history.onNack(seqs, nowMs);
      this.counts.rtxMissing += out.missing.length;
      this.counts.rtxSuppressed += out.suppressed.length;
      for (const pkt of out.packets) {
        this.io.sendRtx(pkt);
        this.counts.rtxSent++;
      }
    }
  }

  /** The RTX history's counts (answers, copies, suppressed requests), if answering NACKs. */
  rtxStats(): Readonly<RtxHistoryStats> | undefined {
    return this.history?.stats;
  }

  /** Copies of early answers now due (rtx.ts): on the send clock, and on the receive ticks. */
  private sendCopies(nowMs: number): void {
    if (!this.history || this.history.nextCopyMs() === undefined) return;
    for (const pkt of this.history.dueCopies(nowMs)) this.io.sendRtx(pkt);
  }

  // ------------------------------------------------------------------------------------------
  // Receive side

  /** An RTP packet of the stream from path `path` (0 unless the stream is duplicated). */
  onRtp(pkt: RtpPacket, arrivalMs: number, path: PathIndex = 0): void {
    if (this.merger && !this.merger.push(path, pkt, arrivalMs)) return;
    const red = this.o.params.red;
    if (!red || pkt.payloadType !== red.payloadType) {
      this.redRx?.received(pkt.sequenceNumber);
      this.deliver(pkt, pkt.payload, arrivalMs, null);
      return;
    }
    let parsed;
    try {
      parsed = parseRed(pkt.payload);
    } catch {
      this.counts.redMalformed++;
      return;
    }
    this.redRx ??= this.makeRedRecovery(parsed.redundant);
    if (!this.redRx) {
      this.deliver(pkt, parsed.primary.payload, arrivalMs, null);
      return;
    }
    this.redDepth = Math.max(this.redDepth, parsed.redundant.length);
    const r = this.redRx.push({ sequenceNumber: pkt.sequenceNumber, timestamp: pkt.timestamp, red: parsed });
    // The copies first: handed on after the primary, they would be NACKed as its gap (and RTX'd).
    for (const f of r.recovered) {
      if (f.payloadType !== this.o.primaryPt) continue;
      this.deliver({ sequenceNumber: f.sequenceNumber, timestamp: f.timestamp, marker: false }, f.payload, arrivalMs, 'red');
    }
    if (r.primaryIsNew) this.deliver(pkt, parsed.primary.payload, arrivalMs, null);
  }

  /** A packet of the side stream (RTX, RFC 4588: own SSRC and sequence numbers). */
  onSide(pkt: RtpPacket, arrivalMs: number): void {
    const rtx = this.o.params.rtx;
    const ssrc = this.io.remoteSsrc();
    if (!rtx || pkt.payloadType !== rtx.payloadType || ssrc === null) return;
    let original: RtpPacket | undefined;
    try {
      original = unwrapRtx(pkt, { payloadType: this.o.primaryPt, ssrc });
    } catch {
      return;
    }
    if (!original) return;
    this.redRx?.received(original.sequenceNumber);
    this.deliver(original, original.payload, arrivalMs, 'rtx');
  }

  /** Called on every receive tick: numbers overdue are deemed lost, and the NACKs now due go out. */
  poll(nowMs: number): void {
    this.sendCopies(nowMs);
    if (!this.nack) return;
    if (this.overdue) {
      const late = this.overdue.overdue(nowMs);
      if (late.length > 0) this.nack.onOverdue(late, nowMs);
    }
    const seqs = this.nack.due(nowMs);
    if (seqs.length === 0) return;
    const media = this.io.remoteSsrc();
    if (media === null) return;
    const packets = buildGenericNacks(this.o.ourSsrc, media, seqs);
    this.io.sendFeedback(packets);
    this.counts.nackRequests += seqs.length;
    this.counts.nacksSent += packets.length;
  }

  /** The NACK scheduler's own counts (numbers deemed lost by time, held for RED, capped), if NACKing. */
  nackStats(): Readonly<NackSchedulerStats> | undefined {
    return this.nack?.stats;
  }

  stats(stillLost: number, paths?: MediaRecoveryStats['paths']): MediaRecoveryStats {
    const p = this.o.params;
    const m = this.merger?.stats();
    const path0 = this.merger?.pathStats(0);
    return {
      red: p.red !== undefined,
      rtx: p.rtx !== undefined,
      duplicate: p.duplicate !== undefined,
      ...this.counts,
      rtxCopies: this.history?.stats.copies ?? 0,
      // Every packet passed on that the first path never brought came by the second.
      recoveredByPath: m && path0 ? Math.max(0, m.delivered - path0.received) : 0,
      stillLost,
      ...(paths ? { paths } : {}),
    };
  }

  // ------------------------------------------------------------------------------------------

  private makeRedRecovery(redundant: readonly { timestampOffset: number }[]): RedRecovery | null {
    // The sender's distance is not signalled: the nearest copy is `distance` packet times back.
    const nearest = redundant[redundant.length - 1];
    if (!nearest) return null;
    const unitsPerPacket = (this.o.receivePtimeMs * this.o.rtpClockRate) / 1000;
    const distance = Math.round(nearest.timestampOffset / unitsPerPacket);
    return distance >= 1 && distance <= 3 ? new RedRecovery({ distance }) : null;
  }

  private deliver(pkt: Pick<RtpPacket, 'sequenceNumber' | 'timestamp' | 'marker'>, payload: Buffer, arrivalMs: number, via: 'red' | 'rtx' | null): void {
    const seq = pkt.sequenceNumber;
    if (!this.have.observe(seq)) return;
    if (this.have.get(seq) !== 0) {
      if (via === 'rtx') this.counts.rtxLate++;
      return;
    }
    this.have.set(seq, 1);
    if (via === 'red') this.counts.recoveredByRed++;
    if (via === 'rtx') {
      const d = this.deadlineOf(seq);
      if (d !== undefined && arrivalMs > d) this.counts.rtxLate++;
      else this.counts.recoveredByRtx++;
    }
    if (via === null) {
      const h = this.highest;
      if (!h.known || seqDiff(seq, h.seq) > 0) {
        h.known = true;
        h.seq = seq;
        h.arrivalMs = arrivalMs;
        h.timestamp = pkt.timestamp;
      }
      this.overdue?.onOriginal(seq, pkt.timestamp, arrivalMs);
    }
    this.io.push({ seq, timestamp: pkt.timestamp, payload, arrivalMs, marker: pkt.marker });
    if (!this.nack) return;
    this.nack.onArrival(seq, arrivalMs, via === 'rtx');
    // RFC 4585 §3.5.2: ask as soon as the gap shows (the receive ticks only retry).
    this.poll(arrivalMs);
  }

  private rttMs(): number {
    return this.io.rttMs() ?? DEFAULT_NACK_RTT_MS;
  }

  /** How much earlier than the deadline an answer must be due: the arrival jitter, 1 to 10 ms. */
  private guardMs(): number {
    return Math.max(NACK_MIN_GUARD_MS, Math.min(NACK_MAX_GUARD_MS, this.overdue?.jitterGuardMs() ?? 0));
  }

  /**
   * Until when a first NACK for `seq` waits for RED (RFC 2198): the copies of `seq` ride on
   * seq + distance·k, k = 1…depth. Wait for the next of those still due (its expected arrival plus
   * the margin), unless waiting would cost the repeat request: both the request and its repeat
   * (an RTT plus the retry margin later) must still be able to beat the deadline. Holding longer
   * trades a retransmission saved on isolated losses for a burst's second chance, and on a 40 ms
   * RTT, 100 ms buffer link the simulation concealed more that way.
   */
  private redHold(seq: number, nowMs: number): number | undefined {
    const d = this.redRx?.distance;
    const o = this.overdue;
    if (d === undefined || !o || this.redDepth === 0) return undefined;
    const deadline = this.deadlineOf(seq);
    for (let k = 1; k <= this.redDepth; k++) {
      const expected = o.expectedArrivalMs(seqAdd(seq, d * k));
      if (expected === undefined) return undefined;
      const until = expected + o.marginMs();
      if (until <= nowMs) continue;
      const twoRequests = 2 * this.rttMs() + NACK_RETRY_MARGIN_MS + this.guardMs();
      return deadline === undefined || until + twoRequests <= deadline ? until : undefined;
    }
    return undefined;
  }

  /** When `seq` is played (ms): from the jitter buffer's playout position if known, else estimated. */
  private deadlineOf(seq: number): number | undefined {
    const h = this.highest;
    if (!h.known) return undefined;
    const j = seqDiff(seq, h.seq);
    const ptimeMs = this.overdue?.packetTimeMs ?? this.o.receivePtimeMs;
    const at = this.io.playoutAtMs?.(tsAdd(h.timestamp, Math.round((j * ptimeMs * this.o.rtpClockRate) / 1000)));
    if (at !== undefined) return at;
    const delay = this.io.bufferDelayMs();
    return delay === undefined ? undefined : h.arrivalMs + j * ptimeMs + delay;
  }
}

