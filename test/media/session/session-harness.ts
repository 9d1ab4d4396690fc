/**
 * Helpers for media-session tests: parameters for a codec, a pair of sessions talking over UDP
 * loopback, and measurements of what the receiving side recorded.
 */
import { estimateFrequency } from '../../helpers/audio-measure.js';
import { codecRegistry } from '../../../server/codecs/registry.js';
import type { CodecParams } from '../../../server/codecs/codec.js';
import { MediaSession, type MediaSessionDeps, type MediaSessionParams, type MediaSessionStats, type PlayoutTickInfo } from '../../../server/media/media-session.js';
import { readWav, type WavData } from '../../../server/media/wav.js';
import { systemClock } from '../../../server/util/clock.js';

export interface CodecCase {
  name: string;
  codecId: string;
  payloadType: number;
  params: CodecParams;
}

/** One configuration per codec and packet-time family the loopback tests cover (Opus at 20 and 5 ms, L16, L24 at 5 and 1 ms, G.722, G.711). */
export const CODEC_CASES: CodecCase[] = [
  { name: 'opus stereo 20 ms', codecId: 'opus', payloadType: 96, params: { sampleRate: 48000, channels: 2, ptimeMs: 20, bitrate: 128000, complexity: 5, application: 'audio' } },
  { name: 'opus stereo 5 ms restricted-lowdelay', codecId: 'opus', payloadType: 96, params: { sampleRate: 48000, channels: 2, ptimeMs: 5, bitrate: 128000, complexity: 5, application: 'restricted-lowdelay' } },
  { name: 'L16 stereo 4 ms', codecId: 'L16', payloadType: 97, params: { sampleRate: 48000, channels: 2, ptimeMs: 4 } },
  { name: 'L24 stereo 5 ms', codecId: 'L24', payloadType: 98, params: { sampleRate: 48000, channels: 2, ptimeMs: 5 } },
  { name: 'L24 stereo 1 ms', codecId: 'L24', payloadType: 98, params: { sampleRate: 48000, channels: 2, ptimeMs: 1 } },
  { name: 'G.722', codecId: 'G722', payloadType: 9, params: { sampleRate: 16000, channels: 1, ptimeMs: 20 } },
  { name: 'PCMA', codecId: 'PCMA', payloadType: 8, params: { sampleRate: 8000, channels: 1, ptimeMs: 20 } },
  { name: 'PCMU', codecId: 'PCMU', payloadType: 0, params: { sampleRate: 8000, channels: 1, ptimeMs: 20 } },
];

export function sessionParams(c: Pick<CodecCase, 'codecId' | 'payloadType' | 'params'>, over: Partial<MediaSessionParams> = {}): MediaSessionParams {
  codecRegistry.get(c.codecId).validate(c.params);
  return {
    linkId: 'test',
    codecId: c.codecId,
    payloadType: c.payloadType,
    codecParams: { ...c.params },
    localHost: '127.0.0.1',
    ports: { rtp: 0, rtcp: 0 },
    remote: null,
    send: true,
    receive: true,
    jitterBuffer: { mode: 'adaptive', minMs: 10, maxMs: 120 },
    input: 'silence',
    output: 'null',
    cname: 'test@127.0.0.1',
    rtcp: { minIntervalS: 0.5 },
    ...over,
  };
}

