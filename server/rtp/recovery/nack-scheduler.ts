/**
 * Receiver-side NACK scheduling (RFC 4585 §3.5 leaves the timing of feedback to the receiver;
 * RFC 4588 §3 to the "usefulness" of a retransmission). Pure: no I/O, no timers of its own; the
 * caller feeds arrivals, asks `due(nowMs)` whenever it likes (on every arrival and on a timer at
 * `nextDueMs()`), and sends the returned sequence numbers in a generic NACK (feedback.ts).
 *
 * Policy, per missing packet:
 * - requested as soon as a gap shows it missing (a later sequence number arrived), or as soon as
 *   the caller deems it lost because it is overdue (`onOverdue`, overdue-detector.ts), which in a
 *   burst is long before the gap shows;
 * - the first request may be held back (`holdUntil`): while a copy that will recover it is still
 *   on its way (RED, RFC 2198), a retransmission would be wasted;
 * - with `echoSpacingMs`, the first request is sent once more that much later (unless answered by
 *   then): the feedback path loses requests too. It is the same request: it counts neither towards
 *   `maxRequests` nor against Karn's rule below, and the repeat below is timed from the first;
 * - requested again once, when it is still missing one answer time plus a margin after the last
 *   request (the retransmission, or the request, was probably lost). With `lateRetryWindowMs` the
 *   repeat waits until that close to the last useful moment: a loss burst that swallowed the first
 *   retransmission has then had the most time to end;
 * - when a repeat could no longer follow a first request made now (its answer would be overdue
 *   too late for a repeat to beat the deadline), the one request there is time for is spaced past
 *   the burst instead: with `lateFirstWindowMs` it waits until it is that close to the last moment
 *   its answer, at the answer time plus the repeat margin, still beats the deadline. Only once the
 *   answer time is measured: the caller's RTT says nothing of a loaded receiver's own delays.
 *   Bursty loss (Gilbert–Elliott) stays in its bad state for a while: a retransmission sent right
 *   after the loss is often lost with it, one sent later much less often. (A sender that sends
 *   its answer more than once, spaced, does better: acip's media session leaves this off);
 * - the answer time is measured: from a request to the arrival of the retransmission it asked for,
 *   over numbers asked for once only (Karn's rule: with two requests out, an arrival answers either),
 *   smoothed like RFC 6298 §2 (SRTT, RTTVAR) with a margin of 4·RTTVAR, at least
 *   `ANSWER_MARGIN_FLOOR_MS`. A sample counts for at most `ANSWER_SAMPLE_CAP` times the answer
 *   time so far (the caller's RTT before the first): an answer hundreds of ms late tells of a stall
 *   (a session starting up, a receiver that was not scheduled), and taken whole it would inflate the
 *   answer time and its margin for dozens of answers, ruling out every repeat meanwhile; answers
 *   that are slower for good still raise it, a little more with each. An answer that comes after
 *   the repeat threshold counts only when the answer before it was overdue too: it may be a
 *   sender's second copy of a lost answer (RFC 4588 allows several), as ambiguous as the answer
 *   to a repeated request. Until a first answer it is the RTT the caller gives (RFC 3550 §6.4.1)
 *   with `retryMarginMs`. A receive-only endpoint sends no SR, so RTCP gives it no RTT at all
 *   (§6.4.1 measures it at the sender); the answer time also covers the sender's own handling;
 * - requested only while a retransmission can still beat its playout deadline: now + answer time
 *   + guard ≤ `deadlineOf(seq)` (the jitter buffer knows the deadline; the guard covers the
 *   answer's jitter); a first request takes the shorter of the answer time and the caller's RTT, so
 *   that slow answers once measured never stop all requests (and with them the measurement); once
 *   its deadline has passed it is given up, and if it still turns up it is late;
 * - a gap of more than `maxMissing` numbers (a sender restart, a long outage) is not chased at all;
 * - at most `maxPerRtt` requests in any RTT: the oldest missing numbers (nearest their deadline)
 *   go first, the rest wait for the next call.
 */
import { checkIntOption, checkNumberOption } from './recovery-error.js';
import { seqAdd, seqDiff, seq16 } from '../seq.js';

