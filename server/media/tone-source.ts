/**
 * Line-up tone: a phase-continuous sine at a set frequency and peak level, the same on every channel.
 *
 * An integer frequency at an integer rate repeats exactly every fs / gcd(f, fs) samples (48 at 1 kHz
 * and 48 kHz; at most fs), so its samples come from a table of one period in playback order, computed
 * once and shared by every tone of the same frequency, rate and level: a link then pays a copy instead
 * of a Math.sin per sample (a read is one slice of the table; for stereo and more, of an interleaved
 * copy of it made once per channel count). The table holds the very values the per-sample computation
 * gives (same formula, same positions), so both read the same. Other frequencies are computed per
 * sample.
 *
 * A read fills the source's own output array (allocated once, again only when the frame count
 * changes) and returns it: valid until the next read, as the AudioSource contract says.
 */
import { AcipError } from '../util/errors.js';
import { checkChannels } from './resampler.js';
import { AUDIO_SPEC_INVALID, DEFAULT_TONE_DBFS, DEFAULT_TONE_HZ } from './audio-spec-grammar.js';
import { AudioIoBase, type AudioSource, type AudioSourceStats } from './audio-io.js';

export interface ToneOptions {
  sampleRate: number;
  channels: number;
  frequencyHz?: number;
  /** Peak level in dBFS (a sine's RMS is 3.01 dB lower). */
  levelDbfs?: number;
}

/**
 * Frames a mono read can take as one copy out of the table: the table holds one period in playback
 * order followed by this many more samples, so any read of up to this length from any phase is one
 * contiguous slice (a memcpy), whatever the period.
 */
const UNROLLED_FRAMES = 4096;

interface PeriodTable {
  /** One period in playback order, then UNROLLED_FRAMES more samples. */
  samples: Float32Array;
  period: number;
  /** The same, interleaved for 2 or more channels (every channel alike), made on first use. */
  interleaved: Map<number, Float32Array>;
}

/** Tables by `rate:frequency:amplitude`, bounded (a new key past the bound starts the cache over). */
const PERIOD_TABLES = new Map<string, PeriodTable>();
const MAX_PERIOD_TABLES = 16;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Sample i of the tone is amplitude·sin(2π·((i·f) mod fs)/fs), the position the per-sample path reaches
 * after i steps; it repeats every fs / gcd(f, fs) samples. Null for a non-integer frequency or rate.
 */
function periodTable(fs: number, f: number, amplitude: number): PeriodTable | null {
  if (!Number.isInteger(f) || !Number.isInteger(fs)) return null;
  const key = `${fs}:${f}:${amplitude}`;
  let t = PERIOD_TABLES.get(key);
  if (!t) {
    const period = fs / gcd(f, fs);
    const k = (2 * Math.PI) / fs;
    const samples = new Float32Array(period + UNROLLED_FRAMES);
    for (let i = 0; i < period; i++) samples[i] = amplitude * Math.sin(k * ((i * f) % fs));
    for (let i = period; i < samples.length; i++) samples[i] = samples[i % period] as number;
    t = { samples, period, interleaved: new Map() };
    if (PERIOD_TABLES.size >= MAX_PERIOD_TABLES) PERIOD_TABLES.clear();
    PERIOD_TABLES.set(key, t);
  }
  return t;
}

function interleavedOf(t: PeriodTable, channels: number): Float32Array {
  let table = t.interleaved.get(channels);
  if (!table) {
    table = new Float32Array(t.samples.length * channels);
    for (let i = 0; i < t.samples.length; i++) table.fill(t.samples[i] as number, i * channels, (i + 1) * channels);
    t.interleaved.set(channels, table);
  }
  return table;
}

export class ToneSource extends AudioIoBase implements AudioSource {
  readonly kind = 'tone';
  readonly frequencyHz: number;
  readonly levelDbfs: number;
  private readonly amplitude: number;
  /**
   * Position within one period measured in "Hz·samples": advances by the frequency each sample
   * and wraps at the sample rate. For integer frequencies this is exact integer arithmetic, so the
   * phase never drifts however long the tone runs.
   */
  private pos = 0;
  private framesRead = 0;
  private readonly table: PeriodTable | null;
  /** Playback index into the table (0 ≤ idx < period). */
  private idx = 0;
  /** What `read` returns, refilled by each read. */
  private out = new Float32Array(0);

  constructor(opts: ToneOptions) {
    super(opts.sampleRate, opts.channels);
    checkChannels('channels', opts.channels);
    this.frequencyHz = opts.frequencyHz ?? DEFAULT_TONE_HZ;
    this.levelDbfs = opts.levelDbfs ?? DEFAULT_TONE_DBFS;
    if (!(this.frequencyHz > 0 && this.frequencyHz < opts.sampleRate / 2)) {
      throw new AcipError(
        AUDIO_SPEC_INVALID,
        `input: tone frequency ${this.frequencyHz} Hz is not below the Nyquist frequency (${opts.sampleRate / 2} Hz) of the link's ${opts.sampleRate} Hz rate`,
        'input',
      );
    }
    if (!(this.levelDbfs <= 0)) {
      throw new AcipError(AUDIO_SPEC_INVALID, `input: tone level ${this.levelDbfs} dBFS is above full scale`, 'input');
    }
    this.amplitude = 10 ** (this.levelDbfs / 20);
    this.table = periodTable(opts.sampleRate, this.frequencyHz, this.amplitude);
  }

  read(frames: number): Float32Array {
    this.framesRead += frames;
    return this.table ? this.readTable(frames, this.table) : this.readComputed(frames);
  }

  private readTable(frames: number, t: PeriodTable): Float32Array {
    const C = this.channels;
    const { samples, period } = t;
    const start = this.idx;
    this.idx = (start + frames) % period;
    const out = this.output(frames * C);
    if (frames <= UNROLLED_FRAMES) {
      // One copy out of the table (interleaved for several channels), no per-sample loop.
      const table = C === 1 ? samples : interleavedOf(t, C);
      out.set(table.subarray(start * C, (start + frames) * C));
      return out;
    }
    let i = start;
    for (let n = 0; n < frames; n++) {
      const v = samples[i] as number;
      for (let c = 0; c < C; c++) out[n * C + c] = v;
      if (++i === period) i = 0;
    }
    return out;
  }

  private readComputed(frames: number): Float32Array {
    const C = this.channels;
    const fs = this.sampleRate;
    const f = this.frequencyHz;
    const k = (2 * Math.PI) / fs;
    const out = this.output(frames * C);
    let pos = this.pos;
    for (let i = 0; i < frames; i++) {
      const v = this.amplitude * Math.sin(k * pos);
      for (let c = 0; c < C; c++) out[i * C + c] = v;
      pos += f;
      if (pos >= fs) pos -= fs;
    }
    this.pos = pos;
    return out;
  }

  /** The output array, `len` samples long: the same one every read of the same length. */
  private output(len: number): Float32Array {
    if (this.out.length !== len) this.out = new Float32Array(len);
    return this.out;
  }

  stats(): AudioSourceStats {
    return { kind: this.kind, framesRead: this.framesRead, underrunFrames: 0, droppedFrames: 0 };
  }

  close(): void {}
}
