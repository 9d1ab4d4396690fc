/**
 * What outgoing and incoming calls share once a dialog exists (RFC 3261 §12–§15): BYE, re-INVITE
 * in both directions with glare handling (§14), the UAS 2xx retransmission until the ACK
 * arrives (§13.3.1.4), and re-ACKing retransmitted 2xx as a UAC (§13.2.2.4).
 */
import type { TimerHandle } from '../../util/clock.js';
import { AcipError } from '../../util/errors.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import type { SipRequest, SipResponse } from '../message.js';
import { parseCSeq } from '../headers.js';
import { createResponse } from '../response.js';
import { Dialog } from '../dialog/dialog.js';
import { glareRetryDelayMs } from '../dialog/glare.js';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.js';
import type { ServerTransaction } from '../transaction/transaction-layer.js';
import type { SipTransport } from '../transport/sip-transport.js';
import type { DialogUser, SipRoute, UaCore } from './ua-core.js';
import { ALLOW_HEADER, warningHeader } from './uas-policy.js';

export type CallDirection = 'outgoing' | 'incoming';

/** A re-INVITE received inside the dialog: the upper layer answers it (or rejects it, e.g. 488). */
export interface ReinviteOffer {
  /** The new offer, or undefined when the re-INVITE carries no body (then the answer is our offer). */
  offerSdp: string | undefined;
  request: SipRequest;
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
  by: 'local' | 'remote';
  /** The status that ended it, when a response did (487 for CANCEL, 408 for no ACK, …). */
  status?: number;
  reason?: string;
}

export type CallEvents = {
  /** Outgoing: a provisional response (180/183…), with its SDP if any. */
  progress: [{ status: number; reason: string; sdp?: string }];
  /** Outgoing: the 2xx arrived (and was ACKed); `sdp` is the peer's answer. */
  answered: [{ sdp: string | undefined }];
  /** Incoming: the ACK for our 2xx arrived; media can flow both ways. */
  confirmed: [];
  /** Outgoing: the INVITE ended without a session (non-2xx, timeout, CANCEL → 487). */
  failed: [{ status: number; reason: string }];
  /** A session that existed (or an incoming offer) is over. */
  ended: [CallEndInfo];
  /** A re-INVITE from the peer (mid-call codec change, Tech 3326). No listener → 488. */
  reinvite: [ReinviteOffer];
  /**
   * The peer's answer to the offer we put in our 2xx to a re-INVITE that carried no offer: it
   * arrives in the ACK (RFC 3261 §13.2.2.4 / §14.2, RFC 3264 §5), and `remoteSdp` now holds it.
   * `sdp` undefined: the ACK carried no answer (a protocol error; the upper layer decides, e.g.
   * by hanging up as §13.2.2.4 asks of a UAC that cannot answer).
   */
  'reinvite-answer': [{ sdp: string | undefined }];
};

const SDP = 'application/sdp';
/** Re-INVITE attempts after 491 before giving up (§14.1 leaves the count to us). */
const MAX_GLARE_RETRIES = 3;

function bodyText(msg: SipRequest | SipResponse): string | undefined {
  return msg.body.length > 0 ? msg.body.toString('utf8') : undefined;
}

function cseqNumber(msg: SipRequest | SipResponse): number | undefined {
  const v = msg.headers.get('CSeq');
  if (v === undefined) return undefined;
  try {
    return parseCSeq(v).seq;
  } catch {
    return undefined;
  }
}

interface Pending2xx {
  cseq: number;
  tx: InviteServerTransaction;
  res: SipResponse;
  interval: number;
  retransmit: TimerHandle | undefined;
  deadline: TimerHandle;
  onAck: () => void;
  /** Our 2xx carried the offer (re-INVITE without SDP): the ACK carries the answer. */
  answerInAck: boolean;
}

export abstract class SipCall extends TypedEmitter<CallEvents> implements DialogUser {
  abstract readonly direction: CallDirection;
  protected dialog: Dialog | undefined;
  /** Offer/answer bodies as strings; the UA never looks inside them. */
  localSdp: string | undefined;
  remoteSdp: string | undefined;
  protected endedFlag = false;
  private reinvitePending: 'out' | 'in' | undefined;
  private pending2xx: Pending2xx | undefined;
  private lastAck: { cseq: number; ack: SipRequest; route: SipRoute } | undefined;
  private timers = new Set<TimerHandle>();

