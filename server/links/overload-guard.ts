/**
 * Admission control: the service refuses a new link while it is overloaded instead of taking it and
 * letting every carried link degrade (late frames, concealment). Pure: it is fed load samples and
 * asked for a decision; the sampling (event-loop delay, worker utilisation, machine CPU) lives in
 * overload-monitor.ts.
 *
 * Three signals, each with a refuse threshold and a lower accept threshold (hysteresis, so the decision
 * does not flap at the edge):
 * - media load: the event-loop utilisation of the media workers (0..1, the share of the last interval
 *   each worker spent running sessions). The pool spreads sessions over its workers, so the mean is
 *   the headroom left; one worker near saturation also counts (its frame clocks run late first), once
 *   it stays there for WORKER_TRIP_SAMPLES samples in a row: a freshly started service drains the
 *   backlog of its first seconds of a call flood (code compiled on first use, hundreds of set-ups at
 *   once) in one burst that saturates a worker for a sample, and refusing for it turned the rest of a
 *   200 calls/s flood away for the hold time.
 * - main-thread lag: the event-loop delay of the main thread (SIP, API and, without workers, media).
 *   It trips only when LAG_TRIP_SAMPLES samples in a row are late: one stall (a GC pause, a burst of
 *   set-ups) is not overload, and refusing calls for it would raise a false alarm.
 * - machine CPU: the busy share of all the machine's cores. The two signals above see only this
 *   process: on a box whose cores are shared (two services, or anything else running), a media worker
 *   waiting for a core is idle by its own measure while its frame clocks fire late, so the workers read
 *   50–60 % busy with every core saturated and links concealing. Like the lag, it trips only after
 *   MACHINE_TRIP_SAMPLES samples in a row: a burst of another process is not a lack of room. And it
 *   trips only while this service's media workers carry a real share of the work (`machineMinLoad`):
 *   a box filled by something else (a build, a backup, a test run) is no reason for an idle codec to
 *   turn its callers away, while a service carrying links on a full box adds to what every link there
 *   suffers with each one it takes. A full machine is not yet harm, though: a box at 100 % whose frame
 *   clocks still make their deadlines carries its links cleanly (a call flood beside ten carried links
 *   reads 93–99 % busy with nothing concealed), so the machine trips only while some connected link
 *   concealed audio over the last second (`concealingLinks`; unknown counts as harm). It is calm again
 *   when the machine is below its accept level, or when the media load has fallen below that floor.
 *
 *   normal ──(a signal above its refuse threshold)──▶ overloaded
 *   overloaded ──(every signal below its accept threshold for `holdMs`)──▶ normal
 *
 * While overloaded, an INVITE gets 503 with Retry-After (RFC 3261 §21.5.4, §20.33) and a dial through
 * the API a typed error; the 'overload' system alarm stays raised.
 */
import type { Clock } from '../util/clock.js';
import { AcipError } from '../util/errors.js';

export type OverloadState = 'normal' | 'overloaded';

export interface LoadSample {
  /** Main-thread event-loop delay over the last interval (99th percentile), seconds. */
  eventLoopLagS: number;
  /** Event-loop utilisation of each running media worker over the last interval (0..1); empty without workers. */
  workers: readonly { index: number; loadRatio: number }[];
  /**
   * Busy share of the machine's CPU time, all cores, over the last interval (0..1); null when unknown
   * (a platform that gives no CPU times, or counters that went backwards). Absent counts as unknown.
   */
  machineBusyRatio?: number | null;
  /**
   * Connected links whose playout concealed audio over the last second: the harm a saturated machine
   * does. Null or absent when unknown (no probe), which counts as harm.
   */
  concealingLinks?: number | null;
}

export interface OverloadThresholds {
  /** Mean worker load at or above which new links are refused (0..1). */
  refuseLoad: number;
  /** Mean worker load below which they are accepted again. */
  acceptLoad: number;
  /** One worker at or above this load refuses too (it is the first whose links suffer). */
  refuseWorkerLoad: number;
  /** Main-thread lag (s) at or above which new links are refused. */
  refuseLagS: number;
  /** Main-thread lag (s) below which they are accepted again. */
  acceptLagS: number;
  /** Machine CPU busy share (0..1) at or above which new links are refused. */
  refuseMachineBusy: number;
  /** Machine CPU busy share below which they are accepted again. */
  acceptMachineBusy: number;
  /** Mean media load (0..1) from which a busy machine refuses; below it the machine alone never does. */
  machineMinLoad: number;
  /** How long every signal must stay below its accept threshold before links are accepted again, ms. */
  holdMs: number;
  /** Retry-After of a refusal, seconds. */
  retryAfterS: number;
}

