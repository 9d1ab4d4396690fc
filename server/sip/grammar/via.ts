/**
 * Via (RFC 3261 §20.42, grammar §25.1) with the RFC 3581 rport parameter.
 *
 *   via-parm = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport   (SLASH = SWS "/" SWS)
 */
import { SipParseError, excerpt } from './parse-error.js';
import { isToken, parseDigits, scanToken, skipWsp } from './lex.js';
import { formatParams, parseParamsAt, splitHeaderList, type Params } from './headers.js';
import { formatHost, hostKind, parseHostPortAt } from './uri.js';
import { BRANCH_MAGIC_COOKIE } from './message.js';

export interface Via {
  /** protocol-name "/" protocol-version, e.g. `SIP/2.0` (upper-cased name). */
  protocol: string;
  /** Transport, upper-cased: UDP, TCP, TLS, SCTP, WS, or any extension token. */
  transport: string;
  /** sent-by host (IPv6 without brackets). */
  host: string;
  port?: number;
  /** All via-params, names lower-cased, values raw. */
  params: Params;
  branch?: string;
  /** RFC 3261 §18.2.1 received= (an IP address). */
  received?: string;
  /**
   * RFC 3581 rport: undefined when absent, `true` when present without a value (the client asks
   * for it to be filled in), a port number when filled in.
   */
  rport?: number | true;
  /** ttl (0..255) and maddr when present. */
  ttl?: number;
  maddr?: string;
}

/** Parse a Via header value: one or more comma-separated via-parms. Empty elements are errors (RFC 4475 §3.1.2.1). */
export function parseVia(value: string): Via[] {
  const parts = splitHeaderList(value, 'Via');
  return parts.map((p) => {
    if (p === '') throw new SipParseError('SIP_BAD_VIA', 'Bad Via header: empty element', 'Via');
    return parseViaParm(p);
  });
}

function bad(msg: string): SipParseError {
  return new SipParseError('SIP_BAD_VIA', `Bad Via header: ${msg}`, 'Via');
}

function parseViaParm(s: string): Via {
  let i = 0;
  const fields: string[] = [];
  for (let k = 0; k < 3; k++) {
    i = skipWsp(s, i);
    const end = scanToken(s, i);
    if (end === i) throw bad(`bad sent-protocol in ${excerpt(s, 30)}`);
    fields.push(s.slice(i, end));
    i = end;
    if (k < 2) {
      i = skipWsp(s, i);
      if (s.charCodeAt(i) !== 0x2f /* / */) throw bad(`expected '/' in sent-protocol ${excerpt(s, 30)}`);
      i++;
    }
  }
  const [name, version, transport] = fields as [string, string, string];
  const j = skipWsp(s, i);
  if (j === i) throw bad('expected space before sent-by');
  let hp;
  try {
    hp = parseHostPortAt(s, j, 'Via sent-by');
  } catch (e) {
    if (e instanceof SipParseError) throw bad(e.message);
    throw e;
  }
  let params: Params;
  try {
    params = parseParamsAt(s, hp.end, 'Via');
  } catch (e) {
    if (e instanceof SipParseError) throw new SipParseError('SIP_BAD_VIA', e.message, 'Via');
    throw e;
  }
  const via: Via = {
    protocol: `${name.toUpperCase()}/${version}`,
    transport: transport.toUpperCase(),
    host: hp.hp.host,
    params,
  };
  if (hp.hp.port !== undefined) via.port = hp.hp.port;
  const branch = params.get('branch');
  if (branch !== undefined) {
    if (branch === null || !isToken(branch)) throw bad('bad branch');
    via.branch = branch;
  }
  const received = params.get('received');
  if (received !== undefined) {
    // received = IPv4address / IPv6address (RFC 3261 §25.1; brackets tolerated)
    const r = received === null ? '' : received.startsWith('[') && received.endsWith(']') ? received.slice(1, -1) : received;
    const kind = hostKind(r);
    if (kind !== 'ipv4' && kind !== 'ipv6') throw bad('received is not an IP address');
    via.received = r;
  }
  const rport = params.get('rport');
  if (rport !== undefined) via.rport = rport === null ? true : parseDigits(rport, 65535, 'Via rport', 'SIP_BAD_VIA');
  const ttl = params.get('ttl');
  if (ttl !== undefined) via.ttl = parseDigits(ttl ?? '', 255, 'Via ttl', 'SIP_BAD_VIA');
  const maddr = params.get('maddr');
  if (maddr !== undefined) {
    const m = maddr ?? '';
    const mh = m.startsWith('[') && m.endsWith(']') ? m.slice(1, -1) : m;
    if (hostKind(mh) === undefined) throw bad('bad maddr');
    via.maddr = mh;
  }
  return via;
}

/** One via-parm. `branch`/`received`/`rport`/`ttl`/`maddr` fields win over the same names in `params`. */
export function formatVia(via: Via): string {
  const params: Params = new Map(via.params);
  if (via.branch !== undefined) params.set('branch', via.branch);
  if (via.received !== undefined) params.set('received', via.received);
  if (via.rport !== undefined) params.set('rport', via.rport === true ? null : String(via.rport));
  if (via.ttl !== undefined) params.set('ttl', String(via.ttl));
  if (via.maddr !== undefined) params.set('maddr', formatHost(via.maddr));
  const port = via.port !== undefined ? `:${via.port}` : '';
  return `${via.protocol}/${via.transport} ${formatHost(via.host)}${port}${formatParams(params)}`;
}

/** §8.1.1.7 / §17.2.3: an RFC 3261 branch starts with the magic cookie. */
export function isRfc3261Branch(branch: string | undefined): boolean {
  return branch !== undefined && branch.startsWith(BRANCH_MAGIC_COOKIE) && branch.length > BRANCH_MAGIC_COOKIE.length;
}

