/**
 * Lexical building blocks of the RFC 3261 §25.1 grammar, written as index scanners (no
 * backtracking regular expressions: every function here is linear in its input).
 */
import { SipParseError } from './parse-error.js';

const TOKEN = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
// §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

export function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN[code] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

export function isWsp(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Skip SP/HTAB (header values arrive unfolded, so LWS is only SP/HTAB here). */
export function skipWsp(s: string, i: number): number {
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  return i;
}

/** Trim SP/HTAB only (String.prototype.trim would also eat NUL-adjacent Unicode spaces). */
export function trimWsp(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWsp(s.charCodeAt(a))) a++;
  while (b > a && isWsp(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Index just past the token starting at i (i itself when there is none). */
export function scanToken(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

/**
 * s[i] must be `"`. Returns the index just past the closing quote, or -1 when the string never
 * closes. §25.1 quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): the escaped character may be NUL,
 * which must not end anything.
 */
export function scanQuoted(s: string, i: number): number {
  let j = i + 1;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 0x5c /* \ */) {
      if (j + 1 >= s.length) return -1;
      j += 2;
      continue;
    }
    if (c === 0x22 /* " */) return j + 1;
    j++;
  }
  return -1;
}

/** The content of a quoted-string (with its quotes) with quoted-pairs resolved. */
export function unquote(raw: string): string {
  if (raw.length < 2 || raw.charCodeAt(0) !== 0x22 || raw.charCodeAt(raw.length - 1) !== 0x22) return raw;
  let out = '';
  for (let j = 1; j < raw.length - 1; j++) {
    const c = raw[j]!;
    if (c === '\\' && j + 1 < raw.length - 1) {
      out += raw[j + 1]!;
      j++;
    } else out += c;
  }
  return out;
}

/** Make a quoted-string. CR and LF cannot be quoted-pairs (§25.1), so they become spaces. */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\r' || ch === '\n') out += ' ';
    else out += ch;
  }
  return `${out}"`;
}

const DIGITS_MAX_SAFE = 15; // 10^15 - 1 < 2^53: anything longer (after leading zeros) is rejected

/**
 * Parse 1*DIGIT into a number no greater than `max`. Leading zeros are allowed (RFC 4475 §3.1.1.1
 * "0068"); signs, spaces, fractions, exponents and values above `max` (or 2^53) are rejected rather
 * than wrapped or rounded (RFC 4475 §3.1.2.4).
 */
export function parseDigits(text: string, max: number, what: string, code: SipParseError['code'] = 'SIP_BAD_NUMBER'): number {
  if (text.length === 0) throw new SipParseError(code, `${what}: empty number`, what);
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw new SipParseError(code, `${what}: not a decimal number`, what);
  }
  let start = 0;
  while (start < text.length - 1 && text.charCodeAt(start) === 0x30) start++;
  if (text.length - start > DIGITS_MAX_SAFE) throw new SipParseError(code, `${what}: number too large`, what);
  const n = Number(text.slice(start));
  if (n > max) throw new SipParseError(code, `${what}: ${n} exceeds ${max}`, what);
  return n;
}

/** %HEX HEX decoding (RFC 3986 §2.1). Malformed escapes are an error, not passed through. */
export function percentDecode(s: string, what: string): string {
  if (s.indexOf('%') < 0) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const h = hexVal(s.charCodeAt(i + 1));
      const l = hexVal(s.charCodeAt(i + 2));
      if (h < 0 || l < 0) throw new SipParseError('SIP_BAD_URI', `${what}: bad %-escape`, what);
      bytes.push(h * 16 + l);
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      const cp = s.codePointAt(i)!;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** %-escape every character of s not in `allowed` (UTF-8 for non-ASCII). */
export function percentEncode(s: string, allowed: (code: number) => boolean): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c < 0x80 && allowed(c)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
