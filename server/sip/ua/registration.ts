/**
 * REGISTER as a client (RFC 3261 §10.2) with digest authentication (§22, RFC 7616/8760),
 * 423 Interval Too Brief handling (§10.2.8), refresh before expiry, and retry after failure.
 *
 * Over TLS: a `sips:` registrar (or `;transport=tls`) is reached over the TLS transport; with
 * `sips:` the Contact we register is a `sips:` URI as well (§8.1.1.8), so the registrar's proxy
 * reaches us over TLS only.
 *
 * Refresh policy (RFC 5626 §4.4.1 gives it for flows; we use it for every binding): with a granted
 * interval of more than 1200 s, refresh 600 s before expiry; otherwise refresh halfway through.
 *
 * The registrar is located per RFC 3263 at the start of every attempt (the resolver caches by
 * TTL); a timeout, transport error or 503 moves the attempt on to the next target (§4.3).
 *
 * Retry policy (so that a registrar that was down comes back without an operator):
 * - Transient failures — no answer (408), transport error, DNS failure, 480, any 5xx — are
 *   retried with the RFC 5626 §4.5 backoff: wait-time = min(max-time, base-time · 2^failures),
 *   the delay a random value between 50 % and 100 % of it; base-time 30 s (§4.5's value when all
 *   flows failed, we have one), max-time 1800 s. This is the shared `backoffDelay` in its 'down'
 *   jitter mode with jitter 0.5 (`registrationBackoff`).
 * - Rejections only an operator can fix — credentials refused (401/407 after our answer to the
 *   challenge), 403, 404, other 4xx, 6xx, a 2xx that grants no binding — are retried too, but
 *   only after `rejectedSeconds` (default max-time, 1800 s, with the same 50–100 % jitter).
 *   Decision: broadcast codecs must come back unattended once the account is fixed at the
 *   registrar, and one attempt per 15–30 min is too slow to trip a registrar's brute-force lockout.
 * - A Retry-After in the failure response (§20.33) replaces the computed delay, bounded to
 *   [1 s, max-time].
 * The consecutive-failure count is reset by a success. `retry: false` restores "fail and stop".
 */
import { backoffDelay, type BackoffOptions } from '../../util/backoff.js';
import type { TimerHandle } from '../../util/clock.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { SipHeaders, type SipRequest, type SipResponse } from '../grammar/message.js';
import { parseDeltaSeconds, splitHeaderList } from '../grammar/headers.js';
import { parseNameAddr } from '../grammar/uri.js';
import type { RandomSource } from '../transport/srv-order.js';
import { DigestClient } from './digest-client.js';
import { newCallId, newTag } from './ids.js';
import { routeFailure } from './route-failure.js';
import type { SipRoute, UaCore } from './ua-core.js';

export interface RegistrationRetryOptions {
  /** RFC 5626 §4.5 base-time in seconds (default 30). */
  baseSeconds?: number;
  /** RFC 5626 §4.5 max-time in seconds (default 1800). */
  maxSeconds?: number;
  /** Upper delay after a rejection (wrong password, 403, 404…), in seconds (default max-time). */
  rejectedSeconds?: number;
  /** In [0, 1), for the 50–100 % jitter (default Math.random). */
  random?: RandomSource;
}

export interface RegisterOptions {
  /** Registrar URI, e.g. `sip:127.0.0.1:5060`, `sip:registrar.example;transport=tcp` or `sip:example.net` (SRV). */
  registrar: string;
  /** Address of record, e.g. `sip:alice@example.org`. */
  aor: string;
  username?: string;
  password?: string;
  /** Requested binding lifetime in seconds (default 3600). */
  expires?: number;
  /** Retry after failure (see the module comment); `false`: report the failure and stop. */
  retry?: RegistrationRetryOptions | false;
}

export type RegistrationState = 'registering' | 'registered' | 'failed' | 'unregistering' | 'unregistered';

export interface RegistrationFailure {
  status: number;
  reason: string;
  /** Failures in a row, this one included. */
  consecutiveFailures: number;
  /** Seconds until the next attempt; absent when retries are off. */
  retryInSeconds?: number;
}

export type RegistrationEvents = {
  registered: [{ expires: number; refreshInSeconds: number }];
  failed: [RegistrationFailure];
  unregistered: [];
};

/** Seconds before the binding is refreshed (see the module comment). */
export function refreshDelaySeconds(granted: number): number {
  return granted > 1200 ? granted - 600 : granted / 2;
}

/**
 * RFC 5626 §4.5 as the shared backoff: wait-time = min(max-time, base-time · 2^consecutive-failures),
 * then "a random number between 50% and 100% of wait-time" (the 'down' jitter mode, jitter 0.5).
 * `backoffDelay(consecutiveFailures, registrationBackoff(...))` is the retry delay in ms.
 */
