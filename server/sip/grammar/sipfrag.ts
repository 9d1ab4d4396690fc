/**
 * message/sipfrag bodies (RFC 3420 §2): a fragment of a SIP message.
 *
 *   sipfrag = [ start-line ] *message-header [ CRLF [ message-body ] ]
 *
 * REFER progress NOTIFYs carry one (RFC 3515 §2.4.5: "the body of a NOTIFY MUST begin with a SIP
 * Response Status-Line"), usually nothing more than `SIP/2.0 180 Ringing`. The parser is tolerant in
 * what real peers send (bare LF line ends, a missing final line end) and strict in what it reads:
 * a bounded size, a status code of three digits, header lines with a name and a colon.
 * It returns a typed value or throws `SipParseError` (never another error).
 */
import { SipParseError, excerpt } from './parse-error.js';
import { isToken, trimWsp } from './lex.js';
import { SipHeaders } from './message.js';
import { isSipVersionText } from './parser.js';

/** RFC 3420 §4 media type, with the version parameter RFC 3515 §2.4.5 uses. */
export const SIPFRAG_CONTENT_TYPE = 'message/sipfrag;version=2.0';
/** A progress fragment is one line; anything past this is not a fragment we need to read. */
export const MAX_SIPFRAG_BYTES = 8192;

export type SipfragStartLine =
  | { kind: 'status'; version: string; status: number; reason: string }
  | { kind: 'request'; method: string; uri: string; version: string };

export interface Sipfrag {
  startLine?: SipfragStartLine;
  headers: SipHeaders;
  body: string;
}

/** Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2); the reason may be empty. */
function parseStatusLine(line: string): SipfragStartLine | undefined {
  const sp = line.indexOf(' ');
  if (sp < 0 || !isSipVersionText(line.slice(0, sp))) return undefined;
  const rest = line.slice(sp + 1);
  const code = rest.slice(0, 3);
  if (!/^[1-6][0-9][0-9]$/.test(code) || (rest.length > 3 && rest[3] !== ' ')) {
    throw new SipParseError('SIP_BAD_STATUS_CODE', `Bad sipfrag status line ${excerpt(line)}`, 'sipfrag');
  }
  return { kind: 'status', version: line.slice(0, sp), status: Number(code), reason: rest.slice(4) };
}

/** Request-Line = Method SP Request-URI SP SIP-Version. */
function parseRequestLine(line: string): SipfragStartLine | undefined {
  const parts = line.split(' ');
  if (parts.length !== 3 || !isToken(parts[0]!) || parts[1]!.length === 0 || !isSipVersionText(parts[2]!)) return undefined;
  return { kind: 'request', method: parts[0]!, uri: parts[1]!, version: parts[2]! };
}

export function parseSipfrag(body: Buffer | string): Sipfrag {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size > MAX_SIPFRAG_BYTES) throw new SipParseError('SIP_TOO_LARGE', `sipfrag larger than ${MAX_SIPFRAG_BYTES} bytes`, 'sipfrag');
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const frag: Sipfrag = { headers: new SipHeaders(), body: '' };
  let i = 0;
  if (lines.length > 0 && lines[0] !== '') {
    const first = lines[0]!;
    const start = parseStatusLine(first) ?? parseRequestLine(first);
    if (start) {
      frag.startLine = start;
      i = 1;
    }
  }
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') {
      frag.body = lines.slice(i + 1).join('\r\n');
      break;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : trimWsp(line.slice(0, colon));
    if (!isToken(name)) throw new SipParseError('SIP_BAD_HEADER', `Bad sipfrag line ${excerpt(line, 30)}`, 'sipfrag');
    frag.headers.append(name, trimWsp(line.slice(colon + 1)));
  }
  return frag;
}

/** The status of a REFER progress fragment (RFC 3515 §2.4.5), or a SipParseError when it has none. */
export function sipfragStatus(body: Buffer | string): { status: number; reason: string } {
  const frag = parseSipfrag(body);
  if (frag.startLine?.kind !== 'status') throw new SipParseError('SIP_BAD_START_LINE', 'sipfrag does not begin with a Status-Line', 'sipfrag');
  return { status: frag.startLine.status, reason: frag.startLine.reason };
}

/** `SIP/2.0 <status> <reason>\r\n`: the whole fragment RFC 3515 §2.4.5 asks for. */
export function buildStatusSipfrag(status: number, reason: string): string {
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new RangeError(`sipfrag status ${status} is not 100..699`);
  return `SIP/2.0 ${status} ${reason.replace(/[\r\n]+/g, ' ')}\r\n`;
}
