/**
 * acip's receiver for the real-time replay (replay.ts), run as a child process of its own so that its
 * event loop is not the sender's: a loopback UDP socket → RFC 3550 parser → JitterBuffer, and a
 * FrameClock on the system's monotonic clock pulling through the PlayoutAdapter (stretching applied
 * by the DriftCorrector), as a media session's receive path does (codec-path.ts, receive-queue.ts):
 * the output ticks every min(ptime, 5 ms) and each tick's pull runs after the socket reads of its
 * event-loop turn (`setImmediate`), with `pop` at the tick's due time and arrival stamps from the same clock.
 *
 * Protocol over the IPC channel (process.send):
 *   parent → { type: 'go', t0Abs, profile, seed, seconds, jb, endMs, tickMs?, tickAfterIo?, pullNotBeforeDue?,
 *            chargeLatePulls? }   (t0Abs: the trace's time 0 as performance.timeOrigin + performance.now(),
 *            comparable across processes)
 *   child  → { type: 'ready', port }  once the socket is bound (sent first, unasked)
 *   child  → { type: 'done', result }  after endMs on the trace clock
 *
 * Timing reported with the result: the arrival-stamp error (stamp − the trace's arrival time), split
 * with the send time each packet carries into the sender's error (actual − scheduled send: the replay
 * itself) and the receiver's own (stamp − actual send: the loopback hop and this process's event loop,
 * which counts against acip); when each pull ran against its tick's due time, and how many packets
 * came after an early pull but before its tick was due. The stamps themselves are returned too, so
 * that the parent can replay them on the fake clock and split the real-time cost into stamping and
 * ticking. A frame pulled late is handed out at the pull's time (`chargeLatePulls`).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { parseRtp } from '../../../server/rtp/rtp-packet.js';
import { JitterBuffer } from '../../../server/media/jitter-buffer.js';
import { PlayoutAdapter } from '../../../server/media/playout-adapter.js';
import { FrameClock } from '../../../server/media/frame-clock.js';
import type { Clock } from '../../../server/util/clock.js';
import { outputEvent, scoreOutputs, type JbSettings, type JitterScores, type OutputEvent } from './simulate.js';
import { arrivalsInOrder, componentStream, generateTrace, type ProfileName } from './traces.js';
import { SENT_AT_OFFSET } from './gst-compare.js';

export interface ReplayGo {
  type: 'go';
  t0Abs: number;
  profile: ProfileName;
  seed: number;
  seconds: number;
  jb: JbSettings;
  /** Stop and score at this time on the trace clock (ms). */
  endMs: number;
  /**
   * Run each tick's pull from setImmediate, i.e. after the event loop's poll phase has read the
   * datagrams waiting in the socket (Node runs timers before I/O: after a stall, the catch-up ticks
   * would otherwise pull before the packets that arrived during the stall are read). What the media
   * session does (receive-queue.ts); default true.
   */
  tickAfterIo?: boolean;
  /** Output tick period (ms); default min(ptime, 5) as the media session's receive clock. */
  tickMs?: number;
  /**
   * A pull that runs before its tick is due (the frame clock delivers ticks up to 1 ms early) waits,
   * yielding to socket reads, until it is due (default false: the media session does not).
   */
  pullNotBeforeDue?: boolean;
  /**
   * A frame pulled after its tick's due time is handed out at the pull's time, not the due time
   * (default true: the delay counted is when the audio existed, as GStreamer's send-back is).
   */
  chargeLatePulls?: boolean;
}

/**
 * One datagram as the receiver stamped it: its sequence number, its arrival stamp and the actual send
 * time it carried (ms, trace clock; NaN if it carried none).
 */
export type ArrivalStamp = [seq: number, stampMs: number, sentMs: number];

export interface TimingSummary {
  n: number;
  p01: number;
  p50: number;
  p99: number;
  max: number;
}

export interface ReplayReceiverResult {
  scores: JitterScores;
  /** Arrival stamp − the trace's arrival time, over first arrivals (ms): sendErr + receiveErr. */
  arrivalErr: TimingSummary;
  /** The sender's part: actual send time (carried in the payload) − the trace's arrival time (ms). */
  sendErr: TimingSummary;
  /** The receiver's own part: arrival stamp − actual send time (loopback and this process's event loop, ms). */
  receiveErr: TimingSummary;
  /** When each pull ran − its tick's due time (ms; negative: early). */
  pullOffset: TimingSummary;
  /** Pulls that ran before their tick was due. */
  earlyPulls: number;
  /** Packets stamped after a pull but before that pull's tick was due (in time on the fake clock, not here). */
  afterEarlyPull: number;
  skippedTicks: number;
  malformed: number;
  tickPhaseMs: number;
  tickMs: number;
  /** Every datagram's arrival stamp (sequence number, ms on the trace clock), in arrival order. */
  stamps: ArrivalStamp[];
  /** When the pull of tick k ran (ms, trace clock; NaN for a skipped tick), at index k. */
  pullRanAt: number[];
}

export function summarize(xs: number[]): TimingSummary {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  return { n: s.length, p01: at(0.01), p50: at(0.5), p99: at(0.99), max: s[s.length - 1] ?? NaN };
}

