/**
 * One outgoing presence subscription (RFC 6665 §4.1, RFC 3856), e.g. to a phonebook entry. It does
 * no I/O: it asks the UA core to send a SUBSCRIBE through `send`, and is told the responses and the
 * NOTIFYs that arrive. States go through one guarded transition (the shared `StateMachine`); the
 * timers belong to the states:
 *
 *   idle ──start──▶ subscribing ──NOTIFY active/pending──▶ active / pending
 *     subscribing: Timer N (64·T1, §4.1.2.4) — no NOTIFY in time → retry-wait
 *     active/pending: refresh timer — a refresh SUBSCRIBE before the subscription expires
 *   retry-wait: a capped exponential back-off (or the server's retry-after) → subscribing
 *   terminated: the server does not support presence (489), refused for good (rejected,
 *               noresource, invariant: §4.1.3 "SHOULD NOT" retry), or `stop()`.
 *
 * Responses: 2xx → the granted Expires; 423 → retry at once with Min-Expires (§4.1.2.1);
 * 481 to a refresh → a new subscription (§4.1.2.2); 489 → terminated; anything else → back-off,
 * except that a failed refresh keeps the subscription until it really expires (§4.1.2.2).
 */
import type { Clock } from '../../util/clock.js';
import { backoffDelay, type BackoffOptions } from '../../util/backoff.js';
import { StateMachine, type EdgeTable } from '../transaction/state-machine.js';
import { parseSubscriptionState } from '../grammar/event-headers.js';
import { SipParseError } from '../grammar/parse-error.js';
import { parsePidf } from './pidf.js';
import { presenceFromPidf, type PresenceState } from './presence-state.js';

export type SubscriberState = 'idle' | 'subscribing' | 'active' | 'pending' | 'retry-wait' | 'terminated';

const EDGES: EdgeTable<SubscriberState> = {
  idle: ['subscribing', 'terminated'],
  subscribing: ['subscribing', 'active', 'pending', 'retry-wait', 'terminated'],
  active: ['active', 'pending', 'subscribing', 'retry-wait', 'terminated'],
  pending: ['pending', 'active', 'subscribing', 'retry-wait', 'terminated'],
  'retry-wait': ['subscribing', 'terminated'],
  terminated: [],
};

export interface SubscribeSend {
  expiresS: number;
  /** true: a new dialog (initial SUBSCRIBE, or after the old one ended); false: a refresh inside it. */
  newDialog: boolean;
}

export interface SubscriberOptions {
  clock: Clock;
  /** RFC 3261 T1 (ms), for Timer N. */
  t1: number;
  /** Requested duration (s); RFC 3856 §6.4's default is 3600. */
  expiresS: number;
  send: (req: SubscribeSend) => void;
  onPresence?: (state: PresenceState | 'unknown') => void;
  onStateChange?: (from: SubscriberState, to: SubscriberState) => void;
  backoff: BackoffOptions;
  /** Longest Min-Expires we accept from a 423 before giving the attempt up as a failure. */
  maxExpiresS?: number;
}

export interface SubscribeResponse {
  status: number;
  /** Parsed Expires of a 2xx. */
  expires?: number;
  /** Parsed Min-Expires of a 423. */
  minExpires?: number;
  /** Parsed Retry-After of a failure. */
  retryAfter?: number;
}

/** Refresh this long before expiry: a third of the interval, at most 32 s (enough for a SUBSCRIBE transaction to time out and retry). */
export function refreshDelayS(expiresS: number): number {
  return Math.max(0, expiresS - Math.min(32, expiresS / 3));
}

/** §4.1.3 reasons after which re-subscribing makes no sense. */
const FINAL_REASONS: ReadonlySet<string> = new Set(['rejected', 'noresource', 'invariant']);
/** §4.1.3 reasons that invite an immediate new subscription. */
const IMMEDIATE_REASONS: ReadonlySet<string> = new Set(['deactivated', 'timeout']);

export class PresenceSubscriber {
  private readonly sm: StateMachine<SubscriberState>;
  private expiresS: number;
  private attempt = 0;
  /** A SUBSCRIBE is out and its response not in: was it a refresh? */
  private refreshing = false;
  private expiresAtMs = 0;
  /** Expires of the 2xx to the initial SUBSCRIBE, until the first NOTIFY makes the subscription. */
  private pendingGrant: number | undefined;
  presence: PresenceState | 'unknown' = 'unknown';
  /** Why the subscription ended for good, once terminated. */
  endReason: string | undefined;

  constructor(private readonly o: SubscriberOptions) {
    this.expiresS = o.expiresS;
    this.sm = new StateMachine<SubscriberState>('presence-subscriber', 'idle', EDGES, o.clock, (from, to) => o.onStateChange?.(from, to));
  }

  get state(): SubscriberState {
    return this.sm.state;
  }

  start(): void {
    if (this.sm.state === 'idle') this.subscribe(true);
  }

  /** Unsubscribe (Expires: 0 in the dialog, §4.1.2.3) when there is a subscription; idempotent. */
  stop(): void {
    const s = this.sm.state;
    if (s === 'terminated') return;
    // Only a subscription with a dialog (a NOTIFY or a 2xx came) can be ended inside it.
    const hasDialog = s === 'active' || s === 'pending' || (s === 'subscribing' && this.pendingGrant !== undefined);
    if (hasDialog) this.o.send({ expiresS: 0, newDialog: false });
    this.end('stopped');
  }

