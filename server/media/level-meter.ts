/**
 * Per-channel level meter for one link direction: peak and RMS in dBFS over consecutive windows
 * (default 100 ms, i.e. 10 readings a second), a decaying peak hold, and a clip counter.
 *
 * Definitions (documented here because meters differ):
 * - Peak: the largest |sample| in the window (sample peak, not true/inter-sample peak), as 20·log10.
 * - RMS: sqrt(mean of squares) over the window, as 20·log10. A full-scale sine reads 0 dBFS peak and
 *   −3.01 dBFS RMS (this is not the AES17 convention, which adds 3.01 dB to RMS of sines).
 * - Levels below METER_FLOOR_DBFS (−120 dBFS; digital silence included) read as the floor, so the
 *   snapshot is plain JSON (no −Infinity).
 * - Peak hold: the highest window peak, held for `holdMs` (default 1 s), then falling at
 *   `decayDbPerSecond` (default 20 dB/s, PPM-like) until a new peak exceeds it.
 * - Clip: a sample with |x| ≥ 10^(clipDbfs/20), clipDbfs default −0.1 dBFS (0.98855): a decoder or
 *   resampler overshoot of a full-scale signal is counted, not only samples pinned at ±1.
 *   `clipSamples` counts such samples; `clipEvents` counts runs of consecutive clipped samples on a
 *   channel (a run that spans frames is one event).
 *
 * Windows are counted in samples, not by timers: readings follow the audio's own clock.
 */
import { TypedEmitter } from '../util/typed-emitter.js';

export const METER_FLOOR_DBFS = -120;

export interface ChannelLevel {
  peakDbfs: number;
  rmsDbfs: number;
  peakHoldDbfs: number;
  clipSamples: number;
  clipEvents: number;
}

export interface LevelSnapshot {
  /** One entry per channel, from the last complete window. */
  channels: ChannelLevel[];
  /** Complete windows so far. */
  windows: number;
  windowMs: number;
  /** Total clipped samples and clip events over all channels. */
  clipSamples: number;
  clipEvents: number;
}

export interface LevelMeterOptions {
  sampleRate: number;
  channels: number;
  windowMs?: number;
  holdMs?: number;
  decayDbPerSecond?: number;
  clipDbfs?: number;
}

export type LevelMeterEvents = { reading: [LevelSnapshot] };

export function toDbfs(linear: number): number {
  if (!(linear > 0)) return METER_FLOOR_DBFS;
  return Math.max(METER_FLOOR_DBFS, 20 * Math.log10(linear));
}

export class LevelMeter extends TypedEmitter<LevelMeterEvents> {
  readonly sampleRate: number;
  readonly channels: number;
  readonly windowMs: number;
  private readonly windowFrames: number;
  private readonly holdWindows: number;
  private readonly decayPerWindow: number;
  private readonly clipLevel: number;
  // Current window accumulators.
  private inWindow = 0;
  private readonly accPeak: Float64Array;
  private readonly accSq: Float64Array;
  /** Sum of squares per channel of the frame being processed. */
  private readonly frameSq: Float64Array;
  private readonly clipping: Uint8Array; // last sample of each channel was clipped
  // Results.
  private readonly clipSamples: Float64Array;
  private readonly clipEvents: Float64Array;
  private readonly holdDb: Float64Array;
  private readonly holdAge: Float64Array;
  private last: ChannelLevel[];
  private windows = 0;

  constructor(opts: LevelMeterOptions) {
    super();
    this.sampleRate = opts.sampleRate;
    this.channels = opts.channels;
    this.windowMs = opts.windowMs ?? 100;
    this.windowFrames = Math.max(1, Math.round((this.windowMs * opts.sampleRate) / 1000));
    this.holdWindows = Math.round((opts.holdMs ?? 1000) / this.windowMs);
    this.decayPerWindow = ((opts.decayDbPerSecond ?? 20) * this.windowMs) / 1000;
    this.clipLevel = 10 ** ((opts.clipDbfs ?? -0.1) / 20);
    const C = opts.channels;
    this.accPeak = new Float64Array(C);
    this.accSq = new Float64Array(C);
    this.frameSq = new Float64Array(C);
    this.clipping = new Uint8Array(C);
    this.clipSamples = new Float64Array(C);
    this.clipEvents = new Float64Array(C);
    this.holdDb = new Float64Array(C).fill(METER_FLOOR_DBFS);
    this.holdAge = new Float64Array(C);
    this.last = Array.from({ length: C }, () => ({
      peakDbfs: METER_FLOOR_DBFS,
      rmsDbfs: METER_FLOOR_DBFS,
      peakHoldDbfs: METER_FLOOR_DBFS,
      clipSamples: 0,
      clipEvents: 0,
    }));
  }

