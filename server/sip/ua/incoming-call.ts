/**
 * An INVITE we received (UAS, RFC 3261 §13.3): the upper layer rings, accepts with an answer
 * (or, when the INVITE carried no offer, with our offer, answered in the ACK: §13.2.1), or
 * rejects it. The 2xx is retransmitted until the ACK (§13.3.1.4) and carries the session
 * timer (RFC 4028 §9); CANCEL ends it with 487 (§9.2). A caller that requires or supports 100rel
 * gets its 180 reliably and PRACKs it (RFC 3262 §3).
 */
import type { SipRequest, SipResponse } from '../grammar/message.js';
import { createResponse } from '../grammar/response.js';
import { formatUri, parseNameAddr } from '../grammar/uri.js';
import { Dialog } from '../dialog/dialog.js';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.js';
import type { InboundInfo, SipAddress } from '../transport/sip-transport.js';
import { SipCall } from './call.js';
import { recordRouteOf } from './dialog-call.js';
import type { UaCore } from './ua-core.js';
import { SUPPORTED_HEADER, hasOptionTag, warningHeader } from './uas-policy.js';
import { parseReplaces, type Replaces } from '../grammar/refer-headers.js';
import { ReliableProvisionalSender } from './reliable-provisional.js';
import { formatRSeq, parseRAck } from '../grammar/rel-headers.js';
import { tryRequiredHeader } from '../grammar/header-result.js';
import { cseqOf } from '../transaction/message-fields.js';
import type { ServerTransaction } from '../transaction/transaction-layer.js';

export type IncomingCallState = 'offered' | 'ringing' | 'accepted' | 'confirmed' | 'ended';

export interface RemoteIdentity {
  /** The From URI as text, e.g. `sip:studio@192.0.2.7`. */
  uri: string;
  displayName?: string;
}

export class IncomingCall extends SipCall {
  readonly direction = 'incoming' as const;
  readonly request: SipRequest;
  readonly from: RemoteIdentity;
  /** The Request-URI we were called at. */
  readonly to: string;
  readonly remoteAddress: SipAddress;
  readonly offerSdp: string | undefined;
  /** The digest user name the INVITE authenticated as (RFC 3261 §22.4); undefined when none was required. */
  readonly authenticatedUser: string | undefined;
  /**
   * RFC 3891: the dialog this call is to take over (attended transfer). The core answered a
   * Replaces naming no dialog of ours, or one it may not hand over, before the call was offered.
   */
  readonly replaces: Replaces | undefined;
  private stateValue: IncomingCallState = 'offered';
  private readonly localTag: string;

  constructor(
    core: UaCore,
    private readonly tx: InviteServerTransaction,
    info: InboundInfo,
    localTag: string,
    authenticatedUser?: string,
  ) {
    super(core, tx.request.headers.get('Call-ID') ?? '', info.transport, info.connectionId);
    this.authenticatedUser = authenticatedUser;
    this.request = tx.request;
    this.localTag = localTag;
    this.remoteAddress = info.remote;
    this.to = tx.request.uri;
    this.offerSdp = tx.request.body.length > 0 ? tx.request.body.toString('utf8') : undefined;
    this.remoteSdp = this.offerSdp;
    let from: RemoteIdentity = { uri: '' };
    try {
      const na = parseNameAddr(tx.request.headers.get('From') ?? '', 'From');
      from = { uri: formatUri(na.uri), ...(na.displayName !== undefined ? { displayName: na.displayName } : {}) };
    } catch {
      // From was validated before we got here; keep the empty identity if it still fails.
    }
    this.from = from;
    this.replaces = replacesOf(tx.request);
    // The dialog exists from the first response with our tag (§12.1.1); build it now as early.
    // RFC 3261 §12.1.1: a sips: Request-URI makes our Contact sips: (RFC 5630 §3.1.3).
    this.secure = /^sips:/i.test(tx.request.uri);
    this.dialog = Dialog.asUas(tx.request, localTag, this.ownContact(), 'early');
    core.bindDialog(this.dialog.key, this);
    tx.user = {
      onAck: (ack) => this.onAck(ack),
      onTransportError: () => this.finish({ by: 'local', status: 503, reason: 'transport error' }),
    };
    // RFC 3262 §3: a caller that requires or supports 100rel gets its 180 reliably.
    const cseq = cseqOf(tx.request);
    if (cseq && (hasOptionTag(tx.request, 'Require', '100rel') || hasOptionTag(tx.request, 'Supported', '100rel'))) {
      this.reliable = new ReliableProvisionalSender<SipResponse>({
        clock: core.clock,
        t1: core.timers.t1,
        inviteCSeq: cseq,
        transmit: (res) => this.core.respondInvite(this.tx, res),
        // §3: no PRACK within 64·T1 → reject the INVITE with a 5xx.
        onGiveUp: () => this.reject(504, 'Server Time-out', [['Warning', warningHeader(core.userAgentName, 399, 'no PRACK for the reliable 180')]]),
      });
    }
  }

  /**
   * The INVITE's server transaction outlives the call in Accepted (RFC 6026 §7.1: Timer L, 64·T1) to
   * absorb retransmissions; an ended call needs none of its reports, so the transaction lets go of this
   * call (and with it the link and its media statistics) instead of keeping them for 32 s. Under a call
   * flood that is what bounds memory.
   */
  protected override onFinish(): void {
    super.onFinish();
    this.tx.user = {};
  }

