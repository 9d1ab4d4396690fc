/**
 * acip as a presence notifier (RFC 6665 §4.2, RFC 3856): the SIP side of `PresenceNotifier`. A
 * SUBSCRIBE outside any dialog creates a subscription dialog (RFC 6665 §4.1.2.2: the 200 and the
 * NOTIFYs carry our To tag); refreshes and unsubscribes arrive inside it. Each NOTIFY is an
 * in-dialog request built from that dialog (route set, remote target, next CSeq) and its outcome
 * goes back to the notifier (481 and 408 end the subscription, §4.2.2).
 *
 * The notifier decides everything (which status, which NOTIFY, the bounds per source); this file
 * only turns its verdicts into messages. NOTIFYs the notifier asks for while a SUBSCRIBE is being
 * answered are held until the response is sent, so the 200 always leaves first (§4.2.1.2).
 */
import { createResponse } from '../grammar/response.js';
import type { SipRequest, SipResponse } from '../grammar/message.js';
import { parseEvent } from '../grammar/event-headers.js';
import { splitHeaderList } from '../grammar/headers.js';
import { Dialog, dialogKey } from '../dialog/dialog.js';
import type { ServerTransaction } from '../transaction/transaction-layer.js';
import type { InboundInfo, SipTransport } from '../transport/sip-transport.js';
import { PRESENCE_EVENT, PresenceNotifier, type NotifierLimits, type NotifyContent, type SubscribeVerdict } from '../presence/notifier.js';
import type { PresenceState } from '../presence/presence-state.js';
import type { Clock } from '../../util/clock.js';
import { newTag } from './ids.js';
import type { DialogUser, SipRoute, UaCore } from './ua-core.js';
import { senderOf } from './text-message.js';

/** The package a SUBSCRIBE may ask for (RFC 6665 §8.2.2); `refer` subscriptions exist only through REFER. */
const ALLOW_EVENTS = PRESENCE_EVENT;

/** One subscription dialog: where its NOTIFYs go. */
class SubscriptionDialog implements DialogUser {
  constructor(
    readonly server: PresenceServer,
    readonly dialog: Dialog,
    readonly transport: SipTransport,
    readonly connectionId: string | undefined,
    readonly source: string,
  ) {}

  onInDialogRequest(req: SipRequest, tx: ServerTransaction): void {
    this.server.onInDialog(this, req, tx);
  }

  onAck(): void {
    // No INVITE in a subscription dialog: a stray ACK is dropped.
  }

  onStray2xx(): void {
    // Likewise.
  }
}

export interface PresenceServerOptions {
  core: UaCore;
  clock: Clock;
  /** Our presentity URI (the PIDF `entity`). */
  entity: string;
  initialState?: PresenceState;
  limits?: Partial<NotifierLimits>;
  /** Our Contact over a transport (NOTIFY is a target-refresh request, RFC 6665 §4.1.3). */
  contact: (t: SipTransport) => string;
}

export class PresenceServer {
  readonly notifier: PresenceNotifier;
  private readonly dialogs = new Map<string, SubscriptionDialog>();
  /** NOTIFYs held while a SUBSCRIBE is being answered. */
  private held: NotifyContent[] | undefined;

  constructor(private readonly o: PresenceServerOptions) {
    this.notifier = new PresenceNotifier({
      clock: o.clock,
      entity: o.entity,
      initialState: o.initialState ?? 'open',
      limits: o.limits ?? {},
      sendNotify: (n) => (this.held ? this.held.push(n) : this.notify(n)),
    });
  }

  /** Subscriptions alive. */
  get size(): number {
    return this.notifier.size;
  }

  /** Our presence changed: every active watcher gets a NOTIFY. */
  setPresence(state: PresenceState): void {
    this.notifier.setPresence(state);
  }

  /** A SUBSCRIBE outside any dialog (admitted, headers checked): answer it, and NOTIFY at once when accepted. */
  onSubscribe(req: SipRequest, tx: ServerTransaction, info: InboundInfo): void {
    const localTag = newTag();
    const d = new SubscriptionDialog(this, Dialog.asUas(req, localTag, this.o.contact(info.transport), 'confirmed'), info.transport, info.connectionId, info.remote.address);
    const key = subscriptionKey(d.dialog, req);
    this.dialogs.set(key, d);
    this.answer(req, tx, d, key, false, localTag);
  }

  /** A request inside a subscription dialog: SUBSCRIBE refreshes or ends it; anything else is not ours. */
  onInDialog(d: SubscriptionDialog, req: SipRequest, tx: ServerTransaction): void {
    if (!d.dialog.acceptRemoteCSeq(req)) {
      tx.respond(createResponse(req, 500, 'Server Internal Error: CSeq out of order'));
      return;
    }
    if (req.method !== 'SUBSCRIBE') {
      tx.respond(createResponse(req, 405, 'Method Not Allowed', { headers: [['Allow', 'SUBSCRIBE']] }));
      return;
    }
    d.dialog.refreshTarget(req);
    this.answer(req, tx, d, subscriptionKey(d.dialog, req), true);
  }

