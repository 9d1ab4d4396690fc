/**
 * The notifier side of presence subscriptions (RFC 6665 §4.2, RFC 3856): answers SUBSCRIBE for
 * acip's own presence and says which NOTIFY to send when. It does no I/O: the UA core hands it the
 * request's facts, sends the response it returns, and sends the NOTIFYs it asks for through
 * `sendNotify`, reporting their outcome back with `onNotifyResult`.
 *
 * Each subscription is a small state machine (pending → active → terminated, through the shared
 * guarded `StateMachine`); its expiry timer belongs to its state.
 *
 *   - Event must be `presence` (RFC 3856 §6.3), else 489 with Allow-Events (RFC 6665 §4.2.1.1).
 *   - Expires below the minimum (and not 0) → 423 with Min-Expires; above the maximum is lowered;
 *     absent → the package default, 3600 s (RFC 3856 §6.4). The 200 carries the granted value.
 *   - Accept without application/pidf+xml → 406 (RFC 3856 §6.7).
 *   - A NOTIFY follows every accepted SUBSCRIBE at once, refreshes included (RFC 6665 §4.2.1.2);
 *     Expires 0 ends the subscription with a final NOTIFY (§4.2.1.4).
 *   - At expiry: NOTIFY `terminated;reason=timeout` and forget the subscription (§4.2.2).
 *   - A NOTIFY answered with 481 or 408, or never answered, removes the subscription (§4.2.2).
 *   - The number of subscriptions is bounded per source and in total (503 with Retry-After past
 *     either bound), so a SUBSCRIBE flood cannot grow memory or fan out NOTIFYs without end.
 */
import type { Clock } from '../../util/clock.js';
import { StateMachine, type EdgeTable } from '../transaction/state-machine.js';
import { formatSubscriptionState, parseEvent, type EventReason } from '../grammar/event-headers.js';
import { parseDeltaSeconds } from '../grammar/headers.js';
import { SipParseError } from '../grammar/parse-error.js';
import { PIDF_CONTENT_TYPE } from './pidf.js';
import { presenceDocument, type PresenceState } from './presence-state.js';

export type SubscriptionStateName = 'pending' | 'active' | 'terminated';

const EDGES: EdgeTable<SubscriptionStateName> = {
  pending: ['pending', 'active', 'terminated'],
  active: ['active', 'terminated'],
  terminated: [],
};

export const PRESENCE_EVENT = 'presence';

export interface NotifierLimits {
  /** Shortest subscription accepted (RFC 6665 §4.2.1.1: 423 below it). */
  minExpiresS: number;
  /** Longest subscription granted (larger requests are lowered). */
  maxExpiresS: number;
  /** RFC 3856 §6.4: 3600 s when the SUBSCRIBE has no Expires. */
  defaultExpiresS: number;
  maxPerSource: number;
  maxTotal: number;
  /** Retry-After of the 503 sent past a bound. */
  retryAfterS: number;
}

export const DEFAULT_NOTIFIER_LIMITS: Readonly<NotifierLimits> = Object.freeze({
  minExpiresS: 60,
  maxExpiresS: 3600,
  defaultExpiresS: 3600,
  maxPerSource: 8,
  maxTotal: 256,
  retryAfterS: 60,
});

export interface SubscribeRequest {
  /** Identifies the subscription: dialog id plus Event id (the UA builds it; RFC 6665 §4.1.2.3). */
  key: string;
  /** Who asked (the source address or the authenticated identity) for the per-source bound. */
  source: string;
  /** The subscriber's AOR (From URI), for `authorize`. */
  subscriber: string;
  /** Raw Event header value, undefined when absent. */
  event: string | undefined;
  /** Raw Expires header value, undefined when absent. */
  expires: string | undefined;
  /** Media types of the Accept header values (parameters stripped), [] when absent. */
  accept: readonly string[];
  /** The SUBSCRIBE came inside an existing dialog (it has a To tag). */
  inDialog: boolean;
}

export type SubscribeVerdict =
  | { status: 200; expires: number; key: string }
  | { status: 400; reason: string }
  | { status: 403; reason: string }
  | { status: 406; reason: string; accept: string }
  | { status: 423; reason: string; minExpires: number }
  | { status: 481; reason: string }
  | { status: 489; reason: string; allowEvents: string }
  | { status: 503; reason: string; retryAfter: number };

