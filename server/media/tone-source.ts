/** Line-up tone: a phase-continuous sine at a set frequency and peak level, the same on every channel. */
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
  }

  read(frames: number): Float32Array {
    const C = this.channels;
    const fs = this.sampleRate;
    const f = this.frequencyHz;
    const k = (2 * Math.PI) / fs;
    const out = new Float32Array(frames * C);
    let pos = this.pos;
    for (let i = 0; i < frames; i++) {
      const v = this.amplitude * Math.sin(k * pos);
      for (let c = 0; c < C; c++) out[i * C + c] = v;
      pos += f;
      if (pos >= fs) pos -= fs;
    }
    this.pos = pos;
    this.framesRead += frames;
    return out;
  }

  stats(): AudioSourceStats {
    return { kind: this.kind, framesRead: this.framesRead, underrunFrames: 0, droppedFrames: 0 };
  }

  close(): void {}
}
