/**
 * RFC 4028 session timers, the running half: one per call. It remembers the interval in force and
 * who refreshes it, arms the refresh at half the interval when we refresh (§10) and the expiry at
 * the interval minus min(32 s, a third) on either side (§10), and runs a refresh: UPDATE when the
 * peer allows it, else a re-INVITE repeating the session description (§7.4 leaves the choice to
 * us; UPDATE needs no offer). A refresh that times out or gets 408/481 ends the call with BYE
 * (§10); a 422 is retried once with the larger Min-SE (§7.4). The choices themselves are the pure
 * functions of `dialog/session-timer.ts`; the timers run on the call's clock.
 */
import type { TimerHandle } from '../../util/clock.js';
import type { SipRequest, SipResponse } from '../grammar/message.js';
import {
  allowsMethod,
  decideAsUas,
  expiryDelayMs,
  readTimerRequest,
  readUacAnswer,
  refreshDelayMs,
  retryAfter422,
  timerRequestHeaders,
  type SessionInterval,
  type SessionTimerPolicy,
  type UasTimerDecision,
} from '../dialog/session-timer.js';
import type { SipLogger } from '../transport/sip-logger.js';

/** Why a session timer ended a call (stable, for the layers above). */
export type SessionEndCause = 'session-expired' | 'refresh-failed';

/** The final outcome of one refresh request: status 408 stands for a transaction timeout too. */
export interface RefreshOutcome {
  status: number;
  reason: string;
  res?: SipResponse;
}

export interface SessionRefreshHost {
  readonly logger: SipLogger;
  readonly callId: string;
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Another offer/answer exchange is in flight: the refresh waits for it (RFC 3261 §14.1, RFC 3311 §5.1). */
  busy(): boolean;
  /**
   * Send the refresh with these headers; `done` runs with the final outcome (synchronously with
   * the response; a 2xx has already been applied through `answered`).
   */
  send(method: 'UPDATE' | 'INVITE', headers: [string, string][], done: (out: RefreshOutcome) => void): void;
  /** End the call with BYE. */
  end(status: number | undefined, reason: string, cause: SessionEndCause): void;
}

/** How long a refresh waits for another exchange in flight before trying again, ms. */
const BUSY_RETRY_MS = 2000;
/** §10: these final statuses (and a timeout) mean the dialog is gone. */
const DIALOG_GONE = new Set([408, 481]);
const SESSION_INTERVAL_TOO_SMALL = 422;

export class SessionRefresh {
  /** What we ask for; a 422 raises it (§7.4). */
  asked: SessionTimerPolicy;
  private current: SessionInterval | undefined;
  private refreshTimer: TimerHandle | undefined;
  private expiryTimer: TimerHandle | undefined;
  private peerAllowsUpdate = false;
  private refreshing = false;
  private stopped = false;

  constructor(
    private readonly host: SessionRefreshHost,
    policy: SessionTimerPolicy,
  ) {
    this.asked = { ...policy };
  }

  /** The interval in force and who refreshes it (undefined before the session starts). */
  get session(): SessionInterval | undefined {
    return this.current;
  }

  /** Remember whether the peer allows UPDATE (from any request or response that says, RFC 3261 §20.5). */
  learnAllow(msg: SipRequest | SipResponse): void {
    if (msg.headers.has('Allow')) this.peerAllowsUpdate = allowsMethod(msg, 'UPDATE');
  }

  get updateAllowed(): boolean {
    return this.peerAllowsUpdate;
  }

  /** The session-timer headers of a request we send (INVITE, re-INVITE, UPDATE: §7.1, §7.4). */
  requestHeaders(): [string, string][] {
    const c = this.current;
    const intervalS = Math.max(c?.intervalS ?? this.asked.sessionExpiresS, this.asked.minSeS);
    // §7.4: the refresher keeps its role by naming itself; as UAC of this request that is 'uac'.
    const refresher = c === undefined ? undefined : c.refresher === 'local' ? 'uac' : 'uas';
    return timerRequestHeaders(intervalS, this.asked.minSeS, refresher);
  }

  /** §9: how to answer a request that may refresh the session (on a refresh the current refresher stays). */
  decide(req: SipRequest): UasTimerDecision {
    const preferred = this.current === undefined ? 'uac' : this.current.refresher === 'local' ? 'uas' : 'uac';
    return decideAsUas(readTimerRequest(req), this.asked, preferred);
  }

  /** We sent a 2xx with this decision (§9, §10): the session (re)starts now. */
  accepted(decision: Extract<UasTimerDecision, { kind: 'accept' }>): void {
    this.start(decision.session);
  }

  /** A 2xx answered our INVITE, re-INVITE or UPDATE (§7.2, §10): the session (re)starts now. */
  answered(res: SipResponse): void {
    this.learnAllow(res);
    const requestedS = Math.max(this.current?.intervalS ?? this.asked.sessionExpiresS, this.asked.minSeS);
    this.start(readUacAnswer(res, requestedS));
  }

  /** §7.4: adopt a 422's Min-SE; false when it offers nothing to retry with. */
  adopt422(res: SipResponse): boolean {
    const next = retryAfter422(res, this.asked);
    if (!next) return false;
    this.asked = next;
    if (this.current && this.current.intervalS < next.minSeS) this.current = { ...this.current, intervalS: next.sessionExpiresS };
    return true;
  }

  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  private disarm(): void {
    this.refreshTimer?.cancel();
    this.expiryTimer?.cancel();
    this.refreshTimer = this.expiryTimer = undefined;
  }

  private start(s: SessionInterval): void {
    if (this.stopped) return;
    this.disarm();
    this.current = s;
    if (s.refresher === 'local') this.refreshTimer = this.host.setTimer(refreshDelayMs(s.intervalS), () => this.refresh());
    this.expiryTimer = this.host.setTimer(expiryDelayMs(s.intervalS), () => {
      this.host.logger.warn({ callId: this.host.callId, intervalS: s.intervalS }, 'sip: session expired without a refresh (RFC 4028 §10)');
      this.stop();
      this.host.end(undefined, `session timer expired after ${s.intervalS} s`, 'session-expired');
    });
  }

  private refresh(retried422 = false): void {
    this.refreshTimer = undefined;
    if (this.stopped || this.refreshing) return;
    if (this.host.busy()) {
      // The exchange in flight refreshes the session when it succeeds; if not, try again shortly.
      this.refreshTimer = this.host.setTimer(BUSY_RETRY_MS, () => this.refresh(retried422));
      return;
    }
    const method = this.peerAllowsUpdate ? 'UPDATE' : 'INVITE';
    this.refreshing = true;
    this.host.send(method, this.requestHeaders(), (out) => {
      this.refreshing = false;
      this.settle(method, out, retried422);
    });
  }

  private settle(method: string, out: RefreshOutcome, retried422: boolean): void {
    if (this.stopped || (out.status >= 200 && out.status < 300)) return;
    if (out.status === SESSION_INTERVAL_TOO_SMALL && !retried422 && out.res && this.adopt422(out.res)) {
      this.refresh(true);
      return;
    }
    if (DIALOG_GONE.has(out.status)) {
      this.stop();
      this.host.end(out.status, `session refresh failed: ${out.status} ${out.reason}`, 'refresh-failed');
      return;
    }
    // §10: any other failure leaves the session as it was; the expiry timer decides.
    this.host.logger.warn({ callId: this.host.callId, status: out.status, method }, 'sip: session refresh refused; the session expires unless refreshed');
  }
}