/** Opens A and B and points each at the other. */
export async function openPair(a: MediaSessionParams, b: MediaSessionParams, depsB: Partial<MediaSessionDeps> = {}): Promise<{ a: MediaSession; b: MediaSession }> {
  const sa = await MediaSession.open(a, { clock: systemClock });
  const sb = await MediaSession.open({ ...b, remote: { address: '127.0.0.1', rtpPort: sa.localRtpPort, rtcpPort: sa.localRtcpPort } }, { clock: systemClock, ...depsB });
  await sa.update({ ...a, remote: { address: '127.0.0.1', rtpPort: sb.localRtpPort, rtcpPort: sb.localRtcpPort } });
  return { a: sa, b: sb };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface PairRun {
  statsA: MediaSessionStats;
  statsB: MediaSessionStats;
  recording: WavData;
  /** Receive ticks of B whose audio is not clean playout of packets (see `blemishOf`), in recording frames. */
  blemishes: Blemish[];
}

/** A stretch of B's output that is not plain decoded audio: concealment, silence, a splice, dropped frames. */
export interface Blemish {
  /** Output (= recording) sample frame where the tick's audio starts, and the tick's length. */
  at: number;
  frames: number;
  why: string;
}

/** What makes a receive tick's audio other than clean playout of consecutive packets ('' if clean). */
export function blemishOf(t: PlayoutTickInfo): string {
  const why: string[] = t.pulled.filter((k) => k !== 'packet');
  if (t.spliced) why.push('splice');
  if (t.droppedFrames > 0) why.push(`dropped ${t.droppedFrames}`);
  return why.join(',');
}

/**
 * The windows [from, to) of the recording within [lo, hi) that no blemish touches, in order. A blemish
 * on a tick can affect audio from the tick's start to a codec frame past its end (the frames pulled on
 * it play from the adapter's backlog on), and a decoder needs a few frames to recover from a gap, so
 * each is widened by `beforeMs` and `frameFrames` + `afterMs`.
 */
export function cleanWindows(
  blemishes: Blemish[],
  lo: number,
  hi: number,
  sampleRate: number,
  frameFrames: number,
  beforeMs = 5,
  afterMs = 50,
): Array<{ from: number; to: number }> {
  const before = Math.round((beforeMs * sampleRate) / 1000);
  const after = frameFrames + Math.round((afterMs * sampleRate) / 1000);
  const cuts = blemishes.map((b) => ({ from: b.at - before, to: b.at + b.frames + after })).sort((x, y) => x.from - y.from);
  const out: Array<{ from: number; to: number }> = [];
  let cur = lo;
  for (const c of cuts) {
    const end = Math.min(c.from, hi);
    if (end > cur) out.push({ from: cur, to: end });
    cur = Math.max(cur, c.to);
    if (cur >= hi) break;
  }
  if (hi > cur) out.push({ from: cur, to: hi });
  return out;
}

/** The longest of `cleanWindows` (an empty window at `lo` if there is none). */
export function longestCleanWindow(...args: Parameters<typeof cleanWindows>): { from: number; to: number } {
  let best = { from: args[1], to: args[1] };
  for (const w of cleanWindows(...args)) if (w.to - w.from > best.to - best.from) best = w;
  return best;
}

/** A sends `input` for `ms` of real time; B records to `recordPath`. Both are closed before the file is read. */
export async function runOneWay(c: CodecCase, input: string, recordPath: string, ms: number, over: Partial<MediaSessionParams> = {}): Promise<PairRun> {
  const blemishes: Blemish[] = [];
  const { a, b } = await openPair(
    sessionParams(c, { linkId: 'tx', input, output: 'null', receive: false, ...over }),
    sessionParams(c, { linkId: 'rx', input: 'silence', output: `file:${recordPath}`, send: false, ...over }),
    {
      onPlayout: (t) => {
        const why = blemishOf(t);
        if (why) blemishes.push({ at: t.outputFrame, frames: t.frames, why });
      },
    },
  );
  try {
    await sleep(ms);
  } finally {
    var statsA = a.stats();
    var statsB = b.stats();
    await a.close();
    await b.close();
  }
  return { statsA, statsB, recording: readWav(recordPath), blemishes };
}

/** Index of the first sample frame whose |value| on any channel exceeds `threshold`, or -1. */
export function onset(x: Float32Array, channels: number, threshold = 0.01): number {
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i] as number) > threshold) return Math.floor(i / channels);
  return -1;
}

/** Index one past the last sample frame whose |value| on any channel exceeds `threshold` (0 if none). */
export function offset(x: Float32Array, channels: number, threshold = 0.01): number {
  for (let i = x.length - 1; i >= 0; i--) if (Math.abs(x[i] as number) > threshold) return Math.floor(i / channels) + 1;
  return 0;
}

/**
 * Median of zero-crossing frequency estimates over consecutive `blockMs` blocks: robust to the few
 * splices with which the jitter buffer stretches or shrinks audio (a splice inside one block spoils
 * that block only, where a single estimate over the whole span would count the removed periods).
 */
export function medianFrequency(x: Float64Array, sampleRate: number, blockMs = 50): number {
  const n = Math.round((blockMs * sampleRate) / 1000);
  const est: number[] = [];
  for (let off = 0; off + n <= x.length; off += n) est.push(estimateFrequency(x.subarray(off, off + n), sampleRate));
  est.sort((a, b) => a - b);
  return est.length === 0 ? 0 : (est[Math.floor(est.length / 2)] as number);
}

/** Channel `c` of interleaved audio between frames [from, to). */
export function channelSlice(x: Float32Array, channels: number, c: number, from: number, to: number): Float64Array {
  const n = Math.max(0, to - from);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = x[(from + i) * channels + c] as number;
  return out;
}
