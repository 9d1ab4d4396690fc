/**
 * An INVITE we sent (UAC, RFC 3261 §13.2): provisional responses → 'progress'; the 2xx is ACKed
 * end to end by us (§13.2.2.4) → 'answered'; 401/407 → one retry with digest credentials
 * (§22.2); 422 → one retry with the larger Min-SE (RFC 4028 §7.4); `cancel()` (§9.1) → 'failed' 487.
 * The 2xx starts the session timer (RFC 4028 §7.2).
 *
 * Targets come from RFC 3263: while DNS is asked the call is 'resolving'; a timeout, a transport
 * error or a 503 moves the INVITE on to the next target (§4.3: the same request with a new
 * branch, so a new transaction), until the list is exhausted.
 */
import { AcipError } from '../../util/errors.js';
import type { SipTransport } from '../transport/sip-transport.js';
import { SipHeaders, type SipRequest, type SipResponse } from '../grammar/message.js';
import { parseCSeq } from '../grammar/headers.js';
import { Dialog } from '../dialog/dialog.js';
import type { ClientTransaction } from '../transaction/transaction-layer.js';
import { SipCall } from './call.js';
import { DigestClient, type DigestCredentials } from './digest-client.js';
import { isSipTransportError } from '../transport/transport-error.js';
import { routeFailure } from './route-failure.js';
import { PrackTracker, type ProvisionalDecision } from './prack-tracker.js';
import { formatRAck, parseRSeq, type RAck } from '../grammar/rel-headers.js';
import { tryHeader } from '../grammar/header-result.js';
import { cseqOf, tagOf } from '../transaction/message-fields.js';
import { hasOptionTag } from './uas-policy.js';
import type { SipRoute, UaCore } from './ua-core.js';
import type { RouteOptions } from './ua-routing.js';

/**
 * The reason of a 503 for a transport failure: the typed code and its reason when the transport
 * says why (a certificate that failed verification: `SIP_TLS_VERIFY_FAILED: …`), so that the
 * person dialling sees it.
 */
export function transportFailureReason(err: unknown): string {
  if (isSipTransportError(err)) return `Service Unavailable (${err.code}: ${err.message})`;
  return 'Service Unavailable (transport error)';
}

/** Early dialogs (forks) whose first SDP an outgoing call remembers. */
const MAX_EARLY_DIALOGS = 16;

export type OutgoingCallState = 'resolving' | 'calling' | 'proceeding' | 'answered' | 'ended';

export class OutgoingCall extends SipCall {
  readonly direction = 'outgoing' as const;
  private stateValue: OutgoingCallState = 'calling';
  private invite: SipRequest;
  private route: SipRoute | undefined;
  /** RFC 3263 targets in order, and the one in use. */
  private targets: SipRoute[] = [];
  private targetIndex = 0;
  private tx: ClientTransaction | undefined;
  private gotProvisional = false;
  private cancelWanted = false;
  private cancelSent = false;
  private readonly digest: DigestClient | undefined;
  private authRetried = false;
  private retried422 = false;
  /** RFC 3262 UAC state of the current INVITE: which reliable 1xx were PRACKed, in which early dialogs. */
  private prack: { invite: SipRequest; tracker: PrackTracker; dialogs: Map<string, Dialog> } | undefined;
  /** The first SDP of each early dialog of the current INVITE, by To tag (RFC 3262 §5, RFC 3960 §3). */
  private readonly earlySdp = new Map<string, string>();

  /**
   * `invite` was built for `transport` (its Via and Contact); `start` or `startWhenResolved`
   * gives the targets.
   */
  constructor(
    core: UaCore,
    invite: SipRequest,
    transport: SipTransport,
    private localContact: string,
    auth: DigestCredentials | undefined,
    routeOptions: RouteOptions = {},
  ) {
    super(core, invite.headers.get('Call-ID') ?? '', transport, undefined);
    this.routeOptions = routeOptions;
    this.secure = /^sips:/i.test(invite.uri);
    this.invite = invite;
    this.localSdp = invite.body.length > 0 ? invite.body.toString('utf8') : undefined;
    this.digest = auth ? new DigestClient(auth) : undefined;
  }

  get state(): OutgoingCallState {
    return this.endedFlag ? 'ended' : this.stateValue;
  }

  /** The INVITE as last sent (after an auth retry, the authorised one). */
  get request(): SipRequest {
    return this.invite;
  }

  /** The target in use (undefined while resolving). */
  get destination(): SipRoute | undefined {
    return this.route;
  }

  /** Send the INVITE to the first of `routes` (never empty). Called once by the UA. */
  start(routes: SipRoute[]): void {
    if (this.endedFlag) return;
    this.stateValue = 'calling';
    this.targets = routes;
    this.targetIndex = 0;
    this.useRoute(routes[0]!, false);
    this.sendInvite();
  }

