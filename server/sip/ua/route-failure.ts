/**
 * The one table that turns a failure to route a request (RFC 3263 resolution, missing transport)
 * into the SIP status a call or registration reports, so that every caller maps failures the
 * same way.
 */
import { isAcipError } from '../../util/errors.js';

export interface RouteFailure {
  status: number;
  reason: string;
}

const TABLE = new Map<string, { status: number; phrase: string }>([
  // The name (or its SIP SRV records) does not exist: nobody to ask for the user.
  ['SIP_DNS_NOT_FOUND', { status: 404, phrase: 'Not Found' }],
  // DNS did not answer (timeout, SERVFAIL): maybe later.
  ['SIP_DNS_FAILED', { status: 503, phrase: 'Service Unavailable' }],
  ['SIP_UNRESOLVABLE', { status: 404, phrase: 'Not Found' }],
  ['SIP_NO_TRANSPORT', { status: 503, phrase: 'Service Unavailable' }],
  ['SIP_UNROUTABLE', { status: 404, phrase: 'Not Found' }],
]);

/** Status and a reason naming the cause, e.g. `404 Not Found (DNS has no address for studio.example.net)`. */
export function routeFailure(err: unknown): RouteFailure {
  const row = isAcipError(err) ? TABLE.get(err.code) : undefined;
  const detail = err instanceof Error ? err.message : String(err);
  const { status, phrase } = row ?? { status: 503, phrase: 'Service Unavailable' };
  return { status, reason: `${phrase} (${detail})` };
}
