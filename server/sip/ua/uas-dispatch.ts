/**
 * The inbound half of the user-agent core (RFC 3261 §8.2, §9.2, §11.2, §12.2.2, §17): every
 * message a transport delivers comes here and goes to its transaction, its dialog, or an answer
 * the core gives itself (errors of §8.2, OPTIONS, CANCEL). New INVITEs outside a dialog are handed
 * back to the user agent, which turns them into incoming calls.
 *
 * Every new request but ACK first passes admission (`admit`, one place for every method): dropped
 * there, it leaves no transaction and no answer; refused (401/403), it is answered before method
 * and header inspection (a deliberate deviation from the order of RFC 3261 §8.2, explained with
 * the admission gate), and nothing else is created for it.
 */
import type { SipMessage, SipRequest, SipResponse } from '../grammar/message.js';
import { createResponse } from '../grammar/response.js';
import { validateRequest, type Rejection } from '../grammar/validate.js';
import { dialogKey, dialogKeyOfIncoming, type DialogId } from '../dialog/dialog.js';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.js';
import { cseqOf, tagOf } from '../transaction/message-fields.js';
import type { ServerTransaction, TransactionLayer } from '../transaction/transaction-layer.js';
import type { TransactionChannel } from '../transaction/transaction.js';
import { responseDestination } from '../transport/response-routing.js';
import type { SipLogger } from '../transport/sip-logger.js';
import type { InboundInfo } from '../transport/sip-transport.js';
import type { IncomingCall } from './incoming-call.js';
import { newTag } from './ids.js';
import { checkInviteReplaces, type ReplaceableDialog } from './refer.js';
import { readTextBody, senderOf, type IncomingTextMessage } from './text-message.js';
import type { DialogUser } from './ua-core.js';
import { ACCEPT_HEADER, ALLOW_EVENTS_HEADER, ALLOW_HEADER, SUPPORTED_HEADER, acceptedTypesFor, checkAccept, checkContent, checkMethod, checkReplacesPlacement, checkRequire } from './uas-policy.js';
import type { AdmissionGate, AdmissionReason, AdmissionVerdict } from '../admission/admission.js';

export interface UaCounters {
  /** Responses that matched no transaction and no dialog (dropped). */
  strayResponses: number;
  /** ACKs that matched nothing (dropped). */
  strayAcks: number;
  /** Requests answered with an error status by the core. */
  rejectedRequests: number;
  /** Malformed requests answered with 400. */
  badRequests: number;
  /** Exceptions caught while handling a message (a bug if ever non-zero; the message was dropped). */
  internalErrors: number;
  /** Requests refused (answered with an error or dropped by admission), by reason. */
  rejectedByReason: Map<RejectReason, number>;
}

/** Why the core refused a request: admission's reasons, then the core's own, named by the status they answer. */
export type RejectReason = AdmissionReason | CoreRejectReason;
export const CORE_REJECT_REASONS = ['bad_request', 'method', 'extension', 'media_type', 'no_dialog', 'loop', 'session_interval', 'unavailable', 'other'] as const;
export type CoreRejectReason = (typeof CORE_REJECT_REASONS)[number];

/** The core's rejections by status (RFC 3261 §8.2 and RFC 4028 §6), for counting. */
const CORE_REASON_BY_STATUS: ReadonlyMap<number, CoreRejectReason> = new Map([
  [400, 'bad_request'],
  [405, 'method'],
  [501, 'method'],
  [420, 'extension'],
  [415, 'media_type'],
  [406, 'media_type'],
  [481, 'no_dialog'],
  [482, 'loop'],
  [422, 'session_interval'],
  [480, 'unavailable'],
]);

function coreReasonOf(status: number): CoreRejectReason {
  return CORE_REASON_BY_STATUS.get(status) ?? 'other';
}

