/**
 * Grammar helpers for individual header values (RFC 3261 §20, §25.1). Each takes the value as
 * stored in `SipHeaders` (folding already collapsed) and either returns a typed value or throws a
 * `SipParseError` whose message names the header and the fault.
 */
import { SipParseError, excerpt } from './parse-error.js';
import { isToken, isTokenChar, parseDigits, scanQuoted, scanToken, skipWsp, trimWsp } from './lex.js';
import { parseNameAddr } from './uri.js';
import { MemoCache } from '../../util/memo-cache.js';

export { unquote, quote, isToken } from './lex.js';

/** RFC 3261 §8.1.1.5: the sequence number MUST be expressible as a 32-bit unsigned integer and be less than 2^31. */
export const MAX_CSEQ = 2 ** 31 - 1;
/** §20.19 / §20.22: delta-seconds are 0 .. 2^32-1. */
export const MAX_DELTA_SECONDS = 2 ** 32 - 1;

export interface CSeq {
  seq: number;
  method: string;
}

/** §20.16 CSeq = 1*DIGIT LWS Method */
export function parseCSeq(value: string): CSeq {
  const v = trimWsp(value);
  let i = 0;
  while (i < v.length && v.charCodeAt(i) >= 0x30 && v.charCodeAt(i) <= 0x39) i++;
  if (i === 0) throw new SipParseError('SIP_BAD_CSEQ', `Bad CSeq: no sequence number in ${excerpt(v)}`, 'CSeq');
  const j = skipWsp(v, i);
  if (j === i) throw new SipParseError('SIP_BAD_CSEQ', `Bad CSeq: expected space after number in ${excerpt(v)}`, 'CSeq');
  const method = v.slice(j);
  if (!isToken(method)) throw new SipParseError('SIP_BAD_CSEQ', `Bad CSeq: bad method ${excerpt(method)}`, 'CSeq');
  const seq = parseDigits(v.slice(0, i), MAX_CSEQ, 'CSeq', 'SIP_BAD_CSEQ');
  return { seq, method };
}

/** §20.22 Max-Forwards = 1*DIGIT; §8.1.1.6 gives the range 0..255. */
export function parseMaxForwards(value: string): number {
  return parseDigits(trimWsp(value), 255, 'Max-Forwards');
}

/**
 * delta-seconds (Expires §20.19, Min-Expires, Retry-After, expires= params): 0 .. 2^32-1.
 * Values beyond are rejected (RFC 4475 §3.1.2.4); callers that arm timers must still clamp.
 */
export function parseDeltaSeconds(value: string, what = 'Expires', max = MAX_DELTA_SECONDS): number {
  return parseDigits(trimWsp(value), max, what);
}

/** §20.14 Content-Length = 1*DIGIT, bounded by the caller's message size limit. */
export function parseContentLength(value: string, max: number): number {
  const v = trimWsp(value);
  try {
    return parseDigits(v, max, 'Content-Length', 'SIP_BAD_CONTENT_LENGTH');
  } catch {
    throw new SipParseError('SIP_BAD_CONTENT_LENGTH', `Bad Content-Length ${excerpt(v, 24)}`, 'Content-Length');
  }
}

/**
 * Split a header value on the commas that separate list elements (§7.3.1), i.e. commas outside
 * quoted strings and outside <...>. Elements are trimmed; empty elements are kept (as '') so
 * callers can reject `a,,b` where the grammar forbids it.
 */
export function splitHeaderList(value: string, header = 'header'): string[] {
  const out: string[] = [];
  let start = 0;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22 && !inAngle) {
      const end = scanQuoted(value, i);
      if (end < 0) throw new SipParseError('SIP_BAD_QUOTED_STRING', `Bad ${header}: unterminated quoted string`, header);
      i = end - 1;
    } else if (c === 0x3c /* < */) {
      if (inAngle) throw new SipParseError('SIP_BAD_HEADER', `Bad ${header}: nested '<'`, header);
      inAngle = true;
    } else if (c === 0x3e /* > */) {
      inAngle = false;
    } else if (c === 0x2c /* , */ && !inAngle) {
      out.push(trimWsp(value.slice(start, i)));
      start = i + 1;
    }
  }
  if (inAngle) throw new SipParseError('SIP_BAD_HEADER', `Bad ${header}: unterminated '<'`, header);
  out.push(trimWsp(value.slice(start)));
  return out;
}

