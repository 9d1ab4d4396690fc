/**
 * What outgoing and incoming calls share on top of the dialog (`dialog-call.ts`): re-INVITE in
 * both directions with glare handling (RFC 3261 §14), UPDATE received inside the dialog (RFC
 * 3311), the session timer (RFC 4028, see `session-refresh.ts`), and call transfer (REFER, RFC 3515,
 * see `call-transfer.ts`).
 */
import { AcipError } from '../../util/errors.js';
import type { SipRequest, SipResponse } from '../grammar/message.js';
import { createResponse } from '../grammar/response.js';
import type { Dialog } from '../dialog/dialog.js';
import { glareRetryDelayMs } from '../dialog/glare.js';
import { timerResponseHeaders, type UasTimerDecision } from '../dialog/session-timer.js';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.js';
import type { ServerTransaction } from '../transaction/transaction-layer.js';
import type { SipTransport } from '../transport/sip-transport.js';
import type { ReinviteOffer, ReinviteResult } from './call-types.js';
import { DialogCall, SDP, bodyText, type OfferInAnswer } from './dialog-call.js';
import { SessionRefresh, type RefreshOutcome } from './session-refresh.js';
import { onCallNotify, onReferRequest, sendRefer, type TransferCallHost } from './call-transfer.js';
import type { SipRoute, UaCore } from './ua-core.js';
import { ALLOW_HEADER, SUPPORTED_HEADER, warningHeader } from './uas-policy.js';

export type { CallDirection, CallEndInfo, CallEvents, ReinviteOffer, ReinviteResult } from './call-types.js';

/** Re-INVITE attempts after 491 before giving up (§14.1 leaves the count to us). */
const MAX_GLARE_RETRIES = 3;

/** §14.2 / RFC 3311 §5.2: an earlier offer is still unanswered → 500 with Retry-After 0–10 s. */
function retryLater(req: SipRequest): SipResponse {
  const retry = Math.floor(Math.random() * 11);
  return createResponse(req, 500, 'Server Internal Error', { headers: [['Retry-After', String(retry)]] });
}

type AcceptedTimer = Extract<UasTimerDecision, { kind: 'accept' }>;

/** Why we send a re-INVITE: a new offer from the layer above, or a session refresh (RFC 4028 §7.4). */
type ReinvitePurpose = 'offer' | 'refresh';

const SESSION_INTERVAL_TOO_SMALL = 422;

/** One re-INVITE's outcome, with the final response when there was one. */
interface Attempt {
  result: ReinviteResult;
  res?: SipResponse;
}

export abstract class SipCall extends DialogCall {
  /** An offer/answer exchange in flight (re-INVITE, or UPDATE with an offer): ours, or the peer's. */
  private reinvitePending: 'out' | 'in' | undefined;
  /** RFC 4028: the session timer. */
  protected readonly sessionTimer: SessionRefresh;

  protected constructor(core: UaCore, callId: string, transport: SipTransport, connectionId: string | undefined) {
    super(core, callId, transport, connectionId);
    this.sessionTimer = new SessionRefresh(
      {
        logger: core.logger,
        callId,
        setTimer: (ms, fn) => this.setTimer(ms, fn),
        busy: () => this.reinvitePending !== undefined || this.pending2xx !== undefined,
        send: (method, headers, done) => (method === 'UPDATE' ? this.sendUpdate(headers, done) : this.refreshByReinvite(done)),
        end: (status, reason, cause) => void this.hangUp({ by: 'network', ...(status !== undefined ? { status } : {}), reason, cause }),
      },
      core.sessionTimer,
    );
  }

  /** The session interval in force (s) and who refreshes it, once the session has started. */
  get sessionInterval(): { intervalS: number; refresher: 'local' | 'remote' } | undefined {
    return this.sessionTimer.session;
  }

  protected override onFinish(): void {
    this.sessionTimer.stop();
  }

