/**
 * RFC 3261 §12 dialogs: identity (Call-ID, local tag, remote tag), route set, remote target,
 * local/remote CSeq, and the construction of in-dialog requests (§12.2.1.1).
 */
import { SipHeaders, type SipRequest, type SipResponse } from '../grammar/message.js';
import { MAX_CSEQ, getTag, parseCSeq, splitHeaderList } from '../grammar/headers.js';
import { formatUri, parseNameAddr } from '../grammar/uri.js';
import { AcipError } from '../../util/errors.js';

export type DialogState = 'early' | 'confirmed' | 'terminated';

const EDGES: { readonly [K in DialogState]: readonly DialogState[] } = {
  early: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

/** One key string per dialog, for maps. */
export function dialogKey(id: DialogId): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

/** The dialog key an incoming request would belong to (its To tag is our local tag). */
export function dialogKeyOfIncoming(req: SipRequest): string | undefined {
  const callId = req.headers.get('Call-ID');
  const to = req.headers.get('To');
  const from = req.headers.get('From');
  if (callId === undefined || to === undefined || from === undefined) return undefined;
  try {
    const localTag = getTag(to);
    const remoteTag = getTag(from);
    if (localTag === undefined) return undefined;
    return dialogKey({ callId, localTag, remoteTag: remoteTag ?? '' });
  } catch {
    return undefined;
  }
}

/** The URI inside the first Contact, as text (remote target, §12.1.1 / §12.1.2). */
function contactUri(msg: SipRequest | SipResponse): string | undefined {
  const c = msg.headers.get('Contact');
  if (c === undefined) return undefined;
  try {
    const first = splitHeaderList(c, 'Contact')[0];
    return first === undefined ? undefined : formatUri(parseNameAddr(first, 'Contact').uri);
  } catch {
    return undefined;
  }
}

/** Every Record-Route element in order (header lines and comma lists flattened). */
function recordRoutes(msg: SipRequest | SipResponse): string[] {
  const out: string[] = [];
  for (const line of msg.headers.getAll('Record-Route')) {
    try {
      for (const e of splitHeaderList(line, 'Record-Route')) if (e !== '') out.push(e);
    } catch {
      // A malformed Record-Route is ignored rather than failing the whole dialog.
    }
  }
  return out;
}

export interface InDialogRequestOptions {
  /** The top Via the UA core built for the chosen transport (with a fresh branch). */
  via: string;
  body?: Buffer | string;
  contentType?: string;
  /** Extra headers appended as they are. */
  headers?: ReadonlyArray<[string, string]>;
  /** ACK and CANCEL reuse the CSeq number of the INVITE; everything else takes the next one. */
  cseq?: number;
  maxForwards?: number;
  userAgent?: string;
}

export class Dialog {
  readonly callId: string;
  readonly localTag: string;
  remoteTag: string;
  /** Local and remote URIs as the From/To header values carry them (with tags), §12.1.1. */
  readonly localHeader: string;
  remoteHeader: string;
  remoteTarget: string;
  /** Route set: the URIs of Record-Route, reversed for a UAC (§12.1.2), in order for a UAS (§12.1.1). */
  routeSet: string[];
  localSeq: number;
  remoteSeq: number | undefined;
  readonly localContact: string;
  readonly isUac: boolean;
  private stateValue: DialogState;

  private constructor(init: {
    callId: string;
    localTag: string;
    remoteTag: string;
    localHeader: string;
    remoteHeader: string;
    remoteTarget: string;
    routeSet: string[];
    localSeq: number;
    remoteSeq: number | undefined;
    localContact: string;
    isUac: boolean;
    state: DialogState;
  }) {
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localHeader = init.localHeader;
    this.remoteHeader = init.remoteHeader;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.localContact = init.localContact;
    this.isUac = init.isUac;
    this.stateValue = init.state;
  }

  get state(): DialogState {
    return this.stateValue;
  }

  get id(): DialogId {
    return { callId: this.callId, localTag: this.localTag, remoteTag: this.remoteTag };
  }

  get key(): string {
    return dialogKey(this.id);
  }

  transition(to: DialogState): void {
    if (!EDGES[this.stateValue].includes(to)) {
      throw new AcipError('SIP_ILLEGAL_TRANSITION', `dialog ${this.callId}: illegal transition ${this.stateValue} -> ${to}`);
    }
    this.stateValue = to;
  }

  /**
   * §12.1.1: the UAS side, from the INVITE and the To tag we put in our 1xx/2xx.
   * Route set = Record-Route in order; remote target = Contact; remote CSeq = the INVITE's.
   */
  static asUas(invite: SipRequest, localTag: string, localContact: string, state: DialogState): Dialog {
    const from = invite.headers.get('From') ?? '';
    const to = invite.headers.get('To') ?? '';
    return new Dialog({
      callId: invite.headers.get('Call-ID') ?? '',
      localTag,
      remoteTag: safeTag(from) ?? '',
      localHeader: `${to};tag=${localTag}`,
      remoteHeader: from,
      remoteTarget: contactUri(invite) ?? invite.uri,
      routeSet: recordRoutes(invite),
      localSeq: 0,
      remoteSeq: safeCSeq(invite),
      localContact,
      isUac: false,
      state,
    });
  }

  /**
   * §12.1.2: the UAC side, from our INVITE and a 1xx-with-tag or 2xx response.
   * Route set = Record-Route reversed; remote target = Contact; local CSeq = the INVITE's.
   */
  static asUac(invite: SipRequest, res: SipResponse, localContact: string, state: DialogState): Dialog {
    const from = invite.headers.get('From') ?? '';
    const to = res.headers.get('To') ?? '';
    return new Dialog({
      callId: invite.headers.get('Call-ID') ?? '',
      localTag: safeTag(from) ?? '',
      remoteTag: safeTag(to) ?? '',
      localHeader: from,
      remoteHeader: to,
      remoteTarget: contactUri(res) ?? invite.uri,
      routeSet: recordRoutes(res).reverse(),
      localSeq: safeCSeq(invite) ?? 1,
      remoteSeq: undefined,
      localContact,
      isUac: true,
      state,
    });
  }

  /** §12.2 target refresh: a re-INVITE or its 2xx may carry a new Contact. */
  refreshTarget(msg: SipRequest | SipResponse): void {
    const c = contactUri(msg);
    if (c !== undefined) this.remoteTarget = c;
  }

  /** A 2xx to the UAC's INVITE confirms an early dialog, with the final route set (§12.1.2, §13.2.2.4). */
  confirmFromResponse(res: SipResponse): void {
    this.refreshTarget(res);
    const rr = recordRoutes(res);
    if (this.isUac && this.state === 'early') this.routeSet = rr.reverse();
    this.remoteHeader = res.headers.get('To') ?? this.remoteHeader;
    if (this.state === 'early') this.transition('confirmed');
  }

  /**
   * §12.2.2: requests within a dialog must have increasing CSeq. Returns false for an
   * out-of-order request (answer 500); records the number otherwise. ACK/CANCEL are not checked.
   */
  acceptRemoteCSeq(req: SipRequest): boolean {
    if (req.method === 'ACK' || req.method === 'CANCEL') return true;
    const seq = safeCSeq(req);
    if (seq === undefined) return false;
    if (this.remoteSeq !== undefined && seq <= this.remoteSeq) return false;
    this.remoteSeq = seq;
    return true;
  }

  /** The next local CSeq number (§12.2.1.1: incremented by one for each new request). */
  nextLocalSeq(): number {
    if (this.localSeq >= MAX_CSEQ) throw new AcipError('SIP_CSEQ_EXHAUSTED', 'dialog CSeq space exhausted');
    this.localSeq += 1;
    return this.localSeq;
  }

  /**
   * §12.2.1.1: build a request within the dialog. Loose routing when the first route has `lr`
   * (Request-URI = remote target, Route = route set); strict routing otherwise (Request-URI = first
   * route, Route = rest + remote target).
   */
  createRequest(method: string, opts: InDialogRequestOptions): SipRequest {
    const seq = opts.cseq ?? this.nextLocalSeq();
    const h = new SipHeaders();
    h.append('Via', opts.via);
    h.append('Max-Forwards', String(opts.maxForwards ?? 70));
    const { uri, routes } = this.routing();
    for (const r of routes) h.append('Route', r);
    h.append('From', this.localHeader);
    h.append('To', this.remoteHeader);
    h.append('Call-ID', this.callId);
    h.append('CSeq', `${seq} ${method}`);
    // §8.1.1.8: target-refresh requests (re-INVITE, UPDATE) carry our Contact.
    if (method === 'INVITE' || method === 'UPDATE') h.append('Contact', this.localContact);
    if (opts.userAgent) h.append('User-Agent', opts.userAgent);
    for (const [n, v] of opts.headers ?? []) h.append(n, v);
    const body = opts.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body, 'utf8');
    if (body.length > 0 && opts.contentType) h.append('Content-Type', opts.contentType);
    h.append('Content-Length', String(body.length));
    return { kind: 'request', method, uri, version: 'SIP/2.0', headers: h, body };
  }

  /** The Request-URI and Route headers per §12.2.1.1, and the URI of the next hop (§8.1.2). */
  routing(): { uri: string; routes: string[]; nextHop: string } {
    const first = this.routeSet[0];
    if (first === undefined) return { uri: this.remoteTarget, routes: [], nextHop: this.remoteTarget };
    let firstUri: string;
    let lr = false;
    try {
      const na = parseNameAddr(first, 'Route');
      lr = na.uri.params.has('lr');
      firstUri = formatUri(na.uri);
    } catch {
      return { uri: this.remoteTarget, routes: [...this.routeSet], nextHop: this.remoteTarget };
    }
    if (lr) return { uri: this.remoteTarget, routes: [...this.routeSet], nextHop: firstUri };
    // Strict routing (RFC 2543 proxies): the Request-URI becomes the first route.
    return { uri: firstUri, routes: [...this.routeSet.slice(1), `<${this.remoteTarget}>`], nextHop: firstUri };
  }
}

function safeTag(v: string): string | undefined {
  try {
    return getTag(v);
  } catch {
    return undefined;
  }
}

function safeCSeq(req: SipRequest): number | undefined {
  const v = req.headers.get('CSeq');
  if (v === undefined) return undefined;
  try {
    return parseCSeq(v).seq;
  } catch {
    return undefined;
  }
}
