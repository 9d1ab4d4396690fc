/**
 * The jitter buffer's target delay: where it wants the playout delay to sit, from the relative delays
 * r (ms later than the fastest packets) of the packets it measures. The buffer (jitter-buffer.ts) owns
 * the sequence and playout bookkeeping and follows this target by stretching; this module only
 * decides the target.
 *
 * - Fixed mode: the target is the set delay, for ever.
 * - Adaptive mode: quantile q of a forgetting histogram of r (slow to come down, `forgetMs`) plus a
 *   margin, within [minDelayMs, maxDelayMs], or faster: when ATTACK_RUN (and ≥ ATTACK_RUN_MS worth of)
 *   packets in a row are later than the target, it jumps to the least late of them at once; that part
 *   decays with ATTACK_DECAY_MS unless the histogram confirms it.
 * - Start-up: the histogram forgets its first START_FORGET_MS of samples fast (`startForgetWeight`),
 *   and the initial target is held until ~1 s of packets has been seen unless packets are later.
 * - The quantile covered is not fixed: a slow control (`jicoBudget`) moves it within 0.97–0.999 so
 *   that the measured jitter-induced concealment (late packets + stall frames) stays near the budget.
 */
import { DelayHistogram } from './jb-delay-histogram.js';
import type { JitterBufferMode } from './jitter-buffer-types.js';

export interface TargetControllerOptions {
  mode: JitterBufferMode;
  ptimeMs: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** The target before any statistics: the fixed delay, or the adaptive initial target. */
  initialTargetMs: number;
  quantile: number;
  jicoBudget: number;
  marginMs: number;
  forgetMs: number;
  startForgetWeight: number;
}

/** Consecutive packets later than the target that trigger the fast attack. */
const ATTACK_RUN = 3;
/** …and at least this much time's worth of them (short packet times). */
const ATTACK_RUN_MS = 30;
/** Time constant with which the fast-attack part of the target decays. */
const ATTACK_DECAY_MS = 1000;
/** The histogram forgets faster over the first this long of packets (see jb-delay-histogram.ts). */
const START_FORGET_MS = 2000;
/** Averaging time of the measured jitter-induced concealment rate. */
const JICO_AVG_MS = 30_000;
/** Time constant of the quantile's adjustment to the concealment budget (per unit of relative error). */
const JICO_CONTROL_MS = 60_000;
/** Range of the tail (1 − quantile) the budget control may choose. */
const TAIL_MIN = 0.001;
const TAIL_MAX = 0.03;

export class TargetController {
  private readonly o: TargetControllerOptions;
  private readonly hist: DelayHistogram;
  private target: number;
  private lastTargetCalcMs = -Infinity;
  private measured = 0;
  private overRun = 0;
  private overRunMin = Infinity;
  private attack = 0;
  private attackAt = 0;
  /** ln(1 − quantile) currently covered (moved by the concealment budget control). */
  private lnTail: number;
  /** Measured jitter-induced concealment per output frame (EWMA), and events not yet counted in it. */
  private jicoRate: number;
  private jicoPending = 0;

  constructor(o: TargetControllerOptions) {
    this.o = o;
    const binMs = Math.max(0.05, Math.min(1, o.ptimeMs / 20));
    this.hist = new DelayHistogram(binMs, o.maxDelayMs + 2 * o.ptimeMs, Math.exp(-o.ptimeMs / o.forgetMs),
      o.startForgetWeight, Math.ceil(START_FORGET_MS / o.ptimeMs));
    this.target = o.initialTargetMs;
    this.lnTail = Math.log(1 - o.quantile);
    this.jicoRate = o.jicoBudget;
  }

  /** The target delay now, ms. */
  get targetMs(): number {
    return this.target;
  }

  /** The quantile of relative delay the target covers now. */
  get coveredQuantile(): number {
    return 1 - Math.exp(this.lnTail);
  }

  /**
   * One packet measured at `arrivalMs`: its relative delay `r` against the floor, and `jumpMs`, how
   * far the floor stepped on this packet (DriftEstimator.lastJumpMs; 0 when it did not).
   */
  observe(arrivalMs: number, r: number, jumpMs: number): void {
    // The histogram holds delays relative to the floor. When the floor rises (a slower route, seen
    // once the old minima leave the window) the samples taken since were measured against the old,
    // too low floor: move them down. When it falls (a faster route) the old samples were measured
    // against the floor of the route they travelled: keep them, so the target does not jump up.
    if (jumpMs > 0) this.hist.shift(-jumpMs);
    this.hist.add(r);
    this.measured++;
    if (this.o.mode !== 'adaptive') return;
    // Fast attack: several packets in a row later than the target mean the delay has moved (a step
    // or the start of a long spike), not a stray late packet: raise the target to the least late of
    // them at once. This part of the target then decays with ATTACK_DECAY_MS while the histogram,
    // which has seen the same packets, takes over if the new delay persists.
    if (r > this.target) {
      this.overRun++;
      this.overRunMin = Math.min(this.overRunMin, r);
    } else {
      this.overRun = 0;
      this.overRunMin = Infinity;
    }
    if (this.overRun >= Math.max(ATTACK_RUN, Math.ceil(ATTACK_RUN_MS / this.o.ptimeMs))) {
      this.attack = Math.max(this.attack * Math.exp(-(arrivalMs - this.attackAt) / ATTACK_DECAY_MS), this.overRunMin);
      this.attackAt = arrivalMs;
    }
    // Hold the initial target until ~1 s of packets has been seen, unless packets are later than it.
    const warm = this.measured * this.o.ptimeMs >= 1000;
    if ((warm || r > this.target) && (r > this.target || arrivalMs - this.lastTargetCalcMs >= 10 || jumpMs !== 0)) {
      this.lastTargetCalcMs = arrivalMs;
      let q = this.hist.quantile(this.coveredQuantile) + this.o.marginMs;
      q = Math.max(q, this.attack * Math.exp(-(arrivalMs - this.attackAt) / ATTACK_DECAY_MS));
      if (!warm) q = Math.max(q, this.target);
      this.target = Math.min(this.o.maxDelayMs, Math.max(this.o.minDelayMs, q));
    }
  }

  /** A packet arrived after its slot had passed: a jitter-induced concealment for the budget control. */
  countLate(): void {
    this.jicoPending++;
  }

  /**
   * Once per output frame: update the measured jitter-induced concealment rate (late packets and stall
   * frames) and move the covered tail towards the budget — multiplicatively, slowly (JICO_CONTROL_MS),
   * so that it follows the network's character rather than single events.
   */
  accountFrame(stall: boolean): void {
    if (this.o.mode !== 'adaptive' || this.o.jicoBudget <= 0) return;
    const a = Math.exp(-this.o.ptimeMs / JICO_AVG_MS);
    const events = this.jicoPending + (stall ? 1 : 0);
    this.jicoPending = 0;
    this.jicoRate = a * this.jicoRate + (1 - a) * events;
    const err = (this.o.jicoBudget - this.jicoRate) / this.o.jicoBudget;
    this.lnTail += (this.o.ptimeMs / JICO_CONTROL_MS) * Math.max(-2, Math.min(2, err));
    this.lnTail = Math.min(Math.log(TAIL_MAX), Math.max(Math.log(TAIL_MIN), this.lnTail));
  }
}
