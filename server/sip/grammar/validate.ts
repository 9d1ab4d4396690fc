/**
 * UAS checks of a parsed request that RFC 3261 §8.2 and RFC 4475 ask for *before* any method,
 * extension or body decisions (those belong to the UA core: 405/415/420/501/...).
 *
 *   505  version is not SIP/2.0                              (§21.5.6, RFC 4475 §3.1.2.16)
 *   400  missing or duplicated Via/From/To/Call-ID/CSeq/Max-Forwards, malformed values,
 *        CSeq method different from the request method      (§8.1.1, RFC 4475 §3.3.8, §3.1.2.17)
 *   416  Request-URI scheme other than sip/sips/tel          (§8.2.2.1, RFC 4475 §3.3.2)
 *
 * The reason phrase names the fault (§21.4.1: the Reason-Phrase SHOULD identify the syntax problem).
 */
import type { SipRequest } from './message.js';
import { SipParseError } from './parse-error.js';
import { isSipVersionText } from './parser.js';
import { parseCSeq, parseDeltaSeconds, parseMaxForwards } from './headers.js';
import { parseNameAddr, parseUri } from './uri.js';
import { parseVia } from './via.js';
import { MemoCache } from '../../util/memo-cache.js';

export interface Rejection {
  status: number;
  reason: string;
  /** Headers to add to the rejection (name, value), e.g. Unsupported for 420. */
  extraHeaders?: [string, string][];
}

const SINGLE = ['Call-ID', 'From', 'To', 'CSeq', 'Max-Forwards'] as const;
const REQUIRED = ['Via', 'Call-ID', 'From', 'To', 'CSeq'] as const;

function reject400(reason: string): Rejection {
  return { status: 400, reason };
}

/**
 * Values already found well-formed, per grammar. The requests of one call repeat the same From,
 * Request-URI and (INVITE and its ACK) Via, and a To that changes once (the tag): each value is
 * parsed once, not on every request. Bounded; malformed values are never remembered, so they are
 * rejected every time (util/memo-cache.ts).
 */
export const WELL_FORMED_CACHE_MAX = 1024;

/** A memo of `check` (which throws on a malformed value): `get(v)` runs it unless v passed before. */
const wellFormed = (check: (v: string) => void): MemoCache<string, true> =>
  new MemoCache(WELL_FORMED_CACHE_MAX, (v: string) => {
    check(v);
    return true as const;
  });

/** A Via header value whose every entry is SIP/2.0 (the other fault a Via can have, a syntax error, throws). */
function checkVia(value: string): void {
  for (const via of parseVia(value)) {
    if (via.protocol !== 'SIP/2.0') throw new SipParseError('SIP_BAD_HEADER', 'Bad Via header: protocol is not SIP/2.0', 'Via');
  }
}

export function isSupportedVersion(version: string): boolean {
  return version.toUpperCase() === 'SIP/2.0';
}

/** null when the request may go on to the transaction and UA layers; otherwise the response to send. */
export function validateRequest(req: SipRequest): Rejection | null {
  if (!isSupportedVersion(req.version)) return { status: 505, reason: 'Version Not Supported' };
  // §8.1.1: To, From, CSeq, Call-ID, Max-Forwards and Via are mandatory. Max-Forwards is not
  // enforced: RFC 2543 peers omit it and RFC 4475 §3.4.1 asks us to stay backward compatible.
  for (const name of REQUIRED) {
    if (req.headers.count(name) === 0) return reject400(`Missing ${name} header`);
  }
  for (const name of SINGLE) {
    if (req.headers.count(name) > 1) return reject400(`Duplicate ${name} header`);
  }
  try {
    const cseq = parseCSeq(req.headers.get('CSeq')!);
    // §8.2 / RFC 4475 §3.1.2.17: the CSeq method must match the request method.
    if (cseq.method !== req.method) return reject400('CSeq method does not match request method');
    const mf = req.headers.get('Max-Forwards');
    if (mf !== undefined) parseMaxForwards(mf);
    for (const v of req.headers.getAll('Via')) goodVia.get(v);
    goodFrom.get(req.headers.get('From')!);
    goodTo.get(req.headers.get('To')!);
    const exp = req.headers.get('Expires');
    if (exp !== undefined) parseDeltaSeconds(exp, 'Expires');
    if (req.headers.get('Call-ID')!.length === 0) return reject400('Empty Call-ID header');
  } catch (e) {
    if (e instanceof SipParseError) return reject400(e.message);
    throw e;
  }
  try {
    goodRequestUri.get(req.uri);
  } catch (e) {
    if (e instanceof SipParseError) {
      // §8.2.2.1: a Request-URI scheme the UAS does not understand gets 416.
      if (e.code === 'SIP_UNSUPPORTED_URI_SCHEME') return { status: 416, reason: 'Unsupported URI Scheme' };
      return reject400(e.message);
    }
    throw e;
  }
  return null;
}

/** From/To must be well-formed; an unknown URI scheme there is tolerated (§8.2.2.1 only concerns the Request-URI). */
function checkNameAddr(value: string, what: string): void {
  try {
    parseNameAddr(value, what);
  } catch (e) {
    if (e instanceof SipParseError && e.code === 'SIP_UNSUPPORTED_URI_SCHEME') return;
    throw e;
  }
}
const goodFrom = wellFormed((v) => checkNameAddr(v, 'From'));
const goodTo = wellFormed((v) => checkNameAddr(v, 'To'));
const goodRequestUri = wellFormed((v) => void parseUri(v, 'Request-URI'));
const goodVia = wellFormed(checkVia);

/**
 * What a UAS does with a message that failed to parse: answer when the error carries a partial
 * *request* (400, with the error message as the reason phrase naming the fault; 505 when the
 * fault is an unsupported version), otherwise drop it (responses, RFC 4475 §3.1.2.19; unreadable
 * start lines, and partial requests without a Via: there is nowhere to send an answer).
 */
export function rejectionForParseError(e: SipParseError): Rejection | null {
  const p = e.partial;
  if (!p || p.kind !== 'request' || !p.headers.has('Via')) return null;
  if (e.code === 'SIP_BAD_START_LINE' && isSipVersionText(p.version) && !isSupportedVersion(p.version)) {
    return { status: 505, reason: 'Version Not Supported' };
  }
  if (e.code === 'SIP_TOO_LARGE') return { status: 513, reason: 'Message Too Large' };
  return { status: 400, reason: e.message };
}
