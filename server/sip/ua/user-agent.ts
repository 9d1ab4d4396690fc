/**
 * The SIP user-agent core (RFC 3261 §8, §12–§15, §10): exposes calls, OPTIONS probes and
 * registrations to the layers above through typed events, and implements the `UaCore` seam they
 * send through. Where requests go is `UaRouter`'s (RFC 3263), what comes in is `UasDispatcher`'s,
 * OPTIONS probes are `probeOptions`. It carries SDP as opaque strings.
 *
 * Ownership: the UA owns the transports it is given. Whoever opens them hands them over at
 * construction and from then on closes only the UA; `close()` closes every transport (closing a
 * transport twice, or before the UA, is harmless: their `close()` is idempotent).
 */
import type { Clock } from '../../util/clock.js';
import { AcipError } from '../../util/errors.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { SipHeaders, type SipRequest, type SipResponse } from '../grammar/message.js';
import type { Rejection } from '../grammar/validate.js';
import type { InviteServerTransaction } from '../transaction/invite-server-transaction.js';
import { SipTimers, type SipTimerBase } from '../transaction/timers.js';
import { TransactionLayer, type ClientTransaction } from '../transaction/transaction-layer.js';
import type { ClientTransactionUser, TransactionChannel } from '../transaction/transaction.js';
import { SipResolver, type DnsClient } from '../transport/resolver.js';
import { RFC4028_MIN_SE_S, decideAsUas, readTimerRequest, timerRequestHeaders, type SessionTimerPolicy } from '../dialog/session-timer.js';
import { silentSipLogger, type SipLogger } from '../transport/sip-logger.js';
import type { InboundInfo, SipTransport } from '../transport/sip-transport.js';
import type { SipCall } from './call.js';
import type { DigestCredentials } from './digest-client.js';
import { newBranch, newCallId, newTag } from './ids.js';
import { IncomingCall } from './incoming-call.js';
import { probeOptions, type OptionsResult } from './options-probe.js';
import { OutgoingCall } from './outgoing-call.js';
import { Registration, type RegisterOptions } from './registration.js';
import type { DialogUser, SipRoute, UaCore } from './ua-core.js';
import { UaRouter, type RouteOptions } from './ua-routing.js';
import { UAS_STATUS, UasDispatcher, type UaCounters, type UasHost } from './uas-dispatch.js';
import { ALLOW_HEADER, SUPPORTED_HEADER } from './uas-policy.js';
import type { IncomingRefer } from './call-transfer.js';
import { TEXT_CONTENT_TYPE, sendTextMessage, type IncomingTextMessage, type MessageResult } from './text-message.js';
import type { AdmissionGate } from '../admission/admission.js';
import { PresenceServer } from './presence-server.js';
import { PresenceWatch, type PresenceClientHost, type WatchOptions } from './presence-client.js';
import { PresencePublication, type PublicationOptions } from './presence-publication.js';
import type { NotifierLimits } from '../presence/notifier.js';
import type { PresenceState } from '../presence/presence-state.js';

export type { OptionsResult } from './options-probe.js';
export type { UaCounters } from './uas-dispatch.js';
export type { IncomingTextMessage, MessageResult } from './text-message.js';

/** A URI as two addresses of the same party compare: no scheme, parameters or headers, lower case. */
export function comparableUri(uri: string): string {
  return uri.trim().replace(/^<|>$/g, '').toLowerCase().replace(/^sips?:/, '').replace(/[;?].*$/, '');
}