/** The statuses the core answers with itself, named in one table. */
export const UAS_STATUS = {
  trying: 100,
  ok: 200,
  badRequest: 400,
  temporarilyUnavailable: 480,
  noSuchDialog: 481,
  loop: 482,
  /** RFC 4028 §6: Session Interval Too Small (with our Min-SE). */
  sessionIntervalTooSmall: 422,
} as const;

const NO_SUCH_DIALOG: Rejection = { status: UAS_STATUS.noSuchDialog, reason: 'Call/Transaction Does Not Exist' };

/** What the dispatcher needs from the user agent. */
export interface UasHost {
  readonly layer: TransactionLayer;
  readonly counters: UaCounters;
  readonly logger: SipLogger;
  readonly userAgentName: string;
  isClosed(): boolean;
  dialogFor(key: string): DialogUser | undefined;
  /** The live incoming call whose INVITE is `invite` (a CANCEL's target). */
  incomingCallFor(invite: SipRequest): IncomingCall | undefined;
  /** Inbound admission (source rules, rate limits, authentication); none: every request is admitted. */
  readonly admission?: AdmissionGate | undefined;
  /**
   * A new INVITE outside any dialog, admitted, its 100 Trying due: start a call, or say why
   * not. `user`: the digest user name it authenticated as.
   */
  offerCall(tx: InviteServerTransaction, info: InboundInfo, user?: string): Rejection | null;
  /** An admitted SUBSCRIBE outside any dialog (RFC 6665 §4.2.1): the presence notifier answers it. */
  subscribe(req: SipRequest, tx: ServerTransaction, info: InboundInfo): void;
  /** A NOTIFY matching no dialog: taken (true) when it belongs to a SUBSCRIBE of ours still waiting for its 2xx. */
  orphanNotify(req: SipRequest, tx: ServerTransaction, info: InboundInfo): boolean;
  /** An admitted, readable MESSAGE (RFC 3428): take it (null, answered 200), or say why not. */
  deliverMessage(msg: IncomingTextMessage): Rejection | null;
}

/** §8.2.3 body checks per method (415), then for INVITE whether our answer is acceptable (406). */
function contentCheck(req: SipRequest): Rejection | null {
  const types = acceptedTypesFor(req.method);
  if (types === undefined) return null;
  return checkContent(req, types) ?? (req.method === 'INVITE' ? checkAccept(req) : null);
}

const ADMITTED: AdmissionVerdict = { kind: 'admit' };

export class UasDispatcher {
  /** §8.2.2.2: (From tag, Call-ID, CSeq) of requests without To tag → their server transaction. */
  private readonly merged = new Map<string, ServerTransaction>();

  constructor(private readonly host: UasHost) {}

  /** Forget merge-detection state (UA close). */
  clear(): void {
    this.merged.clear();
  }

  /** Add our Server header (§20.35) unless the response has one. */
  stampServer(res: SipResponse): void {
    if (!res.headers.has('Server')) res.headers.append('Server', this.host.userAgentName);
  }

  onMessage(msg: SipMessage, info: InboundInfo): void {
    if (this.host.isClosed()) return;
    if (msg.kind === 'response') this.onResponse(msg);
    else this.onRequest(msg, info);
  }

  /** A request the transport could not fully parse: 400 when there is a Via to answer to. */
  onMalformed(partial: SipRequest, reason: string, info: InboundInfo): void {
    if (this.host.isClosed()) return;
    if (!partial.headers.has('Via')) return; // nowhere to send a response
    const verdict = this.admit(partial, info, tagOf(partial.headers.get('To')) !== undefined, false);
    if (verdict.kind !== 'admit') return; // a malformed request is only ever answered 400
    this.host.counters.badRequests++;
    this.count(coreReasonOf(UAS_STATUS.badRequest));
    this.sendResponseStateless(createResponse(partial, UAS_STATUS.badRequest, reason), info);
  }

