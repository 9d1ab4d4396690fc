/**
 * Headers of call transfer:
 *
 *   Refer-To    = ("Refer-To" / "r") HCOLON ( name-addr / addr-spec ) *(SEMI generic-param)   RFC 3515 §2.1
 *   Referred-By = ("Referred-By" / "b") HCOLON referrer-uri *( SEMI (referredby-id-param / generic-param) )
 *                 referredby-id-param = "cid" EQUAL sip-clean-msg-id                       RFC 3892 §3
 *   Replaces    = "Replaces" HCOLON callid *(SEMI replaces-param)
 *                 replaces-param = to-tag / from-tag / early-flag / generic-param          RFC 3891 §6.1
 *
 * Parsers return a typed value or throw `SipParseError` (never another error).
 */
import { SipParseError, excerpt } from './parse-error.js';
import { isToken, trimWsp, unquote } from './lex.js';
import { formatParams, parseParamsAt, type Params } from './headers.js';
import { formatNameAddr, parseNameAddr, type NameAddr } from './uri.js';

/** RFC 3515 §2.1: a URI with headers (`?Replaces=...`) must be in the name-addr form, which parseNameAddr enforces by stopping the addr-spec at ';'. */
export function parseReferTo(value: string): NameAddr {
  return parseNameAddr(value, 'Refer-To');
}

export function formatReferTo(na: NameAddr): string {
  return formatNameAddr(na);
}

export interface ReferredBy {
  address: NameAddr;
  /** The cid parameter pointing at an S/MIME body (RFC 3892 §3), unquoted. */
  cid?: string;
}

export function parseReferredBy(value: string): ReferredBy {
  const address = parseNameAddr(value, 'Referred-By');
  const out: ReferredBy = { address };
  const cid = address.params.get('cid');
  if (cid === null) throw new SipParseError('SIP_BAD_PARAMS', 'Bad Referred-By: cid needs a value', 'Referred-By');
  if (cid !== undefined) out.cid = unquote(cid);
  return out;
}

export function formatReferredBy(rb: ReferredBy): string {
  const params: Params = new Map(rb.address.params);
  if (rb.cid !== undefined) params.set('cid', `"${rb.cid.replace(/["\\\r\n]/g, '')}"`);
  return formatNameAddr({ ...rb.address, params });
}

export interface Replaces {
  callId: string;
  toTag: string;
  fromTag: string;
  /** `early-only` (RFC 3891 §3): replace only a dialog still in the early state. */
  earlyOnly: boolean;
  params: Params;
}

/** RFC 3261 §25.1 word: the characters a Call-ID may hold (no ';', no whitespace). */
const WORD_EXTRA = new Set([..."-.!%*_+`'~()<>:\\\"/[]?{}"].map((c) => c.charCodeAt(0)));
function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || WORD_EXTRA.has(c);
}

/** callid = word [ "@" word ] */
function isCallId(s: string): boolean {
  const at = s.indexOf('@');
  const parts = at < 0 ? [s] : [s.slice(0, at), s.slice(at + 1)];
  return parts.every((p) => p.length > 0 && [...p].every((ch) => ch.length === 1 && isWordChar(ch.charCodeAt(0))));
}

export function parseReplaces(value: string): Replaces {
  const v = trimWsp(value);
  const semi = v.indexOf(';');
  const callId = trimWsp(semi < 0 ? v : v.slice(0, semi));
  if (!isCallId(callId)) throw new SipParseError('SIP_BAD_HEADER', `Bad Replaces: bad Call-ID ${excerpt(callId)}`, 'Replaces');
  const params = semi < 0 ? new Map<string, string | null>() : parseParamsAt(v, semi, 'Replaces');
  // §6.1: "A Replaces header field MUST contain exactly one to-tag and exactly one from-tag".
  const toTag = params.get('to-tag');
  const fromTag = params.get('from-tag');
  if (typeof toTag !== 'string' || !isToken(toTag)) throw new SipParseError('SIP_BAD_PARAMS', 'Bad Replaces: missing or bad to-tag', 'Replaces');
  if (typeof fromTag !== 'string' || !isToken(fromTag)) throw new SipParseError('SIP_BAD_PARAMS', 'Bad Replaces: missing or bad from-tag', 'Replaces');
  const early = params.get('early-only');
  if (early !== undefined && early !== null) throw new SipParseError('SIP_BAD_PARAMS', 'Bad Replaces: early-only takes no value', 'Replaces');
  return { callId, toTag, fromTag, earlyOnly: params.has('early-only'), params };
}

export function formatReplaces(r: Pick<Replaces, 'callId' | 'toTag' | 'fromTag' | 'earlyOnly'>): string {
  const params: Params = new Map([
    ['to-tag', r.toTag],
    ['from-tag', r.fromTag],
  ]);
  if (r.earlyOnly) params.set('early-only', null);
  return `${r.callId}${formatParams(params)}`;
}
