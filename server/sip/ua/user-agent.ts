/**
 * The SIP user-agent core (RFC 3261 §8, §12–§15, §10): routes inbound messages to transactions
 * and dialogs, answers what a UA must answer, and exposes calls, OPTIONS probes and
 * registrations to the layers above through typed events. It carries SDP as opaque strings.
 */
import type { Clock } from '../../util/clock.js';
import { AcipError } from '../../util/errors.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { SipHeaders, type SipMessage, type SipRequest, type SipResponse } from '../message.js';
import { createResponse } from '../response.js';
import { parseUri } from '../uri.js';
import { validateRequest, type Rejection } from '../validate.js';
import { dialogKey, dialogKeyOfIncoming } from '../dialog/dialog.js';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.js';
import { cseqOf, tagOf } from '../transaction/message-fields.js';
import { SipTimers, type SipTimerBase } from '../transaction/timers.js';
import { TransactionLayer, type ClientTransaction, type ServerTransaction } from '../transaction/transaction-layer.js';
import type { ClientTransactionUser, TransactionChannel } from '../transaction/transaction.js';
import { SipResolver, type AddressFamily, type DnsClient, type ResolveQuery, type SipTarget } from '../transport/resolver.js';
import { responseDestination } from '../transport/response-routing.js';
import { silentSipLogger, type SipLogger } from '../transport/sip-logger.js';
import type { InboundInfo, SipTransport, SipTransportProtocol } from '../transport/sip-transport.js';
import type { SipCall } from './call.js';
import type { DigestCredentials } from './digest-client.js';
import { newBranch, newCallId, newTag } from './ids.js';
import { IncomingCall } from './incoming-call.js';
import { OutgoingCall } from './outgoing-call.js';
import { Registration, type RegisterOptions } from './registration.js';
import type { DialogUser, SipRoute, UaCore } from './ua-core.js';
import { ACCEPT_HEADER, ALLOW_HEADER, SUPPORTED_OPTIONS, checkContent, checkMethod, checkRequire } from './uas-policy.js';

export interface SipUserAgentOptions {
  clock: Clock;
  /** Listening transports (at most one per protocol is used for sending). */
  transports: SipTransport[];
  /** Product token for User-Agent/Server headers, e.g. `acip/0.1`. */
  userAgentName: string;
  /** User part of our Contact and default From (default `acip`). */
  localUser?: string;
  /** Host advertised in Via/Contact instead of the bound address (e.g. behind NAT). */
  advertisedHost?: string;
  displayName?: string;
  /** Concurrent calls before a new INVITE gets 486 Busy Here (default unlimited). */
  maxCalls?: number;
  logger?: SipLogger;
  timers?: Partial<SipTimerBase>;
  /**
   * RFC 3263 server location (DNS SRV/A/AAAA with a TTL cache). Default: a `SipResolver` on
   * `dns` (default: the system resolver through node:dns/promises) and this UA's clock.
   */
  resolver?: SipResolver;
  /** The DNS client of the default resolver (tests pass a fake; ignored when `resolver` is given). */
  dns?: DnsClient;
}

export interface InviteOptions {
  /** Our SDP offer (opaque to the UA). */
  sdp: string;
  /** From header value (name-addr) without tag; default `<sip:localUser@host>`. */
  from?: string;
  /** Extra headers (name, value) added to the INVITE. */
  headers?: [string, string][];
  /** Credentials for one retry after 401/407. */
  auth?: DigestCredentials;
}

export interface OptionsResult {
  status: number;
  /** Round-trip time from the request to its final response, in milliseconds. */
  rttMs: number;
}

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
}

export type SipUserAgentEvents = {
  incomingCall: [IncomingCall];
};

/**
 * Names of the statuses the core maps failures to, in one place (STYLE.md: "the UA maps failures
 * to SIP statuses in one table").
 */
