/**
 * acip watching a peer's presence (RFC 6665 §4.1, RFC 3856): the SIP side of one
 * `PresenceSubscriber`. It sends the SUBSCRIBEs the subscriber asks for (a new dialog, or a
 * refresh inside the one the first 2xx or NOTIFY made), feeds the responses and NOTIFYs back, and
 * answers each NOTIFY with what the subscriber says.
 *
 * A NOTIFY may overtake the 2xx to the SUBSCRIBE (RFC 6665 §4.1.2.4): the user agent hands such a
 * NOTIFY over by Call-ID and our From tag (`matchesOrphan`), and the dialog is made from it.
 *
 * Through a presence server (`WatchOptions.server`), the initial SUBSCRIBE goes to the server with
 * the peer's address of record as Request-URI and To (RFC 3856 §3: the presence agent serving that
 * AOR answers), so a studio behind NAT or on another node is seen; refreshes follow the dialog.
 * A 401/407 to any SUBSCRIBE is answered once with `WatchOptions.auth` (RFC 3261 §22.2).
 */
import { DEFAULT_BACKOFF } from '../../util/backoff.js';
import { SipHeaders, type SipRequest, type SipResponse } from '../grammar/message.js';
import { createResponse } from '../grammar/response.js';
import { parseDeltaSeconds } from '../grammar/headers.js';
import { Dialog } from '../dialog/dialog.js';
import type { ServerTransaction } from '../transaction/transaction-layer.js';
import type { SipTransport } from '../transport/sip-transport.js';
import { PresenceSubscriber, type SubscribeResponse, type SubscribeSend } from '../presence/subscriber.js';
import type { PresenceState } from '../presence/presence-state.js';
import { PIDF_CONTENT_TYPE } from '../presence/pidf.js';
import type { DigestClient, DigestCredentials } from './digest-client.js';
import { newCallId, newTag } from './ids.js';
import { digestFor, sendNonInvite } from './non-invite-request.js';
import type { DialogUser, SipRoute, UaCore } from './ua-core.js';

/** What a watch needs from the user agent beyond `UaCore`. */
export interface PresenceClientHost extends UaCore {
  readonly localUser: string;
  hostOf(t: SipTransport): string;
  defaultTransport(target: string): SipTransport;
}

/** How a watch reaches the peer, and as whom. */
export interface WatchOptions {
  /** Presence server URI the initial SUBSCRIBE is sent to (the target stays the Request-URI); default: the target itself. */
  server?: string;
  /** Our address of record for From (default `sip:<localUser>@<our host>`). */
  from?: string;
  /** Credentials for a 401/407 (RFC 3261 §22.2). */
  auth?: DigestCredentials;
}

/** Requested subscription length, s (RFC 3856 §6.4's default). */
export const WATCH_EXPIRES_S = 3600;

function numberOr(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDeltaSeconds(value, what);
  } catch {
    return undefined;
  }
}

export class PresenceWatch implements DialogUser {
  readonly subscriber: PresenceSubscriber;
  private dialog: Dialog | undefined;
  /** The last out-of-dialog SUBSCRIBE (its Call-ID and From tag identify the dialog to be). */
  private initial: SipRequest | undefined;
  private transport: SipTransport | undefined;
  private stopped = false;
  /** Answers challenges; kept across refreshes so they carry credentials at once. */
  private readonly digest: DigestClient | undefined;

  constructor(
    private readonly host: PresenceClientHost,
    readonly target: string,
    onPresence: (p: PresenceState | 'unknown') => void,
    private readonly opts: WatchOptions = {},
  ) {
    this.digest = digestFor(opts.auth);
    this.subscriber = new PresenceSubscriber({
      clock: host.clock,
      t1: host.timers.t1,
      expiresS: WATCH_EXPIRES_S,
      backoff: { ...DEFAULT_BACKOFF, initialMs: 5000, maxMs: 300_000 },
      send: (r) => this.send(r),
      onPresence,
    });
  }

