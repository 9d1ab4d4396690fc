/**
 * The one error type of the SIP grammar (parser, URI, Via, header helpers, digest, framer).
 * `code` is stable (callers switch on it); `message` names the fault and the header, and is
 * short and printable so that a UAS can use it as the reason phrase of its 400 response.
 */
import { AcipError } from '../../util/errors.js';
import type { SipMessage } from './message.js';

export type SipParseErrorCode =
  | 'SIP_EMPTY'
  | 'SIP_BAD_START_LINE'
  | 'SIP_BAD_STATUS_CODE'
  | 'SIP_TOO_LARGE'
  | 'SIP_TOO_MANY_HEADERS'
  | 'SIP_HEADER_TOO_LONG'
  | 'SIP_HEADERS_TOO_LARGE'
  | 'SIP_NO_HEADER_END'
  | 'SIP_BAD_HEADER'
  | 'SIP_BAD_CONTENT_LENGTH'
  | 'SIP_BAD_URI'
  | 'SIP_UNSUPPORTED_URI_SCHEME'
  | 'SIP_BAD_NAME_ADDR'
  | 'SIP_BAD_VIA'
  | 'SIP_BAD_PARAMS'
  | 'SIP_BAD_CSEQ'
  | 'SIP_BAD_NUMBER'
  | 'SIP_BAD_QUOTED_STRING'
  | 'SIP_BAD_CHALLENGE'
  | 'SIP_UNSUPPORTED_DIGEST_ALGORITHM'
  | 'SIP_FRAMING_FAILED';

export class SipParseError extends AcipError {
  override readonly code: SipParseErrorCode;
  /**
   * The message as far as it could be read (start line and the well-formed headers, empty body),
   * present when a UAS can still answer (e.g. 400 to the right Via/Call-ID). Absent when the start
   * line itself was unreadable.
   */
  partial: SipMessage | undefined;

  constructor(code: SipParseErrorCode, message: string, field?: string, partial?: SipMessage) {
    super(code, printable(message), field);
    this.name = 'SipParseError';
    this.code = code;
    this.partial = partial;
  }
}

export function isSipParseError(e: unknown): e is SipParseError {
  return e instanceof SipParseError;
}

/** Messages quote network input: keep them one short printable line (they become reason phrases). */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\x00-\x1f\x7f]/g, ' ');
  return clean.length > 120 ? `${clean.slice(0, 117)}...` : clean;
}

/** Quote a fragment of input in an error message, shortened. */
export function excerpt(s: string, max = 40): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}...` : s);
}