  protected constructor(
    protected readonly core: UaCore,
    readonly callId: string,
    /** The transport the dialog was set up over: in-dialog requests prefer it (and its connection). */
    protected transport: SipTransport,
    protected connectionId: string | undefined,
  ) {
    super();
    this.onListenerError = (event, err) => core.logger.error({ event, err: String(err) }, 'sip call listener threw');
  }

  get ended(): boolean {
    return this.endedFlag;
  }

  get dialogKey(): string | undefined {
    return this.dialog?.key;
  }

  protected get ownsCallId(): boolean {
    return this.direction === 'outgoing';
  }

  protected setTimer(ms: number, fn: () => void): TimerHandle {
    const h = this.core.clock.setTimer(ms, () => {
      this.timers.delete(h);
      fn();
    });
    this.timers.add(h);
    return h;
  }

  /** Mark the call over exactly once: stop timers, unbind the dialog, emit 'ended'. */
  protected finish(info: CallEndInfo, emit = true): void {
    if (this.endedFlag) return;
    this.endedFlag = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    this.stop2xx();
    if (this.dialog) {
      if (this.dialog.state !== 'terminated') this.dialog.transition('terminated');
      this.core.unbindDialog(this.dialog.key, this);
    }
    if (emit) this.emit('ended', info);
  }

  // ---- sending inside the dialog -------------------------------------------------------------

  /**
   * The next hop of an in-dialog request (§12.2.1.1: first Route, else the remote target),
   * located per RFC 3263 (§4: also inside dialogs). Calls `send` synchronously when no DNS query
   * is needed (IP literal or cached name), so that the common case never waits on a microtask;
   * otherwise after the lookup. `onError` gets routing failures (never thrown).
   */
  protected withDialogRoute(dialog: Dialog, send: (route: SipRoute) => void, onError: (err: unknown) => void): void {
    let located: SipRoute[] | Promise<SipRoute[]>;
    try {
      located = this.core.locate(dialog.routing().nextHop, this.transport, this.connectionId);
    } catch (err) {
      onError(err);
      return;
    }
    if (Array.isArray(located)) send(located[0]!);
    else located.then((r) => send(r[0]!), onError);
  }

  /** §13.2.2.4: ACK for a 2xx, built like an in-dialog request with the INVITE's CSeq number. */
  protected ack2xx(res: SipResponse): void {
    const dialog = this.dialog;
    if (!dialog) return;
    const cseq = cseqNumber(res);
    if (cseq === undefined) return;
    if (this.lastAck && this.lastAck.cseq === cseq) {
      this.core.sendStateless(this.lastAck.ack, this.lastAck.route);
      return;
    }
    this.withDialogRoute(
      dialog,
      (route) => {
        if (this.lastAck && this.lastAck.cseq === cseq) return; // sent meanwhile (after a lookup)
        try {
          const ack = dialog.createRequest('ACK', { via: this.core.via(route.transport), cseq, userAgent: this.core.userAgentName });
          this.lastAck = { cseq, ack, route };
          this.core.sendStateless(ack, route);
        } catch (err) {
          this.core.logger.warn({ err: String(err) }, 'sip: ACK could not be sent');
        }
      },
      (err) => this.core.logger.warn({ err: String(err) }, 'sip: ACK has no route'),
    );
  }

  protected safeAck(res: SipResponse): void {
    try {
      this.ack2xx(res);
    } catch (err) {
      this.core.logger.warn({ err: String(err) }, 'sip: ACK could not be sent');
    }
  }

  /** A 2xx retransmission reaching the UA core outside its transaction (§13.2.2.4): ACK again. */
  onStray2xx(res: SipResponse): void {
    const cseq = cseqNumber(res);
    if (this.lastAck && cseq === this.lastAck.cseq) this.core.sendStateless(this.lastAck.ack, this.lastAck.route);
  }

  /** Hang up (§15.1.1). Resolves when the BYE transaction ends; 'ended' is emitted at once. */
  async bye(): Promise<void> {
    if (this.endedFlag || !this.dialog) return;
    const dialog = this.dialog;
    if (this.pending2xx) {
      // §15: the callee must not send BYE before the ACK (or Timer H-style timeout); wait for it.
      await new Promise<void>((resolve) => {
        const p = this.pending2xx!;
        const prev = p.onAck;
        p.onAck = () => {
          prev();
          resolve();
        };
      });
      if (this.endedFlag) return;
    }
    this.finish({ by: 'local' });
    await new Promise<void>((resolve) => {
      this.withDialogRoute(
        dialog,
        (route) => {
          try {
            const req = dialog.createRequest('BYE', { via: this.core.via(route.transport), userAgent: this.core.userAgentName });
            this.core.sendRequest(req, route, {
              onResponse: (r) => {
                if (r.status >= 200) resolve();
              },
              onTimeout: () => resolve(),
              onTransportError: () => resolve(),
              onTerminated: () => resolve(),
            });
          } catch (err) {
            this.core.logger.warn({ err: String(err) }, 'sip: BYE could not be sent');
            resolve();
          }
        },
        (err) => {
          this.core.logger.warn({ err: String(err) }, 'sip: BYE has no route');
          resolve();
        },
      );
    });
  }

