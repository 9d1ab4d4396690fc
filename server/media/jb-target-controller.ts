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
 *   and the initial target is held until INITIAL_HOLD_MS of packets has been seen unless packets are later.
 *   While the histogram is young its tail is counted against MIN_TAIL_BASIS_MS of packets, so that
 *   one spike is not most of it, unless late packets recur (then against the samples seen).
 * - The quantile covered is not fixed: a slow control (`jicoBudget`) moves it within 0.97–0.999 so
 *   that the measured jitter-induced concealment (late packets + stall frames) stays near the budget.
 * - Episodes: when over EPISODE_WINDOW_MS at least EPISODE_ENTER of the packets are later than the
 *   long-term target by more than a margin (both ends CPU-starved, packets moving in bursts; a delay
 *   step), that is not the network's tail but a disturbance. Once EPISODE_SUSPECT of them are, the
 *   samples go to a separate episode table (the target is the quantile of both tables together, so
 *   it moves as before); if the share then reaches EPISODE_ENTER the episode is confirmed and the
 *   concealment budget control holds still. When no packet has been that late for EPISODE_CALM_MS,
 *   a confirmed episode's samples are dropped, and the target is the long-term one again at once
 *   (otherwise they would hold it high for as long as the histogram remembers, a minute or more); a
 *   suspicion that was never confirmed (a spike: a few percent of the packets) gives its samples to
 *   the long-term table, whose memory of rare spikes is what covers them. A suspicion longer than
 *   SUSPECT_MAX_MS or an episode longer than EPISODE_MAX_MS is the new normal: its samples join the
 *   long-term table.
 * - Heavy-tailed paths (mobile: a long jitter tail plus delay spikes of heavy-tailed height): all of the
 *   above chases the last spikes, so there the target is the fixed-delay equivalent of a long memory,
 *   moving slowly (jb-heavy-tail.ts), covering `quantile` or, with a budget, 1 − HEAVY_BUDGET_SHARE ×
 *   the budget.
 */
import { DelayHistogram } from './jb-delay-histogram.js';
import { HeavyTailTarget, type EpisodeState } from './jb-heavy-tail.js';
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

/**
 * On a heavy-tailed path the quantile covered is fixed at 1 − this share of the concealment budget:
 * the target's own (slow) moves and the first seconds add the rest. The first seconds of a five-minute
 * mobile call cost about 0.05 % of its frames more than the best fixed delay would (seeded traces,
 * fake clock), so 5 % of a 1 % budget is left for them.
 */
const HEAVY_BUDGET_SHARE = 0.95;
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
/**
 * The quantile's tail is taken over at least this much time's worth of packets. In a young histogram
 * (the first seconds of a call) 1 % is a handful of packets, and one delay spike — whose held
 * packets come out together, a packet time apart in lateness — would be most of it and lift the
 * target to the spike's height for as long as the histogram remembers it (on heavy-tailed mobile
 * paths: the maximum for tens of seconds). Counting the tail against this basis keeps it from
 * covering one event the network has not shown to recur.
 */
const MIN_TAIL_BASIS_MS = 10_000;
/**
 * …but only while the late packets have not recurred. A packet later than the tail this basis allows
 * (by more than LATE_EVENT_MARGIN_MS), at least LATE_EVENT_GAP_MS after the last one counted, is a
 * late event, and with n events the basis is divided by n². One spike (its held packets come out
 * together) keeps the whole basis; a sender whose packets come in bursts, or that runs slower than
 * real time, is late again and again from the first packets on, and its tail is soon counted against
 * the samples actually seen, as without a basis (otherwise the quantile sits below the recurring
 * lateness and every burst is concealed: baresip's 4 ms L16).
 */
const LATE_EVENT_GAP_MS = 100;
const LATE_EVENT_MARGIN_MS = 1;
/**
 * Against that tail, events are counted from this many packets on, or from the end of the initial hold
 * (INITIAL_HOLD_MS of packets) if that comes first: before, the young table's tail is a handful of
 * samples and says nothing. While the initial target is held, a packet later than that target is the
 * event: it is late against the target in force, as later packets are against the young quantile.
 * Counted only from the end of the hold, the spike a mobile path showed in its first second was
 * forgotten (the table forgets its first seconds fast) and the hold ended with the target falling to
 * the young quantile's 18–30 ms, below a mobile path's body (one packet in ten more than 23 ms late).
 */
