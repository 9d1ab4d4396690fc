/**
 * The events and values a call shows the layers above (links): what ended it, the offers the peer
 * makes inside the dialog, the result of ours.
 */
import type { IncomingRefer, ReferProgress } from './call-transfer.js';
import type { SipRequest } from '../grammar/message.js';
import type { SessionEndCause } from './session-refresh.js';

export type CallDirection = 'outgoing' | 'incoming';

/**
 * A re-INVITE, or an UPDATE with an offer (RFC 3311 §5.2), received inside the dialog: the upper
 * layer answers it (or rejects it, e.g. 488) the same way for both.
 */
export interface ReinviteOffer {
  /**
   * Which request carried the offer; the answer goes in its 2xx either way. The UA always sets it;
   * optional so that hand-made offers (test fakes) written before UPDATE still type-check.
   */
  method?: 'INVITE' | 'UPDATE';
  /**
   * The new offer, or undefined when the re-INVITE carries no body: the peer asks us to offer
   * (RFC 3261 §14.2; RFC 3264 §8: our current session, its o= version raised only if it changed).
   * Then `accept` takes our offer, and the peer's answer arrives from the ACK as `reinvite-answer`.
   */
  offerSdp: string | undefined;
  request: SipRequest;
  /** 2xx with this SDP: the answer to `offerSdp`, or our offer when there is none. */
  accept(answerSdp: string): void;
  reject(status: number, reason?: string, headers?: [string, string][]): void;
}

export interface ReinviteResult {
  status: number;
  reason: string;
  /** The peer's answer when status is 2xx. */
  sdp?: string;
}

export interface CallEndInfo {
  /**
   * Who ended it: we hung up, the peer did, or the network lost the peer (the session timer
   * expired or its refresh failed, RFC 4028 §10; we sent BYE then).
   */
  by: 'local' | 'remote' | 'network';
  /** The status that ended it, when a response did (487 for CANCEL, 408 for no ACK to our 2xx, …). */
  status?: number;
  /** Text a person can read, e.g. "session timer expired after 1800 s". */
  reason?: string;
  /** Set when the session timer ended the call (RFC 4028 §10). */
  cause?: SessionEndCause;
}

export type CallEvents = {
  /**
   * Outgoing: a provisional response (180/183…), with its SDP if any: the answer for its early
   * dialog (RFC 3262 §5 when reliable; early media in the gateway model of RFC 3960 §3 when not),
   * and the To tag naming that dialog (several under forking, RFC 3261 §13.2.2.4).
   */
  progress: [{ status: number; reason: string; sdp?: string; toTag?: string }];
  /**
   * Outgoing: the 2xx arrived (and was ACKed); `sdp` is the peer's answer in it. `toTag` names the
   * dialog, and `earlySdp` is the first SDP that dialog sent in a provisional response (the answer
   * when it came reliably, RFC 3262 §5; a 2xx may then carry none).
   */
  answered: [{ sdp: string | undefined; toTag?: string; earlySdp?: string }];
  /** Incoming: the ACK for our 2xx arrived; media can flow both ways. */
  confirmed: [];
  /**
   * Incoming: the INVITE carried no offer, so our 2xx carried ours (RFC 3261 §13.2.1, RFC 3264
   * §4), and this is the peer's answer from the ACK, right after `confirmed`; `remoteSdp` now
   * holds it. `sdp` undefined: the ACK had no SDP body, though §13.2.2.4 says it MUST — no session
   * can start; the upper layer ends the call with BYE (as it does for an answer it cannot use).
   * No ACK at all ends the call by itself (`ended` with status 408, §13.3.1.4).
   */
  'ack-answer': [{ sdp: string | undefined }];
  /** Outgoing: the INVITE ended without a session (non-2xx, timeout, CANCEL → 487). */
  failed: [{ status: number; reason: string }];
  /** A session that existed (or an incoming offer) is over. */
  ended: [CallEndInfo];
  /**
   * An offer from the peer inside the dialog: a re-INVITE (mid-call codec change, Tech 3326) or an
   * UPDATE with SDP (RFC 3311; `method` says which). No listener → 488.
   */
  reinvite: [ReinviteOffer];
  /**
   * The peer's answer to the offer we put in our 2xx to a re-INVITE that carried no offer: it
   * arrives in the ACK (RFC 3261 §13.2.2.4 / §14.2, RFC 3264 §5), and `remoteSdp` now holds it.
   * `sdp` undefined: the ACK carried no answer (a protocol error; the upper layer decides, e.g.
   * by hanging up as §13.2.2.4 asks of a UAC that cannot answer). No ACK at all ends the call
   * with BYE (`ended` with status 408, §13.3.1.4): our offer would stay unanswered.
   */
  'reinvite-answer': [{ sdp: string | undefined }];
  /** RFC 3515: the peer asks us to call someone else (answered 202, NOTIFY 100 sent). No listener → 603 reported. */
  refer: [IncomingRefer];
  /** RFC 3515: how the call our REFER asked the peer to place goes (from its NOTIFYs). */
  'refer-progress': [ReferProgress];
};
