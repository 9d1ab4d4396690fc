/**
 * An INVITE we received (UAS, RFC 3261 §13.3): the upper layer rings, accepts with an answer
 * (or, when the INVITE carried no offer, with our offer, answered in the ACK: §13.2.1), or
 * rejects it. The 2xx is retransmitted until the ACK (§13.3.1.4) and carries the session
 * timer (RFC 4028 §9); CANCEL ends it with 487 (§9.2).
 */
import type { SipRequest } from '../grammar/message.js';
import { createResponse } from '../grammar/response.js';
import { formatUri, parseNameAddr } from '../grammar/uri.js';
import { Dialog } from '../dialog/dialog.js';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.js';
import type { InboundInfo, SipAddress } from '../transport/sip-transport.js';
import { SipCall } from './call.js';
import type { UaCore } from './ua-core.js';
import { warningHeader } from './uas-policy.js';

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
    // The dialog exists from the first response with our tag (§12.1.1); build it now as early.
    // RFC 3261 §12.1.1: a sips: Request-URI makes our Contact sips: (RFC 5630 §3.1.3).
    this.secure = /^sips:/i.test(tx.request.uri);
    this.dialog = Dialog.asUas(tx.request, localTag, this.ownContact(), 'early');
    core.bindDialog(this.dialog.key, this);
    tx.user = {
      onAck: (ack) => this.onAck(ack),
      onTransportError: () => this.finish({ by: 'local', status: 503, reason: 'transport error' }),
    };
  }

  get state(): IncomingCallState {
    return this.endedFlag ? 'ended' : this.stateValue;
  }

  /** Send 180 Ringing (with our To tag, so the caller sees an early dialog). */
  ringing(): void {
    if (this.stateValue !== 'offered' || this.endedFlag) return;
    this.stateValue = 'ringing';
    const res = createResponse(this.request, 180, 'Ringing', {
      toTag: this.localTag,
      headers: [['Contact', this.ownContact()]],
    });
    this.core.respondInvite(this.tx, res);
  }

  /**
   * Answer with our SDP: 200 OK, retransmitted until the ACK (§13.3.1.4). When the INVITE carried
   * no offer (`offerSdp` undefined), `sdp` is our offer (RFC 3261 §13.2.1, RFC 3264 §4) and the
   * peer's answer arrives from the ACK as `ack-answer`.
   */
  accept(sdp: string): void {
    if ((this.stateValue !== 'offered' && this.stateValue !== 'ringing') || this.endedFlag) return;
    this.stateValue = 'accepted';
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
    else this.send2xx(this.tx, this.request, sdp, onNoAck, { offerInAnswer });
  }

  /** Reject with a final non-2xx (486, 488 with Warning, 603, …). */
  reject(status: number, reason?: string, headers?: [string, string][]): void {
    if ((this.stateValue !== 'offered' && this.stateValue !== 'ringing') || this.endedFlag) return;
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
    this.core.respondInvite(this.tx, createResponse(this.request, 487, 'Request Terminated', { toTag: this.localTag }));
    this.finish({ by: 'remote', status: 487, reason: 'Request Terminated' });
  }

  /** §15.2: BYE before we answered → 487 to the pending INVITE as well. */
  protected override onRemoteBye(): void {
    if (this.stateValue === 'offered' || this.stateValue === 'ringing') {
      this.core.respondInvite(this.tx, createResponse(this.request, 487, 'Request Terminated', { toTag: this.localTag }));
    }
    super.onRemoteBye();
  }
}