export function registrationBackoff(baseSeconds: number, maxSeconds: number, random: RandomSource): BackoffOptions {
  return { initialMs: baseSeconds * 1000, maxMs: maxSeconds * 1000, factor: 2, jitter: 0.5, jitterMode: 'down', random };
}

export type RetryKind = 'backoff' | 'rejected';

/** Which delay a failure gets (module comment): `local` failures never reached a registrar. */
export function retryKind(status: number, local: boolean): RetryKind {
  if (local) return 'backoff';
  if (status === 408 || status === 480 || (status >= 500 && status < 600)) return 'backoff';
  return 'rejected';
}

/** How many times a registration attempt follows 401/407 or 423 before giving up. */
const MAX_ROUNDS = 4;

interface Failure {
  status: number;
  reason: string;
  /** Raised here (timeout, transport, DNS), not answered by a registrar. */
  local: boolean;
  /** Seconds from a Retry-After header. */
  retryAfter?: number;
}

export class Registration extends TypedEmitter<RegistrationEvents> {
  private stateValue: RegistrationState = 'registering';
  private readonly callId: string;
  private readonly fromTag = newTag();
  private cseq = 0;
  private requested: number;
  private granted = 0;
  private refreshTimer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private nextRetryAtValue: number | undefined;
  private failures = 0;
  private lastFailureValue: { status: number; reason: string } | undefined;
  private readonly digest: DigestClient | undefined;
  /** RFC 3263 targets of the current attempt, and the one in use. */
  private routes: SipRoute[] = [];
  private routeIndex = 0;
  /** The Contact we sent last (the one whose binding we look for in the 2xx). */
  private sentContact = '';
  /** Bumped by every new attempt: answers to an older one are ignored. */
  private generation = 0;
  private closed = false;
  /** Number of REGISTER requests sent (for tests and logs). */
  sentCount = 0;
  /** The registrar is a sips: URI: every hop is TLS and our Contact is a sips: URI too. */
  private readonly secure: boolean;

  constructor(
    private readonly core: UaCore,
    private readonly opts: RegisterOptions,
    host: string,
  ) {
    super();
    this.onListenerError = (event, err) => core.logger.error({ event, err: String(err) }, 'registration listener threw');
    this.callId = newCallId(host);
    this.requested = opts.expires ?? 3600;
    this.secure = /^sips:/i.test(opts.registrar.trim());
    this.digest = opts.username !== undefined && opts.password !== undefined ? new DigestClient({ username: opts.username, password: opts.password }) : undefined;
  }

  get state(): RegistrationState {
    return this.stateValue;
  }

  /** Granted binding lifetime in seconds (0 before the first success). */
  get expires(): number {
    return this.granted;
  }

  /** When the next retry starts (the UA clock's `now()` scale, ms), or undefined when none is scheduled. */
  get nextRetryAt(): number | undefined {
    return this.nextRetryAtValue;
  }

  /** Milliseconds until the next retry, or undefined when none is scheduled. */
  get retryInMs(): number | undefined {
    return this.nextRetryAtValue === undefined ? undefined : Math.max(0, this.nextRetryAtValue - this.core.clock.now());
  }

  /** Failed attempts in a row (0 after a success). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  get lastFailure(): { status: number; reason: string } | undefined {
    return this.lastFailureValue;
  }

  /** The registrar target in use: `udp:192.0.2.1:5060` (undefined before resolution). */
  get target(): string | undefined {
    const r = this.routes[this.routeIndex];
    return r ? `${r.transport.protocol}:${r.dest.address}:${r.dest.port}` : undefined;
  }

  start(): void {
    this.beginAttempt(this.requested);
  }

  /** Retry at once instead of waiting for the scheduled retry (an operator's "register now"). */
  retryNow(): void {
    if (this.closed || this.stateValue !== 'failed') return;
    this.beginAttempt(this.requested);
  }

  /** A new attempt: locate the registrar (RFC 3263), then REGISTER to the first target. */
  private beginAttempt(expires: number): void {
    if (this.closed) return;
    this.cancelRetry();
    if (expires !== 0 && this.stateValue !== 'registered') this.stateValue = 'registering';
    const gen = ++this.generation;
    let located: SipRoute[] | Promise<SipRoute[]>;
    try {
      located = this.core.locate(this.opts.registrar);
    } catch (err) {
      this.fail({ ...routeFailure(err), local: true }, expires);
      return;
    }
    const go = (routes: SipRoute[]) => {
      if (this.closed || gen !== this.generation) return;
      this.routes = routes;
      this.routeIndex = 0;
      this.attempt(expires, 0);
    };
    if (Array.isArray(located)) go(located);
    else {
      located.then(go, (err: unknown) => {
        if (this.closed || gen !== this.generation) return;
        this.fail({ ...routeFailure(err), local: true }, expires);
      });
    }
  }

