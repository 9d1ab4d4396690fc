/**
 * Transit floor and clock-drift estimation for the jitter buffer.
 *
 * Input: for every packet, its local arrival time t and its relative transit d = t − mediaTime, where
 * mediaTime is the packet's RTP timestamp in ms on the sender's nominal clock (any constant offset).
 * With a sender clock off by ε (ppm), d has a linear trend of slope ε·1e-6 ms per ms; jitter only ever
 * adds to the fastest (floor) transit, so the trend is the lower envelope of d, found from minima:
 * - the floor is the minimum of d over recent blocks, each block minimum carried forward to "now" along
 *   the drift trend (so a trend does not lag by the window length);
 * - long fit: the robust slope (Theil–Sen: median of pairwise slopes) of per-window minima over minutes.
 *   Minima ignore jitter; the median ignores the odd window spoilt by a spike. Precise (a ±100 ppm
 *   crystal is found within a few ppm), but slow to start and blind to ramps its route-change test
 *   takes for level shifts;
 * - short fit: the same over the minima of short windows of the last few seconds, trusted only when a
 *   line explains most of those minima (a level shift does not fit a line; a sender percent off real
 *   time, as baresip's file source is, does). When it is trusted and the long fit is far from it, it
 *   wins at once and the long history starts again on the new trend.
 *
 * Sign convention: driftPpm > 0 means packets arrive progressively later, i.e. the sender's media clock
 * runs slower than ours (we must insert samples to keep the buffer level); < 0: it runs faster.
 *
 * A sudden shift of the floor (route change, e.g. +80 ms) is not drift: when the floor moves by more
 * than `routeChangeMs` beyond the trend at once, the regression history is cleared (the estimate is kept).
 */

export interface DriftEstimatorOptions {
  /** Floor block length (ms). */
  blockMs?: number;
  /** Number of complete blocks the floor looks back over. */
  floorBlocks?: number;
  /** Length of one regression window of the long fit (ms); its minimum is one regression point. */
  windowMs?: number;
  /** Regression points kept (history = windowMs · maxWindows). */
  maxWindows?: number;
  /** Points needed before an estimate is published. */
  minWindows?: number;
  /** The range: estimates beyond this magnitude are not credible and are ignored (default 30 000: ±3 %). */
  maxPpm?: number;
  /** A jump of the floor larger than this beyond the trend is a route change. */
  routeChangeMs?: number;
  /** Short fit: window length (ms) and how many windows it looks back over. */
  shortWindowMs?: number;
  shortWindows?: number;
  /** The short fit overrides the long one when they differ by more than this (ppm). */
  shortOverridePpm?: number;
}

interface MinPoint {
  t: number;
  d: number;
}

/** Share of the short fit's minima within routeChangeMs/2 of its line for the line to be trusted. */
const SHORT_FIT_SHARE = 0.75;
/** The short fit is used once it holds this many windows… */
const SHORT_MIN_POINTS = 8;
/** …and overrides the current slope only when the two differ by this much (ms) over its span. */
const SHORT_OVERRIDE_MS = 15;

/**
 * Theil–Sen slope over pairs at least half the history apart (≈ m²/8 of them): the long baselines carry
 * the slope, and the cost stays small. NaN when there are no such pairs.
 */
/**
 * Pairwise slopes of a fit, reused by every estimator of the thread (the fit runs synchronously to the
 * end): a fit allocates nothing but a view, and sorts numbers with no comparator closure.
 */
let slopeScratch = new Float64Array(256);

function theilSenSlope(w: readonly MinPoint[]): number {
  const half = Math.max(1, Math.floor(w.length / 2));
  let n = 0;
  for (let i = 0; i + half < w.length; i++) {
    const a = w[i] as MinPoint;
    for (let j = i + half; j < w.length; j++) {
      const b = w[j] as MinPoint;
      const dt = b.t - a.t;
      if (dt <= 0) continue;
      if (n === slopeScratch.length) {
        const grown = new Float64Array(2 * n);
        grown.set(slopeScratch);
        slopeScratch = grown;
      }
      slopeScratch[n++] = (b.d - a.d) / dt;
    }
  }
  return median(slopeScratch.subarray(0, n));
}

