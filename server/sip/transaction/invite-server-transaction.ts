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
    if ((s === 'proceeding' || s === 'completed') && this.lastResponse) this.send(this.lastResponse);
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
