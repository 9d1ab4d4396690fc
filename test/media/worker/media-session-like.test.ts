/**
 * MediaSessionLike: the in-process opener and the worker pool's opener give sessions the link layer
 * can use interchangeably — same members, same stats shape, same parameters back.
 */
import { describe, expect, it } from 'vitest';
import { inProcessMediaOpener, MEDIA_SESSION_EVENT_NAMES, type MediaSessionLike, type MediaSessionOpener } from '../../../server/media/worker/media-session-like.js';
import { MediaWorkerPool } from '../../../server/media/worker/media-worker-pool.js';
import { systemClock } from '../../../server/util/clock.js';
import { CODEC_CASES, sessionParams } from '../session/session-harness.js';

/** Every key path of a plain object (array elements by index 0 only). */
function shape(v: unknown, prefix = ''): string[] {
  if (v === null || typeof v !== 'object') return [prefix];
  if (Array.isArray(v)) return v.length === 0 ? [`${prefix}[]`] : shape(v[0], `${prefix}[0]`);
  return Object.keys(v)
    .sort()
    .flatMap((k) => shape((v as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k));
}

async function exercise(open: MediaSessionOpener): Promise<{ s: MediaSessionLike; statsShape: string[] }> {
  const p = sessionParams(CODEC_CASES[0]!, { linkId: 'like', send: false, receive: false });
  const s = await open(p);
  expect(s.linkId).toBe('like');
  expect(s.localRtpPort).toBeGreaterThan(0);
  expect(s.localRtcpPort).toBeGreaterThan(0);
  expect(s.currentParams()).toEqual(p);
  await s.update({ ...p, receive: true });
  expect(s.currentParams().receive).toBe(true);
  const statsShape = shape(s.stats());
  let latched = 0;
  const off = s.on('latched', () => latched++);
  off();
  await s.close('done');
  expect(s.isClosed).toBe(true);
  expect(s.stats().closed).toBe(true);
  expect(latched).toBe(0);
  return { s, statsShape };
}

describe('MediaSessionLike', () => {
  it('is served alike by the in-process opener and the worker pool', async () => {
    const local = await exercise(inProcessMediaOpener({ clock: systemClock }));
    const pool = new MediaWorkerPool({ workers: 1 });
    try {
      const remote = await exercise(pool.opener());
      // The snapshot from the worker has exactly the in-process shape.
      expect(remote.statsShape).toEqual(local.statsShape);
      expect(remote.statsShape.length).toBeGreaterThan(50);
    } finally {
      await pool.close();
    }
  });

  it('lists every media session event for forwarding', () => {
    expect([...MEDIA_SESSION_EVENT_NAMES].sort()).toEqual(['bye', 'closed', 'error', 'latched', 'media-restored', 'no-media', 'silence', 'silence-cleared']);
  });
});
