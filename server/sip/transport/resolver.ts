/**
 * Locating SIP servers, client side (RFC 3263 §4): from a URI's host, port, scheme and
 * `transport` parameter to an ordered list of (transport, address, port) targets to try.
 *
 * - A numeric IP (or `localhost`) is used as it is, without DNS (§4.1, §4.2).
 * - A name with an explicit port: A/AAAA lookup only (§4.2).
 * - A name without a port: SRV for `_sip._udp` / `_sip._tcp` (`_sips._tcp` for TLS) in our
 *   order of preference, ordered by priority and weight (RFC 2782), then A/AAAA of each SRV
 *   target; when no SRV record exists, A/AAAA of the name on the default port (§4.2).
 * - Deliberate deviation: NAPTR (§4.1 first step) is skipped. RFC 3263 lets a client that finds
 *   no NAPTR go straight to SRV, which is what we always do; the only loss is a server's
 *   NAPTR-expressed transport preference, and the SRV query order (UDP, then TCP) stands in.
 * - `maddr` is not supported (out of scope, as in response routing).
 *
 * Results are cached per query for the shortest TTL involved, bounded in size. Node's resolver
 * does not expose SRV TTLs, so SRV answers count as `srvTtlSeconds` (deliberate, documented
 * limit). "No such name / no records" answers are cached for `negativeTtlSeconds` (RFC 2308);
 * failures (timeouts, SERVFAIL) are not cached.
 *
 * Concurrent resolutions of the same query share one lookup.
 */
import { Resolver } from 'node:dns/promises';
import type { Clock } from '../../util/clock.js';
import { AcipError } from '../../util/errors.js';
import { hostKind } from '../grammar/uri.js';
import { DEFAULT_SIP_PORT, DEFAULT_SIPS_PORT } from './response-routing.js';
import type { SipTransportProtocol } from './sip-transport.js';
import { isNullTarget, orderSrv, type RandomSource, type SrvRecord } from './srv-order.js';
import { TtlCache } from './ttl-cache.js';

export { DEFAULT_SIPS_PORT };

export interface AddressRecord {
  address: string;
  /** Seconds. */
  ttl: number;
}

/**
 * The DNS queries the resolver needs. `node:dns/promises`' `Resolver` has this shape; tests pass
 * a fake (no real DNS is ever queried in tests).
 */
export interface DnsClient {
  resolveSrv(name: string): Promise<SrvRecord[]>;
  resolve4(name: string, options: { ttl: true }): Promise<AddressRecord[]>;
  resolve6(name: string, options: { ttl: true }): Promise<AddressRecord[]>;
}

export interface SystemDnsOptions {
  /** Per-try timeout of the c-ares resolver in milliseconds (default 2000). */
  timeoutMs?: number;
  /** Tries per server (default 2). */
  tries?: number;
  /** DNS servers (`ip` or `ip:port`); default: the system's. */
  servers?: string[];
}

/** The system resolver (c-ares through `node:dns/promises`), never the blocking getaddrinfo. */
export function systemDnsClient(opts: SystemDnsOptions = {}): DnsClient {
  const r = new Resolver({ timeout: opts.timeoutMs ?? 2000, tries: opts.tries ?? 2 });
  if (opts.servers) r.setServers(opts.servers);
  return r;
}

/** One place to send a request to. */
export interface SipTarget {
  protocol: SipTransportProtocol;
  address: string;
  port: number;
}

export type AddressFamily = 4 | 6;

export interface ResolveQuery {
  /** URI host: a name, an IPv4 address or an IPv6 address without brackets. */
  host: string;
  port?: number;
  /** A sips: URI (§4.1: only TLS then). */
  secure: boolean;
  /** The URI's `transport` parameter, when present (§4.1: it decides). */
  transport?: SipTransportProtocol;
  /** Protocols we can send on, in our order of preference; the first is the default (§4.1: UDP for sip:). */
  protocols: readonly SipTransportProtocol[];
  /** Address families our transports can reach, in order of preference. */
  families: readonly AddressFamily[];
}