  /** Stop: every watcher gets a final NOTIFY (`deactivated`, RFC 6665 §4.1.3: subscribe again later). */
  close(): void {
    this.notifier.close();
  }

  private answer(req: SipRequest, tx: ServerTransaction, d: SubscriptionDialog, key: string, inDialog: boolean, toTag?: string): void {
    this.held = [];
    let verdict: SubscribeVerdict;
    try {
      verdict = this.notifier.onSubscribe({
        key,
        source: d.source,
        subscriber: senderOf(req)?.uri ?? '',
        event: req.headers.get('Event'),
        expires: req.headers.get('Expires'),
        accept: acceptTypes(req),
        inDialog,
      });
    } catch {
      verdict = { status: 400, reason: 'Bad Request' };
    }
    const held = this.held;
    this.held = undefined;
    tx.respond(responseFor(req, verdict, this.o.contact(d.transport), toTag));
    // A refused SUBSCRIBE outside a dialog leaves no dialog behind.
    if (verdict.status !== 200 && !inDialog) this.forget(key);
    for (const n of held) this.notify(n);
  }

  private forget(key: string): void {
    const d = this.dialogs.get(key);
    if (!d) return;
    this.dialogs.delete(key);
    // The dialog goes once no subscription of it is left (one per dialog here: the Event id is part of the key).
    if (![...this.dialogs.values()].some((x) => x.dialog.key === d.dialog.key)) this.o.core.unbindDialog(d.dialog.key, d);
  }

  private notify(n: NotifyContent): void {
    const d = this.dialogs.get(n.key);
    if (!d) return;
    // Bound before the first NOTIFY goes out, so an in-dialog refresh finds it.
    if (!n.terminal) this.o.core.bindDialog(d.dialog.key, d);
    else this.forget(n.key);
    const done = (status: number) => {
      this.notifier.onNotifyResult(n.key, status);
      if (this.notifier.stateOf(n.key) === undefined) this.forget(n.key);
    };
    let located: SipRoute[] | Promise<SipRoute[]>;
    try {
      located = this.o.core.locate(d.dialog.routing().nextHop, d.transport, d.connectionId);
    } catch {
      done(408);
      return;
    }
    const send = (route: SipRoute) => {
      try {
        const req = d.dialog.createRequest('NOTIFY', {
          via: this.o.core.via(route.transport),
          userAgent: this.o.core.userAgentName,
          headers: [
            ['Event', n.event],
            ['Subscription-State', n.subscriptionState],
            ['Contact', this.o.contact(route.transport)],
          ],
          ...(n.body ? { body: n.body.text, contentType: n.body.contentType } : {}),
        });
        this.o.core.sendRequest(req, route, {
          onResponse: (res: SipResponse) => {
            if (res.status >= 200) done(res.status);
          },
          onTimeout: () => done(408),
          onTransportError: () => done(408),
        });
      } catch {
        done(408);
      }
    };
    if (Array.isArray(located)) send(located[0]!);
    else located.then((r) => send(r[0]!), () => done(408));
  }
}

/** RFC 6665 §4.1.2.3: a subscription is its dialog plus the Event type and id. */
function subscriptionKey(d: Dialog, req: SipRequest): string {
  let id = '';
  try {
    id = parseEvent(req.headers.get('Event') ?? '').id ?? '';
  } catch {
    // The notifier answers a bad Event with 400.
  }
  return `${dialogKey(d.id)}\u0000${id}`;
}

function acceptTypes(req: SipRequest): string[] {
  const out: string[] = [];
  for (const line of req.headers.getAll('Accept')) {
    try {
      for (const r of splitHeaderList(line, 'Accept')) if (r !== '') out.push(r.split(';')[0]!.trim().toLowerCase());
    } catch {
      // An unparsable Accept names nothing.
    }
  }
  return out;
}

/** The response for a verdict, with the headers RFC 6665 §4.2.1 asks for. */
function responseFor(req: SipRequest, v: SubscribeVerdict, contact: string, toTag: string | undefined): SipResponse {
  const headers: [string, string][] = [['Allow-Events', ALLOW_EVENTS]];
  const reason = v.status === 200 ? 'OK' : v.reason;
  if (v.status === 200) headers.push(['Expires', String(v.expires)], ['Contact', contact]);
  else if (v.status === 423) headers.push(['Min-Expires', String(v.minExpires)]);
  else if (v.status === 406) headers.push(['Accept', v.accept]);
  else if (v.status === 503) headers.push(['Retry-After', String(v.retryAfter)]);
  // A refusal outside a dialog gets a To tag of its own; a 200 gets the dialog's.
  return createResponse(req, v.status, reason, { ...(toTag !== undefined ? { toTag: v.status === 200 ? toTag : newTag() } : {}), headers });
}
