/**
 * SIP-specific event notification headers (RFC 6665 §8.2, grammar §8.4):
 *
 *   Event              =  ( "Event" / "o" ) HCOLON event-type *( SEMI event-param )
 *   event-type         =  event-package *( "." event-template )
 *   event-param        =  generic-param / ( "id" EQUAL token )
 *   Allow-Events       =  ( "Allow-Events" / "u" ) HCOLON event-type *(COMMA event-type)
 *   Subscription-State =  "Subscription-State" HCOLON substate-value *( SEMI subexp-params )
 *   substate-value     =  "active" / "pending" / "terminated" / extension-substate
 *   subexp-params      =  ("reason" EQUAL event-reason-value) / ("expires" EQUAL delta-seconds)
 *                         / ("retry-after" EQUAL delta-seconds) / generic-param
 *
 * Parsers return a typed value or throw `SipParseError` (never another error).
 */
import { SipParseError, excerpt } from './parse-error.js';
import { isToken, scanToken, trimWsp } from './lex.js';
import { formatParams, parseDeltaSeconds, parseParamsAt, splitHeaderList, type Params } from './headers.js';

export interface EventHeader {
  /** event-package, e.g. `presence`, `refer`. */
  package: string;
  /** event-templates after the package (`presence.winfo` → ['winfo']). */
  templates: string[];
  /** The id parameter (§8.2.1), which tells apart several subscriptions in one dialog (REFER). */
  id?: string;
  /** Every parameter, names lower-cased (including id). */
  params: Params;
}

/** event-type = token-nodot *( "." token-nodot ): a token whose dot-separated parts are non-empty. */
function splitEventType(type: string, header: string): { package: string; templates: string[] } {
  if (!isToken(type)) throw new SipParseError('SIP_BAD_HEADER', `Bad ${header}: ${excerpt(type)} is not an event type`, header);
  const parts = type.split('.');
  if (parts.some((p) => p === '')) throw new SipParseError('SIP_BAD_HEADER', `Bad ${header}: empty part in event type ${excerpt(type)}`, header);
  return { package: parts[0]!, templates: parts.slice(1) };
}

export function parseEvent(value: string): EventHeader {
  const v = trimWsp(value);
  const end = scanToken(v, 0);
  if (end === 0) throw new SipParseError('SIP_BAD_HEADER', `Bad Event: no event type in ${excerpt(v)}`, 'Event');
  const type = splitEventType(v.slice(0, end), 'Event');
  const params = parseParamsAt(v, end, 'Event');
  const ev: EventHeader = { ...type, params };
  const id = params.get('id');
  if (id === null || (id !== undefined && !isToken(id))) throw new SipParseError('SIP_BAD_PARAMS', 'Bad Event: id must be a token', 'Event');
  if (id !== undefined) ev.id = id;
  return ev;
}

export function formatEvent(ev: Pick<EventHeader, 'package' | 'templates' | 'id'> & { params?: Params }): string {
  const params: Params = new Map(ev.params ?? []);
  if (ev.id !== undefined) params.set('id', ev.id);
  return `${eventTypeOf(ev)}${formatParams(params)}`;
}

/** `presence` or `presence.winfo`. */
export function eventTypeOf(ev: Pick<EventHeader, 'package' | 'templates'>): string {
  return [ev.package, ...ev.templates].join('.');
}

/**
 * RFC 6665 §4.1.2 / §8.2.1: two Event headers name the same subscription when their event types
 * match and their id parameters match (both absent or equal). Types are compared as sent (the
 * registered packages are lower case).
 */
export function sameEvent(a: EventHeader, b: EventHeader): boolean {
  return eventTypeOf(a) === eventTypeOf(b) && a.id === b.id;
}

/** Allow-Events: a list of event types; empty elements are skipped as in other token lists. */
export function parseAllowEvents(value: string): string[] {
  const out: string[] = [];
  for (const part of splitHeaderList(value, 'Allow-Events')) {
    if (part === '') continue;
    splitEventType(part, 'Allow-Events');
    out.push(part);
  }
  return out;
}

export function formatAllowEvents(types: readonly string[]): string {
  return types.join(', ');
}

export type SubstateValue = 'active' | 'pending' | 'terminated';

/** §8.2.3 / RFC 6665 §4.1.3: extension substates are treated as "active" by a subscriber. */
const SUBSTATES: ReadonlySet<string> = new Set<SubstateValue>(['active', 'pending', 'terminated']);

/** event-reason-value (§8.4): the registered reasons; others are kept as text. */
export type EventReason = 'deactivated' | 'probation' | 'rejected' | 'timeout' | 'giveup' | 'noresource' | 'invariant' | (string & {});

export interface SubscriptionState {
  state: SubstateValue;
  /** The substate as sent, when it was an extension (then `state` is 'active'). */
  extension?: string;
  reason?: EventReason;
  expires?: number;
  retryAfter?: number;
  params: Params;
}

export function parseSubscriptionState(value: string): SubscriptionState {
  const v = trimWsp(value);
  const end = scanToken(v, 0);
  if (end === 0) throw new SipParseError('SIP_BAD_HEADER', `Bad Subscription-State: no state in ${excerpt(v)}`, 'Subscription-State');
  const raw = v.slice(0, end).toLowerCase();
  const params = parseParamsAt(v, end, 'Subscription-State');
  const out: SubscriptionState = { state: SUBSTATES.has(raw) ? (raw as SubstateValue) : 'active', params };
  if (!SUBSTATES.has(raw)) out.extension = raw;
  const reason = params.get('reason');
  if (reason === null || (reason !== undefined && !isToken(reason))) {
    throw new SipParseError('SIP_BAD_PARAMS', 'Bad Subscription-State: reason must be a token', 'Subscription-State');
  }
  if (reason !== undefined) out.reason = reason.toLowerCase();
  const expires = deltaParam(params, 'expires');
  if (expires !== undefined) out.expires = expires;
  const retryAfter = deltaParam(params, 'retry-after');
  if (retryAfter !== undefined) out.retryAfter = retryAfter;
  return out;
}

function deltaParam(params: Params, name: string): number | undefined {
  if (!params.has(name)) return undefined;
  const v = params.get(name);
  if (v === null || v === undefined) throw new SipParseError('SIP_BAD_PARAMS', `Bad Subscription-State: ${name} needs a value`, 'Subscription-State');
  return parseDeltaSeconds(v, 'Subscription-State');
}

export function formatSubscriptionState(s: { state: SubstateValue; reason?: EventReason; expires?: number; retryAfter?: number }): string {
  let out: string = s.state;
  if (s.reason !== undefined) out += `;reason=${s.reason}`;
  if (s.expires !== undefined) out += `;expires=${Math.max(0, Math.floor(s.expires))}`;
  if (s.retryAfter !== undefined) out += `;retry-after=${Math.max(0, Math.floor(s.retryAfter))}`;
  return out;
}