  /** A 2xx to an INVITE carrying the session-timer decision, which starts the session (RFC 4028 §9, §10). */
  protected answerInvite(tx: InviteServerTransaction, req: SipRequest, sdp: string | undefined, onNoAck: () => void, timer: AcceptedTimer, offerInAnswer?: OfferInAnswer): void {
    // Supported names every option tag we support, not just the session timer's (RFC 3261 §20.37).
    const headers = timerResponseHeaders(timer).map(([n, v]): [string, string] => (n.toLowerCase() === 'supported' ? [n, SUPPORTED_HEADER] : [n, v]));
    this.send2xx(tx, req, sdp, onNoAck, { offerInAnswer, headers });
    this.sessionTimer.accepted(timer);
  }

  /**
   * Send a re-INVITE with a new offer (§14.1). A 491 (glare) is retried after the §14.1 random
   * delay, up to MAX_GLARE_RETRIES times; a 422 once with the larger Min-SE (RFC 4028 §7.4);
   * 481/408 end the call (§12.2.1.2); any other non-2xx leaves the session as it was. The
   * re-INVITE carries the session-timer headers, and its 2xx refreshes the session (RFC 4028 §7.4).
   */
  async reinvite(sdp: string): Promise<ReinviteResult> {
    if (this.endedFlag || !this.dialog || this.dialog.state !== 'confirmed') {
      throw new AcipError('SIP_NOT_CONFIRMED', 're-INVITE needs a confirmed dialog');
    }
    if (this.reinvitePending) throw new AcipError('SIP_REINVITE_PENDING', 'a re-INVITE is already in progress');
    return new Promise<ReinviteResult>((resolve) => this.reinviteAttempts(sdp, 'offer', (out) => resolve(out.result)));
  }

  /**
   * Re-INVITE until it is settled: after 491 again after the §14.1 delay, after 422 once more
   * with the larger Min-SE. Callback-driven so that the in-flight flag clears with the final
   * response itself, not a microtask later (a refresh may follow at once).
   */
  private reinviteAttempts(sdp: string, purpose: ReinvitePurpose, done: (out: Attempt) => void): void {
    let retried422 = false;
    let glare = 0;
    const next = (): void => {
      this.reinvitePending = 'out';
      this.reinviteOnce(sdp, purpose, (out) => {
        this.reinvitePending = undefined;
        const { status } = out.result;
        if (this.endedFlag) return done(out);
        if (status === SESSION_INTERVAL_TOO_SMALL && !retried422 && out.res && this.sessionTimer.adopt422(out.res)) {
          retried422 = true;
          return next();
        }
        if (status !== 491 || glare >= MAX_GLARE_RETRIES) return done(out);
        glare += 1;
        this.setTimer(glareRetryDelayMs(this.ownsCallId), () => (this.endedFlag ? done(out) : next()));
      });
    };
    next();
  }

  /**
   * RFC 4028 §10 refresh by re-INVITE: the current session description again, unchanged (same
   * o= version, RFC 3264 §8: "the SDP MUST be identical to the last SDP sent").
   */
  private refreshByReinvite(done: (out: RefreshOutcome) => void): void {
    if (this.endedFlag || !this.dialog || this.dialog.state !== 'confirmed' || this.localSdp === undefined) {
      done({ status: 481, reason: 'no session to refresh' });
      return;
    }
    this.reinviteAttempts(this.localSdp, 'refresh', ({ result, res }) => done({ status: result.status, reason: result.reason, ...(res ? { res } : {}) }));
  }

  private reinviteOnce(sdp: string, purpose: ReinvitePurpose, done: (out: Attempt) => void): void {
    const dialog = this.dialog;
    if (!dialog) {
      done({ result: { status: 503, reason: 'no dialog' } });
      return;
    }
    let settled = false;
    const finish = (result: ReinviteResult, res?: SipResponse) => {
      if (settled) return;
      settled = true;
      done({ result, ...(res ? { res } : {}) });
    };
    this.withDialogRoute(
      dialog,
      (route) => {
        if (this.endedFlag) {
          finish({ status: 481, reason: 'Call ended' });
          return;
        }
        this.sendReinvite(dialog, route, sdp, purpose, finish, () => settled);
      },
      (err) => finish({ status: 503, reason: `Service Unavailable (${err instanceof Error ? err.message : String(err)})` }),
    );
  }

