/**
 * The dialog half every call shares (RFC 3261 §12–§15): its timers and end, routing in-dialog
 * requests, ACK for a 2xx as UAC (§13.2.2.4, re-ACKing retransmissions), BYE (§15.1.1), and as
 * UAS the 2xx retransmission until the ACK arrives (§13.3.1.4). Offers inside the dialog and the
 * session timer are `SipCall`'s (`call.ts`).
 */
import type { TimerHandle } from '../../util/clock.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import type { SipRequest, SipResponse } from '../grammar/message.js';
import { parseCSeq } from '../grammar/headers.js';
import { createResponse } from '../grammar/response.js';
import { tagOf } from '../transaction/message-fields.js';
import { formatUri, parseNameAddr } from '../grammar/uri.js';
import type { Dialog } from '../dialog/dialog.js';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.js';
import type { ServerTransaction } from '../transaction/transaction-layer.js';
import type { SipTransport } from '../transport/sip-transport.js';
import type { CallDirection, CallEndInfo, CallEvents } from './call-types.js';
import type { DialogUser, SipRoute, UaCore } from './ua-core.js';
import type { RouteOptions } from './ua-routing.js';
import { ACCEPTED_CONTENT_TYPES, ALLOW_HEADER } from './uas-policy.js';
import type { ReplaceableDialog } from './refer.js';

export const SDP = 'application/sdp';

/** A dialog as RFC 3891 names it: what `matchReplaces` compares, and what a Replaces header is built from. */
export interface DialogIdentity extends ReplaceableDialog {
  /** The peer's Contact URI (where in-dialog requests go, RFC 3261 §12.2.1.1). */
  remoteTarget: string;
  /** The peer's address (To of our INVITE, From of theirs), without tag. */
  remoteUri?: string;
}

export function bodyText(msg: SipRequest | SipResponse): string | undefined {
  return msg.body.length > 0 ? msg.body.toString('utf8') : undefined;
}

/**
 * The session description an ACK carries: its body when the Content-Type is one we accept (RFC
 * 3261 §8.2.3; an ACK cannot be refused with 415, so another body type counts as no answer).
 */
export function ackSdp(ack: SipRequest): string | undefined {
  const text = bodyText(ack);
  if (text === undefined) return undefined;
  const type = (ack.headers.get('Content-Type') ?? SDP).split(';')[0]?.trim().toLowerCase() ?? '';
  return (ACCEPTED_CONTENT_TYPES as readonly string[]).includes(type) ? text : undefined;
}

/**
 * Which INVITE came without an offer, so that our 2xx carries the offer and the ACK the answer
 * (RFC 3261 §13.2.1, RFC 3264 §4): the one that set up the call, or a re-INVITE (RFC 3264 §8:
 * the peer asks us to offer the session again).
 */
export type OfferInAnswer = 'initial' | 'reinvite';

/** The event that hands the ACK's answer up, per kind of offerless INVITE. */
const ANSWER_EVENT = { initial: 'ack-answer', reinvite: 'reinvite-answer' } as const satisfies Record<OfferInAnswer, keyof CallEvents>;

export function cseqNumber(msg: SipRequest | SipResponse): number | undefined {
  const v = msg.headers.get('CSeq');
  if (v === undefined) return undefined;
  try {
    return parseCSeq(v).seq;
  } catch {
    return undefined;
  }
}

export interface Pending2xx {
  cseq: number;
  tx: InviteServerTransaction;
  res: SipResponse;
  interval: number;
  retransmit: TimerHandle | undefined;
  deadline: TimerHandle;
  onAck: () => void;
  /** Our 2xx carried the offer (the INVITE had none): the ACK carries the answer. */
  answerInAck: OfferInAnswer | undefined;
}

/** Options of a 2xx to an INVITE (`send2xx`). */
export interface TwoXxOptions {
  /** Our 2xx carries an offer (the INVITE or re-INVITE had none); the ACK answers it. */
  offerInAnswer?: OfferInAnswer | undefined;
  /** Extra headers of the 2xx (the session timer's, RFC 4028 §9). */
  headers?: [string, string][];
}

export abstract class DialogCall extends TypedEmitter<CallEvents> implements DialogUser {
  abstract readonly direction: CallDirection;
  protected dialog: Dialog | undefined;
  /** Offer/answer bodies as strings; the UA never looks inside them. */
  localSdp: string | undefined;
  remoteSdp: string | undefined;
  protected endedFlag = false;
  /** Our 2xx to an INVITE, retransmitted until its ACK (§13.3.1.4). */
  protected pending2xx: Pending2xx | undefined;
  private lastAck: { cseq: number; ack: SipRequest; route: SipRoute } | undefined;
  private timers = new Set<TimerHandle>();
  /** The caller's routing choices (TLS verification), kept for every in-dialog request. */
  protected routeOptions: RouteOptions = {};
  /** The dialog was set up with a sips: Request-URI: our Contact is sips: too (RFC 3261 §12.1.1, §12.1.2). */
  protected secure = false;

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

