/**
 * The warm-up a media worker runs before it reports ready: one loopback call per codec through open,
 * update, media both ways and close. It must cover every codec, leave nothing open, never throw (it
 * is an optimisation: a failure ends it early and the worker serves sessions anyway), and a pool must
 * work with or without it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { codecRegistry } from '../../../server/codecs/registry.js';
import { MediaWorkerPool } from '../../../server/media/worker/media-worker-pool.js';
import { PROVISIONAL_CASE, WARM_CASES, WARM_UP_SETS, warmUpMediaPath, type WarmCase } from '../../../server/media/worker/worker-warm-up.js';
import { CODEC_CASES, sessionParams } from '../session/session-harness.js';
import { handleCounts, until } from './worker-harness.js';

const udpSockets = () => handleCounts().get('UDPWrap') ?? 0;
const pcma = CODEC_CASES.find((c) => c.name === 'PCMA')!;

describe('the media worker warm-up', () => {
  it('covers every codec in the registry and starts from the provisional parameters a link opens with', () => {
    const warmed = new Set(WARM_CASES.map((c) => c.codecId));
    expect([...codecRegistry.all().map((r) => r.id)].filter((id) => !warmed.has(id))).toEqual([]);
    expect(WARM_CASES).toContain(PROVISIONAL_CASE);
  });

  const sets: Array<{ set: keyof typeof WARM_UP_SETS; codecs: string[] }> = [
    { set: 'all', codecs: WARM_CASES.map((c) => c.codecId) },
    { set: 'without-opus', codecs: WARM_CASES.map((c) => c.codecId).filter((id) => id !== 'opus') },
    { set: 'none', codecs: [] },
  ];
  for (const row of sets) {
    it(`the set '${row.set}' runs the cases of ${row.codecs.length ? row.codecs.join(', ') : 'no codec'}`, () => {
      expect(WARM_UP_SETS[row.set].map((c) => c.codecId)).toEqual(row.codecs);
    });
  }

  it('runs every case and leaves no socket open', async () => {
    const before = udpSockets();
    const r = await warmUpMediaPath();
    expect(r).toMatchObject({ cases: WARM_CASES.length, error: null });
    await until(() => udpSockets() === before, 5000, 'the warm-up sockets to close');
  });

  const unknown: WarmCase = { codecId: 'no-such-codec', payloadType: 96, codecParams: { sampleRate: 8000, channels: 1, ptimeMs: 20 } };
  const rows: Array<{ what: string; cases: WarmCase[]; done: number; fails: boolean }> = [
    { what: 'an empty list does nothing', cases: [], done: 0, fails: false },
    { what: 'a failing first case stops it before any case is counted', cases: [unknown, WARM_CASES[0]!], done: 0, fails: true },
    { what: 'a failing case after a good one keeps the good one counted', cases: [WARM_CASES[0]!, unknown], done: 1, fails: true },
  ];
  for (const row of rows) {
    it(`never throws: ${row.what}`, async () => {
      const before = udpSockets();
      const r = await warmUpMediaPath(row.cases);
      expect(r.cases).toBe(row.done);
      expect(r.error !== null).toBe(row.fails);
      await until(() => udpSockets() === before, 5000, 'the warm-up sockets to close');
    });
  }
});

describe('a media worker pool', () => {
  const warm = new MediaWorkerPool({ workers: 1 });
  const cold = new MediaWorkerPool({ workers: 1, warmUp: false });
  const light = new MediaWorkerPool({ workers: 1, warmUp: 'without-opus' });
  afterAll(() => Promise.all([warm.close(), cold.close(), light.close()]));

  for (const [what, pool] of [
    ['whose workers warm up', warm],
    ['whose workers skip the warm-up', cold],
    ['whose workers warm up every codec but Opus', light],
  ] as const) {
    it(`${what} opens and closes a session once ready`, async () => {
      await pool.ready();
      const s = await pool.open(sessionParams(pcma, { linkId: 'after-ready', send: false, receive: false }));
      expect(pool.workers()[0]!.sessions).toBe(1);
      await s.close();
      expect(pool.workers()[0]!.sessions).toBe(0);
    });
  }
});