  /** Wait for RFC 3263 resolution, then start; a failed lookup fails the call (404/503). */
  startWhenResolved(routes: Promise<SipRoute[]>): void {
    this.stateValue = 'resolving';
    routes.then(
      (r) => {
        if (this.endedFlag) return;
        if (this.cancelWanted) {
          this.fail(487, 'Request Terminated');
          return;
        }
        this.start(r);
      },
      (err: unknown) => {
        const f = routeFailure(err);
        this.core.logger.warn({ target: this.invite.uri, err: String(err) }, 'sip: INVITE target could not be resolved');
        this.fail(f.status, f.reason);
      },
    );
  }

  /**
   * Aim the INVITE at `route`. A different transport gets a new Via and Contact; a new target
   * gets a new branch (RFC 3263 §4.3: "identical to the previous, but has a different value of
   * the Via branch ID").
   */
  private useRoute(route: SipRoute, freshBranch: boolean): void {
    const transportChanged = route.transport !== this.transport;
    this.route = route;
    this.transport = route.transport;
    this.connectionId = route.dest.connectionId;
    if (!transportChanged && !freshBranch) return;
    if (transportChanged) this.localContact = this.core.contact(route.transport, this.secure);
    const h = new SipHeaders();
    for (const e of this.invite.headers.entries()) {
      if (e.name === 'Via') continue;
      h.append(e.name, e.name === 'Contact' && transportChanged ? this.localContact : e.value);
    }
    h.prepend('Via', this.core.via(route.transport));
    this.invite = { ...this.invite, headers: h };
  }

  private sendInvite(): void {
    const route = this.route!;
    try {
      this.tx = this.core.sendRequest(this.invite, route, {
        onResponse: (res) => this.onResponse(res),
        onTimeout: () => this.nextTargetOrFail(408, 'Request Timeout'),
        onTransportError: (err) => this.nextTargetOrFail(503, transportFailureReason(err)),
      });
    } catch (err) {
      this.core.logger.warn({ err: String(err) }, 'sip: INVITE could not be sent');
      this.setTimer(0, () => this.nextTargetOrFail(503, 'Service Unavailable'));
    }
  }

  /** RFC 3263 §4.3: on timeout, transport error or 503, try the next target; fail after the last. */
  private nextTargetOrFail(status: number, reason: string): void {
    if (this.endedFlag || this.stateValue === 'answered') return;
    if (!this.cancelWanted && this.targetIndex + 1 < this.targets.length) {
      this.targetIndex += 1;
      const next = this.targets[this.targetIndex]!;
      this.core.logger.info(
        { callId: this.callId, status, next: `${next.transport.protocol}:${next.dest.address}:${next.dest.port}` },
        'sip: INVITE target failed, trying the next one (RFC 3263 §4.3)',
      );
      this.gotProvisional = false;
      this.forgetEarlyDialogs();
      this.stateValue = 'calling';
      this.useRoute(next, true);
      this.sendInvite();
      return;
    }
    this.fail(status, reason);
  }

  private fail(status: number, reason: string): void {
    if (this.endedFlag || this.stateValue === 'answered') return;
    this.stateValue = 'ended';
    this.finish({ by: 'remote', status, reason }, false);
    this.emit('failed', { status, reason });
  }

  private onResponse(res: SipResponse): void {
    if (res.status < 200) {
      if (this.endedFlag) return;
      this.stateValue = 'proceeding';
      this.gotProvisional = true;
      if (this.cancelWanted && !this.cancelSent) this.sendCancel();
      if (res.status > 100) {
        // RFC 3262 §4: a reliable 1xx is PRACKed once, in order; a retransmission or one out of order is dropped.
        const decision = this.provisional(res);
        if (decision.action === 'discard') return;
        if (decision.action === 'prack') this.sendPrack(res, decision.rack);
        const sdp = res.body.length > 0 ? res.body.toString('utf8') : undefined;
        const toTag = tagOf(res.headers.get('To'));
        if (sdp !== undefined) this.noteEarlySdp(toTag, sdp);
        this.emit('progress', { status: res.status, reason: res.reason, ...(sdp !== undefined ? { sdp } : {}), ...(toTag !== undefined ? { toTag } : {}) });
      }
      return;
    }
    this.prack?.tracker.onFinal();
    if (res.status < 300) {
      this.on2xx(res);
      return;
    }
    if (res.status === 503) {
      this.nextTargetOrFail(res.status, res.reason);
      return;
    }
    if (res.status === 422 && !this.retried422 && !this.cancelWanted && this.sessionTimer.adopt422(res)) {
      this.retried422 = true;
      this.resend(this.sessionTimer.requestHeaders());
      return;
    }
    if ((res.status === 401 || res.status === 407) && this.digest && !this.authRetried && !this.cancelWanted) {
      this.authRetried = true;
      if (this.digest.onChallenge(res) === 'retry') {
        this.retryWithAuth();
        return;
      }
    }
    this.fail(res.status, res.reason);
  }

