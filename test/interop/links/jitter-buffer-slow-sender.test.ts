/**
 * Regression for what the baresip L16 interop found (codecs.test.ts): baresip 1.0 sends 4 ms L16
 * packets about 2.5 % slower than real time. The adaptive jitter buffer used to stall beyond its
 * maximum delay, drop every arriving packet as overflow and conceal for ever (seen: 72 % concealed,
 * silence after ~2 s). Simulated time, no sleeping.
 */
import { describe, expect, it } from 'vitest';
import { JitterBuffer } from '../../../server/media/jitter-buffer.js';

function run(slowFraction: number, seconds: number) {
  const jb = new JitterBuffer({ mode: 'adaptive', minDelayMs: 10, maxDelayMs: 80, ptimeMs: 4, rtpClockRate: 48000, samplesPerFrame: 192 });
  const sendEvery = 4 * (1 + slowFraction);
  let seq = 1000;
  let ts = 5000;
  let nextSend = 0;
  let nextPop = 20;
  let played = 0;
  let pops = 0;
  let lastPlayedAt = 0;
  const payload = Buffer.alloc(768);
  for (let step = 0; step < seconds * 10_000; step++) {
    const t = step / 10; // 0.1 ms steps
    if (t >= nextSend) {
      // Deterministic sub-millisecond jitter.
      jb.push({ seq: seq & 0xffff, timestamp: ts >>> 0, payload, arrivalMs: t + ((seq * 37) % 7) * 0.04 });
      seq++;
      ts += 192;
      nextSend += sendEvery;
    }
    if (t >= nextPop) {
      const f = jb.pop(nextPop);
      pops++;
      if (f.kind === 'packet') {
        played++;
        lastPlayedAt = t;
      }
      nextPop += 4;
    }
  }
  return { played, pops, lastPlayedAt, stats: jb.stats() };
}

describe('the adaptive jitter buffer with a sender 2.5 % slower than real time (baresip L16 4 ms)', () => {
  it('keeps playing the stream (over 90 % of frames) instead of stalling into silence', () => {
    const r = run(0.025, 10);
    // The sender delivers 97.5 % of real time; nearly all of it must be played, up to the end.
    expect(r.played / r.pops).toBeGreaterThan(0.9);
    expect(r.lastPlayedAt).toBeGreaterThan(9900);
    expect(r.stats.currentDelayMs).toBeLessThanOrEqual(80 + 4 + 4);
  });

  it('still plays every frame of a sender on time', () => {
    const r = run(0, 10);
    expect(r.stats.concealedFrames).toBe(0);
    expect(r.stats.resyncs).toBe(0);
    expect(r.played).toBeGreaterThan(r.pops - 10);
  });
});