  start(): void {
    this.subscriber.start();
  }

  /** Unsubscribe (Expires 0 in the dialog) and forget the dialog. */
  stop(): void {
    this.stopped = true;
    this.subscriber.stop();
    this.unbind();
  }

  /** Whether an out-of-dialog NOTIFY (no dialog matched) belongs to our pending SUBSCRIBE. */
  matchesOrphan(notify: SipRequest): boolean {
    const i = this.initial;
    if (!i || this.dialog) return false;
    return notify.headers.get('Call-ID') === i.headers.get('Call-ID') && toTagOf(notify) === fromTagOf(i);
  }

  /** A NOTIFY that overtook the 2xx: make the dialog from it (RFC 6665 §4.1.2.4), then take it. */
  onOrphanNotify(notify: SipRequest, tx: ServerTransaction, transport: SipTransport): void {
    const i = this.initial!;
    // The dialog as a 2xx carrying the NOTIFY's tag, Contact and route set would make it.
    const h = new SipHeaders();
    h.append('To', notify.headers.get('From') ?? '');
    const contact = notify.headers.get('Contact');
    if (contact !== undefined) h.append('Contact', contact);
    for (const rr of [...notify.headers.getAll('Record-Route')].reverse()) h.append('Record-Route', rr);
    const pseudo: SipResponse = { kind: 'response', version: 'SIP/2.0', status: 200, reason: 'OK', headers: h, body: Buffer.alloc(0) };
    this.transport ??= transport;
    this.bind(Dialog.asUac(i, pseudo, this.host.contact(this.transport), 'confirmed'));
    this.onInDialogRequest(notify, tx);
  }

  onInDialogRequest(req: SipRequest, tx: ServerTransaction): void {
    if (req.method !== 'NOTIFY') {
      tx.respond(createResponse(req, 405, 'Method Not Allowed', { headers: [['Allow', 'NOTIFY']] }));
      return;
    }
    this.dialog?.acceptRemoteCSeq(req);
    this.dialog?.refreshTarget(req);
    let answer: { status: number; reason: string };
    try {
      answer = this.subscriber.onNotify(req.headers.get('Subscription-State'), req.body, req.headers.get('Content-Type'));
    } catch {
      answer = { status: 400, reason: 'Bad Request: unreadable presence document' };
    }
    tx.respond(createResponse(req, answer.status, answer.reason));
    const s = this.subscriber.state;
    // The subscription (and so the dialog usage) is over, or a new dialog will be made.
    if (s === 'terminated' || s === 'retry-wait') this.unbind();
  }

  onAck(): void {
    // No INVITE in a subscription dialog.
  }

  onStray2xx(): void {
    // Likewise.
  }

  private bind(d: Dialog): void {
    this.unbind();
    this.dialog = d;
    this.host.bindDialog(d.key, this);
  }

  private unbind(): void {
    if (this.dialog) this.host.unbindDialog(this.dialog.key, this);
    this.dialog = undefined;
  }

  private headers(expiresS: number, transport: SipTransport): [string, string][] {
    return [
      ['Event', 'presence'],
      ['Expires', String(expiresS)],
      ['Accept', PIDF_CONTENT_TYPE],
      ['Contact', this.host.contact(transport)],
    ];
  }

  private send(r: SubscribeSend): void {
    if (!r.newDialog && this.dialog) {
      const d = this.dialog;
      this.route(d.routing().nextHop, (route) => d.createRequest('SUBSCRIBE', { via: this.host.via(route.transport), userAgent: this.host.userAgentName, headers: this.headers(r.expiresS, route.transport) }), d);
      if (r.expiresS === 0) this.unbind();
      return;
    }
    if (this.stopped) return;
    this.unbind();
    this.route(this.opts.server ?? this.target, (route) => this.newSubscribe(route.transport, r.expiresS), undefined);
  }

