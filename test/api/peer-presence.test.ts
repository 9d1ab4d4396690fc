/**
 * The presence of watched phonebook entries in the API: `watchPresence` is kept with the entry,
 * `presence` appears on watched entries only, and both live feeds announce changes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { Value } from '@sinclair/typebox/value';
import { buildApp, type PeerPresencePort } from '../../server/api/app.js';
import * as C from '../../server/api/contract/index.js';
import { createMetrics } from '../../server/metrics/metrics.js';
import { validateConfig } from '../../server/config/load-config.js';
import { ROOT_DIR } from '../../server/version.js';
import { FakeClock } from '../../server/util/clock.js';
import { TypedEmitter } from '../../server/util/typed-emitter.js';
import { Phonebook } from '../../server/store/phonebook.js';
import { MemoryLinks } from './memory-links.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function make() {
  const dataDir = mkdtempSync(join(tmpdir(), 'acip-api-presence-'));
  const states = new Map<string, C.PeerPresence>();
  const events = new TypedEmitter<{ presence: [string, C.PeerPresence] }>();
  const peerPresence: PeerPresencePort = { of: (id) => states.get(id), events };
  const phonebook = new Phonebook({ dataDir, profileExists: () => true, wallNow: () => 1_700_000_000_000 });
  const metrics = createMetrics({ version: '1.0.0', startedAtMs: () => 0, nowMs: () => 0, processMetrics: false });
  app = await buildApp({
    config: validateConfig({ http: {}, dataDir }), version: '1.0.0', metrics, profiles: () => new Map(), nowMs: () => 0, startedAtMs: 0,
    listening: () => ({ sip: [], http: undefined }), webRoot: join(ROOT_DIR, 'web'), logger: false,
    links: new MemoryLinks(), phonebook, peerPresence, live: { clock: new FakeClock(), statsIntervalMs: 1000, metersIntervalMs: 100 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { states, events, port: (app.server.address() as { port: number }).port };
}

describe('presence of phonebook entries', () => {
  it('keeps watchPresence with the entry and shows presence on watched entries only', async () => {
    const { states } = await make();
    const watched = (await app!.inject({ method: 'POST', url: '/api/phonebook', payload: { name: 'Studio B', uri: 'sip:b@192.0.2.2', watchPresence: true } })).json();
    await app!.inject({ method: 'POST', url: '/api/phonebook', payload: { name: 'Studio C', uri: 'sip:c@192.0.2.3' } });
    states.set(watched.id, 'busy');
    const list = (await app!.inject({ url: '/api/phonebook' })).json();
    expect(Value.Check(C.PhonebookList, list)).toBe(true);
    expect(list.entries.map((e: C.PhonebookEntry) => [e.name, e.watchPresence ?? false, e.presence])).toEqual([
      ['Studio B', true, 'busy'],
      ['Studio C', false, undefined],
    ]);
  });

  it('refuses a watchPresence that is not a boolean, naming the field', async () => {
    await make();
    const res = await app!.inject({ method: 'POST', url: '/api/phonebook', payload: { name: 'X', uri: 'sip:x@192.0.2.4', watchPresence: 'yes' } });
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json())).toContain('watchPresence');
  });

  it('announces a change on both live feeds', async () => {
    const { events, port } = await make();
    const clients = ['', '?feed=2'].map((q) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live${q}`);
      const got: C.LiveMessage[] = [];
      ws.on('message', (d) => got.push(JSON.parse(String(d)) as C.LiveMessage));
      return { ws, got };
    });
    const until = async (pred: () => boolean) => {
      for (let i = 0; i < 300 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    for (const c of clients) await until(() => c.got.some((m) => m.type === 'hello'));
    events.emit('presence', 'p1', 'open');
    for (const c of clients) {
      await until(() => c.got.some((m) => m.type === 'presence'));
      const m = c.got.find((x) => x.type === 'presence');
      expect(m).toEqual({ type: 'presence', phonebookId: 'p1', presence: 'open' });
      expect(Value.Check(C.LiveMessage, m)).toBe(true);
      c.ws.close();
    }
  });
});