  /** §22.2: the same INVITE with credentials, a new branch and CSeq + 1 (§8.1.3.5). */
  private retryWithAuth(): void {
    this.resend([]);
  }

  /**
   * The same INVITE again with a new branch and CSeq + 1 (§8.1.3.5), credentials when we have them
   * (§22.2), and `replace` instead of the headers of those names (RFC 4028 §7.4 after a 422).
   */
  private resend(replace: [string, string][]): void {
    const old = this.invite;
    const replaced = new Set(replace.map(([n]) => n.toLowerCase()));
    const h = new SipHeaders();
    for (const e of old.headers.entries()) {
      if (e.name === 'Via' || e.name === 'Authorization' || e.name === 'Proxy-Authorization' || replaced.has(e.name.toLowerCase())) continue;
      if (e.name === 'CSeq') {
        let seq = 1;
        try {
          seq = parseCSeq(e.value).seq + 1;
        } catch {
          // our own CSeq: always valid
        }
        h.append('CSeq', `${seq} INVITE`);
        continue;
      }
      h.append(e.name, e.value);
    }
    // A replaced Supported keeps naming 100rel (RFC 3262 §4), as the first INVITE did.
    for (const [n, v] of replace) h.append(n, n.toLowerCase() === 'supported' && !/\b100rel\b/i.test(v) ? `${v}, 100rel` : v);
    h.prepend('Via', this.core.via(this.route!.transport));
    this.invite = { ...old, headers: h };
    if (this.authRetried) this.digest?.authorize(this.invite);
    this.gotProvisional = false;
    this.forgetEarlyDialogs();
    this.stateValue = 'calling';
    this.sendInvite();
  }

  /**
   * Remember the first SDP of an early dialog (later ones of the same dialog repeat or revise a
   * preview, and are not kept). The first of all is what `remoteSdp` shows while ringing. At most
   * MAX_EARLY_DIALOGS forks are remembered: a proxy forking wider gains nothing more from us.
   */
  private noteEarlySdp(toTag: string | undefined, sdp: string): void {
    if (this.remoteSdp === undefined) this.remoteSdp = sdp;
    const key = toTag ?? '';
    if (this.earlySdp.has(key) || this.earlySdp.size >= MAX_EARLY_DIALOGS) return;
    this.earlySdp.set(key, sdp);
  }

  /** A new INVITE (next target, retry): no early dialog of the old one carries on. */
  private forgetEarlyDialogs(): void {
    this.earlySdp.clear();
    this.remoteSdp = undefined;
  }

  /** RFC 3262 §4: what to do with a provisional response (the tracker follows the INVITE's CSeq across retries). */
  private provisional(res: SipResponse): ProvisionalDecision {
    const cseq = cseqOf(this.invite);
    if (!cseq) return { action: 'process' };
    if (!this.prack || this.prack.invite !== this.invite) this.prack = { invite: this.invite, tracker: new PrackTracker(cseq, this.core.clock), dialogs: new Map() };
    const rseqValue = res.headers.get('RSeq');
    const rseq = rseqValue === undefined ? undefined : tryHeader(parseRSeq, rseqValue);
    return this.prack.tracker.onProvisional({
      status: res.status,
      toTag: tagOf(res.headers.get('To')),
      rseq: rseq?.ok ? rseq.value : undefined,
      requires100rel: hasOptionTag(res, 'Require', '100rel'),
    });
  }

  /** RFC 3262 §7.2: PRACK in the early dialog of `res` (made on first use), RAck naming it. */
  private sendPrack(res: SipResponse, rack: RAck): void {
    const p = this.prack!;
    const tag = tagOf(res.headers.get('To'))!;
    let dialog = p.dialogs.get(tag);
    if (!dialog) {
      dialog = Dialog.asUac(this.invite, res, this.localContact, 'early');
      p.dialogs.set(tag, dialog);
    }
    const d = dialog;
    this.withDialogRoute(
      d,
      (route) => {
        try {
          const req = d.createRequest('PRACK', { via: this.core.via(route.transport), userAgent: this.core.userAgentName, headers: [['RAck', formatRAck(rack)]] });
          this.core.sendRequest(req, route, { onResponse: () => {}, onTimeout: () => {}, onTransportError: () => {} });
        } catch (err) {
          this.core.logger.warn({ err: String(err) }, 'sip: PRACK could not be sent');
        }
      },
      (err) => this.core.logger.warn({ err: String(err) }, 'sip: PRACK has no route'),
    );
  }