export interface SipUserAgentOptions {
  clock: Clock;
  /** Listening transports (at most one per protocol is used for sending); the UA owns and closes them. */
  transports: SipTransport[];
  /** Product token for User-Agent/Server headers, e.g. `acip/0.1`. */
  userAgentName: string;
  /** User part of our Contact and default From (default `acip`). */
  localUser?: string;
  /** Host advertised in Via/Contact instead of the bound address (e.g. behind NAT). */
  advertisedHost?: string;
  displayName?: string;
  logger?: SipLogger;
  timers?: Partial<SipTimerBase>;
  /**
   * RFC 3263 server location (DNS SRV/A/AAAA with a TTL cache). Default: a `SipResolver` on
   * `dns` (default: the system resolver through node:dns/promises) and this UA's clock.
   */
  resolver?: SipResolver;
  /** The DNS client of the default resolver (tests pass a fake; ignored when `resolver` is given). */
  dns?: DnsClient;
  /** RFC 4028: the Session-Expires we ask for and offer, s (default 1800, at least `minSeS`). */
  sessionExpiresS?: number;
  /** RFC 4028: the smallest session interval we accept (our Min-SE), s (default 90). */
  minSeS?: number;
  /**
   * The lowest `minSeS` this UA accepts, s. RFC 4028 §4 sets 90 (the default); only tests lower
   * it, to watch refreshes and expiries happen in seconds against real peers. Never in service.
   */
  sessionTimerFloorS?: number;
  /**
   * Inbound admission (source rules, rate limits, digest authentication) every new request passes
   * before anything is created for it. Default: none, every request is admitted. The UA owns it
   * and closes it.
   */
  admission?: AdmissionGate;
  /** Bounds of presence subscriptions (RFC 6665; defaults: the notifier's). */
  presenceLimits?: Partial<NotifierLimits>;
}

/** Default RFC 4028 Session-Expires, s (the value §4 recommends). */
const DEFAULT_SESSION_EXPIRES_S = 1800;

function sessionTimerPolicy(opts: SipUserAgentOptions): SessionTimerPolicy {
  const floor = opts.sessionTimerFloorS ?? RFC4028_MIN_SE_S;
  const minSeS = opts.minSeS ?? RFC4028_MIN_SE_S;
  const sessionExpiresS = opts.sessionExpiresS ?? Math.max(DEFAULT_SESSION_EXPIRES_S, minSeS);
  if (!Number.isInteger(floor) || floor < 1) throw new AcipError('CONFIG_INVALID', `sessionTimerFloorS must be a positive integer, not ${floor}`, 'sessionTimerFloorS');
  if (!Number.isInteger(minSeS) || minSeS < floor) {
    throw new AcipError('CONFIG_INVALID', `minSeS must be an integer of at least ${floor} s (RFC 4028 §4), not ${minSeS}`, 'minSeS');
  }
  if (!Number.isInteger(sessionExpiresS) || sessionExpiresS < minSeS) {
    throw new AcipError('CONFIG_INVALID', `sessionExpiresS must be an integer of at least minSeS (${minSeS} s), not ${sessionExpiresS}`, 'sessionExpiresS');
  }
  return { sessionExpiresS, minSeS };
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
  /**
   * TLS only: `false` accepts a peer certificate that fails verification, for the INVITE and
   * every later request of the call (BYE, re-INVITE, UPDATE). Default true.
   */
  tlsVerify?: boolean;
}

export type SipUserAgentEvents = {
  incomingCall: [IncomingCall];
  /** A MESSAGE (RFC 3428) taken and answered 200; without a listener MESSAGEs get 480. */
  textMessage: [IncomingTextMessage];
  /** A REFER in a call (RFC 3515), answered 202; without a listener its NOTIFY reports 603. */
  refer: [SipCall, IncomingRefer];
};

/** Where an outgoing MESSAGE goes: outside any dialog, or in the dialog of a live call to `target` when there is one. */
export interface SendMessageOptions {
  /** Send in the dialog of this live call (RFC 3428 §4) rather than outside any dialog. */
  inDialogOf?: SipCall;
  /** TLS only: false accepts a peer certificate that fails verification. */
  tlsVerify?: boolean;
  /** Credentials for one retry after 401/407 (outside a dialog). */
  auth?: DigestCredentials;
}

