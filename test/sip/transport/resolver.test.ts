import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipResolver, type ResolveQuery } from '../../../server/sip/transport/resolver.js';
import { orderSrv, type SrvRecord } from '../../../server/sip/transport/srv-order.js';
import { TtlCache } from '../../../server/sip/transport/ttl-cache.js';
import { mulberry32 } from '../../helpers/prng.js';
import { FakeDns } from '../fake-dns.js';

function q(host: string, extra: Partial<ResolveQuery> = {}): ResolveQuery {
  return { host, secure: false, protocols: ['udp', 'tcp'], families: [4], ...extra };
}

function setup(opts: { random?: () => number; maxEntries?: number } = {}) {
  const clock = new FakeClock();
  const dns = new FakeDns();
  const resolver = new SipResolver({ clock, dns, random: opts.random ?? (() => 0), ...(opts.maxEntries ? { maxEntries: opts.maxEntries } : {}) });
  return { clock, dns, resolver };
}

const srv = (name: string, port: number, priority: number, weight: number): SrvRecord => ({ name, port, priority, weight });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return (err as { code?: string }).code ?? 'no code';
  }
}

describe('RFC 2782 SRV ordering', () => {
  it('takes lower priorities first and, within one, weight-0 records only when the draw is 0', () => {
    const records = [srv('c', 1, 20, 0), srv('a', 1, 10, 0), srv('b', 1, 10, 5), srv('d', 1, 20, 7)];
    // random() = 0 → pick 0 → the first record whose running sum ≥ 0: the weight-0 one, placed first.
    expect(orderSrv(records, () => 0).map((r) => r.name)).toEqual(['a', 'b', 'c', 'd']);
    // random() just below 1 → pick = total → the last record with weight > 0 in each group.
    expect(orderSrv(records, () => 0.999).map((r) => r.name)).toEqual(['b', 'a', 'd', 'c']);
  });

  it('drops the "." target that means the service is decidedly not available', () => {
    expect(orderSrv([srv('.', 0, 0, 0)], Math.random)).toEqual([]);
  });

  it('chooses first targets in proportion to their weights (60/30/10 over 20 000 seeded draws)', () => {
    const records = [srv('w60', 1, 1, 60), srv('w30', 1, 1, 30), srv('w10', 1, 1, 10)];
    const random = mulberry32(42);
    const firsts = new Map<string, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const first = orderSrv(records, random)[0]!.name;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    // Expected shares by RFC 2782's running-sum rule with pick in [0, 100]: 61/101, 30/101, 10/101.
    expect((firsts.get('w60') ?? 0) / n).toBeCloseTo(61 / 101, 1);
    expect((firsts.get('w30') ?? 0) / n).toBeCloseTo(30 / 101, 1);
    expect((firsts.get('w10') ?? 0) / n).toBeCloseTo(10 / 101, 1);
  });
});

describe('the TTL cache', () => {
  it('expires entries at their TTL and evicts the oldest when full', () => {
    const c = new TtlCache<number>(2);
    c.set('a', 1, 1000, 0);
    c.set('b', 2, 5000, 0);
    expect(c.get('a', 999)).toBe(1);
    expect(c.get('a', 1000)).toBeUndefined();
    c.set('a', 1, 1000, 1000);
    c.set('c', 3, 1000, 1000); // full: 'b' (oldest) goes
    expect([c.get('a', 1001), c.get('b', 1001), c.get('c', 1001)]).toEqual([1, undefined, 3]);
    c.set('z', 9, 0, 0); // TTL 0: not stored
    expect(c.size).toBe(2);
  });
});

