/**
 * Reception statistics for one RTP source, after RFC 3550 Appendix A:
 *  - A.1 source validation and sequence-number bookkeeping (probation, extended highest
 *    sequence number, cycles, bad_seq restart detection),
 *  - A.3 expected / lost packets (cumulative, clamped to signed 24 bits, and the fraction lost
 *    per reporting interval),
 *  - A.8 interarrival jitter in timestamp units,
 *  - plus what A leaves out but operators want: duplicates and reordered packets, and the
 *    LSR/arrival of the source's last SR so our report blocks can carry LSR/DLSR (§6.4.1).
 *
 * Pure bookkeeping: times are passed in (monotonic ms), nothing here reads a clock.
 */
import type { ReportBlock } from './rtcp/report-block.js';
import { msToCompactNtp } from './ntp.js';
import { SEQ_MOD, seqDelta, seqDiff, tsDiff } from './seq.js';

/** A.1 constants. */
export const MAX_DROPOUT = 3000;
export const MAX_MISORDER = 100;
export const MIN_SEQUENTIAL = 2;

/** What `update()` decided about a packet. */
export type SeqVerdict =
  /** Source still on probation (A.1): not yet valid; the caller may hold the packet. */
  | 'probation'
  /** In sequence or a forward jump within MAX_DROPOUT. */
  | 'ok'
  /** Arrived after a later packet (within MAX_MISORDER), first copy. */
  | 'reordered'
  /** A copy of a packet already received. */
  | 'duplicate'
  /** A jump beyond MAX_DROPOUT/MAX_MISORDER, held as a possible restart (A.1 bad_seq): drop. */
  | 'bad'
  /** The second of two sequential packets after a big jump: A.1 assumes the source restarted. */
  | 'restart';

export interface ReceiverStatsSnapshot {
  ssrc: number;
  /** A.1: the source has passed probation. */
  valid: boolean;
  /** A.1 `received`, duplicates included (as the RFC counts them). */
  received: number;
  /** A.3 `expected` = extended highest − base + 1. */
  expected: number;
  /** A.3 cumulative lost = expected − received (may be negative with duplicates); unclamped. */
  lost: number;
  duplicates: number;
  reordered: number;
  /** Packets dropped by A.1 as a large jump (bad_seq) or beyond MAX_MISORDER late. */
  badSeq: number;
  /** Times A.1 decided the source restarted its sequence numbers. */
  restarts: number;
  /** Extended highest sequence number received (cycles · 2^16 + max_seq), 32-bit. */
  extendedHighestSeq: number;
  cycles: number;
  /** A.8 interarrival jitter, timestamp units. */
  jitter: number;
  /** The same in milliseconds (jitter / clockRate · 1000). */
  jitterMs: number;
  /** Fraction lost over the last completed reporting interval, 0..1 (from the last report block made). */
  lastFractionLost: number;
  /** LSR of the last SR from this source (middle 32 NTP bits), 0 if none. */
  lsr: number;
}

/** Clamp to the signed 24-bit range of the report block's cumulative-lost field (A.3). */
export function clampCumulativeLost(lost: number): number {
  if (lost > 0x7f_ffff) return 0x7f_ffff;
  if (lost < -0x80_0000) return -0x80_0000;
  return lost;
}

/**
 * A.3 fraction lost as the 8-bit fixed-point field: (lost_interval << 8) / expected_interval,
 * 0 when nothing was expected or more arrived than expected (duplicates).
 */
export function fractionLostField(expectedInterval: number, receivedInterval: number): number {
  const lostInterval = expectedInterval - receivedInterval;
  if (expectedInterval <= 0 || lostInterval <= 0) return 0;
  return Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
}

/**
 * Size of the duplicate-detection window (extended sequence numbers remembered). A.1 takes a packet
 * behind the highest as a duplicate or a reordered one only within MAX_MISORDER (further back it is a
 * jump), so any window larger than that is exact; 256 entries are 2 KiB to allocate per source.
 */
const DUP_WINDOW = 256;

export class ReceiverStats {
  readonly ssrc: number;
  readonly clockRate: number;

  // A.1 state. `maxSeq` is 16-bit; `cycles` counts wraps (number of 2^16 periods, not shifted).
  private maxSeq = 0;
  private cycles = 0;
  /** Extended base sequence (a plain integer, may be negative, see `update`). */
  private baseSeq = 0;
  private badSeq = SEQ_MOD + 1; // "so seq == bad_seq is false"
  private probation = MIN_SEQUENTIAL;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;

  private duplicates = 0;
  private reordered = 0;
  private badSeqCount = 0;
  private restarts = 0;
  private readonly seen = new Float64Array(DUP_WINDOW).fill(-1);

  // A.8 state.
  private jitter = 0;
  private lastTransitArrivalMs: number | undefined;
  private lastTransitTs = 0;

  private lastFraction = 0;
  private lsr = 0;
  private lsrArrivalMs: number | undefined;

  constructor(ssrc: number, clockRate: number, firstSeq: number) {
    this.ssrc = ssrc;
    this.clockRate = clockRate;
    // A.1: "init_seq(s, seq); s->max_seq = seq - 1; s->probation = MIN_SEQUENTIAL;"
    this.initSeq(firstSeq);
    this.maxSeq = (firstSeq - 1 + SEQ_MOD) % SEQ_MOD;
    this.probation = MIN_SEQUENTIAL;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
    this.seen.fill(-1);
  }

  private extendedMax(): number {
    return this.cycles * SEQ_MOD + this.maxSeq;
  }

  private markSeen(ext: number): boolean {
    const slot = ((ext % DUP_WINDOW) + DUP_WINDOW) % DUP_WINDOW;
    if (this.seen[slot] === ext) return true;
    this.seen[slot] = ext;
    return false;
  }

