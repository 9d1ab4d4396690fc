/**
 * RTP retransmission payload format, RTX (RFC 4588), SSRC-multiplexed (§5.2, §8.3): the
 * retransmission stream has its own SSRC, payload type and sequence numbers. Pure: no I/O and no
 * timers (times are passed in as ms); malformed input throws `RecoveryError` with a stable code.
 *
 * RFC 4588 §4, a retransmission packet:
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                         RTP Header                            |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |            OSN                |                               |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
 *    |                  Original RTP Packet Payload                  |
 *    |                                                               |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The header carries the RTX payload type, the RTX SSRC and the RTX stream's own sequence number
 * (§4: one higher than the previous retransmission's); the timestamp MUST be the original's. We
 * also carry over the marker bit, CSRCs and header extension so unwrapping restores the original.
 */
import { checkIntOption, checkNumberOption, RecoveryError } from './recovery/recovery-error.js';
import type { RtpPacket } from './rtp-packet.js';
import { seqAdd, seqDiff, seq16 } from './seq.js';

const OSN_LEN = 2;

export interface RtxStream {
  payloadType: number;
  ssrc: number;
}

/** Wrap `original` into an RTX packet with sequence number `rtxSeq` (the OSN goes in front). */
export function wrapRtx(original: RtpPacket, rtx: RtxStream, rtxSeq: number): RtpPacket {
  const payload = Buffer.alloc(OSN_LEN + original.payload.length);
  payload.writeUInt16BE(original.sequenceNumber, 0);
  original.payload.copy(payload, OSN_LEN);
  return {
    version: 2,
    padding: 0,
    marker: original.marker,
    payloadType: rtx.payloadType,
    sequenceNumber: seq16(rtxSeq),
    timestamp: original.timestamp,
    ssrc: rtx.ssrc,
    csrcs: [...original.csrcs],
    extension: original.extension,
    payload,
  };
}

/**
 * Restore the original packet from an RTX packet, given the original stream's payload type (the
 * `apt` of the RTX format, §8.1) and SSRC. Returns undefined for a packet with an empty payload:
 * no OSN, nothing to restore (senders use such packets as padding for bandwidth probing).
 */
export function unwrapRtx(rtx: RtpPacket, original: RtxStream): RtpPacket | undefined {
  if (rtx.payload.length === 0) return undefined;
  if (rtx.payload.length < OSN_LEN) {
    throw new RecoveryError('RTX_SHORT', `RTX payload of ${rtx.payload.length} octet, the OSN needs 2 (RFC 4588 §4)`, { offset: 0 });
  }
  return {
    version: 2,
    padding: 0,
    marker: rtx.marker,
    payloadType: original.payloadType,
    sequenceNumber: rtx.payload.readUInt16BE(0),
    timestamp: rtx.timestamp,
    ssrc: original.ssrc,
    csrcs: [...rtx.csrcs],
    extension: rtx.extension,
    payload: rtx.payload.subarray(OSN_LEN),
  };
}

export interface RtxHistoryOptions {
  /** Packets kept at most (1..32767, so a sequence number names one packet). */
  capacityPackets: number;
  /** Age in ms beyond which a packet is useless to resend (the far end's rtx-time, §8.1). */
  capacityMs: number;
  /** The RTX stream: its SSRC, and the RTX payload type for each original payload type. */
  rtxSsrc: number;
  rtxPayloadTypes: ReadonlyMap<number, number>;
  /** The first RTX sequence number (random, RFC 3550 §5.1; chosen by the caller). */
  initialRtxSeq: number;
  /**
   * The round-trip time to the receiver (ms, RFC 3550 §6.4.1), or null while unknown: a packet is
   * not resent again within `RTX_RESEND_RTT_FRACTION` of it (see `resendIntervalMs`).
   */
  rttMs?: () => number | null;
  /** The shortest interval between two resends of one packet (ms; default `RTX_MIN_RESEND_INTERVAL_MS`). */
  minResendIntervalMs?: number;
  /**
   * Send early answers again, spaced (see `RtxCopyPolicy`); undefined: no copies. A copy leaves on
   * the first `dueCopies` call at or after its time.
   */
  copy?: RtxCopyPolicy;
}

