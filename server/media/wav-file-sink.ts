/**
 * Records a link's audio to a streamed WAV file (see StreamingWavWriter): valid at every
 * moment, so a killed process leaves a playable file. 24-bit by default so L24 stays bit-exact.
 * A write error (disk full) raises `error` once and drops later frames (counted).
 *
 * A WAV file cannot hold more than 4 GiB of audio (about 4 h 8 min of 48 kHz stereo 24-bit), so a
 * longer recording continues seamlessly in `NAME-part2.wav`, `NAME-part3.wav`, ... (`files` lists them).
 */
import { AcipError } from '../util/errors.js';
import { StreamingWavWriter, type WavWriteDepth, type WavWriterOptions } from './wav.js';
import { AudioIoBase, type AudioSink, type AudioSinkStats } from './audio-io.js';

/** The writer's options, applied to every file of the recording (`maxDataBytes` is per file). */
export type WavFileSinkOptions = WavWriterOptions;

export class WavFileSink extends AudioIoBase implements AudioSink {
  readonly kind = 'file';
  readonly path: string;
  private writer: StreamingWavWriter;
  private readonly opts: WavFileSinkOptions;
  /** Every file of this recording, first to last. */
  readonly files: string[] = [];
  private failed = false;
  private framesWritten = 0;
  private droppedFrames = 0;

  constructor(path: string, opts: WavFileSinkOptions) {
    super(opts.sampleRate, opts.channels);
    this.path = path;
    this.opts = opts;
    this.writer = new StreamingWavWriter(path, opts);
    this.files.push(path);
  }

  private nextPart(): void {
    this.writer.close();
    const name = this.path.replace(/(\.wav)$/i, `-part${this.files.length + 1}$1`);
    this.writer = new StreamingWavWriter(name, this.opts);
    this.files.push(name);
  }

  get bitDepth(): WavWriteDepth {
    return this.writer.bitDepth;
  }

  /** Frames on disk and covered by the header, in the current file. */
  get framesCommitted(): number {
    return this.writer.framesCommitted;
  }

  write(frame: Float32Array): void {
    const frames = frame.length / this.channels;
    if (this.failed || this.writer.closed) {
      this.droppedFrames += frames;
      return;
    }
    try {
      let off = 0;
      while (off < frames) {
        if (this.writer.framesFree === 0) this.nextPart();
        const n = Math.min(frames - off, this.writer.framesFree);
        this.writer.write(frame.subarray(off * this.channels, (off + n) * this.channels));
        off += n;
      }
      this.framesWritten += frames;
    } catch (e) {
      this.failed = true;
      this.droppedFrames += frames;
      this.emit('error', new AcipError('WAV_WRITE_FAILED', `${this.path}: write failed (${(e as Error).message})`, 'output', { cause: e }));
    }
  }

  /** Flushes buffered audio and updates the header now. */
  flush(): void {
    if (!this.failed) this.writer.flush();
  }

  stats(): AudioSinkStats {
    return {
      kind: this.kind,
      framesWritten: this.framesWritten,
      droppedFrames: this.droppedFrames + this.writer.framesDroppedAtLimit,
    };
  }

  close(): void {
    try {
      this.writer.close();
    } catch (e) {
      if (!this.failed) {
        this.failed = true;
        this.emit('error', new AcipError('WAV_WRITE_FAILED', `${this.path}: close failed (${(e as Error).message})`, 'output', { cause: e }));
      }
    }
  }
}