  /**
   * Account for one packet (A.1 `update_seq`, extended with duplicate detection) and, for
   * packets that count, the A.8 jitter estimate. `arrivalMs` is monotonic milliseconds.
   */
  update(seq: number, timestamp: number, arrivalMs: number): SeqVerdict {
    const udelta = seqDelta(seq, this.maxSeq);
    if (this.probation > 0) {
      // A.1: the source is valid after MIN_SEQUENTIAL packets in sequence.
      if (udelta === 1) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          // Deviation from A.1 (deliberate): A.1 re-bases at this packet, so the probation packets
          // count as neither expected nor received. We count them (they were in sequence, so
          // expected and received grow alike) because the session hands them to the consumer.
          this.baseSeq = seq - (MIN_SEQUENTIAL - 1);
          this.received = MIN_SEQUENTIAL;
          for (let i = 0; i < MIN_SEQUENTIAL; i++) this.markSeen(seq - i);
          this.updateJitter(timestamp, arrivalMs);
          return 'ok';
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      this.updateJitter(timestamp, arrivalMs);
      return 'probation';
    }

    let verdict: SeqVerdict;
    if (udelta === 0) {
      // Same as the highest: a duplicate of it (A.1 counts it in the "duplicate or reordered" arm).
      verdict = 'duplicate';
    } else if (udelta < MAX_DROPOUT) {
      // In order, with permissible gap. A wrap happened when the forward step crosses 2^16.
      if (this.maxSeq + udelta >= SEQ_MOD) this.cycles += 1;
      this.maxSeq = seq;
      verdict = 'ok';
    } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
      // The sequence number made a very large jump.
      if (seq === this.badSeq) {
        // Two sequential packets: assume the other side restarted without telling us,
        // so just re-sync (i.e. pretend this was the first packet).
        this.initSeq(seq);
        this.restarts++;
        // The timestamps restarted too: start a fresh transit baseline (the estimate itself carries on).
        this.lastTransitArrivalMs = undefined;
        this.received++;
        this.markSeen(this.extendedMax());
        this.updateJitter(timestamp, arrivalMs);
        return 'restart';
      }
      this.badSeq = (seq + 1) & (SEQ_MOD - 1);
      this.badSeqCount++;
      return 'bad';
    } else {
      verdict = 'reordered';
    }

    const ext = this.extendedMax() + seqDiff(seq, this.maxSeq);
    const seenBefore = this.markSeen(ext);
    if (verdict !== 'ok' && seenBefore) {
      // A.1 counts duplicates in `received`; we do too (A.3 then lets them offset losses) and
      // count them separately.
      this.duplicates++;
      this.received++;
      return 'duplicate';
    }
    if (verdict !== 'ok') {
      verdict = 'reordered';
      this.reordered++;
    }
    this.received++;
    this.updateJitter(timestamp, arrivalMs);
    return verdict;
  }

  /**
   * A.8: D(i,j) = (Rj − Ri) − (Sj − Si) in timestamp units; J += (|D| − J) / 16.
   * Arrival deltas are converted from ms with the clock rate; timestamp deltas use wrap-around.
   */
  private updateJitter(timestamp: number, arrivalMs: number): void {
    if (this.lastTransitArrivalMs !== undefined) {
      const arrivalDelta = ((arrivalMs - this.lastTransitArrivalMs) * this.clockRate) / 1000;
      const d = arrivalDelta - tsDiff(timestamp, this.lastTransitTs);
      this.jitter += (Math.abs(d) - this.jitter) / 16;
    }
    this.lastTransitArrivalMs = arrivalMs;
    this.lastTransitTs = timestamp;
  }

  /** Record an SR from this source (for LSR/DLSR in our report blocks, §6.4.1). */
  onSenderReport(lsr: number, arrivalMs: number): void {
    this.lsr = lsr;
    this.lsrArrivalMs = arrivalMs;
  }

  get isValid(): boolean {
    return this.probation === 0;
  }

  expected(): number {
    return this.extendedMax() - this.baseSeq + 1;
  }

  /**
   * Build the report block for this source (§6.4.1) and close the reporting interval
   * (A.3 `expected_prior`/`received_prior`). `nowMs` is monotonic, for DLSR.
   */
  makeReportBlock(nowMs: number): ReportBlock {
    const expected = this.expected();
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const fraction = fractionLostField(expectedInterval, receivedInterval);
    this.lastFraction = fraction / 256;
    return {
      ssrc: this.ssrc,
      fractionLost: fraction,
      cumulativeLost: clampCumulativeLost(expected - this.received),
      highestSeq: this.extendedMax() % 0x1_0000_0000,
      jitter: Math.min(0xffff_ffff, Math.floor(this.jitter)),
      lsr: this.lsr,
      dlsr: this.lsrArrivalMs === undefined || this.lsr === 0 ? 0 : msToCompactNtp(nowMs - this.lsrArrivalMs),
    };
  }

  snapshot(): ReceiverStatsSnapshot {
    const valid = this.isValid;
    const expected = valid ? this.expected() : 0;
    return {
      ssrc: this.ssrc,
      valid,
      received: valid ? this.received : 0,
      expected,
      lost: valid ? expected - this.received : 0,
      duplicates: this.duplicates,
      reordered: this.reordered,
      badSeq: this.badSeqCount,
      restarts: this.restarts,
      extendedHighestSeq: valid ? this.extendedMax() % 0x1_0000_0000 : 0,
      cycles: this.cycles,
      jitter: this.jitter,
      jitterMs: (this.jitter / this.clockRate) * 1000,
      lastFractionLost: this.lastFraction,
      lsr: this.lsr,
    };
  }
}