const STATUS = {
  trying: 100,
  ok: 200,
  badRequest: 400,
  temporarilyUnavailable: 480,
  noSuchDialog: 481,
  loop: 482,
  busy: 486,
  serverError: 500,
} as const;

export class SipUserAgent extends TypedEmitter<SipUserAgentEvents> implements UaCore {
  readonly clock: Clock;
  readonly timers: SipTimers;
  readonly logger: SipLogger;
  readonly userAgentName: string;
  readonly counters: UaCounters = { strayResponses: 0, strayAcks: 0, rejectedRequests: 0, badRequests: 0, internalErrors: 0 };
  /** RFC 3263 server location; its cache is shared by every request of this UA. */
  readonly resolver: SipResolver;
  private readonly layer: TransactionLayer;
  private readonly transports: SipTransport[];
  private readonly localUser: string;
  private readonly advertisedHost: string | undefined;
  private readonly displayName: string | undefined;
  private readonly maxCalls: number;
  private readonly dialogs = new Map<string, DialogUser>();
  private readonly calls = new Set<SipCall>();
  private readonly registrations = new Set<Registration>();
  /** §8.2.2.2: (From tag, Call-ID, CSeq) of requests without To tag → their server transaction. */
  private readonly merged = new Map<string, ServerTransaction>();
  private closed = false;

  constructor(opts: SipUserAgentOptions) {
    super();
    if (opts.transports.length === 0) throw new AcipError('SIP_NO_TRANSPORT', 'SipUserAgent needs at least one transport');
    this.clock = opts.clock;
    this.timers = new SipTimers(opts.timers);
    this.logger = opts.logger ?? silentSipLogger;
    this.userAgentName = opts.userAgentName;
    this.transports = [...opts.transports];
    this.localUser = opts.localUser ?? 'acip';
    this.advertisedHost = opts.advertisedHost;
    this.displayName = opts.displayName;
    this.maxCalls = opts.maxCalls ?? Number.POSITIVE_INFINITY;
    this.layer = new TransactionLayer({ clock: this.clock, timers: this.timers, logger: this.logger });
    this.resolver = opts.resolver ?? new SipResolver({ clock: this.clock, ...(opts.dns ? { dns: opts.dns } : {}) });
    this.onListenerError = (event, err) => this.logger.error({ event, err: String(err) }, 'sip ua listener threw');
    for (const t of this.transports) {
      t.setHandler({
        onMessage: (msg, info) => this.safely(() => this.onMessage(msg, info)),
        onMalformedRequest: (partial, reason, info) => this.safely(() => this.onMalformed(partial, reason, info)),
      });
    }
  }

  /** Calls currently alive (both directions). */
  get activeCalls(): number {
    return this.calls.size;
  }

