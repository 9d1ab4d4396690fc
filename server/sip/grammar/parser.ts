/**
 * SIP message parser (RFC 3261 §7, §18.3) working on Buffers: Content-Length counts bytes.
 *
 * The parser frames and tokenises; it does not judge header semantics (that is `validate.ts`).
 * Malformed input throws `SipParseError`; when the start line and at least the well-formed
 * header lines could be read, the error carries `partial` so a UAS can still answer 400 to the
 * right Via and Call-ID.
 *
 * Deliberate leniencies (robustness, RFC 3261 §7.5 / RFC 4475): CRLFs before the start line are
 * skipped; a bare LF is accepted as a line ending (CRLF is written). A bare CR is rejected: it can
 * never be part of a header (quoted-pair excludes CR, §25.1).
 */
import { SipHeaders, canonicalHeaderName, type SipMessage, type SipRequest, type SipResponse } from './message.js';
import { SipParseError, excerpt } from './parse-error.js';
import { isToken, isWsp, trimWsp } from './lex.js';
import { parseContentLength } from './headers.js';
import { DEFAULT_SIP_LIMITS, resolveLimits, type SipLimits } from './limits.js';

export { SipParseError, isSipParseError } from './parse-error.js';
export { DEFAULT_SIP_LIMITS, type SipLimits } from './limits.js';

const LF = 0x0a;
const CR = 0x0d;

export type SipFraming = 'datagram' | 'stream';

export interface ParseOptions {
  /**
   * `datagram` (default): bytes past Content-Length are discarded and a missing Content-Length
   * means "the rest of the datagram" (§18.3). `stream`: Content-Length is mandatory (§18.3, §20.14).
   */
  framing?: SipFraming;
}

/** Index of the first byte that is not CR or LF at or after `from`. */
export function skipLeadingCrlf(buf: Buffer, from: number): number {
  let p = from;
  while (p < buf.length && (buf[p] === CR || buf[p] === LF)) p++;
  return p;
}

/**
 * Find the empty line that ends the header section, scanning buf[from, to). Returns the index of
 * the first body byte, or -1. `from` may point into the middle of a previous scan (the stream
 * framer resumes from where it stopped, minus 2 bytes, so nothing is rescanned).
 */
export function findBodyStart(buf: Buffer, from: number, to: number = buf.length): number {
  let k = buf.indexOf(LF, from);
  while (k >= 0 && k < to) {
    const n1 = buf[k + 1];
    if (n1 === LF && k + 1 < to) return k + 2;
    if (n1 === CR && buf[k + 2] === LF && k + 2 < to) return k + 3;
    k = buf.indexOf(LF, k + 1);
  }
  return -1;
}

interface RawField {
  name: string;
  value: string;
}

interface HeaderSection {
  startLine: string;
  fields: RawField[];
  /** The first malformed header line (the others are still in `fields`). */
  error?: SipParseError;
}

/**
 * Split the header section text into the start line and unfolded header fields (§7.3.1: a line
 * starting with SP/HTAB continues the previous one; the line break and surrounding blanks become
 * one SP). Limits are checked as lines are read.
 */
export function readHeaderSection(text: string, limits: SipLimits): HeaderSection {
  let pos = 0;
  let startLine: string | undefined;
  const fields: RawField[] = [];
  // The header line being read; continuation lines (rare) are appended to it as they come.
  let current: string | undefined;
  let currentLen = 0;
  let error: SipParseError | undefined;
  const flush = (): void => {
    if (current === undefined) return;
    const line = current;
    current = undefined;
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : trimWsp(line.slice(0, colon));
    if (colon < 0 || !isToken(name)) {
      error ??= new SipParseError('SIP_BAD_HEADER', `Malformed header line ${excerpt(line, 30)}`, colon < 0 ? undefined : name);
      return;
    }
    fields.push({ name: canonicalHeaderName(name), value: trimWsp(line.slice(colon + 1)) });
  };
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.indexOf('\r') >= 0) throw new SipParseError('SIP_BAD_HEADER', 'Bare CR in message header', undefined, undefined);
    if (startLine === undefined) {
      if (line.length > limits.maxStartLineBytes) throw new SipParseError('SIP_BAD_START_LINE', 'Start line too long');
      startLine = line;
      continue;
    }
    if (line.length === 0) break; // callers pass only the header section; tolerate the blank line
    if (isWsp(line.charCodeAt(0))) {
      if (current === undefined) {
        error ??= new SipParseError('SIP_BAD_HEADER', 'Continuation line without a header');
        continue;
      }
      // §7.3.1 folding: [*WSP CRLF] 1*WSP is one SP.
      const piece = trimWsp(line);
      current = `${trimEndWsp(current)} ${piece}`;
      currentLen += piece.length + 1;
    } else {
      flush();
      if (fields.length + 1 > limits.maxHeaders) {
        throw new SipParseError('SIP_TOO_MANY_HEADERS', `Too many headers (limit ${limits.maxHeaders})`);
      }
      current = line;
      currentLen = line.length;
    }
    if (currentLen > limits.maxHeaderLineBytes) {
      throw new SipParseError('SIP_HEADER_TOO_LONG', `Header too long (limit ${limits.maxHeaderLineBytes} bytes)`);
    }
  }
  flush();
  const section: HeaderSection = { startLine: startLine ?? '', fields };
  if (error) section.error = error;
  return section;
}

