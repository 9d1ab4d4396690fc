/**
 * What this UA supports, in one table, and the UAS checks of RFC 3261 §8.2.1–§8.2.3 that depend
 * on it (the grammar-level checks — 400/416/505 — are `validateRequest`'s), plus the one builder
 * of Warning header values.
 */
import type { SipRequest } from '../grammar/message.js';
import { parseParams, parseTokenList, splitHeaderList } from '../grammar/headers.js';
import { isTokenChar, quote, trimWsp } from '../grammar/lex.js';
import { parseHostPortAt } from '../grammar/uri.js';
import type { Rejection } from '../grammar/validate.js';

/** Methods this UA implements (Allow, §20.5). */
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'UPDATE', 'MESSAGE', 'SUBSCRIBE', 'NOTIFY', 'PRACK', 'REFER'] as const;
/** Methods we recognise but do not allow here (→ 405 with Allow, §8.2.1); anything else → 501. */
export const KNOWN_NOT_ALLOWED = new Set([
  'REGISTER', 'INFO', 'PUBLISH',
]);
/** Body types we accept (§8.2.3 → 415 with Accept). */
export const ACCEPTED_CONTENT_TYPES = ['application/sdp'] as const;
/**
 * Option tags we support (Supported, §20.37); a Require outside this list → 420 (§8.2.2.3).
 * RFC 4028: timer; RFC 3262: 100rel; RFC 3891 §6: replaces (an INVITE may take over a call).
 */
export const SUPPORTED_OPTIONS: readonly string[] = ['timer', '100rel', 'replaces'];

/** The Supported header value we send (one line: simple peers read only the first Supported header). */
export const SUPPORTED_HEADER = SUPPORTED_OPTIONS.join(', ');

/** RFC 3891 §3: "a Replaces header field ... present in a request other than INVITE" → 400. */
export function checkReplacesPlacement(req: SipRequest): Rejection | null {
  if (req.method === 'INVITE' || req.method === 'ACK' || !req.headers.has('Replaces')) return null;
  return { status: 400, reason: `Bad Request: Replaces in ${req.method}` };
}

/** Whether a message names `tag` in any of its `header` lines (Require, Supported: §20.32, §20.37). */
export function hasOptionTag(msg: { headers: { getAll(name: string): string[] } }, header: 'Require' | 'Supported', tag: string): boolean {
  for (const line of msg.headers.getAll(header)) {
    for (const t of line.split(',')) if (t.trim().toLowerCase() === tag) return true;
  }
  return false;
}

export const ALLOW_HEADER = ALLOWED_METHODS.join(', ');
/** Event packages we take subscriptions for (Allow-Events, RFC 6665 §8.2.2). */
export const ALLOW_EVENTS_HEADER = 'presence, refer';
export const ACCEPT_HEADER = ACCEPTED_CONTENT_TYPES.join(', ');

/** §8.2.1: 405 with Allow for known-but-not-allowed methods, 501 for unknown ones. */
export function checkMethod(req: SipRequest): Rejection | null {
  if ((ALLOWED_METHODS as readonly string[]).includes(req.method)) return null;
  if (KNOWN_NOT_ALLOWED.has(req.method)) {
    return { status: 405, reason: 'Method Not Allowed', extraHeaders: [['Allow', ALLOW_HEADER]] };
  }
  return { status: 501, reason: 'Not Implemented', extraHeaders: [['Allow', ALLOW_HEADER]] };
}

/** §8.2.2.3: every option tag in Require must be supported, else 420 listing the unsupported ones. */
export function checkRequire(req: SipRequest): Rejection | null {
  if (req.method === 'ACK' || req.method === 'CANCEL') return null; // §8.2.2.3: not for CANCEL, ignored for ACK
  const unsupported: string[] = [];
  for (const line of req.headers.getAll('Require')) {
    let tags: string[];
    try {
      tags = parseTokenList(line, 'Require');
    } catch {
      return { status: 400, reason: 'Bad Require header' };
    }
    for (const t of tags) if (t !== '' && !SUPPORTED_OPTIONS.includes(t.toLowerCase())) unsupported.push(t);
  }
  if (unsupported.length === 0) return null;
  return { status: 420, reason: 'Bad Extension', extraHeaders: [['Unsupported', unsupported.join(', ')]] };
}

/** Body types a MESSAGE may carry (RFC 3428 §8: anything else → 415 with Accept). */
export const MESSAGE_CONTENT_TYPES: readonly string[] = ['text/plain'];

/** The body types a request of `method` may carry (§8.2.3); undefined: bodies are not inspected. */
export function acceptedTypesFor(method: string): readonly string[] | undefined {
  if (method === 'INVITE' || method === 'UPDATE') return ACCEPTED_CONTENT_TYPES;
  if (method === 'MESSAGE') return MESSAGE_CONTENT_TYPES;
  return undefined;
}