/**
 * Defaults for media in worker threads: a worker above 85 % busy has little room for the frame-clock
 * jitter of one more link; the main thread carries only SIP and the API there, whose timers (T1 = 500 ms)
 * tolerate a lag of a few hundred ms: refusing at 250 ms keeps responses inside T1, and a burst of call
 * set-up (or a GC pause) that lags 100 ms is no reason to turn callers away while the audio is fine.
 * The machine refuses at 92 % busy: a frame clock due every 20 ms (or 1 ms with L24) needs a core within
 * a few ms, and past that share the run queues are rarely empty (two services at 160 Opus sessions on a
 * 2-core box saturated both cores and concealed 7 % of the audio while their workers read 50–60 % busy).
 * It accepts again below 80 %, so a box that stays full refuses until links end, not every other second.
 * The machine counts from a media load of 40 %: below what workers read on a box saturated by the links
 * of two services (50–60 %), above what a service with a few links reads on a box busy with other work.
 */
export const WORKER_THRESHOLDS: Readonly<OverloadThresholds> = {
  refuseLoad: 0.85,
  acceptLoad: 0.7,
  refuseWorkerLoad: 0.95,
  refuseLagS: 0.25,
  acceptLagS: 0.1,
  refuseMachineBusy: 0.92,
  acceptMachineBusy: 0.8,
  machineMinLoad: 0.4,
  holdMs: 2000,
  retryAfterS: 5,
};

/**
 * Defaults for media on the main thread: its lag delays every 20 ms frame clock, so the bar is the
 * playout margin, not SIP's timers.
 */
export const MAIN_THREAD_THRESHOLDS: Readonly<OverloadThresholds> = { ...WORKER_THRESHOLDS, refuseLagS: 0.04, acceptLagS: 0.02 };

export type Admission = { ok: true } | { ok: false; reason: string; retryAfterS: number };

export interface OverloadStatus {
  state: OverloadState;
  /** Why it is overloaded (the signal that tripped), null when normal. */
  reason: string | null;
  /** The last sample. */
  eventLoopLagS: number;
  mediaLoadRatio: number | null;
  /** Busy share of the machine's CPU, all cores (0..1); null when unknown. */
  machineBusyRatio: number | null;
  workers: readonly { index: number; loadRatio: number }[];
  /** New links refused since start. */
  refused: number;
}

/** Whether `to` may follow `from`: both edges exist, nothing else. */
const EDGES: Readonly<Record<OverloadState, readonly OverloadState[]>> = { normal: ['overloaded'], overloaded: ['normal'] };

function mean(xs: readonly { loadRatio: number }[]): number | null {
  if (xs.length === 0) return null;
  let s = 0;
  for (const x of xs) s += x.loadRatio;
  return s / xs.length;
}

/** Consecutive samples at or above the lag refuse threshold before the lag alone refuses. */
export const LAG_TRIP_SAMPLES = 2;
/** Consecutive samples at or above the machine refuse threshold before the machine alone refuses. */
export const MACHINE_TRIP_SAMPLES = 2;
/** Consecutive samples with a worker at or above `refuseWorkerLoad` before that alone refuses. */
export const WORKER_TRIP_SAMPLES = 2;

const pct = (r: number) => `${Math.round(r * 100)} %`;
const ms = (s: number) => `${Math.round(s * 1000)} ms`;