  private sendReinvite(
    dialog: Dialog,
    route: SipRoute,
    sdp: string,
    purpose: ReinvitePurpose,
    finish: (r: ReinviteResult, res?: SipResponse) => void,
    isDone: () => boolean,
  ): void {
    let req: SipRequest;
    try {
      req = dialog.createRequest('INVITE', {
        via: this.core.via(route.transport),
        body: sdp,
        contentType: SDP,
        headers: [['Allow', ALLOW_HEADER], ...this.sessionTimer.requestHeaders()],
        userAgent: this.core.userAgentName,
      });
    } catch (err) {
      finish({ status: 503, reason: String(err) });
      return;
    }
    try {
      this.core.sendRequest(req, route, {
        onResponse: (res) => {
          if (res.status < 200) return;
          if (res.status < 300) {
            this.safeAck(res);
            if (isDone()) return; // 2xx retransmission: re-ACKed above
            dialog.refreshTarget(res);
            this.localSdp = sdp;
            const answer = bodyText(res);
            if (answer !== undefined) this.remoteSdp = answer;
            this.sessionTimer.answered(res);
            finish({ status: res.status, reason: res.reason, ...(answer !== undefined ? { sdp: answer } : {}) }, res);
            return;
          }
          finish({ status: res.status, reason: res.reason }, res);
          // A failed refresh is ended by the session timer, with BYE and its reason (RFC 4028 §10).
          if (purpose === 'offer' && (res.status === 481 || res.status === 408)) this.finish({ by: 'remote', status: res.status, reason: res.reason });
        },
        onTimeout: () => {
          finish({ status: 408, reason: 'Request Timeout' });
          if (purpose === 'offer') void this.bye();
        },
        onTransportError: () => finish({ status: 503, reason: 'Service Unavailable' }),
      });
    } catch (err) {
      finish({ status: 503, reason: String(err) });
    }
  }

  /** RFC 4028 §10 refresh by UPDATE without a body (RFC 3311 §5.1: no offer, so no glare). */
  private sendUpdate(headers: [string, string][], resolve: (out: RefreshOutcome) => void): void {
    const dialog = this.dialog;
    if (this.endedFlag || !dialog) {
      resolve({ status: 481, reason: 'no session to refresh' });
      return;
    }
    {
      this.withDialogRoute(
        dialog,
        (route) => {
          if (this.endedFlag) {
            resolve({ status: 481, reason: 'Call ended' });
            return;
          }
          try {
            const req = dialog.createRequest('UPDATE', {
              via: this.core.via(route.transport),
              headers: [['Allow', ALLOW_HEADER], ...headers],
              userAgent: this.core.userAgentName,
            });
            this.core.sendRequest(req, route, {
              onResponse: (res) => {
                if (res.status < 200) return;
                if (res.status < 300) {
                  dialog.refreshTarget(res);
                  this.sessionTimer.answered(res);
                }
                resolve({ status: res.status, reason: res.reason, res });
              },
              onTimeout: () => resolve({ status: 408, reason: 'Request Timeout' }),
              onTransportError: () => resolve({ status: 503, reason: 'Service Unavailable' }),
            });
          } catch (err) {
            resolve({ status: 503, reason: String(err) });
          }
        },
        (err) => resolve({ status: 503, reason: `Service Unavailable (${err instanceof Error ? err.message : String(err)})` }),
      );
    }
  }

  // ---- receiving inside the dialog -----------------------------------------------------------

