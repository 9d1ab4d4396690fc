/**
 * Two media sessions talking over UDP loopback with each codec: the receiving side's recording holds
 * the sent 1 kHz line-up tone at its level (±0.5 dB RMS) and frequency (±5 Hz). All codec pairs run
 * at the same time, each on its own sockets.
 *
 * The sessions run on virtual time (virtual-time.ts): each pair's FakeClock is advanced 5 ms at a
 * time and every packet sent is read before the next step. This test is about the codec paths, and
 * on real time a busy machine decided what it measured: at load average 15 on 2 cores the process's
 * receive clocks woke 4 to 15 times in a 3 s run, skipped 380 to 580 of about 600 receive ticks, and
 * the buffers dropped or concealed most of what was left. What real time does to the
 * receive path has its own tests (stall.test.ts, test/media/jitter, test/interop/media/impairment).
 *
 * Level and frequency are measured over the longest stretch of the recording, at least a second,
 * that the receiver played cleanly from consecutive packets: no concealment, no silence, no
 * stretch/shrink splice, no frames dropped (the session reports every receive tick to the test). On
 * virtual time that is all of it after the buffer has filled, and the test says so. The output meter
 * is checked against the recording over the meter's own last window.
 *
 * The receive buffer is fixed at 60 ms without stretching: decoded audio is played unmodified.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmsDbfs } from '../../helpers/audio-measure.js';
import { CODEC_CASES, channelSlice, longestCleanWindow, medianFrequency, onset, type PairRun } from './session-harness.js';
import { runOneWayVirtual } from './virtual-time.js';

const dir = mkdtempSync(join(tmpdir(), 'acip-ms-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RUN_MS = 3000;
/** EBU line-up: -18 dBFS peak sine = -21.03 dBFS RMS. */
const TONE_PEAK_DBFS = -18;
const EXPECTED_RMS_DBFS = TONE_PEAK_DBFS - 10 * Math.log10(2);

const runs = new Map<string, PairRun>();

beforeAll(async () => {
  const results = await Promise.all(
    CODEC_CASES.map((c, i) => runOneWayVirtual(c, `tone:1000:${TONE_PEAK_DBFS}`, join(dir, `rx-${i}.wav`), RUN_MS, { jitterBuffer: { mode: 'fixed', delayMs: 60, stretch: false } })),
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
      // Skip 200 ms of start-up (codec and buffer settling) and the last 50 ms (close); within that,
      // the longest clean stretch.
      const frameFrames = Math.round((c.params.ptimeMs * rec.sampleRate) / 1000);
      const { from, to } = longestCleanWindow(run.blemishes, start + Math.round(0.2 * rec.sampleRate), rec.frames - Math.round(0.05 * rec.sampleRate), rec.sampleRate, frameFrames);
      const jb = run.statsB.jitterBuffer!;
      const blemishes = run.blemishes.filter((b) => b.why !== 'not-started').map((b) => `${((b.at * 1000) / rec.sampleRate).toFixed(0)}ms:${b.why}`);
      const why = `${c.name}: clean ${((from * 1000) / rec.sampleRate).toFixed(0)}–${((to * 1000) / rec.sampleRate).toFixed(0)} ms; blemishes ${blemishes.slice(0, 20).join(' ')}${blemishes.length > 20 ? ` (+${blemishes.length - 20})` : ''}; jb ${JSON.stringify({ ...jb, mode: undefined })} playout ${JSON.stringify(run.statsB.playout)} clocks rx ${JSON.stringify(run.statsB.clocks.receive)} tx ${JSON.stringify(run.statsA.clocks.send)} rtp rx ${JSON.stringify({ ...run.statsB.rtp.rx, jitterMs: undefined })}`;
      // On virtual time nothing but the buffer's start is blemished: every packet was played in turn.
      expect(blemishes, why).toEqual([]);
      expect(jb.lost + jb.concealedFrames + jb.framesDropped, why).toBe(0);
      expect(to - from, why).toBeGreaterThan(rec.sampleRate); // at least a second measured
      for (let ch = 0; ch < rec.channels; ch++) {
        const x = channelSlice(rec.samples, rec.channels, ch, from, to);
        expect(Math.abs(rmsDbfs(x) - EXPECTED_RMS_DBFS), why).toBeLessThanOrEqual(0.5);
        expect(Math.abs(medianFrequency(x, rec.sampleRate) - 1000), why).toBeLessThanOrEqual(5);
      }
      // The sender's input meter read the tone it sent.
      const meter = run.statsA.input.meter.channels[0]!;
      expect(meter.peakDbfs).toBeCloseTo(TONE_PEAK_DBFS, 0);
      // And the receiver's output meter what it played: its last complete window, read from the recording.
      const m = run.statsB.output.meter;
      const wFrames = Math.round((m.windowMs * rec.sampleRate) / 1000);
      expect(m.windows).toBeGreaterThan(10);
      const played = channelSlice(rec.samples, rec.channels, 0, (m.windows - 1) * wFrames, m.windows * wFrames);
      expect(Math.abs(m.channels[0]!.rmsDbfs - rmsDbfs(played)), why).toBeLessThan(0.05);
      expect(m.channels[0]!.rmsDbfs, why).toBeGreaterThan(-40); // the tone, not silence
    });
  }
});
