/**
 * Merging a stream sent twice over two paths (RFC 7198, duplication of RTP streams; signalled with
 * a=group:DUP or a=ssrc-group:DUP, RFC 7104). Both copies share the SSRC and the sequence-number
 * space (RFC 7198 §3.1), so the receiver keeps the first copy of each sequence number and drops the
 * second. Pure: no I/O, no timers; arrival times are passed in as ms.
 *
 * Per path it also keeps what a receiver of that path alone would see (RFC 3550 §6.4.1, Appendix
 * A.3 and A.8): packets received, packets lost, duplicates within the path, interarrival jitter;
 * and, for sequence numbers that came over both, the delay of path 1 relative to path 0.
 */
import { checkIntOption } from './recovery-error.js';
import { SeqStateWindow } from './seq-window.js';
import { SeqUnwrapper, seq16, tsDiff } from '../seq.js';

export type PathIndex = 0 | 1;

export interface DuplicateMergerOptions {
  /** RTP clock rate of the stream in Hz, for the jitter (RFC 3550 A.8 works in timestamp units). */
  clockRate: number;
  /** Sequence numbers remembered behind the highest seen (default 1024). */
  window?: number;
}

export interface PathStats {
  /** Packets received on this path, its own duplicates excluded. */
  received: number;
  /** Expected minus received as seen from this path alone (RFC 3550 A.3); can go negative. */
  lost: number;
  /** Copies of a sequence number this path had already delivered. */
  duplicates: number;
  /** Interarrival jitter (RFC 3550 A.8) in timestamp units, and in ms. */
  jitter: number;
  jitterMs: number;
  /** Packets that won the race (the copy the merger passed on). */
  firstCopies: number;
}

export interface MergedStats {
  /** Sequence numbers passed on (each once). */
  delivered: number;
  /** Second copies dropped. */
  duplicates: number;
  /** Packets too far behind the highest sequence number to be told apart. */
  stale: number;
  /** Expected minus delivered over the merged stream (RFC 3550 A.3). */
  lost: number;
  /**
   * Smoothed arrival time on path 1 minus arrival time on path 0 (ms, gain 1/16 like A.8), over
   * sequence numbers that arrived on both; undefined until one has.
   */
  relativeDelayMs: number | undefined;
  /** How many sequence numbers arrived on both paths (the samples of relativeDelayMs). */
  bothPaths: number;
}

class PathCounter {
  readonly seen: SeqStateWindow;
  private readonly unwrap = new SeqUnwrapper();
  private base: number | undefined;
  private maxExt: number | undefined;
  received = 0;
  duplicates = 0;
  firstCopies = 0;
  jitter = 0;
  private last: { arrivalMs: number; timestamp: number } | undefined;

  constructor(window: number, private readonly clockRate: number) {
    this.seen = new SeqStateWindow(window);
  }

  /** Returns false when this path already delivered `seq`, or it is too old to tell. */
  accept(seq: number, timestamp: number, arrivalMs: number): boolean {
    if (!this.seen.observe(seq)) return false;
    if (this.seen.get(seq) !== 0) {
      this.duplicates++;
      return false;
    }
    this.seen.set(seq, 1);
    this.received++;
    const ext = this.unwrap.unwrap(seq);
    if (this.base === undefined || ext < this.base) this.base = ext;
    if (this.maxExt === undefined || ext > this.maxExt) this.maxExt = ext;
    // RFC 3550 A.8: D = (Rj − Ri) − (Sj − Si) in timestamp units; J += (|D| − J)/16. The
    // timestamp difference goes through tsDiff so the 2^32 wrap cancels out.
    if (this.last !== undefined) {
      const d = ((arrivalMs - this.last.arrivalMs) * this.clockRate) / 1000 - tsDiff(timestamp, this.last.timestamp);
      this.jitter += (Math.abs(d) - this.jitter) / 16;
    }
    this.last = { arrivalMs, timestamp };
    return true;
  }