  private onResponse(res: SipResponse): void {
    // §8.1.3.1 / RFC 4475 §3.1.2.19: statuses outside 100–699 are dropped (the parser rejects most).
    if (res.status < 100 || res.status > 699) {
      this.host.counters.strayResponses++;
      return;
    }
    if (this.host.layer.receiveResponse(res)) return;
    // A 2xx to INVITE after its transaction ended: the dialog re-ACKs it (§13.2.2.4).
    const cseq = cseqOf(res);
    if (res.status >= 200 && res.status < 300 && cseq?.method === 'INVITE') {
      const callId = res.headers.get('Call-ID');
      const localTag = tagOf(res.headers.get('From'));
      const remoteTag = tagOf(res.headers.get('To'));
      if (callId !== undefined && localTag !== undefined && remoteTag !== undefined) {
        const d = this.host.dialogFor(dialogKey({ callId, localTag, remoteTag }));
        if (d) {
          d.onStray2xx(res);
          return;
        }
      }
    }
    this.host.counters.strayResponses++;
  }

  /** A response outside any transaction (requests that cannot have one). */
  private sendResponseStateless(res: SipResponse, info: InboundInfo): void {
    this.stampServer(res);
    const dest = responseDestination(res, info);
    if (!dest) return;
    info.transport.send(res, dest).catch((err: unknown) => this.host.logger.debug({ err: String(err) }, 'sip: response send failed'));
  }

  private serverChannel(info: InboundInfo): TransactionChannel {
    return {
      reliable: info.transport.reliable,
      send: (m) => {
        const dest = m.kind === 'response' ? responseDestination(m, info) : undefined;
        if (!dest) return Promise.reject(new Error('no destination for response'));
        return info.transport.send(m, dest);
      },
    };
  }

  private count(reason: RejectReason): void {
    const m = this.host.counters.rejectedByReason;
    m.set(reason, (m.get(reason) ?? 0) + 1);
  }

  /**
   * The one admission point: every new request (every method but ACK, whatever it would create)
   * goes through here before the core creates anything for it.
   */
  private admit(req: SipRequest, info: InboundInfo, inDialog: boolean, wellFormed: boolean): AdmissionVerdict {
    const gate = this.host.admission;
    if (!gate) return ADMITTED;
    const verdict = gate.admit(req, info.remote.address, { inDialog, wellFormed });
    if (verdict.kind === 'drop') {
      this.count(verdict.reason);
      this.host.logger.debug({ method: req.method, source: info.remote.address, reason: verdict.reason }, 'sip: request dropped by admission');
    }
    return verdict;
  }

  private reject(tx: ServerTransaction, req: SipRequest, r: Rejection, reason: RejectReason = coreReasonOf(r.status)): void {
    this.host.counters.rejectedRequests++;
    this.count(reason);
    const res = createResponse(req, r.status, r.reason, { toTag: newTag(), ...(r.extraHeaders ? { headers: r.extraHeaders } : {}) });
    this.stampServer(res);
    tx.respond(res);
  }