function trimEndWsp(s: string): string {
  let b = s.length;
  while (b > 0 && isWsp(s.charCodeAt(b - 1))) b--;
  return b === s.length ? s : s.slice(0, b);
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (§25.1; literal compared case-insensitively). */
export function isSipVersionText(v: string): boolean {
  if (v.length < 7 || v.slice(0, 4).toUpperCase() !== 'SIP/') return false;
  const dot = v.indexOf('.', 4);
  if (dot < 5 || dot === v.length - 1) return false;
  for (let i = 4; i < v.length; i++) {
    if (i === dot) continue;
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

type StartLine =
  | { kind: 'request'; method: string; uri: string; version: string }
  | { kind: 'response'; version: string; status: number; reason: string };

function parseStartLine(line: string): StartLine {
  if (line.length === 0) throw new SipParseError('SIP_BAD_START_LINE', 'Empty start line');
  const sp1 = line.indexOf(' ');
  const first = sp1 < 0 ? line : line.slice(0, sp1);
  if (first.indexOf('/') >= 0) {
    // §7.2 Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    if (!isSipVersionText(first) || sp1 < 0) throw new SipParseError('SIP_BAD_START_LINE', `Bad status line ${excerpt(line, 30)}`);
    const sp2 = line.indexOf(' ', sp1 + 1);
    const code = sp2 < 0 ? line.slice(sp1 + 1) : line.slice(sp1 + 1, sp2);
    // Status-Code = 3DIGIT; §21 defines 1xx..6xx. RFC 4475 §3.1.2.19: 4294967301 must not wrap to 5.
    if (code.length !== 3 || !/^[1-6][0-9][0-9]$/.test(code)) {
      throw new SipParseError('SIP_BAD_STATUS_CODE', `Bad status code ${excerpt(code, 16)}`);
    }
    const reason = sp2 < 0 ? '' : line.slice(sp2 + 1);
    return { kind: 'response', version: first, status: Number(code), reason };
  }
  // §7.1 Request-Line = Method SP Request-URI SP SIP-Version CRLF (single SPs: RFC 4475 §3.1.2.8)
  const parts = line.split(' ');
  if (parts.length !== 3) throw new SipParseError('SIP_BAD_START_LINE', `Bad request line: expected 3 elements, got ${parts.length}`);
  const [method, uri, version] = parts as [string, string, string];
  if (!isToken(method)) throw new SipParseError('SIP_BAD_START_LINE', `Bad request method ${excerpt(method, 20)}`);
  if (uri.length === 0 || /[\x00-\x20\x7f]/.test(uri)) throw new SipParseError('SIP_BAD_START_LINE', 'Bad Request-URI');
  if (!isSipVersionText(version)) throw new SipParseError('SIP_BAD_START_LINE', `Bad SIP version ${excerpt(version, 20)}`);
  return { kind: 'request', method, uri, version };
}

/** For a start line that is not a status line: method = first word, version = last, URI = the rest. */
function requestLikeFallback(line: string): StartLine | undefined {
  const sp1 = line.indexOf(' ');
  const first = sp1 < 0 ? line : line.slice(0, sp1);
  if (first.length === 0 || first.indexOf('/') >= 0 || !isToken(first)) return undefined;
  const sp2 = line.lastIndexOf(' ');
  const version = sp2 > sp1 ? line.slice(sp2 + 1) : '';
  const uri = sp2 > sp1 ? line.slice(sp1 + 1, sp2) : sp1 < 0 ? '' : line.slice(sp1 + 1);
  return { kind: 'request', method: first, uri, version };
}

function buildMessage(start: StartLine, fields: RawField[], body: Buffer): SipMessage {
  const headers = new SipHeaders();
  for (const f of fields) headers.append(f.name, f.value);
  if (start.kind === 'request') {
    const req: SipRequest = { kind: 'request', method: start.method, uri: start.uri, version: start.version, headers, body };
    return req;
  }
  const res: SipResponse = { kind: 'response', version: start.version, status: start.status, reason: start.reason, headers, body };
  return res;
}

const EMPTY = Buffer.alloc(0);

/**
 * Parse one SIP message. With the default `datagram` framing this is RFC 3261 §18.3 for UDP:
 * the body is Content-Length bytes and anything after it is discarded; without Content-Length
 * the body is the rest of the datagram; a Content-Length larger than what arrived is an error.
 */
export function parseMessage(buf: Buffer, limits?: Partial<SipLimits>, options?: ParseOptions): SipMessage {
  const L = limits ? resolveLimits(limits) : DEFAULT_SIP_LIMITS;
  const framing = options?.framing ?? 'datagram';
  if (buf.length > L.maxMessageBytes) {
    throw new SipParseError('SIP_TOO_LARGE', `Message too large (${buf.length} bytes, limit ${L.maxMessageBytes})`);
  }
  // §7.5: implementations SHOULD ignore any CRLF appearing before the start-line.
  const p = skipLeadingCrlf(buf, 0);
  if (p >= buf.length) throw new SipParseError('SIP_EMPTY', 'Empty message');
  const bodyStart = findBodyStart(buf, p);
  const headerEnd = bodyStart < 0 ? buf.length : bodyStart;
  if (headerEnd - p > L.maxHeaderSectionBytes) {
    throw new SipParseError('SIP_HEADERS_TOO_LARGE', `Header section too large (limit ${L.maxHeaderSectionBytes} bytes)`);
  }
  const section = readHeaderSection(buf.toString('utf8', p, headerEnd), L);
  let start: StartLine;
  try {
    start = parseStartLine(section.startLine);
  } catch (e) {
    // A malformed request line (RFC 4475 §3.1.2.8) still deserves a 400 if the headers say where
    // to send it: give a partial request carrying the raw start-line pieces.
    const fallback = requestLikeFallback(section.startLine);
    if (e instanceof SipParseError && fallback) e.partial = buildMessage(fallback, section.fields, EMPTY);
    throw e;
  }
  const partial = (): SipMessage => buildMessage(start, section.fields, EMPTY);
  if (section.error) {
    section.error.partial = partial();
    throw section.error;
  }
  if (bodyStart < 0) {
    throw new SipParseError('SIP_NO_HEADER_END', 'Incomplete message: no empty line after the headers', undefined, partial());
  }
  let contentLength: number | undefined;
  for (const f of section.fields) {
    if (f.name !== 'Content-Length') continue;
    let n: number;
    try {
      n = parseContentLength(f.value, L.maxMessageBytes);
    } catch (e) {
      if (e instanceof SipParseError) e.partial = partial();
      throw e;
    }
    // RFC 4475 §3.3.9: conflicting Content-Length values make framing impossible; never pick one.
    if (contentLength !== undefined && contentLength !== n) {
      throw new SipParseError('SIP_BAD_CONTENT_LENGTH', 'Conflicting Content-Length headers', 'Content-Length', partial());
    }
    contentLength = n;
  }
  const available = buf.length - bodyStart;
  let body: Buffer;
  if (contentLength === undefined) {
    if (framing === 'stream') {
      // §18.3: over a stream transport the Content-Length header MUST be used.
      throw new SipParseError('SIP_BAD_CONTENT_LENGTH', 'Missing Content-Length on a stream transport', 'Content-Length', partial());
    }
    body = Buffer.from(buf.subarray(bodyStart));
  } else {
    if (contentLength > available) {
      throw new SipParseError(
        'SIP_BAD_CONTENT_LENGTH',
        `Content-Length ${contentLength} exceeds the ${available} body bytes received`,
        'Content-Length',
        partial(),
      );
    }
    // §18.3: octets past Content-Length in a datagram are discarded (RFC 4475 §3.1.1.8). A copy:
    // the message outlives the receive buffer; an empty body (ACK, BYE) needs none.
    body = contentLength === 0 ? EMPTY : Buffer.from(buf.subarray(bodyStart, bodyStart + contentLength));
  }
  return buildMessage(start, section.fields, body);
}

/**
 * Parse only the start line and headers of buf (which must hold at least the whole header
 * section), ignoring Content-Length and the body. Used to give a framing error a `partial`.
 */
export function parseHead(buf: Buffer, limits?: Partial<SipLimits>): SipMessage {
  const L = limits ? resolveLimits(limits) : DEFAULT_SIP_LIMITS;
  const p = skipLeadingCrlf(buf, 0);
  const bodyStart = findBodyStart(buf, p);
  const end = Math.min(bodyStart < 0 ? buf.length : bodyStart, p + L.maxHeaderSectionBytes);
  const section = readHeaderSection(buf.toString('utf8', p, end), L);
  return buildMessage(parseStartLine(section.startLine), section.fields, EMPTY);
}

/** For one message cut out of a stream by `SipStreamFramer`: Content-Length is mandatory. */
export function parseMessageStream(buf: Buffer, limits?: Partial<SipLimits>): SipMessage {
  return parseMessage(buf, limits, { framing: 'stream' });
}