const LATE_EVENT_MIN_PACKETS = 100;
/** The initial target is held until this much time's worth of packets has been seen, unless packets are later. */
const INITIAL_HOLD_MS = 1000;
/** Window over which the share of packets later than the long-term target + margin is measured. */
const EPISODE_WINDOW_MS = 3000;
/** Shares of that window that start keeping the samples apart (suspicion) and that confirm an episode. */
const EPISODE_SUSPECT = 0.02;
const EPISODE_ENTER = 0.4;
/** A suspicion this long without confirmation is the new normal. */
const SUSPECT_MAX_MS = 10_000;
/** An episode ends after this long without a packet later than the long-term target + margin. */
const EPISODE_CALM_MS = 2000;
/** An episode this long is the new normal. */
const EPISODE_MAX_MS = 60_000;
/** Margin over the long-term target above which a packet counts towards an episode (ms, and ptimes). */
const EPISODE_MARGIN_MS = 10;
const EPISODE_MARGIN_PTIMES = 2;

export class TargetController {
  private readonly o: TargetControllerOptions;
  private readonly hist: DelayHistogram;
  private target: number;
  private lastTargetCalcMs = -Infinity;
  private measured = 0;
  private overRun = 0;
  private overRunMin = Infinity;
  private prevR = 0;
  /** Late events seen (see MIN_TAIL_BASIS_MS) and when the last one was counted. */
  private lateEvents = 0;
  private lateEventAt = -Infinity;
  /** The tail the basis allows (quantile of the long-term table), refreshed at most every 10 ms. */
  private basisTail = Infinity;
  private basisTailAt = -Infinity;
  private attack = 0;
  private attackAt = 0;
  /** ln(1 − quantile) currently covered (moved by the concealment budget control). */
  private lnTail: number;
  /** Measured jitter-induced concealment per output frame (EWMA), and events not yet counted in it. */
  private jicoRate: number;
  private jicoPending = 0;
  /** Disturbance episode (see the header): its own samples, its state, when it began, when a packet was last that late. */
  private readonly episodeHist: DelayHistogram;
  private episode: EpisodeState = 'none';
  private episodeFrom = 0;
  private episodeLastLateMs = 0;
  /** The last EPISODE_WINDOW_MS of packets: 1 where later than the long-term target + margin. */
  private readonly lateRing: Uint8Array;
  private lateRingAt = 0;
  private lateRingCount = 0;
  private lateRingFill = 0;
  /** Long-term target (quantile of the long-term histogram + margin), refreshed with the target. */
  private longTarget: number;
  /** The target on heavy-tailed paths (see jb-heavy-tail.ts). */
  private readonly heavy: HeavyTailTarget;
  /** The tables the quantile reads, built once (not an array literal per packet). */
  private readonly longTables: readonly DelayHistogram[];
  private readonly allTables: readonly DelayHistogram[];

  constructor(o: TargetControllerOptions) {
    this.o = o;
    const binMs = Math.max(0.05, Math.min(1, o.ptimeMs / 20));
    this.hist = new DelayHistogram(binMs, o.maxDelayMs + 2 * o.ptimeMs, Math.exp(-o.ptimeMs / o.forgetMs),
      o.startForgetWeight, Math.ceil(START_FORGET_MS / o.ptimeMs));
    this.episodeHist = new DelayHistogram(binMs, o.maxDelayMs + 2 * o.ptimeMs, Math.exp(-o.ptimeMs / o.forgetMs));
    this.lateRing = new Uint8Array(Math.max(10, Math.ceil(EPISODE_WINDOW_MS / o.ptimeMs)));
    this.target = o.initialTargetMs;
    this.longTarget = o.initialTargetMs;
    this.lnTail = Math.log(1 - o.quantile);
    this.jicoRate = o.jicoBudget;
    this.heavy = new HeavyTailTarget(o);
    this.longTables = [this.hist];
    this.allTables = [this.hist, this.episodeHist];
  }