  private onRequest(req: SipRequest, info: InboundInfo): void {
    const { layer } = this.host;
    if (req.method === 'ACK') {
      const tx = layer.matchRequest(req);
      if (tx) {
        tx.receiveRequest(req);
        return;
      }
      const key = dialogKeyOfIncoming(req);
      const d = key === undefined ? undefined : this.host.dialogFor(key);
      if (d) d.onAck(req);
      else this.host.counters.strayAcks++; // §17.2.3 / RFC 4475: a stray ACK is dropped
      return;
    }
    const existing = layer.matchRequest(req);
    if (existing) {
      existing.receiveRequest(req); // retransmission
      return;
    }
    const invalid = validateRequest(req);
    // §8.2.2.2 merged requests (loop detection) must be checked before a transaction is created.
    const toTag = tagOf(req.headers.get('To'));
    const mergeKey = invalid === null && toTag === undefined ? mergeKeyOf(req) : undefined;
    const mergedWith = mergeKey === undefined ? undefined : this.merged.get(mergeKey);
    // Admission before anything is created for the request: a dropped request leaves no trace.
    const verdict = this.admit(req, info, toTag !== undefined, invalid === null);
    if (verdict.kind === 'drop') return;
    const tx = layer.createServerTransaction(req, this.serverChannel(info));
    if (!tx) {
      // No transaction key (unusable Via or CSeq): answer statelessly if we can.
      const r = invalid ?? { status: UAS_STATUS.badRequest, reason: 'Bad Request: unusable Via or CSeq' };
      this.host.counters.rejectedRequests++;
      this.count(coreReasonOf(r.status));
      this.sendResponseStateless(createResponse(req, r.status, r.reason, r.extraHeaders ? { headers: r.extraHeaders } : {}), info);
      return;
    }
    if (invalid) {
      this.reject(tx, req, invalid);
      return;
    }
    if (verdict.kind === 'reject') {
      this.reject(tx, req, verdict.rejection, verdict.reason);
      return;
    }
    if (mergedWith && mergedWith !== tx && !mergedWith.isTerminated) {
      this.reject(tx, req, { status: UAS_STATUS.loop, reason: 'Loop Detected' });
      return;
    }
    if (mergeKey !== undefined) {
      this.merged.set(mergeKey, tx);
      tx.onTerminated(() => {
        if (this.merged.get(mergeKey) === tx) this.merged.delete(mergeKey);
      });
    }
    // §8.2.1 method inspection, then §8.2.2 header inspection, then §8.2.3 content (415), then
    // whether the answer we would send is acceptable to the caller (406).
    const bad =
      checkMethod(req) ??
      (req.method === 'CANCEL' ? null : checkRequire(req)) ??
      checkReplacesPlacement(req) ??
      contentCheck(req);
    if (bad) {
      this.reject(tx, req, bad);
      return;
    }
    if (req.method === 'CANCEL') this.onCancel(req, tx);
    else if (req.method === 'OPTIONS') this.answerOptions(req, tx);
    else if (req.method === 'MESSAGE') this.onTextMessage(req, tx, info, toTag !== undefined, verdict.kind === 'admit' ? verdict.user : undefined);
    else if (req.method === 'SUBSCRIBE' && toTag === undefined) this.host.subscribe(req, tx, info);
    else if (toTag !== undefined) this.onInDialog(req, tx, info);
    else if (req.method === 'INVITE' && tx.kind === 'invite-server') this.onInvite(tx, info, verdict.kind === 'admit' ? verdict.user : undefined);
    else this.reject(tx, req, NO_SUCH_DIALOG); // BYE, UPDATE (RFC 3311 §5.2) or anything else allowed outside a dialog
  }

  /** §11.2: 200 with what we allow, accept and support, and the event packages we notify (RFC 6665 §8.2.2). */
  private answerOptions(req: SipRequest, tx: ServerTransaction): void {
    const res = createResponse(req, UAS_STATUS.ok, 'OK', {
      toTag: newTag(),
      headers: [
        ['Allow', ALLOW_HEADER],
        ['Accept', ACCEPT_HEADER],
        ['Accept-Encoding', 'identity'],
        ['Accept-Language', 'en'],
        ['Supported', SUPPORTED_HEADER],
        ['Allow-Events', ALLOW_EVENTS_HEADER],
      ],
    });
    this.stampServer(res);
    tx.respond(res);
  }

  /** §9.2: CANCEL → 200 for the CANCEL, 487 for the INVITE (by the call); 481 when nothing matches. */
  private onCancel(req: SipRequest, tx: ServerTransaction): void {
    const inviteTx = this.host.layer.findInviteForCancel(req);
    if (!inviteTx) {
      this.reject(tx, req, NO_SUCH_DIALOG);
      return;
    }
    const res = createResponse(req, UAS_STATUS.ok, 'OK', { toTag: inviteTx.finalToTag ?? newTag() });
    this.stampServer(res);
    tx.respond(res);
    this.host.incomingCallFor(inviteTx.request)?.onCancel();
  }

