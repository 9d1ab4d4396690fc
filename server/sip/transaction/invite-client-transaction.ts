import { SipHeaders, type SipRequest, type SipResponse } from '../grammar/message.js';
import { Transaction, type ClientTransactionUser, type TransactionChannel, type TransactionEnv } from './transaction.js';
import type { EdgeTable } from './state-machine.js';

/** RFC 3261 §17.1.1 with RFC 6026 §7.2 (Accepted state replaces "2xx → Terminated"). */
export type InviteClientState = 'calling' | 'proceeding' | 'accepted' | 'completed' | 'terminated';

const EDGES: EdgeTable<InviteClientState> = {
  calling: ['proceeding', 'accepted', 'completed', 'terminated'],
  proceeding: ['accepted', 'completed', 'terminated'],
  accepted: ['terminated'],
  completed: ['terminated'],
  terminated: [],
};

/**
 * §17.1.1.3: the ACK for a non-2xx final response is built by the transaction: same
 * Request-URI, Call-ID, From, CSeq number and top Via as the INVITE, To from the response,
 * the INVITE's Route headers, CSeq method ACK.
 */
export function buildAckForNon2xx(invite: SipRequest, res: SipResponse): SipRequest {
  const h = new SipHeaders();
  const via = invite.headers.get('Via');
  if (via !== undefined) h.append('Via', via);
  for (const r of invite.headers.getAll('Route')) h.append('Route', r);
  h.append('Max-Forwards', '70');
  const from = invite.headers.get('From');
  if (from !== undefined) h.append('From', from);
  const to = res.headers.get('To') ?? invite.headers.get('To');
  if (to !== undefined) h.append('To', to);
  const callId = invite.headers.get('Call-ID');
  if (callId !== undefined) h.append('Call-ID', callId);
  const cseq = invite.headers.get('CSeq') ?? '';
  const num = /^\s*(\d+)/.exec(cseq)?.[1] ?? '1';
  h.append('CSeq', `${num} ACK`);
  h.append('Content-Length', '0');
  return { kind: 'request', method: 'ACK', uri: invite.uri, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}

export class InviteClientTransaction extends Transaction<InviteClientState> {
  readonly kind = 'invite-client' as const;
  private timerA = 0;
  private ack: SipRequest | undefined;

  constructor(
    key: string,
    request: SipRequest,
    channel: TransactionChannel,
    env: TransactionEnv,
    private readonly user: ClientTransactionUser,
  ) {
    super(key, request, channel, env, 'calling', EDGES);
  }

  /** Send the INVITE and arm Timers A and B (§17.1.1.2). */
  start(): void {
    this.send(this.request);
    if (this.isTerminated) return;
    if (!this.reliable) {
      this.timerA = this.env.timers.aInitial;
      this.armTimerA();
    }
    this.spanTimer('B', this.env.timers.b, () => {
      // Timer B only matters while Calling (figure 5); after a 1xx the TU bounds the wait.
      if (this.state !== 'calling') return;
      this.user.onTimeout();
      this.transition('terminated');
    });
  }

  private armTimerA(): void {
    this.fsm.armTimer('A', this.timerA, () => {
      this.send(this.request);
      this.timerA = this.env.timers.nextA(this.timerA);
      this.armTimerA();
    });
  }

  receiveResponse(res: SipResponse): void {
    const s = this.state;
    if (res.status < 200) {
      if (s === 'calling') {
        this.cancelSpanTimer('B');
        this.transition('proceeding');
      }
      if (s === 'calling' || s === 'proceeding') this.user.onResponse(res);
      return;
    }
    if (res.status < 300) {
      // RFC 6026 §7.2: 2xx in Calling/Proceeding → Accepted; 2xx retransmissions in Accepted go to the TU
      // so the UA core can re-send its ACK (§13.2.2.4).
      if (s === 'calling' || s === 'proceeding') {
        this.cancelSpanTimer('B');
        this.transition('accepted');
        this.user.onResponse(res);
      } else if (s === 'accepted') {
        this.user.onResponse(res);
      }
      return;
    }
    if (s === 'calling' || s === 'proceeding') {
      this.cancelSpanTimer('B');
      this.ack = buildAckForNon2xx(this.request, res);
      this.send(this.ack);
      if (this.isTerminated) return;
      this.user.onResponse(res);
      if (!this.isTerminated) this.transition('completed');
    } else if (s === 'completed' && this.ack) {
      // §17.1.1.2: a retransmitted final response gets the ACK again and is not passed up.
      this.send(this.ack);
    }
  }

  protected onEnter(state: InviteClientState): void {
    if (state === 'accepted') {
      this.stateTimer('M', this.env.timers.m, () => this.transition('terminated'));
    } else if (state === 'completed') {
      this.stateTimer('D', this.env.timers.d(this.reliable), () => this.transition('terminated'));
    }
  }

  protected notifyTerminated(): void {
    this.user.onTerminated?.();
  }

  protected notifyTransportError(err: unknown): void {
    this.user.onTransportError(err);
  }
}