export interface SipResolverOptions {
  clock: Clock;
  /** Default: `systemDnsClient()`. */
  dns?: DnsClient;
  /** Cached queries at most (default 256). */
  maxEntries?: number;
  /** Lifetime of SRV answers, whose TTL Node does not report (default 60 s). */
  srvTtlSeconds?: number;
  /** Lifetime of "no such name / no records" answers (default 30 s). */
  negativeTtlSeconds?: number;
  /** Upper bound on any TTL (default 3600 s). */
  maxTtlSeconds?: number;
  /** Deadline for one DNS query, on the injected clock (default 5000 ms). */
  timeoutMs?: number;
  /** SRV records followed per query at most (default 8): bounds the A/AAAA fan-out. */
  maxSrvTargets?: number;
  /** For the RFC 2782 weighted selection (default Math.random). */
  random?: RandomSource;
}

/** DNS answered "no such name" or "no records of that type" (RFC 2308 negative answers). */
const NEGATIVE_CODES = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME']);

function errCode(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'EUNKNOWN';
}

/** A negative answer, as a value (not an error) inside the resolver. */
const NONE: unique symbol = Symbol('none');
type Answer<T> = { records: T[]; ttlMs: number } | typeof NONE;

interface CachedResult {
  targets: SipTarget[] | undefined;
  /** Set when the cached result is a negative one: the message to fail with. */
  notFound?: string;
}

function srvName(protocol: SipTransportProtocol, host: string): string {
  // §4.1: "_sips" for TLS (over TCP); "_sip._udp" / "_sip._tcp" otherwise.
  return protocol === 'tls' ? `_sips._tcp.${host}` : `_sip._${protocol}.${host}`;
}

function defaultPort(protocol: SipTransportProtocol): number {
  return protocol === 'tls' ? DEFAULT_SIPS_PORT : DEFAULT_SIP_PORT;
}

function queryKey(q: ResolveQuery): string {
  return [q.host.toLowerCase(), q.port ?? '', q.secure ? 's' : '', q.transport ?? '', q.protocols.join(','), q.families.join(',')].join('|');
}

export class SipResolver {
  readonly clock: Clock;
  private readonly dns: DnsClient;
  private readonly cache: TtlCache<CachedResult>;
  private readonly inflight = new Map<string, Promise<SipTarget[]>>();
  private readonly srvTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxTtlMs: number;
  private readonly timeoutMs: number;
  private readonly maxSrvTargets: number;
  private readonly random: RandomSource;
  /** DNS queries sent (for tests and metrics). */
  queries = 0;

  constructor(opts: SipResolverOptions) {
    this.clock = opts.clock;
    this.dns = opts.dns ?? systemDnsClient();
    this.cache = new TtlCache(opts.maxEntries ?? 256);
    this.srvTtlMs = (opts.srvTtlSeconds ?? 60) * 1000;
    this.negativeTtlMs = (opts.negativeTtlSeconds ?? 30) * 1000;
    this.maxTtlMs = (opts.maxTtlSeconds ?? 3600) * 1000;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.maxSrvTargets = opts.maxSrvTargets ?? 8;
    this.random = opts.random ?? Math.random;
  }

  /** Number of cached queries. */
  get cacheSize(): number {
    return this.cache.size;
  }

  clearCache(): void {
    this.cache.clear();
  }

  /**
   * The transport a query uses when the host needs no SRV lookup (§4.1): the `transport`
   * parameter, else TLS for sips:, else our first (preferred) protocol.
   */
  private directProtocol(q: ResolveQuery): SipTransportProtocol {
    if (q.transport) return q.transport;
    if (q.secure) return 'tls';
    const first = q.protocols[0];
    if (!first) throw new AcipError('SIP_NO_TRANSPORT', 'no transport to send on');
    return first;
  }

  /**
   * Targets known without waiting: a numeric host (§4.1/§4.2), `localhost`, or a cached answer.
   * Undefined when DNS must be asked. Throws for a cached negative answer (code SIP_DNS_NOT_FOUND).
   */
  resolveNow(q: ResolveQuery): SipTarget[] | undefined {
    const numeric = this.numeric(q);
    if (numeric) return numeric;
    const hit = this.cache.get(queryKey(q), this.clock.now());
    if (!hit) return undefined;
    if (hit.notFound !== undefined) throw new AcipError('SIP_DNS_NOT_FOUND', hit.notFound);
    return hit.targets ? [...hit.targets] : undefined;
  }