  private build(expires: number, route: SipRoute): SipRequest {
    const h = new SipHeaders();
    h.append('Via', this.core.via(route.transport));
    h.append('Max-Forwards', '70');
    h.append('From', `<${this.opts.aor}>;tag=${this.fromTag}`);
    h.append('To', `<${this.opts.aor}>`);
    h.append('Call-ID', this.callId);
    // §10.2: the same Call-ID for all registrations of this UA to this registrar, CSeq increasing.
    this.cseq += 1;
    h.append('CSeq', `${this.cseq} REGISTER`);
    // §8.1.1.8: a sips: Request-URI needs a sips: Contact (over TLS; RFC 5630 §3.1.3).
    this.sentContact = this.core.contact(route.transport, this.secure);
    h.append('Contact', this.sentContact);
    h.append('Expires', String(expires));
    h.append('User-Agent', this.core.userAgentName);
    h.append('Content-Length', '0');
    const req: SipRequest = { kind: 'request', method: 'REGISTER', uri: this.opts.registrar, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
    if (this.digest?.hasChallenge) this.digest.authorize(req);
    return req;
  }

  private attempt(expires: number, round: number): void {
    if (this.closed) return;
    const route = this.routes[this.routeIndex];
    if (!route) {
      this.fail({ status: 503, reason: 'Service Unavailable (no registrar target)', local: true }, expires);
      return;
    }
    const gen = ++this.generation;
    const current = () => !this.closed && gen === this.generation;
    const req = this.build(expires, route);
    this.sentCount += 1;
    try {
      this.core.sendRequest(req, route, {
        onResponse: (res) => {
          if (res.status >= 200 && current()) this.onFinal(res, expires, round);
        },
        onTimeout: () => {
          if (current()) this.nextTargetOrFail({ status: 408, reason: 'Request Timeout', local: true }, expires);
        },
        onTransportError: () => {
          if (current()) this.nextTargetOrFail({ status: 503, reason: 'Service Unavailable (transport error)', local: true }, expires);
        },
      });
    } catch (err) {
      this.core.logger.warn({ err: String(err) }, 'sip: REGISTER could not be sent');
      this.nextTargetOrFail({ status: 503, reason: 'Service Unavailable', local: true }, expires);
    }
  }

  /** RFC 3263 §4.3: timeout, transport error or 503 → the next target; after the last, fail. */
  private nextTargetOrFail(f: Failure, expires: number): void {
    if (this.routeIndex + 1 < this.routes.length) {
      this.routeIndex += 1;
      this.core.logger.info({ registrar: this.opts.registrar, status: f.status, next: this.target }, 'sip: registrar target failed, trying the next one');
      this.attempt(expires, 0);
      return;
    }
    this.fail(f, expires);
  }

  private onFinal(res: SipResponse, expires: number, round: number): void {
    if (this.closed) return;
    if (res.status >= 200 && res.status < 300) {
      if (expires === 0) {
        this.stateValue = 'unregistered';
        this.emit('unregistered');
        return;
      }
      this.granted = this.grantedExpires(res, expires);
      if (this.granted === 0) {
        this.fail({ status: res.status, reason: 'Registrar granted no binding', local: false }, expires);
        return;
      }
      this.stateValue = 'registered';
      this.failures = 0;
      this.lastFailureValue = undefined;
      const refresh = refreshDelaySeconds(this.granted);
      this.refreshTimer?.cancel();
      this.refreshTimer = this.core.clock.setTimer(refresh * 1000, () => this.beginAttempt(this.requested));
      this.emit('registered', { expires: this.granted, refreshInSeconds: refresh });
      return;
    }
    if ((res.status === 401 || res.status === 407) && this.digest && round < MAX_ROUNDS) {
      const outcome = this.digest.onChallenge(res);
      if (outcome === 'retry') {
        this.attempt(expires, round + 1);
        return;
      }
      // 'rejected': the same nonce refused our credentials → wrong username/password.
      this.fail({ status: res.status, reason: outcome === 'rejected' ? 'Credentials rejected' : 'Unusable challenge', local: false }, expires);
      return;
    }
    if (res.status === 423 && round < MAX_ROUNDS) {
      // §10.2.8: retry with an interval at least Min-Expires.
      const min = this.minExpires(res);
      if (min !== undefined && min > expires) {
        this.requested = min;
        this.attempt(min, round + 1);
        return;
      }
    }
    const retryAfter = retryAfterSeconds(res);
    const f: Failure = { status: res.status, reason: res.reason, local: false, ...(retryAfter !== undefined ? { retryAfter } : {}) };
    if (res.status === 503) this.nextTargetOrFail(f, expires);
    else this.fail(f, expires);
  }

  private fail(f: Failure, expires: number): void {
    if (this.closed) return;
    this.refreshTimer?.cancel();
    if (expires === 0) {
      this.stateValue = 'unregistered';
      this.emit('unregistered');
      return;
    }
    this.failures += 1;
    this.lastFailureValue = { status: f.status, reason: f.reason };
    this.stateValue = 'failed';
    const delay = this.retryDelaySeconds(f);
    if (delay !== undefined) {
      this.nextRetryAtValue = this.core.clock.now() + delay * 1000;
      this.retryTimer = this.core.clock.setTimer(delay * 1000, () => {
        this.retryTimer = undefined;
        this.nextRetryAtValue = undefined;
        this.beginAttempt(this.requested);
      });
    }
    this.core.logger.warn(
      { registrar: this.opts.registrar, status: f.status, reason: f.reason, failures: this.failures, retryInSeconds: delay },
      'sip: registration failed',
    );
    this.emit('failed', { status: f.status, reason: f.reason, consecutiveFailures: this.failures, ...(delay !== undefined ? { retryInSeconds: delay } : {}) });
  }

  /** The delay before the next attempt (module comment), or undefined when retries are off. */
  private retryDelaySeconds(f: Failure): number | undefined {
    const r = this.opts.retry;
    if (r === false) return undefined;
    const base = r?.baseSeconds ?? 30;
    const max = r?.maxSeconds ?? 1800;
    const random = r?.random ?? Math.random;
    if (f.retryAfter !== undefined) return Math.min(Math.max(f.retryAfter, 1), max);
    if (retryKind(f.status, f.local) === 'rejected') {
      // A fixed wait (no doubling) with the same 50–100 % jitter.
      const rejected = r?.rejectedSeconds ?? max;
      return backoffDelay(0, registrationBackoff(rejected, rejected, random)) / 1000;
    }
    return backoffDelay(this.failures, registrationBackoff(base, max, random)) / 1000;
  }

  private cancelRetry(): void {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.nextRetryAtValue = undefined;
  }

  private minExpires(res: SipResponse): number | undefined {
    const v = res.headers.get('Min-Expires');
    if (v === undefined) return undefined;
    try {
      return parseDeltaSeconds(v, 'Min-Expires');
    } catch {
      return undefined;
    }
  }

  /** §10.2.4: the registrar's expires for our Contact, else the Expires header, else what we asked. */
  private grantedExpires(res: SipResponse, asked: number): number {
    const ours = contactKey(this.sentContact);
    for (const line of res.headers.getAll('Contact')) {
      let parts: string[] = [];
      try {
        parts = splitHeaderList(line, 'Contact');
      } catch {
        continue;
      }
      for (const p of parts) {
        try {
          const na = parseNameAddr(p, 'Contact');
          if (contactKeyOf(na.uri.user, na.uri.host, na.uri.port) !== ours) continue;
          const e = na.params.get('expires');
          if (e !== undefined && e !== null) return parseDeltaSeconds(e, 'Contact expires');
        } catch {
          // ignore malformed contacts in the registrar's list
        }
      }
    }
    const hdr = res.headers.get('Expires');
    if (hdr !== undefined) {
      try {
        return parseDeltaSeconds(hdr, 'Expires');
      } catch {
        // fall through
      }
    }
    return asked;
  }

  /** Remove the binding (Expires: 0, §10.2.2). Resolves when the registrar answered (or failed). */
  unregister(): Promise<void> {
    this.refreshTimer?.cancel();
    this.cancelRetry();
    if (this.closed || this.stateValue === 'unregistered') return Promise.resolve();
    const hadRoute = this.routes[this.routeIndex] !== undefined && this.stateValue === 'registered';
    this.stateValue = 'unregistering';
    return new Promise<void>((resolve) => {
      this.once('unregistered', () => resolve());
      // The registrar that holds the binding; else locate one (a binding may exist from a refresh
      // whose answer we never saw).
      if (hadRoute) this.attempt(0, 0);
      else this.beginAttempt(0);
    });
  }

  /** Stop refreshing and retrying without signalling (UA close). */
  close(): void {
    this.closed = true;
    this.refreshTimer?.cancel();
    this.cancelRetry();
  }
}

/** Retry-After (§20.33): delta-seconds, then an optional comment and parameters. */
function retryAfterSeconds(res: SipResponse): number | undefined {
  const v = res.headers.get('Retry-After');
  if (v === undefined) return undefined;
  const m = /^\s*(\d{1,10})(?![\d])/.exec(v);
  return m ? Number(m[1]) : undefined;
}

function contactKeyOf(user: string | undefined, host: string, port: number | undefined): string {
  return `${user ?? ''}@${host.toLowerCase()}:${port ?? 5060}`;
}

function contactKey(contact: string): string {
  try {
    const na = parseNameAddr(contact, 'Contact');
    return contactKeyOf(na.uri.user, na.uri.host, na.uri.port);
  } catch {
    return contact;
  }
}