  private newSubscribe(transport: SipTransport, expiresS: number): SipRequest {
    const ourHost = this.host.hostOf(transport);
    const h = new SipHeaders();
    h.append('Via', this.host.via(transport));
    h.append('Max-Forwards', '70');
    h.append('From', `<${this.opts.from ?? `sip:${this.host.localUser}@${ourHost}`}>;tag=${newTag()}`);
    h.append('To', `<${this.target}>`);
    h.append('Call-ID', newCallId(ourHost));
    h.append('CSeq', '1 SUBSCRIBE');
    for (const [n, v] of this.headers(expiresS, transport)) h.append(n, v);
    h.append('User-Agent', this.host.userAgentName);
    h.append('Content-Length', '0');
    const req: SipRequest = { kind: 'request', method: 'SUBSCRIBE', uri: this.target, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
    this.initial = req;
    this.transport = transport;
    return req;
  }

  /**
   * Locate `uri`, build the request for the chosen route and send it; every outcome goes to the
   * subscriber. `dialog`: the dialog a refresh is sent in (its CSeq counts on through a resend);
   * undefined for an initial SUBSCRIBE.
   */
  private route(uri: string, build: (route: SipRoute) => SipRequest, dialog: Dialog | undefined): void {
    const initial = dialog === undefined;
    const fail = (status: number) => this.subscriber.onResponse({ status });
    let located: SipRoute[] | Promise<SipRoute[]>;
    try {
      located = this.host.locate(uri, initial ? undefined : this.transport);
    } catch {
      fail(503);
      return;
    }
    const go = (route: SipRoute) => {
      let req: SipRequest;
      try {
        req = build(route);
      } catch {
        fail(503);
        return;
      }
      // The request last sent for this SUBSCRIBE (the resent one after a challenge).
      let sent = req;
      try {
        sendNonInvite(
          this.host,
          req,
          route,
          {
            onResponse: (res) => {
              if (res.status < 200) return;
              if (initial && res.status < 300 && !this.dialog && this.initial === sent && !this.stopped) {
                this.bind(Dialog.asUac(sent, res, this.host.contact(route.transport), 'confirmed'));
              }
              this.subscriber.onResponse(responseFacts(res));
            },
            onTimeout: () => fail(408),
            onTransportError: () => fail(503),
          },
          {
            digest: this.digest,
            ...(dialog ? { nextCSeq: () => dialog.nextLocalSeq() } : {}),
            onResend: (again) => {
              // A NOTIFY overtaking the 2xx must find the dialog by the request that made it.
              if (this.initial === sent) this.initial = again;
              sent = again;
            },
          },
        );
      } catch {
        fail(503);
      }
    };
    if (Array.isArray(located)) go(located[0]!);
    else located.then((r) => go(r[0]!), () => fail(503));
  }
}

/** The status and the timing headers of a response to SUBSCRIBE or PUBLISH (unreadable values left out). */
export function responseFacts(res: SipResponse): SubscribeResponse {
  const out: SubscribeResponse = { status: res.status };
  const expires = numberOr(res.headers.get('Expires'), 'Expires');
  const minExpires = numberOr(res.headers.get('Min-Expires'), 'Min-Expires');
  const retryAfter = numberOr(res.headers.get('Retry-After')?.split(/[;(\s]/)[0], 'Retry-After');
  if (expires !== undefined) out.expires = expires;
  if (minExpires !== undefined) out.minExpires = minExpires;
  if (retryAfter !== undefined) out.retryAfter = retryAfter;
  return out;
}

function tagIn(value: string | undefined): string | undefined {
  return value === undefined ? undefined : /;\s*tag=([^;,\s]+)/i.exec(value)?.[1];
}

const toTagOf = (m: SipRequest) => tagIn(m.headers.get('To'));
const fromTagOf = (m: SipRequest) => tagIn(m.headers.get('From'));
