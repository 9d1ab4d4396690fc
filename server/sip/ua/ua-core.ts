/**
 * The narrow interface calls and registrations use to reach the user-agent core (sending,
 * routing, dialog bookkeeping), so that they do not depend on `SipUserAgent` itself.
 */
import type { Clock } from '../../util/clock.js';
import type { SipRequest, SipResponse } from '../grammar/message.js';
import type { ClientTransaction } from '../transaction/transaction-layer.js';
import type { ClientTransactionUser } from '../transaction/transaction.js';
import type { SipTimers } from '../transaction/timers.js';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.js';
import type { SipLogger } from '../transport/sip-logger.js';
import type { SipDestination, SipTransport } from '../transport/sip-transport.js';
import type { SessionTimerPolicy } from '../dialog/session-timer.js';
import type { RouteOptions } from './ua-routing.js';

/** A resolved next hop: which transport, and where. */
export interface SipRoute {
  transport: SipTransport;
  dest: SipDestination;
}

export interface UaCore {
  readonly clock: Clock;
  readonly timers: SipTimers;
  readonly logger: SipLogger;
  readonly userAgentName: string;
  /** RFC 4028: the Session-Expires we ask for and the Min-SE we accept, s. */
  readonly sessionTimer: SessionTimerPolicy;
  /**
   * Every target for a URI in the order to try them (RFC 3263 §4), never empty: synchronously
   * (an array) when no DNS query is needed, else a promise that rejects with SIP_DNS_NOT_FOUND /
   * SIP_DNS_FAILED. Throws synchronously for URIs no lookup can route (tel:, unknown transport,
   * sips: without TLS). `preferred` (the dialog's transport) narrows the protocol choice to it;
   * `opts` carries the caller's choices (TLS verification) to every request of a call.
   */
  locate(uri: string, preferred?: SipTransport, connectionId?: string, opts?: RouteOptions): SipRoute[] | Promise<SipRoute[]>;
  /** A top Via for a new request over `transport` (fresh branch, rport asked, §8.1.1.7 / RFC 3581). */
  via(transport: SipTransport): string;
  /**
   * Our Contact (name-addr) for requests and responses sent over `transport`; `secure` (a sips:
   * Request-URI, RFC 3261 §8.1.1.8 / §12.1.1, RFC 5630 §3.1.3) makes it a sips: URI over TLS.
   */
  contact(transport: SipTransport, secure?: boolean): string;
  /** Start a client transaction for `req` over `route`. */
  sendRequest(req: SipRequest, route: SipRoute, user: ClientTransactionUser): ClientTransaction;
  /** Send without a transaction (ACK for 2xx, §13.2.2.4). Never throws. */
  sendStateless(msg: SipRequest, route: SipRoute): void;
  /** Send a response through an INVITE server transaction after adding our Server header. */
  respondInvite(tx: InviteServerTransaction, res: SipResponse): void;
  /** Dialog bookkeeping: calls register themselves once they know their dialog id. */
  bindDialog(key: string, call: DialogUser): void;
  unbindDialog(key: string, call: DialogUser): void;
}

/** What the core dispatches in-dialog requests and stray 2xx to. */
export interface DialogUser {
  /** A new in-dialog request (not ACK/CANCEL); the server transaction is already created. */
  onInDialogRequest(req: SipRequest, tx: import('../transaction/transaction-layer.js').ServerTransaction): void;
  /** An ACK that matched no transaction: the ACK for our 2xx (§13.3.1.4). */
  onAck(ack: SipRequest): void;
  /** A 2xx to INVITE that matched no transaction (retransmission after Timer M): re-ACK it. */
  onStray2xx(res: SipResponse): void;
}