export class OverloadGuard {
  private stateValue: OverloadState = 'normal';
  private reasonValue: string | null = null;
  private last: LoadSample = { eventLoopLagS: 0, workers: [] };
  /** Since when every signal has been below its accept threshold while overloaded (clock ms), or null. */
  private calmSince: number | null = null;
  private refusedCount = 0;
  /** Consecutive samples whose lag was at or above the refuse threshold. */
  private lateSamples = 0;
  /** Consecutive samples whose machine busy share was at or above the refuse threshold. */
  private busySamples = 0;
  /** Consecutive samples with some worker at or above `refuseWorkerLoad`. */
  private hotSamples = 0;
  /** Called on every state change (the link manager raises/clears the 'overload' alarm). */
  onChange: ((state: OverloadState, reason: string | null) => void) | undefined;

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    readonly thresholds: Readonly<OverloadThresholds> = WORKER_THRESHOLDS,
  ) {
    const t = thresholds;
    const ordered = t.acceptLoad <= t.refuseLoad && t.acceptLagS <= t.refuseLagS && t.acceptMachineBusy <= t.refuseMachineBusy;
    if (!(ordered && t.machineMinLoad >= 0 && t.machineMinLoad <= 1 && t.holdMs >= 0 && t.retryAfterS >= 1)) {
      throw new AcipError('CONFIG_INVALID', 'overload thresholds: accept must not exceed refuse, machineMinLoad in 0..1, holdMs ≥ 0, retryAfterS ≥ 1', 'overload');
    }
  }

  get state(): OverloadState {
    return this.stateValue;
  }

  /** Feed one sample; may change the state. */
  observe(sample: LoadSample): void {
    this.last = sample;
    const t = this.thresholds;
    const load = mean(sample.workers);
    const hot = sample.workers.find((w) => w.loadRatio >= t.refuseWorkerLoad);
    const machine = sample.machineBusyRatio ?? null;
    const concealing = sample.concealingLinks ?? null;
    this.lateSamples = sample.eventLoopLagS >= t.refuseLagS ? this.lateSamples + 1 : 0;
    this.hotSamples = hot ? this.hotSamples + 1 : 0;
    // An unknown reading breaks the run: the samples in a row must all have been seen busy.
    this.busySamples = machine !== null && machine >= t.refuseMachineBusy ? this.busySamples + 1 : 0;
    const trip =
      load !== null && load >= t.refuseLoad
        ? `media workers ${pct(load)} busy (refuse at ${pct(t.refuseLoad)})`
        : hot && this.hotSamples >= WORKER_TRIP_SAMPLES
          ? `media worker ${hot.index} ${pct(hot.loadRatio)} busy (refuse at ${pct(t.refuseWorkerLoad)})`
          : this.busySamples >= MACHINE_TRIP_SAMPLES && load !== null && load >= t.machineMinLoad && concealing !== 0
            ? `machine CPU ${pct(machine ?? 1)} busy on all cores with media workers ${pct(load)} busy${concealing ? ` and ${concealing} link(s) concealing` : ''} (refuse at ${pct(t.refuseMachineBusy)})`
            : this.lateSamples >= LAG_TRIP_SAMPLES
              ? `main event loop ${ms(sample.eventLoopLagS)} late (refuse at ${ms(t.refuseLagS)})`
              : null;
    if (trip) {
      this.calmSince = null;
      if (this.stateValue === 'normal') this.transition('overloaded', trip);
      else this.reasonValue = trip;
      return;
    }
    if (this.stateValue === 'normal') return;
    const calm =
      (load === null || load < t.acceptLoad) &&
      sample.eventLoopLagS < t.acceptLagS &&
      sample.workers.every((w) => w.loadRatio < t.refuseWorkerLoad) &&
      // The machine is calm below its accept level, or once this service's share fell below the floor
      // from which the machine counts (its links ended on a box that stays full of other work).
      (machine === null || machine < t.acceptMachineBusy || load === null || load < t.machineMinLoad);
    if (!calm) {
      this.calmSince = null;
      return;
    }
    const now = this.clock.now();
    this.calmSince ??= now;
    if (now - this.calmSince >= t.holdMs) this.transition('normal', null);
  }

  /** The decision for one new link; a refusal is counted. */
  admit(): Admission {
    if (this.stateValue === 'normal') return { ok: true };
    this.refusedCount++;
    return { ok: false, reason: this.reasonValue ?? 'overloaded', retryAfterS: this.thresholds.retryAfterS };
  }

  status(): OverloadStatus {
    return {
      state: this.stateValue,
      reason: this.reasonValue,
      eventLoopLagS: this.last.eventLoopLagS,
      mediaLoadRatio: mean(this.last.workers),
      machineBusyRatio: this.last.machineBusyRatio ?? null,
      workers: this.last.workers,
      refused: this.refusedCount,
    };
  }

  private transition(to: OverloadState, reason: string | null): void {
    if (!EDGES[this.stateValue].includes(to)) throw new AcipError('LINK_ILLEGAL_TRANSITION', `overload: illegal transition ${this.stateValue} → ${to}`);
    this.stateValue = to;
    this.reasonValue = reason;
    this.calmSince = null;
    this.onChange?.(to, reason);
  }
}
