/**
 * What this UA supports, in one table, and the UAS checks of RFC 3261 §8.2.1–§8.2.3 that depend
 * on it (the grammar-level checks — 400/416/505 — are `validateRequest`'s).
 */
import type { SipRequest } from '../message.js';
import { parseTokenList } from '../headers.js';
import type { Rejection } from '../validate.js';

/** Methods this UA implements (Allow, §20.5). */
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS'] as const;
/** Methods we recognise but do not allow here (→ 405 with Allow, §8.2.1); anything else → 501. */
export const KNOWN_NOT_ALLOWED = new Set([
  'REGISTER', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'INFO', 'UPDATE', 'PRACK', 'PUBLISH',
]);
/** Body types we accept (§8.2.3 → 415 with Accept). */
export const ACCEPTED_CONTENT_TYPES = ['application/sdp'] as const;
/** Option tags we support (Supported, §20.37); a Require outside this list → 420 (§8.2.2.3). */
export const SUPPORTED_OPTIONS: readonly string[] = [];

export const ALLOW_HEADER = ALLOWED_METHODS.join(', ');
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

/** §8.2.3: a body of a type we do not understand → 415 with Accept. Content-Encoding is not supported either. */
export function checkContent(req: SipRequest): Rejection | null {
  if (req.body.length === 0) return null;
  const type = (req.headers.get('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const accepted = (ACCEPTED_CONTENT_TYPES as readonly string[]).includes(type);
  const enc = req.headers.get('Content-Encoding');
  const encodingOk = enc === undefined || enc.trim() === '' || enc.trim().toLowerCase() === 'identity';
  if (accepted && encodingOk) return null;
  const extra: [string, string][] = [['Accept', ACCEPT_HEADER]];
  if (!encodingOk) extra.push(['Accept-Encoding', 'identity']);
  return { status: 415, reason: 'Unsupported Media Type', extraHeaders: extra };
}

/**
 * A Warning header value (§20.43): `warn-code SP warn-agent SP "text"`. Codes used here:
 * 304 media type not available, 305 incompatible media format, 399 miscellaneous.
 */
export function warningHeader(agent: string, code: number, text: string): string {
  const safeAgent = agent.replace(/[^A-Za-z0-9.\-_~!*'()%+`]/g, '-') || 'acip';
  const safeText = text.replace(/["\\\r\n]/g, ' ').slice(0, 200);
  return `${code} ${safeAgent} "${safeText}"`;
}
