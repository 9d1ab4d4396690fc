/**
 * UAC side of reliable provisional responses (RFC 3262 §4): one tracker per INVITE client
 * transaction, deciding for each provisional response whether to PRACK it, process it without a
 * PRACK, or drop it.
 *
 *   - A 1xx (other than 100) with `Require: 100rel` and an RSeq is reliable and is PRACKed with
 *     `RAck: <RSeq> <INVITE CSeq> INVITE` (§7.2).
 *   - Sequence numbers are kept per dialog (forking gives each to-tag its own, §4). The first
 *     reliable 1xx of a dialog sets it; a later one is processed only when its RSeq is exactly one
 *     higher ("MUST NOT be acknowledged with a PRACK, and MUST NOT be processed further"
 *     otherwise). A response with the same RSeq is a retransmission and is discarded: the PRACK's
 *     own client transaction retransmits the PRACK.
 *   - A reliable 1xx without an RSeq, or without a to-tag (no dialog to PRACK in), is processed as
 *     an unreliable one; the deviation from strictness keeps early media of a sloppy peer audible.
 *   - After the final response nothing more is PRACKed (§4: the sequence is kept "until a final
 *     response is received").
 *
 * One guarded transition function (the shared `StateMachine`) says 'proceeding' → 'completed'.
 */
import { systemClock, type Clock } from '../../util/clock.js';
import { StateMachine, type EdgeTable } from '../transaction/state-machine.js';
import type { RAck } from '../grammar/rel-headers.js';
import type { CSeq } from '../grammar/headers.js';

export type PrackTrackerState = 'proceeding' | 'completed';

const EDGES: EdgeTable<PrackTrackerState> = {
  proceeding: ['completed'],
  completed: [],
};

/** Dialogs tracked per INVITE: forking proxies give a handful; a flood of to-tags must not grow memory. */
export const MAX_TRACKED_DIALOGS = 16;

export interface ProvisionalInfo {
  status: number;
  /** To tag of the response (its early dialog), if any. */
  toTag: string | undefined;
  /** Parsed RSeq, if the response had a well-formed one. */
  rseq: number | undefined;
  /** The response's Require header lists 100rel. */
  requires100rel: boolean;
}

export type ProvisionalDecision =
  /** Reliable and in order: process it and send a PRACK with this RAck in the early dialog. */
  | { action: 'prack'; rack: RAck }
  /** Not reliable: process it as RFC 3261 says; no PRACK. */
  | { action: 'process' }
  | { action: 'discard'; why: 'retransmission' | 'out-of-order' | 'after-final' | 'too-many-dialogs' };

export class PrackTracker {
  private readonly sm: StateMachine<PrackTrackerState>;
  /** Last in-order RSeq per to-tag (a Map: tags are network input). */
  private readonly lastRSeq = new Map<string, number>();

  constructor(
    private readonly inviteCSeq: CSeq,
    clock: Clock = systemClock,
  ) {
    this.sm = new StateMachine<PrackTrackerState>('100rel-uac', 'proceeding', EDGES, clock, () => {});
  }

  get state(): PrackTrackerState {
    return this.sm.state;
  }

  onProvisional(r: ProvisionalInfo): ProvisionalDecision {
    if (this.sm.state === 'completed') return { action: 'discard', why: 'after-final' };
    // §3: a 100 is never reliable, whatever it says.
    if (r.status === 100 || !r.requires100rel || r.rseq === undefined || r.toTag === undefined) return { action: 'process' };
    const last = this.lastRSeq.get(r.toTag);
    if (last === undefined) {
      if (this.lastRSeq.size >= MAX_TRACKED_DIALOGS) return { action: 'discard', why: 'too-many-dialogs' };
    } else if (r.rseq === last) {
      return { action: 'discard', why: 'retransmission' };
    } else if (r.rseq !== last + 1) {
      return { action: 'discard', why: 'out-of-order' };
    }
    this.lastRSeq.set(r.toTag, r.rseq);
    return { action: 'prack', rack: { rseq: r.rseq, cseq: this.inviteCSeq.seq, method: this.inviteCSeq.method } };
  }

  /** The final response arrived (§4): later provisionals are not PRACKed. Idempotent. */
  onFinal(): void {
    if (this.sm.can('completed')) this.sm.transition('completed');
  }
}
