/**
 * Feed 2 of the live feed (`/api/live?feed=2`): the full state on connect and on request, then per
 * client only what changed (patches of changed fields, removals, levels that moved), while a feed-1
 * client on the same service keeps getting full snapshots. The per-client tracker is tested alone
 * first, then through a real WebSocket against the memory link manager and the fake clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { Value } from '@sinclair/typebox/value';
import * as C from '../../server/api/contract/index.js';
import { LinkDeltaTracker, isResync, levelRow, negotiateFeed, withFields } from '../../server/api/live-feed.js';
import type { LinkSnapshot } from '../../server/links/link-types.js';
import { makeApp, type TestApp } from './memory-links.js';
import { seedRealisticState, type SeededIds } from './realistic-state.js';

const link = (over: Partial<LinkSnapshot> = {}): LinkSnapshot => ({
  id: 'l1', state: 'connected', direction: 'outbound', remote: 'sip:a@192.0.2.1', profile: 'opus-music-128k', permanent: false, input: 'tone',
  output: 'null', createdAt: '2026-12-07T03:00:00.000Z', connectedAt: '2026-12-07T03:00:01.000Z', durationS: 10, redials: 0, codec: null,
  mediaDirection: 'sendrecv', rx: null, tx: null, rttMs: 12, meters: null, ebuacip: null, localSdp: 'v=0\r\n', remoteSdp: 'v=0\r\n', endReason: null,
  ...over,
});

describe('per-client delta tracker', () => {
  it('sends every field but meters for a link the client does not know, then nothing while it stays the same', () => {
    const t = new LinkDeltaTracker();
    const l = link({ meters: { input: { peak: [-18], rms: [-21], clips: 0 }, output: { peak: [null], rms: [null], clips: 0 } } });
    const first = t.patch(withFields(l))!;
    const { meters: _m, ...rest } = l;
    expect(first).toEqual(rest);
    expect(t.patch(withFields({ ...l }))).toBeNull();
  });

  it.each([
    { change: { durationS: 11 }, patch: { id: 'l1', durationS: 11 } },
    { change: { state: 'ended' as const, endReason: { by: 'local' as const, reason: 'hang-up' } }, patch: { id: 'l1', state: 'ended', endReason: { by: 'local', reason: 'hang-up' } } },
    { change: { rttMs: null }, patch: { id: 'l1', rttMs: null } },
    { change: { connectedAt: undefined }, patch: { id: 'l1', unset: ['connectedAt'] } },
    { change: { meters: { input: { peak: [-1], rms: [-2], clips: 0 }, output: { peak: [-1], rms: [-2], clips: 0 } } }, patch: null },
  ])('patches $change with only the fields that changed', ({ change, patch }) => {
    const t = new LinkDeltaTracker();
    t.reset([withFields(link())]);
    const next = { ...link(), ...change } as LinkSnapshot;
    if ('connectedAt' in change) delete next.connectedAt;
    expect(t.patch(withFields(next))).toEqual(patch);
  });

  it('reports links the client knows that are gone, once', () => {
    const t = new LinkDeltaTracker();
    t.reset([withFields(link({ id: 'a' })), withFields(link({ id: 'b' }))]);
    expect(t.delta([withFields(link({ id: 'a' }))])).toEqual({ links: [], removed: ['b'] });
    expect(t.delta([withFields(link({ id: 'a' }))])).toEqual({ links: [], removed: [] });
    expect(t.remove('a')).toBe(true);
    expect(t.remove('a')).toBe(false);
  });

  it('passes only the meter frames whose levels changed since the last ones sent', () => {
    const t = new LinkDeltaTracker();
    const m = (db: number) => ({ input: { peak: [db], rms: [db - 3], clips: 0 }, output: { peak: [null], rms: [null], clips: 0 } });
    const frames = (a: number, b: number) => [{ id: 'a', meters: m(a) }, { id: 'b', meters: m(b) }].map((frame) => ({ frame, json: JSON.stringify(frame.meters) }));
    expect(t.meters(frames(-18, -20)).map((f) => f.id)).toEqual(['a', 'b']);
    expect(t.meters(frames(-18, -20))).toEqual([]);
    expect(t.meters(frames(-18, -19.5)).map((f) => f.id)).toEqual(['b']);
  });
});

describe('levels rows', () => {
  it('carry a link’s meters in a fixed order, in two thirds of the bytes or less', () => {
    const meters = { input: { peak: [-12.5, null], rms: [-18, null], clips: 0 }, output: { peak: [-6, -6.5], rms: [-12, -12.5], clips: 2 } };
    const row = levelRow({ id: 'l1', meters });
    expect(row).toEqual(['l1', [-12.5, null], [-18, null], 0, [-6, -6.5], [-12, -12.5], 2]);
    expect(JSON.stringify(row).length).toBeLessThan(JSON.stringify({ id: 'l1', meters }).length / 1.5);
  });
});

describe('feed version and client requests', () => {
  it.each([
    [undefined, 1],
    ['1', 1],
    ['2', 2],
    [2, 2],
    ['7', 2],
    ['0', 1],
    ['x', 1],
  ])('speaks feed %s as feed %s', (asked, spoken) => {
    expect(negotiateFeed(asked)).toBe(spoken);
  });

  it.each([
    ['{"type":"resync"}', true],
    ['{"type":"other"}', false],
    ['resync', false],
    ['null', false],
  ])('reads %s as a resync request: %s', (frame, yes) => {
    expect(isResync(Buffer.from(frame))).toBe(yes);
  });
});

// ------------------------------------------------------------------ over a real WebSocket

let t: TestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

type Msg = C.LiveMessage;

const ofType =
  <K extends Msg['type']>(type: K) =>
  (m: Msg): m is Extract<Msg, { type: K }> =>
    m.type === type;

/** A client of the feed that collects messages and can wait for one matching a predicate. */
async function connect(app: FastifyInstance, query = '?feed=2') {
  const port = (app.server.address() as { port: number }).port;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live${query}`);
  const got: Msg[] = [];
  let bytes = 0;
  ws.on('message', (d) => {
    bytes += String(d).length;
    got.push(JSON.parse(String(d)) as Msg);
  });
  const waitFor = async <T extends Msg>(pred: (m: Msg) => m is T, count = 1): Promise<T[]> => {
    for (let i = 0; i < 300 && got.filter(pred).length < count; i++) await new Promise((r) => setTimeout(r, 10));
    const found = got.filter(pred);
    expect(found.length).toBeGreaterThanOrEqual(count);
    return found;
  };
  await waitFor(ofType('hello'));
  return { ws, got, waitFor, bytes: () => bytes };
}

async function seeded(): Promise<{ t: TestApp; ids: SeededIds }> {
  t = await makeApp();
  const ids = seedRealisticState(t);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  return { t, ids };
}


describe('feed 2 over the WebSocket', () => {
  it('listens to link changes only while a client is connected, so no snapshot is built for nobody', async () => {
    const { t } = await seeded();
    expect(t.links.events.listenerCount('link')).toBe(0);
    const c = await connect(t.app);
    expect(t.links.events.listenerCount('link')).toBe(1);
    const closed = new Promise((r) => c.ws.once('close', r));
    c.ws.close();
    await closed;
    for (let i = 0; i < 100 && t.links.events.listenerCount('link') > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(t.links.events.listenerCount('link')).toBe(0);
  });

  it('says hello with the full state and feed 2, then ticks with an empty delta while nothing changes', async () => {
    const { t } = await seeded();
    const c = await connect(t.app);
    const hello = c.got[0] as C.LiveHello;
    expect(hello.feed).toBe(2);
    expect(hello.links).toEqual(JSON.parse(JSON.stringify(t.links.list())));
    t.clock.advance(1000);
    const [delta] = await c.waitFor(ofType('stats-delta'));
    expect(delta).toEqual({ type: 'stats-delta', links: [], removed: [] });
    // The levels did not move since the hello: no levels message at all, and never feed 1's meters.
    expect(c.got.filter((m) => m.type === 'levels' || m.type === 'meters')).toEqual([]);
    c.ws.close();
  });

  it('sends only the changed fields of the links that changed, and the removals, each matching the contract', async () => {
    const { t, ids } = await seeded();
    const c = await connect(t.app);
    const lc = t.links.get(ids.connected)!;
    t.links.links.set(ids.connected, { ...lc, durationS: lc.durationS + 1, rx: { ...lc.rx!, packets: lc.rx!.packets + 50 } });
    t.links.links.delete(ids.ended);
    t.clock.advance(1000);
    const [delta] = await c.waitFor(ofType('stats-delta'));
    expect(delta).toEqual({
      type: 'stats-delta',
      links: [{ id: ids.connected, durationS: lc.durationS + 1, rx: { ...lc.rx!, packets: lc.rx!.packets + 50 } }],
      removed: [ids.ended],
    });

    t.links.answer(ids.offered);
    const [patch] = await c.waitFor(ofType('link-patch'));
    expect(patch).toEqual({ type: 'link-patch', link: { id: ids.offered, state: 'connected' } });

    t.links.events.emit('removed', ids.failed);
    await c.waitFor(ofType('link-removed'));
    // A removal the client already heard about is not repeated.
    t.links.events.emit('removed', ids.ended);
    t.links.links.delete(ids.failed);
    t.clock.advance(1000);
    await c.waitFor(ofType('stats-delta'), 2);
    expect(c.got.filter(ofType('link-removed')).map((m) => m.id)).toEqual([ids.failed]);

    const lcNow = t.links.get(ids.connected)!;
    t.links.links.set(ids.connected, { ...lcNow, meters: { ...lcNow.meters!, output: { peak: [-6, -6.5], rms: [-12, -12.5], clips: 2 } } });
    t.clock.advance(100);
    const [levels] = await c.waitFor(ofType('levels'));
    expect(levels!.links).toEqual([[ids.connected, [-12.5, null], [-18, null], 0, [-6, -6.5], [-12, -12.5], 2]]);
    c.ws.close();

    for (const m of c.got) expect([...Value.Errors(C.LiveMessage, m)].map((e) => `${m.type} ${e.path}: ${e.message}`)).toEqual([]);
  });

  it('sends a fresh hello with the full state when the client asks for a resync, and on every reconnect', async () => {
    const { t, ids } = await seeded();
    const c = await connect(t.app);
    t.links.links.delete(ids.ended);
    c.ws.send(JSON.stringify({ type: 'resync' }));
    const hellos = await c.waitFor(ofType('hello'), 2);
    expect(hellos[1]!.links.map((l) => l.id)).not.toContain(ids.ended);
    // The resync reset the client's picture: the next tick knows the ended link is already gone.
    t.clock.advance(1000);
    const [delta] = await c.waitFor(ofType('stats-delta'));
    expect(delta!.removed).toEqual([]);
    c.ws.close();

    const again = await connect(t.app);
    expect((again.got[0] as C.LiveHello).links).toEqual(JSON.parse(JSON.stringify(t.links.list())));
    again.ws.close();
  });

  it('keeps sending full snapshots to a feed-1 client on the same service, which cannot ask for a resync', async () => {
    const { t } = await seeded();
    const v1 = await connect(t.app, '');
    const v2 = await connect(t.app);
    expect((v1.got[0] as C.LiveHello).feed).toBeUndefined();
    v1.ws.send(JSON.stringify({ type: 'resync' }));
    t.clock.advance(1000);
    const [stats] = await v1.waitFor(ofType('stats'));
    await v2.waitFor(ofType('stats-delta'));
    expect(stats!.links).toHaveLength(t.links.list().length);
    expect(v1.got.filter(ofType('hello'))).toHaveLength(1);
    expect(v1.got.some((m) => m.type === 'stats-delta' || m.type === 'link-patch')).toBe(false);
    expect(v2.got.some((m) => m.type === 'stats' || m.type === 'link')).toBe(false);
    v1.ws.close();
    v2.ws.close();
  });
});
