/**
 * Pure, fake-clock scoring of the jitter buffer on a seeded trace (test/bench/jitter/traces.ts).
 *
 * The trace's arrivals are pushed in arrival order; a frame clock ticks every ptime of *our* clock
 * (the trace's times are the receiver's clock). The output is modelled as a FIFO of samples that
 * consumes exactly one frame per tick: the buffer is asked for another frame whenever the FIFO holds
 * less than a frame, and a frame's stretch hint changes how many samples it adds. A frame is "handed
 * to the output clock" when its first sample plays: tick time + what the FIFO held before it.
 *
 * Scores (test/fixtures/jitter/README.md, "Running and scoring" 1–4):
 * - added delay = handed time − send time − the trace's minimum one-way delay, over played frames:
 *   mean, p50, p95, p99, max, mean over the last 10 s; for `step`, recovery time after the step;
 * - concealed % of output frames, split into lost in the network, late (arrived, not played) and
 *   stalls (underrun frames inserted while waiting, and silent frames once playout has begun, e.g.
 *   while the buffer re-anchors: jitter-induced as well); concealment events;
 * - JICO = (late + stall) / output frames;
 * - delay slope (ms per minute, least squares over frames after the first 60 s, 10 s for traces under 3 min), underruns, overflows.
 * The frame clock's phase is drawn from the seed (stream `tick-phase`).
 */
import { seqDiff } from '../../../server/rtp/seq.js';
import { JitterBuffer, type JitterBufferOptions, type JitterBufferStats, type PlayoutFrame } from '../../../server/media/jitter-buffer.js';
import { arrivalsInOrder, componentStream, generateTrace, PROFILE_NAMES, type ProfileName, type Trace } from './traces.js';

export type JbSettings = Omit<JitterBufferOptions, 'ptimeMs' | 'rtpClockRate' | 'samplesPerFrame'>;

export const DEFAULT_ADAPTIVE: JbSettings = { mode: 'adaptive', minDelayMs: 0, maxDelayMs: 300 };

export interface JitterScores {
  profile: string;
  seed: number;
  outputFrames: number;
  played: number;
  addedMean: number;
  addedP50: number;
  addedP95: number;
  addedP99: number;
  addedMax: number;
  addedLast10sMean: number;
  concealedPct: number;
  lostNetPct: number;
  latePct: number;
  stallPct: number;
  jicoPct: number;
  concealmentEvents: number;
  underruns: number;
  overflows: number;
  /** NaN for traces with a delay step. */
  slopeMsPerMin: number;
  /** `step` only: ms from the first post-step arrival until a frame plays within 10 ms of the pre-step mean delay. */
  stepRecoveryMs: number | null;
  /** From the first played frame until the added delay stays within SETTLE_TOLERANCE_MS of the settled level (the highest added delay of the last 10 s). */
  settleMs: number | null;
  settledMs: number;
  driftPpm: number;
  finalTargetMs: number;
  jb: JitterBufferStats;
}

