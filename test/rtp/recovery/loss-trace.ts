/**
 * A per-loss timeline of NACK/RTX recovery (RFC 4585 §6.2.1 generic NACK, RFC 4588 RTX), for the
 * recovery benches: what happened to each original packet the first path lost: when the receiver
 * first asked for it and how often again, whether each request and each retransmission survived
 * the way, and when the retransmission arrived against the frame's playout time. The real-time
 * bench fills it from the impairment relay's events, the simulation from its own channel, so the
 * two can be compared row by row.
 *
 * Sequence numbers are keyed modulo 2^16: a trace must cover fewer than 65 536 packets.
 */

interface Lost {
  sentMs: number;
  /** Send times of the requests for this number, and whether each was lost on the way. */
  requests: { atMs: number; lost: boolean }[];
  rtxSent: number;
  rtxLost: number;
  /** First retransmission's arrival at the receiver. */
  rtxArrivalMs: number | undefined;
}

export interface LossTraceSummary {
  /** Originals the first path lost. */
  lost: number;
  /** Lost numbers asked for at least once (first requests sent). */
  requestedFirst: number;
  /** Second and later requests for lost numbers (a first request's echo, nack-scheduler.ts, included). */
  requestedRepeat: number;
  /** Requests for numbers that were not lost (asked before the original arrived). */
  requestedNotLost: number;
  /** Requests lost on the way back (any number). */
  requestsLost: number;
  /** Lost numbers never asked for. */
  neverRequested: number;
  /** Lost numbers asked for, every request lost on the way. */
  noRequestArrived: number;
  /** Retransmissions sent, and of those lost on the way (any number). */
  rtxSent: number;
  rtxLost: number;
  /** Lost numbers whose first retransmission arrived before / after `playoutAfterSendMs`, or never. */
  rtxInTime: number;
  rtxLate: number;
  rtxNever: number;
  /** Medians and 90th percentiles (ms) over lost numbers. */
  firstRequestAfterSendMs: Percentiles;
  repeatAfterFirstMs: Percentiles;
  /** Playout time minus the first retransmission's arrival: negative is late. */
  rtxSlackMs: Percentiles;
}

export interface Percentiles {
  n: number;
  p10: number;
  p50: number;
  p90: number;
}

export class LossTrace {
  private readonly lost = new Map<number, Lost>();
  private readonly sent = new Map<number, number>();
  private requestsNotLost = 0;
  private requestsLost = 0;
  private rtxSent = 0;
  private rtxLost = 0;

  /** An original packet entered the first path at `atMs`, and was `lost` or not. */
  original(seq: number, atMs: number, lost: boolean): void {
    const s = seq & 0xffff;
    this.sent.set(s, atMs);
    if (lost) this.lost.set(s, { sentMs: atMs, requests: [], rtxSent: 0, rtxLost: 0, rtxArrivalMs: undefined });
    else this.lost.delete(s);
  }

  /** The receiver sent a request for `seqs` at `atMs`; it was `lost` on the way back or not. */
  request(seqs: readonly number[], atMs: number, lost: boolean): void {
    if (lost) this.requestsLost += seqs.length;
    for (const raw of seqs) {
      const l = this.lost.get(raw & 0xffff);
      if (l) l.requests.push({ atMs, lost });
      else if (this.sent.has(raw & 0xffff)) this.requestsNotLost++;
    }
  }

  /** The sender sent a retransmission of `seq` at `atMs`; it was `lost` or not. */
  retransmission(seq: number, _atMs: number, lost: boolean): void {
    this.rtxSent++;
    if (lost) this.rtxLost++;
    const l = this.lost.get(seq & 0xffff);
    if (!l) return;
    l.rtxSent++;
    if (lost) l.rtxLost++;
  }

  /** A retransmission of `seq` reached the receiver at `atMs`. */
  retransmissionArrived(seq: number, atMs: number): void {
    const l = this.lost.get(seq & 0xffff);
    if (l && l.rtxArrivalMs === undefined) l.rtxArrivalMs = atMs;
  }

  /**
   * The counts, for lost originals sent in [fromMs, toMs); `playoutAfterSendMs` says when a frame is
   * played after its original was sent (one-way delay plus the buffer delay).
   */
  summary(playoutAfterSendMs: number, fromMs = -Infinity, toMs = Infinity): LossTraceSummary {
    const out: LossTraceSummary = {
      lost: 0,
      requestedFirst: 0,
      requestedRepeat: 0,
      requestedNotLost: this.requestsNotLost,
      requestsLost: this.requestsLost,
      neverRequested: 0,
      noRequestArrived: 0,
      rtxSent: this.rtxSent,
      rtxLost: this.rtxLost,
      rtxInTime: 0,
      rtxLate: 0,
      rtxNever: 0,
      firstRequestAfterSendMs: percentiles([]),
      repeatAfterFirstMs: percentiles([]),
      rtxSlackMs: percentiles([]),
    };
    const first: number[] = [];
    const repeat: number[] = [];
    const slack: number[] = [];
    for (const l of this.lost.values()) {
      if (l.sentMs < fromMs || l.sentMs >= toMs) continue;
      out.lost++;
      const [r0, r1] = l.requests;
      if (!r0) out.neverRequested++;
      else {
        out.requestedFirst++;
        out.requestedRepeat += l.requests.length - 1;
        first.push(r0.atMs - l.sentMs);
        if (r1) repeat.push(r1.atMs - r0.atMs);
        if (l.requests.every((r) => r.lost)) out.noRequestArrived++;
      }
      if (l.rtxArrivalMs === undefined) out.rtxNever++;
      else {
        const s = l.sentMs + playoutAfterSendMs - l.rtxArrivalMs;
        slack.push(s);
        if (s >= 0) out.rtxInTime++;
        else out.rtxLate++;
      }
    }
    out.firstRequestAfterSendMs = percentiles(first);
    out.repeatAfterFirstMs = percentiles(repeat);
    out.rtxSlackMs = percentiles(slack);
    return out;
  }
}

export function percentiles(values: readonly number[]): Percentiles {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number): number => (v.length === 0 ? NaN : (v[Math.min(v.length - 1, Math.floor(q * v.length))] as number));
  return { n: v.length, p10: at(0.1), p50: at(0.5), p90: at(0.9) };
}

/** One line of the summary, for a bench's output. */
export function formatLossTrace(s: LossTraceSummary): string {
  const p = (x: Percentiles): string => (x.n === 0 ? '-' : `${x.p10.toFixed(0)}/${x.p50.toFixed(0)}/${x.p90.toFixed(0)}`);
  return (
    `lost ${s.lost}: asked ${s.requestedFirst} (never ${s.neverRequested}, no request arrived ${s.noRequestArrived}), ` +
    `repeats ${s.requestedRepeat}, asked though not lost ${s.requestedNotLost}, requests lost ${s.requestsLost}; ` +
    `rtx sent ${s.rtxSent} (lost ${s.rtxLost}), in time ${s.rtxInTime}, late ${s.rtxLate}, never ${s.rtxNever}; ` +
    `ms p10/p50/p90: first ask after send ${p(s.firstRequestAfterSendMs)}, repeat after first ${p(s.repeatAfterFirstMs)}, ` +
    `rtx slack before playout ${p(s.rtxSlackMs)}`
  );
}
