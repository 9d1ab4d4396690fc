/**
 * Receiver-side NACK scheduling (RFC 4585 §3.5 leaves the timing of feedback to the receiver;
 * RFC 4588 §3 to the "usefulness" of a retransmission). Pure: no I/O, no timers of its own; the
 * caller feeds arrivals, asks `due(nowMs)` whenever it likes (on every arrival and on a timer at
 * `nextDueMs()`), and sends the returned sequence numbers in a generic NACK (feedback.ts).
 *
 * Policy, per missing packet:
 * - requested as soon as a gap shows it missing (a later sequence number arrived);
 * - requested again once, when it is still missing one RTT plus a margin after the last request
 *   (the retransmission, or the request, was probably lost);
 * - requested only while a retransmission can still beat its playout deadline: now + RTT ≤
 *   `deadlineOf(seq)` (the jitter buffer knows the deadline; the RTT comes from RTCP, RFC 3550
 *   §6.4.1); once its deadline has passed it is given up, and if it still turns up it is late;
 * - a gap of more than `maxMissing` numbers (a sender restart, a long outage) is not chased at all.
 */
import { checkIntOption, checkNumberOption } from './recovery-error.js';
import { seqAdd, seqDiff, seq16 } from '../seq.js';

export interface NackSchedulerOptions {
  /** The playout deadline of `seq` in ms on the caller's clock, or undefined when unknown. */
  deadlineOf: (seq: number) => number | undefined;
  /** The current round-trip time estimate in ms. */
  rttMs: () => number;
  /** Added to the RTT before a second request (default 10 ms: far-end scheduling and jitter). */
  retryMarginMs?: number;
  /** Requests per packet (default 2). */
  maxRequests?: number;
  /** Largest gap chased and most packets tracked at once (default 256). */
  maxMissing?: number;
}

export interface NackSchedulerStats {
  /** Requests made (a packet requested twice counts twice). */
  requested: number;
  /** Requested packets that arrived in time for their deadline. */
  recovered: number;
  /** Missing packets that arrived after their deadline had passed. */
  late: number;
  /** Missing packets that arrived before any request was made (reordering). */
  reordered: number;
  /** Missing packets given up on without arriving: deadline passed, or pushed out of tracking. */
  abandoned: number;
  /** Gaps larger than maxMissing, not chased. */
  gapsTooLarge: number;
}

/**
 * How far behind the highest a number must be to count as a possible sender restart. RFC 3550
 * A.1 uses MAX_MISORDER = 100; deliberately larger here, because retransmissions and duplicates
 * legitimately arrive well behind the highest.
 */
export const NACK_RESYNC_BEHIND = 1000;

/**
 * pending: may be requested (again); waiting: no more requests, an answer may still come in time;
 * expired: past its deadline, counted abandoned; if it turns up after all it is counted late.
 */
type MissingState = 'pending' | 'waiting' | 'expired';

interface Missing {
  state: MissingState;
  requests: number;
  lastRequestMs: number;
}

export class NackScheduler {
  private readonly deadlineOf: (seq: number) => number | undefined;
  private readonly rttMs: () => number;
  private readonly retryMarginMs: number;
  private readonly maxRequests: number;
  private readonly maxMissing: number;
  /** Missing sequence numbers in serial-number order (gaps are appended as they are seen). */
  private readonly missing = new Map<number, Missing>();
  private highest: number | undefined;
  /** RFC 3550 A.1's bad_seq: the number that would confirm a restart far behind. */
  private badSeq: number | undefined;
  private readonly counts: NackSchedulerStats = { requested: 0, recovered: 0, late: 0, reordered: 0, abandoned: 0, gapsTooLarge: 0 };

  constructor(options: NackSchedulerOptions) {
    this.deadlineOf = options.deadlineOf;
    this.rttMs = options.rttMs;
    this.retryMarginMs = options.retryMarginMs ?? 10;
    this.maxRequests = options.maxRequests ?? 2;
    this.maxMissing = options.maxMissing ?? 256;
    checkNumberOption(this.retryMarginMs, 0, 10_000, 'retryMarginMs');
    checkIntOption(this.maxRequests, 1, 10, 'maxRequests');
    checkIntOption(this.maxMissing, 1, 0x4000, 'maxMissing');
  }