export interface SimulateOptions {
  trace: Trace;
  jb?: JbSettings;
  /** Time of the first tick (ms); default drawn from the seed (stream `tick-phase`), within a packet time. */
  tickPhaseMs?: number;
  /**
   * Arrivals to push instead of the trace's own, in arrival order (e.g. the stamps a real-time receiver
   * put on the replayed trace, see replay.ts); scoring still measures against the trace.
   */
  arrivals?: readonly { seq: number; rtpTs: number; arrivalMs: number }[];
  /**
   * When each tick's pull actually ran (ms, tick k at index k; past the end: at its due time; NaN: the
   * tick was skipped, nothing pulled or played), e.g. as a real-time receiver's did (replay.ts): the
   * pull gets the arrivals stamped by then, and a frame it takes is handed out no earlier than then.
   * With `arrivals` set to that receiver's stamps this replays its run on the fake clock.
   */
  tickRunAtMs?: readonly number[];
  /** Optional per-frame log for plotting. */
  onFrame?: (e: { t: number; tick: number; backlogMs: number; adjust: number; kind: 'play' | 'conceal' | 'idle'; index?: number; added?: number; reason?: string; target: number }) => void;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i] as number;
    my += ys[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    sxy += dx * ((ys[i] as number) - my);
    sxx += dx * dx;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

/** One frame handed to the output, in output order: what the scorer needs from any receiver run. */
export interface OutputEvent {
  /** Time (trace clock, ms) the frame's first sample plays. */
  t: number;
  /** `idle`: the buffer gave nothing to play (not started, sender silence); counted as a stall once playout has begun (these traces have no sender silence). */
  kind: 'play' | 'conceal' | 'idle';
  /** Played: the packet's RTP sequence number. Concealed: the skipped sequence number when the buffer knows it (lost/late), else undefined (stall). */
  seq?: number;
}

/**
 * Scores a receiver's output against its trace (the scores listed in this file's header). Shared by
 * the fake-clock simulation below and the real-time replay (test/bench/jitter/replay.ts).
 */
interface TraceIndex {
  sendByIndex: Float64Array;
  arrivedByIndex: Uint8Array;
  minOwd: number;
  /** Packet index of a 16-bit sequence number, taking the index nearest to `near`. */
  indexOf(seq: number, near: number): number;
}

function indexTrace(trace: Trace): TraceIndex {
  const sendByIndex = new Float64Array(trace.packets);
  const arrivedByIndex = new Uint8Array(trace.packets);
  let minOwd = Infinity;
  for (const r of trace.rows) {
    sendByIndex[r.index] = r.sendMs;
    if (r.arrivalMs !== null) {
      arrivedByIndex[r.index] = 1;
      minOwd = Math.min(minOwd, r.arrivalMs - r.sendMs);
    }
  }
  const startSeq = trace.rows[0]?.seq ?? 0;
  return { sendByIndex, arrivedByIndex, minOwd, indexOf: (seq, near) => near + seqDiff(seq, (startSeq + near) & 0xffff) };
}

export function scoreOutputs(trace: Trace, events: readonly OutputEvent[], st: JitterBufferStats): JitterScores {
  const { sendByIndex, arrivedByIndex, minOwd, indexOf } = indexTrace(trace);

  const handed: number[] = [];
  const added: number[] = [];
  const sendOfPlayed: number[] = [];
  let lastIndex = 0;
  /** Output frames in order: 'p' played, 'n' lost in the network, 'l' late, 's' stall. */
  const outKinds: string[] = [];
  let begun = false;
  for (const e of events) {
    if (e.kind === 'idle') {
      if (begun) outKinds.push('s');
      continue;
    }
    begun = true;
    if (e.kind === 'play' && e.seq !== undefined) {
      outKinds.push('p');
      const idx = indexOf(e.seq, lastIndex);
      lastIndex = idx;
      handed.push(e.t);
      added.push(e.t - (sendByIndex[idx] as number) - minOwd);
      sendOfPlayed.push(sendByIndex[idx] as number);
    } else if (e.seq !== undefined) {
      const idx = indexOf(e.seq, lastIndex);
      outKinds.push(arrivedByIndex[idx] ? 'l' : 'n');
    } else {
      outKinds.push('s');
    }
  }

  // Score up to the last played frame: the stall after the trace's end is not the buffer's doing.
  const lastPlay = outKinds.lastIndexOf('p');
  let outputFrames = 0;
  let lostNet = 0;
  let late = 0;
  let stall = 0;
  let events_ = 0;
  let underruns = 0;
  for (let i = 0; i <= lastPlay; i++) {
    const k = outKinds[i];
    const prev = i > 0 ? outKinds[i - 1] : 'p';
    outputFrames++;
    if (k === 'p') continue;
    if (prev === 'p') events_++;
    if (k === 'n') lostNet++;
    else if (k === 'l') late++;
    else {
      stall++;
      if (prev !== 's') underruns++;
    }
  }
  const sorted = [...added].sort((x, y) => x - y);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);
  const lastT = handed[handed.length - 1] ?? 0;
  const last10 = added.filter((_, i) => (handed[i] as number) >= lastT - 10_000);
  const slopeFrom = trace.seconds >= 180 ? 60_000 : 10_000;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < added.length; i++) {
    if ((handed[i] as number) >= slopeFrom) {
      xs.push((handed[i] as number) / 60_000);
      ys.push(added[i] as number);
    }
  }
  let stepRecoveryMs: number | null = null;
  const step = trace.profile.step;
  if (step) {
    const before = added.filter((_, i) => (sendOfPlayed[i] as number) >= step.fromMs - 10_000 && (sendOfPlayed[i] as number) < step.fromMs);
    const limit = mean(before) + 10;
    const firstAfter = trace.rows.find((r) => r.sendMs >= step.toMs && r.arrivalMs !== null);
    if (firstAfter) {
      const t0 = firstAfter.arrivalMs as number;
      // First played frame after the step's end back within 10 ms of the earlier delay.
      const i = added.findIndex((x, k) => (handed[k] as number) >= t0 && x <= limit);
      stepRecoveryMs = i < 0 ? Infinity : (handed[i] as number) - t0;
    }
  }
  // Start-up: from the first played frame until the added delay stays within SETTLE_TOLERANCE_MS of
  // its level over the last 10 s (the settled level) for good.
  let settleMs: number | null = null;
  let settledMs = NaN;
  if (added.length > 0) {
    settledMs = Math.max(...last10);
    let j = added.length - 1;
    while (j >= 0 && (added[j] as number) <= settledMs + SETTLE_TOLERANCE_MS) j--;
    settleMs = j < 0 ? 0 : (handed[Math.min(added.length - 1, j + 1)] as number) - (handed[0] as number);
  }
  const pct = (n: number) => (outputFrames ? (100 * n) / outputFrames : 0);
  return {
    profile: trace.profile.name,
    seed: trace.seed,
    outputFrames,
    played: added.length,
    addedMean: mean(added),
    addedP50: quantile(sorted, 0.5),
    addedP95: quantile(sorted, 0.95),
    addedP99: quantile(sorted, 0.99),
    addedMax: sorted[sorted.length - 1] ?? NaN,
    addedLast10sMean: mean(last10),
    concealedPct: pct(lostNet + late + stall),
    lostNetPct: pct(lostNet),
    latePct: pct(late),
    stallPct: pct(stall),
    jicoPct: pct(late + stall),
    concealmentEvents: events_,
    underruns,
    overflows: st.overflows,
    // A slope across a deliberate step says nothing about drift.
    slopeMsPerMin: trace.profile.step ? NaN : slope(xs, ys),
    stepRecoveryMs,
    settleMs,
    settledMs,
    driftPpm: st.driftPpm,
    finalTargetMs: st.targetDelayMs,
    jb: st,
  };
}