/**
 * When an answer is sent more than once. RFC 4588 lets a sender retransmit a packet more than once
 * (each retransmission packet takes the next RTX sequence number, §4); each copy goes `spacingMs`
 * after the one before, so that the loss burst that takes the answer (a bursty path stays bad for
 * tens of ms) seldom takes every copy. Only an early answer is copied: one to a request that
 * reached us at most `earlyMs` past the original's send plus the RTT, the receiver's first reaction
 * to the loss, whose answer leaves while the burst that took the original may still be going on. A
 * later request was timed by the receiver (a repeat, or a first request it put off): its answer has
 * little time left before playout, and copies would arrive too late. A copy that cannot leave
 * within `spacingMs` of its time (a sender not scheduled for that long) is dropped for the same
 * reason. The request says nothing of the receiver's playout time, so these bounds stand in for it:
 * the last copy leaves at most the RTT plus `earlyMs` plus (`count` + 1)·`spacingMs` after the
 * original (130 ms with the media session's two copies and a 40 ms RTT); a receiver with a shorter
 * buffer simply has some copies arrive after playout.
 */
export interface RtxCopyPolicy {
  /** Copies per early answer (1..4). */
  count: number;
  spacingMs: number;
  earlyMs: number;
}

/** Copies waiting for their time, at most (a NACK flood must not grow the queue without bound). */
export const RTX_MAX_PENDING_COPIES = 256;

/**
 * Floor of the per-packet resend interval (ms), also the interval while the RTT is unknown: requests
 * for the same packet this close together are one loss reported twice (two feedback packets sent
 * back to back, or a receiver's early request and its first retry), never a lost retransmission,
 * whose news would take a round trip. Below the shortest repeat interval of acip's own receiver
 * (nack-scheduler.ts: the measured answer time plus at least 4 ms).
 */
export const RTX_MIN_RESEND_INTERVAL_MS = 2;

/**
 * The resend interval as a fraction of the RTT. A request that reaches the sender less than an RTT
 * after it resent the packet was sent before the receiver could have had that retransmission:
 * answering it would only send the same answer twice. A quarter of the RTT is left for the two
 * ends' RTT estimates to differ and for jitter on the feedback path, so a receiver that waits at
 * least an RTT before asking again (acip's does, nack-scheduler.ts) is always answered.
 */
export const RTX_RESEND_RTT_FRACTION = 0.75;

export interface RtxHistoryStats {
  stored: number;
  evicted: number;
  /** Retransmissions produced. */
  resent: number;
  /** Requested sequence numbers no longer (or never) in the history. */
  missing: number;
  /** Requests not answered because the packet was resent less than the resend interval ago. */
  suppressed: number;
  /** Early answers sent a second time (`RtxCopyPolicy`), not counted in `resent`. */
  copies: number;
  /** Copies not sent: the packet was evicted, or the copy's time had long passed when asked. */
  copiesDropped: number;
}

interface Entry {
  packet: RtpPacket;
  sentMs: number;
  lastResentMs: number | undefined;
  /** Until when copies of its answer are queued: a request before then is answered by them. */
  copiesUntilMs: number | undefined;
}

interface PendingCopy {
  entry: Entry;
  atMs: number;
  /** Copies of this answer still to send after this one. */
  more: number;
}

/**
 * The sender's memory of what it sent, by sequence number, bounded by a packet count and an age:
 * the oldest entries go first. Answers a NACK with RTX packets carrying consecutive RTX sequence
 * numbers, at most once per resend interval per packet: a receiver that asks early and asks again
 * every few tens of ms (GStreamer's rtpjitterbuffer does) gets one retransmission per round trip,
 * not one per request. With a copy policy, an early answer is sent again later (`dueCopies`).
 */
