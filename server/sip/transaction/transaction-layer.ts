import { BRANCH_MAGIC_COOKIE, type SipRequest, type SipResponse } from '../grammar/message.js';
import { InviteClientTransaction } from './invite-client-transaction.js';
import { InviteServerTransaction } from './invite-server-transaction.js';
import { cseqOf, tagOf, topVia } from './message-fields.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import type { ClientTransactionUser, TransactionChannel, TransactionEnv } from './transaction.js';
import { AcipError } from '../../util/errors.js';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

/**
 * Owns the live transactions and matches messages to them.
 * - Responses → client transactions by top-Via branch + CSeq method (§17.1.3).
 * - Requests → server transactions by branch + sent-by + method, ACK counting as INVITE (§17.2.3);
 *   without the magic cookie, by the RFC 2543 fields (Request-URI, tags, Call-ID, CSeq, top Via).
 */
export class TransactionLayer {
  private clients = new Map<string, ClientTransaction>();
  private servers = new Map<string, ServerTransaction>();

  constructor(readonly env: TransactionEnv) {}

  get clientCount(): number {
    return this.clients.size;
  }
  get serverCount(): number {
    return this.servers.size;
  }

  /** Create and start a client transaction for `req` (never for ACK, which has none: §17.1.1.3). */
  sendRequest(req: SipRequest, channel: TransactionChannel, user: ClientTransactionUser): ClientTransaction {
    const via = topVia(req);
    if (!via?.branch) throw new AcipError('SIP_NO_BRANCH', 'request has no Via branch');
    if (req.method === 'ACK') throw new AcipError('SIP_ACK_NOT_TRANSACTION', 'ACK does not create a client transaction');
    const key = clientKey(via.branch, req.method);
    if (this.clients.has(key)) throw new AcipError('SIP_DUPLICATE_TRANSACTION', `client transaction ${key} exists`);
    const tx =
      req.method === 'INVITE'
        ? new InviteClientTransaction(key, req, channel, this.env, user)
        : new NonInviteClientTransaction(key, req, channel, this.env, user);
    this.clients.set(key, tx);
    tx.onTerminated(() => {
      if (this.clients.get(key) === tx) this.clients.delete(key);
    });
    tx.start();
    return tx;
  }

  /** §17.1.3. Returns false for a stray response (the UA core then handles or drops it). */
  receiveResponse(res: SipResponse): boolean {
    const branch = topVia(res)?.branch;
    const method = cseqOf(res)?.method;
    if (!branch || !method) return false;
    const tx = this.clients.get(clientKey(branch, method));
    if (!tx) return false;
    tx.receiveResponse(res);
    return true;
  }

  /** The server transaction a request belongs to (retransmission, or ACK for a non-2xx), if any. */
  matchRequest(req: SipRequest): ServerTransaction | undefined {
    const key = serverKey(req, req.method);
    if (key === undefined) return undefined;
    const tx = this.servers.get(key);
    if (!tx) return undefined;
    if (!isCookie(req) && !legacyToTagMatches(tx, req)) return undefined;
    return tx;
  }

  /** §9.2: the INVITE server transaction a CANCEL refers to (same match, method INVITE). */
  findInviteForCancel(cancel: SipRequest): InviteServerTransaction | undefined {
    const key = serverKey(cancel, 'INVITE');
    if (key === undefined) return undefined;
    const tx = this.servers.get(key);
    if (!(tx instanceof InviteServerTransaction)) return undefined;
    if (!isCookie(cancel) && tagOf(cancel.headers.get('To')) !== tagOf(tx.request.headers.get('To'))) return undefined;
    return tx;
  }

  /** A new request that matched nothing: create its server transaction (not for ACK). */
  createServerTransaction(req: SipRequest, channel: TransactionChannel): ServerTransaction | undefined {
    if (req.method === 'ACK') return undefined;
    const key = serverKey(req, req.method);
    if (key === undefined) return undefined;
    const tx =
      req.method === 'INVITE'
        ? new InviteServerTransaction(key, req, channel, this.env)
        : new NonInviteServerTransaction(key, req, channel, this.env);
    this.servers.set(key, tx);
    tx.onTerminated(() => {
      if (this.servers.get(key) === tx) this.servers.delete(key);
    });
    return tx;
  }

  /** Terminate every transaction (UA close). */
  close(): void {
    for (const tx of [...this.clients.values(), ...this.servers.values()]) tx.terminate();
    this.clients.clear();
    this.servers.clear();
  }
}

function clientKey(branch: string, method: string): string {
  return `${branch}\u0000${method.toUpperCase()}`;
}

function isCookie(req: SipRequest): boolean {
  return topVia(req)?.branch?.startsWith(BRANCH_MAGIC_COOKIE) === true;
}

/** §17.2.3: the server transaction key; `method` is the method to match (ACK → INVITE). */
function serverKey(req: SipRequest, method: string): string | undefined {
  const via = topVia(req);
  if (!via) return undefined;
  const m = method === 'ACK' ? 'INVITE' : method.toUpperCase();
  if (via.branch?.startsWith(BRANCH_MAGIC_COOKIE)) {
    return `3261\u0000${via.branch}\u0000${via.sentBy}\u0000${m}`;
  }
  // RFC 2543 fallback (§17.2.3): Request-URI, From tag, Call-ID, CSeq number, top Via;
  // the To tag is compared separately because the ACK's To tag is the one from our response.
  const cseq = cseqOf(req);
  if (!cseq) return undefined;
  const fromTag = tagOf(req.headers.get('From')) ?? '';
  const callId = req.headers.get('Call-ID') ?? '';
  return `2543\u0000${req.uri}\u0000${fromTag}\u0000${callId}\u0000${cseq.seq}\u0000${m}\u0000${via.raw}`;
}

function legacyToTagMatches(tx: ServerTransaction, req: SipRequest): boolean {
  const reqTag = tagOf(req.headers.get('To'));
  if (req.method === 'ACK' && tx instanceof InviteServerTransaction) {
    // The ACK carries the To tag of the response it acknowledges.
    return reqTag === (tx.finalToTag ?? tagOf(tx.request.headers.get('To')));
  }
  return reqTag === tagOf(tx.request.headers.get('To'));
}