  lost(): number {
    if (this.base === undefined || this.maxExt === undefined) return 0;
    return this.maxExt - this.base + 1 - this.received;
  }

  stats(): PathStats {
    return {
      received: this.received,
      lost: this.lost(),
      duplicates: this.duplicates,
      jitter: this.jitter,
      jitterMs: (this.jitter * 1000) / this.clockRate,
      firstCopies: this.firstCopies,
    };
  }
}

/** Arrival state kept per sequence number in the merged window. */
const FROM_PATH_0 = 1;
const FROM_PATH_1 = 2;

export class DuplicateMerger {
  private readonly paths: readonly [PathCounter, PathCounter];
  private readonly merged: SeqStateWindow;
  /** Arrival of each number's first copy, indexed by seq & mask (a power-of-two ring ≥ window). */
  private readonly firstArrivalMs: Float64Array;
  private readonly mask: number;
  private readonly unwrap = new SeqUnwrapper();
  private base: number | undefined;
  private maxExt: number | undefined;
  private readonly counts = { delivered: 0, duplicates: 0, stale: 0, bothPaths: 0 };
  private relDelay: number | undefined;

  constructor(options: DuplicateMergerOptions) {
    checkIntOption(options.clockRate, 1, 1_000_000, 'clockRate');
    const window = options.window ?? 1024;
    this.paths = [new PathCounter(window, options.clockRate), new PathCounter(window, options.clockRate)];
    this.merged = new SeqStateWindow(window);
    // 2^16 is a multiple of the ring size, so `window` consecutive numbers never share a slot.
    const size = 2 ** Math.ceil(Math.log2(window));
    this.firstArrivalMs = new Float64Array(size);
    this.mask = size - 1;
  }

  /**
   * A packet arrived on `path`. Returns true when it is the first copy of its sequence number
   * (pass it on), false when it is a duplicate or too old (drop it).
   */
  push(path: PathIndex, packet: { sequenceNumber: number; timestamp: number }, arrivalMs: number): boolean {
    const seq = seq16(packet.sequenceNumber);
    const counter = this.paths[path];
    counter.accept(seq, packet.timestamp, arrivalMs);
    if (!this.merged.observe(seq)) {
      this.counts.stale++;
      return false;
    }
    const bit = path === 0 ? FROM_PATH_0 : FROM_PATH_1;
    const state = this.merged.get(seq);
    if (state === 0) {
      this.merged.set(seq, bit);
      this.firstArrivalMs[seq & this.mask] = arrivalMs;
      this.counts.delivered++;
      counter.firstCopies++;
      const ext = this.unwrap.unwrap(seq);
      if (this.base === undefined || ext < this.base) this.base = ext;
      if (this.maxExt === undefined || ext > this.maxExt) this.maxExt = ext;
      return true;
    }
    this.counts.duplicates++;
    if ((state & bit) === 0) {
      // First copy from this path of a number the other path delivered: a delay sample.
      this.merged.set(seq, state | bit);
      const first = this.firstArrivalMs[seq & this.mask] ?? arrivalMs;
      const sample = path === 1 ? arrivalMs - first : first - arrivalMs;
      this.relDelay = this.relDelay === undefined ? sample : this.relDelay + (sample - this.relDelay) / 16;
      this.counts.bothPaths++;
    }
    return false;
  }

  pathStats(path: PathIndex): PathStats {
    return this.paths[path].stats();
  }

  stats(): MergedStats {
    const expected = this.base === undefined || this.maxExt === undefined ? 0 : this.maxExt - this.base + 1;
    return {
      delivered: this.counts.delivered,
      duplicates: this.counts.duplicates,
      stale: this.counts.stale,
      lost: expected - this.counts.delivered,
      relativeDelayMs: this.relDelay,
      bothPaths: this.counts.bothPaths,
    };
  }

  /** Both paths' statistics, for a metrics collector. */
  allPathStats(): [PathStats, PathStats] {
    return [this.paths[0].stats(), this.paths[1].stats()];
  }
}
