/**
 * The jitter buffer's target on heavy-tailed paths: a mobile link whose delay has a long tail (Lomax-like
 * jitter) plus delay spikes of heavy-tailed height (handovers, radio retransmissions), each spike holding
 * packets back and releasing them in a burst.
 *
 * On such a path the delay that keeps 1 % of packets late is set by a few tall spikes a minute. The
 * general controller (jb-target-controller.ts) reads the quantile off a one-minute memory and moves its
 * covered quantile by the concealment it measures; here both chase the last spikes: after a cluster the
 * target climbs to the maximum and stays for a minute, after a calm spell it sinks and the next spike is
 * concealed. Its jitter-induced concealment then exceeds that of the best fixed delay by a third at the
 * same mean delay. So on a heavy-tailed path the target is instead the delay a fixed buffer would need
 * (the fixed-delay equivalent):
 * - the quantile of a long memory (LONG_FORGET_MS), its tail counted against at least TAIL_BASIS_MS of
 *   packets so that in the first minute one tall spike is not most of it;
 * - moving slowly: up at most RISE_MS_PER_S, down at most FALL_MS_PER_S (hysteresis in time: a target
 *   that follows single spikes conceals more than a steady one, since lateness is convex in the delay);
 * - covering, over the first START_HOLD_MS of the stream, the latest packet seen so far: until the memory
 *   holds enough spikes to know their height a young quantile is far too low, and the first seconds of a
 *   call would be concealed at several times the budget.
 *
 * Heavy-tailed: the long memory's 99th percentile is at least ENTER_P99_MS and ENTER_RATIO times its 90th
 * (Lomax α = 3: about 3.2; Gaussian jitter, a LAN or a WAN: under 2; bursts of a starved sender: the body
 * itself is wide, under 1.5). Left below LEAVE_RATIO or LEAVE_P99_MS.
 */
import { DelayHistogram } from './jb-delay-histogram.js';

/** The general controller's disturbance state (jb-target-controller.ts). */
export type EpisodeState = 'none' | 'suspect' | 'confirmed';

export interface HeavyTailOptions {
  ptimeMs: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Start-up forgetting weight of the long memory (as the general controller's; 0 = off). */
  startForgetWeight: number;
}

/** Forgetting time constant of the long memory. */
const LONG_FORGET_MS = 300_000;
/** The tail is counted against at least this much time's worth of packets. */
const TAIL_BASIS_MS = 60_000;
/** The fast start-up forgetting covers this much of the first packets (as the general controller's). */
const START_FORGET_MS = 2000;
/** For this long from the first packet the target covers the latest packet seen. */
const START_HOLD_MS = 20_000;
/** Fastest moves of the target, ms per second. */
const RISE_MS_PER_S = 10;
const FALL_MS_PER_S = 1;
/** Regime test: how often, from how much time's worth of packets on, and its thresholds. */
const CHECK_EVERY_MS = 1000;
const CHECK_FROM_MS = 3000;
const ENTER_RATIO = 2.5;
const ENTER_P99_MS = 30;
const LEAVE_RATIO = 2;
const LEAVE_P99_MS = 20;

export class HeavyTailTarget {
  private readonly o: HeavyTailOptions;
  private readonly hist: DelayHistogram;
  /** Samples of a suspected disturbance (see `observe`). */
  private readonly pending: DelayHistogram;
  private active = false;
  private samples = 0;
  private firstAt = -1;
  private latest = 0;
  private checkedAt = -Infinity;
  private target = 0;
  private movedAt = 0;

  constructor(o: HeavyTailOptions) {
    this.o = o;
    const binMs = Math.max(0.05, Math.min(1, o.ptimeMs / 20));
    this.hist = new DelayHistogram(binMs, o.maxDelayMs + 2 * o.ptimeMs, Math.exp(-o.ptimeMs / LONG_FORGET_MS),
      o.startForgetWeight, Math.ceil(START_FORGET_MS / o.ptimeMs));
    this.pending = new DelayHistogram(binMs, o.maxDelayMs + 2 * o.ptimeMs, Math.exp(-o.ptimeMs / LONG_FORGET_MS));
  }

  /** Whether the path is heavy-tailed now (then `targetAt` is the target). */
  get isActive(): boolean {
    return this.active;
  }

  /**
   * One packet measured: relative delay `r` and the floor's step `jumpMs` (see TargetController.observe).
   * `current` is the general controller's target, where this one starts from when the regime begins;
   * `episode`: the general controller's disturbance state (both ends starved: packets in bursts for
   * seconds). Its samples are kept apart as there, and dropped or kept as there (`episodeEnded`): a
   * disturbance's first seconds look like a heavy tail (a few very late packets on a calm body), but it
   * is no network's tail, and the regime is left, or not entered, while one is confirmed.
   */
  observe(arrivalMs: number, r: number, jumpMs: number, current: number, episode: EpisodeState): void {
    if (jumpMs > 0) {
      this.hist.shift(-jumpMs);
      this.pending.shift(-jumpMs);
    }
    (episode === 'none' ? this.hist : this.pending).add(r);
    const disturbed = episode === 'confirmed';
    this.samples++;
    if (this.firstAt < 0) this.firstAt = arrivalMs;
    if (arrivalMs - this.firstAt < START_HOLD_MS) this.latest = Math.max(this.latest, r);
    if (arrivalMs - this.checkedAt < CHECK_EVERY_MS || this.samples * this.o.ptimeMs < CHECK_FROM_MS) return;
    this.checkedAt = arrivalMs;
    const p90 = this.hist.quantile(0.9);
    const p99 = this.hist.quantile(0.99);
    const heavy = !disturbed && (this.active
      ? p99 >= LEAVE_P99_MS && p99 >= LEAVE_RATIO * p90
      : p99 >= ENTER_P99_MS && p99 >= ENTER_RATIO * p90);
    if (heavy && !this.active) {
      this.target = current;
      this.movedAt = arrivalMs;
    }
    this.active = heavy;
  }

  /** A disturbance suspicion or episode ended; `keep`: its samples join the long memory. */
  episodeEnded(keep: boolean): void {
    if (keep) this.hist.absorb(this.pending);
    this.pending.reset();
  }

  /** The target at `arrivalMs` covering quantile `q` of the long memory (see the header). */
  targetAt(arrivalMs: number, q: number): number {
    let want = DelayHistogram.quantileOf([this.hist], q, TAIL_BASIS_MS / this.o.ptimeMs);
    const starting = arrivalMs - this.firstAt < START_HOLD_MS;
    if (starting) want = Math.max(want, this.latest);
    const dt = Math.max(0, arrivalMs - this.movedAt) / 1000;
    this.movedAt = arrivalMs;
    this.target = Math.min(this.target + RISE_MS_PER_S * dt, Math.max(this.target - FALL_MS_PER_S * dt, want));
    this.target = Math.min(this.o.maxDelayMs, Math.max(this.o.minDelayMs, this.target));
    return this.target;
  }
}
