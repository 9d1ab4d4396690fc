/**
 * Opus and L24 streams through the seeded impairment relay (delay, jitter, bursty Gilbert–Elliott
 * loss, reordering, duplication, 100 ppm clock skew): the receiver counts about the loss that was
 * injected, conceals it, removes the duplicates, and the recording still holds the tone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaSession, type MediaSessionStats } from '../../../server/media/media-session.js';
import { readWav, type WavData } from '../../../server/media/wav.js';
import { systemClock } from '../../../server/util/clock.js';
import { rmsDbfs } from '../../helpers/audio-measure.js';
import { ImpairRelay, type DirectionCounters, type Impairment } from '../../helpers/impair-relay.js';
import { CODEC_CASES, channelSlice, medianFrequency, onset, sessionParams, sleep, type CodecCase } from '../../media/session/session-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'acip-impair-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RUN_MS = 4000;
const MODERATE: Impairment = {
  delayMs: 20,
  jitterMs: 15,
  // Mean burst 1/r = 2.5 packets; stationary bad-state share p/(p+r) ≈ 2.4 %.
  loss: { p: 0.01, r: 0.4 },
  reorderProb: 0.02,
  reorderDelayMs: 12,
  duplicateProb: 0.01,
  skewPpm: 100,
};

interface Result {
  rx: MediaSessionStats;
  relay: DirectionCounters;
  rec: WavData;
}

async function runImpaired(c: CodecCase, seed: number, path: string): Promise<Result> {
  const b = await MediaSession.open(sessionParams(c, { linkId: 'rx', send: false, output: `file:${path}`, jitterBuffer: { mode: 'adaptive', minMs: 20, maxMs: 160 } }), {
    clock: systemClock,
  });
  const rtpRelay = await ImpairRelay.open({ b: { address: '127.0.0.1', port: b.localRtpPort }, aToB: MODERATE, seed });
  const rtcpRelay = await ImpairRelay.open({ b: { address: '127.0.0.1', port: b.localRtcpPort }, seed: seed + 1 });
  await b.update({ ...b.currentParams(), remote: { address: '127.0.0.1', rtpPort: rtpRelay.sideBPort, rtcpPort: rtcpRelay.sideBPort } });
  const a = await MediaSession.open(
    sessionParams(c, { linkId: 'tx', receive: false, input: 'tone:1000:-18', remote: { address: '127.0.0.1', rtpPort: rtpRelay.sideAPort, rtcpPort: rtcpRelay.sideAPort } }),
    { clock: systemClock },
  );
  try {
    await sleep(RUN_MS);
  } finally {
    await a.close();
    // Let the relay's delayed packets drain into B before it stops.
    await sleep(200);
  }
  const rx = b.stats();
  await b.close();
  const relay = rtpRelay.counters().aToB;
  await rtpRelay.close();
  await rtcpRelay.close();
  return { rx, relay, rec: readWav(path) };
}

const cases = [CODEC_CASES[0]!, CODEC_CASES[3]!]; // opus 20 ms, L24 5 ms
const results = new Map<string, Result>();

beforeAll(async () => {
  const r = await Promise.all(cases.map((c, i) => runImpaired(c, 1000 + i, join(dir, `rx-${i}.wav`))));
  cases.forEach((c, i) => results.set(c.name, r[i]!));
});

describe('media sessions under network impairment', () => {
  for (const c of cases) {
    it(`keep the ${c.name} stream going through bursty loss, jitter, reordering and duplication`, () => {
      const { rx, relay, rec } = results.get(c.name)!;
      const jb = rx.jitterBuffer!;
      const why = `${c.name}: relay ${JSON.stringify(relay)} jb ${JSON.stringify(jb)}`;
      // The relay really did impair the stream.
      expect(relay.lost, why).toBeGreaterThan(3);
      expect(relay.longestBurst, why).toBeGreaterThan(1);
      expect(relay.duplicated, why).toBeGreaterThan(0);
      // Loss counted ≈ loss injected: the RTP statistics (RFC 3550 A.3, expected − received, with
      // duplicates counted as received) and the buffer's never-arrived count.
      expect(Math.abs(rx.rtp.rx.lost + rx.rtp.rx.duplicates - relay.lost), why).toBeLessThanOrEqual(Math.max(2, 0.1 * relay.lost));
      expect(Math.abs(jb.lost - relay.lost), why).toBeLessThanOrEqual(Math.max(3, 0.15 * relay.lost));
      expect(rx.rtp.rx.duplicates, why).toBe(relay.duplicated);
      expect(jb.duplicate, why).toBe(relay.duplicated);
      // Every lost frame was concealed, and the stream kept playing.
      expect(jb.concealedFrames, why).toBeGreaterThanOrEqual(jb.lost);
      expect(jb.framesPlayed, why).toBeGreaterThan(0.8 * (relay.forwarded - relay.duplicated));
      // The tone is still there at about its level and exactly its frequency.
      const start = onset(rec.samples, rec.channels);
      const from = start + Math.round(0.3 * rec.sampleRate);
      const to = rec.frames - Math.round(0.1 * rec.sampleRate);
      const x = channelSlice(rec.samples, rec.channels, 0, from, to);
      expect(Math.abs(rmsDbfs(x) - -21.03), why).toBeLessThan(1.5);
      expect(Math.abs(medianFrequency(x, rec.sampleRate) - 1000), why).toBeLessThanOrEqual(5);
    });
  }
});
