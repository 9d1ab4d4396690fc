/**
 * Every route's real answer, over a realistic service state, checked against its schema in the API
 * contract with TypeBox (so a response that drifts from the contract fails here), and compared with
 * the service's own value where there is one (fastify's serializer drops properties a response schema
 * does not name, so a property the contract forgot would vanish silently). The live feed's messages
 * are checked the same way, and /docs/json must document a response for every route.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import * as C from '../../server/api/contract/index.js';
import { makeApp, type TestApp } from './memory-links.js';
import { seedRealisticState, type SeededIds } from './realistic-state.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function seeded(http: Record<string, unknown> = {}): Promise<{ t: TestApp; ids: SeededIds }> {
  const t = await makeApp(http);
  app = t.app;
  return { t, ids: seedRealisticState(t) };
}

/** Fails with every place where the value breaks the schema, not just "false". */
function expectMatches(schema: TSchema, value: unknown, what: string): void {
  const errors = [...Value.Errors(schema, value)].slice(0, 8).map((e) => `${e.path || '/'}: ${e.message}`);
  expect(errors, `${what} does not match its contract schema`).toEqual([]);
  expect(Value.Check(schema, value)).toBe(true);
}

/** What the client receives when the service's own value goes out as plain JSON. */
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

interface Row {
  /** The operation as /docs/json names it. */
  route: string;
  url: (ids: SeededIds) => string;
  payload?: (ids: SeededIds) => Record<string, unknown>;
  status: number;
  schema: TSchema;
  /** The service's own value, when the route passes one through: the response must equal its JSON. */
  same?: (t: TestApp, ids: SeededIds) => unknown;
}

const Csv = Type.String({ pattern: '^started_at,' });
const Empty = Type.Literal('');

const ROWS: Row[] = [
  { route: 'GET /api/health', url: () => '/api/health', status: 200, schema: C.HealthBody },
  { route: 'GET /api/status', url: () => '/api/status', status: 200, schema: C.StatusBody },
  { route: 'GET /api/profiles', url: () => '/api/profiles', status: 200, schema: C.ProfileList },
  { route: 'GET /api/profiles/{name}', url: () => '/api/profiles/opus-music-128k', status: 200, schema: C.ProfileSummary },
  { route: 'POST /api/login', url: () => '/api/login', payload: () => ({ password: 'anything' }), status: 200, schema: C.LoginResult },
  { route: 'POST /api/logout', url: () => '/api/logout', status: 200, schema: C.LogoutResult },
  { route: 'GET /api/links', url: () => '/api/links', status: 200, schema: C.LinkList, same: (t) => ({ links: t.links.list() }) },
  {
    route: 'POST /api/links', url: () => '/api/links', status: 201, schema: C.LinkSnapshot,
    payload: (ids) => ({ to: 'sip:studio2@192.0.2.10', profile: 'opus-music-128k', permanent: true, phonebookId: ids.studio }),
  },
  { route: 'GET /api/links/{id}', url: (ids) => `/api/links/${ids.connected}`, status: 200, schema: C.LinkSnapshot, same: (t, ids) => t.links.get(ids.connected) },
  { route: 'DELETE /api/links/{id}', url: (ids) => `/api/links/${ids.connected}`, status: 200, schema: C.LinkSnapshot, same: (t, ids) => t.links.get(ids.connected) },
  { route: 'POST /api/links/{id}/answer', url: (ids) => `/api/links/${ids.offered}/answer`, status: 200, schema: C.LinkSnapshot, same: (t, ids) => t.links.get(ids.offered) },
  {
    route: 'POST /api/links/{id}/profile', url: (ids) => `/api/links/${ids.connected}/profile`, payload: () => ({ profile: 'opus-voice-64k' }),
    status: 200, schema: C.LinkSnapshot, same: (t, ids) => t.links.get(ids.connected),
  },
  { route: 'POST /api/links/{id}/reject', url: (ids) => `/api/links/${ids.offered}/reject`, status: 200, schema: C.LinkSnapshot, same: (t, ids) => t.links.get(ids.offered) },
  { route: 'GET /api/alarms', url: () => '/api/alarms', status: 200, schema: C.AlarmList, same: (t) => ({ alarms: t.links.alarms() }) },
  { route: 'POST /api/alarms/{id}/ack', url: (ids) => `/api/alarms/${ids.alarm}/ack`, status: 200, schema: C.Alarm, same: (t, ids) => t.links.alarms().find((a) => a.id === ids.alarm) },
  {
    route: 'GET /api/phonebook', url: () => '/api/phonebook', status: 200, schema: C.PhonebookList,
    same: (t) => ({ entries: t.phonebook.list().map((e) => ({ ...e, reachability: t.links.reachability(e.id), asr: t.history.answerSeizureRatio(e.id) })) }),
  },
  {
    route: 'POST /api/phonebook', url: () => '/api/phonebook', status: 201, schema: C.PhonebookEntry,
    payload: () => ({ name: 'Studio 3', uri: 'sip:studio3@192.0.2.11', profile: 'g722-voice', notes: 'spare', probe: true }),
  },
  {
    route: 'GET /api/phonebook/{id}', url: (ids) => `/api/phonebook/${ids.studio}`, status: 200, schema: C.PhonebookEntry,
    same: (t, ids) => ({ ...t.phonebook.get(ids.studio), reachability: t.links.reachability(ids.studio), asr: t.history.answerSeizureRatio(ids.studio) }),
  },
  {
    route: 'PUT /api/phonebook/{id}', url: (ids) => `/api/phonebook/${ids.outsideBroadcast}`, status: 200, schema: C.PhonebookEntry,
    payload: () => ({ name: 'OB van 2', uri: 'sip:ob2@ob.example.net' }),
    same: (t, ids) => ({ ...t.phonebook.get(ids.outsideBroadcast), reachability: t.links.reachability(ids.outsideBroadcast), asr: t.history.answerSeizureRatio(ids.outsideBroadcast) }),
  },
  { route: 'DELETE /api/phonebook/{id}', url: (ids) => `/api/phonebook/${ids.outsideBroadcast}`, status: 204, schema: Empty },
  { route: 'GET /api/history', url: () => '/api/history', status: 200, schema: C.HistoryList, same: (t) => ({ calls: t.history.query() }) },
  { route: 'GET /api/history.csv', url: () => '/api/history.csv?answered=true', status: 200, schema: Csv },
];