export interface NackSchedulerOptions {
  /** The playout deadline of `seq` in ms on the caller's clock, or undefined when unknown. */
  deadlineOf: (seq: number) => number | undefined;
  /** The current round-trip time estimate in ms, used until an answer time is measured. */
  rttMs: () => number;
  /** Added to the RTT before a second request until an answer time is measured (default 10 ms: far-end scheduling and jitter). */
  retryMarginMs?: number;
  /** Requests per packet (default 2). */
  maxRequests?: number;
  /** Largest gap chased and most packets tracked at once (default 256). */
  maxMissing?: number;
  /** Most requests in any window of one RTT (default 64). */
  maxPerRtt?: number;
  /** Added to the RTT when judging whether an answer can still beat the deadline (default 0). */
  guardMs?: () => number;
  /** A repeat waits until it is within this many ms of the last useful moment (default: no wait). */
  lateRetryWindowMs?: number;
  /**
   * A first request after which no repeat could beat the deadline waits until it is within this
   * many ms of its last useful moment (default: no wait, it goes out at once).
   */
  lateFirstWindowMs?: number;
  /**
   * Send every first request once more this many ms later (default: never), unless its answer has
   * come by then or could no longer beat the deadline. Feedback travels over a lossy path too, and
   * where the deadline leaves no time to repeat a request whose answer is overdue, a lost request
   * is a lost packet; one sent again a little later is not taken by the same short burst. It is the
   * same request (no new request for Karn's rule, nor towards `maxRequests`): a sender that
   * answered the first ignores it (acip's resend interval, rtx.ts, is most of an RTT).
   */
  echoSpacingMs?: number;
  /** Not before this time (ms) is `seq` first requested; undefined: no hold. Asked on every `due`. */
  holdUntil?: (seq: number, nowMs: number) => number | undefined;
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
  /** Numbers deemed lost by time (`onOverdue`) before any gap showed them missing. */
  overdue: number;
  /** First requests put off at least once by `holdUntil`. */
  held: number;
  /** Requests put off because `maxPerRtt` were made in the last RTT. */
  capped: number;
  /** Answer-time samples taken (numbers asked for once that arrived). */
  answers: number;
  /** First requests put off at least once by `lateFirstWindowMs` (spaced past the burst). */
  spaced: number;
  /** First requests sent once more (`echoSpacingMs`). */
  echoed: number;
  /** Overdue answers not taken as samples: the answer before was in time (perhaps a copy of a lost answer). */
  overdueUnsampled: number;
}

/**
 * How far behind the highest a number must be to count as a possible sender restart. RFC 3550
 * A.1 uses MAX_MISORDER = 100; deliberately larger here, because retransmissions and duplicates
 * legitimately arrive well behind the highest.
 */
export const NACK_RESYNC_BEHIND = 1000;

/**
 * Smallest margin (ms) added to the measured answer time before a request is repeated: the far
 * end's scheduling and the arrival jitter of an answer, when RTTVAR has settled near zero. It keeps
 * a repeat more than the sender's resend interval (rtx.ts, at most an RTT) after the first request.
 */
export const ANSWER_MARGIN_FLOOR_MS = 4;

/** Most a sample counts for, as a multiple of the answer time so far (see the policy above). */
export const ANSWER_SAMPLE_CAP = 2;

/** RFC 6298 §2.3 gains for the smoothed answer time and its variation. */
const ANSWER_ALPHA = 1 / 8;
const ANSWER_BETA = 1 / 4;

/**
 * pending: may be requested (again); waiting: no more requests, an answer may still come in time;
 * expired: past its deadline, counted abandoned; if it turns up after all it is counted late.
 */
type MissingState = 'pending' | 'waiting' | 'expired';

interface Missing {
  state: MissingState;
  requests: number;
  lastRequestMs: number;
  held: boolean;
  spaced: boolean;
  /** When the first request is sent once more (`echoSpacingMs`), undefined: not (or no longer). */
  echoAtMs: number | undefined;
  /** Its echo has been counted as capped once (it waits for budget over several calls). */
  echoCapped: boolean;
}

