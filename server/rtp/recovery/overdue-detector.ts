/**
 * Loss detection by time (RFC 4585 §6.2.1 lets a receiver NACK packets it deems lost; §3.5 leaves
 * when to the receiver). A gap shows only when the next packet after a burst arrives, so the first
 * packet of a long burst would be asked for too late to be played. The receiver knows the sender's
 * packet rate, so it also knows when each next sequence number is due: a number that is overdue by
 * more than a margin is deemed lost while the burst is still going on.
 *
 * Model: the latest original packet (not a copy or a retransmission) that raised the highest
 * sequence number is the anchor; sequence number anchor + j is expected j packet times after the
 * anchor arrived. The packet time is the signalled one until two consecutive numbers show the
 * sender's own (their timestamp step), so a peer whose a=ptime is wrong or missing does not have
 * every packet taken for overdue; a step more than four times off (the end of a DTX pause) is not
 * taken as the packet time. The margin covers arrival jitter: a multiple of the jitter, with a floor
 * of a quarter packet time (2 ms at least), so a packet that is merely late within the measured
 * jitter is not taken for lost.
 *
 * The jitter for the margin is the smaller of the running mean of RFC 3550 §6.4.1 (A.8) and the
 * upper quartile of the last `JITTER_WINDOW` transit differences |D| (the same D as A.8). Both
 * agree on steady jitter, and on a skewed one the mean is the lower. They differ on a receiver that
 * is not scheduled for a while (a loaded machine): the packets that came meanwhile are read in one
 * batch, and one such stall adds tens of ms to the running mean for seconds, so every loss in that
 * time is taken for lost a whole packet time later, too late for a retransmission; the quartile
 * ignores it as long as fewer than a quarter of the recent packets were caught in stalls.
 *
 * Bounded: at most `maxPerSilence` numbers are reported between two arrivals that raise the anchor,
 * so a sender that pauses (Opus DTX, RFC 7587 §3.1.3; hold; an outage) costs a handful of requests,
 * not a stream of them. Pure: no I/O, no timers; the caller passes the time.
 */
import { checkIntOption, checkNumberOption } from './recovery-error.js';
import { seqAdd, seqDiff, seq16, tsDiff } from '../seq.js';

/** Transit differences the margin's jitter is taken from (32 packet times: 640 ms at 20 ms). */
export const JITTER_WINDOW = 32;
/** Which of them, in ascending order of |D|: the upper quartile. */
const JITTER_QUANTILE = 0.75;

export interface OverdueDetectorOptions {
  /** The sender's packet time (ms): consecutive sequence numbers are this far apart. */
  ptimeMs: number;
  /** The RTP clock rate (Hz), for the jitter estimate from timestamps. */
  clockRate: number;
  /** Margin = max(floor, jitterFactor × jitter). Default 4. */
  jitterFactor?: number;
  /** Smallest margin (ms). Default a quarter packet time, at least 2 ms. */
  marginFloorMs?: number;
  /** Most numbers deemed lost between two arrivals (default 8). */
  maxPerSilence?: number;
}

/** The empty answer of `overdue`, shared (frozen: no caller can add to it). */
const NONE: readonly number[] = Object.freeze([]);

export class OverdueDetector {
  private readonly nominalPtimeMs: number;
  private ptimeMs: number;
  private readonly clockRate: number;
  private readonly jitterFactor: number;
  private readonly marginFloorMs: number;
  private readonly maxPerSilence: number;
  /** The anchor (see the file comment), undefined before the first packet; kept in fields, not an object per packet. */
  private anchorSeq: number | undefined;
  private anchorArrivalMs = 0;
  private anchorTimestamp: number | undefined;
  /** The previous original's arrival (ms) and RTP timestamp, for the A.8 transit difference. */
  private hasLast = false;
  private lastArrivalMs = 0;
  private lastTimestamp = 0;
  private jitter = 0;
  /** The last `JITTER_WINDOW` |D| (ms) in arrival order, a ring of `spreadCount` entries. */
  private readonly spread = new Float64Array(JITTER_WINDOW);
  private spreadHead = 0;
  private spreadCount = 0;
  /**
   * The same values in ascending order, kept sorted as they come and go (one insertion and one
   * removal per packet), so that the quartile, read on every arrival and receive tick, costs a lookup.
   */
  private readonly sortedSpread = new Float64Array(JITTER_WINDOW);
  /** Numbers beyond the anchor already reported (anchor + 1 … anchor + reported). */
  private reported = 0;
  private total = 0;

  constructor(options: OverdueDetectorOptions) {
    checkNumberOption(options.ptimeMs, 0.1, 1000, 'ptimeMs');
    checkIntOption(options.clockRate, 1, 1_000_000, 'clockRate');
    this.nominalPtimeMs = options.ptimeMs;
    this.ptimeMs = options.ptimeMs;
    this.clockRate = options.clockRate;
    this.jitterFactor = options.jitterFactor ?? 4;
    this.marginFloorMs = options.marginFloorMs ?? Math.max(2, options.ptimeMs / 4);
    this.maxPerSilence = options.maxPerSilence ?? 8;
    checkNumberOption(this.jitterFactor, 0, 100, 'jitterFactor');
    checkNumberOption(this.marginFloorMs, 0, 10_000, 'marginFloorMs');
    checkIntOption(this.maxPerSilence, 0, 1024, 'maxPerSilence');
  }

