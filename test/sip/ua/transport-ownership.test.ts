/**
 * One owner closes the SIP transports: whoever opens them hands them to the user agent, and
 * closing the UA closes them. Closing twice, or the transports and the UA in either order, leaves
 * no socket open.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../server/util/clock.js';
import { UdpSipTransport } from '../../../server/sip/transport/udp-transport.js';
import { TcpSipTransport } from '../../../server/sip/transport/tcp-transport.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import { validateConfig } from '../../../server/config/load-config.js';
import { AcipService } from '../../../server/service.js';

/**
 * Open UDP sockets and TCP servers of this process (Node's own bookkeeping), read after the event
 * loop has run the close callbacks already due (a closed handle leaves the list one turn later).
 */
async function openSockets(): Promise<{ udp: number; tcp: number }> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  const r = process.getActiveResourcesInfo();
  return { udp: r.filter((x) => x === 'UDPWrap').length, tcp: r.filter((x) => x === 'TCPServerWrap').length };
}

/** True when `port` can be bound again on 127.0.0.1 over UDP and TCP, i.e. nobody holds it. */
async function portIsFree(port: number): Promise<boolean> {
  const udpFree = await new Promise<boolean>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  const tcpFree = await new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  return udpFree && tcpFree;
}

async function uaOnLoopback() {
  const udp = await UdpSipTransport.listen({ host: '127.0.0.1', port: 0 });
  const tcp = await TcpSipTransport.listen({ clock: systemClock, host: '127.0.0.1', port: udp.local.port });
  const ua = new SipUserAgent({ clock: systemClock, transports: [udp, tcp], userAgentName: 'ownership-test' });
  return { ua, udp, tcp, port: udp.local.port };
}

const orders: [string, (h: Awaited<ReturnType<typeof uaOnLoopback>>) => Promise<unknown>][] = [
  ['the UA once', (h) => h.ua.close()],
  ['the UA twice at once', (h) => Promise.all([h.ua.close(), h.ua.close()])],
  ['the UA twice in a row', async (h) => {
    await h.ua.close();
    await h.ua.close();
  }],
  ['the transports first, then the UA', async (h) => {
    await Promise.all([h.udp.close(), h.tcp.close()]);
    await h.ua.close();
  }],
  ['the UA first, then the transports', async (h) => {
    await h.ua.close();
    await Promise.all([h.udp.close(), h.tcp.close()]);
  }],
  ['the UA and the transports at the same time', (h) => Promise.all([h.udp.close(), h.ua.close(), h.tcp.close()])],
];

describe('the user agent owns the transports it is given', () => {
  it.each(orders)('closing %s leaves no SIP socket open', async (_name, close) => {
    const before = await openSockets();
    const h = await uaOnLoopback();
    expect(await openSockets()).toEqual({ udp: before.udp + 1, tcp: before.tcp + 1 });
    await close(h);
    expect(await openSockets()).toEqual(before);
    expect(await portIsFree(h.port)).toBe(true);
  });
});

describe('the service hands its SIP transports to the user agent', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A started service and the SIP port it logged. */
  async function startService(): Promise<{ service: AcipService; sipPort: number }> {
    const dataDir = mkdtempSync(join(tmpdir(), 'acip-ownership-'));
    dirs.push(dataDir);
    const config = validateConfig({
      dataDir,
      sip: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      rtp: { host: '127.0.0.1' },
    });
    const lines: string[] = [];
    const service = new AcipService({ config, logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }) });
    await service.start();
    const logged = lines.map((l) => /listening: SIP over UDP on [^"]*:(\d+)/.exec(l)).find((m) => m !== null);
    return { service, sipPort: Number(logged![1]) };
  }

  const serviceOrders: [string, (s: AcipService) => Promise<unknown>][] = [
    ['the service twice at once', (s) => Promise.all([s.close(), s.close()])],
    ['the service twice in a row', async (s) => {
      await s.close();
      await s.close();
    }],
    ['the UA first, then the service', async (s) => {
      await s.ua!.close();
      await s.close();
    }],
    ['the service first, then the UA', async (s) => {
      await s.close();
      await s.ua!.close();
    }],
  ];

  it.each(serviceOrders)('closing %s leaves no socket open', async (_name, close) => {
    const before = await openSockets();
    const { service, sipPort } = await startService();
    await close(service);
    expect(await openSockets()).toEqual(before);
    expect(await portIsFree(sipPort)).toBe(true);
  });
});
