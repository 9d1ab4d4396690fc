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
 * - nearly still: up or down at most RISE_MS_PER_S / FALL_MS_PER_S (12 ms a minute). Around the delay
 *   that keeps 1 % late, the concealment a fixed delay gives changes by only about 0.01 % of the frames
 *   per ms, while the quantile that estimates it swings by ±50 ms with every cluster of tall spikes,
 *   even over five minutes. The delay's p95 follows the target's upward swings; the concealment, about
 *   its average. A target that follows the estimate slowly keeps the same concealment at about 30 ms
 *   less p95 than one that rises within seconds after a cluster (10 ms/s) and takes minutes to come
 *   down. The price: a path that turns much worse after the first minute is followed at that pace;
 * - over the first START_HOLD_MS of the regime, covering the latest packet seen (the memory's highest
 *   sample when the regime begins, and every packet since), rising quickly to it (START_RISE_MS_PER_S)
 *   but not beyond START_COVER_SHARE of the maximum: until the memory holds enough spikes to know their
 *   height a young quantile is far too low, and the first minute of a call would be concealed at
 *   several times the budget; but one spike of half a second would hold the target at the maximum for
 *   the whole minute, more delay than that minute's concealment is worth. For the same reason the
 *   regime starts from the general controller's target only up to that share. Only the cover rises
 *   quickly: the quantile, even then, at RISE_MS_PER_S;
 * - at a call's start (the regime begins within the first START_HOLD_MS of packets) the cover is that
 *   share of the maximum itself, not the latest packet: the regime is recognised after a few seconds,
 *   when at most one or two spikes have been seen, and spike heights have a heavy tail of their own, so
 *   the tallest of so few says little about the next (a mobile call whose first 9 s peaked at 97 ms
 *   had a 213 ms spike at 10 s). Later in a call the memory holds minutes of spikes, and its highest
 *   sample is the better guide.
 *
 * Heavy-tailed: the long memory's 99th percentile is at least ENTER_P99_MS and ENTER_RATIO times its 90th
 * (Lomax α = 3: about 3.2; Gaussian jitter, a LAN or a WAN: under 2; bursts of a starved sender: the body
 * itself is wide, under 1.5), and at least ENTER_RUNS separate runs of late packets have been seen (one
 * spike's packets are one run: one event is no tail). Left below LEAVE_RATIO or LEAVE_P99_MS.
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
/** For this long from the regime's start the target covers the latest packet seen… */
const START_HOLD_MS = 60_000;
/**
 * …up to this share of the maximum delay, rising at most this fast (ms per second): a 2.5 % stretch,
 * a quarter of what the buffer's level correction may apply (maxGrowFraction), so from a typical 60 ms
 * at the regime's start the cover is reached in 6 s, not the 15 s in which, at 10 ms/s, a spike or two
 * was concealed that the cover exists for. Not faster: a path taken for heavy-tailed in its first
 * seconds by mistake (a WAN with two early spikes) leaves the regime within seconds, and the delay
 * it gained meanwhile is what that mistake costs.
 */
const START_COVER_SHARE = 0.7;
const START_RISE_MS_PER_S = 25;
/**
 * At a call's start the cover is that share of the maximum, but no more than this or the highest
 * packet seen, whichever is higher: with a maximum of seconds (a profile may allow up to 10 s) the
 * share alone would add a second of delay that no spike seen so far asked for.
 */
const START_COVER_CAP_MS = 250;
/** Fastest moves of the target otherwise, ms per second. */
const RISE_MS_PER_S = 0.2;
const FALL_MS_PER_S = 0.2;
/** Regime test: how often, from how much time's worth of packets on, and its thresholds. */
const CHECK_EVERY_MS = 1000;
const CHECK_FROM_MS = 3000;
const ENTER_RATIO = 2.5;
const ENTER_P99_MS = 30;
const LEAVE_RATIO = 2;
const LEAVE_P99_MS = 20;
/**
 * Entered only once at least this many separate runs of packets ENTER_P99_MS or more late (a run:
 * consecutive such packets) have been seen in the call, outside disturbances. A delay spike holds
 * packets back and releases them together, each a packet time less late than the one before: one run.
 * In a call's first seconds the run of one tall spike is more than 1 % of the memory, and a WAN with an
 * early spike or two looked heavy-tailed until the memory grew (its delay rising towards the start-up
 * cover meanwhile: 200 ms within 5 s). That is one or two events, not a distribution. A heavy-tailed path's late packets recur: a mobile
 * path has a few such runs a second, so waiting for three costs it nothing (the seeded mobile traces
 * score the same with three as with six). A guard for the young memory only: later in a call any path
 * with spikes has shown more runs than that, and the quantiles alone decide, as they did before.
 */
const ENTER_RUNS = 3;

export class HeavyTailTarget {
  private readonly o: HeavyTailOptions;
  private readonly hist: DelayHistogram;
  /** Samples of a suspected disturbance (see `observe`). */
  private readonly pending: DelayHistogram;
  private active = false;
  private samples = 0;
  /** When the regime began (its start-up cover runs from there), and the latest packet seen since. */
  private enteredAt = -Infinity;
  private latest = 0;
  private checkedAt = -Infinity;
  private target = 0;
  private movedAt = 0;
  /** Whether the last packet was ENTER_P99_MS or more late, and the runs of such packets so far (up to ENTER_RUNS). */
  private inRun = false;
  private runs = 0;
  /** The table the quantile reads, built once (not an array literal per call). */
  private readonly tables: readonly DelayHistogram[];

  constructor(o: HeavyTailOptions) {
    this.o = o;
    const binMs = Math.max(0.05, Math.min(1, o.ptimeMs / 20));
    this.hist = new DelayHistogram(binMs, o.maxDelayMs + 2 * o.ptimeMs, Math.exp(-o.ptimeMs / LONG_FORGET_MS),
      o.startForgetWeight, Math.ceil(START_FORGET_MS / o.ptimeMs));
    this.pending = new DelayHistogram(binMs, o.maxDelayMs + 2 * o.ptimeMs, Math.exp(-o.ptimeMs / LONG_FORGET_MS));
    this.tables = [this.hist];
  }

  /** Whether the path is heavy-tailed now (then `targetAt` is the target). */
  get isActive(): boolean {
    return this.active;
  }

  /**
   * One packet measured: relative delay `r` and the floor's step `jumpMs` (see TargetController.observe).
   * `current` is the general controller's target, where this one starts from when the regime begins
   * (up to START_COVER_SHARE of the maximum);
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
    if (!disturbed) this.trackRun(r);
    this.samples++;
    this.latest = Math.max(this.latest, r);
    if (arrivalMs - this.checkedAt < CHECK_EVERY_MS || this.samples * this.o.ptimeMs < CHECK_FROM_MS) return;
    this.checkedAt = arrivalMs;
    const p90 = this.hist.quantile(0.9);
    const p99 = this.hist.quantile(0.99);
    const heavy = !disturbed && (this.active
      ? p99 >= LEAVE_P99_MS && p99 >= LEAVE_RATIO * p90
      : p99 >= ENTER_P99_MS && p99 >= ENTER_RATIO * p90 && this.runs >= ENTER_RUNS);
    if (heavy && !this.active) {
      // From the general controller's target, but no higher than the start-up cover goes.
      this.target = Math.min(current, START_COVER_SHARE * this.o.maxDelayMs);
      this.movedAt = arrivalMs;
      this.enteredAt = arrivalMs;
      // At a call's start, the share of the maximum itself; later, the latest packet the memory holds (its highest sample).
      const highest = this.hist.quantile(1);
      this.latest = this.samples * this.o.ptimeMs < START_HOLD_MS ? Math.min(START_COVER_SHARE * this.o.maxDelayMs, Math.max(highest, START_COVER_CAP_MS)) : highest;
    }
    this.active = heavy;
  }

  /** Run bookkeeping for one packet (see ENTER_RUNS). */
  private trackRun(r: number): void {
    const late = r >= ENTER_P99_MS;
    if (late && !this.inRun && this.runs < ENTER_RUNS) this.runs++;
    this.inRun = late;
  }

  /** A disturbance suspicion or episode ended; `keep`: its samples join the long memory. */
  episodeEnded(keep: boolean): void {
    if (keep) this.hist.absorb(this.pending);
    this.pending.reset();
  }

  /** The target at `arrivalMs` covering quantile `q` of the long memory (see the header). */
  targetAt(arrivalMs: number, q: number): number {
    const want = DelayHistogram.quantileOf(this.tables, q, TAIL_BASIS_MS / this.o.ptimeMs);
    const dt = Math.max(0, arrivalMs - this.movedAt) / 1000;
    this.movedAt = arrivalMs;
    const slow = Math.min(this.target + RISE_MS_PER_S * dt, Math.max(this.target - FALL_MS_PER_S * dt, want));
    // The start-up cover rises quickly, the quantile never does.
    const cover = arrivalMs - this.enteredAt < START_HOLD_MS ? Math.min(this.latest, START_COVER_SHARE * this.o.maxDelayMs) : -Infinity;
    this.target = Math.max(slow, Math.min(this.target + START_RISE_MS_PER_S * dt, cover));
    this.target = Math.min(this.o.maxDelayMs, Math.max(this.o.minDelayMs, this.target));
    return this.target;
  }
}