  /** The sender's packet time in use (ms): the signalled one, or the one its timestamps show. */
  get packetTimeMs(): number {
    return this.ptimeMs;
  }

  /** Interarrival jitter estimate (ms), RFC 3550 §6.4.1. */
  get jitterMs(): number {
    return this.jitter;
  }

  /** Numbers deemed lost so far. */
  get deemedLost(): number {
    return this.total;
  }

  /** The jitter the margin is made of (ms): the A.8 mean or the upper quartile of the recent |D|, the smaller. */
  get recentJitterMs(): number {
    const n = this.spreadCount;
    const quartile = n === 0 ? 0 : (this.sortedSpread[Math.min(n - 1, Math.floor(JITTER_QUANTILE * n))] as number);
    return Math.min(this.jitter, quartile);
  }

  /** The jitter part of the margin alone (no floor): what an answer's arrival may vary by (ms). */
  jitterGuardMs(): number {
    return this.jitterFactor * this.recentJitterMs;
  }

  /** How late past its expected arrival a packet may be before it is deemed lost (ms). */
  marginMs(): number {
    return Math.max(this.marginFloorMs, this.jitterGuardMs());
  }

  /**
   * An original packet arrived (not a RED copy nor a retransmission). Only one that raises the
   * highest sequence number moves the anchor; every one feeds the jitter estimate.
   */
  onOriginal(seq: number, timestamp: number, arrivalMs: number): void {
    const s = seq16(seq);
    if (this.hasLast) {
      // A.8: D = (Rj − Ri) − (Sj − Si), the timestamp difference taken modulo 2^32 (a wrap is no jump).
      const d = arrivalMs - this.lastArrivalMs - (tsDiff(timestamp, this.lastTimestamp) * 1000) / this.clockRate;
      this.jitter += (Math.abs(d) - this.jitter) / 16;
      this.addSpread(Math.abs(d));
    }
    this.hasLast = true;
    this.lastArrivalMs = arrivalMs;
    this.lastTimestamp = timestamp >>> 0;
    const anchor = this.anchorSeq;
    if (anchor !== undefined && seqDiff(s, anchor) <= 0) return;
    if (anchor !== undefined && this.anchorTimestamp !== undefined && seqDiff(s, anchor) === 1) {
      const step = (tsDiff(timestamp, this.anchorTimestamp) * 1000) / this.clockRate;
      if (step >= this.nominalPtimeMs / 4 && step <= this.nominalPtimeMs * 4) this.ptimeMs = step;
    }
    this.anchorTimestamp = timestamp >>> 0;
    this.anchorSeq = s;
    this.anchorArrivalMs = arrivalMs;
    this.reported = 0;
  }

  /** One |D| into the window: the oldest leaves the ring and the sorted copy, the new one is inserted in order. */
  private addSpread(v: number): void {
    const sorted = this.sortedSpread;
    let n = this.spreadCount;
    if (n === JITTER_WINDOW) {
      const old = this.spread[this.spreadHead] as number;
      let i = 0;
      while (i < n - 1 && sorted[i] !== old) i++;
      sorted.copyWithin(i, i + 1, n);
      n--;
      this.spread[this.spreadHead] = v;
      this.spreadHead = (this.spreadHead + 1) % JITTER_WINDOW;
    } else {
      this.spread[n] = v;
    }
    let j = n;
    while (j > 0 && (sorted[j - 1] as number) > v) {
      sorted[j] = sorted[j - 1] as number;
      j--;
    }
    sorted[j] = v;
    this.spreadCount = n + 1;
  }

  /** When `seq` is expected to arrive (ms), or undefined before the first packet. */
  expectedArrivalMs(seq: number): number | undefined {
    const a = this.anchorSeq;
    return a === undefined ? undefined : this.anchorArrivalMs + seqDiff(seq16(seq), a) * this.ptimeMs;
  }

  /** The numbers beyond the anchor newly overdue at `nowMs` (each reported once), oldest first. */
  overdue(nowMs: number): readonly number[] {
    const a = this.anchorSeq;
    if (a === undefined) return NONE;
    // anchor + j is overdue once anchor arrival + j·ptime + margin < now.
    const upTo = Math.min(this.maxPerSilence, Math.ceil((nowMs - this.marginMs() - this.anchorArrivalMs) / this.ptimeMs) - 1);
    // The usual answer on every arrival and receive tick: nothing new (no array made for it).
    if (upTo <= this.reported) return NONE;
    const out: number[] = [];
    for (let j = this.reported + 1; j <= upTo; j++) out.push(seqAdd(a, j));
    this.reported = upTo;
    this.total += out.length;
    return out;
  }
}