export class SipUserAgent extends TypedEmitter<SipUserAgentEvents> implements UaCore {
  readonly clock: Clock;
  readonly timers: SipTimers;
  readonly logger: SipLogger;
  readonly userAgentName: string;
  readonly counters: UaCounters = { strayResponses: 0, strayAcks: 0, rejectedRequests: 0, badRequests: 0, internalErrors: 0, rejectedByReason: new Map() };
  /** RFC 3263 server location; its cache is shared by every request of this UA. */
  readonly resolver: SipResolver;
  readonly sessionTimer: SessionTimerPolicy;
  private readonly layer: TransactionLayer;
  private readonly router: UaRouter;
  private readonly inbound: UasDispatcher;
  /** Our presence and who watches it (SUBSCRIBE/NOTIFY, RFC 3856). */
  private readonly presenceServer: PresenceServer;
  /** Peers whose presence we watch. */
  private readonly watches = new Set<PresenceWatch>();
  /** Our presence published to presence servers (PUBLISH, RFC 3903). */
  private readonly publications = new Set<PresencePublication>();
  private readonly admission: AdmissionGate | undefined;
  private readonly transports: SipTransport[];
  private readonly localUser: string;
  private readonly advertisedHost: string | undefined;
  private readonly displayName: string | undefined;
  private readonly dialogs = new Map<string, DialogUser>();
  private readonly calls = new Set<SipCall>();
  private readonly registrations = new Set<Registration>();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(opts: SipUserAgentOptions) {
    super();
    if (opts.transports.length === 0) throw new AcipError('SIP_NO_TRANSPORT', 'SipUserAgent needs at least one transport');
    this.clock = opts.clock;
    this.sessionTimer = sessionTimerPolicy(opts);
    this.timers = new SipTimers(opts.timers);
    this.logger = opts.logger ?? silentSipLogger;
    this.userAgentName = opts.userAgentName;
    this.transports = [...opts.transports];
    this.localUser = opts.localUser ?? 'acip';
    this.advertisedHost = opts.advertisedHost;
    this.displayName = opts.displayName;
    this.layer = new TransactionLayer({ clock: this.clock, timers: this.timers, logger: this.logger });
    this.resolver = opts.resolver ?? new SipResolver({ clock: this.clock, ...(opts.dns ? { dns: opts.dns } : {}) });
    this.router = new UaRouter(this.transports, this.resolver);
    this.admission = opts.admission;
    this.presenceServer = new PresenceServer({
      core: this,
      clock: this.clock,
      entity: `sip:${this.localUser}@${this.hostOf(this.transports[0]!)}`,
      contact: (t) => this.contact(t),
      ...(opts.presenceLimits ? { limits: opts.presenceLimits } : {}),
    });
    this.inbound = new UasDispatcher(this.uasHost());
    this.onListenerError = (event, err) => this.logger.error({ event, err: String(err) }, 'sip ua listener threw');
    for (const t of this.transports) {
      t.setHandler({
        onMessage: (msg, info) => this.safely(() => this.inbound.onMessage(msg, info)),
        onMalformedRequest: (partial, reason, info) => this.safely(() => this.inbound.onMalformed(partial, reason, info)),
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

  private get isClosed(): boolean {
    return this.closed;
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.counters.internalErrors++;
      this.logger.error({ err: String(err), stack: err instanceof Error ? err.stack : undefined }, 'sip ua: message handling failed');
    }
  }

  /** The dispatcher's view of this UA: the transaction layer, the dialogs, and new calls. */
  private uasHost(): UasHost {
    return {
      layer: this.layer,
      counters: this.counters,
      logger: this.logger,
      userAgentName: this.userAgentName,
      admission: this.admission,
      isClosed: () => this.isClosed,
      dialogFor: (key: string) => this.dialogs.get(key),
      incomingCallFor: (invite: SipRequest) => {
        for (const call of this.calls) if (call instanceof IncomingCall && call.request === invite) return call;
        return undefined;
      },
      offerCall: (tx: InviteServerTransaction, info: InboundInfo, user?: string): Rejection | null => {
        // How many calls at once is the upper layer's decision (it answers 486 over its limit).
        if (this.listenerCount('incomingCall') === 0) return { status: UAS_STATUS.temporarilyUnavailable, reason: 'Temporarily Unavailable' };
        // RFC 4028 §9: an interval below our Min-SE is refused before anyone rings.
        const timer = decideAsUas(readTimerRequest(tx.request), this.sessionTimer);
        if (timer.kind === 'too-small') {
          return { status: UAS_STATUS.sessionIntervalTooSmall, reason: 'Session Interval Too Small', extraHeaders: [['Min-SE', String(timer.minSeS)]] };
        }
        const call = new IncomingCall(this, tx, info, newTag(), user);
        this.track(call);
        this.emit('incomingCall', call);
        return null;
      },
      subscribe: (req, tx, info) => this.presenceServer.onSubscribe(req, tx, info),
      orphanNotify: (req, tx, info) => {
        for (const w of this.watches) {
          if (w.matchesOrphan(req)) {
            w.onOrphanNotify(req, tx, info.transport);
            return true;
          }
        }
        return false;
      },
      deliverMessage: (msg: IncomingTextMessage): Rejection | null => {
        if (this.listenerCount('textMessage') === 0) return { status: UAS_STATUS.temporarilyUnavailable, reason: 'Temporarily Unavailable' };
        this.emit('textMessage', msg);
        return null;
      },
    };
  }

  // ---- UaCore ---------------------------------------------------------------------------------

  /** See UaCore.locate: RFC 3263 §4 through the resolver, synchronous when no DNS is needed. */
  locate(uri: string, preferred?: SipTransport, connectionId?: string, opts?: RouteOptions): SipRoute[] | Promise<SipRoute[]> {
    return this.router.locate(uri, preferred, connectionId, opts);
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
    // RFC 5923 §6: `alias` over TLS lets the peer send its requests back on our connection.
    const alias = transport.protocol === 'tls' ? ';alias' : '';
    return `SIP/2.0/${transport.protocol.toUpperCase()} ${this.hostOf(transport)}:${transport.local.port};branch=${newBranch()};rport${alias}`;
  }

  contact(transport: SipTransport, secure = false): string {
    const hostPort = `${this.hostOf(transport)}:${transport.local.port}`;
    // RFC 5630 §3.1.3: a sips: URI means TLS on every hop, so it carries no transport parameter.
    if (secure && transport.protocol === 'tls') return `<sips:${this.localUser}@${hostPort}>`;
    const tp = transport.protocol === 'udp' ? '' : `;transport=${transport.protocol}`;
    return `<sip:${this.localUser}@${hostPort}${tp}>`;
  }

  private channelTo(route: SipRoute): TransactionChannel {
    return { reliable: route.transport.reliable, send: (m) => route.transport.send(m, route.dest) };
  }

  sendRequest(req: SipRequest, route: SipRoute, user: ClientTransactionUser): ClientTransaction {
    if (this.isClosed) throw new AcipError('SIP_UA_CLOSED', 'user agent closed');
    return this.layer.sendRequest(req, this.channelTo(route), user);
  }

  sendStateless(msg: SipRequest, route: SipRoute): void {
    if (this.isClosed) return;
    route.transport.send(msg, route.dest).catch((err: unknown) => this.logger.warn({ err: String(err) }, 'sip: stateless send failed'));
  }

  respondInvite(tx: InviteServerTransaction, res: SipResponse): void {
    this.inbound.stampServer(res);
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
    if (this.isClosed) throw new AcipError('SIP_UA_CLOSED', 'user agent closed');
    const routeOpts: RouteOptions = opts.tlsVerify === false ? { tlsVerify: false } : {};
    const located = this.locate(target, undefined, undefined, routeOpts);
    // Build the INVITE for the transport it will most likely use; the call rewrites Via and
    // Contact if the lookup picks another one (e.g. SRV offers only TCP).
    const transport = Array.isArray(located) ? located[0]!.transport : this.router.defaultTransport(target);
    const host = this.hostOf(transport);
    const h = new SipHeaders();
    h.append('Via', this.via(transport));
    h.append('Max-Forwards', '70');
    const fromBase = opts.from ?? `${this.displayName ? `"${this.displayName.replace(/["\\]/g, '')}" ` : ''}<sip:${this.localUser}@${host}>`;
    h.append('From', `${fromBase};tag=${newTag()}`);
    h.append('To', `<${target}>`);
    h.append('Call-ID', newCallId(host));
    h.append('CSeq', '1 INVITE');
    // RFC 3261 §8.1.1.8: a sips: Request-URI asks for a sips: Contact.
    const secure = /^sips:/i.test(target);
    const contact = this.contact(transport, secure);
    h.append('Contact', contact);
    h.append('Allow', ALLOW_HEADER);
    // RFC 4028 §7.1: Supported: timer, our Session-Expires (the UAS picks the refresher) and Min-SE.
    // RFC 3262 §4: we PRACK reliable provisionals, so Supported names 100rel beside timer (one line:
    // simple peers read only the first Supported header).
    for (const [n, v] of timerRequestHeaders(this.sessionTimer.sessionExpiresS, this.sessionTimer.minSeS)) h.append(n, n === 'Supported' ? SUPPORTED_HEADER : v);
    h.append('User-Agent', this.userAgentName);
    for (const [n, v] of opts.headers ?? []) h.append(n, v);
    const body = Buffer.from(opts.sdp, 'utf8');
    if (body.length > 0) h.append('Content-Type', 'application/sdp');
    h.append('Content-Length', String(body.length));
    const req: SipRequest = { kind: 'request', method: 'INVITE', uri: target, version: 'SIP/2.0', headers: h, body };
    const call = new OutgoingCall(this, req, transport, contact, opts.auth, routeOpts);
    this.track(call);
    if (Array.isArray(located)) call.start(located);
    else call.startWhenResolved(located);
    return call;
  }