/** Error answers: each must be the contract's error body. */
const ERROR_ROWS: { name: string; method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: Record<string, unknown>; status: number; code: string }[] = [
  { name: 'an unknown link', method: 'GET', url: '/api/links/nope', status: 404, code: 'NOT_FOUND' },
  { name: 'an unknown profile', method: 'GET', url: '/api/profiles/nope', status: 404, code: 'NOT_FOUND' },
  { name: 'an unknown alarm', method: 'POST', url: '/api/alarms/nope/ack', status: 404, code: 'NOT_FOUND' },
  { name: 'an unknown route', method: 'GET', url: '/api/nothing', status: 404, code: 'NOT_FOUND' },
  { name: 'a dial body with an unknown field', method: 'POST', url: '/api/links', payload: { to: 'sip:a@192.0.2.1', colour: 'red' }, status: 400, code: 'VALIDATION' },
  { name: 'a dial to a non-SIP URI', method: 'POST', url: '/api/links', payload: { to: 'mailto:a@b' }, status: 400, code: 'VALIDATION' },
  { name: 'a history query out of range', method: 'GET', url: '/api/history?limit=0', status: 400, code: 'VALIDATION' },
];

function method(route: string): 'GET' | 'POST' | 'PUT' | 'DELETE' {
  return route.split(' ')[0] as 'GET' | 'POST' | 'PUT' | 'DELETE';
}

