/**
 * Warm-up of a fresh media worker, before it reports ready: one short loopback call per codec through
 * the path a link takes (open with the profile's provisional parameters, update to the negotiated
 * codec with both directions on, frames both ways, stats and meters, close).
 *
 * Why: V8 compiles a function when it first runs, and runs new code slowly until it has been
 * optimised. Without this, the first sessions a worker hosts pay for that in the same thread that
 * paces the links it already carries: the first open + update + close of a G.711 call took about
 * 30 ms of CPU, the next ones 2–4 ms; on a loaded 2-core machine the first opens beside live links
 * took 20–200 ms each (1–10 ms after a warm-up), and every one of them holds back the frame clocks of
 * the links on that thread. Here the cost (about 0.3 s of CPU) is paid once, when nothing is live on
 * the thread.
 *
 * The calls run on a FakeClock advanced by hand (a few hundred frames in a few tens of milliseconds of
 * CPU, without waiting for real time), over real UDP sockets on 127.0.0.1 with ephemeral ports, so the
 * socket paths warm up too. Input 'tone', output 'null': nothing is read from or written to devices or
 * files. Bounded: a fixed number of frames per case, and any failure ends the warm-up early (it is an
 * optimisation; the worker serves sessions either way).
 */
import type { CodecParams } from '../../codecs/codec.js';
import { FakeClock } from '../../util/clock.js';
import { MediaSession } from '../media-session.js';
import type { MediaSessionParams } from '../session-types.js';

export interface WarmCase {
  codecId: string;
  payloadType: number;
  codecParams: CodecParams;
}

/**
 * What a link opens before the offer/answer (the default profile's first codec, both directions off)
 * and then one case per codec record and packet-time family links use.
 */
export const PROVISIONAL_CASE: WarmCase = {
  codecId: 'opus',
  payloadType: 96,
  codecParams: { sampleRate: 48000, channels: 2, ptimeMs: 20, bitrate: 128000, complexity: 9, application: 'audio' },
};

export const WARM_CASES: readonly WarmCase[] = [
  { codecId: 'PCMA', payloadType: 8, codecParams: { sampleRate: 8000, channels: 1, ptimeMs: 20 } },
  { codecId: 'PCMU', payloadType: 0, codecParams: { sampleRate: 8000, channels: 1, ptimeMs: 20 } },
  { codecId: 'G722', payloadType: 9, codecParams: { sampleRate: 16000, channels: 1, ptimeMs: 20 } },
  { codecId: 'L16', payloadType: 97, codecParams: { sampleRate: 48000, channels: 2, ptimeMs: 5 } },
  { codecId: 'L24', payloadType: 98, codecParams: { sampleRate: 48000, channels: 2, ptimeMs: 5 } },
  PROVISIONAL_CASE,
];

/**
 * Which cases a worker runs before it reports ready. 'without-opus' leaves out the one case that costs
 * memory for good: Opus runs in WebAssembly, whose memory (about 16 MB) and compiled code a worker keeps
 * once it has used Opus (measured: a worker's resident memory grows about 4 MB with the other cases,
 * 31 MB with Opus too, and Opus is half the warm-up's CPU). A pool whose workers start with the service,
 * idle until the first call, warms the cheap cases at once and lets the first Opus link on each
 * worker pay for its codec.
 */
export type WarmUpSet = 'all' | 'without-opus' | 'none';

export const WARM_UP_SETS: Readonly<Record<WarmUpSet, readonly WarmCase[]>> = {
  all: WARM_CASES,
  'without-opus': WARM_CASES.filter((c) => c.codecId !== 'opus'),
  none: [],
};

/** Media run per case, ms of the fake clock (twenty 20 ms frames, eighty 5 ms ones). */
export const WARM_MEDIA_MS = 400;
/** Clock step: one 5 ms receive tick, so sends, receives and playout interleave as in real time. */
const STEP_MS = 5;
/** Stats and meters are read every this many steps (the worker pushes them at 10 Hz). */
const STATS_EVERY = 20;

export interface WarmUpResult {
  cases: number;
  /** Wall time of the whole warm-up, ms. */
  elapsedMs: number;
  /** Why it stopped early, null if every case ran. */
  error: string | null;
}

/** Lets the event loop read the datagrams sent so far (setImmediate runs after the poll phase). */
function yieldToSockets(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function params(c: WarmCase, linkId: string, over: Partial<MediaSessionParams>): MediaSessionParams {
  return {
    linkId,
    codecId: c.codecId,
    payloadType: c.payloadType,
    codecParams: { ...c.codecParams },
    localHost: '127.0.0.1',
    ports: { rtp: 0, rtcp: 0 },
    remote: null,
    send: false,
    receive: false,
    jitterBuffer: { mode: 'adaptive', minMs: 20, maxMs: 200 },
    input: 'tone',
    output: 'null',
    cname: `${linkId}@127.0.0.1`,
    ...over,
  };
}

/** One loopback call of `c`, both sessions opened as a link opens them. */
async function warmCase(c: WarmCase, clock: FakeClock): Promise<void> {
  const opened: MediaSession[] = [];
  try {
    for (const id of ['warm-up-a', 'warm-up-b']) opened.push(await MediaSession.open(params(PROVISIONAL_CASE, id, {}), { clock }));
    const [a, b] = opened as [MediaSession, MediaSession];
    const towards = (s: MediaSession) => ({ address: '127.0.0.1', rtpPort: s.localRtpPort, rtcpPort: s.localRtcpPort });
    await a.update({ ...a.currentParams(), ...params(c, 'warm-up-a', { remote: towards(b), send: true, receive: true }), ports: a.currentParams().ports });
    await b.update({ ...b.currentParams(), ...params(c, 'warm-up-b', { remote: towards(a), send: true, receive: true }), ports: b.currentParams().ports });
    const steps = WARM_MEDIA_MS / STEP_MS;
    for (let i = 1; i <= steps; i++) {
      clock.advance(STEP_MS);
      await yieldToSockets();
      if (i % STATS_EVERY === 0) {
        a.stats();
        b.meters();
      }
    }
  } finally {
    await Promise.all(opened.map((s) => s.close('warm-up')));
    for (const s of opened) s.stats();
  }
}

/** Runs every case once, in order; never throws. */
export async function warmUpMediaPath(cases: readonly WarmCase[] = WARM_CASES): Promise<WarmUpResult> {
  const t0 = performance.now();
  let done = 0;
  try {
    const clock = new FakeClock(0, Date.now());
    for (const c of cases) {
      await warmCase(c, clock);
      done++;
    }
    return { cases: done, elapsedMs: performance.now() - t0, error: null };
  } catch (e) {
    return { cases: done, elapsedMs: performance.now() - t0, error: e instanceof Error ? e.message : String(e) };
  }
}
