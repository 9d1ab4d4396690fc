/**
 * SIP message serializer. Writes `Name: value` lines with the canonical header names of
 * `message.ts` (compact forms expanded), CRLF line endings, and exactly one Content-Length equal
 * to the body's byte length (§20.14; §18.3 makes it mandatory on streams, so it is always written).
 * The Content-Length line takes the place of the first one the message had, else goes last.
 *
 * Values that could inject a line (CR/LF) or names that are not tokens throw
 * `AcipError('SIP_BAD_OUTGOING_MESSAGE')`: that is a programming error above, not network input.
 */
import { AcipError } from '../../util/errors.js';
import type { SipMessage } from './message.js';
import { isToken } from './lex.js';

function fail(msg: string, field?: string): never {
  throw new AcipError('SIP_BAD_OUTGOING_MESSAGE', msg, field);
}

function checkText(s: string, what: string): void {
  if (s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0) fail(`${what} contains CR or LF`, what);
}

export function serializeStartLine(msg: SipMessage): string {
  if (msg.kind === 'request') {
    if (!isToken(msg.method)) fail('method is not a token', 'method');
    if (msg.uri.length === 0 || /[\x00-\x20\x7f]/.test(msg.uri)) fail('Request-URI is empty or contains blanks/controls', 'uri');
    checkText(msg.version, 'version');
    return `${msg.method} ${msg.uri} ${msg.version}`;
  }
  if (!Number.isInteger(msg.status) || msg.status < 100 || msg.status > 699) fail(`status ${msg.status} out of range`, 'status');
  checkText(msg.reason, 'reason');
  checkText(msg.version, 'version');
  return `${msg.version} ${msg.status} ${msg.reason}`;
}

export function serializeMessage(msg: SipMessage): Buffer {
  const lines: string[] = [serializeStartLine(msg)];
  const cl = `Content-Length: ${msg.body.length}`;
  let wroteCl = false;
  for (const h of msg.headers.entries()) {
    if (h.name.toLowerCase() === 'content-length') {
      if (!wroteCl) lines.push(cl);
      wroteCl = true;
      continue;
    }
    if (!isToken(h.name)) fail(`header name ${JSON.stringify(h.name)} is not a token`, h.name);
    checkText(h.value, h.name);
    lines.push(`${h.name}: ${h.value}`);
  }
  if (!wroteCl) lines.push(cl);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  return msg.body.length === 0 ? head : Buffer.concat([head, msg.body]);
}