async function main(): Promise<void> {
  const send = (m: unknown) => process.send?.(m);
  const sock = dgram.createSocket('udp4');
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  const go = await new Promise<ReplayGo>((resolve) => {
    process.on('message', (m: { type?: string }) => {
      if (m && m.type === 'go') resolve(m as ReplayGo);
    });
    send({ type: 'ready', port: sock.address().port });
  });

  const trace = generateTrace({ profile: go.profile, seed: go.seed, seconds: go.seconds });
  const scheduled = new Map<number, number>();
  for (const r of arrivalsInOrder(trace)) if (!scheduled.has(r.seq)) scheduled.set(r.seq, r.arrivalMs as number);

  const now = () => performance.timeOrigin + performance.now() - go.t0Abs;
  const clock: Clock = {
    now,
    wallNow: () => Date.now(),
    setTimer(ms, fn) {
      const t = setTimeout(fn, Math.max(0, ms));
      return { cancel: () => clearTimeout(t) };
    },
  };

  const spf = trace.samplesPerFrame;
  const tickMs = go.tickMs ?? Math.min(trace.ptimeMs, 5);
  const tickSamples = Math.round((tickMs * trace.clockRate) / 1000);
  const jb = new JitterBuffer({ ...go.jb, pullPeriodMs: tickMs, ptimeMs: trace.ptimeMs, rtpClockRate: trace.clockRate, samplesPerFrame: spf });
  const events: OutputEvent[] = [];
  /** How late the current pull runs after its tick's due time (0 when early or `chargeLatePulls` is off). */
  let pullLate = 0;
  const adapter = new PlayoutAdapter({
    buffer: jb,
    channels: 1,
    sampleRate: trace.clockRate,
    frameSamples: tickSamples,
    codecFrameSamples: spf,
    decode: () => new Float32Array(spf),
    conceal: () => new Float32Array(spf),
    // Handed to the output when its first sample plays: the tick's due time plus what the FIFO holds
    // ahead of it, or later if the pull ran late (audio cannot be handed out before it is made).
    onFrame: (f, t) => {
      events.push(outputEvent(f, t + pullLate));
    },
  });

  const arrivalErr: number[] = [];
  const sendErr: number[] = [];
  const receiveErr: number[] = [];
  const stamps: ArrivalStamp[] = [];
  const seen = new Set<number>();
  let malformed = 0;
  // The last pull: when it ran and the tick it was for. A packet stamped between the two arrived in
  // time for that tick on the fake clock but after its (early) pull in real time.
  let lastPullAt = -Infinity;
  let lastPullDue = -Infinity;
  let afterEarlyPull = 0;
  sock.on('message', (msg) => {
    const t = now();
    let pkt;
    try {
      pkt = parseRtp(msg);
    } catch {
      malformed++;
      return;
    }
    jb.push({ seq: pkt.sequenceNumber, timestamp: pkt.timestamp, payload: pkt.payload, arrivalMs: t, marker: pkt.marker });
    const sent = pkt.payload.length >= SENT_AT_OFFSET + 8 ? pkt.payload.readDoubleBE(SENT_AT_OFFSET) - go.t0Abs : NaN;
    stamps.push([pkt.sequenceNumber, t, sent]);
    if (t > lastPullAt && t <= lastPullDue) afterEarlyPull++;
    const due = scheduled.get(pkt.sequenceNumber);
    if (due !== undefined && !seen.has(pkt.sequenceNumber)) {
      seen.add(pkt.sequenceNumber);
      arrivalErr.push(t - due);
      if (Number.isFinite(sent)) {
        sendErr.push(sent - due);
        receiveErr.push(t - sent);
      }
    }
  });

  // Same tick phase as the fake-clock simulation of this trace (drawn from the seed).
  const phase = componentStream('tick-phase', go.seed)() * trace.ptimeMs;
  const pullOffset: number[] = [];
  const pullRanAt: number[] = [];
  let startedAt = NaN;
  const afterIo = go.tickAfterIo !== false;
  const notBeforeDue = go.pullNotBeforeDue === true;
  const chargeLate = go.chargeLatePulls !== false;
  const fc = new FrameClock({
    frameMs: tickMs,
    clock,
    onTick: (k, dueMs) => {
      const pull = () => {
        const at = now();
        // Woken early (the frame clock delivers a tick up to 1 ms before it is due): wait for the due
        // time, yielding to the socket reads, so that packets stamped before it are in the buffer.
        if (notBeforeDue && at < dueMs) {
          setImmediate(pull);
          return;
        }
        pullOffset.push(at - dueMs);
        pullRanAt[k] = at;
        lastPullAt = at;
        lastPullDue = dueMs;
        pullLate = chargeLate ? Math.max(0, at - dueMs) : 0;
        adapter.tick(dueMs);
      };
      if (afterIo) setImmediate(pull);
      else pull();
    },
  });
  await new Promise<void>((resolve) => {
    const wait = () => {
      const left = phase - now();
      if (left <= 0) {
        startedAt = now();
        fc.start();
        resolve();
      } else setTimeout(wait, Math.max(0, Math.min(left, 50)));
    };
    wait();
  });
  await new Promise<void>((resolve) => {
    const check = () => (now() >= go.endMs ? resolve() : setTimeout(check, 100));
    check();
  });
  fc.stop();
  sock.close();
  const result: ReplayReceiverResult = {
    scores: scoreOutputs(trace, events, jb.stats()),
    arrivalErr: summarize(arrivalErr),
    sendErr: summarize(sendErr),
    receiveErr: summarize(receiveErr),
    pullOffset: summarize(pullOffset),
    earlyPulls: pullOffset.filter((x) => x < 0).length,
    afterEarlyPull,
    skippedTicks: fc.stats().skippedTicks,
    malformed,
    tickPhaseMs: startedAt,
    tickMs,
    stamps,
    pullRanAt: Array.from(pullRanAt, (x) => x ?? NaN),
  };
  // Disconnect only once the result is written: a large one (1 ms packets: tens of thousands of
  // stamps) was cut off by disconnecting at once, and the parent saw the child exit without it.
  process.send?.({ type: 'done', result }, undefined, {}, () => process.disconnect?.());
}

if (process.send) await main();
