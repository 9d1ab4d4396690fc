/**
 * A scripted DNS client for resolver and UA tests: no real DNS is ever queried. Names map to
 * records or to an error code (`ENOTFOUND`, `ESERVFAIL`…); `hang` names never answer. Every
 * query is logged as `TYPE name`.
 */
import type { AddressRecord, DnsClient } from '../../server/sip/transport/resolver.js';
import type { SrvRecord } from '../../server/sip/transport/srv-order.js';

type Entry<T> = T[] | string;

export class FakeDns implements DnsClient {
  readonly srv = new Map<string, Entry<SrvRecord>>();
  readonly a = new Map<string, Entry<AddressRecord>>();
  readonly aaaa = new Map<string, Entry<AddressRecord>>();
  readonly hang = new Set<string>();
  readonly log: string[] = [];

  resolveSrv(name: string): Promise<SrvRecord[]> {
    return this.answer('SRV', this.srv, name);
  }

  resolve4(name: string, options: { ttl: true }): Promise<AddressRecord[]> {
    if (options.ttl !== true) throw new Error('the resolver must ask for TTLs');
    return this.answer('A', this.a, name);
  }

  resolve6(name: string, options: { ttl: true }): Promise<AddressRecord[]> {
    if (options.ttl !== true) throw new Error('the resolver must ask for TTLs');
    return this.answer('AAAA', this.aaaa, name);
  }

  private answer<T>(type: string, map: Map<string, Entry<T>>, name: string): Promise<T[]> {
    this.log.push(`${type} ${name}`);
    if (this.hang.has(`${type} ${name}`)) return new Promise<T[]>(() => undefined);
    const v = map.get(name);
    if (v === undefined) return Promise.reject(Object.assign(new Error(`${type} ${name}: not found`), { code: 'ENOTFOUND' }));
    if (typeof v === 'string') return Promise.reject(Object.assign(new Error(`${type} ${name}: ${v}`), { code: v }));
    return Promise.resolve(v.map((r) => ({ ...r })));
  }
}