/** §8.2.3: a body of a type we do not understand → 415 with Accept. Content-Encoding is not supported either. */
export function checkContent(req: SipRequest, acceptedTypes: readonly string[] = ACCEPTED_CONTENT_TYPES): Rejection | null {
  if (req.body.length === 0) return null;
  const type = (req.headers.get('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const accepted = acceptedTypes.includes(type);
  const enc = req.headers.get('Content-Encoding');
  const encodingOk = enc === undefined || enc.trim() === '' || enc.trim().toLowerCase() === 'identity';
  if (accepted && encodingOk) return null;
  const extra: [string, string][] = [['Accept', acceptedTypes.join(', ')]];
  if (!encodingOk) extra.push(['Accept-Encoding', 'identity']);
  return { status: 415, reason: 'Unsupported Media Type', extraHeaders: extra };
}

/**
 * §8.2.3 / §21.4.7: the response to an INVITE carries SDP (our answer, or our offer when the
 * INVITE had none), so an Accept header that excludes application/sdp leaves nothing we may send
 * → 406 Not Acceptable with Accept naming what we send (RFC 4475 §3.3.15). No Accept header means
 * application/sdp (§20.1); an empty one accepts nothing; a range with q=0 excludes (the most
 * specific matching range decides, as in HTTP).
 */
export function checkAccept(req: SipRequest): Rejection | null {
  if (req.method !== 'INVITE') return null;
  const lines = req.headers.getAll('Accept');
  if (lines.length === 0) return null;
  let best: { specificity: number; q: number } | undefined;
  for (const line of lines) {
    let ranges: string[];
    try {
      ranges = splitHeaderList(line, 'Accept');
    } catch {
      return { status: 400, reason: 'Bad Accept header' };
    }
    for (const r of ranges) {
      const m = acceptRangeFor(r);
      if (m && (!best || m.specificity > best.specificity)) best = m;
    }
  }
  if (best && best.q > 0) return null;
  return { status: 406, reason: 'Not Acceptable', extraHeaders: [['Accept', ACCEPT_HEADER]] };
}

/** How specifically one media-range (§20.1) matches application/sdp: 2 exact, 1 for application/any, 0 for any/any; undefined: no match. */
function acceptRangeFor(range: string): { specificity: number; q: number } | undefined {
  if (range === '') return undefined;
  const semi = range.indexOf(';');
  const [type, subtype] = trimWsp(semi < 0 ? range : range.slice(0, semi)).toLowerCase().split('/');
  let specificity: number;
  if (type === 'application' && subtype === 'sdp') specificity = 2;
  else if (type === 'application' && subtype === '*') specificity = 1;
  else if (type === '*' && subtype === '*') specificity = 0;
  else return undefined;
  let q = 1;
  if (semi >= 0) {
    try {
      const qv = parseParams(range.slice(semi), 'Accept').get('q');
      // §25.1 qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ); anything else counts as 1.
      if (qv !== undefined && qv !== null && /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(qv)) q = Number(qv);
    } catch {
      // Unparsable parameters: the range still names the type.
    }
  }
  return { specificity, q };
}

/** Characters of warn-text kept (a Warning is for a log line, not a document). */
const WARN_TEXT_MAX = 200;

/**
 * A Warning header value (§20.43): `warn-code SP warn-agent SP warn-text`, with
 * warn-code = 3DIGIT (anything else becomes 399), warn-agent = hostport / pseudonym (a token; any
 * other character becomes '-', empty becomes `acip`), warn-text = quoted-string (§25.1: `"` and
 * `\` as quoted-pairs; CR, LF and other controls, which qdtext does not allow and quoted-pair
 * cannot carry safely, become spaces; cut to 200 characters before quoting so an escape is never
 * cut in half). Codes used: 304 media type not available, 305 incompatible media format, 399 misc.
 */
export function warningHeader(agent: string, code: number, text: string): string {
  const warnCode = Number.isInteger(code) && code >= 100 && code <= 999 ? code : 399;
  return `${warnCode} ${warnAgent(agent)} ${quote(warnText(text))}`;
}

function warnAgent(agent: string): string {
  if (agent === '') return 'acip';
  try {
    if (parseHostPortAt(agent, 0, 'warn-agent').end === agent.length) return agent;
  } catch {
    // not a hostport: make it a pseudonym
  }
  let out = '';
  for (let i = 0; i < agent.length; i++) out += isTokenChar(agent.charCodeAt(i)) ? agent[i] : '-';
  return out;
}

function warnText(text: string): string {
  // By code points, so a surrogate pair is never split.
  return Array.from(text)
    .slice(0, WARN_TEXT_MAX)
    .map((ch) => {
      const c = ch.codePointAt(0)!;
      return (c < 0x20 && c !== 0x09) || c === 0x7f ? ' ' : ch;
    })
    .join('');
}