  /** The target delay now, ms. */
  get targetMs(): number {
    return this.target;
  }

  /** The quantile of relative delay the target covers now. */
  get coveredQuantile(): number {
    return this.heavy.isActive ? this.heavyQuantile() : this.budgetQuantile();
  }

  /** Whether the path is taken for heavy-tailed (see jb-heavy-tail.ts). */
  get heavyTailed(): boolean {
    return this.heavy.isActive;
  }

  /** Whether a disturbance episode is under way (see the header). */
  get inEpisode(): boolean {
    return this.episode === 'confirmed';
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
    if (jumpMs > 0) {
      this.hist.shift(-jumpMs);
      this.episodeHist.shift(-jumpMs);
    }
    this.measured++;
    if (this.o.mode !== 'adaptive') {
      this.hist.add(r);
      return;
    }
    this.trackEpisode(arrivalMs, r);
    this.heavy.observe(arrivalMs, r, jumpMs, this.target, this.episode);
    if (this.episode === 'none') this.hist.add(r);
    else this.episodeHist.add(r);
    // Late events: packets beyond the tail the start-up basis allows, or while the initial target is
    // held, beyond that target (see MIN_TAIL_BASIS_MS and LATE_EVENT_MIN_PACKETS).
    if (arrivalMs - this.basisTailAt >= 10) {
      this.basisTailAt = arrivalMs;
      this.basisTail = DelayHistogram.quantileOf(this.longTables, this.budgetQuantile(), this.tailBasisSamples());
    }
    const warm = this.measured * this.o.ptimeMs >= INITIAL_HOLD_MS;
    const beyond = warm || this.measured >= LATE_EVENT_MIN_PACKETS ? this.basisTail : this.target;
    if (r > beyond + LATE_EVENT_MARGIN_MS && arrivalMs - this.lateEventAt >= LATE_EVENT_GAP_MS) {
      this.lateEvents++;
      this.lateEventAt = arrivalMs;
    }
    // Fast attack: several packets in a row later than the target mean the delay has moved (a step
    // or the start of a long spike), not a stray late packet: raise the target to the least late of
    // them at once. This part of the target then decays with ATTACK_DECAY_MS while the histogram,
    // which has seen the same packets, takes over if the new delay persists.
    // Not the drain of a spike, though: the packets held by a spike arrive together, each about a
    // packet time less late than the one before, and the spike is over by then. A step keeps its level.
    const draining = r < this.prevR - this.o.ptimeMs / 2;
    this.prevR = r;
    if (r > this.target && !draining) {
      this.overRun++;
      this.overRunMin = Math.min(this.overRunMin, r);
    } else if (r <= this.target) {
      this.overRun = 0;
      this.overRunMin = Infinity;
    }
    if (this.overRun >= Math.max(ATTACK_RUN, Math.ceil(ATTACK_RUN_MS / this.o.ptimeMs))) {
      this.attack = Math.max(this.attack * Math.exp(-(arrivalMs - this.attackAt) / ATTACK_DECAY_MS), this.overRunMin);
      this.attackAt = arrivalMs;
    }
    if (this.heavy.isActive) {
      if (arrivalMs - this.lastTargetCalcMs >= 10) {
        this.lastTargetCalcMs = arrivalMs;
        this.target = this.heavy.targetAt(arrivalMs, this.heavyQuantile());
        // Episodes are judged against the target in force.
        this.longTarget = this.target;
      }
      return;
    }
    // Hold the initial target until INITIAL_HOLD_MS of packets has been seen, unless packets are later than it.
    if ((warm || r > this.target) && (r > this.target || arrivalMs - this.lastTargetCalcMs >= 10 || jumpMs !== 0)) {
      this.lastTargetCalcMs = arrivalMs;
      const minSamples = this.tailBasisSamples();
      this.longTarget = DelayHistogram.quantileOf(this.longTables, this.budgetQuantile(), minSamples) + this.o.marginMs;
      let q = this.longTarget;
      if (this.episode !== 'none') q = DelayHistogram.quantileOf(this.allTables, this.budgetQuantile(), minSamples) + this.o.marginMs;
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
    if (this.inEpisode || this.heavy.isActive) {
      // A disturbance is not the network's tail, and a heavy-tailed path covers a fixed quantile: the
      // budget control holds still.
      this.jicoPending = 0;
      return;
    }
    const a = Math.exp(-this.o.ptimeMs / JICO_AVG_MS);
    const events = this.jicoPending + (stall ? 1 : 0);
    this.jicoPending = 0;
    this.jicoRate = a * this.jicoRate + (1 - a) * events;
    const err = (this.o.jicoBudget - this.jicoRate) / this.o.jicoBudget;
    this.lnTail += (this.o.ptimeMs / JICO_CONTROL_MS) * Math.max(-2, Math.min(2, err));
    this.lnTail = Math.min(Math.log(TAIL_MAX), Math.max(Math.log(TAIL_MIN), this.lnTail));
  }

  /** The quantile the general controller covers (moved by the concealment budget control). */
  private budgetQuantile(): number {
    return 1 - Math.exp(this.lnTail);
  }

  /** The quantile covered on a heavy-tailed path (see HEAVY_BUDGET_SHARE). */
  private heavyQuantile(): number {
    return this.o.jicoBudget > 0 ? 1 - HEAVY_BUDGET_SHARE * this.o.jicoBudget : this.o.quantile;
  }

  /** Samples the quantile's tail is counted against at least (see MIN_TAIL_BASIS_MS). */
  private tailBasisSamples(): number {
    return this.o.ptimeMs > 0 ? MIN_TAIL_BASIS_MS / this.o.ptimeMs / Math.max(1, this.lateEvents) ** 2 : 0;
  }

  /**
   * Episode bookkeeping for one packet (see the header): the share of recent packets later than the
   * long-term target + margin starts a suspicion and confirms an episode; a calm spell ends either.
   */
  private trackEpisode(arrivalMs: number, r: number): void {
    const margin = Math.max(EPISODE_MARGIN_MS, EPISODE_MARGIN_PTIMES * this.o.ptimeMs);
    const late = r > Math.min(this.longTarget, this.o.maxDelayMs) + margin ? 1 : 0;
    const n = this.lateRing.length;
    this.lateRingCount += late - (this.lateRing[this.lateRingAt] as number);
    this.lateRing[this.lateRingAt] = late;
    this.lateRingAt = (this.lateRingAt + 1) % n;
    this.lateRingFill = Math.min(n, this.lateRingFill + 1);
    if (late) this.episodeLastLateMs = arrivalMs;
    // Shares over a full window only: the first packets of a call are few.
    const share = this.lateRingFill === n ? this.lateRingCount / n : 0;
    switch (this.episode) {
      case 'none':
        if (late && share >= EPISODE_SUSPECT) {
          this.episode = 'suspect';
          this.episodeFrom = arrivalMs;
          this.episodeHist.reset();
        }
        return;
      case 'suspect':
        if (share >= EPISODE_ENTER) this.episode = 'confirmed';
        else if (arrivalMs - this.episodeLastLateMs >= EPISODE_CALM_MS || arrivalMs - this.episodeFrom >= SUSPECT_MAX_MS) this.endEpisode(true);
        return;
      case 'confirmed':
        if (arrivalMs - this.episodeLastLateMs >= EPISODE_CALM_MS) this.endEpisode(false);
        else if (arrivalMs - this.episodeFrom >= EPISODE_MAX_MS) this.endEpisode(true);
        return;
    }
  }

  /** Back to normal; `keep`: the episode's samples join the long-term table, else they are dropped. */
  private endEpisode(keep: boolean): void {
    this.heavy.episodeEnded(keep);
    if (keep) this.hist.absorb(this.episodeHist);
    else {
      // The disturbance's fast-attack part goes with it.
      this.attack = 0;
      this.lateRing.fill(0);
      this.lateRingCount = 0;
      this.lateRingFill = 0;
    }
    this.episode = 'none';
    this.episodeHist.reset();
    this.lastTargetCalcMs = -Infinity;
  }
}
