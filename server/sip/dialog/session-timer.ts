/**
 * RFC 4028 session timers, the pure half: the Session-Expires and Min-SE grammar (§4, §5), the
 * UAS choice of interval and refresher (§9, Table 2), the UAC reading of the 2xx (§7.2), the
 * retry after 422 (§7.4) and the two timer instants of §10. No clocks, no sockets: the call
 * (`server/sip/ua/session-refresh.ts`) arms the timers these functions compute.
 */
import type { SipRequest, SipResponse } from '../grammar/message.js';
import { parseDeltaSeconds, parseParams, parseTokenList } from '../grammar/headers.js';
import { trimWsp } from '../grammar/lex.js';

/** §4: the smallest Session-Expires and Min-SE a UA may use, s. */
export const RFC4028_MIN_SE_S = 90;
/** §10: the BYE goes out this long (at most) before the session expires, s. */
const EXPIRY_MARGIN_MAX_S = 32;
/** Upper bound of intervals we accept from the network, s (one day: longer is no keepalive). */
const MAX_INTERVAL_S = 86_400;

/** Who refreshes, in the words of the transaction that carried the header (§4). */
export type Refresher = 'uac' | 'uas';
/** Who refreshes, from the call's point of view. */
export type RefreshRole = 'local' | 'remote';

export interface SessionExpires {
  deltaS: number;
  refresher?: Refresher;
}

/** What one user agent wants: the interval it asks for and the smallest it accepts. */
export interface SessionTimerPolicy {
  sessionExpiresS: number;
  minSeS: number;
}

/** The session interval in force and who refreshes it. */
export interface SessionInterval {
  intervalS: number;
  refresher: RefreshRole;
}

function firstValue(msg: SipRequest | SipResponse, name: string): string | undefined {
  const v = msg.headers.get(name);
  return v === undefined || trimWsp(v) === '' ? undefined : v;
}

/**
 * §4 Session-Expires = delta-seconds *(SEMI se-params); se-params = refresher-param / generic-param;
 * refresher-param = "refresher" EQUAL ("uas" / "uac"). Undefined when absent; a malformed value is
 * treated as absent (it cannot be honoured, and rejecting the call over it helps nobody).
 */
export function parseSessionExpires(value: string | undefined): SessionExpires | undefined {
  if (value === undefined) return undefined;
  const semi = value.indexOf(';');
  try {
    const deltaS = parseDeltaSeconds(semi < 0 ? value : value.slice(0, semi), 'Session-Expires');
    if (deltaS === 0) return undefined;
    const params = semi < 0 ? new Map<string, string | null>() : parseParams(value.slice(semi), 'Session-Expires');
    const r = params.get('refresher')?.toLowerCase();
    return { deltaS: Math.min(deltaS, MAX_INTERVAL_S), ...(r === 'uac' || r === 'uas' ? { refresher: r } : {}) };
  } catch {
    return undefined;
  }
}

/** §5 Min-SE = delta-seconds *(SEMI generic-param); undefined when absent or malformed. */
export function parseMinSe(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const semi = value.indexOf(';');
  try {
    return Math.min(parseDeltaSeconds(semi < 0 ? value : value.slice(0, semi), 'Min-SE'), MAX_INTERVAL_S);
  } catch {
    return undefined;
  }
}

export function formatSessionExpires(se: SessionExpires): string {
  return se.refresher ? `${se.deltaS};refresher=${se.refresher}` : String(se.deltaS);
}

/** Whether `msg` lists the option tag `timer` in Supported or Require (§7.1, §9). */
export function supportsTimer(msg: SipRequest | SipResponse): boolean {
  for (const name of ['Supported', 'Require']) {
    for (const line of msg.headers.getAll(name)) {
      try {
        if (parseTokenList(line, name).some((t) => t.toLowerCase() === 'timer')) return true;
      } catch {
        // a malformed list names nothing we can rely on
      }
    }
  }
  return false;
}

/** Whether `msg` lists `method` in its Allow header (RFC 3261 §20.5). */
export function allowsMethod(msg: SipRequest | SipResponse, method: string): boolean {
  for (const line of msg.headers.getAll('Allow')) {
    try {
      if (parseTokenList(line, 'Allow').some((t) => t.toUpperCase() === method)) return true;
    } catch {
      // ignored, as above
    }
  }
  return false;
}

/** What a request asks for, read once. */
export interface TimerRequest {
  se: SessionExpires | undefined;
  minSeS: number | undefined;
  supportsTimer: boolean;
}

export function readTimerRequest(req: SipRequest): TimerRequest {
  return { se: parseSessionExpires(firstValue(req, 'Session-Expires')), minSeS: parseMinSe(firstValue(req, 'Min-SE')), supportsTimer: supportsTimer(req) };
}