export class NackScheduler {
  private readonly deadlineOf: (seq: number) => number | undefined;
  private readonly rttMs: () => number;
  private readonly retryMarginMs: number;
  private readonly maxRequests: number;
  private readonly maxMissing: number;
  private readonly maxPerRtt: number;
  private readonly holdUntil: ((seq: number, nowMs: number) => number | undefined) | undefined;
  private readonly guardMs: () => number;
  private readonly lateRetryWindowMs: number | undefined;
  private readonly lateFirstWindowMs: number | undefined;
  private readonly echoSpacingMs: number | undefined;
  /** Times of the last `maxPerRtt` requests, a ring (oldest at `ringHead`). */
  private readonly ring: number[] = [];
  private ringHead = 0;
  /** Missing sequence numbers in serial-number order (gaps are appended as they are seen). */
  private readonly missing = new Map<number, Missing>();
  private highest: number | undefined;
  /** RFC 3550 A.1's bad_seq: the number that would confirm a restart far behind. */
  private badSeq: number | undefined;
  /** Measured answer time (ms): RFC 6298's SRTT and RTTVAR over request → arrival. */
  private answer: { srtt: number; rttvar: number } | undefined;
  /** Whether the last answer sampled or skipped came after the repeat threshold. */
  private lastAnswerOverdue = false;
  private readonly counts: NackSchedulerStats = { requested: 0, recovered: 0, late: 0, reordered: 0, abandoned: 0, gapsTooLarge: 0, overdue: 0, held: 0, capped: 0, answers: 0, spaced: 0, echoed: 0, overdueUnsampled: 0 };

  constructor(options: NackSchedulerOptions) {
    this.deadlineOf = options.deadlineOf;
    this.rttMs = options.rttMs;
    this.retryMarginMs = options.retryMarginMs ?? 10;
    this.maxRequests = options.maxRequests ?? 2;
    this.maxMissing = options.maxMissing ?? 256;
    this.maxPerRtt = options.maxPerRtt ?? 64;
    this.holdUntil = options.holdUntil;
    this.guardMs = options.guardMs ?? (() => 0);
    this.lateRetryWindowMs = options.lateRetryWindowMs;
    this.lateFirstWindowMs = options.lateFirstWindowMs;
    this.echoSpacingMs = options.echoSpacingMs;
    if (this.echoSpacingMs !== undefined) checkNumberOption(this.echoSpacingMs, 0, 10_000, 'echoSpacingMs');
    if (this.lateRetryWindowMs !== undefined) checkNumberOption(this.lateRetryWindowMs, 0, 10_000, 'lateRetryWindowMs');
    if (this.lateFirstWindowMs !== undefined) checkNumberOption(this.lateFirstWindowMs, 0, 10_000, 'lateFirstWindowMs');
    checkNumberOption(this.retryMarginMs, 0, 10_000, 'retryMarginMs');
    checkIntOption(this.maxRequests, 1, 10, 'maxRequests');
    checkIntOption(this.maxMissing, 1, 0x4000, 'maxMissing');
    checkIntOption(this.maxPerRtt, 1, 0x4000, 'maxPerRtt');
  }

  get stats(): Readonly<NackSchedulerStats> {
    return this.counts;
  }

  /** The smoothed answer time (ms) once measured, else undefined (the caller's RTT is used). */
  get answerTimeMs(): number | undefined {
    return this.answer?.srtt;
  }

  /** Sequence numbers currently missing and still being chased. */
  pending(): number[] {
    return [...this.missing].filter(([, m]) => m.state === 'pending').map(([s]) => s);
  }

