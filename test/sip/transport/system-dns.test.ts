import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../server/util/clock.js';
import { SipResolver, systemDnsClient } from '../../../server/sip/transport/resolver.js';

/**
 * A tiny authoritative DNS responder on 127.0.0.1 (RFC 1035 §4.1 message format; SRV RDATA per
 * RFC 2782), so that the real node:dns resolver behind `systemDnsClient` is exercised without
 * any traffic leaving loopback. Unknown names get NXDOMAIN; known names without the asked type
 * get an empty NOERROR answer (NODATA).
 */
type Rr = { type: 'A'; address: string; ttl: number } | { type: 'SRV'; priority: number; weight: number; port: number; target: string; ttl: number };

const TYPE = { A: 1, SRV: 33 } as const;

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
  return Buffer.concat([...parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
}

function readQuestion(q: Buffer): { name: string; type: number; end: number } | undefined {
  let i = 12;
  const labels: string[] = [];
  while (i < q.length) {
    const len = q[i]!;
    if (len === 0) {
      i += 1;
      break;
    }
    if (len > 63 || i + 1 + len > q.length) return undefined;
    labels.push(q.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += 1 + len;
  }
  if (i + 4 > q.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: q.readUInt16BE(i), end: i + 4 };
}

async function startDnsResponder(zone: Map<string, Rr[]>): Promise<{ port: number; queries: string[]; close: () => void }> {
  const socket = dgram.createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (q, rinfo) => {
    if (q.length < 12) return;
    const question = readQuestion(q);
    if (!question) return;
    queries.push(`${question.type} ${question.name}`);
    const records = zone.get(question.name);
    const answers = (records ?? []).filter((r) => TYPE[r.type] === question.type);
    const header = Buffer.alloc(12);
    q.copy(header, 0, 0, 2); // ID
    const rd = q[2]! & 0x01;
    header[2] = 0x84 | rd; // QR, AA, RD copied
    header[3] = 0x80 | (records ? 0 : 3); // RA; RCODE 3 = NXDOMAIN
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const rrs = answers.map((r) => {
      let rdata: Buffer;
      if (r.type === 'A') rdata = Buffer.from(r.address.split('.').map(Number));
      else {
        const fixed = Buffer.alloc(6);
        fixed.writeUInt16BE(r.priority, 0);
        fixed.writeUInt16BE(r.weight, 2);
        fixed.writeUInt16BE(r.port, 4);
        rdata = Buffer.concat([fixed, encodeName(r.target)]);
      }
      const head = Buffer.alloc(12);
      head.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      head.writeUInt16BE(TYPE[r.type], 2);
      head.writeUInt16BE(1, 4); // IN
      head.writeUInt32BE(r.ttl, 6);
      head.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([head, rdata]);
    });
    socket.send(Buffer.concat([header, q.subarray(12, question.end), ...rrs]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { port: socket.address().port, queries, close: () => socket.close() };
}

describe('the system DNS client against a DNS server on loopback', () => {
  let close: (() => void) | undefined;
  afterEach(() => {
    close?.();
    close = undefined;
  });

  it('resolves SRV then A with TTLs through node:dns, and maps NXDOMAIN to SIP_DNS_NOT_FOUND', async () => {
    const zone = new Map<string, Rr[]>([
      ['_sip._udp.studio.test', [{ type: 'SRV', priority: 10, weight: 0, port: 5070, target: 'edge.studio.test', ttl: 300 }]],
      ['edge.studio.test', [{ type: 'A', address: '127.0.0.9', ttl: 120 }]],
    ]);
    const server = await startDnsResponder(zone);
    close = server.close;
    const dns = systemDnsClient({ servers: [`127.0.0.1:${server.port}`], timeoutMs: 1000, tries: 1 });
    expect(await dns.resolve4('edge.studio.test', { ttl: true })).toEqual([{ address: '127.0.0.9', ttl: 120 }]);
    const resolver = new SipResolver({ clock: systemClock, dns, timeoutMs: 3000 });
    const targets = await resolver.resolve({ host: 'studio.test', secure: false, protocols: ['udp', 'tcp'], families: [4] });
    expect(targets).toEqual([{ protocol: 'udp', address: '127.0.0.9', port: 5070 }]);
    expect(server.queries).toContain(`${TYPE.SRV} _sip._tcp.studio.test`);
    await expect(resolver.resolve({ host: 'nowhere.test', port: 5060, secure: false, protocols: ['udp'], families: [4] })).rejects.toMatchObject({
      code: 'SIP_DNS_NOT_FOUND',
    });
  });
});