  get stats(): Readonly<NackSchedulerStats> {
    return this.counts;
  }

  /** Sequence numbers currently missing and still being chased. */
  pending(): number[] {
    return [...this.missing].filter(([, m]) => m.state === 'pending').map(([s]) => s);
  }

  /** A packet arrived (original or retransmission) at `arrivalMs`. */
  onArrival(seq: number, arrivalMs: number): void {
    const s = seq16(seq);
    if (this.highest === undefined) {
      this.highest = s;
      return;
    }
    const d = seqDiff(s, this.highest);
    if (d > 0) {
      const gap = d - 1;
      if (gap > this.maxMissing) {
        // Not worth chasing (and probably a restart): forget what was pending too.
        this.counts.gapsTooLarge++;
        for (const m of this.missing.values()) if (m.state !== 'expired') this.counts.abandoned++;
        this.missing.clear();
      } else {
        for (let i = 1; i <= gap; i++) {
          this.missing.set(seqAdd(this.highest, i), { state: 'pending', requests: 0, lastRequestMs: arrivalMs });
        }
      }
      this.highest = s;
      this.trim();
      return;
    }
    const m = this.missing.get(s);
    if (!m) {
      // A duplicate, or older than anything tracked. Far behind, twice in a row: the sender
      // restarted its sequence (RFC 3550 A.1, the bad_seq rule); start over from here.
      if (-d <= NACK_RESYNC_BEHIND) return;
      if (s !== this.badSeq) {
        this.badSeq = seqAdd(s, 1);
        return;
      }
      for (const old of this.missing.values()) if (old.state !== 'expired') this.counts.abandoned++;
      this.missing.clear();
      this.highest = s;
      this.badSeq = undefined;
      return;
    }
    this.missing.delete(s);
    const deadline = this.deadlineOf(s);
    if (m.state === 'expired' || (deadline !== undefined && arrivalMs > deadline)) this.counts.late++;
    else if (m.requests === 0) this.counts.reordered++;
    else this.counts.recovered++;
  }

  /** The sequence numbers to request now (each at most `maxRequests` times over its life). */
  due(nowMs: number): number[] {
    const rtt = this.rttMs();
    const out: number[] = [];
    for (const [seq, m] of this.missing) {
      if (m.state === 'expired') continue;
      const deadline = this.deadlineOf(seq);
      const sinceRequest = nowMs - m.lastRequestMs;
      const answerOverdue = m.requests > 0 && sinceRequest >= rtt + this.retryMarginMs;
      if (deadline !== undefined ? nowMs > deadline : m.state === 'waiting' && answerOverdue) {
        // Past its playout deadline (or, with no deadline known, the last answer is overdue).
        m.state = 'expired';
        this.counts.abandoned++;
        continue;
      }
      if (m.state === 'waiting') continue;
      if (deadline !== undefined && nowMs + rtt > deadline) {
        // A retransmission requested now would arrive after playout (RFC 4588 §3: useless);
        // one already requested may still make it.
        m.state = 'waiting';
        continue;
      }
      if (m.requests > 0 && !answerOverdue) continue;
      if (m.requests >= this.maxRequests) {
        // Requests used up and the last answer overdue: wait for the deadline, or with none known
        // give up now.
        m.state = deadline === undefined ? 'expired' : 'waiting';
        if (deadline === undefined) this.counts.abandoned++;
        continue;
      }
      m.requests++;
      m.lastRequestMs = nowMs;
      this.counts.requested++;
      out.push(seq);
    }
    return out;
  }

  /** When `due` will next have something to request, or undefined if nothing is pending. */
  nextDueMs(): number | undefined {
    const rtt = this.rttMs();
    let next: number | undefined;
    for (const m of this.missing.values()) {
      if (m.state !== 'pending') continue;
      const at = m.requests === 0 ? m.lastRequestMs : m.lastRequestMs + rtt + this.retryMarginMs;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** Bound the tracked set: the oldest entries go first (Map order is serial-number order). */
  private trim(): void {
    for (const [seq, m] of this.missing) {
      if (this.missing.size <= this.maxMissing) break;
      if (m.state !== 'expired') this.counts.abandoned++;
      this.missing.delete(seq);
    }
  }
}
