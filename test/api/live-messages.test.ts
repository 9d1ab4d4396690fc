/**
 * Text messages on the live feed: both feed versions get a `message` for a new message and again for
 * its delivery status, valid against the contract; a service without messaging sends none.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { Value } from '@sinclair/typebox/value';
import { buildApp } from '../../server/api/app.js';
import * as C from '../../server/api/contract/index.js';
import type { MessagingPort } from '../../server/api/routes/messages.js';
import { createMetrics } from '../../server/metrics/metrics.js';
import { validateConfig } from '../../server/config/load-config.js';
import { ROOT_DIR } from '../../server/version.js';
import { FakeClock } from '../../server/util/clock.js';
import { TypedEmitter } from '../../server/util/typed-emitter.js';
import { MemoryLinks } from './memory-links.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const sample: C.Message = { id: 'm1', at: '2026-12-07T08:00:00.000Z', direction: 'in', remote: 'sip:studio2@192.0.2.10', linkId: 'L1', text: 'hello', status: 'delivered' };

async function make(withMessaging: boolean) {
  const events = new TypedEmitter<{ message: [C.Message] }>();
  const messaging: MessagingPort = { list: () => [], send: async () => sample, events };
  const dataDir = mkdtempSync(join(tmpdir(), 'acip-api-livemsg-'));
  const metrics = createMetrics({ version: '1.0.0', startedAtMs: () => 0, nowMs: () => 0, processMetrics: false });
  app = await buildApp({
    config: validateConfig({ http: {}, dataDir }), version: '1.0.0', metrics, profiles: () => new Map(), nowMs: () => 0, startedAtMs: 0,
    listening: () => ({ sip: [], http: undefined }), webRoot: join(ROOT_DIR, 'web'), logger: false,
    links: new MemoryLinks(), live: { clock: new FakeClock(), statsIntervalMs: 1000, metersIntervalMs: 100 },
    ...(withMessaging ? { messaging } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { events, port: (app.server.address() as { port: number }).port };
}

/** A feed client collecting every message; `until` polls (bounded) for a predicate. */
function client(port: number, query: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live${query}`);
  const got: C.LiveMessage[] = [];
  ws.on('message', (d) => got.push(JSON.parse(String(d)) as C.LiveMessage));
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 300 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
  };
  return { ws, got, until };
}

describe('text messages on the live feed', () => {
  it('sends every new message and status change to clients of both feeds', async () => {
    const { events, port } = await make(true);
    const clients = [client(port, ''), client(port, '?feed=2')];
    for (const c of clients) await c.until(() => c.got.some((m) => m.type === 'hello'));
    const pending: C.Message = { ...sample, id: 'm2', direction: 'out', status: 'pending' };
    events.emit('message', sample);
    events.emit('message', pending);
    events.emit('message', { ...pending, status: 'failed', statusCode: 480, reason: 'Temporarily Unavailable' });
    for (const c of clients) {
      await c.until(() => c.got.filter((m) => m.type === 'message').length >= 3);
      const msgs = c.got.filter((m): m is C.LiveTextMessage => m.type === 'message');
      expect(msgs.map((m) => [m.message.id, m.message.status])).toEqual([
        ['m1', 'delivered'],
        ['m2', 'pending'],
        ['m2', 'failed'],
      ]);
      for (const m of msgs) expect(Value.Check(C.LiveMessage, m)).toBe(true);
      c.ws.close();
    }
  });

  it('stops listening for messages when the service closes', async () => {
    const { events } = await make(true);
    expect(events.listenerCount('message')).toBe(1);
    await app!.close();
    app = undefined;
    expect(events.listenerCount('message')).toBe(0);
  });
});