  /**
   * Reachability probe (§11): OPTIONS out of dialog; resolves with the final status and the RTT
   * of the last attempt (408 on timeout). A timeout, transport error or 503 moves on to the next
   * RFC 3263 target (§4.3). Rejects when the target cannot be routed (DNS failure included).
   * `opts.tlsVerify: false` probes a TLS peer whose certificate fails verification.
   */
  options(target: string, opts: RouteOptions = {}): Promise<OptionsResult> {
    return probeOptions(
      {
        clock: this.clock,
        userAgentName: this.userAgentName,
        localUser: this.localUser,
        isClosed: () => this.isClosed,
        hostOf: (t) => this.hostOf(t),
        locate: (uri, preferred, connectionId) => this.locate(uri, preferred, connectionId, opts),
        via: (t) => this.via(t),
        contact: (t) => this.contact(t),
        sendRequest: (req, route, user) => this.sendRequest(req, route, user),
      },
      target,
    );
  }

  /**
   * Send a text message (RFC 3428): in the dialog of `opts.inDialogOf` when that call is still
   * up, else outside any dialog to `target`. Resolves with the final status (2xx: delivered to
   * the far UA; 408 on timeout). Rejects when the target cannot be routed.
   */
  sendMessage(target: string, text: string, opts: SendMessageOptions = {}): Promise<MessageResult> {
    const call = opts.inDialogOf;
    if (call && !call.ended && call.dialogKey !== undefined) {
      return call.sendInDialog('MESSAGE', { body: Buffer.from(text, 'utf8'), contentType: TEXT_CONTENT_TYPE });
    }
    const routeOpts: RouteOptions = opts.tlsVerify === false ? { tlsVerify: false } : {};
    return sendTextMessage(
      {
        clock: this.clock,
        userAgentName: this.userAgentName,
        localUser: this.localUser,
        isClosed: () => this.isClosed,
        hostOf: (t) => this.hostOf(t),
        locate: (uri, preferred, connectionId) => this.locate(uri, preferred, connectionId, routeOpts),
        via: (t) => this.via(t),
        contact: (t) => this.contact(t),
        sendRequest: (req, route, user) => this.sendRequest(req, route, user),
      },
      target,
      text,
      opts.auth,
    );
  }