export class RtxHistory {
  private readonly options: Required<Omit<RtxHistoryOptions, 'rttMs' | 'copy'>>;
  private readonly rttMs: (() => number | null) | undefined;
  private readonly copy: RtxCopyPolicy | undefined;
  /** Copies due, in time order. */
  private readonly copies: PendingCopy[] = [];
  private readonly bySeq = new Map<number, Entry>();
  private readonly order: Entry[] = [];
  private head = 0;
  private nextRtxSeq: number;
  private readonly counts: RtxHistoryStats = { stored: 0, evicted: 0, resent: 0, missing: 0, suppressed: 0, copies: 0, copiesDropped: 0 };

  constructor(options: RtxHistoryOptions) {
    checkIntOption(options.capacityPackets, 1, 0x7fff, 'capacityPackets');
    checkIntOption(options.capacityMs, 1, 60_000, 'capacityMs');
    checkIntOption(options.rtxSsrc, 0, 0xffff_ffff, 'rtxSsrc');
    checkIntOption(options.initialRtxSeq, 0, 0xffff, 'initialRtxSeq');
    checkIntOption(options.minResendIntervalMs ?? RTX_MIN_RESEND_INTERVAL_MS, 0, 60_000, 'minResendIntervalMs');
    for (const [orig, rtx] of options.rtxPayloadTypes) {
      checkIntOption(orig, 0, 127, 'rtxPayloadTypes (original)');
      checkIntOption(rtx, 0, 127, 'rtxPayloadTypes (rtx)');
    }
    if (options.copy) {
      checkNumberOption(options.copy.spacingMs, 0, 10_000, 'copy.spacingMs');
      checkNumberOption(options.copy.earlyMs, 0, 10_000, 'copy.earlyMs');
      checkIntOption(options.copy.count, 1, 4, 'copy.count');
    }
    const { rttMs, copy, ...rest } = options;
    this.options = { minResendIntervalMs: RTX_MIN_RESEND_INTERVAL_MS, ...rest };
    this.rttMs = rttMs;
    this.copy = copy;
    this.nextRtxSeq = options.initialRtxSeq;
  }

  get stats(): Readonly<RtxHistoryStats> {
    return this.counts;
  }

  /** How long (ms) after resending a packet further requests for it are not answered. */
  resendIntervalMs(): number {
    const rtt = this.rttMs?.() ?? null;
    return Math.max(this.options.minResendIntervalMs, rtt === null ? 0 : RTX_RESEND_RTT_FRACTION * rtt);
  }

  /** Packets currently held. */
  get size(): number {
    return this.bySeq.size;
  }

  /** Remember a packet just sent at `sentMs`. A packet with the same sequence number replaces the older one. */
  record(packet: RtpPacket, sentMs: number): void {
    const entry: Entry = { packet, sentMs, lastResentMs: undefined, copiesUntilMs: undefined };
    this.bySeq.set(packet.sequenceNumber, entry);
    this.order.push(entry);
    this.counts.stored++;
    this.evict(sentMs);
  }

  /** The stored original for `seq`, if still held at `nowMs`. */
  get(seq: number, nowMs: number): RtpPacket | undefined {
    this.evict(nowMs);
    return this.bySeq.get(seq16(seq))?.packet;
  }

  /**
   * Answer a NACK (RFC 4585 §6.2.1) received at `nowMs`: one RTX packet per requested sequence
   * number still held (in request order) and not resent within the resend interval, the numbers
   * that could not be resent, and those suppressed as already answered.
   */
  onNack(seqs: readonly number[], nowMs: number): { packets: RtpPacket[]; missing: number[]; suppressed: number[] } {
    this.evict(nowMs);
    const interval = this.resendIntervalMs();
    const packets: RtpPacket[] = [];
    const missing: number[] = [];
    const suppressed: number[] = [];
    for (const raw of seqs) {
      const seq = seq16(raw);
      const entry = this.bySeq.get(seq);
      const rtxPt = entry ? this.options.rtxPayloadTypes.get(entry.packet.payloadType) : undefined;
      if (!entry || rtxPt === undefined) {
        this.counts.missing++;
        missing.push(seq);
        continue;
      }
      // Already answered within the resend interval, or copies of the answer are still to go (a
      // receiver's repeated request on a short round trip would otherwise add an answer and its copies
      // on top of the copies already queued).
      if ((entry.lastResentMs !== undefined && nowMs - entry.lastResentMs < interval) || (entry.copiesUntilMs !== undefined && nowMs < entry.copiesUntilMs)) {
        this.counts.suppressed++;
        suppressed.push(seq);
        continue;
      }
      if (entry.lastResentMs === undefined && this.isEarly(entry, nowMs)) this.queueCopy(entry, nowMs);
      entry.lastResentMs = nowMs;
      packets.push(this.wrap(entry, rtxPt));
      this.counts.resent++;
    }
    return { packets, missing, suppressed };
  }