  /**
   * All targets for the query, in the order to try them (§4.4). Rejects with an AcipError:
   * SIP_DNS_NOT_FOUND (the name or its SIP records do not exist) or SIP_DNS_FAILED (no answer,
   * server failure), or SIP_UNRESOLVABLE for a host that is not a host name.
   */
  async resolve(q: ResolveQuery): Promise<SipTarget[]> {
    const now = this.resolveNow(q);
    if (now) return now;
    const key = queryKey(q);
    const running = this.inflight.get(key);
    if (running) return [...(await running)];
    const p = this.lookup(q, key);
    this.inflight.set(key, p);
    try {
      return [...(await p)];
    } finally {
      this.inflight.delete(key);
    }
  }

  private numeric(q: ResolveQuery): SipTarget[] | undefined {
    const host = q.host.toLowerCase() === 'localhost' ? '127.0.0.1' : q.host;
    const kind = hostKind(host);
    if (kind === 'ipv4' || kind === 'ipv6') {
      const protocol = this.directProtocol(q);
      return [{ protocol, address: host, port: q.port ?? defaultPort(protocol) }];
    }
    if (kind === undefined) throw new AcipError('SIP_UNRESOLVABLE', `host ${JSON.stringify(q.host.slice(0, 80))} is not a host name or IP address`);
    return undefined;
  }

  private async lookup(q: ResolveQuery, key: string): Promise<SipTarget[]> {
    const host = q.host.replace(/\.$/, '');
    try {
      const { targets, ttlMs } = q.port !== undefined ? await this.byAddress(q, host) : await this.bySrv(q, host);
      this.cache.set(key, { targets }, ttlMs, this.clock.now());
      return targets;
    } catch (err) {
      if (err instanceof AcipError && err.code === 'SIP_DNS_NOT_FOUND') {
        this.cache.set(key, { targets: undefined, notFound: err.message }, this.negativeTtlMs, this.clock.now());
      }
      throw err;
    }
  }

  /** §4.2, explicit port: A/AAAA of the name, the transport from §4.1. */
  private async byAddress(q: ResolveQuery, host: string): Promise<{ targets: SipTarget[]; ttlMs: number }> {
    const protocol = this.directProtocol(q);
    const port = q.port ?? defaultPort(protocol);
    const a = await this.addresses(host, q.families);
    if (a === NONE) throw new AcipError('SIP_DNS_NOT_FOUND', `DNS has no address for ${host}`);
    return { targets: a.records.map((address) => ({ protocol, address, port })), ttlMs: a.ttlMs };
  }

  /** §4.1/§4.2 without port: SRV per protocol (RFC 2782 order), else A/AAAA on the default port. */
  private async bySrv(q: ResolveQuery, host: string): Promise<{ targets: SipTarget[]; ttlMs: number }> {
    const protocols: SipTransportProtocol[] = q.transport ? [q.transport] : q.secure ? ['tls'] : [...q.protocols];
    const answers = await Promise.all(
      protocols.map((p) => this.srv(srvName(p, host)).then((a): { protocol: SipTransportProtocol; a: Answer<SrvRecord> | string } => ({ protocol: p, a }))),
    );
    let ttlMs = this.maxTtlMs;
    const failures: string[] = [];
    const ordered: { protocol: SipTransportProtocol; rec: SrvRecord }[] = [];
    let sawRecords = false;
    for (const { protocol, a } of answers) {
      if (typeof a === 'string') {
        failures.push(a);
        continue;
      }
      if (a === NONE) {
        ttlMs = Math.min(ttlMs, this.negativeTtlMs);
        continue;
      }
      sawRecords = true;
      ttlMs = Math.min(ttlMs, a.ttlMs);
      for (const rec of orderSrv(a.records, this.random)) ordered.push({ protocol, rec });
    }
    if (!sawRecords) {
      // §4.2: "If no SRV records were found, the client performs an A or AAAA record lookup of
      // the domain name" on the default port. Deliberate: we also fall back when an SRV query
      // failed (timeout), so that a broken SRV zone does not hide a working A record.
      const protocol = this.directProtocol(q);
      const a = await this.addresses(host, q.families);
      if (a === NONE) {
        if (failures.length > 0) throw new AcipError('SIP_DNS_FAILED', `DNS lookup for ${host} failed (${failures.join(', ')})`);
        throw new AcipError('SIP_DNS_NOT_FOUND', `DNS has no SIP service or address for ${host}`);
      }
      return { targets: a.records.map((address) => ({ protocol, address, port: defaultPort(protocol) })), ttlMs: Math.min(ttlMs, a.ttlMs) };
    }
    const chosen = ordered.slice(0, this.maxSrvTargets);
    const resolved = await Promise.all(chosen.map((c) => this.addresses(c.rec.name.replace(/\.$/, ''), q.families)));
    const targets: SipTarget[] = [];
    const seen = new Set<string>();
    resolved.forEach((a, i) => {
      if (a === NONE) return;
      ttlMs = Math.min(ttlMs, a.ttlMs);
      const { protocol, rec } = chosen[i]!;
      for (const address of a.records) {
        const k = `${protocol} ${address} ${rec.port}`;
        if (seen.has(k)) continue;
        seen.add(k);
        targets.push({ protocol, address, port: rec.port });
      }
    });
    if (targets.length === 0) throw new AcipError('SIP_DNS_NOT_FOUND', `no SIP service at ${host}: its SRV targets are unavailable or have no address`);
    return { targets, ttlMs };
  }