  /**
   * Send a re-INVITE with a new offer (§14.1). A 491 (glare) is retried after the §14.1 random
   * delay, up to MAX_GLARE_RETRIES times; 481/408 end the call (§12.2.1.2); any other non-2xx
   * leaves the session as it was.
   */
  async reinvite(sdp: string): Promise<ReinviteResult> {
    if (this.endedFlag || !this.dialog || this.dialog.state !== 'confirmed') {
      throw new AcipError('SIP_NOT_CONFIRMED', 're-INVITE needs a confirmed dialog');
    }
    if (this.reinvitePending) throw new AcipError('SIP_REINVITE_PENDING', 'a re-INVITE is already in progress');
    for (let attempt = 0; ; attempt++) {
      this.reinvitePending = 'out';
      let result: ReinviteResult;
      try {
        result = await this.reinviteOnce(sdp);
      } finally {
        this.reinvitePending = undefined;
      }
      if (result.status !== 491 || attempt >= MAX_GLARE_RETRIES || this.endedFlag) return result;
      const delay = glareRetryDelayMs(this.ownsCallId);
      await new Promise<void>((resolve) => this.setTimer(delay, resolve));
      if (this.endedFlag) return result;
    }
  }

  private reinviteOnce(sdp: string): Promise<ReinviteResult> {
    const dialog = this.dialog;
    if (!dialog) return Promise.resolve({ status: 503, reason: 'no dialog' });
    return new Promise<ReinviteResult>((resolve) => {
      let done = false;
      const finish = (r: ReinviteResult) => {
        if (done) return;
        done = true;
        resolve(r);
      };
      this.withDialogRoute(
        dialog,
        (route) => {
          if (this.endedFlag) {
            finish({ status: 481, reason: 'Call ended' });
            return;
          }
          this.sendReinvite(dialog, route, sdp, finish, () => done);
        },
        (err) => finish({ status: 503, reason: `Service Unavailable (${err instanceof Error ? err.message : String(err)})` }),
      );
    });
  }

