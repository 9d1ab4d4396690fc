import type { SipRequest, SipResponse } from '../grammar/message.js';
import { Transaction, type ServerTransactionUser, type TransactionChannel, type TransactionEnv } from './transaction.js';
import type { EdgeTable } from './state-machine.js';
import { tagOf } from './message-fields.js';

/** RFC 3261 §17.2.1 with RFC 6026 §7.1 (Accepted state after a 2xx). */
export type InviteServerState = 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

const EDGES: EdgeTable<InviteServerState> = {
  proceeding: ['accepted', 'completed', 'terminated'],
  accepted: ['terminated'],
  completed: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

export class InviteServerTransaction extends Transaction<InviteServerState> {
  readonly kind = 'invite-server' as const;
  user: ServerTransactionUser = {};
  private lastResponse: SipResponse | undefined;
  /** The 100 (Trying) held back until the TU answers or `timers.trying` passes (see `tryingUnlessAnswered`). */
  private heldTrying: SipResponse | undefined;
  private timerG = 0;
  /** To tag of the final response: the RFC 2543 ACK match compares it (§17.2.3). */
  finalToTag: string | undefined;

  constructor(key: string, request: SipRequest, channel: TransactionChannel, env: TransactionEnv) {
    super(key, request, channel, env, 'proceeding', EDGES);
  }

  get lastStatus(): number | undefined {
    return this.lastResponse?.status;
  }

  /**
   * Send the TU's response (§17.2.1). In Accepted, further 2xx (the UA core's own §13.3.1.4
   * retransmissions) are passed straight to the transport (RFC 6026 §7.1).
   */
  respond(res: SipResponse): void {
    const s = this.state;
    if (s === 'proceeding') {
      this.dropHeldTrying();
      this.lastResponse = res;
      if (res.status >= 200) this.finalToTag = tagOf(res.headers.get('To'));
      this.send(res);
      if (this.isTerminated) return;
      if (res.status >= 300) this.transition('completed');
      else if (res.status >= 200) this.transition('accepted');
    } else if (s === 'accepted' && res.status >= 200 && res.status < 300) {
      this.send(res);
    }
    // Anything else from the TU after a final response is a TU bug; ignore it.
  }

  /**
   * §17.2.1: the server transaction MUST send a 100 (Trying) unless its TU answers within 200 ms. This
   * one is held back for `timers.trying` (at most 100 ms): a TU that answers sooner (an auto-answered
   * call, a refusal) sends its response instead, one datagram less per call; otherwise the 100 goes out
   * then, still long before the caller retransmits (Timer A, T1). An INVITE retransmission meanwhile
   * gets it at once.
   */
  tryingUnlessAnswered(trying: SipResponse): void {
    if (this.state !== 'proceeding' || this.lastResponse) return;
    this.heldTrying = trying;
    this.stateTimer('Trying', this.env.timers.trying, () => this.sendHeldTrying());
  }

  private sendHeldTrying(): void {
    const trying = this.heldTrying;
    this.dropHeldTrying();
    if (trying && this.state === 'proceeding' && !this.lastResponse) this.respond(trying);
  }

  private dropHeldTrying(): void {
    if (this.heldTrying === undefined) return;
    this.heldTrying = undefined;
    this.fsm.cancelTimer('Trying');
  }

  /** A request matched to this transaction: an INVITE retransmission or an ACK. */
  receiveRequest(req: SipRequest): void {
    const s = this.state;
    if (req.method === 'ACK') {
      if (s === 'completed') this.transition('confirmed');
      else if (s === 'accepted') this.user.onAck?.(req);
      // Confirmed absorbs ACK retransmissions (§17.2.1).
      return;
    }
    // INVITE retransmission: Proceeding → resend the last provisional; Completed → resend the final;
    // Accepted/Confirmed absorb it (RFC 6026 §7.1).
    if (s === 'proceeding' && this.heldTrying) this.sendHeldTrying();
    else if ((s === 'proceeding' || s === 'completed') && this.lastResponse) this.send(this.lastResponse);
  }

  protected onEnter(state: InviteServerState): void {
    const t = this.env.timers;
    if (state === 'accepted') {
      this.stateTimer('L', t.l, () => this.transition('terminated'));
    } else if (state === 'completed') {
      if (!this.reliable) {
        this.timerG = t.gInitial;
        this.armTimerG();
      }
      this.stateTimer('H', t.h, () => {
        this.user.onTimeout?.();
        this.transition('terminated');
      });
    } else if (state === 'confirmed') {
      this.stateTimer('I', t.i(this.reliable), () => this.transition('terminated'));
    }
  }

  private armTimerG(): void {
    this.fsm.armTimer('G', this.timerG, () => {
      if (this.lastResponse) this.send(this.lastResponse);
      this.timerG = this.env.timers.nextG(this.timerG);
      this.armTimerG();
    });
  }

  protected notifyTerminated(): void {
    this.user.onTerminated?.();
  }

  protected notifyTransportError(err: unknown): void {
    this.user.onTransportError?.(err);
  }
}