  /** When the next copy is due (ms), or undefined if none waits. */
  nextCopyMs(): number | undefined {
    return this.copies[0]?.atMs;
  }

  /**
   * The copies due at `nowMs` (`RtxCopyPolicy`), each with the next RTX sequence number: RFC 4588 §4
   * numbers every retransmission packet, a second one of the same original included.
   */
  dueCopies(nowMs: number): RtpPacket[] {
    const spacing = this.copy?.spacingMs ?? 0;
    const out: RtpPacket[] = [];
    while (this.copies.length > 0 && (this.copies[0] as PendingCopy).atMs <= nowMs) {
      const c = this.copies.shift() as PendingCopy;
      this.evict(nowMs);
      const held = this.bySeq.get(c.entry.packet.sequenceNumber) === c.entry;
      const rtxPt = this.options.rtxPayloadTypes.get(c.entry.packet.payloadType);
      if (!held || rtxPt === undefined || nowMs - c.atMs > spacing) {
        this.counts.copiesDropped++;
        continue;
      }
      out.push(this.wrap(c.entry, rtxPt));
      this.counts.copies++;
      if (c.more > 0) this.schedule({ entry: c.entry, atMs: c.atMs + spacing, more: c.more - 1 });
    }
    return out;
  }

  private wrap(entry: Entry, rtxPt: number): RtpPacket {
    const p = wrapRtx(entry.packet, { payloadType: rtxPt, ssrc: this.options.rtxSsrc }, this.nextRtxSeq);
    this.nextRtxSeq = seqAdd(this.nextRtxSeq, 1);
    return p;
  }

  /** Whether a first request for `entry` received at `nowMs` is the receiver's first reaction to the loss. */
  private isEarly(entry: Entry, nowMs: number): boolean {
    const c = this.copy;
    return c !== undefined && nowMs - entry.sentMs <= (this.rttMs?.() ?? 0) + c.earlyMs;
  }

  private queueCopy(entry: Entry, nowMs: number): void {
    if (!this.copy) return;
    entry.copiesUntilMs = nowMs + this.copy.count * this.copy.spacingMs;
    this.schedule({ entry, atMs: nowMs + this.copy.spacingMs, more: this.copy.count - 1 });
  }

  /** Queue a copy in time order (a later copy of an earlier answer may be due after a newer answer's first). */
  private schedule(c: PendingCopy): void {
    if (this.copies.length >= RTX_MAX_PENDING_COPIES) {
      this.counts.copiesDropped++;
      return;
    }
    let i = this.copies.length;
    while (i > 0 && (this.copies[i - 1] as PendingCopy).atMs > c.atMs) i--;
    this.copies.splice(i, 0, c);
  }

  private evict(nowMs: number): void {
    while (this.head < this.order.length) {
      const oldest = this.order[this.head] as Entry;
      const superseded = this.bySeq.get(oldest.packet.sequenceNumber) !== oldest;
      const tooMany = this.bySeq.size > this.options.capacityPackets;
      const tooOld = nowMs - oldest.sentMs > this.options.capacityMs;
      // Also drop anything half the sequence circle behind the newest: its number is ambiguous.
      const newest = this.order[this.order.length - 1] as Entry;
      const ambiguous = seqDiff(newest.packet.sequenceNumber, oldest.packet.sequenceNumber) < 0;
      if (!superseded && !tooMany && !tooOld && !ambiguous) break;
      if (!superseded) {
        this.bySeq.delete(oldest.packet.sequenceNumber);
        this.counts.evicted++;
      }
      this.head++;
    }
    // Compact the queue now and then instead of shifting on every eviction.
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }
}
