/**
 * Inbound admission: the one gate every new request passes before the user-agent core creates
 * anything for it (a transaction, a call, a link). In order:
 *
 *  1. rate limit (every request but ACK, in or out of a dialog): a source over its rate is blocked
 *     for a while, and its requests are dropped without an answer;
 *  2. source rules (out-of-dialog requests but CANCEL): a source outside `allowSources` is dropped
 *     without an answer;
 *  3. digest authentication (out-of-dialog requests but OPTIONS and CANCEL, when credentials are
 *     configured): 401 with a challenge per algorithm (RFC 3261 §22.1), 401 stale=true for an
 *     expired or replayed nonce (RFC 7616 §3.3), 403 for a wrong password or unknown user (the
 *     same answer, so a scanner cannot tell which users exist), 403 without checking for a
 *     (source, user) pair locked out after too many failures.
 *
 * Dropping instead of answering (both for rate and source): an answer to a spoofed source would
 * make us a reflector, an answer to a scanner tells it something listens, and an answer costs work
 * the flood is trying to make us spend. The operator sees drops in the log, the metrics and alarms.
 *
 * Everything is keyed by the packet source (`InboundInfo.remote`), never a header. Deviation from
 * RFC 3261 §8.2 (method inspection before anything else): the challenge comes before method and
 * header inspection, so an unauthenticated party learns nothing, not even which methods we allow.
 */
import type { Clock } from '../../util/clock.js';
import type { SipRequest } from '../grammar/message.js';
import type { Rejection } from '../grammar/validate.js';
import { AuthLockout, DEFAULT_LOCKOUT, type LockoutOptions } from './auth-lockout.js';
import { DigestServer, parseCredentials, type ServerDigestAlgorithm } from './digest-server.js';
import { IpRuleSet, normalizeSource } from './ip-rules.js';
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from './rate-limiter.js';

/** Why a request was refused, as counted in `acip_sip_rejected_total{reason}`. */
export const ADMISSION_REASONS = ['source', 'rate', 'auth_required', 'auth_stale', 'auth_failed', 'locked_out'] as const;
export type AdmissionReason = (typeof ADMISSION_REASONS)[number];

export type AdmissionVerdict =
  | { kind: 'admit'; /** The digest user name, when the request authenticated. */ user?: string }
  | { kind: 'drop'; reason: AdmissionReason }
  | { kind: 'reject'; reason: AdmissionReason; rejection: Rejection };

/** What the dispatcher asks of admission (the UA has none by default: every request is admitted). */
export interface AdmissionGate {
  /**
   * Decide on a new request (not a retransmission, not an ACK). `inDialog`: it carries a To tag;
   * `wellFormed`: it passed the grammar checks (only those are authenticated; the others are
   * answered 400 by the core once the source and the rate have allowed them).
   */
  admit(req: SipRequest, source: string, scope: { inDialog: boolean; wellFormed: boolean }): AdmissionVerdict;
  close(): void;
}

export interface AdmissionOptions {
  clock: Clock;
  /** IPs and CIDR ranges allowed to send out-of-dialog requests; empty: any source. */
  allowSources: readonly string[];
  /** Sources the rate limit does not apply to (e.g. loopback). */
  rateExempt: readonly string[];
  rateLimit?: Partial<RateLimitOptions>;
  lockout?: Partial<LockoutOptions>;
  digest: {
    realm: string;
    algorithms: readonly ServerDigestAlgorithm[];
    nonceLifetimeMs: number;
    secret?: Buffer;
  };
  /** The password of a digest user name; undefined when there is no such user. */
  passwordFor: (user: string) => string | undefined;
  /** Whether any credentials exist (authentication is required only then). */
  authRequired: () => boolean;
  onSourceBlocked?: (source: string) => void;
  onSourceUnblocked?: (source: string) => void;
  /** A (source, user) pair just got locked out. */
  onLockout?: (source: string, user: string) => void;
}