  /** Tell watchers of our presence (RFC 3856) what it is now: open, busy (every link on air) or closed. */
  setPresence(state: PresenceState): void {
    this.presenceServer.setPresence(state);
  }

  /**
   * Watch a peer's presence (SUBSCRIBE Event: presence, RFC 3856): `onPresence` hears every change
   * ('unknown' while there is no subscription). The watch re-subscribes after failures with a
   * back-off, until `stop()`, which unsubscribes.
   */
  watchPresence(target: string, onPresence: (p: PresenceState | 'unknown') => void, opts: WatchOptions = {}): { stop(): void } {
    if (this.isClosed) throw new AcipError('SIP_UA_CLOSED', 'user agent closed');
    const w = new PresenceWatch(this.presenceClientHost(), target, onPresence, opts);
    this.watches.add(w);
    w.start();
    return {
      stop: () => {
        if (!this.watches.delete(w)) return;
        w.stop();
      },
    };
  }

  /** Publish our presence to a presence server (PUBLISH, RFC 3903); the caller starts it and feeds it changes. */
  publishPresence(opts: PublicationOptions): PresencePublication {
    if (this.isClosed) throw new AcipError('SIP_UA_CLOSED', 'user agent closed');
    const p = new PresencePublication({ ...this.presenceClientHost(), isClosed: () => this.isClosed }, opts);
    this.publications.add(p);
    return p;
  }