/** Median of `xs` (sorted in place, numerically). */
function median(xs: Float64Array): number {
  if (xs.length === 0) return NaN;
  xs.sort();
  const m = xs.length >> 1;
  return xs.length % 2 ? (xs[m] as number) : ((xs[m - 1] as number) + (xs[m] as number)) / 2;
}

export class DriftEstimator {
  private readonly blockMs: number;
  private readonly floorBlocks: number;
  private readonly windowMs: number;
  private readonly maxWindows: number;
  private readonly minWindows: number;
  private readonly maxSlope: number;
  private readonly routeChangeMs: number;
  private readonly shortWindowMs: number;
  private readonly shortWindows: number;
  private readonly shortOverride: number;

  private blocks: MinPoint[] = [];
  private curBlock: MinPoint | undefined;
  private curBlockStart = 0;
  private windows: MinPoint[] = [];
  private curWin: MinPoint | undefined;
  private curWinStart = 0;
  private shortPts: MinPoint[] = [];
  private curShort: MinPoint | undefined;
  private curShortStart = 0;
  private slope = 0; // ms per ms
  /** The slope moved by the short fit since the floor was last computed: the floor's step is a re-basing, not a route change. */
  private rebased = false;
  private floorT = 0;
  /** The floor at `floorT`: a number field always (NaN before the first sample), so a write boxes nothing. */
  private floorV = NaN;
  private hasFloor = false;
  private lastT = 0;
  /** Jump of the floor at the last `add`, beyond what the drift trend predicts (0 when none). */
  lastJumpMs = 0;
  /** Number of route changes seen. */
  routeChanges = 0;

  constructor(opts: DriftEstimatorOptions = {}) {
    this.blockMs = opts.blockMs ?? 1000;
    this.floorBlocks = opts.floorBlocks ?? 8;
    this.windowMs = opts.windowMs ?? 2000;
    this.maxWindows = opts.maxWindows ?? 120;
    this.minWindows = opts.minWindows ?? 6;
    this.maxSlope = (opts.maxPpm ?? 30_000) * 1e-6;
    this.routeChangeMs = opts.routeChangeMs ?? 15;
    this.shortWindowMs = opts.shortWindowMs ?? 250;
    this.shortWindows = opts.shortWindows ?? 32;
    this.shortOverride = (opts.shortOverridePpm ?? 4000) * 1e-6;
  }

  get driftPpm(): number {
    return this.slope * 1e6;
  }

  /** Floor (minimum transit) expected at local time `t`. Undefined before the first sample. */
  floorAt(t: number): number | undefined {
    return this.hasFloor ? this.floorV + this.slope * (t - this.floorT) : undefined;
  }

