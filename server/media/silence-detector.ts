/**
 * Silence detection for one link direction: the level stays below `thresholdDbfs` (default −60)
 * for `durationMs` (default 10 s) → 'silence'; audio back above the threshold (for `clearMs`,
 * default 0: at once) → 'silence-cleared'.
 *
 * No timers: time is the audio's own, advanced by each frame's duration (frames / sampleRate), so
 * the detector is exact and testable without a clock, and a stalled stream (no frames at all) is
 * the media session's "no media" timeout, not silence.
 *
 * Level of a frame: the RMS of each channel over the frame; the frame is silent when every
 * channel is below the threshold (one live channel means programme is present).
 */
import { TypedEmitter } from '../util/typed-emitter.js';
import { METER_FLOOR_DBFS } from './level-meter.js';

export interface SilenceEvent {
  /** Stream time (ms since the detector started) at which the silence began. */
  sinceMs: number;
  /** Stream time of the event. */
  atMs: number;
  /** How long it had been silent at the event. */
  silentMs: number;
}

export type SilenceDetectorEvents = {
  silence: [SilenceEvent];
  'silence-cleared': [SilenceEvent];
};

export interface SilenceDetectorOptions {
  sampleRate: number;
  channels: number;
  thresholdDbfs?: number;
  durationMs?: number;
  clearMs?: number;
}

export interface SilenceState {
  silent: boolean;
  /** Stream time processed, ms. */
  timeMs: number;
  /** Length of the current quiet stretch (0 while audio is present), ms. */
  quietMs: number;
  events: number;
  thresholdDbfs: number;
  durationMs: number;
}

export class SilenceDetector extends TypedEmitter<SilenceDetectorEvents> {
  readonly sampleRate: number;
  readonly channels: number;
  readonly thresholdDbfs: number;
  readonly durationMs: number;
  readonly clearMs: number;
  private timeMs = 0;
  private quietSince: number | undefined = 0;
  private loudSince: number | undefined;
  private silent = false;
  private events = 0;
  /**
   * The threshold as a mean square: a frame is quiet when its mean square is below it (or not a
   * number), which is `toDbfs(√ms) < thresholdDbfs` without a logarithm per frame. A threshold at
   * or below the meter's floor is never undercut (the floor is the lowest level toDbfs reads): -1.
   */
  private readonly quietBelowMs: number;

  constructor(opts: SilenceDetectorOptions) {
    super();
    this.sampleRate = opts.sampleRate;
    this.channels = opts.channels;
    this.thresholdDbfs = opts.thresholdDbfs ?? -60;
    this.durationMs = opts.durationMs ?? 10_000;
    this.clearMs = opts.clearMs ?? 0;
    this.quietBelowMs = this.thresholdDbfs > METER_FLOOR_DBFS ? 10 ** (this.thresholdDbfs / 10) : -1;
  }

  /** Feeds one interleaved frame; its duration is frames / sampleRate. */
  process(frame: Float32Array): void {
    const C = this.channels;
    const frames = Math.floor(frame.length / C);
    if (frames === 0) return;
    let loudest = 0;
    for (let c = 0; c < C; c++) {
      let sq = 0;
      for (let i = c; i < frames * C; i += C) sq += frame[i]! * frame[i]!;
      loudest = Math.max(loudest, sq / frames);
    }
    this.processMeanSquare(loudest, frames);
  }

  /**
   * A frame of `frames` sample frames whose loudest channel has this mean square (what a level
   * meter has already summed: `LevelMeter.process` returns it, so the media path sums once).
   */
  processMeanSquare(meanSquare: number, frames: number): void {
    if (frames === 0) return;
    const quiet = this.quietBelowMs < 0 ? false : !(meanSquare >= this.quietBelowMs);
    this.advance(quiet, (frames * 1000) / this.sampleRate);
  }

  /** The pure core: a stretch of `durationMs` audio at `levelDbfs`. */
  processLevel(levelDbfs: number, durationMs: number): void {
    this.advance(levelDbfs < this.thresholdDbfs, durationMs);
  }

  /** A stretch of `durationMs` audio, below the threshold or not. */
  private advance(quiet: boolean, durationMs: number): void {
    const start = this.timeMs;
    this.timeMs += durationMs;
    const end = this.timeMs;
    if (quiet) {
      this.loudSince = undefined;
      if (this.quietSince === undefined) this.quietSince = start;
      if (!this.silent && end - this.quietSince >= this.durationMs) {
        this.silent = true;
        this.events++;
        this.emit('silence', { sinceMs: this.quietSince, atMs: end, silentMs: end - this.quietSince });
      }
    } else {
      if (this.loudSince === undefined) this.loudSince = start;
      if (this.silent) {
        if (end - this.loudSince >= this.clearMs) {
          const since = this.quietSince ?? start;
          this.silent = false;
          this.events++;
          this.emit('silence-cleared', { sinceMs: since, atMs: end, silentMs: this.loudSince - since });
          this.quietSince = undefined;
        }
      } else {
        this.quietSince = undefined;
      }
    }
  }

  state(): SilenceState {
    return {
      silent: this.silent,
      timeMs: this.timeMs,
      quietMs: this.quietSince === undefined ? 0 : this.timeMs - this.quietSince,
      events: this.events,
      thresholdDbfs: this.thresholdDbfs,
      durationMs: this.durationMs,
    };
  }
}