describe('RFC 3263 §4 server location', () => {
  it('uses numeric hosts and localhost as they are, without asking DNS', async () => {
    const { dns, resolver } = setup();
    expect(resolver.resolveNow(q('192.0.2.7', { port: 5080 }))).toEqual([{ protocol: 'udp', address: '192.0.2.7', port: 5080 }]);
    expect(await resolver.resolve(q('::1', { transport: 'tcp' }))).toEqual([{ protocol: 'tcp', address: '::1', port: 5060 }]);
    expect(resolver.resolveNow(q('LocalHost'))).toEqual([{ protocol: 'udp', address: '127.0.0.1', port: 5060 }]);
    expect(dns.log).toEqual([]);
  });

  it('does only an A lookup when the URI names a port (§4.2), with the transport parameter deciding', async () => {
    const { dns, resolver } = setup();
    dns.a.set('codec.example.net', [
      { address: '127.0.0.5', ttl: 60 },
      { address: '127.0.0.6', ttl: 60 },
    ]);
    expect(await resolver.resolve(q('codec.example.net', { port: 5070, transport: 'tcp' }))).toEqual([
      { protocol: 'tcp', address: '127.0.0.5', port: 5070 },
      { protocol: 'tcp', address: '127.0.0.6', port: 5070 },
    ]);
    expect(dns.log).toEqual(['A codec.example.net']);
  });

  it('follows SRV for UDP then TCP in priority order, then A for each target', async () => {
    const { dns, resolver } = setup();
    dns.srv.set('_sip._udp.studio.example.net', [srv('b.studio.example.net', 5062, 20, 0), srv('a.studio.example.net', 5061, 10, 0)]);
    dns.srv.set('_sip._tcp.studio.example.net', [srv('a.studio.example.net', 5070, 10, 0)]);
    dns.a.set('a.studio.example.net', [{ address: '127.0.0.10', ttl: 300 }]);
    dns.a.set('b.studio.example.net', [{ address: '127.0.0.11', ttl: 300 }]);
    expect(await resolver.resolve(q('studio.example.net'))).toEqual([
      { protocol: 'udp', address: '127.0.0.10', port: 5061 },
      { protocol: 'udp', address: '127.0.0.11', port: 5062 },
      { protocol: 'tcp', address: '127.0.0.10', port: 5070 },
    ]);
    expect(dns.log.slice(0, 2).sort()).toEqual(['SRV _sip._tcp.studio.example.net', 'SRV _sip._udp.studio.example.net']);
  });

  it('queries only the SRV of the transport parameter, and AAAA when the transports speak IPv6', async () => {
    const { dns, resolver } = setup();
    dns.srv.set('_sip._tcp.v6.example.net', [srv('h.v6.example.net', 5070, 0, 0)]);
    dns.aaaa.set('h.v6.example.net', [{ address: '::1', ttl: 30 }]);
    expect(await resolver.resolve(q('v6.example.net', { transport: 'tcp', families: [6, 4] }))).toEqual([{ protocol: 'tcp', address: '::1', port: 5070 }]);
    expect(dns.log).toEqual(['SRV _sip._tcp.v6.example.net', 'AAAA h.v6.example.net', 'A h.v6.example.net']);
  });

  it('falls back to A on port 5060 over our first transport when there is no SRV record (§4.2)', async () => {
    const { dns, resolver } = setup();
    dns.a.set('plain.example.net', [{ address: '127.0.0.20', ttl: 60 }]);
    expect(await resolver.resolve(q('plain.example.net.'))).toEqual([{ protocol: 'udp', address: '127.0.0.20', port: 5060 }]);
  });

  it('reports a name that does not exist as SIP_DNS_NOT_FOUND, and a silent server as SIP_DNS_FAILED after its deadline', async () => {
    const { clock, dns, resolver } = setup();
    expect(await codeOf(resolver.resolve(q('nowhere.example.net')))).toBe('SIP_DNS_NOT_FOUND');
    dns.a.set('broken.example.net', 'ESERVFAIL');
    expect(await codeOf(resolver.resolve(q('broken.example.net', { port: 5060 })))).toBe('SIP_DNS_FAILED');
    dns.hang.add('A slow.example.net');
    const slow = resolver.resolve(q('slow.example.net', { port: 5060 }));
    await Promise.resolve();
    clock.advance(4999);
    let settled = false;
    slow.then(
      () => (settled = true),
      () => (settled = true),
    );
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.advance(1);
    expect(await codeOf(slow)).toBe('SIP_DNS_FAILED');
  });

  it('treats an SRV set of only "." as no SIP service there', async () => {
    const { dns, resolver } = setup();
    dns.srv.set('_sip._udp.closed.example.net', [srv('.', 0, 0, 0)]);
    dns.a.set('closed.example.net', [{ address: '127.0.0.1', ttl: 60 }]);
    expect(await codeOf(resolver.resolve(q('closed.example.net', { transport: 'udp' })))).toBe('SIP_DNS_NOT_FOUND');
  });

  it('answers from the cache until the shortest TTL runs out, then asks again', async () => {
    const { clock, dns, resolver } = setup();
    dns.srv.set('_sip._udp.c.example.net', [srv('h.c.example.net', 5070, 0, 0)]);
    dns.a.set('h.c.example.net', [{ address: '127.0.0.30', ttl: 20 }]);
    const query = q('c.example.net', { protocols: ['udp'] });
    expect(resolver.resolveNow(query)).toBeUndefined();
    await resolver.resolve(query);
    const asked = dns.log.length;
    clock.advance(19_999);
    expect(resolver.resolveNow(query)).toEqual([{ protocol: 'udp', address: '127.0.0.30', port: 5070 }]);
    await resolver.resolve(query);
    expect(dns.log.length).toBe(asked);
    clock.advance(1);
    expect(resolver.resolveNow(query)).toBeUndefined();
    dns.a.set('h.c.example.net', [{ address: '127.0.0.31', ttl: 20 }]);
    expect(await resolver.resolve(query)).toEqual([{ protocol: 'udp', address: '127.0.0.31', port: 5070 }]);
    expect(dns.log.length).toBe(asked * 2);
  });

  it('caches "no such name" for the negative TTL but never caches a failure', async () => {
    const { clock, dns, resolver } = setup();
    const gone = q('gone.example.net', { port: 5060 });
    expect(await codeOf(resolver.resolve(gone))).toBe('SIP_DNS_NOT_FOUND');
    expect(await codeOf(Promise.resolve().then(() => resolver.resolveNow(gone)))).toBe('SIP_DNS_NOT_FOUND');
    clock.advance(30_000);
    expect(resolver.resolveNow(gone)).toBeUndefined();
    dns.a.set('flaky.example.net', 'ETIMEOUT');
    const flaky = q('flaky.example.net', { port: 5060 });
    expect(await codeOf(resolver.resolve(flaky))).toBe('SIP_DNS_FAILED');
    expect(resolver.resolveNow(flaky)).toBeUndefined();
  });

  it('keeps the cache within its bound', async () => {
    const { dns, resolver } = setup({ maxEntries: 3 });
    for (let i = 0; i < 10; i++) {
      dns.a.set(`h${i}.example.net`, [{ address: `127.0.1.${i}`, ttl: 600 }]);
      await resolver.resolve(q(`h${i}.example.net`, { port: 5060 }));
    }
    expect(resolver.cacheSize).toBe(3);
    expect(resolver.resolveNow(q('h9.example.net', { port: 5060 }))).toEqual([{ protocol: 'udp', address: '127.0.1.9', port: 5060 }]);
    expect(resolver.resolveNow(q('h0.example.net', { port: 5060 }))).toBeUndefined();
  });

  it('shares one lookup between concurrent resolutions of the same target', async () => {
    const { dns, resolver } = setup();
    dns.a.set('busy.example.net', [{ address: '127.0.0.40', ttl: 60 }]);
    const all = await Promise.all(Array.from({ length: 5 }, () => resolver.resolve(q('busy.example.net', { port: 5060 }))));
    expect(all.every((t) => t[0]?.address === '127.0.0.40')).toBe(true);
    expect(dns.log).toEqual(['A busy.example.net']);
  });

  it('asks only _sips._tcp for a sips: URI and falls back to A on port 5061 (§4.1, §4.2)', async () => {
    const { dns, resolver } = setup();
    dns.a.set('secure.example.net', [{ address: '127.0.0.50', ttl: 60 }]);
    expect(await resolver.resolve(q('secure.example.net', { secure: true, protocols: ['udp', 'tcp', 'tls'] }))).toEqual([
      { protocol: 'tls', address: '127.0.0.50', port: 5061 },
    ]);
    expect(dns.log).toEqual(['SRV _sips._tcp.secure.example.net', 'A secure.example.net']);
  });

  it('refuses a host that is neither a name nor an address without asking DNS', async () => {
    const { dns, resolver } = setup();
    expect(await codeOf(resolver.resolve(q('bad_host!')))).toBe('SIP_UNRESOLVABLE');
    expect(dns.log).toEqual([]);
  });
});