/** Methods that may not be challenged: OPTIONS (a probe, RFC 3261 §11), and CANCEL/ACK (RFC 3261 §22.1: they cannot be resubmitted). */
const NEVER_CHALLENGED = new Set(['OPTIONS', 'CANCEL', 'ACK']);

const UNAUTHORIZED = { status: 401, reason: 'Unauthorized' } as const;
const FORBIDDEN = { status: 403, reason: 'Forbidden' } as const;

export class Admission implements AdmissionGate {
  private readonly allow: IpRuleSet;
  private readonly exempt: IpRuleSet;
  private readonly limiter: RateLimiter;
  private readonly lockout: AuthLockout;
  readonly digest: DigestServer;

  constructor(private readonly opts: AdmissionOptions) {
    this.allow = new IpRuleSet(opts.allowSources);
    this.exempt = new IpRuleSet(opts.rateExempt);
    this.limiter = new RateLimiter(
      opts.clock,
      { ...DEFAULT_RATE_LIMIT, ...opts.rateLimit },
      {
        ...(opts.onSourceBlocked ? { onBlocked: opts.onSourceBlocked } : {}),
        ...(opts.onSourceUnblocked ? { onUnblocked: opts.onSourceUnblocked } : {}),
      },
    );
    this.lockout = new AuthLockout(opts.clock, { ...DEFAULT_LOCKOUT, ...opts.lockout });
    this.digest = new DigestServer(opts.clock, { ...opts.digest, maxNonces: 10_000 });
  }

  admit(req: SipRequest, rawSource: string, scope: { inDialog: boolean; wellFormed: boolean }): AdmissionVerdict {
    if (req.method === 'ACK') return { kind: 'admit' };
    const source = normalizeSource(rawSource);
    if (!this.exempt.matches(source) && this.limiter.take(source) !== 'pass') return { kind: 'drop', reason: 'rate' };
    if (scope.inDialog || req.method === 'CANCEL') return { kind: 'admit' };
    if (!this.allow.empty && !this.allow.matches(source)) return { kind: 'drop', reason: 'source' };
    if (!scope.wellFormed || NEVER_CHALLENGED.has(req.method) || !this.opts.authRequired()) return { kind: 'admit' };
    return this.authenticate(req, source);
  }

  private challenge(source: string, stale: boolean, reason: AdmissionReason): AdmissionVerdict {
    const extraHeaders = this.digest.challenges(source, stale).map((v): [string, string] => ['WWW-Authenticate', v]);
    return { kind: 'reject', reason, rejection: { ...UNAUTHORIZED, extraHeaders } };
  }

  /** RFC 3261 §22.4: a UAS challenges with 401 and WWW-Authenticate and reads Authorization. */
  private authenticate(req: SipRequest, source: string): AdmissionVerdict {
    const ours = req.headers
      .getAll('Authorization')
      .map(parseCredentials)
      .find((c) => c !== undefined && c.realm === this.digest.opts.realm);
    if (!ours) return this.challenge(source, false, 'auth_required');
    const user = ours.username;
    if (this.lockout.isLocked(source, user)) return { kind: 'reject', reason: 'locked_out', rejection: FORBIDDEN };
    const result = this.digest.check(ours, req.method, source, this.opts.passwordFor(user));
    switch (result) {
      case 'ok':
        this.lockout.succeed(source, user);
        return { kind: 'admit', user };
      case 'stale':
        return this.challenge(source, true, 'auth_stale');
      case 'foreign':
        return this.challenge(source, false, 'auth_required');
      case 'bad':
        if (this.lockout.fail(source, user)) this.opts.onLockout?.(source, user);
        return { kind: 'reject', reason: 'auth_failed', rejection: FORBIDDEN };
    }
  }

  /** Sources blocked by the rate limit right now. */
  get blockedSources(): number {
    return this.limiter.blockedCount;
  }

  close(): void {
    this.limiter.close();
  }
}