  /**
   * A packet arrived at `arrivalMs`: an original, a copy (RED) or a retransmission. `retransmission`
   * says which when the caller knows: only a retransmission answers a request. Left undefined, an
   * arrival after a request is taken for its answer unless copies may come (`holdUntil` given), as a
   * RED copy arrives a packet time or two after its original was due, well before any answer.
   */
  onArrival(seq: number, arrivalMs: number, retransmission?: boolean): void {
    const answer = retransmission ?? this.holdUntil === undefined;
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
        // Numbers already deemed lost by time keep their state (and their requests).
        for (let i = 1; i <= gap; i++) {
          const seq = seqAdd(this.highest, i);
          if (!this.missing.has(seq)) this.missing.set(seq, fresh(arrivalMs));
        }
      }
      this.highest = s;
      const m = this.missing.get(s);
      if (m) {
        // Deemed lost by time, and here after all (late, or its retransmission).
        this.missing.delete(s);
        this.settle(s, m, arrivalMs, answer);
      }
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
    this.settle(s, m, arrivalMs, answer);
  }

  /**
   * Numbers the caller deems lost by time, ahead of the highest arrived (overdue-detector.ts), in
   * ascending order. Each is then chased like a number missing from a gap.
   */
  onOverdue(seqs: readonly number[], nowMs: number): void {
    if (this.highest === undefined || seqs.length === 0) return;
    for (const raw of seqs) {
      const s = seq16(raw);
      const d = seqDiff(s, this.highest);
      if (d <= 0 || d > this.maxMissing || this.missing.has(s)) continue;
      this.missing.set(s, fresh(nowMs));
      this.counts.overdue++;
    }
    this.trim();
  }

  /** The sequence numbers to request now (each at most `maxRequests` times over its life). */
  due(nowMs: number): readonly number[] {
    // The usual call, on every arrival and receive tick: nothing missing, nothing to work out.
    if (this.missing.size === 0) return NONE;
    const rtt = this.answerMs();
    const margin = this.repeatMarginMs();
    const guard = this.guardMs();
    const reach = rtt + guard;
    // A first request is judged by the shorter of the measured answer time and the caller's RTT: a
    // few slow answers (a session starting up, a stall) must not rule out every request, since only
    // requests can measure the answer time again.
    const firstAnswer = Math.min(rtt, this.rttMs());
    const firstReach = firstAnswer + guard;
    const out: number[] = [];
    const echoes: [number, Missing][] = [];
    let budget = this.budget(nowMs, rtt);
    for (const [seq, m] of this.missing) {
      if (m.state === 'expired') continue;
      const deadline = this.deadlineOf(seq);
      const sinceRequest = nowMs - m.lastRequestMs;
      const answerOverdue = m.requests > 0 && sinceRequest >= rtt + margin;
      if (deadline !== undefined ? nowMs > deadline : m.state === 'waiting' && answerOverdue) {
        // Past its playout deadline (or, with no deadline known, the last answer is overdue).
        m.state = 'expired';
        this.counts.abandoned++;
        continue;
      }
      if (m.state === 'waiting') continue;
      // A first request spaced past the burst whose window a late tick missed (a stall) goes out
      // while the answer time alone still fits: it is the only one.
      const needs = m.requests > 0 ? reach : m.spaced ? firstAnswer : firstReach;
      if (deadline !== undefined && nowMs + needs > deadline) {
        // A retransmission requested now would arrive after playout (RFC 4588 §3: useless);
        // one already requested may still make it.
        m.state = 'waiting';
        continue;
      }
      if (m.requests === 1 && !answerOverdue && m.echoAtMs !== undefined && nowMs >= m.echoAtMs) {
        echoes.push([seq, m]);
        continue;
      }
      if (m.requests > 0 && !answerOverdue) continue;
      const w = this.lateRetryWindowMs;
      if (m.requests > 0 && w !== undefined && deadline !== undefined && nowMs + reach + w <= deadline) continue;
      if (m.requests === 0 && this.holdUntil) {
        const hold = this.holdUntil(seq, nowMs);
        if (hold !== undefined && nowMs < hold) {
          if (!m.held) this.counts.held++;
          m.held = true;
          continue;
        }
      }
      const wf = this.lateFirstWindowMs;
      const spacing = wf !== undefined && deadline !== undefined && this.answer !== undefined;
      if (m.requests === 0 && spacing && nowMs + rtt + margin + reach > deadline && nowMs + rtt + margin + wf <= deadline) {
        // One request is all there is time for: the later it goes, the likelier the burst that
        // took the original is over when the retransmission is sent. But no later than its answer
        // can be trusted to beat the deadline: the answer time plus its margin (RFC 6298's RTO
        // shape), so that answers that vary widely (a loaded receiver) are asked for early.
        if (!m.spaced) this.counts.spaced++;
        m.spaced = true;
        continue;
      }
      if (m.requests >= this.maxRequests) {
        // Requests used up and the last answer overdue: wait for the deadline, or with none known
        // give up now.
        m.state = deadline === undefined ? 'expired' : 'waiting';
        if (deadline === undefined) this.counts.abandoned++;
        continue;
      }
      if (budget <= 0) {
        this.counts.capped++;
        continue;
      }
      budget--;
      m.requests++;
      m.lastRequestMs = nowMs;
      m.echoAtMs = m.requests === 1 && this.echoSpacingMs !== undefined ? nowMs + this.echoSpacingMs : undefined;
      this.counts.requested++;
      this.noteRequest(nowMs);
      out.push(seq);
    }
    // Echoes take what the requests left of the budget: a burst's first requests never wait for
    // the echoes of earlier ones. One capped now goes at a later call if it still fits then.
    for (const [seq, m] of echoes) {
      if (budget <= 0) {
        if (!m.echoCapped) this.counts.capped++;
        m.echoCapped = true;
        continue;
      }
      budget--;
      m.echoAtMs = undefined;
      this.counts.echoed++;
      this.noteRequest(nowMs);
      out.push(seq);
    }
    return out;
  }

  /** When `due` may next have something to request (no later; holds and late repeats can make it later), or undefined if nothing is pending. */
  nextDueMs(): number | undefined {
    const wait = this.answerMs() + this.repeatMarginMs();
    let next: number | undefined;
    for (const m of this.missing.values()) {
      if (m.state !== 'pending') continue;
      let at = m.requests === 0 ? m.lastRequestMs : m.lastRequestMs + wait;
      if (m.echoAtMs !== undefined && m.echoAtMs < at) at = m.echoAtMs;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** How long an answer takes (ms): measured once a number asked for arrived, else the caller's RTT. */
  private answerMs(): number {
    return this.answer?.srtt ?? this.rttMs();
  }

  /** Added to the answer time before a repeat: 4·RTTVAR (RFC 6298 §2.3) once measured, at least the floor. */
  private repeatMarginMs(): number {
    return this.answer ? Math.max(ANSWER_MARGIN_FLOOR_MS, 4 * this.answer.rttvar) : this.retryMarginMs;
  }

  private settle(s: number, m: Missing, arrivalMs: number, answer: boolean): void {
    // Karn's rule: only a number asked for once says how long an answer takes.
    if (answer && m.requests === 1 && arrivalMs >= m.lastRequestMs) this.takeAnswer(arrivalMs - m.lastRequestMs);
    const deadline = this.deadlineOf(s);
    if (m.state === 'expired' || (deadline !== undefined && arrivalMs > deadline)) this.counts.late++;
    else if (m.requests === 0) this.counts.reordered++;
    else this.counts.recovered++;
  }

  /**
   * An answer `r` ms after its only request. One that came after the repeat threshold (the answer
   * time plus its margin) is as ambiguous as one to a repeated request: a sender may retransmit a
   * packet more than once (RFC 4588; acip's copies an early answer a packet time later, rtx.ts),
   * and when the answer is lost its copy arrives that much later. So an overdue answer is taken only
   * when the answer before it was overdue too: answers that are slower for good keep coming late and
   * still raise the answer time; a lost answer's copy seldom follows another. The first answer is
   * always taken (there is no answer time to judge it by).
   */
  private takeAnswer(r: number): void {
    const overdue = r > this.answerMs() + this.repeatMarginMs();
    const take = !overdue || this.lastAnswerOverdue || this.answer === undefined;
    this.lastAnswerOverdue = overdue;
    if (take) this.sampleAnswer(Math.min(r, ANSWER_SAMPLE_CAP * this.answerMs()));
    else this.counts.overdueUnsampled++;
  }

  /**
   * RFC 6298 §2.2 (first sample) and §2.3 (later ones), on answer times. Deliberate deviation: the
   * first RTTVAR is a quarter of `retryMarginMs`, not R/2, so the margin starts where it was before
   * any measurement (R/2 would make it 2R, which no repeat could fit before its deadline).
   */
  private sampleAnswer(r: number): void {
    this.counts.answers++;
    const a = this.answer;
    if (!a) {
      this.answer = { srtt: r, rttvar: this.retryMarginMs / 4 };
      return;
    }
    a.rttvar = (1 - ANSWER_BETA) * a.rttvar + ANSWER_BETA * Math.abs(a.srtt - r);
    a.srtt = (1 - ANSWER_ALPHA) * a.srtt + ANSWER_ALPHA * r;
  }

  /** Requests still allowed in the RTT window ending now. */
  private budget(nowMs: number, rtt: number): number {
    let used = 0;
    for (const t of this.ring) if (nowMs - t < rtt) used++;
    return this.maxPerRtt - used;
  }

  private noteRequest(nowMs: number): void {
    if (this.ring.length < this.maxPerRtt) {
      this.ring.push(nowMs);
      return;
    }
    this.ring[this.ringHead] = nowMs;
    this.ringHead = (this.ringHead + 1) % this.maxPerRtt;
  }

  /** Bound the tracked set: the oldest entries go first (Map order is serial-number order). */
  private trim(): void {
    if (this.missing.size <= this.maxMissing) return;
    for (const [seq, m] of this.missing) {
      if (this.missing.size <= this.maxMissing) break;
      if (m.state !== 'expired') this.counts.abandoned++;
      this.missing.delete(seq);
    }
  }
}

/** The empty answer of `due`, shared (frozen: no caller can add to it). */
const NONE: readonly number[] = Object.freeze([]);

function fresh(nowMs: number): Missing {
  return { state: 'pending', requests: 0, lastRequestMs: nowMs, held: false, spaced: false, echoAtMs: undefined, echoCapped: false };
}