  private presenceClientHost(): PresenceClientHost {
    const ua = this;
    return {
      get clock() { return ua.clock; },
      get timers() { return ua.timers; },
      get logger() { return ua.logger; },
      get userAgentName() { return ua.userAgentName; },
      get sessionTimer() { return ua.sessionTimer; },
      localUser: this.localUser,
      hostOf: (t) => this.hostOf(t),
      defaultTransport: (target) => this.router.defaultTransport(target),
      locate: (uri, preferred, connectionId, opts) => this.locate(uri, preferred, connectionId, opts),
      via: (t) => this.via(t),
      contact: (t, secure) => this.contact(t, secure),
      sendRequest: (req, route, user) => this.sendRequest(req, route, user),
      sendStateless: (msg, route) => this.sendStateless(msg, route),
      respondInvite: (tx, res) => this.respondInvite(tx, res),
      bindDialog: (key, d) => this.bindDialog(key, d),
      unbindDialog: (key, d) => this.unbindDialog(key, d),
    };
  }

  /** Presence subscriptions alive. */
  get presenceWatchers(): number {
    return this.presenceServer.size;
  }

  /**
   * `call` as one of this UA's calls when it is, still up and in a dialog; else undefined. Glue code
   * that holds a link's call as an opaque object gets the UA's own call back for in-dialog requests.
   */
  liveCall(call: object): SipCall | undefined {
    const own = call as SipCall;
    return this.calls.has(own) && !own.ended && own.dialogKey !== undefined ? own : undefined;
  }

  /**
   * Register a binding (§10.2); events: registered, failed, unregistered. The registrar is
   * located (RFC 3263) on every attempt; failures are retried with backoff (see Registration).
   * Throws only for a registrar URI no lookup can route.
   */
  register(opts: RegisterOptions): Registration {
    if (this.isClosed) throw new AcipError('SIP_UA_CLOSED', 'user agent closed');
    const transport = this.router.defaultTransport(opts.registrar);
    const reg = new Registration(this, opts, this.hostOf(transport));
    this.registrations.add(reg);
    reg.start();
    return reg;
  }

  /**
   * Idempotent: stop every call, registration and transaction, then close every transport (the UA
   * owns them, see the module comment). A second call returns the first call's promise, so every
   * caller resolves only once the sockets are closed.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    // Watchers hear that the subscription is over (RFC 6665 §4.1.3) while the transports still send.
    this.presenceServer.close();
    for (const w of this.watches) w.stop();
    this.watches.clear();
    for (const p of this.publications) void p.stop();
    this.publications.clear();
    this.closed = true;
    for (const c of [...this.calls]) c.abandon();
    for (const r of this.registrations) r.close();
    this.layer.close();
    this.dialogs.clear();
    this.inbound.clear();
    this.admission?.close();
    this.closing = Promise.all(this.transports.map((t) => t.close().catch(() => undefined))).then(() => {
      this.removeAllListeners();
    });
    return this.closing;
  }

  private track(call: SipCall): void {
    this.calls.add(call);
    call.on('refer', (r) => {
      if (this.listenerCount('refer') === 0) r.report(603, 'Decline');
      else this.emit('refer', call, r);
    });
    const forget = () => this.calls.delete(call);
    call.on('ended', forget);
    call.on('failed', forget);
  }
}
