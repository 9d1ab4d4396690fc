import type { SipRequest, SipResponse } from '../grammar/message.js';
import { Transaction, type ServerTransactionUser, type TransactionChannel, type TransactionEnv } from './transaction.js';
import type { EdgeTable } from './state-machine.js';

/** RFC 3261 §17.2.2. */
export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

const EDGES: EdgeTable<NonInviteServerState> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export class NonInviteServerTransaction extends Transaction<NonInviteServerState> {
  readonly kind = 'non-invite-server' as const;
  user: ServerTransactionUser = {};
  private lastResponse: SipResponse | undefined;

  constructor(key: string, request: SipRequest, channel: TransactionChannel, env: TransactionEnv) {
    super(key, request, channel, env, 'trying', EDGES);
  }

  get lastStatus(): number | undefined {
    return this.lastResponse?.status;
  }

  respond(res: SipResponse): void {
    const s = this.state;
    if (s !== 'trying' && s !== 'proceeding') return;
    this.lastResponse = res;
    this.send(res);
    if (this.isTerminated) return;
    if (res.status >= 200) this.transition('completed');
    else if (s === 'trying') this.transition('proceeding');
  }

  /** A retransmission of the request (§17.2.2): Trying drops it; otherwise resend the last response. */
  receiveRequest(_req: SipRequest): void {
    if ((this.state === 'proceeding' || this.state === 'completed') && this.lastResponse) this.send(this.lastResponse);
  }

  protected onEnter(state: NonInviteServerState): void {
    if (state === 'completed') {
      this.stateTimer('J', this.env.timers.j(this.reliable), () => this.transition('terminated'));
    }
  }

  protected notifyTerminated(): void {
    this.user.onTerminated?.();
  }

  protected notifyTransportError(err: unknown): void {
    this.user.onTransportError?.(err);
  }
}