  get transactionCount(): number {
    return this.layer.clientCount + this.layer.serverCount;
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.counters.internalErrors++;
      this.logger.error({ err: String(err), stack: err instanceof Error ? err.stack : undefined }, 'sip ua: message handling failed');
    }
  }

  // ---- UaCore ---------------------------------------------------------------------------------

  private transportFor(protocol: string | undefined, preferred?: SipTransport): SipTransport {
    if (protocol) {
      const p = protocol.toLowerCase();
      const t = preferred?.protocol === p ? preferred : this.transports.find((x) => x.protocol === p);
      if (!t) throw new AcipError('SIP_NO_TRANSPORT', `no ${p} transport configured`);
      return t;
    }
    return preferred ?? this.transports.find((x) => x.protocol === 'udp') ?? this.transports[0]!;
  }

  /**
   * The RFC 3263 query for a URI (§4.1 transport selection inputs). Throws for what no lookup can
   * fix: tel: (needs a proxy), a `transport` we have no transport for, sips: without TLS
   * (§26.2.2: sending it over UDP/TCP would silently drop the security it asks for).
   */
  private queryFor(uri: string, preferred?: SipTransport): ResolveQuery {
    const u = parseUri(uri, 'target URI');
    if (u.scheme === 'tel') throw new AcipError('SIP_UNROUTABLE', 'cannot route a tel: URI without a proxy');
    const param = u.params.get('transport');
    let transport: SipTransportProtocol | undefined;
    if (param !== undefined && param !== null) transport = this.transportFor(param, preferred).protocol;
    const secure = u.scheme === 'sips';
    if (secure && !this.transports.some((t) => t.protocol === 'tls')) {
      throw new AcipError('SIP_NO_TRANSPORT', `${uri.slice(0, 80)}: sips: URIs need TLS, which is not configured`);
    }
    // Our preference order (§4.1 leaves it to the client): the dialog's transport when there is
    // one, else UDP first (§4.1's default for sip:), then the others as configured.
    const protocols: SipTransportProtocol[] = preferred
      ? [preferred.protocol]
      : [...new Set([...this.transports.filter((t) => t.protocol === 'udp'), ...this.transports].map((t) => t.protocol))];
    const candidates = this.transports.filter((t) => (transport ? t.protocol === transport : protocols.includes(t.protocol)));
    const families = [...new Set(candidates.map((t): AddressFamily => (t.local.address.includes(':') ? 6 : 4)))];
    return {
      host: u.host,
      ...(u.port !== undefined ? { port: u.port } : {}),
      secure,
      ...(transport ? { transport } : {}),
      protocols,
      families: families.length > 0 ? families : [4],
    };
  }

  private routeOf(t: SipTarget, preferred: SipTransport | undefined, connectionId: string | undefined): SipRoute {
    const transport = this.transportFor(t.protocol, preferred);
    const dest = { address: t.address, port: t.port, ...(connectionId && transport === preferred ? { connectionId } : {}) };
    return { transport, dest };
  }

  private routesOf(targets: SipTarget[], preferred: SipTransport | undefined, connectionId: string | undefined): SipRoute[] {
    const routes = targets.map((t) => this.routeOf(t, preferred, connectionId));
    if (routes.length === 0) throw new AcipError('SIP_DNS_NOT_FOUND', 'no target to send to');
    return routes;
  }

  /** See UaCore.locate: RFC 3263 §4 through the resolver, synchronous when no DNS is needed. */
  locate(uri: string, preferred?: SipTransport, connectionId?: string): SipRoute[] | Promise<SipRoute[]> {
    const q = this.queryFor(uri, preferred);
    let now: SipTarget[] | undefined;
    try {
      now = this.resolver.resolveNow(q);
    } catch (err) {
      // A cached negative answer is a DNS outcome like any other: reported asynchronously.
      return Promise.reject(err as Error);
    }
    if (now) return this.routesOf(now, preferred, connectionId);
    return this.resolver.resolve(q).then((targets) => this.routesOf(targets, preferred, connectionId));
  }

  /**
   * The first target of a URI when no DNS query is needed (numeric host, `localhost`, cached
   * answer); kept for callers of the pre-DNS API. Throws SIP_UNRESOLVABLE when a lookup is needed
   * (and starts it, so that a later call may find it cached). Prefer `locate`.
   */
  resolve(uri: string, preferred?: SipTransport, connectionId?: string): SipRoute {
    const r = this.locate(uri, preferred, connectionId);
    if (Array.isArray(r)) return r[0]!;
    r.catch(() => undefined); // the lookup warms the cache for the next try
    throw new AcipError('SIP_UNRESOLVABLE', `${uri.slice(0, 80)}: the host needs a DNS lookup first`);
  }

  private hostOf(t: SipTransport): string {
    const h = this.advertisedHost ?? t.local.address;
    return h.includes(':') ? `[${h}]` : h;
  }

  via(transport: SipTransport): string {
    return `SIP/2.0/${transport.protocol.toUpperCase()} ${this.hostOf(transport)}:${transport.local.port};branch=${newBranch()};rport`;
  }

  contact(transport: SipTransport): string {
    const tp = transport.protocol === 'udp' ? '' : `;transport=${transport.protocol}`;
    return `<sip:${this.localUser}@${this.hostOf(transport)}:${transport.local.port}${tp}>`;
  }

  private channelTo(route: SipRoute): TransactionChannel {
    return { reliable: route.transport.reliable, send: (m) => route.transport.send(m, route.dest) };
  }

  sendRequest(req: SipRequest, route: SipRoute, user: ClientTransactionUser): ClientTransaction {
    if (this.closed) throw new AcipError('SIP_UA_CLOSED', 'user agent closed');
    return this.layer.sendRequest(req, this.channelTo(route), user);
  }

  sendStateless(msg: SipRequest, route: SipRoute): void {
    if (this.closed) return;
    route.transport.send(msg, route.dest).catch((err: unknown) => this.logger.warn({ err: String(err) }, 'sip: stateless send failed'));
  }

  respondInvite(tx: InviteServerTransaction, res: SipResponse): void {
    this.stampServer(res);
    tx.respond(res);
  }

  bindDialog(key: string, call: DialogUser): void {
    this.dialogs.set(key, call);
  }

  unbindDialog(key: string, call: DialogUser): void {
    if (this.dialogs.get(key) === call) this.dialogs.delete(key);
  }

  // ---- public API -----------------------------------------------------------------------------

  /**
   * Place a call (§13.2). Events on the returned call: progress, answered, failed, ended, reinvite.
   * The call is returned at once; when the target's host needs DNS (RFC 3263) it stays in state
   * 'resolving' until the lookup ends, and a failed lookup ends it with 'failed' (404 when the
   * name does not exist, 503 when DNS did not answer). Throws only for targets no lookup can route.
   */
  invite(target: string, opts: InviteOptions): OutgoingCall {
    if (this.closed) throw new AcipError('SIP_UA_CLOSED', 'user agent closed');
    const located = this.locate(target);
    // Build the INVITE for the transport it will most likely use; the call rewrites Via and
    // Contact if the lookup picks another one (e.g. SRV offers only TCP).
    const transport = Array.isArray(located) ? located[0]!.transport : this.defaultTransport(target);
    const host = this.hostOf(transport);
    const h = new SipHeaders();
    h.append('Via', this.via(transport));
    h.append('Max-Forwards', '70');
    const fromBase = opts.from ?? `${this.displayName ? `"${this.displayName.replace(/["\\]/g, '')}" ` : ''}<sip:${this.localUser}@${host}>`;
    h.append('From', `${fromBase};tag=${newTag()}`);
    h.append('To', `<${target}>`);
    h.append('Call-ID', newCallId(host));
    h.append('CSeq', '1 INVITE');
    const contact = this.contact(transport);
    h.append('Contact', contact);
    h.append('Allow', ALLOW_HEADER);
    h.append('User-Agent', this.userAgentName);
    for (const [n, v] of opts.headers ?? []) h.append(n, v);
    const body = Buffer.from(opts.sdp, 'utf8');
    if (body.length > 0) h.append('Content-Type', 'application/sdp');
    h.append('Content-Length', String(body.length));
    const req: SipRequest = { kind: 'request', method: 'INVITE', uri: target, version: 'SIP/2.0', headers: h, body };
    const call = new OutgoingCall(this, req, transport, contact, opts.auth);
    this.track(call);
    if (Array.isArray(located)) call.start(located);
    else call.startWhenResolved(located);
    return call;
  }

  /** The transport a request to `uri` uses when DNS has not said otherwise (§4.1 defaults). */
  private defaultTransport(uri: string): SipTransport {
    const q = this.queryFor(uri);
    return this.transportFor(q.transport ?? q.protocols[0]);
  }

  /**
   * Reachability probe (§11): OPTIONS out of dialog; resolves with the final status and the RTT
   * of the last attempt (408 on timeout). A timeout, transport error or 503 moves on to the next
   * RFC 3263 target (§4.3). Rejects when the target cannot be routed (DNS failure included).
   */
  options(target: string): Promise<OptionsResult> {
    if (this.closed) return Promise.reject(new AcipError('SIP_UA_CLOSED', 'user agent closed'));
    let located: SipRoute[] | Promise<SipRoute[]>;
    try {
      located = this.locate(target);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise<OptionsResult>((resolve, reject) => {
      const run = (routes: SipRoute[]) => {
        if (this.closed) reject(new AcipError('SIP_UA_CLOSED', 'user agent closed'));
        else this.optionsTo(target, routes, 0, resolve);
      };
      if (Array.isArray(located)) run(located);
      else located.then(run, reject);
    });
  }

  private optionsTo(target: string, routes: SipRoute[], index: number, done: (r: OptionsResult) => void): void {
    const route = routes[index]!;
    const host = this.hostOf(route.transport);
    const h = new SipHeaders();
    h.append('Via', this.via(route.transport));
    h.append('Max-Forwards', '70');
    h.append('From', `<sip:${this.localUser}@${host}>;tag=${newTag()}`);
    h.append('To', `<${target}>`);
    h.append('Call-ID', newCallId(host));
    h.append('CSeq', '1 OPTIONS');
    h.append('Contact', this.contact(route.transport));
    h.append('Accept', ACCEPT_HEADER);
    h.append('User-Agent', this.userAgentName);
    h.append('Content-Length', '0');
    const req: SipRequest = { kind: 'request', method: 'OPTIONS', uri: target, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
    const t0 = this.clock.now();
    const finish = (status: number) => done({ status, rttMs: this.clock.now() - t0 });
    // RFC 3263 §4.3: a timeout, a transport error or a 503 moves on to the next target.
    const next = (status: number) => {
      if (index + 1 < routes.length && !this.closed) this.optionsTo(target, routes, index + 1, done);
      else finish(status);
    };
    this.layer.sendRequest(req, this.channelTo(route), {
      onResponse: (res) => {
        if (res.status === 503) next(503);
        else if (res.status >= 200) finish(res.status);
      },
      onTimeout: () => next(408),
      onTransportError: () => next(503),
    });
  }

  /**
   * Register a binding (§10.2); events: registered, failed, unregistered. The registrar is
   * located (RFC 3263) on every attempt; failures are retried with backoff (see Registration).
   * Throws only for a registrar URI no lookup can route.
   */
  register(opts: RegisterOptions): Registration {
    if (this.closed) throw new AcipError('SIP_UA_CLOSED', 'user agent closed');
    const transport = this.defaultTransport(opts.registrar);
    const reg = new Registration(this, opts, this.hostOf(transport));
    this.registrations.add(reg);
    reg.start();
    return reg;
  }

  /** Idempotent: stop every call, registration, transaction and transport. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.calls]) c.abandon();
    for (const r of this.registrations) r.close();
    this.layer.close();
    this.dialogs.clear();
    this.merged.clear();
    await Promise.all(this.transports.map((t) => t.close().catch(() => undefined)));
    this.removeAllListeners();
  }

  private track(call: SipCall): void {
    this.calls.add(call);
    const forget = () => this.calls.delete(call);
    call.on('ended', forget);
    call.on('failed', forget);
  }

  // ---- inbound --------------------------------------------------------------------------------

  private onMessage(msg: SipMessage, info: InboundInfo): void {
    if (this.closed) return;
    if (msg.kind === 'response') this.onResponse(msg);
    else this.onRequest(msg, info);
  }

  private onResponse(res: SipResponse): void {
    // §8.1.3.1 / RFC 4475 §3.1.2.19: statuses outside 100–699 are dropped (the parser rejects most).
    if (res.status < 100 || res.status > 699) {
      this.counters.strayResponses++;
      return;
    }
    if (this.layer.receiveResponse(res)) return;
    // A 2xx to INVITE after its transaction ended: the dialog re-ACKs it (§13.2.2.4).
    const cseq = cseqOf(res);
    if (res.status >= 200 && res.status < 300 && cseq?.method === 'INVITE') {
      const callId = res.headers.get('Call-ID');
      const localTag = tagOf(res.headers.get('From'));
      const remoteTag = tagOf(res.headers.get('To'));
      if (callId !== undefined && localTag !== undefined && remoteTag !== undefined) {
        const d = this.dialogs.get(dialogKey({ callId, localTag, remoteTag }));
        if (d) {
          d.onStray2xx(res);
          return;
        }
      }
    }
    this.counters.strayResponses++;
  }

  private stampServer(res: SipResponse): void {
    if (!res.headers.has('Server')) res.headers.append('Server', this.userAgentName);
  }

  /** A response outside any transaction (requests that cannot have one). */
  private sendResponseStateless(res: SipResponse, info: InboundInfo): void {
    this.stampServer(res);
    const dest = responseDestination(res, info);
    if (!dest) return;
    info.transport.send(res, dest).catch((err: unknown) => this.logger.debug({ err: String(err) }, 'sip: response send failed'));
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

  private reject(tx: ServerTransaction, req: SipRequest, r: Rejection): void {
    this.counters.rejectedRequests++;
    const res = createResponse(req, r.status, r.reason, { toTag: newTag(), ...(r.extraHeaders ? { headers: r.extraHeaders } : {}) });
    this.stampServer(res);
    tx.respond(res);
  }

  private onMalformed(partial: SipRequest, reason: string, info: InboundInfo): void {
    if (this.closed) return;
    if (!partial.headers.has('Via')) return; // nowhere to send a response
    this.counters.badRequests++;
    const res = createResponse(partial, STATUS.badRequest, reason);
    this.sendResponseStateless(res, info);
  }

  private onRequest(req: SipRequest, info: InboundInfo): void {
    if (req.method === 'ACK') {
      const tx = this.layer.matchRequest(req);
      if (tx) {
        tx.receiveRequest(req);
        return;
      }
      const key = dialogKeyOfIncoming(req);
      const d = key === undefined ? undefined : this.dialogs.get(key);
      if (d) d.onAck(req);
      else this.counters.strayAcks++; // §17.2.3 / RFC 4475: a stray ACK is dropped
      return;
    }
    const existing = this.layer.matchRequest(req);
    if (existing) {
      existing.receiveRequest(req); // retransmission
      return;
    }
    const invalid = validateRequest(req);
    // §8.2.2.2 merged requests (loop detection) must be checked before a transaction is created.
    const toTag = tagOf(req.headers.get('To'));
    const mergeKey = invalid === null && toTag === undefined ? this.mergeKeyOf(req) : undefined;
    const mergedWith = mergeKey === undefined ? undefined : this.merged.get(mergeKey);
    const tx = this.layer.createServerTransaction(req, this.serverChannel(info));
    if (!tx) {
      // No transaction key (unusable Via or CSeq): answer statelessly if we can.
      const r = invalid ?? { status: STATUS.badRequest, reason: 'Bad Request: unusable Via or CSeq' };
      this.counters.rejectedRequests++;
      this.sendResponseStateless(createResponse(req, r.status, r.reason, r.extraHeaders ? { headers: r.extraHeaders } : {}), info);
      return;
    }
    if (invalid) {
      this.reject(tx, req, invalid);
      return;
    }
    if (mergedWith && mergedWith !== tx && !mergedWith.isTerminated) {
      this.reject(tx, req, { status: STATUS.loop, reason: 'Loop Detected' });
      return;
    }
    if (mergeKey !== undefined) {
      this.merged.set(mergeKey, tx);
      tx.onTerminated(() => {
        if (this.merged.get(mergeKey) === tx) this.merged.delete(mergeKey);
      });
    }
    // §8.2.1 method inspection, then §8.2.2 header inspection, then §8.2.3 content.
    const bad = checkMethod(req) ?? (req.method === 'CANCEL' ? null : checkRequire(req));
    if (bad) {
      this.reject(tx, req, bad);
      return;
    }
    if (req.method === 'CANCEL') {
      this.onCancel(req, tx);
      return;
    }
    if (req.method === 'INVITE') {
      const content = checkContent(req);
      if (content) {
        this.reject(tx, req, content);
        return;
      }
    }
    if (req.method === 'OPTIONS') {
      this.answerOptions(req, tx);
      return;
    }
    if (toTag !== undefined) {
      this.onInDialog(req, tx);
      return;
    }
    if (req.method === 'INVITE' && tx.kind === 'invite-server') {
      this.onInvite(req, tx, info);
      return;
    }
    // BYE (or anything else allowed) outside a dialog.
    this.reject(tx, req, { status: STATUS.noSuchDialog, reason: 'Call/Transaction Does Not Exist' });
  }

  private mergeKeyOf(req: SipRequest): string | undefined {
    const fromTag = tagOf(req.headers.get('From'));
    const callId = req.headers.get('Call-ID');
    const cseq = req.headers.get('CSeq');
    if (fromTag === undefined || callId === undefined || cseq === undefined) return undefined;
    return `${fromTag}\u0000${callId}\u0000${cseq}`;
  }

  /** §11.2: 200 with what we allow, accept and support. */
  private answerOptions(req: SipRequest, tx: ServerTransaction): void {
    const res = createResponse(req, STATUS.ok, 'OK', {
      toTag: newTag(),
      headers: [
        ['Allow', ALLOW_HEADER],
        ['Accept', ACCEPT_HEADER],
        ['Accept-Encoding', 'identity'],
        ['Accept-Language', 'en'],
        ['Supported', SUPPORTED_OPTIONS.join(', ')],
      ],
    });
    this.stampServer(res);
    tx.respond(res);
  }

  /** §9.2: CANCEL → 200 for the CANCEL, 487 for the INVITE (by the call); 481 when nothing matches. */
  private onCancel(req: SipRequest, tx: ServerTransaction): void {
    const inviteTx = this.layer.findInviteForCancel(req);
    if (!inviteTx) {
      this.reject(tx, req, { status: STATUS.noSuchDialog, reason: 'Call/Transaction Does Not Exist' });
      return;
    }
    const res = createResponse(req, STATUS.ok, 'OK', { toTag: inviteTx.finalToTag ?? newTag() });
    this.stampServer(res);
    tx.respond(res);
    for (const call of this.calls) {
      if (call instanceof IncomingCall && call.request === inviteTx.request) {
        call.onCancel();
        return;
      }
    }
  }

  private onInDialog(req: SipRequest, tx: ServerTransaction): void {
    const key = dialogKeyOfIncoming(req);
    const d = key === undefined ? undefined : this.dialogs.get(key);
    if (!d) {
      // §12.2.2: no such dialog.
      this.reject(tx, req, { status: STATUS.noSuchDialog, reason: 'Call/Transaction Does Not Exist' });
      return;
    }
    d.onInDialogRequest(req, tx);
  }

  private onInvite(req: SipRequest, tx: InviteServerTransaction, info: InboundInfo): void {
    // §17.2.1: 100 Trying at once, so the caller stops retransmitting.
    const trying = createResponse(req, STATUS.trying, 'Trying');
    this.respondInvite(tx, trying);
    if (this.calls.size >= this.maxCalls) {
      this.reject(tx, req, { status: STATUS.busy, reason: 'Busy Here' });
      return;
    }
    if (this.listenerCount('incomingCall') === 0) {
      this.reject(tx, req, { status: STATUS.temporarilyUnavailable, reason: 'Temporarily Unavailable' });
      return;
    }
    const call = new IncomingCall(this, tx, info, newTag());
    this.track(call);
    this.emit('incomingCall', call);
  }
}