  onInDialogRequest(req: SipRequest, tx: ServerTransaction): void {
    if (this.dialog && !this.dialog.acceptRemoteCSeq(req)) {
      // §12.2.2: a CSeq lower than (or equal to) the last one is out of order → 500.
      tx.respond(this.withServer(createResponse(req, 500, 'Server Internal Error: CSeq out of order')));
      return;
    }
    if (req.method === 'BYE') {
      tx.respond(this.withServer(createResponse(req, 200, 'OK')));
      this.onRemoteBye();
      return;
    }
    if (req.method === 'INVITE' && tx.kind === 'invite-server') {
      this.onReinvite(req, tx);
      return;
    }
    if (req.method === 'UPDATE' && tx.kind === 'non-invite-server') {
      this.onUpdate(req, tx);
      return;
    }
    if (req.method === 'PRACK') {
      this.onPrack(req, tx);
      return;
    }
    if (req.method === 'REFER') {
      onReferRequest(this.transferHost(), req, tx);
      return;
    }
    if (req.method === 'NOTIFY') {
      onCallNotify(this.transferHost(), req, tx);
      return;
    }
    // Anything else that reached us in-dialog (OPTIONS is answered by the core).
    tx.respond(this.withServer(createResponse(req, 405, 'Method Not Allowed')));
  }

  /**
   * RFC 3515: ask the peer to call `target` instead (REFER in this dialog). Resolves with the
   * REFER's final status (202: the peer will try; its progress arrives as 'refer-progress').
   */
  refer(target: string): Promise<{ status: number; reason: string }> {
    return sendRefer(this.transferHost(), target);
  }

  private transferHost(): TransferCallHost {
    return {
      core: this.core,
      dialog: () => this.dialog,
      ended: () => this.endedFlag,
      withDialogRoute: (d, send, onError) => this.withDialogRoute(d, send, onError),
      respond: (tx, res) => tx.respond(this.withServer(res)),
      emitRefer: (r) => {
        if (this.listenerCount('refer') === 0) r.report(603, 'Decline');
        else this.emit('refer', r);
      },
      emitReferProgress: (p) => this.emit('refer-progress', p),
    };
  }

  /** RFC 3262 §3: a PRACK for none of our reliable provisionals → 481 (incoming calls match theirs). */
  protected onPrack(req: SipRequest, tx: ServerTransaction): void {
    tx.respond(this.withServer(createResponse(req, 481, 'No matching reliable provisional response')));
  }

  /** RFC 4028 §9 / §6: a Session-Expires below our Min-SE → 422 with our Min-SE; else the decision. */
  private timerDecisionOr422(req: SipRequest, respond: (res: SipResponse) => void): AcceptedTimer | undefined {
    this.sessionTimer.learnAllow(req);
    const decision = this.sessionTimer.decide(req);
    if (decision.kind === 'accept') return decision;
    respond(this.withServer(createResponse(req, SESSION_INTERVAL_TOO_SMALL, 'Session Interval Too Small', { headers: [['Min-SE', String(decision.minSeS)]] })));
    return undefined;
  }

  private onReinvite(req: SipRequest, tx: InviteServerTransaction): void {
    if (this.reinvitePending === 'out') {
      // §14.2: our own re-INVITE is in progress → 491.
      this.core.respondInvite(tx, createResponse(req, 491, 'Request Pending'));
      return;
    }
    if (this.reinvitePending === 'in' || this.pending2xx) {
      // §14.2: an earlier INVITE has not been answered (or ACKed) yet → 500 with Retry-After 0–10 s.
      this.core.respondInvite(tx, retryLater(req));
      return;
    }
    const timer = this.timerDecisionOr422(req, (res) => this.core.respondInvite(tx, res));
    if (!timer) return;
    this.dialog?.refreshTarget(req);
    this.offerUp(req, (answerSdp, offered) => {
      if (offered !== undefined) {
        this.answerInvite(tx, req, answerSdp, () => undefined, timer);
        return;
      }
      // RFC 3264 §8: without an offer in the re-INVITE, `answerSdp` is our offer and the ACK
      // answers it. Without the ACK our offer stays unanswered: end the session (§13.3.1.4).
      this.answerInvite(tx, req, answerSdp, () => this.endForNoAck(), timer, 'reinvite');
    }, (res) => this.core.respondInvite(tx, res));
  }

