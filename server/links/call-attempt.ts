/**
 * One call attempt of a link, for its history: when it started and was answered (monotonic time for
 * durations, wall time for the record), the quality summary sampled while it ran, and its record,
 * written exactly once when the attempt ends.
 */
import type { Clock } from '../util/clock.js';
import type { NegotiatedMedia } from '../sdp/offer-answer.js';
import type { MediaSessionStats } from '../media/session-types.js';
import type { CallRecord } from '../store/call-history.js';
import type { LinkEndReason } from './link-types.js';
import { accumulateQuality, answerDelayOf, buildCallRecord, emptyQuality, type AttemptTimes, type LinkFacts } from './link-record.js';

export class CallAttempt {
  /** startMono < 0 once the record is written. */
  private timesValue: AttemptTimes = { startMono: 0, startWall: 0, answerMono: undefined, answerWall: undefined };
  private quality = emptyQuality();

  constructor(
    private readonly clock: Clock,
    private readonly onRecord: (record: CallRecord) => void,
  ) {}

  get times(): AttemptTimes {
    return this.timesValue;
  }

  /** INVITE → 200 OK, ms, when answered. */
  get answerDelayMs(): number | undefined {
    return answerDelayOf(this.timesValue);
  }

  /** A new attempt begins (a dial, a redial, an incoming INVITE). */
  start(): void {
    this.timesValue = { startMono: this.clock.now(), startWall: this.clock.wallNow(), answerMono: undefined, answerWall: undefined };
    this.quality = emptyQuality();
  }

  /** Its record is not written yet. */
  get open(): boolean {
    return this.timesValue.startMono >= 0;
  }

  /** The call was answered (the 2xx, sent or received). */
  markAnswered(): void {
    this.timesValue.answerMono = this.clock.now();
    this.timesValue.answerWall = this.clock.wallNow();
  }

  /** Fold one 1 Hz sample of interarrival jitter and jitter-buffer delay into the summary. */
  sample(jitterMs: number, bufferDelayMs: number): void {
    accumulateQuality(this.quality, jitterMs, bufferDelayMs);
  }

  /** The attempt is over: write its record, once (later calls do nothing). */
  finish(facts: LinkFacts, reason: LinkEndReason, negotiated: NegotiatedMedia | undefined, stats: MediaSessionStats | undefined): void {
    if (!this.open) return;
    const record = buildCallRecord({
      facts,
      times: this.timesValue,
      nowMono: this.clock.now(),
      nowWall: this.clock.wallNow(),
      reason,
      negotiated,
      stats,
      quality: this.quality,
    });
    this.timesValue.startMono = -1;
    this.onRecord(record);
  }
}