describe('REST responses against the API contract', () => {
  it.each(ROWS.map((r) => [r.route, r] as const))('%s answers a body that matches its contract schema', async (_name, row) => {
    const { t, ids } = await seeded();
    const res = await t.app.inject({ method: method(row.route), url: row.url(ids), payload: row.payload?.(ids) });
    expect(res.statusCode, res.body).toBe(row.status);
    const body = String(res.headers['content-type'] ?? '').startsWith('application/json') ? res.json() : res.body;
    expectMatches(row.schema, body, row.route);
    if (row.same) expect(body, `${row.route} lost or changed properties on the way out`).toEqual(asJson(row.same(t, ids)));
  });

  it.each(ERROR_ROWS.map((r) => [r.name, r] as const))('answers %s with the contract error body', async (_name, row) => {
    const { t } = await seeded();
    const res = await t.app.inject({ method: row.method, url: row.url, payload: row.payload });
    expect(res.statusCode).toBe(row.status);
    expectMatches(C.ErrorBody, res.json(), row.name);
    expect(res.json()).toMatchObject({ code: row.code });
  });

  it.each([
    ['a request without credentials', { url: '/api/links' }, 401],
    ['a wrong password', { method: 'POST' as const, url: '/api/login', payload: { password: 'guess-guess' } }, 401],
    ['a viewer dialling', { method: 'POST' as const, url: '/api/links', payload: { to: 'sip:a@192.0.2.1' }, headers: { authorization: `Basic ${Buffer.from('x:viewer-password').toString('base64')}` } }, 403],
  ])('answers %s with the contract error body', async (_name, req, status) => {
    const { t } = await seeded({ host: '0.0.0.0', password: 'admin-password', viewerPassword: 'viewer-password' });
    const res = await t.app.inject(req);
    expect(res.statusCode).toBe(status);
    expectMatches(C.ErrorBody, res.json(), `${status} answer`);
  });

  it('answers the status with the role, registration and link counts by state', async () => {
    const { t } = await seeded();
    const body = (await t.app.inject({ url: '/api/status' })).json() as C.StatusBody;
    expect(body).toMatchObject({ role: 'open', registration: { state: 'registered' }, links: { total: 4, byState: { connected: 1, offered: 1, redialling: 1, ended: 1 } } });
  });

  it('sends silent meter channels (-Infinity dBFS) as null', async () => {
    const { t, ids } = await seeded();
    const link = (await t.app.inject({ url: `/api/links/${ids.connected}` })).json() as C.LinkSnapshot;
    expect(link.meters?.input.peak).toEqual([-12.5, null]);
  });

  it('tests every operation that /docs/json documents, and nothing else', async () => {
    const { t } = await seeded();
    const doc = (await t.app.inject({ url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const tested = [...ROWS.map((r) => r.route), 'GET /api/live'];
    expect(documented.sort()).toEqual(tested.sort());
  });
});

describe('live feed messages against the API contract', () => {
  it('sends every kind of message, each matching its contract schema', async () => {
    const { t, ids } = await seeded();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as { port: number }).port;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live`);
    const got: unknown[] = [];
    const waiting: (() => boolean)[] = [];
    ws.on('message', (d) => {
      got.push(JSON.parse(String(d)));
      for (const w of waiting.splice(0)) if (!w()) waiting.push(w);
    });
    const seen = (type: string) => got.some((m) => (m as { type: string }).type === type);
    const until = (type: string) =>
      new Promise<void>((resolve) => {
        const w = () => (seen(type) ? (resolve(), true) : false);
        if (!w()) waiting.push(w);
      });

    await until('hello');
    expect((got[0] as C.LiveMessage & { type: 'hello' }).links).toEqual(asJson(t.links.list()));
    t.links.answer(ids.offered);
    await until('link');
    t.links.events.emit('removed', ids.ended);
    await until('link-removed');
    t.clock.advance(1000);
    await until('stats');
    await until('meters');
    t.links.events.emit('alarm', { id: 'a3', kind: 'loss', linkId: ids.connected, message: 'loss above 5 %', raisedAt: '2026-12-07T04:00:00.000Z', acknowledged: false });
    await until('alarm');
    t.links.events.emit('registration', { state: 'failed', aor: 'sip:studio1@example.net', registrar: 'sip:example.net', lastError: '403 Forbidden', nextRetryAt: '2026-12-07T04:01:00.000Z' });
    await until('registration');
    ws.close();

    const types = new Set(got.map((m) => (m as { type: string }).type));
    expect([...types].sort()).toEqual(['alarm', 'hello', 'link', 'link-removed', 'meters', 'registration', 'stats']);
    for (const m of got) expectMatches(C.LiveMessage, m, `live message ${(m as { type: string }).type}`);
  });
});

describe('OpenAPI document', () => {
  it('lists a success response with a schema and the error body for every documented route', async () => {
    const { t } = await seeded();
    const doc = (await t.app.inject({ url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
    };
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(ops)) {
        const responses = op.responses ?? {};
        const success = Object.entries(responses).filter(([status]) => /^(1|2)\d\d$/.test(status));
        const described = success.some(([status, r]) => status === '204' || Object.values(r.content ?? {}).some((c) => c.schema !== undefined));
        if (!described) missing.push(`${m.toUpperCase()} ${path}: no success response schema`);
        if (!Object.values(responses['4XX']?.content ?? {}).some((c) => c.schema !== undefined)) missing.push(`${m.toUpperCase()} ${path}: no 4XX error schema`);
      }
    }
    expect(missing).toEqual([]);
  });
});