  /**
   * RFC 3311 §5.2: an UPDATE inside the dialog. Without a body it only refreshes the session
   * (RFC 4028 §7.4 / §9): 200 with the session-timer headers. With an offer it goes up exactly as
   * a re-INVITE's offer does, and the answer goes in the UPDATE's 200. While an offer of ours is
   * unanswered → 491; while the peer's earlier offer is unanswered → 500 with Retry-After.
   */
  private onUpdate(req: SipRequest, tx: ServerTransaction): void {
    const respond = (res: SipResponse) => tx.respond(this.withServer(res));
    const offered = bodyText(req);
    // An early dialog (we have not answered the INVITE): its offer is still ours to answer.
    const early = this.dialog?.state !== 'confirmed';
    if (offered !== undefined) {
      if (this.reinvitePending === 'out' || this.pending2xx?.answerInAck) {
        respond(createResponse(req, 491, 'Request Pending'));
        return;
      }
      if (this.reinvitePending === 'in' || early) {
        respond(retryLater(req));
        return;
      }
    }
    if (early) {
      // Nothing to refresh before the session exists (RFC 4028 §10 counts from the 2xx).
      respond(createResponse(req, 200, 'OK', { headers: [['Contact', this.ownContact()], ['Allow', ALLOW_HEADER]] }));
      return;
    }
    const timer = this.timerDecisionOr422(req, (res) => tx.respond(res));
    if (!timer) return;
    // RFC 3311 §5.2: UPDATE is a target refresh request.
    this.dialog?.refreshTarget(req);
    const ok = (sdp: string | undefined) => {
      const res = createResponse(req, 200, 'OK', {
        headers: [['Contact', this.ownContact()], ['Allow', ALLOW_HEADER], ...timerResponseHeaders(timer)],
        ...(sdp !== undefined ? { body: Buffer.from(sdp, 'utf8'), contentType: SDP } : {}),
      });
      respond(res);
      this.sessionTimer.accepted(timer);
    };
    if (offered === undefined) {
      ok(undefined);
      return;
    }
    this.offerUp(req, (answerSdp) => ok(answerSdp), (res) => respond(res));
  }

  /**
   * Hand an offer (re-INVITE or UPDATE) to the layer above as a `reinvite` event; `answer` sends
   * the 2xx, `refuse` any other final response. No listener → 488.
   */
  private offerUp(req: SipRequest, answer: (answerSdp: string, offered: string | undefined) => void, refuse: (res: SipResponse) => void): void {
    this.reinvitePending = 'in';
    let answered = false;
    const offered = bodyText(req);
    const offer: ReinviteOffer = {
      method: req.method === 'UPDATE' ? 'UPDATE' : 'INVITE',
      offerSdp: offered,
      request: req,
      accept: (answerSdp: string) => {
        if (answered || this.endedFlag) return;
        answered = true;
        this.reinvitePending = undefined;
        if (offered !== undefined) this.remoteSdp = offered;
        this.localSdp = answerSdp;
        answer(answerSdp, offered);
      },
      reject: (status, reason, headers) => {
        if (answered) return;
        answered = true;
        this.reinvitePending = undefined;
        // §14.2 / RFC 3311 §5.2: a rejected offer leaves the session unchanged.
        refuse(createResponse(req, status, reason, headers ? { headers } : {}));
      },
    };
    if (this.listenerCount('reinvite') === 0) {
      offer.reject(488, 'Not Acceptable Here', [['Warning', warningHeader(this.core.userAgentName, 399, 'No handler for re-INVITE')]]);
      return;
    }
    this.emit('reinvite', offer);
  }
}
