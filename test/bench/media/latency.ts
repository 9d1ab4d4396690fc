/**
 * End-to-end latency, input to output, through two media sessions on UDP loopback: session A plays a WAV file holding one short tone burst per second (sharp onset) as
 * its input; session B records what it receives. Both sessions start their frame clocks when they
 * open, on the same monotonic clock, so a burst at input sample i (A's clock origin tA0) that shows
 * up at output sample j (B's origin tB0) took (tB0 + j/fs) − (tA0 + i/fs).
 *
 * What that includes: A's frame (one packet time of buffering before encoding), the codec's own
 * look-ahead (Opus: 2.5 ms + the frame; L24: none), UDP loopback, B's jitter buffer (its current
 * delay is printed beside), and B's playout frame. A file input hands over a whole frame at its tick;
 * a live capture would have had to wait for the frame's last sample, so `liveMedianMs` adds one send
 * packet time. Not included: sound-card buffers (there are none
 * here: file in, file out).
 *
 * The onset of each burst is the first sample above half the burst's amplitude (a few samples after
 * the true start; the same rule on input and output cancels that). Reported: median and spread over
 * the bursts after `settleS` seconds, when the adaptive buffer has settled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodecParams } from '../../../server/codecs/codec.js';
import { MediaSession, type MediaJitterBufferParams, type MediaSessionParams } from '../../../server/media/media-session.js';
import { readWav, StreamingWavWriter } from '../../../server/media/wav.js';
import { systemClock } from '../../../server/util/clock.js';

export interface LatencyConfig {
  name: string;
  codecId: string;
  payloadType: number;
  params: CodecParams;
  jitterBuffer: MediaJitterBufferParams;
}

export const LATENCY_CONFIGS: LatencyConfig[] = [
  {
    name: 'opus 20 ms (audio)',
    codecId: 'opus',
    payloadType: 96,
    params: { sampleRate: 48000, channels: 2, ptimeMs: 20, bitrate: 128000, complexity: 10, application: 'audio' },
    jitterBuffer: { mode: 'adaptive', minMs: 5, maxMs: 160 },
  },
  {
    name: 'opus 5 ms (restricted-lowdelay)',
    codecId: 'opus',
    payloadType: 96,
    params: { sampleRate: 48000, channels: 2, ptimeMs: 5, bitrate: 128000, complexity: 10, application: 'restricted-lowdelay' },
    jitterBuffer: { mode: 'adaptive', minMs: 2, maxMs: 160 },
  },
  {
    name: 'L24 5 ms',
    codecId: 'L24',
    payloadType: 98,
    params: { sampleRate: 48000, channels: 2, ptimeMs: 5 },
    jitterBuffer: { mode: 'adaptive', minMs: 2, maxMs: 160 },
  },
  {
    name: 'L24 1 ms',
    codecId: 'L24',
    payloadType: 98,
    params: { sampleRate: 48000, channels: 2, ptimeMs: 1 },
    jitterBuffer: { mode: 'adaptive', minMs: 1, maxMs: 160 },
  },
];

export interface LatencyOptions {
  configs?: LatencyConfig[];
  /** Seconds of audio per configuration (default 8) and seconds left out at the start (default 3). */
  runS?: number;
  settleS?: number;
  log?: (line: string) => void;
}

export interface LatencyResult {
  name: string;
  bursts: number;
  /** With the file input as measured (a whole frame is read at its tick). */
  medianMs: number;
  /** What a live capture input would see: + one send packet time (a frame can only be encoded once captured). */
  liveMedianMs: number;
  minMs: number;
  maxMs: number;
  /** B's jitter-buffer delay and target at the end, ms. */
  bufferDelayMs: number;
  bufferTargetMs: number;
  concealedFrames: number;
}

const RATE = 48000;
const BURST_PERIOD_S = 1;
const BURST_MS = 10;
const BURST_AMP = 0.5;

function writeBurstWav(path: string): number {
  const frames = RATE * BURST_PERIOD_S;
  const x = new Float32Array(frames * 2);
  const n = (RATE * BURST_MS) / 1000;
  for (let i = 0; i < n; i++) {
    const v = BURST_AMP * Math.sin((2 * Math.PI * 1000 * i) / RATE);
    x[2 * i] = v;
    x[2 * i + 1] = v;
  }
  const w = new StreamingWavWriter(path, { sampleRate: RATE, channels: 2, bitDepth: 24 });
  w.write(x);
  w.close();
  // Input onset by the same rule as the output's: first sample above half the amplitude.
  for (let i = 0; i < n; i++) if (Math.abs(x[2 * i] as number) > BURST_AMP / 2) return i;
  return 0;
}

