/**
 * SIP, SIPS (RFC 3261 §19.1, grammar §25.1) and tel (RFC 3966) URIs, and the name-addr /
 * addr-spec forms of From, To, Contact, Route and Record-Route (§20.10).
 *
 * Parsed values are decoded: %-escapes in user, password, parameters and headers are resolved
 * (§19.1.4 treats them as equivalent), *after* the URI has been split into its parts, so an escaped
 * `%3A`/`%40` in the user part can never create a new scheme or host (RFC 4475 §3.1.1.3).
 * An IPv6 host is stored without its brackets; `formatUri` puts them back.
 */
import { isIPv6 } from 'node:net';
import { SipParseError, excerpt } from './parse-error.js';
import { isTokenChar, isWsp, parseDigits, percentDecode, percentEncode, quote, scanQuoted, skipWsp, trimWsp, unquote } from './lex.js';
import { formatParams, parseParamsAt, splitHeaderList, type Params } from './headers.js';

export type UriScheme = 'sip' | 'sips' | 'tel';

export interface SipUri {
  scheme: UriScheme;
  /** Decoded user part; for `tel:` the telephone number (global `+...` or local). */
  user?: string;
  /** Decoded password (§19.1.1 discourages its use, but it is grammar). */
  password?: string;
  /** Hostname, IPv4 address, or IPv6 address without brackets. Empty for `tel:`. */
  host: string;
  port?: number;
  /** uri-parameters, names lower-cased, values decoded; `null` for a flag such as `lr`. */
  params: Map<string, string | null>;
  /** URI headers (`?subject=x&priority=urgent`), decoded. */
  headers: Map<string, string>;
}

export interface NameAddr {
  /** The display name, unquoted (quoted-pairs resolved), or undefined when absent. */
  displayName?: string;
  uri: SipUri;
  /** Header parameters (tag, expires, q, ...), names lower-cased, values raw (quoted values keep quotes). */
  params: Params;
}

// ---- character classes (§25.1) -------------------------------------------------------------
const ALNUM = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const MARK = new Set([..."-_.!~*'()"].map((ch) => ch.charCodeAt(0)));
const unreserved = (c: number): boolean => ALNUM(c) || MARK.has(c);
const USER_UNRESERVED = new Set([...'&=+$,;?/'].map((ch) => ch.charCodeAt(0)));
const userChar = (c: number): boolean => unreserved(c) || USER_UNRESERVED.has(c);
const PASSWORD_EXTRA = new Set([...'&=+$,'].map((ch) => ch.charCodeAt(0)));
const passwordChar = (c: number): boolean => unreserved(c) || PASSWORD_EXTRA.has(c);
const PARAM_UNRESERVED = new Set([...'[]/:&+$'].map((ch) => ch.charCodeAt(0)));
const paramChar = (c: number): boolean => unreserved(c) || PARAM_UNRESERVED.has(c);
const HNV_UNRESERVED = new Set([...'[]/?:+$'].map((ch) => ch.charCodeAt(0)));
const hnvChar = (c: number): boolean => unreserved(c) || HNV_UNRESERVED.has(c);

/** Every char is in the class or is part of a %HEX HEX escape (checked by percentDecode). */
function checkChars(s: string, ok: (c: number) => boolean, what: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x25 && !ok(c)) throw new SipParseError('SIP_BAD_URI', `Bad URI: invalid character ${excerpt(s[i]!)} in ${what}`, what);
  }
}

function isSchemeText(s: string): boolean {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )  (RFC 3986 §3.1)
  if (s.length === 0) return false;
  const c0 = s.charCodeAt(0);
  if (!((c0 >= 0x41 && c0 <= 0x5a) || (c0 >= 0x61 && c0 <= 0x7a))) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(ALNUM(c) || c === 0x2b || c === 0x2d || c === 0x2e)) return false;
  }
  return true;
}

// ---- hosts -------------------------------------------------------------------------------------
/** IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each 0..255. */
export function isIPv4(s: string): boolean {
  let parts = 0;
  let i = 0;
  while (parts < 4) {
    const start = i;
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    const len = i - start;
    if (len < 1 || len > 3 || Number(s.slice(start, i)) > 255) return false;
    parts++;
    if (parts < 4) {
      if (s.charCodeAt(i) !== 0x2e) return false;
      i++;
    }
  }
  return i === s.length;
}