export type UasTimerDecision =
  /** §9: the requested interval is below our Min-SE → 422 with our Min-SE. */
  | { kind: 'too-small'; minSeS: number }
  | {
      kind: 'accept';
      /** Session-Expires of our 2xx (refresher in the words of this transaction). */
      se: Required<SessionExpires>;
      /** §9: Require: timer in the 2xx, only when the UAC supports timers. */
      requireTimer: boolean;
      session: SessionInterval;
    };

/**
 * §9 (UAS): the 2xx's Session-Expires for a request (initial INVITE, re-INVITE or UPDATE).
 *
 * - A Session-Expires below our Min-SE from a UAC that supports timers → 422. From one that does
 *   not, a 422 would not be understood (the rule §8.1 gives proxies), so the interval is raised
 *   to our Min-SE instead and we refresh.
 * - The interval is the requested one, reduced towards ours but never below the request's Min-SE
 *   or ours; without a Session-Expires in the request, ours (at least the request's Min-SE).
 * - Table 2: a UAC without timer support → refresher=uas; a refresher the UAC chose is kept;
 *   otherwise `preferred` (whoever refreshes now, on a refresh; the UAC on a new session).
 */
export function decideAsUas(req: TimerRequest, policy: SessionTimerPolicy, preferred: Refresher = 'uac'): UasTimerDecision {
  const floor = Math.max(req.minSeS ?? 0, policy.minSeS);
  if (req.se && req.se.deltaS < policy.minSeS && req.supportsTimer) return { kind: 'too-small', minSeS: policy.minSeS };
  const intervalS = req.se ? Math.max(Math.min(req.se.deltaS, Math.max(policy.sessionExpiresS, floor)), floor) : Math.max(policy.sessionExpiresS, floor);
  const refresher: Refresher = !req.supportsTimer ? 'uas' : (req.se?.refresher ?? preferred);
  return {
    kind: 'accept',
    se: { deltaS: intervalS, refresher },
    requireTimer: req.supportsTimer,
    session: { intervalS, refresher: refresher === 'uas' ? 'local' : 'remote' },
  };
}

/**
 * §7.2 (UAC): the session after a 2xx to our INVITE, re-INVITE or UPDATE. The 2xx's
 * Session-Expires rules; a refresher it leaves out means us (the UAS MUST set it, §9, so this only
 * meets broken peers, and refreshing ourselves is the safe reading).
 *
 * Deliberate deviation: a 2xx without Session-Expires means "no session expiration" in §7.2; we
 * keep the interval we asked for and refresh it ourselves, because a call that nobody refreshes is
 * exactly the silent dead call the timer is for. A peer without timer support just sees ordinary
 * re-INVITEs (or UPDATEs) repeating the session description.
 */
export function readUacAnswer(res: SipResponse, requestedS: number): SessionInterval {
  const se = parseSessionExpires(firstValue(res, 'Session-Expires'));
  if (!se) return { intervalS: requestedS, refresher: 'local' };
  return { intervalS: se.deltaS, refresher: se.refresher === 'uas' ? 'remote' : 'local' };
}

/**
 * §7.4 / §6: after a 422 the UAC retries with the 422's Min-SE as both its Min-SE and (at least)
 * its Session-Expires. Undefined when the 422 gives nothing larger (retrying would loop).
 */
export function retryAfter422(res: SipResponse, asked: SessionTimerPolicy): SessionTimerPolicy | undefined {
  const minSeS = parseMinSe(firstValue(res, 'Min-SE'));
  if (minSeS === undefined || minSeS <= asked.minSeS) return undefined;
  return { minSeS, sessionExpiresS: Math.max(asked.sessionExpiresS, minSeS) };
}

/** The headers of a request that asks for `intervalS` (§7.1, §7.4). */
export function timerRequestHeaders(intervalS: number, minSeS: number, refresher?: Refresher): [string, string][] {
  return [
    ['Supported', 'timer'],
    ['Session-Expires', formatSessionExpires({ deltaS: intervalS, ...(refresher ? { refresher } : {}) })],
    ['Min-SE', String(minSeS)],
  ];
}

/** The headers of a 2xx that accepts `decision` (§9). */
export function timerResponseHeaders(decision: Extract<UasTimerDecision, { kind: 'accept' }>): [string, string][] {
  return [
    ['Supported', 'timer'],
    ...(decision.requireTimer ? [['Require', 'timer'] as [string, string]] : []),
    ['Session-Expires', formatSessionExpires(decision.se)],
  ];
}

/** §10: the refresher sends its refresh at half the interval, ms. */
export function refreshDelayMs(intervalS: number): number {
  return (intervalS * 1000) / 2;
}

/** §10: without a refresh, BYE at the expiry minus min(32 s, one third of the interval), ms. */
export function expiryDelayMs(intervalS: number): number {
  return (intervalS - Math.min(EXPIRY_MARGIN_MAX_S, intervalS / 3)) * 1000;
}