  /** SRV answer, NONE for a negative answer, or a failure description (string). */
  private async srv(name: string): Promise<Answer<SrvRecord> | string> {
    try {
      const records = await this.withDeadline(this.dns.resolveSrv(name), name);
      // RFC 2782: a lone "." target says the service is decidedly not available: an answer with
      // no targets (no fallback to A), unlike no SRV records at all.
      if (records.length > 0 && records.every(isNullTarget)) return { records: [], ttlMs: Math.min(this.srvTtlMs, this.maxTtlMs) };
      const usable = records.filter((r) => !isNullTarget(r) && Number.isInteger(r.port) && r.port > 0 && r.port < 65536);
      if (usable.length === 0) return NONE;
      return { records: usable, ttlMs: Math.min(this.srvTtlMs, this.maxTtlMs) };
    } catch (err) {
      if (NEGATIVE_CODES.has(errCode(err))) return NONE;
      return `SRV ${name}: ${errCode(err)}`;
    }
  }

  /**
   * A and/or AAAA (by `families`, in that order). NONE when every family answered negatively;
   * throws SIP_DNS_FAILED when no family gave addresses and at least one failed.
   */
  private async addresses(host: string, families: readonly AddressFamily[]): Promise<Answer<string>> {
    const results = await Promise.all(
      families.map(async (f) => {
        try {
          const name = f === 4 ? 'A' : 'AAAA';
          const rr = await this.withDeadline(f === 4 ? this.dns.resolve4(host, { ttl: true }) : this.dns.resolve6(host, { ttl: true }), `${name} ${host}`);
          return rr.filter((r) => hostKind(r.address) === (f === 4 ? 'ipv4' : 'ipv6'));
        } catch (err) {
          if (NEGATIVE_CODES.has(errCode(err))) return [] as AddressRecord[];
          return `${f === 4 ? 'A' : 'AAAA'} ${host}: ${errCode(err)}`;
        }
      }),
    );
    const records: string[] = [];
    let ttlMs = this.maxTtlMs;
    const failures: string[] = [];
    for (const r of results) {
      if (typeof r === 'string') {
        failures.push(r);
        continue;
      }
      for (const rec of r) {
        if (!records.includes(rec.address)) records.push(rec.address);
        // A TTL of 0 means "do not cache" (RFC 1035 §3.2.1); negative or absurd values are clamped.
        ttlMs = Math.min(ttlMs, Math.max(0, Number.isFinite(rec.ttl) ? rec.ttl : 0) * 1000);
      }
    }
    if (records.length > 0) return { records, ttlMs };
    if (failures.length > 0) throw new AcipError('SIP_DNS_FAILED', `DNS lookup for ${host} failed (${failures.join(', ')})`);
    return NONE;
  }

  /** Reject with ETIMEOUT when the DNS client has not answered within `timeoutMs` (injected clock). */
  private withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
    this.queries++;
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimer(this.timeoutMs, () => reject(Object.assign(new Error(`DNS ${what}: no answer`), { code: 'ETIMEOUT' })));
      p.then(
        (v) => {
          timer.cancel();
          resolve(v);
        },
        (e: unknown) => {
          timer.cancel();
          reject(e as Error);
        },
      );
    });
  }
}