/** hostname = *( domainlabel "." ) toplabel [ "." ] (§25.1). */
export function isHostname(s: string): boolean {
  if (s.length === 0 || s.length > 255) return false;
  const body = s.endsWith('.') ? s.slice(0, -1) : s;
  if (body.length === 0) return false;
  const labels = body.split('.');
  for (const l of labels) {
    if (l.length === 0 || l.length > 63) return false;
    if (!ALNUM(l.charCodeAt(0)) || !ALNUM(l.charCodeAt(l.length - 1))) return false;
    for (let i = 1; i < l.length - 1; i++) {
      const c = l.charCodeAt(i);
      if (!ALNUM(c) && c !== 0x2d) return false;
    }
  }
  const top = labels[labels.length - 1]!;
  const t0 = top.charCodeAt(0);
  return (t0 >= 0x41 && t0 <= 0x5a) || (t0 >= 0x61 && t0 <= 0x7a);
}

export type HostKind = 'hostname' | 'ipv4' | 'ipv6';

/** Classify a host (IPv6 without brackets), or undefined when it is none of the three. */
export function hostKind(host: string): HostKind | undefined {
  if (isIPv4(host)) return 'ipv4';
  if (host.includes(':')) return isIPv6(host) && !host.includes('%') ? 'ipv6' : undefined;
  return isHostname(host) ? 'hostname' : undefined;
}

/** Put brackets around an IPv6 address for use in a URI or Via. */
export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export interface HostPort {
  host: string;
  port?: number;
}

/**
 * Parse `host [":" port]` starting at s[i]; returns the parsed value and the index after it.
 * Stops at the first character that cannot belong to it.
 */
export function parseHostPortAt(s: string, i: number, what: string): { hp: HostPort; end: number } {
  let host: string;
  if (s.charCodeAt(i) === 0x5b /* [ */) {
    const close = s.indexOf(']', i);
    if (close < 0) throw new SipParseError('SIP_BAD_URI', `Bad ${what}: unterminated IPv6 reference`, what);
    host = s.slice(i + 1, close);
    if (hostKind(host) !== 'ipv6') throw new SipParseError('SIP_BAD_URI', `Bad ${what}: bad IPv6 address ${excerpt(host)}`, what);
    i = close + 1;
  } else {
    const start = i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (ALNUM(c) || c === 0x2d || c === 0x2e) i++;
      else break;
    }
    host = s.slice(start, i);
    const kind = hostKind(host);
    if (kind === undefined || kind === 'ipv6') throw new SipParseError('SIP_BAD_URI', `Bad ${what}: bad host ${excerpt(host)}`, what);
  }
  const hp: HostPort = { host };
  if (s.charCodeAt(i) === 0x3a /* : */) {
    const p0 = ++i;
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    hp.port = parseDigits(s.slice(p0, i), 65535, `${what} port`, 'SIP_BAD_URI');
  }
  return { hp, end: i };
}

// ---- URIs --------------------------------------------------------------------------------------
/**
 * Parse a SIP, SIPS or tel URI. Any other well-formed absolute URI throws with code
 * `SIP_UNSUPPORTED_URI_SCHEME` (a UAS answers 416, §8.2.2.1); anything else `SIP_BAD_URI`.
 */
export function parseUri(text: string, what = 'URI'): SipUri {
  const colon = text.indexOf(':');
  const schemeText = colon > 0 ? text.slice(0, colon) : '';
  if (!isSchemeText(schemeText)) throw new SipParseError('SIP_BAD_URI', `Bad ${what}: no scheme in ${excerpt(text)}`, what);
  const scheme = schemeText.toLowerCase();
  const rest = text.slice(colon + 1);
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(scheme, rest, what);
  if (scheme === 'tel') return parseTelUri(rest, what);
  throw new SipParseError('SIP_UNSUPPORTED_URI_SCHEME', `Unsupported URI scheme ${excerpt(scheme, 20)} in ${what}`, what);
}

