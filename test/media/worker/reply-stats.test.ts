/**
 * What the open, update and close replies carry: the ports and the session's snapshot as a small
 * delta, no parameters. The snapshot a RemoteMediaSession serves right after open(), update() and
 * close() is still valid and whole: equal, field for field, to the worker's own stats().
 */
import { afterAll, describe, expect, it } from 'vitest';
import { serialize } from 'node:v8';
import type { Worker } from 'node:worker_threads';
import { MediaWorkerPool } from '../../../server/media/worker/media-worker-pool.js';
import { MediaSession } from '../../../server/media/media-session.js';
import type { MediaSessionParams, MediaSessionStats } from '../../../server/media/session-types.js';
import type { FromWorker, FromWorkerBatch } from '../../../server/media/worker/worker-protocol.js';
import { systemClock } from '../../../server/util/clock.js';
import { CODEC_CASES, sessionParams } from '../session/session-harness.js';
import { isPlainData, until } from './worker-harness.js';

const opus = CODEC_CASES.find((c) => c.name === 'opus stereo 20 ms')!;
const pcma = CODEC_CASES.find((c) => c.name === 'PCMA')!;

/** As the link layer opens a session before the SDP answer: the profile's first codec, nothing sent or received. */
function provisional(linkId: string): MediaSessionParams {
  const p = sessionParams(opus, { linkId, send: false, receive: false, input: 'tone', ports: undefined, portRange: { min: 30000, max: 39999 } });
  delete p.ports;
  return p;
}

/** The replies the pool's worker sends, as they cross (the pool keeps its workers private). */
function tapReplies(pool: MediaWorkerPool): Array<Extract<FromWorker, { t: 'reply' }>> {
  const seen: Array<Extract<FromWorker, { t: 'reply' }>> = [];
  const worker = (pool as unknown as { slots: Array<{ worker: Worker | null }> }).slots[0]!.worker!;
  worker.on('message', (batch: FromWorkerBatch) => {
    for (const m of batch) if (m.t === 'reply') seen.push(m);
  });
  return seen;
}

/** A snapshot with the fields that move on their own (time, meters) left out: what a provisional session keeps still. */
function still(s: MediaSessionStats): unknown {
  return { ...s, input: { ...s.input, meter: null, silence: null }, output: { ...s.output, meter: null, silence: null } };
}

