/**
 * Where a request goes (RFC 3263 §4 over RFC 3261 §8.1.2): turns a target URI into the ordered
 * list of next hops (transport + address), through the resolver and this UA's transports. No
 * sending here and no timers of its own (the resolver's cache runs on the UA's clock).
 */
import { isIP } from 'node:net';
import { AcipError } from '../../util/errors.js';
import { parseUri } from '../grammar/uri.js';
import type { AddressFamily, ResolveQuery, SipResolver, SipTarget } from '../transport/resolver.js';
import type { SipTransport, SipTransportProtocol } from '../transport/sip-transport.js';
import type { SipRoute } from './ua-core.js';

/** Per-request routing choices made by the caller (a phonebook entry, an API request). */
export interface RouteOptions {
  /**
   * TLS only: `false` accepts a peer certificate that fails verification (self-signed, wrong
   * name). Default true: the certificate is checked against `sip.tls.caFile` or the system CAs.
   */
  tlsVerify?: boolean;
}

export class UaRouter {
  constructor(
    private readonly transports: readonly SipTransport[],
    readonly resolver: SipResolver,
  ) {}

  /** The transport for `protocol` (the dialog's own when it matches), else UDP, else the first. */
  transportFor(protocol: string | undefined, preferred?: SipTransport): SipTransport {
    if (protocol) {
      const p = protocol.toLowerCase();
      const t = preferred?.protocol === p ? preferred : this.transports.find((x) => x.protocol === p);
      if (!t) throw new AcipError('SIP_NO_TRANSPORT', `no ${p} transport configured`);
      return t;
    }
    return preferred ?? this.transports.find((x) => x.protocol === 'udp') ?? this.transports[0]!;
  }

  /**
   * The RFC 3263 query for a URI (§4.1 transport selection inputs). Throws for what no lookup can
   * fix: tel: (needs a proxy), a `transport` we have no transport for, sips: without TLS
   * (§26.2.2: sending it over UDP/TCP would silently drop the security it asks for).
   */
  queryFor(uri: string, preferred?: SipTransport): ResolveQuery {
    const u = parseUri(uri, 'target URI');
    if (u.scheme === 'tel') throw new AcipError('SIP_UNROUTABLE', 'cannot route a tel: URI without a proxy');
    const param = u.params.get('transport');
    const secure = u.scheme === 'sips';
    if (secure && !this.transports.some((t) => t.protocol === 'tls')) {
      throw new AcipError('SIP_NO_TRANSPORT', `${uri.slice(0, 80)}: sips: URIs need TLS, which is not configured`);
    }
    let transport: SipTransportProtocol | undefined;
    if (param !== undefined && param !== null) {
      const p = param.toLowerCase();
      // RFC 5630 §3.1.3: sips: with transport=tcp means TLS over TCP; over UDP it cannot be secure.
      if (secure && p === 'udp') throw new AcipError('SIP_UNROUTABLE', `${uri.slice(0, 80)}: sips: cannot use transport=udp`);
      transport = this.transportFor(secure && p === 'tcp' ? 'tls' : p, preferred).protocol;
    }
    // Our preference order (§4.1 leaves it to the client): the dialog's transport when there is
    // one, else UDP first (§4.1's default for sip:), then the others as configured.
    const protocols: SipTransportProtocol[] = preferred
      ? [preferred.protocol]
      : [...new Set([...this.transports.filter((t) => t.protocol === 'udp'), ...this.transports].map((t) => t.protocol))];
    const candidates = this.transports.filter((t) => (transport ? t.protocol === transport : protocols.includes(t.protocol)));
    const families = [...new Set(candidates.map((t): AddressFamily => (t.local.address.includes(':') ? 6 : 4)))];
    return {
      host: u.host,
      ...(u.port !== undefined ? { port: u.port } : {}),
      secure,
      ...(transport ? { transport } : {}),
      protocols,
      families: families.length > 0 ? families : [4],
    };
  }

  /** See UaCore.locate: RFC 3263 §4 through the resolver, synchronous when no DNS is needed. */
  locate(uri: string, preferred?: SipTransport, connectionId?: string, opts: RouteOptions = {}): SipRoute[] | Promise<SipRoute[]> {
    const q = this.queryFor(uri, preferred);
    let now: SipTarget[] | undefined;
    try {
      now = this.resolver.resolveNow(q);
    } catch (err) {
      // A cached negative answer is a DNS outcome like any other: reported asynchronously.
      return Promise.reject(err as Error);
    }
    if (now) return this.routesOf(now, q.host, preferred, connectionId, opts);
    return this.resolver.resolve(q).then((targets) => this.routesOf(targets, q.host, preferred, connectionId, opts));
  }

  /** The transport a request to `uri` uses when DNS has not said otherwise (§4.1 defaults; TLS for sips:). */
  defaultTransport(uri: string): SipTransport {
    const q = this.queryFor(uri);
    return this.transportFor(q.transport ?? (q.secure ? 'tls' : q.protocols[0]));
  }

  private routeOf(t: SipTarget, host: string, preferred: SipTransport | undefined, connectionId: string | undefined, opts: RouteOptions): SipRoute {
    const transport = this.transportFor(t.protocol, preferred);
    const tls = transport.protocol === 'tls';
    const dest = {
      address: t.address,
      port: t.port,
      ...(connectionId && transport === preferred ? { connectionId } : {}),
      // RFC 5922 §7.2 / RFC 6066 §3: the certificate must name the URI's host (not an SRV target): ask for it with SNI.
      ...(tls && isIP(host) === 0 ? { serverName: host.toLowerCase() } : {}),
      ...(tls && opts.tlsVerify === false ? { tlsVerify: false } : {}),
    };
    return { transport, dest };
  }

  private routesOf(targets: SipTarget[], host: string, preferred: SipTransport | undefined, connectionId: string | undefined, opts: RouteOptions): SipRoute[] {
    const routes = targets.map((t) => this.routeOf(t, host, preferred, connectionId, opts));
    if (routes.length === 0) throw new AcipError('SIP_DNS_NOT_FOUND', 'no target to send to');
    return routes;
  }
}