  abstract onInDialogRequest(req: SipRequest, tx: ServerTransaction): void;

  /** Stop what the subclass runs (its timers are cancelled anyway); called once from `finish`. */
  protected onFinish(): void {}

  get ended(): boolean {
    return this.endedFlag;
  }

  get dialogKey(): string | undefined {
    return this.dialog?.key;
  }

  /**
   * Who this call's dialog is, for a Replaces header naming it (RFC 3891 §6.1) or matching one
   * (§3): Call-ID, our tag, the peer's tag, its phase, whether we sent the INVITE, and the peer's
   * URI and remote target. Undefined while there is no dialog (an INVITE we sent, unanswered).
   */
  get dialogIdentity(): DialogIdentity | undefined {
    const d = this.dialog;
    if (!d) return undefined;
    return {
      callId: d.callId,
      localTag: d.localTag,
      remoteTag: d.remoteTag,
      phase: this.endedFlag ? 'terminated' : d.state,
      locallyInitiated: this.direction === 'outgoing',
      remoteTarget: d.remoteTarget,
      ...(this.remoteUri !== undefined ? { remoteUri: this.remoteUri } : {}),
    };
  }

  /** Our Contact for this dialog's requests and responses. */
  protected ownContact(): string {
    return this.core.contact(this.transport, this.secure);
  }

  protected get ownsCallId(): boolean {
    return this.direction === 'outgoing';
  }

  protected setTimer(ms: number, fn: () => void): TimerHandle {
    const inner = this.core.clock.setTimer(ms, () => {
      this.timers.delete(h);
      fn();
    });
    // Cancelling forgets the handle too: a long call re-arms its session timer many times.
    const h: TimerHandle = {
      cancel: () => {
        inner.cancel();
        this.timers.delete(h);
      },
    };
    this.timers.add(h);
    return h;
  }

  /** Mark the call over exactly once: stop timers, unbind the dialog, emit 'ended'. */
  protected finish(info: CallEndInfo, emit = true): void {
    if (this.endedFlag) return;
    this.endedFlag = true;
    this.onFinish();
    for (const t of [...this.timers]) t.cancel();
    this.timers.clear();
    this.stop2xx();
    if (this.dialog) {
      if (this.dialog.state !== 'terminated') this.dialog.transition('terminated');
      this.core.unbindDialog(this.dialog.key, this);
    }
    if (emit) this.emit('ended', info);
  }

  // ---- sending inside the dialog -------------------------------------------------------------

  /** The far end's URI as the dialog names it (To of our INVITE, From of theirs), without tag; undefined before the dialog exists. */
  get remoteUri(): string | undefined {
    const d = this.dialog;
    if (!d) return undefined;
    try {
      const na = parseNameAddr(d.remoteHeader, 'To');
      return formatUri({ ...na.uri, params: new Map(), headers: new Map() });
    } catch {
      return undefined;
    }
  }

  /**
   * Send a non-INVITE request that needs nothing of the call but the dialog (MESSAGE, RFC 3428
   * §4: in-dialog messages take the dialog's route set, target and next CSeq). Resolves with the
   * final status (408 on timeout, 503 when it could not be sent, 481 when there is no dialog).
   */
  sendInDialog(method: string, o: { body?: Buffer | string; contentType?: string; headers?: [string, string][] } = {}): Promise<{ status: number; reason: string }> {
    const dialog = this.dialog;
    if (this.endedFlag || !dialog || dialog.state === 'terminated') return Promise.resolve({ status: 481, reason: 'Call/Transaction Does Not Exist' });
    return new Promise((resolve) => {
      this.withDialogRoute(
        dialog,
        (route) => {
          try {
            const req = dialog.createRequest(method, {
              via: this.core.via(route.transport),
              userAgent: this.core.userAgentName,
              ...(o.body !== undefined ? { body: o.body } : {}),
              ...(o.contentType !== undefined ? { contentType: o.contentType } : {}),
              ...(o.headers ? { headers: o.headers } : {}),
            });
            this.core.sendRequest(req, route, {
              onResponse: (res) => {
                if (res.status >= 200) resolve({ status: res.status, reason: res.reason });
              },
              onTimeout: () => resolve({ status: 408, reason: 'Request Timeout' }),
              onTransportError: () => resolve({ status: 503, reason: 'Service Unavailable (transport error)' }),
            });
          } catch (err) {
            resolve({ status: 503, reason: `Service Unavailable (${err instanceof Error ? err.message : String(err)})` });
          }
        },
        (err) => resolve({ status: 503, reason: `Service Unavailable (${err instanceof Error ? err.message : String(err)})` }),
      );
    });
  }


