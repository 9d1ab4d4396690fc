/**
 * Two media sessions talking over UDP loopback with each codec: the receiving side's recording holds
 * the sent 1 kHz line-up tone at its level (±0.5 dB RMS) and frequency (±5 Hz). All codec pairs run
 * at the same time (real time is the expensive part), each on its own sockets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmsDbfs } from '../../helpers/audio-measure.js';
import { CODEC_CASES, channelSlice, medianFrequency, onset, runOneWay, type PairRun } from './session-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'acip-ms-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RUN_MS = 2500;
/** EBU line-up: -18 dBFS peak sine = -21.03 dBFS RMS. */
const TONE_PEAK_DBFS = -18;
const EXPECTED_RMS_DBFS = TONE_PEAK_DBFS - 10 * Math.log10(2);

const runs = new Map<string, PairRun>();

beforeAll(async () => {
  const results = await Promise.all(
    CODEC_CASES.map((c, i) => runOneWay(c, `tone:1000:${TONE_PEAK_DBFS}`, join(dir, `rx-${i}.wav`), RUN_MS)),
  );
  CODEC_CASES.forEach((c, i) => runs.set(c.name, results[i]!));
});

describe('two media sessions over UDP loopback', () => {
  for (const c of CODEC_CASES) {
    it(`carry the 1 kHz line-up tone at its level and frequency with ${c.name}`, () => {
      const run = runs.get(c.name)!;
      const rec = run.recording;
      expect(rec.sampleRate).toBe(c.params.sampleRate);
      expect(rec.channels).toBe(c.params.channels);
      // Packets went out and came in, through the jitter buffer.
      expect(run.statsA.rtp.tx.packets).toBeGreaterThan(0);
      expect(run.statsB.rtp.rx.packets).toBeGreaterThan(0);
      expect(run.statsB.jitterBuffer!.framesPlayed).toBeGreaterThan(0);
      const start = onset(rec.samples, rec.channels);
      expect(start).toBeGreaterThanOrEqual(0);
      // Skip 200 ms of start-up (codec and buffer settling) and the last 50 ms (close).
      const from = start + Math.round(0.2 * rec.sampleRate);
      const to = rec.frames - Math.round(0.05 * rec.sampleRate);
      expect(to - from).toBeGreaterThan(rec.sampleRate); // at least a second measured
      const jb = run.statsB.jitterBuffer!;
      const why = `${c.name}: jb ${JSON.stringify({ ...jb, mode: undefined })} playout ${JSON.stringify(run.statsB.playout)}`;
      for (let ch = 0; ch < rec.channels; ch++) {
        const x = channelSlice(rec.samples, rec.channels, ch, from, to);
        expect(Math.abs(rmsDbfs(x) - EXPECTED_RMS_DBFS), why).toBeLessThanOrEqual(0.5);
        expect(Math.abs(medianFrequency(x, rec.sampleRate) - 1000), why).toBeLessThanOrEqual(5);
      }
      // The sender's input meter read the tone it sent.
      const meter = run.statsA.input.meter.channels[0]!;
      expect(meter.peakDbfs).toBeCloseTo(TONE_PEAK_DBFS, 0);
      // And the receiver's output meter the tone it played.
      expect(Math.abs(run.statsB.output.meter.channels[0]!.rmsDbfs - EXPECTED_RMS_DBFS)).toBeLessThan(1);
    });
  }
});
