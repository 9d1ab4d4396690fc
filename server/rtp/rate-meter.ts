/**
 * Bit-rate estimate over a sliding window, from octet counts stamped with monotonic ms.
 * Constant memory: the window is split into a fixed number of buckets.
 */
export class RateMeter {
  private readonly buckets: Float64Array;
  private readonly bucketMs: number;
  /** Index (time / bucketMs, floored) of the newest bucket written. */
  private head = -1;
  private firstMs = 0;

  constructor(
    private readonly windowMs = 2000,
    bucketCount = 8,
  ) {
    this.buckets = new Float64Array(bucketCount);
    this.bucketMs = windowMs / bucketCount;
  }

  private roll(nowMs: number): number {
    const idx = Math.floor(nowMs / this.bucketMs);
    if (this.head < 0) {
      this.head = idx;
      this.firstMs = nowMs;
    }
    const n = this.buckets.length;
    if (idx > this.head) {
      const steps = Math.min(n, idx - this.head);
      for (let i = 1; i <= steps; i++) this.buckets[(this.head + i) % n] = 0;
      this.head = idx;
    }
    return idx;
  }

  add(nowMs: number, octets: number): void {
    this.roll(nowMs);
    // Late stamps (a caller's clock behind another's) land in the newest bucket.
    const slot = this.head % this.buckets.length;
    this.buckets[slot] = (this.buckets[slot] ?? 0) + octets;
  }

  /** Bits per second over the window ending now (0 before anything was added). */
  bitsPerSecond(nowMs: number): number {
    if (this.head < 0) return 0;
    this.roll(nowMs);
    let sum = 0;
    for (const b of this.buckets) sum += b;
    // The newest bucket is partly filled: divide by the time the buckets actually cover, and by
    // no less than one bucket so that the first packet does not read as a huge rate.
    const covered = (this.buckets.length - 1) * this.bucketMs + (nowMs - this.head * this.bucketMs);
    const span = Math.max(this.bucketMs, Math.min(covered, nowMs - this.firstMs));
    return (sum * 8 * 1000) / span;
  }
}
