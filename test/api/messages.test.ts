/**
 * The message routes over an in-memory MessagingPort: history newest first and by peer, sending with
 * the delivery status in the answer, 400s that name the field, and no routes without a port.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { buildApp } from '../../server/api/app.js';
import type { MessagingPort, MessagingQuery } from '../../server/api/routes/messages.js';
import { Message, MessageList, MESSAGE_TEXT_MAX } from '../../server/api/contract/index.js';
import { createMetrics } from '../../server/metrics/metrics.js';
import { validateConfig } from '../../server/config/load-config.js';
import { ROOT_DIR } from '../../server/version.js';
import { AcipError } from '../../server/util/errors.js';

/** Delivers to sip:/sips: URIs and the entry "studio2", fails to "sip:offline@…" with 480, knows no other entry. */
class MemoryMessaging implements MessagingPort {
  messages: Message[] = [];
  private n = 0;
  list(q: MessagingQuery): readonly Message[] {
    const out = this.messages.filter((m) => q.remote === undefined || m.remote === q.remote).reverse();
    return q.limit === undefined ? out : out.slice(0, q.limit);
  }
  async send(to: string, text: string): Promise<Message> {
    let remote = to;
    if (to === 'studio2') remote = 'sip:studio2@192.0.2.10';
    else if (!/^sips?:/.test(to)) {
      if (to.includes(':')) throw new AcipError('VALIDATION', 'to: not a SIP or SIPS URI', 'to');
      throw new AcipError('NOT_FOUND', `no phonebook entry ${JSON.stringify(to)}`, 'to');
    }
    const failed = remote.startsWith('sip:offline@');
    const m: Message = {
      id: `m${++this.n}`,
      at: new Date(1_700_000_000_000 + this.n * 1000).toISOString(),
      direction: 'out',
      remote,
      text,
      status: failed ? 'failed' : 'delivered',
      statusCode: failed ? 480 : 200,
      reason: failed ? 'Temporarily Unavailable' : 'OK',
    };
    this.messages.push(m);
    return m;
  }
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function make(messaging?: MessagingPort): Promise<FastifyInstance> {
  const dataDir = mkdtempSync(join(tmpdir(), 'acip-api-msg-'));
  const config = validateConfig({ http: {}, dataDir });
  const metrics = createMetrics({ version: '1.0.0', startedAtMs: () => 0, nowMs: () => 0, processMetrics: false });
  app = await buildApp({
    config, version: '1.0.0', metrics, profiles: () => new Map(), nowMs: () => 0, startedAtMs: 0,
    listening: () => ({ sip: [], http: undefined }), webRoot: join(ROOT_DIR, 'web'), logger: false,
    ...(messaging ? { messaging } : {}),
  });
  return app;
}

describe('the message routes', () => {
  it('sends a message and answers with its delivery status', async () => {
    const a = await make(new MemoryMessaging());
    const res = await a.inject({ method: 'POST', url: '/api/messages', payload: { to: 'sip:studio3@192.0.2.11', text: 'Stand by, on air in 30 s' } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(Value.Check(Message, body)).toBe(true);
    expect(body).toMatchObject({ direction: 'out', remote: 'sip:studio3@192.0.2.11', status: 'delivered', statusCode: 200 });
  });

  it('answers a failed delivery with status failed and the SIP status', async () => {
    const a = await make(new MemoryMessaging());
    const res = await a.inject({ method: 'POST', url: '/api/messages', payload: { to: 'sip:offline@192.0.2.12', text: 'hello?' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 'failed', statusCode: 480, reason: 'Temporarily Unavailable' });
  });

  it('sends to a phonebook entry by id', async () => {
    const a = await make(new MemoryMessaging());
    const res = await a.inject({ method: 'POST', url: '/api/messages', payload: { to: 'studio2', text: 'hi' } });
    expect(res.json()).toMatchObject({ remote: 'sip:studio2@192.0.2.10' });
  });

  it('lists messages newest first, by peer and limited', async () => {
    const port = new MemoryMessaging();
    const a = await make(port);
    for (const to of ['sip:a@x.example', 'sip:b@x.example', 'sip:a@x.example']) await port.send(to, `to ${to}`);
    const all = await a.inject({ url: '/api/messages' });
    expect(all.statusCode).toBe(200);
    expect(Value.Check(MessageList, all.json())).toBe(true);
    expect(all.json().messages.map((m: Message) => m.id)).toEqual(['m3', 'm2', 'm1']);
    const byPeer = await a.inject({ url: '/api/messages?remote=sip%3Aa%40x.example' });
    expect(byPeer.json().messages.map((m: Message) => m.id)).toEqual(['m3', 'm1']);
    const limited = await a.inject({ url: '/api/messages?limit=1' });
    expect(limited.json().messages.map((m: Message) => m.id)).toEqual(['m3']);
  });

  // Rows: a bad request, and the field its 400 must name.
  const bad: [string, { method: 'GET' | 'POST'; url: string; payload?: unknown }, string][] = [
    ['a missing to', { method: 'POST', url: '/api/messages', payload: { text: 'x' } }, 'to'],
    ['a missing text', { method: 'POST', url: '/api/messages', payload: { to: 'sip:a@b' } }, 'text'],
    ['an empty text', { method: 'POST', url: '/api/messages', payload: { to: 'sip:a@b', text: '' } }, 'text'],
    ['a text over the limit', { method: 'POST', url: '/api/messages', payload: { to: 'sip:a@b', text: 'x'.repeat(MESSAGE_TEXT_MAX + 1) } }, 'text'],
    ['a text that is not a string', { method: 'POST', url: '/api/messages', payload: { to: 'sip:a@b', text: 42 } }, 'text'],
    ['an empty to', { method: 'POST', url: '/api/messages', payload: { to: '', text: 'x' } }, 'to'],
    ['an unknown field', { method: 'POST', url: '/api/messages', payload: { to: 'sip:a@b', text: 'x', urgent: true } }, 'urgent'],
    ['a to that is neither an entry nor a SIP URI', { method: 'POST', url: '/api/messages', payload: { to: 'tel:+4930123', text: 'x' } }, 'to'],
    ['a limit of 0', { method: 'GET', url: '/api/messages?limit=0' }, 'limit'],
    ['an unknown query parameter', { method: 'GET', url: '/api/messages?since=yesterday' }, 'since'],
  ];
  it.each(bad)('answers 400 naming the field for %s', async (_name, req, field) => {
    const a = await make(new MemoryMessaging());
    const res = await a.inject(req as never);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION', field });
  });

  it('answers 404 naming the field for an unknown phonebook entry', async () => {
    const a = await make(new MemoryMessaging());
    const res = await a.inject({ method: 'POST', url: '/api/messages', payload: { to: 'nobody', text: 'x' } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND', field: 'to' });
  });

  it('has no message routes when the service gives no messaging port', async () => {
    const a = await make();
    expect((await a.inject({ url: '/api/messages' })).statusCode).toBe(404);
    expect((await a.inject({ method: 'POST', url: '/api/messages', payload: { to: 'sip:a@b', text: 'x' } })).statusCode).toBe(404);
  });

  it('documents both routes in the OpenAPI document', async () => {
    const a = await make(new MemoryMessaging());
    const doc = (await a.inject({ url: '/docs/json' })).json();
    expect(Object.keys(doc.paths['/api/messages'])).toEqual(expect.arrayContaining(['get', 'post']));
  });
});
