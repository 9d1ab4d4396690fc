/**
 * Time series for the per-link graphs: the last 10 minutes at the stats rate (1 Hz), held in a
 * fixed-capacity ring so a link that stays up for a week uses the same memory as one up for a minute.
 * `columns()` gives uPlot's aligned-data layout: [times (s), series0, series1, …].
 */
import type { LinkSnapshot } from './api-types.js';

export const GRAPH_WINDOW_S = 600;

export class TimeRing {
  private readonly t: Float64Array;
  private readonly v: Float64Array[];
  private start = 0;
  private count = 0;

  /** `capacity` points of `width` values each; points older than `windowS` before the newest are dropped. */
  constructor(
    readonly width: number,
    readonly windowS = GRAPH_WINDOW_S,
    readonly capacity = windowS * 2 + 8,
  ) {
    this.t = new Float64Array(capacity);
    this.v = Array.from({ length: width }, () => new Float64Array(capacity));
  }

  get length(): number {
    return this.count;
  }

  /** Append a point at time `tS` (seconds). NaN stands for "no value" (a gap in the graph). */
  push(tS: number, values: readonly (number | null)[]): void {
    if (this.count > 0 && tS < this.newestTime()) return; // time never runs backwards on a graph
    const i = (this.start + this.count) % this.capacity;
    this.t[i] = tS;
    for (let k = 0; k < this.width; k++) {
      const x = values[k];
      this.v[k]![i] = x === null || x === undefined || !Number.isFinite(x) ? NaN : x;
    }
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
    this.prune(tS - this.windowS);
  }

  private newestTime(): number {
    return this.t[(this.start + this.count - 1) % this.capacity]!;
  }

  /** Drop points older than `cutoffS`. */
  prune(cutoffS: number): void {
    while (this.count > 0 && this.t[this.start]! < cutoffS) {
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
  }

  /** uPlot aligned data; NaN values become null (uPlot draws a gap). */
  columns(): [number[], ...(number | null)[][]] {
    const times: number[] = new Array(this.count);
    const series: (number | null)[][] = this.v.map(() => new Array(this.count));
    for (let j = 0; j < this.count; j++) {
      const i = (this.start + j) % this.capacity;
      times[j] = this.t[i]!;
      for (let k = 0; k < this.width; k++) {
        const x = this.v[k]![i]!;
        series[k]![j] = Number.isNaN(x) ? null : x;
      }
    }
    return [times, ...series];
  }
}

/** Increase of a cumulative counter; a counter that went down was reset (a new call after redial). */
export function counterDelta(prev: number | undefined, cur: number): number {
  if (prev === undefined) return 0;
  return cur >= prev ? cur - prev : cur;
}

/**
 * The three graphs of a link: buffer delay vs jitter; lost / late / concealed packets
 * per interval; RTT. Fed with every stats snapshot.
 */
export class LinkSeries {
  readonly buffer = new TimeRing(2); // [bufferMs, jitterMs]
  readonly losses = new TimeRing(3); // [lost, late, concealed] packets per interval
  readonly rtt = new TimeRing(1); // [rttMs]
  private prev: { lost: number; late: number; concealedMs: number } | undefined;

  feed(s: LinkSnapshot, tS: number): void {
    if (s.state !== 'connected' || !s.rx) {
      this.prev = undefined;
      return;
    }
    const rx = s.rx;
    this.buffer.push(tS, [rx.bufferMs, rx.jitterMs]);
    const ptime = s.codec?.ptimeMs && s.codec.ptimeMs > 0 ? s.codec.ptimeMs : 20;
    const p = this.prev;
    this.losses.push(tS, [
      counterDelta(p?.lost, rx.lost),
      counterDelta(p?.late, rx.late),
      Math.round(counterDelta(p?.concealedMs, rx.concealedMs) / ptime),
    ]);
    this.prev = { lost: rx.lost, late: rx.late, concealedMs: rx.concealedMs };
    this.rtt.push(tS, [s.rttMs]);
  }
}
