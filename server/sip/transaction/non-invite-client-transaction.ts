import type { SipRequest, SipResponse } from '../grammar/message.js';
import { Transaction, type ClientTransactionUser, type TransactionChannel, type TransactionEnv } from './transaction.js';
import type { EdgeTable } from './state-machine.js';

/** RFC 3261 §17.1.2. */
export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

const EDGES: EdgeTable<NonInviteClientState> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export class NonInviteClientTransaction extends Transaction<NonInviteClientState> {
  readonly kind = 'non-invite-client' as const;
  private timerE = 0;

  constructor(
    key: string,
    request: SipRequest,
    channel: TransactionChannel,
    env: TransactionEnv,
    private readonly user: ClientTransactionUser,
  ) {
    super(key, request, channel, env, 'trying', EDGES);
  }

  /** Send the request, arm Timer E (unreliable only) and Timer F (§17.1.2.2). */
  start(): void {
    this.send(this.request);
    if (this.isTerminated) return;
    if (!this.reliable) {
      this.timerE = this.env.timers.eInitial;
      this.armTimerE();
    }
    this.spanTimer('F', this.env.timers.f, () => {
      this.user.onTimeout();
      this.transition('terminated');
    });
  }

  private armTimerE(): void {
    // E spans Trying and Proceeding: a pending E keeps running after a 1xx and is then reset to T2.
    this.spanTimer('E', this.timerE, () => {
      this.send(this.request);
      // Trying: MIN(2·E, T2). Proceeding: T2 (§17.1.2.2).
      this.timerE = this.state === 'proceeding' ? this.env.timers.eProceeding : this.env.timers.nextE(this.timerE);
      this.armTimerE();
    });
  }

  receiveResponse(res: SipResponse): void {
    const s = this.state;
    if (s !== 'trying' && s !== 'proceeding') return; // Completed absorbs retransmissions.
    if (res.status < 200) {
      if (s === 'trying') this.transition('proceeding');
      this.user.onResponse(res);
      return;
    }
    this.cancelSpanTimer('F');
    this.cancelSpanTimer('E');
    // §17.1.2.2: pass the final response to the TU, then move to Completed.
    this.user.onResponse(res);
    if (!this.isTerminated) this.transition('completed');
  }

  protected onEnter(state: NonInviteClientState): void {
    if (state === 'completed') {
      this.stateTimer('K', this.env.timers.k(this.reliable), () => this.transition('terminated'));
    }
  }

  protected notifyTerminated(): void {
    this.user.onTerminated?.();
  }

  protected notifyTransportError(err: unknown): void {
    this.user.onTransportError(err);
  }
}
