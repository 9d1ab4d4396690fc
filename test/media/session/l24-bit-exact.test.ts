/**
 * L24 in → L24 out is bit-exact: a 24-bit WAV sent by one session is recorded by the other with every
 * sample identical, over several seconds.
 *
 * The receive buffer is fixed, with stretching off (drift/delay correction splices samples by design).
 * The sessions run on virtual time (virtual-time.ts: a FakeClock advanced 5 ms at a time,
 * every packet read before the next step), so what a busy machine does to real time cannot reach the
 * comparison: on real time, under load average 17 on 2 cores, stalls longer than the frame clocks'
 * catch-up limit made both clocks skip hundreds of ticks and left under a second of the 5 s to
 * compare. The comparison still runs over each stretch the receiver played from consecutive packets
 * on its own (the session reports every tick); on virtual time that is everything after start-up, and
 * the test says so. Both ptimes run at the same time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav, StreamingWavWriter } from '../../../server/media/wav.js';
import { cleanWindows, type CodecCase, type PairRun } from './session-harness.js';
import { runOneWayVirtual } from './virtual-time.js';

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

const RUN_MS = 5000;
/** Fixed receive delay, far above a packet time. */
const FIXED_DELAY_MS = 100;
const PTIMES = [5, 1];

const runs = new Map<number, { src: Float32Array; run: PairRun }>();

beforeAll(async () => {
  const results = await Promise.all(
    PTIMES.map(async (ptimeMs) => {
      const src = writeNoiseWav(join(dir, `in-${ptimeMs}.wav`));
      const c: CodecCase = { name: 'L24', codecId: 'L24', payloadType: 98, params: { sampleRate: RATE, channels: 2, ptimeMs } };
      const run = await runOneWayVirtual(c, `file:${join(dir, `in-${ptimeMs}.wav`)}`, join(dir, `rx-${ptimeMs}.wav`), RUN_MS, {
        jitterBuffer: { mode: 'fixed', delayMs: FIXED_DELAY_MS, stretch: false },
      });
      return { src, run };
    }),
  );
  PTIMES.forEach((p, i) => runs.set(p, results[i]!));
});

describe('L24 through two media sessions', () => {
  for (const ptimeMs of PTIMES) {
    it(`is bit-exact at ${ptimeMs} ms packets`, () => {
      const { src, run } = runs.get(ptimeMs)!;
      const rec = run.recording;
      expect(rec.bitDepth).toBe(24);
      const jb = run.statsB.jitterBuffer!;
      const why = `jb ${JSON.stringify({ ...jb, mode: undefined })} clocks ${JSON.stringify(run.statsB.clocks)} / ${JSON.stringify(run.statsA.clocks)}`;
      // Compare only what was recorded while the sender was still sending (the stats snapshot): after
      // that the receiver conceals the stream's end. Within it, every stretch the receiver played from
      // consecutive packets (no silence, gap, drop or concealment on its ticks), each at its own
      // alignment with the looped source, every sample.
      const recorded = run.statsB.output.sink.framesWritten;
      const frameFrames = (RATE * ptimeMs) / 1000;
      const windows = cleanWindows(run.blemishes, 0, recorded, RATE, frameFrames, 0, 0).filter((w) => w.to - w.from >= 2 * frameFrames);
      expect(windows.length, why).toBeGreaterThan(0);
      let compared = 0;
      let bad = 0;
      let firstBad = '';
      for (const w of windows) {
        const off = findOffset(src, rec.samples, w.from * 2);
        expect(off, `no source alignment for ${w.from}–${w.to}; ${why}`).toBeGreaterThanOrEqual(0);
        for (let i = w.from * 2; i < w.to * 2; i++) {
          if (rec.samples[i] !== src[(off + i - w.from * 2) % src.length]) {
            if (bad === 0) firstBad = `sample ${i} (${(i / 2 / RATE).toFixed(3)} s)`;
            bad++;
          }
        }
        compared += w.to - w.from;
      }
      const blemishes = run.blemishes.filter((b) => b.why !== 'not-started').map((b) => `${((b.at * 1000) / RATE).toFixed(0)}ms:${b.why}`);
      // On virtual time nothing but the buffer's start is blemished.
      expect(blemishes, why).toEqual([]);
      // A long run: at least 3.5 s of the 5 s sent (less start-up and buffer delay).
      expect(compared / RATE, `compared ${compared} frames in ${windows.length} stretches; blemishes ${blemishes.slice(0, 10).join(' ')}; ${why}`).toBeGreaterThan(3.5);
      expect(bad, `${bad} samples differ, first ${firstBad}; ${why}`).toBe(0);
      expect(jb.samplesInserted + jb.samplesDropped, why).toBe(0);
    });
  }
});
