/**
 * REGISTER as a client (RFC 3261 §10.2) with digest authentication (§22, RFC 7616/8760),
 * 423 Interval Too Brief handling (§10.2.8), and refresh before expiry.
 *
 * Refresh policy (RFC 5626 §4.4.1 gives it for flows; we use it for every binding): with a granted
 * interval of more than 1200 s, refresh 600 s before expiry; otherwise refresh halfway through.
 */
import type { TimerHandle } from '../../util/clock.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { SipHeaders, type SipRequest, type SipResponse } from '../message.js';
import { parseDeltaSeconds, splitHeaderList } from '../headers.js';
import { parseNameAddr } from '../uri.js';
import { DigestClient } from './digest-client.js';
import { newCallId, newTag } from './ids.js';
import type { SipRoute, UaCore } from './ua-core.js';

export interface RegisterOptions {
  /** Registrar URI, e.g. `sip:127.0.0.1:5060` or `sip:registrar.example;transport=tcp`. */
  registrar: string;
  /** Address of record, e.g. `sip:alice@example.org`. */
  aor: string;
  username?: string;
  password?: string;
  /** Requested binding lifetime in seconds (default 3600). */
  expires?: number;
}

export type RegistrationState = 'registering' | 'registered' | 'failed' | 'unregistering' | 'unregistered';

export type RegistrationEvents = {
  registered: [{ expires: number; refreshInSeconds: number }];
  failed: [{ status: number; reason: string }];
  unregistered: [];
};

/** Seconds before the binding is refreshed (see the module comment). */
export function refreshDelaySeconds(granted: number): number {
  return granted > 1200 ? granted - 600 : granted / 2;
}

/** How many times a registration attempt follows 401/407 or 423 before giving up. */
const MAX_ROUNDS = 4;

export class Registration extends TypedEmitter<RegistrationEvents> {
  private stateValue: RegistrationState = 'registering';
  private readonly callId: string;
  private readonly fromTag = newTag();
  private cseq = 0;
  private requested: number;
  private granted = 0;
  private refreshTimer: TimerHandle | undefined;
  private readonly digest: DigestClient | undefined;
  private closed = false;
  /** Number of REGISTER requests sent (for tests and logs). */
  sentCount = 0;

  constructor(
    private readonly core: UaCore,
    private readonly opts: RegisterOptions,
    private readonly route: SipRoute,
    private readonly localContact: string,
    host: string,
  ) {
    super();
    this.onListenerError = (event, err) => core.logger.error({ event, err: String(err) }, 'registration listener threw');
    this.callId = newCallId(host);
    this.requested = opts.expires ?? 3600;
    this.digest = opts.username !== undefined && opts.password !== undefined ? new DigestClient({ username: opts.username, password: opts.password }) : undefined;
  }

  get state(): RegistrationState {
    return this.stateValue;
  }

  /** Granted binding lifetime in seconds (0 before the first success). */
  get expires(): number {
    return this.granted;
  }

  start(): void {
    this.attempt(this.requested, 0);
  }

  private build(expires: number): SipRequest {
    const h = new SipHeaders();
    h.append('Via', this.core.via(this.route.transport));
    h.append('Max-Forwards', '70');
    h.append('From', `<${this.opts.aor}>;tag=${this.fromTag}`);
    h.append('To', `<${this.opts.aor}>`);
    h.append('Call-ID', this.callId);
    // §10.2: the same Call-ID for all registrations of this UA to this registrar, CSeq increasing.
    this.cseq += 1;
    h.append('CSeq', `${this.cseq} REGISTER`);
    h.append('Contact', this.localContact);
    h.append('Expires', String(expires));
    h.append('User-Agent', this.core.userAgentName);
    h.append('Content-Length', '0');
    const req: SipRequest = { kind: 'request', method: 'REGISTER', uri: this.opts.registrar, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
    if (this.digest?.hasChallenge) this.digest.authorize(req);
    return req;
  }

  private attempt(expires: number, round: number): void {
    if (this.closed) return;
    const req = this.build(expires);
    this.sentCount += 1;
    try {
      this.core.sendRequest(req, this.route, {
        onResponse: (res) => {
          if (res.status >= 200) this.onFinal(res, expires, round);
        },
        onTimeout: () => this.fail(408, 'Request Timeout', expires),
        onTransportError: () => this.fail(503, 'Service Unavailable (transport error)', expires),
      });
    } catch (err) {
      this.core.logger.warn({ err: String(err) }, 'sip: REGISTER could not be sent');
      this.fail(503, 'Service Unavailable', expires);
    }
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
        this.fail(res.status, 'Registrar granted no binding', expires);
        return;
      }
      this.stateValue = 'registered';
      const refresh = refreshDelaySeconds(this.granted);
      this.refreshTimer?.cancel();
      this.refreshTimer = this.core.clock.setTimer(refresh * 1000, () => this.attempt(this.requested, 0));
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
      this.fail(res.status, outcome === 'rejected' ? 'Credentials rejected' : 'Unusable challenge', expires);
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
    this.fail(res.status, res.reason, expires);
  }

  private fail(status: number, reason: string, expires: number): void {
    if (this.closed) return;
    this.refreshTimer?.cancel();
    if (expires === 0) {
      this.stateValue = 'unregistered';
      this.emit('unregistered');
      return;
    }
    this.stateValue = 'failed';
    this.emit('failed', { status, reason });
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
    const ours = contactKey(this.localContact);
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
    if (this.closed || this.stateValue === 'unregistered') return Promise.resolve();
    this.stateValue = 'unregistering';
    return new Promise<void>((resolve) => {
      this.once('unregistered', () => resolve());
      this.attempt(0, 0);
    });
  }

  /** Stop refreshing without signalling (UA close). */
  close(): void {
    this.closed = true;
    this.refreshTimer?.cancel();
  }
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
