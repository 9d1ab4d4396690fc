/**
 * Level-meter arithmetic, independent of how often meter messages arrive (10 Hz) and how often
 * the canvas is drawn (requestAnimationFrame): the meter keeps the latest level per channel and
 * derives what to draw from it and the time.
 *
 * Ballistics follow a peak-programme meter: the bar rises at once and falls at 20 dB per 1.7 s
 * (EBU Tech 3205 / IEC 60268-10 Type I return time); the peak marker holds for PEAK_HOLD_MS and
 * then decays. The scale is −60…0 dBFS; −18 dBFS is EBU R68 alignment level, −9 dBFS the
 * permitted maximum (EBU R128 s1 / Tech 3341 practice), 0 dBFS clips.
 */
export const METER_FLOOR_DB = -60;
export const METER_CEIL_DB = 0;
export const ALIGNMENT_DB = -18;
export const PERMITTED_MAX_DB = -9;
/** A sample at or above this is counted as a clip. */
export const CLIP_DB = -0.1;

export const BAR_FALL_DB_PER_S = 20 / 1.7;
export const PEAK_HOLD_MS = 1500;
export const PEAK_DECAY_DB_PER_S = 20;
export const CLIP_HOLD_MS = 3000;

/** dBFS (null = −∞) → fraction of the bar's length, 0…1, linear in dB over the meter's scale. */
export function dbToFraction(db: number | null | undefined, floor = METER_FLOOR_DB, ceil = METER_CEIL_DB): number {
  if (db === null || db === undefined || Number.isNaN(db) || db <= floor) return 0;
  if (db >= ceil) return 1;
  return (db - floor) / (ceil - floor);
}

/** dBFS → bar height in pixels for a bar `heightPx` tall (rounded to whole pixels). */
export function dbToBarPx(db: number | null | undefined, heightPx: number): number {
  return Math.round(dbToFraction(db) * heightPx);
}

export type LevelZone = 'low' | 'nominal' | 'high' | 'clip';

export function levelZone(db: number): LevelZone {
  if (db >= CLIP_DB) return 'clip';
  if (db > PERMITTED_MAX_DB) return 'high';
  if (db > ALIGNMENT_DB) return 'nominal';
  return 'low';
}

/** One channel's displayed state: the falling bar, the held peak, and the clip light. */
export class ChannelBallistics {
  private bar = -Infinity;
  private peak = -Infinity;
  private peakAt = -Infinity;
  private clipAt = -Infinity;
  private lastStep: number | null = null;

  /** A new reading arrives (dBFS, null = −∞). `clipped` is true when the server counted new clips. */
  feed(db: number | null, nowMs: number, clipped = false): void {
    this.step(nowMs);
    const v = db === null ? -Infinity : db;
    if (v > this.bar) this.bar = v; // instant rise
    if (v >= this.peak) {
      this.peak = v;
      this.peakAt = nowMs;
    }
    if (clipped || v >= CLIP_DB) this.clipAt = nowMs;
  }

  /** Advance the fall of the bar and the decay of the held peak to `nowMs`. */
  step(nowMs: number): void {
    const last = this.lastStep ?? nowMs;
    const dt = Math.max(0, nowMs - last) / 1000;
    this.lastStep = Math.max(last, nowMs);
    if (dt === 0) return;
    if (this.bar > -Infinity) {
      this.bar -= BAR_FALL_DB_PER_S * dt;
      if (this.bar < METER_FLOOR_DB) this.bar = -Infinity;
    }
    if (this.peak > -Infinity) {
      const decayStart = this.peakAt + PEAK_HOLD_MS;
      const decayFrom = Math.max(decayStart, last);
      const decayS = Math.max(0, nowMs - decayFrom) / 1000;
      if (decayS > 0) this.peak -= PEAK_DECAY_DB_PER_S * decayS;
      if (this.peak < this.bar) this.peak = this.bar;
      if (this.peak < METER_FLOOR_DB) this.peak = -Infinity;
    }
  }

  get barDb(): number {
    return this.bar;
  }

  get peakDb(): number {
    return this.peak;
  }

  clipLit(nowMs: number): boolean {
    return nowMs - this.clipAt < CLIP_HOLD_MS;
  }

  /** Clear the clip light (the engineer clicked it). */
  resetClip(): void {
    this.clipAt = -Infinity;
  }
}
