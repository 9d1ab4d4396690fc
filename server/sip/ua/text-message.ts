/**
 * Instant messages (RFC 3428): what an incoming MESSAGE is to the layers above, how its body is
 * read, and sending one outside any dialog (tried on each RFC 3263 target in turn, like an
 * OPTIONS probe). Inside a dialog a MESSAGE goes through the call (`DialogCall.sendInDialog`).
 * A 401/407 is answered once with the credentials given (RFC 3261 §22.2, `sendNonInvite`).
 *
 * Only `text/plain` is taken (RFC 3428 §8: anything else is answered 415 with Accept), in UTF-8
 * (or its subset US-ASCII, RFC 3428 §9 / RFC 2046); a body that is not valid UTF-8 gets 400.
 */
import { AcipError } from '../../util/errors.js';
import { SipHeaders, type SipRequest } from '../grammar/message.js';
import { parseParams } from '../grammar/headers.js';
import { formatUri, parseNameAddr } from '../grammar/uri.js';
import type { Rejection } from '../grammar/validate.js';
import type { SipTransport } from '../transport/sip-transport.js';
import type { DigestCredentials } from './digest-client.js';
import { newCallId, newTag } from './ids.js';
import { digestFor, sendNonInvite } from './non-invite-request.js';
import type { OptionsProbeHost } from './options-probe.js';
import type { SipRoute } from './ua-core.js';

/** The one body type we send and take in a MESSAGE. */
export const TEXT_CONTENT_TYPE = 'text/plain;charset=UTF-8';
/** Charsets we read (RFC 3428 §9: UTF-8 is the one every UA must take; US-ASCII is a subset). */
const READABLE_CHARSETS = new Set(['utf-8', 'us-ascii']);

/** An incoming MESSAGE, admitted, its body read; the UA has answered it 200. */
export interface IncomingTextMessage {
  /** The sender's URI (From, without its tag), e.g. `sip:studio@192.0.2.7`. */
  from: string;
  displayName?: string;
  text: string;
  callId: string;
  /** The Call-ID, local and remote tag of the dialog it came in, when it came in one. */
  dialogKey?: string;
  /** The packet source address (never a header). */
  source: string;
  /** The digest user name it authenticated as, when admission asked for one. */
  user?: string;
}

/** How an outgoing MESSAGE ended: its final status (408 on timeout, 503 when it could not be sent). */
export interface MessageResult {
  status: number;
  reason: string;
}

/** The body of a MESSAGE as text, or the rejection (400 for a charset we do not read or bytes that are not UTF-8). */
export function readTextBody(req: SipRequest): { text: string } | { rejection: Rejection } {
  const ct = req.headers.get('Content-Type') ?? '';
  const semi = ct.indexOf(';');
  if (semi >= 0) {
    let charset: string | null | undefined;
    try {
      charset = parseParams(ct.slice(semi), 'Content-Type').get('charset');
    } catch {
      return { rejection: { status: 400, reason: 'Bad Content-Type' } };
    }
    const cs = charset?.replace(/^"|"$/g, '').toLowerCase();
    if (cs !== undefined && !READABLE_CHARSETS.has(cs)) {
      return { rejection: { status: 415, reason: 'Unsupported Media Type', extraHeaders: [['Accept', TEXT_CONTENT_TYPE]] } };
    }
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(req.body) };
  } catch {
    return { rejection: { status: 400, reason: 'Bad Request: body is not UTF-8' } };
  }
}

/** The sender of a request (From URI and display name); undefined when From does not parse. */
export function senderOf(req: SipRequest): { uri: string; displayName?: string } | undefined {
  try {
    const na = parseNameAddr(req.headers.get('From') ?? '', 'From');
    return { uri: formatUri({ ...na.uri, params: new Map(), headers: new Map() }), ...(na.displayName ? { displayName: na.displayName } : {}) };
  } catch {
    return undefined;
  }
}

/** What sending a MESSAGE needs from the user agent (the same as an OPTIONS probe). */
export type MessageSendHost = OptionsProbeHost;

function messageRequest(host: MessageSendHost, target: string, body: Buffer, transport: SipTransport): SipRequest {
  const ourHost = host.hostOf(transport);
  const h = new SipHeaders();
  h.append('Via', host.via(transport));
  h.append('Max-Forwards', '70');
  h.append('From', `<sip:${host.localUser}@${ourHost}>;tag=${newTag()}`);
  h.append('To', `<${target}>`);
  h.append('Call-ID', newCallId(ourHost));
  h.append('CSeq', '1 MESSAGE');
  // RFC 3428 §4: no Contact in a MESSAGE (it does not set up a dialog).
  h.append('User-Agent', host.userAgentName);
  h.append('Content-Type', TEXT_CONTENT_TYPE);
  h.append('Content-Length', String(body.length));
  return { kind: 'request', method: 'MESSAGE', uri: target, version: 'SIP/2.0', headers: h, body };
}

/**
 * Send `text` in a MESSAGE outside any dialog (RFC 3428 §4). Resolves with the final status: a
 * timeout is 408, a transport error 503, and either (or a 503 answer) moves on to the next RFC
 * 3263 target (§4.3). A challenge is answered once with `auth` (RFC 3261 §22.2); without it, or
 * challenged again, the 401/407 is the final status. Rejects when the target cannot be routed
 * (DNS failure included).
 */
export function sendTextMessage(host: MessageSendHost, target: string, text: string, auth?: DigestCredentials): Promise<MessageResult> {
  if (host.isClosed()) return Promise.reject(new AcipError('SIP_UA_CLOSED', 'user agent closed'));
  let located: SipRoute[] | Promise<SipRoute[]>;
  try {
    located = host.locate(target);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  const body = Buffer.from(text, 'utf8');
  return new Promise<MessageResult>((resolve, reject) => {
    const run = (routes: SipRoute[]) => {
      if (host.isClosed()) reject(new AcipError('SIP_UA_CLOSED', 'user agent closed'));
      else attempt(host, target, body, auth, routes, 0, resolve);
    };
    if (Array.isArray(located)) run(located);
    else located.then(run, reject);
  });
}

function attempt(
  host: MessageSendHost,
  target: string,
  body: Buffer,
  auth: DigestCredentials | undefined,
  routes: SipRoute[],
  index: number,
  done: (r: MessageResult) => void,
): void {
  const route = routes[index]!;
  const next = (r: MessageResult) => {
    if (index + 1 < routes.length && !host.isClosed()) attempt(host, target, body, auth, routes, index + 1, done);
    else done(r);
  };
  try {
    sendNonInvite(host, messageRequest(host, target, body, route.transport), route, {
      onResponse: (res) => {
        if (res.status === 503) next({ status: 503, reason: res.reason });
        else if (res.status >= 200) done({ status: res.status, reason: res.reason });
      },
      onTimeout: () => next({ status: 408, reason: 'Request Timeout' }),
      onTransportError: () => next({ status: 503, reason: 'Service Unavailable (transport error)' }),
    }, { digest: digestFor(auth) });
  } catch (err) {
    done({ status: 503, reason: `Service Unavailable (${err instanceof Error ? err.message : String(err)})` });
  }
}