  /**
   * A new minimum rewrites the open block's (window's) point in place: a point gets its own object only
   * when its block closes and it joins a history, so a sample allocates nothing.
   */
  add(t: number, d: number): void {
    this.lastT = t;
    // Floor blocks.
    if (this.curBlock === undefined) {
      this.curBlockStart = t;
      this.curBlock = { t, d };
    } else if (t - this.curBlockStart >= this.blockMs) {
      this.blocks.push(this.curBlock);
      if (this.blocks.length > this.floorBlocks) this.blocks.shift();
      this.curBlockStart = t;
      this.curBlock = { t, d };
    } else if (d < this.curBlock.d) {
      this.curBlock.t = t;
      this.curBlock.d = d;
    }
    // Short fit.
    if (this.curShort === undefined) {
      this.curShortStart = t;
      this.curShort = { t, d };
    } else if (t - this.curShortStart >= this.shortWindowMs) {
      this.shortPts.push(this.curShort);
      if (this.shortPts.length > this.shortWindows) this.shortPts.shift();
      this.curShortStart = t;
      this.curShort = { t, d };
      this.reestimateShort();
    } else if (d < this.curShort.d) {
      this.curShort.t = t;
      this.curShort.d = d;
    }
    // Long fit.
    if (this.curWin === undefined) {
      this.curWinStart = t;
      this.curWin = { t, d };
    } else if (t - this.curWinStart >= this.windowMs) {
      const prev = this.windows[this.windows.length - 1];
      if (prev && Math.abs(this.curWin.d - prev.d - this.slope * (this.curWin.t - prev.t)) > this.routeChangeMs) {
        // Adjacent window minima this far off the trend are a level shift (route change), not drift:
        // start the history again from here.
        this.routeChanges++;
        this.windows = [];
      }
      this.windows.push(this.curWin);
      if (this.windows.length > this.maxWindows) this.windows.shift();
      this.curWinStart = t;
      this.curWin = { t, d };
      this.reestimateLong();
    } else if (d < this.curWin.d) {
      this.curWin.t = t;
      this.curWin.d = d;
    }
    this.recomputeFloor();
  }

  reset(): void {
    this.blocks = [];
    this.curBlock = undefined;
    this.windows = [];
    this.curWin = undefined;
    this.shortPts = [];
    this.curShort = undefined;
    this.floorV = NaN;
    this.hasFloor = false;
    this.lastJumpMs = 0;
    this.rebased = false;
  }

  private recomputeFloor(): void {
    const t = this.lastT;
    let f = Infinity;
    // Indexed, not for-of: this runs on every packet.
    const blocks = this.blocks;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i] as MinPoint;
      f = Math.min(f, b.d + this.slope * (t - b.t));
    }
    if (this.curBlock) f = Math.min(f, this.curBlock.d + this.slope * (t - this.curBlock.t));
    this.lastJumpMs = this.hasFloor ? f - (this.floorV + this.slope * (t - this.floorT)) : 0;
    this.floorV = f;
    this.hasFloor = true;
    this.floorT = t;
    if (this.rebased) {
      // A new trend re-bases the floor: report the step (the delay statistics follow it) but it is no
      // route change.
      this.rebased = false;
      return;
    }
    if (Math.abs(this.lastJumpMs) > this.routeChangeMs) {
      // Route change: history before it would read as a huge slope. Keep the current window only.
      this.routeChanges++;
      this.windows = [];
      if (this.curWin && this.curBlock) this.curWin = { t: this.curBlock.t, d: this.curBlock.d };
    }
  }

  private reestimateLong(): void {
    if (this.windows.length < this.minWindows) return;
    const s = theilSenSlope(this.windows);
    // Beyond the range the estimate is not credible (a level shift inside the history): keep the last one.
    if (Math.abs(s) <= this.maxSlope) this.slope = s;
  }

  /**
   * The short fit: when a line explains most of the last seconds' minima and its slope is far from the
   * current one, the sender's clock is percent off (or changed): follow it now.
   */
  private reestimateShort(): void {
    const w = this.shortPts;
    if (w.length < Math.min(SHORT_MIN_POINTS, this.shortWindows)) return;
    const s = theilSenSlope(w);
    const t0 = (w[0] as MinPoint).t;
    const span = (w[w.length - 1] as MinPoint).t - t0;
    const off = Math.abs(s - this.slope);
    if (!(Math.abs(s) <= this.maxSlope) || off <= this.shortOverride || off * span < SHORT_OVERRIDE_MS) return;
    const c = median(Float64Array.from(w, (p) => p.d - s * (p.t - t0)));
    let fit = 0;
    for (const p of w) if (Math.abs(p.d - s * (p.t - t0) - c) <= this.routeChangeMs / 2) fit++;
    if (fit < SHORT_FIT_SHARE * w.length) return;
    this.slope = s;
    this.rebased = true;
    // The long history was judged against the old trend (and probably cleared as route changes):
    // start it again on this one.
    this.windows = [];
  }
}
