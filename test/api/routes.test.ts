/**
 * Route-level tests of the REST API and the live feed. Phonebook and history are the real stores on a
 * temporary data dir; the link manager is replaced by a small in-memory LinksPort (the real one is
 * exercised end to end with baresip in test/interop), because these tests are about HTTP behaviour:
 * validation naming fields, roles, CSRF, status codes, the feed's message flow.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import type { LinkSnapshot, LiveMessage } from '../../server/api/contract/index.js';
import { makeApp } from './memory-links.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function make(http: Record<string, unknown> = {}) {
  const made = await makeApp(http);
  app = made.app;
  return made;
}

describe('links routes', () => {
  it('dials with POST /api/links (201), lists, inspects and hangs up', async () => {
    const { app } = await make();
    const res = await app.inject({ method: 'POST', url: '/api/links', payload: { to: 'sip:studio@127.0.0.1', permanent: true } });
    expect(res.statusCode).toBe(201);
    const link = res.json() as LinkSnapshot;
    expect(link).toMatchObject({ state: 'dialling', remote: 'sip:studio@127.0.0.1', permanent: true });
    expect((await app.inject({ url: '/api/links' })).json()).toMatchObject({ links: [{ id: link.id }] });
    expect((await app.inject({ url: `/api/links/${link.id}` })).json()).toMatchObject({ id: link.id });
    const del = await app.inject({ method: 'DELETE', url: `/api/links/${link.id}` });
    expect(del.json()).toMatchObject({ state: 'ended', endReason: { by: 'local' } });
    expect((await app.inject({ method: 'DELETE', url: '/api/links/nope' })).statusCode).toBe(404);
  });

  it.each([
    [{}, 'to', /to/],
    [{ to: 5 }, 'to', /string/],
    [{ to: 'sip:a@127.0.0.1', permanent: 'yes' }, 'permanent', /boolean/],
    [{ to: 'sip:a@127.0.0.1', colour: 'red' }, 'colour', /unknown field/],
    [{ to: 'mailto:a@b' }, 'to', /SIP URI/],
  ])('refuses the dial body %j with 400 naming %s', async (payload, field, msg) => {
    const { app } = await make();
    const res = await app.inject({ method: 'POST', url: '/api/links', payload });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { code: string; field: string; message: string };
    expect(body.code).toBe('VALIDATION');
    expect(body.field).toBe(field);
    expect(body.message).toMatch(msg);
  });

  it('refuses a body that is not JSON', async () => {
    const { app } = await make();
    const res = await app.inject({ method: 'POST', url: '/api/links', payload: '{"to":', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
  });
});

describe('phonebook and history routes', () => {
  it('creates, reads, updates and deletes phonebook entries with reachability and ASR, persisted on disk', async () => {
    const { app, dataDir } = await make();
    const created = await app.inject({ method: 'POST', url: '/api/phonebook', payload: { name: 'Studio 2', uri: 'sip:s2@127.0.0.1', profile: 'g722-voice' } });
    expect(created.statusCode).toBe(201);
    const entry = created.json() as { id: string };
    expect(created.json()).toMatchObject({ name: 'Studio 2', reachability: { reachable: true, rttMs: 1.5 }, asr: { attempts: 0, asr: null } });
    const put = await app.inject({ method: 'PUT', url: `/api/phonebook/${entry.id}`, payload: { name: 'Studio Two', uri: 'sip:s2@127.0.0.1' } });
    expect(put.json()).toMatchObject({ name: 'Studio Two' });
    expect(JSON.parse(readFileSync(join(dataDir, 'phonebook.json'), 'utf8')).entries[0].name).toBe('Studio Two');
    expect((await app.inject({ method: 'DELETE', url: `/api/phonebook/${entry.id}` })).statusCode).toBe(204);
    expect((await app.inject({ url: `/api/phonebook/${entry.id}` })).statusCode).toBe(404);
  });

  it.each([
    [{ name: 'x', uri: 'sip:a@127.0.0.1', profile: 'no-such-profile' }, 'profile'],
    [{ name: 'x', uri: 'not a uri' }, 'uri'],
    [{ uri: 'sip:a@127.0.0.1' }, 'name'],
  ])('refuses the phonebook body %j naming %s, and persists nothing', async (payload, field) => {
    const { app, dataDir } = await make();
    const res = await app.inject({ method: 'POST', url: '/api/phonebook', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION', field });
    expect(() => readFileSync(join(dataDir, 'phonebook.json'))).toThrow(/ENOENT/);
  });

  it('serves history as JSON with filters and as CSV', async () => {
    const { app, history } = await make();
    for (const [i, direction] of [[1, 'outbound'], [2, 'inbound']] as const) {
      history.add({
        id: `c${i}`, linkId: `l${i}`, direction, remote: `sip:r${i}@127.0.0.1`, startedAt: new Date(i * 1000).toISOString(),
        endedAt: new Date(i * 1000 + 500).toISOString(), answered: true, durationS: 0.5, endReason: { by: 'remote', reason: 'BYE' },
        quality: { lossPct: 0, concealedPct: 0, maxJitterMs: 1, meanBufferMs: 20, maxBufferMs: 20, rttMs: 1, redials: 0 },
      });
    }
    expect((await app.inject({ url: '/api/history?direction=inbound' })).json()).toMatchObject({ calls: [{ id: 'c2' }] });
    expect(((await app.inject({ url: '/api/history?limit=1' })).json() as { calls: unknown[] }).calls).toHaveLength(1);
    const bad = await app.inject({ url: '/api/history?limit=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'limit' });
    const csv = await app.inject({ url: '/api/history.csv' });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.body.split('\r\n').filter(Boolean)).toHaveLength(3);
  });
});

describe('login, roles and CSRF', () => {
  const http = { host: '0.0.0.0', password: 'admin-password', viewerPassword: 'viewer-password' };
  const login = async (a: FastifyInstance, password: string) => {
    const res = await a.inject({ method: 'POST', url: '/api/login', payload: { password } });
    const cookie = String(res.headers['set-cookie'] ?? '').split(';')[0]!;
    return { res, cookie };
  };

  it('sets an HttpOnly SameSite=Strict cookie for the right password and refuses a wrong one', async () => {
    const { app } = await make(http);
    const wrong = await login(app, 'guess-guess');
    expect(wrong.res.statusCode).toBe(401);
    const { res, cookie } = await login(app, 'admin-password');
    expect(res.json()).toEqual({ role: 'admin' });
    expect(String(res.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await app.inject({ url: '/api/status', headers: { cookie } })).json()).toMatchObject({ role: 'admin' });
  });

  it('requires the CSRF header for cookie-authenticated writes and refuses foreign origins', async () => {
    const { app } = await make(http);
    const { cookie } = await login(app, 'admin-password');
    const payload = { to: 'sip:a@127.0.0.1' };
    expect((await app.inject({ method: 'POST', url: '/api/links', payload, headers: { cookie } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/api/links', payload, headers: { cookie, 'x-acip-csrf': '1' } })).statusCode).toBe(201);
    const foreign = await app.inject({ method: 'POST', url: '/api/links', payload, headers: { cookie, 'x-acip-csrf': '1', origin: 'http://evil.example', host: 'localhost:80' } });
    expect(foreign.statusCode).toBe(403);
  });

  it('lets a viewer watch but refuses dialling and hanging up with 403', async () => {
    const { app, links } = await make(http);
    const { cookie } = await login(app, 'viewer-password');
    expect((await app.inject({ url: '/api/links', headers: { cookie } })).statusCode).toBe(200);
    const dial = await app.inject({ method: 'POST', url: '/api/links', payload: { to: 'sip:a@127.0.0.1' }, headers: { cookie, 'x-acip-csrf': '1' } });
    expect(dial.statusCode).toBe(403);
    expect(dial.json()).toMatchObject({ code: 'FORBIDDEN' });
    links.dial({ to: 'sip:b@127.0.0.1' });
    expect((await app.inject({ method: 'DELETE', url: '/api/links/l1', headers: { cookie, 'x-acip-csrf': '1' } })).statusCode).toBe(403);
    const basicViewer = `Basic ${Buffer.from('x:viewer-password').toString('base64')}`;
    expect((await app.inject({ method: 'DELETE', url: '/api/links/l1', headers: { authorization: basicViewer } })).statusCode).toBe(403);
  });
});

describe('live feed', () => {
  it('sends hello, then state changes as they happen, stats at 1 Hz and meters at 10 Hz from the injected clock', async () => {
    const { app, links, clock } = await make();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live`);
    const got: LiveMessage[] = [];
    ws.on('message', (d) => got.push(JSON.parse(String(d)) as LiveMessage));
    const waitFor = async (pred: () => boolean) => {
      for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(pred()).toBe(true);
    };
    await waitFor(() => got.length >= 1);
    expect(got[0]).toMatchObject({ type: 'hello', version: '1.0.0', links: [] });
    links.dial({ to: 'sip:x@127.0.0.1' });
    await waitFor(() => got.some((m) => m.type === 'link'));
    clock.advance(1000);
    await waitFor(() => got.some((m) => m.type === 'stats'));
    const count = (t: string) => got.filter((m) => m.type === t).length;
    expect(count('stats')).toBe(1);
    expect(count('meters')).toBe(10);
    ws.close();
  });

  it('refuses a WebSocket from a foreign origin', async () => {
    const { app } = await make();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live`, { origin: 'http://evil.example' });
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(403);
  });
});

describe('OpenAPI', () => {
  it('documents the routes at /docs/json', async () => {
    const { app } = await make();
    const doc = (await app.inject({ url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    for (const p of ['/api/health', '/api/links', '/api/links/{id}', '/api/phonebook', '/api/history', '/api/profiles']) expect(doc.paths).toHaveProperty([p]);
  });
});

describe('mid-call codec change', () => {
  it('changes a link profile with POST /api/links/:id/profile and names a missing field', async () => {
    const { app } = await make();
    const link = (await app.inject({ method: 'POST', url: '/api/links', payload: { to: 'sip:a@127.0.0.1' } })).json() as LinkSnapshot;
    const res = await app.inject({ method: 'POST', url: `/api/links/${link.id}/profile`, payload: { profile: 'g722-voice' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ profile: 'g722-voice' });
    const bad = await app.inject({ method: 'POST', url: `/api/links/${link.id}/profile`, payload: {} });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'profile' });
  });
});