  /**
   * RFC 3428 §7: a MESSAGE outside a dialog, or inside one we know (else 481, RFC 3261 §12.2.2):
   * its body read as UTF-8 text (400 when it is not), handed to the user agent, answered 200.
   */
  private onTextMessage(req: SipRequest, tx: ServerTransaction, info: InboundInfo, inDialog: boolean, user: string | undefined): void {
    let dialogKeyValue: string | undefined;
    if (inDialog) {
      dialogKeyValue = dialogKeyOfIncoming(req);
      if (dialogKeyValue === undefined || !this.host.dialogFor(dialogKeyValue)) {
        this.reject(tx, req, NO_SUCH_DIALOG);
        return;
      }
    }
    const body = readTextBody(req);
    if ('rejection' in body) {
      this.reject(tx, req, body.rejection);
      return;
    }
    const sender = senderOf(req);
    const msg: IncomingTextMessage = {
      from: sender?.uri ?? '',
      ...(sender?.displayName !== undefined ? { displayName: sender.displayName } : {}),
      text: body.text,
      callId: req.headers.get('Call-ID') ?? '',
      ...(dialogKeyValue !== undefined ? { dialogKey: dialogKeyValue } : {}),
      source: info.remote.address,
      ...(user !== undefined ? { user } : {}),
    };
    const refused = this.host.deliverMessage(msg);
    if (refused) {
      this.reject(tx, req, refused);
      return;
    }
    // The To tag of an in-dialog MESSAGE is our dialog's; outside a dialog we make one up (§8.2.6.2).
    const res = createResponse(req, UAS_STATUS.ok, 'OK', inDialog ? {} : { toTag: newTag() });
    this.stampServer(res);
    tx.respond(res);
  }

  private onInDialog(req: SipRequest, tx: ServerTransaction, info: InboundInfo): void {
    const key = dialogKeyOfIncoming(req);
    const d = key === undefined ? undefined : this.host.dialogFor(key);
    if (d) d.onInDialogRequest(req, tx);
    // RFC 6665 §4.1.2.4: a NOTIFY may come before the 2xx that makes its subscription's dialog.
    else if (req.method === 'NOTIFY' && this.host.orphanNotify(req, tx, info)) return;
    else this.reject(tx, req, NO_SUCH_DIALOG); // §12.2.2
  }

  private onInvite(tx: InviteServerTransaction, info: InboundInfo, user: string | undefined): void {
    // §17.2.1: a 100 Trying, so the caller stops retransmitting, unless the call is answered (or
    // refused) first: the transaction holds it back briefly (see tryingUnlessAnswered).
    const trying = createResponse(tx.request, UAS_STATUS.trying, 'Trying');
    this.stampServer(trying);
    tx.tryingUnlessAnswered(trying);
    // RFC 3891 §3: a Replaces header must name a dialog we hold (and may hand over) before the
    // call is offered; the layer above finds which of its calls it replaces.
    const replaces = checkInviteReplaces(tx.request.headers.getAll('Replaces'), (ids) => this.replaceableDialog(ids));
    if (replaces.kind === 'refuse') {
      this.reject(tx, tx.request, { status: replaces.status, reason: replaces.reason });
      return;
    }
    const refused = this.host.offerCall(tx, info, user);
    if (refused) this.reject(tx, tx.request, refused);
  }

  /** The dialog a Replaces names, when its user is a call (a subscription cannot be replaced). */
  private replaceableDialog(ids: DialogId): ReplaceableDialog | undefined {
    const user: DialogUser & Partial<{ readonly dialogIdentity: ReplaceableDialog | undefined }> | undefined = this.host.dialogFor(dialogKey(ids));
    return user?.dialogIdentity;
  }
}

function mergeKeyOf(req: SipRequest): string | undefined {
  const fromTag = tagOf(req.headers.get('From'));
  const callId = req.headers.get('Call-ID');
  const cseq = req.headers.get('CSeq');
  if (fromTag === undefined || callId === undefined || cseq === undefined) return undefined;
  return `${fromTag}\u0000${callId}\u0000${cseq}`;
}
