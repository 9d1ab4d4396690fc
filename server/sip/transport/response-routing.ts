/**
 * Where requests' responses go: RFC 3261 §18.2.1 (server stamps `received`), RFC 3581 §4
 * (fills `rport`), and §18.2.2 (sending responses).
 */
import { isIP } from 'node:net';
import { SipHeaders, type SipMessage, type SipRequest, type SipResponse } from '../grammar/message.js';
import { splitHeaderList } from '../grammar/headers.js';
import { isSipParseError } from '../grammar/parse-error.js';
import { formatVia, parseVia, type Via } from '../grammar/via.js';
import type { InboundInfo, SipAddress, SipDestination, SipTransportHandler } from './sip-transport.js';

/** RFC 3261 §18.1.1 / §19.1.2: the default port of SIP over UDP and TCP. */
export const DEFAULT_SIP_PORT = 5060;
/** RFC 3261 §19.1.2: the default port of SIP over TLS (sips:). */
export const DEFAULT_SIPS_PORT = 5061;

/** Parse the first element of the top Via, or undefined if absent or malformed. */
export function readTopVia(msg: SipMessage): Via | undefined {
  const v = msg.headers.get('Via');
  if (v === undefined) return undefined;
  try {
    const first = splitHeaderList(v, 'Via')[0];
    return first === undefined ? undefined : parseVia(first)[0];
  } catch {
    return undefined;
  }
}

/**
 * §18.2.1: add `received` when the sent-by host is a name or an IP other than the source;
 * RFC 3581 §4: when `rport` is present without a value, fill it with the source port and add
 * `received` even if it equals sent-by. Rewrites only the first Via element; returns whether it
 * could (a malformed Via is left as it is).
 */
export function stampReceived(req: SipRequest, remote: SipAddress): boolean {
  const line = req.headers.get('Via');
  if (line === undefined) return false;
  let elements: string[];
  let via: Via | undefined;
  try {
    elements = splitHeaderList(line, 'Via');
    via = elements[0] === undefined ? undefined : parseVia(elements[0])[0];
  } catch {
    return false;
  }
  if (!via) return false;
  let changed = false;
  const hostDiffers = isIP(via.host) === 0 || via.host.toLowerCase() !== remote.address.toLowerCase();
  if (via.rport === true) {
    via.rport = remote.port;
    via.received = remote.address;
    changed = true;
  } else if (hostDiffers || (via.received !== undefined && via.received !== remote.address)) {
    // A `received` that arrives in a request is not ours to trust: replace it with the source,
    // so responses can never be steered to a third party (RFC 3261 §26.3.2.1 reflection).
    via.received = remote.address;
    changed = true;
  }
  if (!changed) return true;
  elements[0] = formatVia(via);
  // Replace only the first Via header line, keeping its position among the headers.
  const rewritten = elements.join(', ');
  let done = false;
  req.headers = new SipHeaders(
    req.headers.entries().map((h) => {
      if (done || h.name !== 'Via') return h;
      done = true;
      return { name: h.name, value: rewritten };
    }),
  );
  return true;
}

/**
 * A message that failed to parse: a request the parser read far enough (not an ACK) is stamped and
 * handed to the handler to be answered with a 400; responses are dropped (RFC 4475 §3.1.2.19).
 */
export function offerMalformedRequest(err: unknown, handler: SipTransportHandler | undefined, info: InboundInfo): void {
  if (!isSipParseError(err)) return;
  const partial = err.partial;
  if (partial?.kind === 'request' && partial.method !== 'ACK') {
    stampReceived(partial, info.remote);
    handler?.onMalformedRequest?.(partial, err.message, info);
  }
}

/**
 * §18.2.2 (with RFC 3581 §4): the destination of a response.
 * - reliable transport: the connection the request arrived on (the transport falls back to a new
 *   connection to received/sent-by port if it has closed);
 * - otherwise: `received` (or the sent-by host) and `rport`'s value, else the sent-by port, else 5060.
 * Deliberate deviation: `maddr` (multicast responses) is not supported; we answer the source instead.
 */
export function responseDestination(res: SipResponse, info: InboundInfo | undefined): SipDestination | undefined {
  const via = readTopVia(res);
  if (!via) {
    // No usable Via: the only sane place is where the request came from.
    return info ? { ...info.remote, ...(info.connectionId ? { connectionId: info.connectionId } : {}) } : undefined;
  }
  const address = via.received ?? (isIP(via.host) !== 0 ? via.host : info?.remote.address);
  if (address === undefined) return undefined;
  const port = typeof via.rport === 'number' ? via.rport : (via.port ?? (via.transport === 'TLS' ? DEFAULT_SIPS_PORT : DEFAULT_SIP_PORT));
  const dest: SipDestination = { address, port };
  if (info?.connectionId) dest.connectionId = info.connectionId;
  return dest;
}