export interface NotifyContent {
  key: string;
  /** Subscription-State header value (RFC 6665 §8.2.3). */
  subscriptionState: string;
  /** Event header value (RFC 6665 §8.2.1). */
  event: string;
  body?: { contentType: string; text: string };
  /** The last NOTIFY of this subscription: the dialog usage ends once it is sent. */
  terminal: boolean;
}

export type Authorization = 'active' | 'pending' | 'rejected';

export interface NotifierOptions {
  clock: Clock;
  /** The presentity URI that goes into every PIDF `entity`. */
  entity: string;
  initialState: PresenceState;
  sendNotify: (notify: NotifyContent) => void;
  /** RFC 3856 §6.6: the notifier authorizes watchers; the default accepts everyone. */
  authorize?: (subscriber: string) => Authorization;
  limits?: Partial<NotifierLimits>;
}

interface Subscription {
  key: string;
  source: string;
  subscriber: string;
  sm: StateMachine<SubscriptionStateName>;
  expiresAtMs: number;
}

export class PresenceNotifier {
  private readonly subs = new Map<string, Subscription>();
  private readonly perSource = new Map<string, number>();
  private readonly limits: NotifierLimits;
  private state: PresenceState;
  private closed = false;

  constructor(private readonly o: NotifierOptions) {
    this.limits = { ...DEFAULT_NOTIFIER_LIMITS, ...o.limits };
    this.state = o.initialState;
  }

  get size(): number {
    return this.subs.size;
  }

  stateOf(key: string): SubscriptionStateName | undefined {
    return this.subs.get(key)?.sm.state;
  }

  onSubscribe(req: SubscribeRequest): SubscribeVerdict {
    const L = this.limits;
    if (req.event === undefined) return { status: 400, reason: 'Missing Event header' };
    let expires: number;
    try {
      const ev = parseEvent(req.event);
      if (ev.package !== PRESENCE_EVENT || ev.templates.length > 0) return { status: 489, reason: 'Bad Event', allowEvents: PRESENCE_EVENT };
      expires = req.expires === undefined ? L.defaultExpiresS : parseDeltaSeconds(req.expires);
    } catch (e) {
      if (e instanceof SipParseError) return { status: 400, reason: e.message };
      throw e;
    }
    if (req.accept.length > 0 && !req.accept.some(acceptsPidf)) return { status: 406, reason: 'Not Acceptable', accept: PIDF_CONTENT_TYPE };
    if (expires !== 0 && expires < L.minExpiresS) return { status: 423, reason: 'Interval Too Brief', minExpires: L.minExpiresS };
    expires = Math.min(expires, L.maxExpiresS);

    const existing = this.subs.get(req.key);
    if (existing) return this.refresh(existing, expires);
    // RFC 6665 §4.2.1.2 / RFC 3261 §12.2.2: an in-dialog SUBSCRIBE for no subscription we know.
    if (req.inDialog) return { status: 481, reason: 'Subscription Does Not Exist' };
    if (this.closed) return { status: 503, reason: 'Shutting down', retryAfter: L.retryAfterS };
    const auth = this.o.authorize?.(req.subscriber) ?? 'active';
    if (auth === 'rejected') return { status: 403, reason: 'Forbidden' };
    if (this.subs.size >= L.maxTotal) return { status: 503, reason: 'Too many subscriptions', retryAfter: L.retryAfterS };
    if ((this.perSource.get(req.source) ?? 0) >= L.maxPerSource) return { status: 503, reason: 'Too many subscriptions from this source', retryAfter: L.retryAfterS };

    if (expires === 0) {
      // A fetch (RFC 6665 §4.4.3): one NOTIFY with the state, and no subscription.
      this.o.sendNotify(this.content(req.key, 'terminated', 0, 'timeout', auth === 'active'));
      return { status: 200, expires: 0, key: req.key };
    }
    const sub: Subscription = {
      key: req.key,
      source: req.source,
      subscriber: req.subscriber,
      expiresAtMs: 0,
      sm: new StateMachine<SubscriptionStateName>(`presence ${req.key}`, 'pending', EDGES, this.o.clock, () => {}),
    };
    this.subs.set(sub.key, sub);
    this.perSource.set(sub.source, (this.perSource.get(sub.source) ?? 0) + 1);
    this.enter(sub, auth === 'active' ? 'active' : 'pending', expires);
    return { status: 200, expires, key: sub.key };
  }

