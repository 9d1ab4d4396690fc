/**
 * Histogram of relative packet delay (arrival delay above the transit floor) with exponential
 * forgetting, for the adaptive jitter buffer's target delay. The idea is NetEQ's delay histogram:
 * the target is a high quantile of recent relative delays, so that a given fraction of packets
 * arrives in time; forgetting lets the target come down again once the network calms.
 *
 * Forgetting without touching every bin per sample: each new sample weighs 1/f times the previous
 * one, and the whole table is renormalised when weights grow large.
 *
 * Start-up (NetEQ's "start forget weight" idea): the first samples are few, so a handful of outliers
 * (a sender draining its queue at start, the receiving process busy while a call is set up) would be
 * more than 1 − q of the weight and hold the target high until the long-term forgetting dilutes them
 * (tens of seconds). With `startWeight` w > 0 the n-th sample uses the factor min(f, n / (n + w)),
 * under which a sample k samples old weighs about (n0 / n)^w: the early outliers fade within a second
 * or two. The ramp only covers the first `startSamples` samples (about 2 s of packets); after that the
 * factor is f at once, so that the steady state keeps its full memory (a shorter one would make a
 * cluster of delay spikes weigh more and hold the target higher).
 */
export class DelayHistogram {
  private readonly bins: Float64Array;
  private total = 0;
  private weight = 1;
  private pendingShiftMs = 0;
  private count = 0;

  /**
   * @param binMs width of one bin
   * @param rangeMs delays at or above this land in the last bin
   * @param forget per-sample forgetting factor in (0, 1): the weight of a sample k samples old is f^k
   */
  constructor(
    private readonly binMs: number,
    rangeMs: number,
    private readonly forget: number,
    private readonly startWeight = 0,
    private readonly startSamples = 0,
  ) {
    this.bins = new Float64Array(Math.max(2, Math.ceil(rangeMs / binMs) + 1));
  }

  get sampleWeight(): number {
    return this.total;
  }

  add(delayMs: number): void {
    this.count++;
    const f = this.startWeight > 0 && this.count <= this.startSamples ? Math.min(this.forget, this.count / (this.count + this.startWeight)) : this.forget;
    this.weight /= f;
    if (this.weight > 1e200) this.renormalise();
    const i = Math.min(this.bins.length - 1, Math.max(0, Math.floor(delayMs / this.binMs)));
    this.bins[i] = (this.bins[i] as number) + this.weight;
    this.total += this.weight;
  }

  /**
   * Move every stored sample by `deltaMs` (negative: the floor rose, so the old samples are now less
   * late relative to it). Samples are clamped into the table's range. Fractions of a bin accumulate.
   */
  shift(deltaMs: number): void {
    this.pendingShiftMs += deltaMs;
    const k = Math.trunc(this.pendingShiftMs / this.binMs);
    if (k === 0) return;
    this.pendingShiftMs -= k * this.binMs;
    const n = this.bins.length;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const j = Math.min(n - 1, Math.max(0, i + k));
      out[j] = (out[j] as number) + (this.bins[i] as number);
    }
    this.bins.set(out);
  }

  /** Smallest delay d such that at most (1 − q) of the weight lies above d (upper edge of a bin). */
  quantile(q: number): number {
    if (this.total <= 0) return 0;
    const allowed = (1 - q) * this.total;
    let above = 0;
    for (let i = this.bins.length - 1; i >= 0; i--) {
      const b = this.bins[i] as number;
      if (above + b > allowed) return (i + 1) * this.binMs;
      above += b;
    }
    return 0;
  }

  /**
   * Take in every sample of `other` with the recency it has there (both tables must have the same bin
   * width and size): how an episode's samples join the long-term table once they are the new normal.
   */
  absorb(other: DelayHistogram): void {
    if (other.bins.length !== this.bins.length || other.binMs !== this.binMs) throw new RangeError('histograms differ in shape');
    if (other.total <= 0) return;
    const k = this.weight / other.weight;
    for (let i = 0; i < this.bins.length; i++) this.bins[i] = (this.bins[i] as number) + (other.bins[i] as number) * k;
    this.total += other.total * k;
  }

  /**
   * Quantile of the union of `tables` (same shape), each sample weighted by its recency in its own
   * table: as if all samples were in one table. `minSamples`: the tail allowed above the quantile is
   * at least 1 − q of this many samples (of the newest one's weight), so that while the tables are
   * young a single burst of late packets cannot be most of the tail (see jb-target-controller.ts).
   */
  static quantileOf(tables: readonly DelayHistogram[], q: number, minSamples = 0): number {
    const first = tables[0];
    if (!first) return 0;
    let total = 0;
    for (const t of tables) total += t.total / t.weight;
    if (total <= 0) return 0;
    const allowed = (1 - q) * Math.max(total, minSamples);
    let above = 0;
    for (let i = first.bins.length - 1; i >= 0; i--) {
      let b = 0;
      for (const t of tables) b += (t.bins[i] as number) / t.weight;
      if (above + b > allowed) return (i + 1) * first.binMs;
      above += b;
    }
    return 0;
  }

  reset(): void {
    this.bins.fill(0);
    this.total = 0;
    this.weight = 1;
    this.pendingShiftMs = 0;
    this.count = 0;
  }

  private renormalise(): void {
    const w = this.weight;
    for (let i = 0; i < this.bins.length; i++) this.bins[i] = (this.bins[i] as number) / w;
    this.total /= w;
    this.weight = 1;
  }
}