  /**
   * Feeds one interleaved frame of any length. Returns the mean square of its loudest channel (0 for
   * an empty frame), for the silence detector that watches the same audio.
   */
  process(frame: Float32Array): number {
    const C = this.channels;
    const frames = Math.floor(frame.length / C);
    const clip = this.clipLevel;
    const frameSq = this.frameSq;
    frameSq.fill(0);
    let f = 0;
    while (f < frames) {
      const n = Math.min(frames - f, this.windowFrames - this.inWindow);
      // Peaks and squares first, with no per-sample clip branch; the clip count runs only over a
      // stretch whose peak reaches the clip level (rare: a clean signal never takes that path).
      if (C === 2) this.scanStereo(frame, f, n);
      else for (let c = 0; c < C; c++) this.scanChannel(frame, f, n, c);
      for (let c = 0; c < C; c++) {
        if (this.accPeak[c]! >= clip) this.countClips(frame, f, n, c);
        else this.clipping[c] = 0;
      }
      f += n;
      this.inWindow += n;
      if (this.inWindow === this.windowFrames) this.closeWindow();
    }
    let loudest = 0;
    for (let c = 0; c < C; c++) loudest = Math.max(loudest, frameSq[c]!);
    return frames > 0 ? loudest / frames : 0;
  }

  /** Peak and squares of channel `c` over frames [f, f + n). */
  private scanChannel(frame: Float32Array, f: number, n: number, c: number): void {
    const C = this.channels;
    let pk = this.accPeak[c]!;
    let sq = this.accSq[c]!;
    let fsq = this.frameSq[c]!;
    const end = (f + n) * C;
    for (let i = f * C + c; i < end; i += C) {
      const v = frame[i]!;
      const a = v < 0 ? -v : v;
      if (a > pk) pk = a;
      const s = v * v;
      sq += s;
      fsq += s;
    }
    this.accPeak[c] = pk;
    this.accSq[c] = sq;
    this.frameSq[c] = fsq;
  }

  /** Both channels of a stereo stretch in one pass (the usual programme format); sums as scanChannel's. */
  private scanStereo(frame: Float32Array, f: number, n: number): void {
    let pkL = this.accPeak[0]!;
    let pkR = this.accPeak[1]!;
    let sqL = this.accSq[0]!;
    let sqR = this.accSq[1]!;
    let fsqL = this.frameSq[0]!;
    let fsqR = this.frameSq[1]!;
    const end = (f + n) * 2;
    for (let i = f * 2; i < end; i += 2) {
      const l = frame[i]!;
      const r = frame[i + 1]!;
      const al = l < 0 ? -l : l;
      const ar = r < 0 ? -r : r;
      if (al > pkL) pkL = al;
      if (ar > pkR) pkR = ar;
      const sl = l * l;
      const sr = r * r;
      sqL += sl;
      sqR += sr;
      fsqL += sl;
      fsqR += sr;
    }
    this.accPeak[0] = pkL;
    this.accPeak[1] = pkR;
    this.accSq[0] = sqL;
    this.accSq[1] = sqR;
    this.frameSq[0] = fsqL;
    this.frameSq[1] = fsqR;
  }

  /** Clipped samples and runs of channel `c` over frames [f, f + n). */
  private countClips(frame: Float32Array, f: number, n: number, c: number): void {
    const C = this.channels;
    const clip = this.clipLevel;
    let clipping = this.clipping[c]!;
    let cs = 0;
    let ce = 0;
    const end = (f + n) * C;
    for (let i = f * C + c; i < end; i += C) {
      const v = frame[i]!;
      if ((v < 0 ? -v : v) >= clip) {
        cs++;
        if (!clipping) ce++;
        clipping = 1;
      } else clipping = 0;
    }
    this.clipping[c] = clipping;
    this.clipSamples[c]! += cs;
    this.clipEvents[c]! += ce;
  }

  private closeWindow(): void {
    const C = this.channels;
    // The readings are rewritten in place (no objects per window): `snapshot` hands out copies.
    const out = this.last;
    for (let c = 0; c < C; c++) {
      const peakDbfs = toDbfs(this.accPeak[c]!);
      const rmsDbfs = toDbfs(Math.sqrt(this.accSq[c]! / this.windowFrames));
      if (peakDbfs >= this.holdDb[c]!) {
        this.holdDb[c] = peakDbfs;
        this.holdAge[c] = 0;
      } else if (++this.holdAge[c]! > this.holdWindows) {
        this.holdDb[c] = Math.max(peakDbfs, this.holdDb[c]! - this.decayPerWindow);
      }
      const l = out[c]!;
      l.peakDbfs = peakDbfs;
      l.rmsDbfs = rmsDbfs;
      l.peakHoldDbfs = this.holdDb[c]!;
      l.clipSamples = this.clipSamples[c]!;
      l.clipEvents = this.clipEvents[c]!;
      this.accPeak[c] = 0;
      this.accSq[c] = 0;
    }
    this.inWindow = 0;
    this.windows++;
    if (this.listenerCount('reading') > 0) this.emit('reading', this.snapshot());
  }

  /** The last complete window's reading (a fresh plain object). */
  snapshot(): LevelSnapshot {
    let clipSamples = 0;
    let clipEvents = 0;
    for (let c = 0; c < this.channels; c++) {
      clipSamples += this.clipSamples[c]!;
      clipEvents += this.clipEvents[c]!;
    }
    return {
      channels: this.last.map((l) => ({ ...l, clipSamples: l.clipSamples, clipEvents: l.clipEvents })),
      windows: this.windows,
      windowMs: this.windowMs,
      clipSamples,
      clipEvents,
    };
  }
}