  /**
   * The next hop of an in-dialog request (§12.2.1.1: first Route, else the remote target),
   * located per RFC 3263 (§4: also inside dialogs). Calls `send` synchronously when no DNS query
   * is needed (IP literal or cached name), so that the common case never waits on a microtask;
   * otherwise after the lookup. `onError` gets routing failures (never thrown).
   */
  protected withDialogRoute(dialog: Dialog, send: (route: SipRoute) => void, onError: (err: unknown) => void): void {
    let located: SipRoute[] | Promise<SipRoute[]>;
    try {
      located = this.core.locate(dialog.routing().nextHop, this.transport, this.connectionId, this.routeOptions);
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

  /**
   * Hang up (§15.1.1). Resolves when the BYE transaction ends; 'ended' is emitted at once, with
   * `reason` when one is given (e.g. "replaced by …" when an RFC 3891 Replaces took the call over).
   */
  async bye(reason?: string): Promise<void> {
    return this.hangUp({ by: 'local', ...(reason !== undefined ? { reason } : {}) });
  }

  /** Send BYE and end the call with `info` (the session timer says why, RFC 4028 §10). */
  protected async hangUp(info: CallEndInfo): Promise<void> {
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
    this.finish(info);
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

  protected onRemoteBye(): void {
    this.finish({ by: 'remote' });
  }

  protected withServer(res: SipResponse): SipResponse {
    res.headers.append('Server', this.core.userAgentName);
    return res;
  }

  /**
   * Send a 2xx to an INVITE and keep retransmitting it (T1 doubling to T2) until the ACK comes
   * (§13.3.1.4). Over reliable transports only the 64·T1 ACK deadline is kept (deliberate: the 2xx
   * cannot be lost on a direct TCP connection). `onNoAck` runs when the deadline passes.
   */
  protected send2xx(tx: InviteServerTransaction, req: SipRequest, sdp: string | undefined, onNoAck: () => void, o: TwoXxOptions = {}): void {
    const contact = this.ownContact();
    const opts = {
      toTag: this.dialog?.localTag ?? '',
      headers: [
        ...recordRouteOf(req),
        ['Contact', contact] as [string, string],
        ['Allow', ALLOW_HEADER] as [string, string],
        ...(o.headers ?? []),
      ],
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
      answerInAck: o.offerInAnswer,
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

  protected stop2xx(): void {
    const p = this.pending2xx;
    if (!p) return;
    this.pending2xx = undefined;
    p.retransmit?.cancel();
    p.deadline.cancel();
  }

  /**
   * The ACK for our 2xx (from the transaction in Accepted, or stray after it). When our 2xx carried
   * the offer, the ACK carries the answer (RFC 3261 §13.2.2.4: it MUST) and it goes up with the
   * event of that INVITE's kind; `sdp` undefined when the ACK has none (a protocol error the upper
   * layer ends with BYE). Any other ACK body is neither offer nor answer and is ignored.
   */
  onAck(ack: SipRequest): void {
    const p = this.pending2xx;
    if (!p || cseqNumber(ack) !== p.cseq) return; // ACK retransmission or stray: absorbed
    this.stop2xx();
    const sdp = p.answerInAck ? ackSdp(ack) : undefined;
    if (sdp !== undefined) this.remoteSdp = sdp;
    this.onAckedInternal();
    if (p.answerInAck && !this.endedFlag) {
      if (sdp === undefined) this.core.logger.warn({ callId: this.callId }, 'sip: the ACK carried no answer to the offer in our 2xx (RFC 3264 §5)');
      this.emit(ANSWER_EVENT[p.answerInAck], { sdp });
    }
    p.onAck();
  }

  /**
   * §13.3.1.4: no ACK for our 2xx within 64·T1 — "the session SHOULD be terminated", with BYE.
   * The status and reason say why to whoever records the end.
   */
  protected endForNoAck(): void {
    void this.hangUp({ by: 'local', status: 408, reason: 'no ACK for our 2xx within 64·T1' });
  }

  /** Hook for the incoming call: first ACK confirms the dialog. */
  protected onAckedInternal(): void {}

  /** Close without signalling (UA shutdown). */
  abandon(): void {
    this.finish({ by: 'local', reason: 'user agent closed' });
  }
}

/**
 * §12.1.1: a UAS copies every Record-Route of a dialog-creating request into its responses, in order, so
 * the caller's route set passes through the proxies that asked to stay in the path. In-dialog requests
 * (a To tag) create nothing, and a re-INVITE's Record-Route is not the route set.
 */
export function recordRouteOf(req: SipRequest): [string, string][] {
  if (tagOf(req.headers.get('To')) !== undefined) return [];
  return req.headers.getAll('Record-Route').map((v) => ['Record-Route', v]);
}