  onResponse(r: SubscribeResponse): void {
    const s = this.sm.state;
    if (s !== 'subscribing' && s !== 'active' && s !== 'pending') return;
    const wasRefresh = this.refreshing;
    this.refreshing = false;
    if (r.status >= 200 && r.status < 300) {
      this.attempt = 0;
      const granted = r.expires ?? this.expiresS;
      this.expiresAtMs = this.o.clock.now() + granted * 1000;
      if (s !== 'subscribing') this.armRefresh(granted);
      else this.pendingGrant = granted;
      return;
    }
    if (r.status === 423 && r.minExpires !== undefined && r.minExpires <= (this.o.maxExpiresS ?? 86_400)) {
      // §4.1.2.1: retry with the server's minimum.
      // A 423 to the initial SUBSCRIBE made no dialog: start again; a 423 to a refresh: refresh again.
      this.expiresS = Math.max(this.expiresS, r.minExpires);
      this.subscribe(s === 'subscribing');
      return;
    }
    if (r.status === 489) return this.end('bad-event');
    if (wasRefresh && s !== 'subscribing') {
      if (r.status === 481) return this.subscribe(true);
      // §4.1.2.2: a refresh that failed otherwise leaves the subscription valid until it expires.
      const left = this.expiresAtMs - this.o.clock.now();
      const retryMs = Math.min(this.retryDelayMs(r.retryAfter), Math.max(0, left - 1000));
      this.sm.armTimer('refresh', retryMs, () => this.subscribe(false));
      this.sm.armTimer('expire', Math.max(0, left), () => this.waitRetry(undefined));
      return;
    }
    this.waitRetry(r.retryAfter);
  }

  /**
   * A NOTIFY in this subscription: returns the status to answer it with (200; 400 for a bad
   * Subscription-State; 481 when there is no subscription, RFC 6665 §4.1.3).
   */
  onNotify(subscriptionState: string | undefined, body: Buffer | string | undefined, contentType: string | undefined): { status: number; reason: string } {
    const s = this.sm.state;
    if (s === 'idle' || s === 'terminated' || s === 'retry-wait') return { status: 481, reason: 'Subscription Does Not Exist' };
    if (subscriptionState === undefined) return { status: 400, reason: 'Missing Subscription-State header' };
    let ss;
    try {
      ss = parseSubscriptionState(subscriptionState);
    } catch (e) {
      if (e instanceof SipParseError) return { status: 400, reason: e.message };
      throw e;
    }
    if (body !== undefined && body.length > 0 && (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/pidf+xml') {
      this.setPresence(presenceFromPidf(parsePidf(body)));
    }
    if (ss.state === 'terminated') {
      this.setPresence('unknown');
      const reason = ss.reason ?? '';
      if (FINAL_REASONS.has(reason)) this.end(reason);
      else if (IMMEDIATE_REASONS.has(reason) && ss.retryAfter === undefined) this.subscribeAfter(0);
      else this.waitRetry(ss.retryAfter);
      return { status: 200, reason: 'OK' };
    }
    const next = ss.state === 'pending' ? 'pending' : 'active';
    // §4.1.2.1: the NOTIFY's expires may shorten the subscription; never lengthen it past what was granted.
    // A NOTIFY may overtake the 2xx (§4.1.2.4): then the requested duration stands in for the grant.
    const known = this.pendingGrant ?? Math.max(0, Math.ceil((this.expiresAtMs - this.o.clock.now()) / 1000));
    let expires = known > 0 ? known : this.expiresS;
    if (ss.expires !== undefined) expires = Math.min(expires, ss.expires);
    this.pendingGrant = undefined;
    this.attempt = 0;
    this.sm.transition(next);
    this.expiresAtMs = this.o.clock.now() + expires * 1000;
    this.armRefresh(expires);
    return { status: 200, reason: 'OK' };
  }

  private armRefresh(expiresS: number): void {
    this.sm.armTimer('refresh', refreshDelayS(expiresS) * 1000, () => this.subscribe(false));
    this.sm.armTimer('expire', expiresS * 1000, () => this.waitRetry(undefined));
  }

  private subscribe(newDialog: boolean): void {
    if (this.sm.state === 'terminated') return;
    if (newDialog || this.sm.state === 'retry-wait' || this.sm.state === 'idle') {
      this.sm.transition('subscribing');
      this.pendingGrant = undefined;
      // §4.1.2.4 Timer N: no NOTIFY within 64·T1 of the SUBSCRIBE means the subscription failed.
      this.sm.armTimer('timer-n', 64 * this.o.t1, () => this.waitRetry(undefined));
      this.refreshing = false;
      this.o.send({ expiresS: this.expiresS, newDialog: true });
      return;
    }
    this.refreshing = true;
    this.o.send({ expiresS: this.expiresS, newDialog: false });
  }

  private subscribeAfter(ms: number): void {
    this.sm.transition('retry-wait');
    this.sm.armTimer('retry', ms, () => this.subscribe(true));
  }

  private waitRetry(retryAfterS: number | undefined): void {
    if (this.sm.state === 'terminated') return;
    this.setPresence('unknown');
    const delay = this.retryDelayMs(retryAfterS);
    this.attempt++;
    this.subscribeAfter(delay);
  }

  private retryDelayMs(retryAfterS: number | undefined): number {
    return retryAfterS !== undefined ? retryAfterS * 1000 : backoffDelay(this.attempt, this.o.backoff);
  }

  private end(reason: string): void {
    if (this.sm.state === 'terminated') return;
    this.endReason = reason;
    this.setPresence('unknown');
    this.sm.transition('terminated');
  }

  private setPresence(p: PresenceState | 'unknown'): void {
    if (p === this.presence) return;
    this.presence = p;
    this.o.onPresence?.(p);
  }
}
