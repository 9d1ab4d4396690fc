/**
 * L24 in → L24 out is bit-exact: a 24-bit WAV sent by one session is recorded by the other with every
 * sample identical (after the leading silence the jitter buffer adds before playout starts).
 * The receive buffer runs with stretching off: drift/delay correction splices samples by design.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readWav, StreamingWavWriter } from '../../../server/media/wav.js';
import { runOneWay, type CodecCase } from './session-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'acip-l24-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RATE = 48000;

/** 0.75 s of stereo 24-bit noise (seeded LCG), different on each channel: every sample is distinctive. */
function writeNoiseWav(path: string): Float32Array {
  const frames = Math.round(0.75 * RATE);
  const x = new Float32Array(frames * 2);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    // Integer in ±2^21 (about -6 dBFS peak), exact as int24 / 2^23.
    x[i] = ((s >>> 10) - (1 << 21)) / 8388608;
  }
  const w = new StreamingWavWriter(path, { sampleRate: RATE, channels: 2, bitDepth: 24 });
  w.write(x);
  w.close();
  return x;
}

function findOffset(src: Float32Array, rec: Float32Array, recStart: number): number {
  // The source position whose next 32 samples equal the recording's from recStart.
  const n = 32;
  for (let off = 0; off + n <= src.length; off += 2) {
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = src[off + i] === rec[recStart + i];
    if (ok) return off;
  }
  return -1;
}

describe('L24 through two media sessions', () => {
  for (const ptimeMs of [5, 1]) {
    it(`is bit-exact at ${ptimeMs} ms packets`, async () => {
      const src = writeNoiseWav(join(dir, `in-${ptimeMs}.wav`));
      const c: CodecCase = { name: 'L24', codecId: 'L24', payloadType: 98, params: { sampleRate: RATE, channels: 2, ptimeMs } };
      const run = await runOneWay(c, `file:${join(dir, `in-${ptimeMs}.wav`)}`, join(dir, `rx-${ptimeMs}.wav`), 2000, {
        jitterBuffer: { mode: 'fixed', delayMs: 30, stretch: false },
      });
      const rec = run.recording;
      expect(rec.bitDepth).toBe(24);
      // First recorded sample that is not the leading silence.
      let first = -1;
      for (let i = 0; i < rec.samples.length; i++) {
        if (rec.samples[i] !== 0) {
          first = i - (i % 2);
          break;
        }
      }
      expect(first).toBeGreaterThanOrEqual(0);
      const off = findOffset(src, rec.samples, first);
      expect(off).toBeGreaterThanOrEqual(0);
      // Compare block by block (one packet time each), wrapping around the looped source.
      const block = ((RATE * ptimeMs) / 1000) * 2;
      const end = rec.samples.length - (rec.samples.length - first) % block;
      let blocks = 0;
      let bad = 0;
      for (let b = first; b + block <= end; b += block) {
        blocks++;
        for (let i = 0; i < block; i++) {
          if (rec.samples[b + i] !== src[(off + b - first + i) % src.length]) {
            bad++;
            break;
          }
        }
      }
      expect(blocks * ptimeMs).toBeGreaterThan(1000);
      const jb = run.statsB.jitterBuffer!;
      // Only frames the buffer had to conceal may differ (none on a quiet machine).
      expect(bad).toBeLessThanOrEqual(jb.concealedFrames);
      expect(jb.samplesInserted + jb.samplesDropped).toBe(0);
      expect(bad / blocks).toBeLessThan(0.01);
    });
  }
});