function parseSipUri(scheme: 'sip' | 'sips', s: string, what: string): SipUri {
  const uri: SipUri = { scheme, host: '', params: new Map(), headers: new Map() };
  let i = 0;
  // §19.1.1: '@' can only appear (unescaped) as the end of userinfo.
  const at = s.indexOf('@');
  if (at >= 0) {
    const userinfo = s.slice(0, at);
    const pc = userinfo.indexOf(':');
    const userRaw = pc >= 0 ? userinfo.slice(0, pc) : userinfo;
    if (userRaw.length === 0) throw new SipParseError('SIP_BAD_URI', `Bad ${what}: empty user part`, what);
    checkChars(userRaw, userChar, `${what} user`);
    uri.user = percentDecode(userRaw, what);
    if (pc >= 0) {
      const pw = userinfo.slice(pc + 1);
      checkChars(pw, passwordChar, `${what} password`);
      uri.password = percentDecode(pw, what);
    }
    i = at + 1;
  }
  const { hp, end } = parseHostPortAt(s, i, what);
  uri.host = hp.host;
  if (hp.port !== undefined) uri.port = hp.port;
  i = end;
  const q = s.indexOf('?', i);
  const paramText = s.slice(i, q < 0 ? s.length : q);
  if (paramText.length > 0) {
    if (paramText.charCodeAt(0) !== 0x3b) throw new SipParseError('SIP_BAD_URI', `Bad ${what}: unexpected ${excerpt(paramText, 12)} after host`, what);
    parseUriParams(paramText.slice(1), uri.params, paramChar, what);
  }
  if (q >= 0) {
    const ht = s.slice(q + 1);
    for (const pair of ht.split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new SipParseError('SIP_BAD_URI', `Bad ${what}: bad URI header ${excerpt(pair, 20)}`, what);
      const hn = pair.slice(0, eq);
      const hv = pair.slice(eq + 1);
      checkChars(hn, hnvChar, `${what} header`);
      checkChars(hv, hnvChar, `${what} header`);
      const name = percentDecode(hn, what);
      const value = percentDecode(hv, what);
      const prev = uri.headers.get(name);
      uri.headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
    }
  }
  return uri;
}

function parseUriParams(text: string, into: Map<string, string | null>, ok: (c: number) => boolean, what: string): void {
  for (const p of text.split(';')) {
    if (p.length === 0) throw new SipParseError('SIP_BAD_URI', `Bad ${what}: empty URI parameter`, what);
    const eq = p.indexOf('=');
    const nRaw = eq < 0 ? p : p.slice(0, eq);
    if (nRaw.length === 0) throw new SipParseError('SIP_BAD_URI', `Bad ${what}: empty URI parameter name`, what);
    checkChars(nRaw, ok, `${what} parameter`);
    const name = percentDecode(nRaw, what).toLowerCase();
    let value: string | null = null;
    if (eq >= 0) {
      const vRaw = p.slice(eq + 1);
      if (vRaw.length === 0) throw new SipParseError('SIP_BAD_URI', `Bad ${what}: empty value for URI parameter ${name}`, what);
      checkChars(vRaw, ok, `${what} parameter`);
      value = percentDecode(vRaw, what);
    }
    if (into.has(name)) throw new SipParseError('SIP_BAD_URI', `Bad ${what}: duplicate URI parameter ${name}`, what);
    into.set(name, value);
  }
}

const PHONE_SEP = new Set([...'-.()'].map((ch) => ch.charCodeAt(0)));

/** RFC 3966 §3: telephone-subscriber = global-number / local-number, then ;par. */
function parseTelUri(s: string, what: string): SipUri {
  const semi = s.indexOf(';');
  const number = semi < 0 ? s : s.slice(0, semi);
  const global = number.startsWith('+');
  let digits = 0;
  for (let i = global ? 1 : 0; i < number.length; i++) {
    const c = number.charCodeAt(i);
    const isDigit = c >= 0x30 && c <= 0x39;
    const isHex = (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
    if (isDigit || (!global && (isHex || c === 0x2a || c === 0x23))) digits++;
    else if (!PHONE_SEP.has(c)) throw new SipParseError('SIP_BAD_URI', `Bad ${what}: invalid character in telephone number`, what);
  }
  if (digits === 0) throw new SipParseError('SIP_BAD_URI', `Bad ${what}: empty telephone number`, what);
  const uri: SipUri = { scheme: 'tel', user: number, host: '', params: new Map(), headers: new Map() };
  if (semi >= 0) parseUriParams(s.slice(semi + 1), uri.params, paramChar, what);
  return uri;
}

export function formatUri(uri: SipUri): string {
  let out = `${uri.scheme}:`;
  const paramsText = formatUriParams(uri.params);
  if (uri.scheme === 'tel') return `${out}${uri.user ?? ''}${paramsText}`;
  if (uri.user !== undefined) {
    out += percentEncode(uri.user, userChar);
    if (uri.password !== undefined) out += `:${percentEncode(uri.password, passwordChar)}`;
    out += '@';
  }
  out += formatHost(uri.host);
  if (uri.port !== undefined) out += `:${uri.port}`;
  out += paramsText;
  if (uri.headers.size > 0) {
    const parts: string[] = [];
    for (const [k, v] of uri.headers) parts.push(`${percentEncode(k, hnvChar)}=${percentEncode(v, hnvChar)}`);
    out += `?${parts.join('&')}`;
  }
  return out;
}

function formatUriParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [k, v] of params) {
    out += `;${percentEncode(k, paramChar)}`;
    if (v !== null) out += `=${percentEncode(v, paramChar)}`;
  }
  return out;
}