/** Comma-separated token lists (Allow, Supported, Require, Proxy-Require, Unsupported): empty elements skipped. */
export function parseTokenList(value: string, header = 'header'): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const t = trimWsp(part);
    if (t === '') continue;
    if (!isToken(t)) throw new SipParseError('SIP_BAD_HEADER', `Bad ${header}: ${excerpt(t)} is not a token`, header);
    out.push(t);
  }
  return out;
}

export type Params = Map<string, string | null>;

/**
 * Parse `*( SEMI generic-param )` starting at s[i] (LWS allowed around ';' and '='), stopping at
 * the end of s. generic-param = token [ EQUAL gen-value ]; gen-value = token / host / quoted-string.
 * Names are lower-cased (they compare case-insensitively); values are kept raw (a quoted value keeps
 * its quotes: use `unquote`). Empty parameters (`;;`) and duplicate names are errors.
 */
export function parseParamsAt(s: string, i: number, what: string): Params {
  const params: Params = new Map();
  i = skipWsp(s, i);
  while (i < s.length) {
    if (s.charCodeAt(i) !== 0x3b /* ; */) {
      throw new SipParseError('SIP_BAD_PARAMS', `Bad ${what}: unexpected ${excerpt(s.slice(i), 12)} where ';' expected`, what);
    }
    i = skipWsp(s, i + 1);
    const nameEnd = scanToken(s, i);
    if (nameEnd === i) throw new SipParseError('SIP_BAD_PARAMS', `Bad ${what}: empty parameter`, what);
    const name = s.slice(i, nameEnd).toLowerCase();
    i = skipWsp(s, nameEnd);
    let value: string | null = null;
    if (i < s.length && s.charCodeAt(i) === 0x3d /* = */) {
      i = skipWsp(s, i + 1);
      const v0 = i;
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        const end = scanQuoted(s, i);
        if (end < 0) throw new SipParseError('SIP_BAD_QUOTED_STRING', `Bad ${what}: unterminated quoted value of ${name}`, what);
        i = end;
      } else if (c === 0x5b /* [ */) {
        // host = IPv6reference
        const close = s.indexOf(']', i);
        if (close < 0) throw new SipParseError('SIP_BAD_PARAMS', `Bad ${what}: unterminated IPv6 reference in ${name}`, what);
        i = close + 1;
      } else {
        // token, or an unbracketed IPv6 address (Via received=, RFC 3261 §25.1 / RFC 5118 §4.5)
        while (i < s.length && (isTokenChar(s.charCodeAt(i)) || s.charCodeAt(i) === 0x3a)) i++;
      }
      if (i === v0) throw new SipParseError('SIP_BAD_PARAMS', `Bad ${what}: empty value for ${name}`, what);
      value = s.slice(v0, i);
      i = skipWsp(s, i);
    }
    if (params.has(name)) throw new SipParseError('SIP_BAD_PARAMS', `Bad ${what}: duplicate parameter ${name}`, what);
    params.set(name, value);
  }
  return params;
}

/** Parse `;a=b;c` (leading LWS allowed). */
export function parseParams(text: string, what = 'parameters'): Params {
  return parseParamsAt(text, 0, what);
}

/** `;name=value;flag` (names as stored). */
export function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

/**
 * Tags of From/To values already read. The layers of one transaction and dialog read the same
 * From and To again and again (matching, dialog keys, responses); a value is parsed once. Bounded:
 * emptied when full; malformed values are not remembered (util/memo-cache.ts).
 */
export const TAG_CACHE_MAX = 1024;
const tagCache = new MemoCache<string, string | undefined>(TAG_CACHE_MAX, (v) => parseNameAddr(v, 'From/To').params.get('tag') ?? undefined);

/** The tag parameter of a From or To value (§19.3), or undefined. Throws on a malformed value. */
export function getTag(fromOrTo: string): string | undefined {
  return tagCache.get(fromOrTo);
}