  private sendReinvite(dialog: Dialog, route: SipRoute, sdp: string, finish: (r: ReinviteResult) => void, isDone: () => boolean): void {
    let req: SipRequest;
    try {
      req = dialog.createRequest('INVITE', {
        via: this.core.via(route.transport),
        body: sdp,
        contentType: SDP,
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
            finish({ status: res.status, reason: res.reason, ...(answer !== undefined ? { sdp: answer } : {}) });
            return;
          }
          finish({ status: res.status, reason: res.reason });
          if (res.status === 481 || res.status === 408) this.finish({ by: 'remote', status: res.status, reason: res.reason });
        },
        onTimeout: () => {
          finish({ status: 408, reason: 'Request Timeout' });
          void this.bye();
        },
        onTransportError: () => finish({ status: 503, reason: 'Service Unavailable' }),
      });
    } catch (err) {
      finish({ status: 503, reason: String(err) });
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
    // Anything else that reached us in-dialog (OPTIONS is answered by the core).
    tx.respond(this.withServer(createResponse(req, 405, 'Method Not Allowed')));
  }

  protected onRemoteBye(): void {
    this.finish({ by: 'remote' });
  }

  protected withServer(res: SipResponse): SipResponse {
    res.headers.append('Server', this.core.userAgentName);
    return res;
  }

  private onReinvite(req: SipRequest, tx: InviteServerTransaction): void {
    if (this.reinvitePending === 'out') {
      // §14.2: our own re-INVITE is in progress → 491.
      this.core.respondInvite(tx, createResponse(req, 491, 'Request Pending'));
      return;
    }
    if (this.reinvitePending === 'in' || this.pending2xx) {
      // §14.2: an earlier INVITE has not been answered (or ACKed) yet → 500 with Retry-After 0–10 s.
      const retry = Math.floor(Math.random() * 11);
      this.core.respondInvite(tx, createResponse(req, 500, 'Server Internal Error', { headers: [['Retry-After', String(retry)]] }));
      return;
    }
    this.reinvitePending = 'in';
    this.dialog?.refreshTarget(req);
    let answered = false;
    const offer: ReinviteOffer = {
      offerSdp: bodyText(req),
      request: req,
      accept: (answerSdp: string) => {
        if (answered || this.endedFlag) return;
        answered = true;
        this.reinvitePending = undefined;
        const offered = bodyText(req);
        if (offered !== undefined) this.remoteSdp = offered;
        this.localSdp = answerSdp;
        // Without an offer in the re-INVITE, `answerSdp` is our offer and the ACK answers it.
        this.send2xx(tx, req, answerSdp, () => undefined, offered === undefined);
      },
      reject: (status, reason, headers) => {
        if (answered) return;
        answered = true;
        this.reinvitePending = undefined;
        // §14.2: a rejected re-INVITE leaves the session unchanged.
        this.core.respondInvite(tx, createResponse(req, status, reason, headers ? { headers } : {}));
      },
    };
    if (this.listenerCount('reinvite') === 0) {
      offer.reject(488, 'Not Acceptable Here', [['Warning', warningHeader(this.core.userAgentName, 399, 'No handler for re-INVITE')]]);
      return;
    }
    this.emit('reinvite', offer);
  }

  /**
   * Send a 2xx to an INVITE and keep retransmitting it (T1 doubling to T2) until the ACK comes
   * (§13.3.1.4). Over reliable transports only the 64·T1 ACK deadline is kept (deliberate: the 2xx
   * cannot be lost on a direct TCP connection). `onNoAck` runs when the deadline passes.
   */
  protected send2xx(tx: InviteServerTransaction, req: SipRequest, sdp: string | undefined, onNoAck: () => void, reinviteOfferInAnswer = false): void {
    const contact = this.core.contact(this.transport);
    const opts = {
      toTag: this.dialog?.localTag ?? '',
      headers: [['Contact', contact] as [string, string], ['Allow', ALLOW_HEADER] as [string, string]],
      ...(sdp !== undefined ? { body: Buffer.from(sdp, 'utf8'), contentType: SDP } : {}),
    };
    const res = createResponse(req, 200, 'OK', opts);
    this.core.respondInvite(tx, res);
    const cseq = cseqNumber(req) ?? 0;
    const t = this.core.timers;
    const p: Pending2xx = {
      cseq,
      tx,
      res,
      interval: t.t1,
      retransmit: undefined,
      deadline: this.setTimer(t.h, () => {
        if (this.pending2xx !== p) return;
        this.stop2xx();
        this.core.logger.warn({ callId: this.callId }, 'sip: no ACK for 2xx within 64*T1');
        onNoAck();
        p.onAck();
      }),
      onAck: () => undefined,
      answerInAck: reinviteOfferInAnswer,
    };
    this.stop2xx();
    this.pending2xx = p;
    const arm = () => {
      p.retransmit = this.setTimer(p.interval, () => {
        if (this.pending2xx !== p) return;
        this.core.respondInvite(tx, res);
        p.interval = Math.min(p.interval * 2, t.t2);
        arm();
      });
    };
    if (!tx.reliable) arm();
  }

  private stop2xx(): void {
    const p = this.pending2xx;
    if (!p) return;
    this.pending2xx = undefined;
    p.retransmit?.cancel();
    p.deadline.cancel();
  }

  /** The ACK for our 2xx (from the transaction in Accepted, or stray after it). */
  onAck(ack: SipRequest): void {
    const p = this.pending2xx;
    if (!p || cseqNumber(ack) !== p.cseq) return; // ACK retransmission or stray: absorbed
    this.stop2xx();
    const sdp = bodyText(ack);
    if (sdp !== undefined) this.remoteSdp = sdp;
    this.onAckedInternal();
    if (p.answerInAck) {
      if (sdp === undefined) this.core.logger.warn({ callId: this.callId }, 'sip: the ACK carried no answer to the offer in our 2xx (RFC 3264 §5)');
      this.emit('reinvite-answer', { sdp });
    }
    p.onAck();
  }

  /** Hook for the incoming call: first ACK confirms the dialog. */
  protected onAckedInternal(): void {}

  /** Close without signalling (UA shutdown). */
  abandon(): void {
    this.finish({ by: 'local', reason: 'user agent closed' });
  }
}
