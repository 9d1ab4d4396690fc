/**
 * One small state value per RTP sequence number, valid for the `span` numbers at and behind the
 * highest sequence number seen (RFC 3550 §5.1: 16-bit, wrapping). Backed by one array over the
 * whole 2^16 circle: advancing the highest clears the numbers it passes, so a state written one
 * lap (65 536 packets) ago is never mistaken for a fresh one. Pure: no I/O, no timers.
 *
 * Used by the RED recovery and the duplicate-stream merger to remember "received" and "recovered"
 * without a map keyed by network input.
 */
import { checkIntOption } from './recovery-error.js';
import { SEQ_MOD, seqAdd, seqDiff, seq16 } from '../seq.js';

/** Largest usable span: half the circle, where serial-number order stops being defined. */
export const SEQ_WINDOW_MAX_SPAN = 0x8000 - 1;

export type SeqPlace = 'ahead' | 'inside' | 'stale';

export class SeqStateWindow {
  private readonly state = new Uint8Array(SEQ_MOD);
  private top: number | undefined;
  /** RFC 3550 A.1's bad_seq: the number that would confirm a restart far behind the window. */
  private badSeq: number | undefined;

  constructor(readonly span: number) {
    checkIntOption(span, 1, SEQ_WINDOW_MAX_SPAN, 'span');
  }

  /** The highest sequence number seen, or undefined before the first. */
  get highest(): number | undefined {
    return this.top;
  }

  /** Where `seq` lies without changing anything: ahead of the highest, inside the window, or stale. */
  place(seq: number): SeqPlace {
    if (this.top === undefined) return 'ahead';
    const d = seqDiff(seq16(seq), this.top);
    if (d > 0) return 'ahead';
    return -d < this.span ? 'inside' : 'stale';
  }

  /**
   * Take `seq` into account: if it is ahead, it becomes the highest and every number passed is
   * cleared. Returns false (and changes nothing) when `seq` is stale, except that two consecutive
   * stale numbers mean the sender restarted its sequence (RFC 3550 A.1, the bad_seq rule): the
   * window starts over from the second one.
   */
  observe(seq: number): boolean {
    const s = seq16(seq);
    if (this.top === undefined) {
      this.top = s;
      return true;
    }
    const d = seqDiff(s, this.top);
    if (d > 0) {
      for (let i = 1; i <= d; i++) this.state[seqAdd(this.top, i)] = 0;
      this.top = s;
      return true;
    }
    if (-d < this.span) return true;
    if (s === this.badSeq) {
      this.state.fill(0);
      this.top = s;
      this.badSeq = undefined;
      return true;
    }
    this.badSeq = seqAdd(s, 1);
    return false;
  }

  /** The state of `seq`; 0 for a number outside the window or never set. */
  get(seq: number): number {
    return this.place(seq) === 'inside' ? (this.state[seq16(seq)] ?? 0) : 0;
  }

  /** Set the state of `seq`; ignored (returns false) outside the window. Call `observe` first. */
  set(seq: number, value: number): boolean {
    if (this.place(seq) !== 'inside') return false;
    this.state[seq16(seq)] = value;
    return true;
  }
}