  /** RFC 3856 §6.6: a pending watcher was approved; it becomes active and gets the state. */
  approve(key: string): boolean {
    const sub = this.subs.get(key);
    if (!sub || sub.sm.state !== 'pending') return false;
    this.enter(sub, 'active', this.remainingS(sub));
    return true;
  }

  /** acip's presence changed: every active watcher gets a NOTIFY (RFC 6665 §4.2.2). */
  setPresence(state: PresenceState): void {
    if (state === this.state) return;
    this.state = state;
    for (const sub of this.subs.values()) {
      if (sub.sm.state === 'active') this.o.sendNotify(this.content(sub.key, 'active', this.remainingS(sub), undefined, true));
    }
  }

  get presence(): PresenceState {
    return this.state;
  }

  /** RFC 6665 §4.2.2: a NOTIFY answered 481 or 408, or unanswered (pass 408), ends the subscription. */
  onNotifyResult(key: string, status: number): void {
    if (status === 481 || status === 408) this.remove(key);
  }

  /** Stop: every subscription gets a final NOTIFY with `reason` (default deactivated, §4.1.3: re-subscribe later). Idempotent. */
  close(reason: EventReason = 'deactivated'): void {
    if (this.closed) return;
    this.closed = true;
    for (const sub of [...this.subs.values()]) this.terminate(sub, reason);
  }

  private refresh(sub: Subscription, expires: number): SubscribeVerdict {
    if (expires === 0) {
      // §4.2.1.4: unsubscribe. The final NOTIFY says the subscription is over.
      this.terminate(sub, 'timeout');
      return { status: 200, expires: 0, key: sub.key };
    }
    this.enter(sub, sub.sm.state === 'active' ? 'active' : 'pending', expires);
    return { status: 200, expires, key: sub.key };
  }

  private enter(sub: Subscription, to: 'active' | 'pending', expiresS: number): void {
    sub.sm.transition(to);
    sub.expiresAtMs = this.o.clock.now() + expiresS * 1000;
    sub.sm.armTimer('expire', expiresS * 1000, () => this.terminate(sub, 'timeout'));
    this.o.sendNotify(this.content(sub.key, to, expiresS, undefined, to === 'active'));
  }

  private terminate(sub: Subscription, reason: EventReason): void {
    if (sub.sm.state === 'terminated') return;
    const hadState = sub.sm.state === 'active';
    sub.sm.transition('terminated');
    this.forget(sub);
    this.o.sendNotify(this.content(sub.key, 'terminated', 0, reason, hadState));
  }

  private remove(key: string): void {
    const sub = this.subs.get(key);
    if (!sub) return;
    if (sub.sm.state !== 'terminated') sub.sm.transition('terminated');
    this.forget(sub);
  }

  private forget(sub: Subscription): void {
    if (this.subs.get(sub.key) !== sub) return;
    this.subs.delete(sub.key);
    const n = (this.perSource.get(sub.source) ?? 1) - 1;
    if (n <= 0) this.perSource.delete(sub.source);
    else this.perSource.set(sub.source, n);
  }

  private remainingS(sub: Subscription): number {
    return Math.max(0, Math.ceil((sub.expiresAtMs - this.o.clock.now()) / 1000));
  }

  /** A pending or unauthorized watcher gets no presence document (RFC 3856 §6.6.2: no state before authorization). */
  private content(key: string, state: SubscriptionStateName, expiresS: number, reason: EventReason | undefined, withBody: boolean): NotifyContent {
    const subscriptionState =
      state === 'terminated' ? formatSubscriptionState({ state, ...(reason !== undefined ? { reason } : {}) }) : formatSubscriptionState({ state, expires: expiresS });
    const out: NotifyContent = { key, subscriptionState, event: PRESENCE_EVENT, terminal: state === 'terminated' };
    if (withBody) out.body = { contentType: PIDF_CONTENT_TYPE, text: presenceDocument(this.state, this.o.entity) };
    return out;
  }
}

/** An Accept media range that covers application/pidf+xml. */
function acceptsPidf(range: string): boolean {
  const r = range.split(';')[0]!.trim().toLowerCase();
  return r === PIDF_CONTENT_TYPE || r === 'application/*' || r === '*/*';
}
