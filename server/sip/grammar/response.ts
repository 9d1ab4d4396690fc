/**
 * Build a response to a request (RFC 3261 §8.2.6.2): Via (all, in order), From, To (with a
 * to-tag added when asked and absent), Call-ID and CSeq are copied; for 100 Trying a Timestamp is
 * copied too (§8.2.6.1). Works on `SipParseError.partial` as well: headers that are missing are
 * simply not copied, so a 400 can still reach the sender.
 */
import { SipHeaders, type SipRequest, type SipResponse } from './message.js';
import { getTag } from './headers.js';

export const REASON_PHRASES: ReadonlyMap<number, string> = new Map([
  [100, 'Trying'], [180, 'Ringing'], [181, 'Call Is Being Forwarded'], [182, 'Queued'], [183, 'Session Progress'],
  [200, 'OK'], [202, 'Accepted'],
  [300, 'Multiple Choices'], [301, 'Moved Permanently'], [302, 'Moved Temporarily'], [305, 'Use Proxy'], [380, 'Alternative Service'],
  [400, 'Bad Request'], [401, 'Unauthorized'], [402, 'Payment Required'], [403, 'Forbidden'], [404, 'Not Found'],
  [405, 'Method Not Allowed'], [406, 'Not Acceptable'], [407, 'Proxy Authentication Required'], [408, 'Request Timeout'],
  [410, 'Gone'], [413, 'Request Entity Too Large'], [414, 'Request-URI Too Long'], [415, 'Unsupported Media Type'],
  [416, 'Unsupported URI Scheme'], [420, 'Bad Extension'], [421, 'Extension Required'], [423, 'Interval Too Brief'],
  [480, 'Temporarily Unavailable'], [481, 'Call/Transaction Does Not Exist'], [482, 'Loop Detected'], [483, 'Too Many Hops'],
  [484, 'Address Incomplete'], [485, 'Ambiguous'], [486, 'Busy Here'], [487, 'Request Terminated'], [488, 'Not Acceptable Here'],
  [491, 'Request Pending'], [493, 'Undecipherable'],
  [500, 'Server Internal Error'], [501, 'Not Implemented'], [502, 'Bad Gateway'], [503, 'Service Unavailable'],
  [504, 'Server Time-out'], [505, 'Version Not Supported'], [513, 'Message Too Large'],
  [600, 'Busy Everywhere'], [603, 'Decline'], [604, 'Does Not Exist Anywhere'], [606, 'Not Acceptable'],
]);

export function reasonPhrase(status: number): string {
  return REASON_PHRASES.get(status) ?? (status >= 100 && status < 700 ? 'Unknown' : 'Invalid');
}

export interface CreateResponseOptions {
  /** Add `;tag=<toTag>` to To unless it already carries a tag (§8.2.6.2). */
  toTag?: string;
  /** Extra headers, appended in order after the copied ones. */
  headers?: Iterable<[string, string]>;
  body?: Buffer;
  /** Sets Content-Type when a body is given. */
  contentType?: string;
}

/** Reason phrases are TEXT-UTF8 without CR/LF (§25.1); anything else becomes a space. */
export function sanitizeReason(reason: string): string {
  // eslint-disable-next-line no-control-regex
  return reason.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, 200);
}

export function createResponse(req: SipRequest, status: number, reason?: string, opts: CreateResponseOptions = {}): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new RangeError(`SIP status ${status} out of range`);
  const headers = new SipHeaders();
  for (const v of req.headers.getAll('Via')) headers.append('Via', v);
  const from = req.headers.get('From');
  if (from !== undefined) headers.append('From', from);
  let to = req.headers.get('To');
  if (to !== undefined && opts.toTag !== undefined && status !== 100) {
    let hasTag = false;
    try {
      hasTag = getTag(to) !== undefined;
    } catch {
      hasTag = false; // unparseable To (we are answering 400 to it): leave it as it is
    }
    if (!hasTag) to = `${to};tag=${opts.toTag}`;
  }
  if (to !== undefined) headers.append('To', to);
  const callId = req.headers.get('Call-ID');
  if (callId !== undefined) headers.append('Call-ID', callId);
  const cseq = req.headers.get('CSeq');
  if (cseq !== undefined) headers.append('CSeq', cseq);
  if (status === 100) {
    const ts = req.headers.get('Timestamp');
    if (ts !== undefined) headers.append('Timestamp', ts);
  }
  for (const [n, v] of opts.headers ?? []) headers.append(n, v);
  const body = opts.body ?? Buffer.alloc(0);
  if (body.length > 0 && opts.contentType !== undefined) headers.set('Content-Type', opts.contentType);
  return {
    kind: 'response',
    version: 'SIP/2.0',
    status,
    reason: sanitizeReason(reason ?? reasonPhrase(status)),
    headers,
    body,
  };
}
