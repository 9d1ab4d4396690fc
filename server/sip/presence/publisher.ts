/**
 * Publishing acip's own presence to a presence server (PUBLISH, RFC 3903), one entity. No I/O: the
 * UA core sends what `send` asks for (a PUBLISH with Expires, SIP-If-Match and an optional PIDF
 * body) and reports each final response. States go through one guarded transition (the shared
 * `StateMachine`); timers belong to the states.
 *
 *   idle ─start─▶ publishing ─2xx─▶ published ─refresh/modify─▶ publishing ...
 *   - Initial publication: a body, no SIP-If-Match (§4.2). The 2xx gives the SIP-ETag to use next.
 *   - Refresh before expiry: SIP-If-Match, no body (§4.4); modification on a presence change:
 *     SIP-If-Match and the new body (§4.3); removal on stop: SIP-If-Match, Expires 0 (§4.5).
 *   - One PUBLISH at a time (§4.1: a new one waits for the previous one's final response); a change
 *     meanwhile is sent when the response arrives.
 *   - 412 Conditional Request Failed (§6 step 4: the server lost the entity tag) → initial
 *     publication again; 423 → again with Min-Expires; 489 → the server has no presence: stop
 *     for good; other failures → capped exponential back-off, or the Retry-After given.
 */
import type { Clock } from '../../util/clock.js';
import { backoffDelay, type BackoffOptions } from '../../util/backoff.js';
import { StateMachine, type EdgeTable } from '../transaction/state-machine.js';
import { presenceDocument, type PresenceState } from './presence-state.js';
import { refreshDelayS } from './subscriber.js';

export type PublisherState = 'idle' | 'publishing' | 'published' | 'retry-wait' | 'terminated';

const EDGES: EdgeTable<PublisherState> = {
  idle: ['publishing', 'terminated'],
  publishing: ['published', 'publishing', 'retry-wait', 'terminated'],
  published: ['publishing', 'terminated'],
  'retry-wait': ['publishing', 'terminated'],
  terminated: [],
};

export interface PublishSend {
  expiresS: number;
  /** SIP-If-Match (RFC 3903 §11.3.2): the entity tag of the publication this one refreshes, modifies or removes. */
  ifMatch?: string;
  /** application/pidf+xml; absent for a refresh or a removal. */
  body?: string;
}

export interface PublishResponse {
  status: number;
  /** SIP-ETag of a 2xx (RFC 3903 §11.3.1). */
  etag?: string;
  expires?: number;
  minExpires?: number;
  retryAfter?: number;
}

export interface PublisherOptions {
  clock: Clock;
  /** Presentity URI for the PIDF entity (acip's AOR). */
  entity: string;
  expiresS: number;
  send: (req: PublishSend) => void;
  backoff: BackoffOptions;
  onStateChange?: (from: PublisherState, to: PublisherState) => void;
}

type Kind = 'initial' | 'refresh' | 'modify';

export class PresencePublisher {
  private readonly sm: StateMachine<PublisherState>;
  private etag: string | undefined;
  private expiresS: number;
  private presence: PresenceState = 'closed';
  /** The presence changed while a PUBLISH was in flight. */
  private dirty = false;
  private attempt = 0;
  endReason: string | undefined;

  constructor(private readonly o: PublisherOptions) {
    this.expiresS = o.expiresS;
    this.sm = new StateMachine<PublisherState>('presence-publisher', 'idle', EDGES, o.clock, (from, to) => o.onStateChange?.(from, to));
  }

  get state(): PublisherState {
    return this.sm.state;
  }

  get entityTag(): string | undefined {
    return this.etag;
  }

  start(presence: PresenceState): void {
    this.presence = presence;
    if (this.sm.state === 'idle') this.publish('initial');
  }

  setPresence(presence: PresenceState): void {
    if (presence === this.presence) return;
    this.presence = presence;
    const s = this.sm.state;
    if (s === 'published') this.publish('modify');
    else if (s === 'publishing') this.dirty = true;
    // idle / retry-wait: the next initial publication carries the new state; terminated: nothing.
  }

  onResponse(r: PublishResponse): void {
    if (this.sm.state !== 'publishing') return;
    if (r.status >= 200 && r.status < 300) {
      this.attempt = 0;
      if (r.etag !== undefined) this.etag = r.etag;
      const granted = r.expires ?? this.expiresS;
      this.sm.transition('published');
      this.sm.armTimer('refresh', refreshDelayS(granted) * 1000, () => this.publish('refresh'));
      if (this.dirty) {
        this.dirty = false;
        this.publish('modify');
      }
      return;
    }
    this.dirty = false;
    if (r.status === 412) {
      // §6: the server does not know our entity tag (it restarted, or the publication expired).
      this.etag = undefined;
      return this.publish('initial');
    }
    if (r.status === 423 && r.minExpires !== undefined && r.minExpires > this.expiresS) {
      this.expiresS = r.minExpires;
      return this.publish(this.etag === undefined ? 'initial' : 'modify');
    }
    if (r.status === 489) return this.end('bad-event');
    this.etag = undefined;
    const delay = r.retryAfter !== undefined ? r.retryAfter * 1000 : backoffDelay(this.attempt, this.o.backoff);
    this.attempt++;
    this.sm.transition('retry-wait');
    this.sm.armTimer('retry', delay, () => this.publish('initial'));
  }

  /** Remove the publication (§4.5: Expires 0 with SIP-If-Match) and stop. Idempotent. */
  stop(): void {
    if (this.sm.state === 'terminated') return;
    if (this.etag !== undefined && (this.sm.state === 'published' || this.sm.state === 'publishing')) {
      this.o.send({ expiresS: 0, ifMatch: this.etag });
    }
    this.end('stopped');
  }

  private publish(kind: Kind): void {
    const req: PublishSend = { expiresS: this.expiresS };
    if (kind !== 'initial' && this.etag !== undefined) req.ifMatch = this.etag;
    if (kind !== 'refresh' || this.etag === undefined) req.body = presenceDocument(this.presence, this.o.entity);
    this.sm.transition('publishing');
    this.o.send(req);
  }

  private end(reason: string): void {
    this.endReason = reason;
    this.sm.transition('terminated');
  }
}