/** Added delay within this of the settled level counts as settled (start-up score). */
export const SETTLE_TOLERANCE_MS = 3;

export function simulateTrace(opts: SimulateOptions): JitterScores {
  const { trace } = opts;
  const settings = opts.jb ?? DEFAULT_ADAPTIVE;
  const spf = trace.samplesPerFrame;
  const msPerUnit = 1000 / trace.clockRate;
  // The output clock: one tick every `period` ms consumes that much audio (default: one frame per
  // packet time; pullPeriodMs models the finer output clock the media session now uses: min(ptime, 5 ms)).
  const period = Math.min(settings.pullPeriodMs ?? trace.ptimeMs, trace.ptimeMs);
  const perTick = Math.round(period / msPerUnit);
  const jb = new JitterBuffer({ ...settings, pullPeriodMs: period, ptimeMs: trace.ptimeMs, rtpClockRate: trace.clockRate, samplesPerFrame: spf });
  const arrivals = opts.arrivals ?? arrivalsInOrder(trace).map((r) => ({ seq: r.seq, rtpTs: r.rtpTs, arrivalMs: r.arrivalMs as number }));
  let lastArrival = 0;
  for (const r of arrivals) lastArrival = Math.max(lastArrival, r.arrivalMs);
  const events: OutputEvent[] = [];
  const ix = opts.onFrame ? indexTrace(trace) : undefined;
  let lastIndex = 0;
  let fifo = 0;
  let a = 0;
  // The frame clock's phase against the sender's packets changes the delay by up to a frame (frames
  // start on ticks): draw it from the seed so that medians over seeds average over phases.
  const phase = opts.tickPhaseMs ?? componentStream('tick-phase', trace.seed)() * trace.ptimeMs;
  const endMs = lastArrival + (settings.maxDelayMs ?? 0) + 4 * trace.ptimeMs;
  for (let k = 0; ; k++) {
    const now = phase + k * period;
    if (now > endMs) break;
    const ran = opts.tickRunAtMs?.[k];
    // A tick the receiver's frame clock skipped (a stall beyond its catch-up) pulled and played nothing.
    if (ran !== undefined && Number.isNaN(ran)) continue;
    const ranAt = ran ?? now;
    while (a < arrivals.length && arrivals[a]!.arrivalMs <= ranAt) {
      const r = arrivals[a++]!;
      jb.push({ seq: r.seq, timestamp: r.rtpTs, payload: Buffer.alloc(0), arrivalMs: r.arrivalMs });
    }
    // Bounded: at most a few frames per tick (a frame is ≥ spf·(1 − maxShrinkFraction)).
    for (let guard = 0; fifo < perTick && guard < 8; guard++) {
      // The frame starts playing once the FIFO's current content has played: that is its hand-out time.
      const t = Math.max(now, ranAt) + fifo * msPerUnit;
      const f = jb.pop(now, fifo * msPerUnit);
      fifo += spf + f.adjustSamples;
      const ev = outputEvent(f, t);
      events.push(ev);
      if (ix && opts.onFrame) {
        let more: { index: number; added: number } | { reason: string };
        if (f.kind === 'packet') {
          lastIndex = ix.indexOf(f.seq, lastIndex);
          more = { index: lastIndex, added: t - (ix.sendByIndex[lastIndex] as number) - ix.minOwd };
        } else more = { reason: f.reason };
        opts.onFrame({ t, tick: now, backlogMs: t - now, adjust: f.adjustSamples, kind: ev.kind, target: jb.targetDelayMs, ...more });
      }
    }
    fifo -= perTick;
  }
  return scoreOutputs(trace, events, jb.stats());
}

/** The scorer's view of one frame from the buffer. */
export function outputEvent(f: PlayoutFrame, t: number): OutputEvent {
  if (f.kind === 'packet') return { t, kind: 'play', seq: f.seq };
  if (f.reason === 'lost' || f.reason === 'underrun') return f.seq === undefined ? { t, kind: 'conceal' } : { t, kind: 'conceal', seq: f.seq };
  return { t, kind: 'idle' };
}

export function simulateProfile(profile: ProfileName, seed: number, jb?: JbSettings, seconds?: number): JitterScores {
  const trace = generateTrace(seconds === undefined ? { profile, seed } : { profile, seed, seconds });
  return jb ? simulateTrace({ trace, jb }) : simulateTrace({ trace });
}

export { PROFILE_NAMES };
