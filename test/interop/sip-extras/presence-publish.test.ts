/**
 * The service's wiring of PUBLISH (RFC 3903) with `sip.presence`: the real service in this process,
 * on loopback, and a scripted presence server on a UDP socket that answers every PUBLISH 200 with a
 * new SIP-ETag. With a presence server the service publishes its presence on start (open, with a
 * PIDF) and removes it on close (Expires 0 with SIP-If-Match); without one it sends no PUBLISH.
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../../server/config/load-config.js';
import { AcipService } from '../../../server/service.js';
import type { SipRequest } from '../../../server/sip/grammar/message.js';
import { parseMessage } from '../../../server/sip/grammar/parser.js';
import { createResponse } from '../../../server/sip/grammar/response.js';
import { serializeMessage } from '../../../server/sip/grammar/serializer.js';
import { parsePidf } from '../../../server/sip/presence/pidf.js';
import { presenceFromPidf } from '../../../server/sip/presence/presence-state.js';

/** Bound of every wait for a PUBLISH. */
const WAIT_MS = 5000;

/** A presence server that takes every PUBLISH (200, SIP-ETag e1, e2, …) and records it. */
async function presenceServer() {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const got: SipRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  sock.on('message', (buf, rinfo) => {
    const m = parseMessage(buf);
    if (m.kind !== 'request') return;
    got.push(m);
    const res = createResponse(m, 200, 'OK', { headers: [['SIP-ETag', `e${got.length}`], ['Expires', m.headers.get('Expires') ?? '0']] });
    sock.send(serializeMessage(res), rinfo.port, rinfo.address);
    for (const w of waiters.filter((x) => got.length >= x.n)) w.resolve();
  });
  return {
    port: (sock.address() as { port: number }).port,
    got,
    /** Resolves once `n` requests have arrived; rejects after WAIT_MS. */
    received(n: number): Promise<void> {
      if (got.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`only ${got.length} of ${n} requests arrived`)), WAIT_MS);
        waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
      });
    },
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

describe('the service publishing its presence (sip.presence)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function startService(presence: Record<string, unknown> | undefined): Promise<AcipService> {
    const dataDir = mkdtempSync(join(tmpdir(), 'acip-publish-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const config = validateConfig({
      dataDir,
      sip: { host: '127.0.0.1', port: 0, ...(presence ? { presence } : {}) },
      http: { host: '127.0.0.1', port: 0 },
      rtp: { host: '127.0.0.1' },
      media: { workers: 0 },
    });
    const service = new AcipService({ config, logger: pino({ level: 'silent' }) });
    cleanups.push(() => service.close());
    await service.start();
    return service;
  }

  it('publishes open on start and removes the publication on close', async () => {
    const server = await presenceServer();
    cleanups.push(() => server.close());
    const service = await startService({ server: `sip:127.0.0.1:${server.port}`, aor: 'sip:studio-a@127.0.0.1', expiresS: 600 });
    await server.received(1);
    const first = server.got[0]!;
    expect(first.method).toBe('PUBLISH');
    expect(first.uri).toBe('sip:studio-a@127.0.0.1');
    expect(first.headers.get('Event')).toBe('presence');
    expect(first.headers.get('Expires')).toBe('600');
    expect(first.headers.get('SIP-If-Match')).toBeUndefined();
    expect(presenceFromPidf(parsePidf(first.body))).toBe('open');

    await service.close();
    await server.received(2);
    const last = server.got[server.got.length - 1]!;
    expect(last.headers.get('Expires')).toBe('0');
    expect(last.headers.get('SIP-If-Match')).toBe(`e${server.got.length - 1}`);
    expect(last.headers.get('Call-ID')).toBe(first.headers.get('Call-ID'));
  });

  it('sends no PUBLISH with publish: false, and none without a presence server', async () => {
    const server = await presenceServer();
    cleanups.push(() => server.close());
    const quiet = await startService({ server: `sip:127.0.0.1:${server.port}`, publish: false });
    const none = await startService(undefined);
    await quiet.close();
    await none.close();
    expect(server.got).toEqual([]);
    for (const s of [quiet, none]) {
      const text = await s.metrics.registry.metrics();
      expect(text).not.toMatch(/acip_sip_requests_total\{method="(PUBLISH|other)",direction="out"\} [1-9]/);
    }
  });
});