/** Onsets (sample indices) of bursts in channel 0: first sample above the threshold after ≥ 0.5 s quiet. */
function onsets(x: Float32Array, channels: number, threshold: number): number[] {
  const out: number[] = [];
  let lastLoud = -Infinity;
  for (let i = 0; i < x.length / channels; i++) {
    if (Math.abs(x[i * channels] as number) > threshold) {
      if (i - lastLoud > RATE / 2) out.push(i);
      lastLoud = i;
    }
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function measure(c: LatencyConfig, dir: string, runS: number, settleS: number): Promise<LatencyResult> {
  const input = join(dir, 'burst.wav');
  const inOnset = writeBurstWav(input);
  const out = join(dir, `rx-${c.codecId}-${c.params.ptimeMs}.wav`);
  const base = (linkId: string): MediaSessionParams => ({
    linkId,
    codecId: c.codecId,
    payloadType: c.payloadType,
    codecParams: { ...c.params },
    localHost: '127.0.0.1',
    ports: { rtp: 0, rtcp: 0 },
    remote: null,
    send: true,
    receive: true,
    jitterBuffer: c.jitterBuffer,
    input: 'silence',
    output: 'null',
    cname: `${linkId}@latency`,
    noMediaTimeoutMs: 0,
  });
  const b = await MediaSession.open({ ...base('rx'), send: false, output: `file:${out}` }, { clock: systemClock });
  const a = await MediaSession.open(
    { ...base('tx'), receive: false, input: `file:${input}`, remote: { address: '127.0.0.1', rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort } },
    { clock: systemClock },
  );
  const tA0 = a.stats().openedAtMs;
  const tB0 = b.stats().openedAtMs;
  await sleep(runS * 1000);
  const sb = b.stats();
  await a.close();
  await b.close();
  const rec = readWav(out);
  const lat: number[] = [];
  for (const j of onsets(rec.samples, rec.channels, BURST_AMP / 2)) {
    const tOut = tB0 + (j * 1000) / RATE;
    // The input burst this one came from: the latest input onset before it.
    const k = Math.floor(((tOut - tA0) / 1000 - inOnset / RATE) / BURST_PERIOD_S);
    if (k < 0) continue;
    const tIn = tA0 + ((k * BURST_PERIOD_S * RATE + inOnset) * 1000) / RATE;
    if (tIn - tA0 < settleS * 1000) continue;
    lat.push(tOut - tIn);
  }
  lat.sort((x, y) => x - y);
  const jb = sb.jitterBuffer;
  return {
    name: c.name,
    bursts: lat.length,
    medianMs: lat.length ? (lat[Math.floor(lat.length / 2)] as number) : NaN,
    liveMedianMs: (lat.length ? (lat[Math.floor(lat.length / 2)] as number) : NaN) + c.params.ptimeMs,
    minMs: lat[0] ?? NaN,
    maxMs: lat[lat.length - 1] ?? NaN,
    bufferDelayMs: jb?.currentDelayMs ?? NaN,
    bufferTargetMs: jb?.targetDelayMs ?? NaN,
    concealedFrames: jb?.concealedFrames ?? 0,
  };
}

export async function runLatencyBench(opts: LatencyOptions = {}): Promise<LatencyResult[]> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const dir = mkdtempSync(join(tmpdir(), 'acip-latency-'));
  const results: LatencyResult[] = [];
  try {
    log('end-to-end latency, input → output through two media sessions on loopback');
    for (const c of opts.configs ?? LATENCY_CONFIGS) {
      const r = await measure(c, dir, opts.runS ?? 8, opts.settleS ?? 3);
      results.push(r);
      log(
        `  ${r.name}: median ${r.medianMs.toFixed(1)} ms file-in, ${r.liveMedianMs.toFixed(1)} ms with a live input (min ${r.minMs.toFixed(1)}, max ${r.maxMs.toFixed(1)}, ${r.bursts} bursts); ` +
          `receive buffer ${r.bufferDelayMs.toFixed(1)} ms (target ${r.bufferTargetMs.toFixed(1)}), ${r.concealedFrames} frames concealed`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runLatencyBench();
}
