/**
 * Helpers for media-worker tests: a pair of RemoteMediaSessions pointed at each other, and waiting for
 * an event with a bound.
 */
import type { MediaSessionParams } from '../../../server/media/session-types.js';
import type { MediaWorkerPool } from '../../../server/media/worker/media-worker-pool.js';
import type { RemoteMediaSession } from '../../../server/media/worker/remote-media-session.js';

/** Opens A then B (the pool puts them on different workers when both are idle) and points each at the other. */
export async function openRemotePair(pool: MediaWorkerPool, a: MediaSessionParams, b: MediaSessionParams): Promise<{ a: RemoteMediaSession; b: RemoteMediaSession }> {
  const sa = await pool.open(a);
  const sb = await pool.open({ ...b, remote: { address: '127.0.0.1', rtpPort: sa.localRtpPort, rtcpPort: sa.localRtcpPort } });
  await sa.update({ ...a, remote: { address: '127.0.0.1', rtpPort: sb.localRtpPort, rtcpPort: sb.localRtcpPort } });
  return { a: sa, b: sb };
}

export function waitFor<T>(register: (resolve: (v: T) => void) => void, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    register((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

/** Polls `cond` every 20 ms until it holds or `ms` pass. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function handleCounts(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

/** True when `v` is plain data: only primitives, arrays and objects whose prototype is Object.prototype or null. */
export function isPlainData(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return true;
  if (typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.every(isPlainData);
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(v as Record<string, unknown>).every(isPlainData);
}