  private on2xx(res: SipResponse): void {
    if (this.stateValue === 'answered') {
      // Retransmitted 2xx (still in the transaction's Accepted state): ACK again.
      this.onStray2xx(res);
      return;
    }
    if (this.endedFlag) {
      // A 2xx after we gave up (e.g. crossing our CANCEL after the 64·T1 guard): ACK and BYE it.
      this.dialog = Dialog.asUac(this.invite, res, this.localContact, 'confirmed');
      this.safeAck(res);
      this.byeDetached();
      return;
    }
    this.stateValue = 'answered';
    // The early dialog a PRACK went out in carries on (its CSeq counts on), confirmed by the 2xx.
    const early = this.prack?.dialogs.get(tagOf(res.headers.get('To')) ?? '');
    if (early) early.confirmFromResponse(res);
    this.dialog = early ?? Dialog.asUac(this.invite, res, this.localContact, 'confirmed');
    this.core.bindDialog(this.dialog.key, this);
    const sdp = res.body.length > 0 ? res.body.toString('utf8') : undefined;
    const toTag = tagOf(res.headers.get('To'));
    const earlySdp = this.earlySdp.get(toTag ?? '');
    this.earlySdp.clear();
    // RFC 3262 §5: an answer sent reliably in a 1xx is not repeated, so the 2xx may carry no body.
    this.remoteSdp = sdp ?? earlySdp;
    this.safeAck(res);
    this.sessionTimer.answered(res);
    this.emit('answered', { sdp, ...(toTag !== undefined ? { toTag } : {}), ...(earlySdp !== undefined ? { earlySdp } : {}) });
    if (this.cancelWanted) {
      // §9.1: the 2xx crossed our CANCEL; the call is up, so hang it up.
      void this.bye();
    }
  }

  /** BYE for a dialog we never reported (late 2xx after failure). */
  private byeDetached(): void {
    const d = this.dialog;
    if (!d) return;
    const send = (route: SipRoute) => {
      try {
        const bye = d.createRequest('BYE', { via: this.core.via(route.transport), userAgent: this.core.userAgentName });
        this.core.sendRequest(bye, route, { onResponse: () => {}, onTimeout: () => {}, onTransportError: () => {} });
      } catch (err) {
        this.core.logger.warn({ err: String(err) }, 'sip: BYE for late 2xx failed');
      }
    };
    this.withDialogRoute(d, send, (err) => this.core.logger.warn({ err: String(err) }, 'sip: BYE for late 2xx has no route'));
  }

  /**
   * Give up the call attempt (§9.1). A CANCEL is only sent after a provisional response; before
   * that it is deferred. If no final response follows within 64·T1, the attempt fails with 487.
   */
  cancel(): void {
    if (this.endedFlag || this.stateValue === 'answered' || this.cancelWanted) return;
    this.cancelWanted = true;
    if (this.stateValue === 'resolving') {
      // Nothing sent yet: fail on the next tick (listeners never run inside cancel()).
      this.setTimer(0, () => this.fail(487, 'Request Terminated'));
      return;
    }
    if (this.gotProvisional) this.sendCancel();
    this.setTimer(this.core.timers.b, () => {
      this.tx?.terminate();
      this.fail(487, 'Request Terminated');
    });
  }

  /** §9.1: CANCEL with the INVITE's Request-URI, Call-ID, To, From, CSeq number, top Via and Route. */
  private sendCancel(): void {
    this.cancelSent = true;
    const inv = this.invite;
    const h = new SipHeaders();
    const via = inv.headers.get('Via');
    if (via !== undefined) h.append('Via', via);
    for (const r of inv.headers.getAll('Route')) h.append('Route', r);
    h.append('Max-Forwards', '70');
    for (const n of ['From', 'To', 'Call-ID']) {
      const v = inv.headers.get(n);
      if (v !== undefined) h.append(n, v);
    }
    let seq = 1;
    try {
      seq = parseCSeq(inv.headers.get('CSeq') ?? '').seq;
    } catch {
      // our own CSeq
    }
    h.append('CSeq', `${seq} CANCEL`);
    h.append('User-Agent', this.core.userAgentName);
    h.append('Content-Length', '0');
    const cancel: SipRequest = { kind: 'request', method: 'CANCEL', uri: inv.uri, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
    try {
      this.core.sendRequest(cancel, this.route!, { onResponse: () => {}, onTimeout: () => {}, onTransportError: () => {} });
    } catch (err) {
      this.core.logger.warn({ err: String(err) }, 'sip: CANCEL could not be sent');
    }
  }

  override async bye(): Promise<void> {
    if (this.stateValue !== 'answered') {
      if (this.endedFlag) return;
      throw new AcipError('SIP_NOT_ANSWERED', 'bye() before the call was answered: use cancel()');
    }
    return super.bye();
  }
}