// ---- name-addr / addr-spec (§20.10, §25.1) ----------------------------------------------------
/**
 * Parse `[display-name] <URI> *(;param)` or `addr-spec *(;param)`. For the addr-spec form the URI
 * ends at the first ';' (or whitespace), and what follows are header parameters, not URI
 * parameters (§20.10). RFC 4475 §3.1.1.6: a display name may touch the '<' (`caller<sip:...>`).
 */
export function parseNameAddr(text: string, what = 'header'): NameAddr {
  const v = trimWsp(text);
  let i = 0;
  let displayName: string | undefined;
  let angle = false;
  if (v.charCodeAt(0) === 0x22 /* " */) {
    const end = scanQuoted(v, 0);
    if (end < 0) throw new SipParseError('SIP_BAD_QUOTED_STRING', `Bad ${what}: unterminated quoted display name`, what);
    displayName = unquote(v.slice(0, end));
    i = skipWsp(v, end);
    if (v.charCodeAt(i) !== 0x3c) throw new SipParseError('SIP_BAD_NAME_ADDR', `Bad ${what}: expected '<' after display name`, what);
    angle = true;
  } else {
    // display-name = *(token LWS): scan tokens and blanks; a '<' makes it a name-addr.
    let j = 0;
    while (j < v.length && (isTokenChar(v.charCodeAt(j)) || isWsp(v.charCodeAt(j)))) j++;
    if (v.charCodeAt(j) === 0x3c) {
      const d = trimWsp(v.slice(0, j)).replace(/[ \t]+/g, ' ');
      if (d.length > 0) displayName = d;
      i = j;
      angle = true;
    }
  }
  let uriText: string;
  let after: number;
  if (angle) {
    const close = v.indexOf('>', i + 1);
    if (close < 0) throw new SipParseError('SIP_BAD_NAME_ADDR', `Bad ${what}: missing '>'`, what);
    uriText = v.slice(i + 1, close);
    after = close + 1;
  } else {
    let j = i;
    while (j < v.length) {
      const c = v.charCodeAt(j);
      if (c === 0x3b || isWsp(c)) break;
      if (c === 0x2c || c === 0x3c || c === 0x3e || c === 0x22) {
        throw new SipParseError('SIP_BAD_NAME_ADDR', `Bad ${what}: unexpected ${excerpt(v[j]!)} in address`, what);
      }
      j++;
    }
    uriText = v.slice(i, j);
    after = j;
  }
  if (uriText.length === 0) throw new SipParseError('SIP_BAD_NAME_ADDR', `Bad ${what}: empty URI`, what);
  const uri = parseUri(uriText, what);
  const params = parseParamsAt(v, after, what);
  const na: NameAddr = { uri, params };
  if (displayName !== undefined) na.displayName = displayName;
  return na;
}

/** Always the name-addr form (with <>), so URI parameters cannot be mistaken for header ones. */
export function formatNameAddr(na: NameAddr): string {
  const d = na.displayName !== undefined && na.displayName !== '' ? `${quote(na.displayName)} ` : '';
  return `${d}<${formatUri(na.uri)}>${formatParams(na.params)}`;
}

/** A comma-separated list of name-addrs (Contact, Route, Record-Route). Empty elements are errors. */
export function parseNameAddrList(value: string, what = 'header'): NameAddr[] {
  return splitHeaderList(value, what).map((part) => {
    if (part === '') throw new SipParseError('SIP_BAD_NAME_ADDR', `Bad ${what}: empty list element`, what);
    return parseNameAddr(part, what);
  });
}