describe('the replies of a media worker', () => {
  // Full pushes every 50 ms: a provisional session's pushed snapshot is compared with the delta-built one.
  const pool = new MediaWorkerPool({ workers: 1, statsIntervalMs: 50 });
  afterAll(() => pool.close());

  it('carry ports and a delta against the previous open, and open() resolves with a whole, valid snapshot', async () => {
    await pool.ready();
    const replies = tapReplies(pool);
    const first = await pool.open(provisional('r-first'));
    const second = await pool.open(provisional('r-second'));
    try {
      const [r1, r2] = replies;
      expect(r1!.ok && 'localRtpPort' in r1!.value && 'full' in r1!.value.stats).toBe(true);
      expect(r2!.ok && 'localRtpPort' in r2!.value && 'delta' in r2!.value.stats).toBe(true);
      for (const r of [r1!, r2!]) expect(r.ok && 'params' in r.value).toBe(false);
      // A handful of fields (link id, ports, SSRC, open time), not the ~3 kB snapshot.
      expect(serialize(r2).length).toBeLessThan(400);

      const s = second.stats();
      expect(isPlainData(s)).toBe(true);
      expect(s).toMatchObject({ linkId: 'r-second', closed: false, send: false, receive: false, localRtpPort: second.localRtpPort, localRtcpPort: second.localRtcpPort });
      expect(s.rtp.local).toEqual({ address: '127.0.0.1', rtpPort: second.localRtpPort, rtcpPort: second.localRtcpPort });
      expect(s.codec).toMatchObject({ id: 'opus', payloadType: 96, channels: 2 });
      expect(s.openedAtMs).toBeLessThanOrEqual(performance.now());
      expect(s.openedAtMs).toBeGreaterThan(first.stats().openedAtMs - 1);
      expect(s.rtp.ssrc).not.toBe(first.stats().rtp.ssrc);
      expect(first.stats().linkId).toBe('r-first');

      // The next full push is the worker's own stats(): the delta-built snapshot equals it.
      const opened = s;
      await until(() => second.stats() !== opened, 3000, 'a full push');
      expect(still(second.stats())).toEqual(still(opened));
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('bring the new codec, directions and buffer into stats() by the time update() resolves', async () => {
    await pool.ready();
    const replies = tapReplies(pool);
    const s = await pool.open(provisional('r-update'));
    try {
      await s.update({ ...s.currentParams(), codecId: pcma.codecId, payloadType: pcma.payloadType, codecParams: { ...pcma.params }, send: true, receive: true, remote: { address: '127.0.0.1', rtpPort: 9, rtcpPort: 10 } });
      const u = replies.at(-1)!;
      expect(u.ok && 'stats' in u.value && u.value.stats !== null && 'delta' in u.value.stats).toBe(true);
      expect(u.ok && 'params' in u.value).toBe(false);
      const st = s.stats();
      expect(st).toMatchObject({ send: true, receive: true, codec: { id: 'PCMA', payloadType: 8, sampleRate: 8000, channels: 1 }, rtp: { remote: { address: '127.0.0.1', rtpPort: 9, rtcpPort: 10 } } });
      expect(st.jitterBuffer).not.toBeNull();
      expect(st.clocks.send).not.toBeNull();
      expect(st.input.meter.channels).toHaveLength(1);
      expect(s.currentParams()).toMatchObject({ codecId: 'PCMA', send: true, receive: true });
      expect(isPlainData(st)).toBe(true);
    } finally {
      await s.close();
    }
    const final = s.stats();
    expect(final.closed).toBe(true);
    expect(final.rtp.closed).toBe(true);
    expect(final.codec.id).toBe('PCMA');
  });

  it('end with a final snapshot that counts what the session did, pushes received meanwhile included', async () => {
    await pool.ready();
    const s = await pool.open(sessionParams(pcma, { linkId: 'r-close', input: 'tone', remote: { address: '127.0.0.1', rtpPort: 9, rtcpPort: 10 } }));
    await until(() => s.stats().encode.frames >= 10, 5000, 'pushed frames');
    const before = s.stats();
    await s.close();
    const final = s.stats();
    expect(final.closed).toBe(true);
    expect(final.encode.frames).toBeGreaterThanOrEqual(before.encode.frames);
    expect(final.rtp.tx.packets).toBeGreaterThanOrEqual(before.rtp.tx.packets);
    expect(final.linkId).toBe('r-close');
    expect(isPlainData(final)).toBe(true);
  });
});

describe('a media session snapshot', () => {
  it('shares no object with the previous one (the worker diffs against what it sent last)', async () => {
    const recovery = { red: { payloadType: 100, depth: 1 as const, distance: 1 }, rtx: { payloadType: 101, rtxTimeMs: 200 }, duplicate: { remote: null } };
    const a = await MediaSession.open(sessionParams(opus, { linkId: 'id-a', input: 'tone', recovery }), { clock: systemClock });
    const b = await MediaSession.open(sessionParams(opus, { linkId: 'id-b', input: 'tone', recovery, remote: { address: '127.0.0.1', rtpPort: a.localRtpPort, rtcpPort: a.localRtcpPort } }), { clock: systemClock });
    await a.update({ ...a.currentParams(), remote: { address: '127.0.0.1', rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort } });
    try {
      await until(() => b.stats().rtp.rx.packets > 5 && b.stats().jitterBuffer!.framesPlayed > 5, 5000, 'media flowing');
      const objects = (v: unknown, out: Set<object>): Set<object> => {
        if (v !== null && typeof v === 'object') {
          out.add(v);
          for (const x of Object.values(v)) objects(x, out);
        }
        return out;
      };
      for (const s of [a, b]) {
        const one = objects(s.stats(), new Set());
        const two = objects(s.stats(), new Set());
        expect([...one].filter((o) => two.has(o))).toEqual([]);
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
