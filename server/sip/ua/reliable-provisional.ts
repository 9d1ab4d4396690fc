/**
 * UAS side of reliable provisional responses (RFC 3262 §3): one instance per INVITE server
 * transaction that the UA answers with `Require: 100rel`.
 *
 *   - RSeq: the first is random in 1 .. 2^31-1, each further reliable 1xx one higher (§3).
 *   - Only one reliable provisional is unacknowledged at a time (§3: "MUST NOT send a second
 *     reliable provisional response until the first is acknowledged"); later ones wait in a short
 *     queue and go out when the PRACK for the previous one arrives.
 *   - The pending response is retransmitted at T1, then doubling (T1, 2·T1, 4·T1 ...), and after
 *     64·T1 without a PRACK the sender gives up: the UA core SHOULD then reject the INVITE with a
 *     5xx (§3; 504 is what acip sends).
 *   - A PRACK matches when its RAck names the pending response's RSeq and the INVITE's CSeq number
 *     and method (§7.2); anything else gets 481 (§3).
 *   - A 2xx final response waits while an unacknowledged reliable 1xx carried SDP (§3).
 *
 * The sender does no I/O: it calls `transmit(payload)` with what the UA gave it and `onGiveUp()`.
 * Its states go through one guarded transition (the shared `StateMachine`), whose timers belong to
 * the state and stop when it is left.
 */
import type { Clock } from '../../util/clock.js';
import { StateMachine, type EdgeTable } from '../transaction/state-machine.js';
import { initialRSeq, MAX_RSEQ, type RAck } from '../grammar/rel-headers.js';
import type { CSeq } from '../grammar/headers.js';

export type ReliableSenderState = 'idle' | 'awaiting-prack' | 'gave-up' | 'closed';

const EDGES: EdgeTable<ReliableSenderState> = {
  idle: ['awaiting-prack', 'closed'],
  'awaiting-prack': ['idle', 'awaiting-prack', 'gave-up', 'closed'],
  'gave-up': ['closed'],
  closed: [],
};

/** Reliable 1xx waiting behind the unacknowledged one; a UA sends 180 and 183 at most, so a few is plenty. */
export const MAX_QUEUED_PROVISIONALS = 4;

export interface ReliableProvisionalOptions<P> {
  clock: Clock;
  /** RFC 3261 T1 (ms). */
  t1: number;
  /** CSeq of the INVITE the provisionals answer (§7.2: a PRACK's RAck repeats it). */
  inviteCSeq: CSeq;
  /** Hands a (re)transmission of the response to the transaction layer. */
  transmit: (payload: P, rseq: number) => void;
  /** 64·T1 passed without a PRACK: the UA core rejects the INVITE with a 5xx (§3). */
  onGiveUp: (rseq: number) => void;
  /** In [0, 1); draws the first RSeq. */
  random?: () => number;
  onStateChange?: (from: ReliableSenderState, to: ReliableSenderState) => void;
}

interface Pending<P> {
  rseq: number;
  payload: P;
  hasSdp: boolean;
}

export type PrackVerdict =
  | { status: 200; rseq: number }
  /** §3: no unacknowledged reliable provisional matches the RAck. */
  | { status: 481; reason: string };

export type OfferResult = { sent: true; rseq: number } | { sent: false; rseq: number; queued: true } | { sent: false; refused: 'queue-full' | 'closed' | 'rseq-exhausted' };

export class ReliableProvisionalSender<P> {
  private readonly sm: StateMachine<ReliableSenderState>;
  private readonly o: ReliableProvisionalOptions<P>;
  private nextRSeq: number;
  private pending: Pending<P> | undefined;
  private readonly queue: Pending<P>[] = [];
  /** Retransmissions sent for the pending response (for metrics and tests). */
  retransmissions = 0;

  constructor(options: ReliableProvisionalOptions<P>) {
    this.o = options;
    this.nextRSeq = initialRSeq(options.random ?? Math.random);
    this.sm = new StateMachine<ReliableSenderState>('100rel-uas', 'idle', EDGES, options.clock, (from, to) => options.onStateChange?.(from, to));
  }

  get state(): ReliableSenderState {
    return this.sm.state;
  }

  /** RSeq of the response waiting for its PRACK, if any. */
  get unacknowledged(): number | undefined {
    return this.pending?.rseq;
  }

  /**
   * Send a provisional reliably (never a 100: §3 "MUST NOT" be sent reliably; the caller decides).
   * `build(rseq)` makes the payload carrying `RSeq: rseq`.
   */
  offer(build: (rseq: number) => P, hasSdp: boolean): OfferResult {
    const state = this.sm.state;
    if (state === 'closed' || state === 'gave-up') return { sent: false, refused: 'closed' };
    if (state === 'awaiting-prack' && this.queue.length >= MAX_QUEUED_PROVISIONALS) return { sent: false, refused: 'queue-full' };
    // §7.1: RSeq is a 32-bit number; a dialog never comes close, but do not wrap.
    if (this.nextRSeq > MAX_RSEQ) return { sent: false, refused: 'rseq-exhausted' };
    const rseq = this.nextRSeq++;
    const item: Pending<P> = { rseq, payload: build(rseq), hasSdp };
    if (state === 'awaiting-prack') {
      this.queue.push(item);
      return { sent: false, rseq, queued: true };
    }
    this.start(item);
    return { sent: true, rseq };
  }

  /** §3 / §7.2: match a PRACK's RAck against the pending reliable provisional. */
  prack(rack: RAck): PrackVerdict {
    const p = this.pending;
    const c = this.o.inviteCSeq;
    if (this.sm.state !== 'awaiting-prack' || !p || rack.rseq !== p.rseq || rack.cseq !== c.seq || rack.method !== c.method) {
      return { status: 481, reason: 'No matching reliable provisional response' };
    }
    this.pending = undefined;
    const next = this.queue.shift();
    if (next) this.start(next);
    else this.sm.transition('idle');
    return { status: 200, rseq: rack.rseq };
  }

  /**
   * §3: a 2xx MUST wait while an unacknowledged reliable provisional carried a session description;
   * other finals may go at once.
   */
  maySendFinal(status: number): boolean {
    if (status < 200 || status >= 300) return true;
    return !(this.pending?.hasSdp ?? false) && !this.queue.some((q) => q.hasSdp);
  }

  /** The final response went out (or the transaction ended): stop retransmitting. Idempotent. */
  close(): void {
    if (this.sm.state === 'closed') return;
    this.pending = undefined;
    this.queue.length = 0;
    this.sm.transition('closed');
  }

  private start(item: Pending<P>): void {
    this.pending = item;
    this.retransmissions = 0;
    this.sm.transition('awaiting-prack');
    this.o.transmit(item.payload, item.rseq);
    this.armRetransmit(this.o.t1);
    // §3: retransmissions stop, and the UAS gives up, 64·T1 after the first transmission.
    this.sm.armTimer('give-up', 64 * this.o.t1, () => {
      this.queue.length = 0;
      this.pending = undefined;
      this.sm.transition('gave-up');
      this.o.onGiveUp(item.rseq);
    });
  }

  /** §3: "an interval that starts at T1 seconds and doubles for each retransmission". */
  private armRetransmit(interval: number): void {
    this.sm.armTimer('retransmit', interval, () => {
      const p = this.pending;
      if (!p) return;
      this.retransmissions++;
      this.o.transmit(p.payload, p.rseq);
      this.armRetransmit(interval * 2);
    });
  }
}
