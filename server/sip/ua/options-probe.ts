/**
 * Reachability probe (RFC 3261 §11): an OPTIONS outside any dialog to a target, tried on each
 * RFC 3263 target in turn until one gives a final answer; reports the status and the round-trip
 * time of the last attempt.
 */
import { AcipError } from '../../util/errors.js';
import { SipHeaders, type SipRequest } from '../grammar/message.js';
import type { SipTransport } from '../transport/sip-transport.js';
import { newCallId, newTag } from './ids.js';
import type { SipRoute, UaCore } from './ua-core.js';
import { ACCEPT_HEADER } from './uas-policy.js';

export interface OptionsResult {
  status: number;
  /** Round-trip time from the request to its final response, in milliseconds. */
  rttMs: number;
}

/** What a probe needs from the user agent. */
export interface OptionsProbeHost extends Pick<UaCore, 'clock' | 'userAgentName' | 'locate' | 'via' | 'contact' | 'sendRequest'> {
  isClosed(): boolean;
  /** User part of our From. */
  readonly localUser: string;
  /** The host we advertise over `transport` (IPv6 in brackets). */
  hostOf(transport: SipTransport): string;
}

const closedError = () => new AcipError('SIP_UA_CLOSED', 'user agent closed');

/**
 * Resolves with the final status and the RTT of the last attempt (408 on timeout). A timeout,
 * transport error or 503 moves on to the next RFC 3263 target (§4.3). Rejects when the target
 * cannot be routed (DNS failure included) or the UA closes before the lookup ends.
 */
export function probeOptions(host: OptionsProbeHost, target: string): Promise<OptionsResult> {
  if (host.isClosed()) return Promise.reject(closedError());
  let located: SipRoute[] | Promise<SipRoute[]>;
  try {
    located = host.locate(target);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  return new Promise<OptionsResult>((resolve, reject) => {
    const run = (routes: SipRoute[]) => {
      if (host.isClosed()) reject(closedError());
      else optionsTo(host, target, routes, 0, resolve);
    };
    if (Array.isArray(located)) run(located);
    else located.then(run, reject);
  });
}

function optionsRequest(host: OptionsProbeHost, target: string, transport: SipTransport): SipRequest {
  const ourHost = host.hostOf(transport);
  const h = new SipHeaders();
  h.append('Via', host.via(transport));
  h.append('Max-Forwards', '70');
  h.append('From', `<sip:${host.localUser}@${ourHost}>;tag=${newTag()}`);
  h.append('To', `<${target}>`);
  h.append('Call-ID', newCallId(ourHost));
  h.append('CSeq', '1 OPTIONS');
  h.append('Contact', host.contact(transport));
  h.append('Accept', ACCEPT_HEADER);
  h.append('User-Agent', host.userAgentName);
  h.append('Content-Length', '0');
  return { kind: 'request', method: 'OPTIONS', uri: target, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}

function optionsTo(host: OptionsProbeHost, target: string, routes: SipRoute[], index: number, done: (r: OptionsResult) => void): void {
  const route = routes[index]!;
  const req = optionsRequest(host, target, route.transport);
  const t0 = host.clock.now();
  const finish = (status: number) => done({ status, rttMs: host.clock.now() - t0 });
  // RFC 3263 §4.3: a timeout, a transport error or a 503 moves on to the next target.
  const next = (status: number) => {
    if (index + 1 < routes.length && !host.isClosed()) optionsTo(host, target, routes, index + 1, done);
    else finish(status);
  };
  host.sendRequest(req, route, {
    onResponse: (res) => {
      if (res.status === 503) next(503);
      else if (res.status >= 200) finish(res.status);
    },
    onTimeout: () => next(408),
    onTransportError: () => next(503),
  });
}