  /** RFC 3262: our reliable provisionals, when the caller asked for them. */
  private readonly reliable: ReliableProvisionalSender<SipResponse> | undefined;

  get state(): IncomingCallState {
    return this.endedFlag ? 'ended' : this.stateValue;
  }

  /** Send 180 Ringing (with our To tag, so the caller sees an early dialog). */
  ringing(): void {
    if (this.stateValue !== 'offered' || this.endedFlag) return;
    this.stateValue = 'ringing';
    const ringing = (extra: [string, string][]) =>
      createResponse(this.request, 180, 'Ringing', {
        toTag: this.localTag,
        // §12.1.1: a dialog-creating provisional carries the Record-Route set too (the early dialog's route).
        headers: [...recordRouteOf(this.request), ['Contact', this.ownContact()], ...extra],
      });
    if (this.reliable) {
      // RFC 3262 §3: Require: 100rel and an RSeq; retransmitted until the PRACK. It carries no SDP.
      this.reliable.offer((rseq) => ringing([['Require', '100rel'], ['RSeq', formatRSeq(rseq)]]), false);
      return;
    }
    this.core.respondInvite(this.tx, ringing([]));
  }

  /** RFC 3262 §3, §7.2: a PRACK in our early dialog: 200 when its RAck names our pending 180, else 481 (400 when RAck is bad). */
  protected override onPrack(req: SipRequest, tx: ServerTransaction): void {
    const rack = tryRequiredHeader(parseRAck, req.headers.getAll('RAck'), 'RAck');
    if (!rack.ok) {
      tx.respond(this.withServer(createResponse(req, 400, rack.reason)));
      return;
    }
    const verdict = this.reliable?.prack(rack.value) ?? { status: 481 as const, reason: 'No matching reliable provisional response' };
    tx.respond(this.withServer(createResponse(req, verdict.status, verdict.status === 200 ? 'OK' : verdict.reason)));
  }

  /**
   * Answer with our SDP: 200 OK, retransmitted until the ACK (§13.3.1.4). When the INVITE carried
   * no offer (`offerSdp` undefined), `sdp` is our offer (RFC 3261 §13.2.1, RFC 3264 §4) and the
   * peer's answer arrives from the ACK as `ack-answer`.
   */
  accept(sdp: string): void {
    if ((this.stateValue !== 'offered' && this.stateValue !== 'ringing') || this.endedFlag) return;
    this.stateValue = 'accepted';
    // §3: the reliable 180 carried no SDP, so the 2xx may go at once; retransmissions stop with it.
    this.reliable?.close();
    this.localSdp = sdp;
    this.dialog?.transition('confirmed');
    const onNoAck = () => {
      this.stateValue = 'confirmed';
      this.endForNoAck();
    };
    const offerInAnswer = this.offerSdp === undefined ? 'initial' : undefined;
    // RFC 4028 §9 (the UA already answered 422 to an interval below our Min-SE).
    this.sessionTimer.learnAllow(this.request);
    const timer = this.sessionTimer.decide(this.request);
    if (timer.kind === 'accept') this.answerInvite(this.tx, this.request, sdp, onNoAck, timer, offerInAnswer);
    else this.send2xx(this.tx, this.request, sdp, onNoAck, { offerInAnswer, headers: [['Supported', SUPPORTED_HEADER]] });
  }

  /** Reject with a final non-2xx (486, 488 with Warning, 603, …). */
  reject(status: number, reason?: string, headers?: [string, string][]): void {
    if ((this.stateValue !== 'offered' && this.stateValue !== 'ringing') || this.endedFlag) return;
    this.reliable?.close();
    const res = createResponse(this.request, status, reason, { toTag: this.localTag, ...(headers ? { headers } : {}) });
    this.core.respondInvite(this.tx, res);
    this.finish({ by: 'local', status, reason: res.reason });
  }

  /** 488 Not Acceptable Here with a Warning (§13.3.1.3): the upper layer found no common codec. */
  rejectNotAcceptable(text: string, warnCode = 305): void {
    this.reject(488, 'Not Acceptable Here', [['Warning', warningHeader(this.core.userAgentName, warnCode, text)]]);
  }

  protected override onAckedInternal(): void {
    if (this.stateValue === 'accepted') {
      this.stateValue = 'confirmed';
      this.emit('confirmed');
    }
  }

  /** §9.2: CANCEL before the final response → 487 for the INVITE. */
  onCancel(): void {
    if ((this.stateValue !== 'offered' && this.stateValue !== 'ringing') || this.endedFlag) return;
    this.reliable?.close();
    this.core.respondInvite(this.tx, createResponse(this.request, 487, 'Request Terminated', { toTag: this.localTag }));
    this.finish({ by: 'remote', status: 487, reason: 'Request Terminated' });
  }

  /** §15.2: BYE before we answered → 487 to the pending INVITE as well. */
  protected override onRemoteBye(): void {
    if (this.stateValue === 'offered' || this.stateValue === 'ringing') {
      this.reliable?.close();
      this.core.respondInvite(this.tx, createResponse(this.request, 487, 'Request Terminated', { toTag: this.localTag }));
    }
    super.onRemoteBye();
  }
}

/** The INVITE's Replaces header (RFC 3891 §6.1), checked by the core already; undefined when absent. */
function replacesOf(invite: SipRequest): Replaces | undefined {
  const values = invite.headers.getAll('Replaces');
  if (values.length !== 1) return undefined;
  try {
    return parseReplaces(values[0]!);
  } catch {
    return undefined;
  }
}
