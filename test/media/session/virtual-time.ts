/**
 * Media sessions on virtual time. The sessions take all their time (frame clocks, arrival stamps,
 * RTCP) from one FakeClock that the test advances a step at a time; between steps the event loop
 * runs until every RTP packet sent so far has been read, over real UDP sockets on 127.0.0.1. The audio
 * path is then what it is in real time, but a busy machine can only make the run slower: a packet
 * always arrives in the step it was sent in, and no frame-clock tick is ever late or skipped.
 */
import { FakeClock } from '../../../server/util/clock.js';
import { MediaSession, type MediaSessionDeps, type MediaSessionParams } from '../../../server/media/media-session.js';
import { blemishOf, sessionParams, type Blemish, type CodecCase, type PairRun } from './session-harness.js';
import { readWav } from '../../../server/media/wav.js';

/** Event-loop turns taken with setImmediate before `waitUntil` falls back to 1 ms timers. */
const IMMEDIATE_TURNS = 50;
/** Upper bound on 1 ms waits in one `waitUntil` (several seconds of real time on any machine). */
const TIMER_TURNS = 5000;

function immediate(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

function timer(): Promise<void> {
  return new Promise((r) => setTimeout(r, 1));
}

/**
 * Lets the event loop run (socket reads, deferred receive ticks) until `cond()` holds. Bounded in turns
 * and so in time: throws naming `what` if it never holds.
 */
export async function waitUntil(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < IMMEDIATE_TURNS + TIMER_TURNS; i++) {
    if (cond()) return;
    await (i < IMMEDIATE_TURNS ? immediate() : timer());
  }
  if (!cond()) throw new Error(`gave up waiting for ${what}`);
}

/**
 * RTP packets of the far end that `s` has counted so far. The first packet of a stream is held in
 * RFC 3550 A.1 probation (uncounted) until the second arrives, so `sent` packets show as 0 while
 * `sent` < 2.
 */
export function receivedEnough(s: MediaSession, sent: number): boolean {
  return s.stats().rtp.rx.packets >= (sent < 2 ? 0 : sent);
}

export interface VirtualPair {
  clock: FakeClock;
  a: MediaSession;
  b: MediaSession;
  /** Whether A sends and B receives, and the other way round. */
  toB: boolean;
  toA: boolean;
}

/** Opens A and B on one FakeClock and points each at the other (as `openPair` does on real time). */
export async function openVirtualPair(pa: MediaSessionParams, pb: MediaSessionParams, depsB: Partial<MediaSessionDeps> = {}): Promise<VirtualPair> {
  const clock = new FakeClock(1000);
  const a = await MediaSession.open(pa, { clock });
  try {
    const b = await MediaSession.open({ ...pb, remote: { address: '127.0.0.1', rtpPort: a.localRtpPort, rtcpPort: a.localRtcpPort } }, { ...depsB, clock });
    await a.update({ ...pa, remote: { address: '127.0.0.1', rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort } });
    return { clock, a, b, toB: pa.send && pb.receive, toA: pb.send && pa.receive };
  } catch (e) {
    await a.close();
    throw e;
  }
}

/**
 * Runs the pair for `ms` of virtual time in steps of `stepMs`: after each step, waits until each
 * session that receives has counted every RTP packet the other has sent so far.
 */
export async function runVirtual(p: VirtualPair, ms: number, stepMs: number): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    p.clock.advance(stepMs);
    const toB = p.a.stats().rtp.tx.packets;
    const toA = p.b.stats().rtp.tx.packets;
    await waitUntil(() => (!p.toB || receivedEnough(p.b, toB)) && (!p.toA || receivedEnough(p.a, toA)), `packet ${toB} at B and ${toA} at A`);
  }
  // The receive ticks of the last step run deferred.
  await immediate();
}

/**
 * Virtual time between two waits for the packets: a packet's arrival stamp is late by less than this
 * (its step's end), far less than any receive buffer the tests set; at 1 ms packets, steps of a packet
 * time cost five times the event-loop turns, which a loaded machine turns into minutes.
 */
export const VIRTUAL_STEP_MS = 5;

/**
 * A sends `input` for `ms` of virtual time, B records to `recordPath`, both on one FakeClock advanced
 * by VIRTUAL_STEP_MS. Both are closed before the file is read. The blemishes are collected as in
 * `runOneWay`.
 */
export async function runOneWayVirtual(c: CodecCase, input: string, recordPath: string, ms: number, over: Partial<MediaSessionParams> = {}): Promise<PairRun> {
  const blemishes: Blemish[] = [];
  const pair = await openVirtualPair(
    sessionParams(c, { linkId: 'tx', input, output: 'null', receive: false, ...over }),
    sessionParams(c, { linkId: 'rx', input: 'silence', output: `file:${recordPath}`, send: false, ...over }),
    {
      onPlayout: (t) => {
        const why = blemishOf(t);
        if (why) blemishes.push({ at: t.outputFrame, frames: t.frames, why });
      },
    },
  );
  const { a, b } = pair;
  try {
    await runVirtual(pair, ms, VIRTUAL_STEP_MS);
  } finally {
    var statsA = a.stats();
    var statsB = b.stats();
    await a.close();
    await b.close();
  }
  return { statsA, statsB, recording: readWav(recordPath), blemishes };
}
