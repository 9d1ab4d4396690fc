/**
 * Transit floor and clock-drift estimation for the jitter buffer.
 *
 * Input: for every packet, its local arrival time t and its relative transit d = t − mediaTime, where
 * mediaTime is the packet's RTP timestamp in ms on the sender's nominal clock (any constant offset).
 * With a sender clock off by ε (ppm), d has a linear trend of slope ε·1e-6 ms per ms; jitter only ever
 * adds to the fastest (floor) transit. So:
 * - the floor is the minimum of d over recent blocks, each block minimum carried forward to "now" along
 *   the drift trend (so a +100 ppm trend does not lag by the window length);
 * - the drift is the robust slope (Theil–Sen: median of pairwise slopes) of per-window minima over a
 *   long history. Minima ignore jitter; the median ignores the odd window spoilt by a route change.
 *
 * Sign convention: driftPpm > 0 means packets arrive progressively later, i.e. the sender's media clock
 * runs slower than ours (we must insert samples to keep the buffer level); < 0: it runs faster.
 *
 * A sudden shift of the floor (route change, e.g. +80 ms) is not drift: when the floor moves by more
 * than `routeChangeMs` at once, the regression history is cleared (the estimate is kept).
 */

export interface DriftEstimatorOptions {
  /** Floor block length (ms). */
  blockMs?: number;
  /** Number of complete blocks the floor looks back over. */
  floorBlocks?: number;
  /** Length of one regression window (ms); its minimum is one regression point. */
  windowMs?: number;
  /** Regression points kept (history = windowMs · maxWindows). */
  maxWindows?: number;
  /** Points needed before an estimate is published. */
  minWindows?: number;
  /** Estimates beyond this magnitude are not credible and are ignored (default 300). */
  maxPpm?: number;
  /** A jump of the floor larger than this is a route change. */
  routeChangeMs?: number;
}

interface MinPoint {
  t: number;
  d: number;
}

export class DriftEstimator {
  private readonly blockMs: number;
  private readonly floorBlocks: number;
  private readonly windowMs: number;
  private readonly maxWindows: number;
  private readonly minWindows: number;
  private readonly maxPpm: number;
  private readonly routeChangeMs: number;

  private blocks: MinPoint[] = [];
  private curBlock: MinPoint | undefined;
  private curBlockStart = 0;
  private windows: MinPoint[] = [];
  private curWin: MinPoint | undefined;
  private curWinStart = 0;
  private slope = 0; // ms per ms
  private floorT = 0;
  private floorV: number | undefined;
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
    this.maxPpm = opts.maxPpm ?? 300;
    this.routeChangeMs = opts.routeChangeMs ?? 15;
  }

  get driftPpm(): number {
    return this.slope * 1e6;
  }

  /** Floor (minimum transit) expected at local time `t`. Undefined before the first sample. */
  floorAt(t: number): number | undefined {
    return this.floorV === undefined ? undefined : this.floorV + this.slope * (t - this.floorT);
  }

  private lastT = 0;

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
      this.curBlock = { t, d };
    }
    // Regression windows.
    if (this.curWin === undefined) {
      this.curWinStart = t;
      this.curWin = { t, d };
    } else if (t - this.curWinStart >= this.windowMs) {
      const prev = this.windows[this.windows.length - 1];
      if (prev && Math.abs(this.curWin.d - prev.d) > this.routeChangeMs) {
        // Adjacent window minima this far apart are a level shift (route change), not drift:
        // start the history again from here.
        this.routeChanges++;
        this.windows = [];
      }
      this.windows.push(this.curWin);
      if (this.windows.length > this.maxWindows) this.windows.shift();
      this.curWinStart = t;
      this.curWin = { t, d };
      this.reestimate();
    } else if (d < this.curWin.d) {
      this.curWin = { t, d };
    }
    this.recomputeFloor();
  }

  reset(): void {
    this.blocks = [];
    this.curBlock = undefined;
    this.windows = [];
    this.curWin = undefined;
    this.floorV = undefined;
    this.lastJumpMs = 0;
  }

  private recomputeFloor(): void {
    const t = this.lastT;
    let f = Infinity;
    for (const b of this.blocks) f = Math.min(f, b.d + this.slope * (t - b.t));
    if (this.curBlock) f = Math.min(f, this.curBlock.d + this.slope * (t - this.curBlock.t));
    const predicted = this.floorAt(t);
    this.floorV = f;
    this.floorT = t;
    this.lastJumpMs = predicted === undefined ? 0 : f - predicted;
    if (Math.abs(this.lastJumpMs) > this.routeChangeMs) {
      // Route change: history before it would read as a huge slope. Keep the current window only.
      this.routeChanges++;
      this.windows = [];
      if (this.curWin && this.curBlock) this.curWin = { t: this.curBlock.t, d: this.curBlock.d };
    }
  }

  private reestimate(): void {
    const w = this.windows;
    if (w.length < this.minWindows) return;
    // Pairs at least half the history apart (≈ m²/8 of them): the long baselines carry the slope,
    // and the cost stays small (Theil–Sen restricted to distant pairs).
    const slopes: number[] = [];
    const half = Math.max(1, Math.floor(w.length / 2));
    for (let i = 0; i + half < w.length; i++) {
      const a = w[i] as MinPoint;
      for (let j = i + half; j < w.length; j++) {
        const b = w[j] as MinPoint;
        const dt = b.t - a.t;
        if (dt > 0) slopes.push((b.d - a.d) / dt);
      }
    }
    if (slopes.length === 0) return;
    slopes.sort((x, y) => x - y);
    const m = slopes.length >> 1;
    const med = slopes.length % 2 ? (slopes[m] as number) : ((slopes[m - 1] as number) + (slopes[m] as number)) / 2;
    // Beyond maxPpm the estimate is not credible (a level shift inside the history): keep the last one.
    if (Math.abs(med) <= this.maxPpm * 1e-6) this.slope = med;
  }
}
