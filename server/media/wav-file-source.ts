/**
 * A WAV file played in a loop, converted to the link's rate and channel count.
 *
 * The file is streamed from disk in small synchronous reads (a few kB per frame, served from
 * the page cache after the first pass), so an hour-long file costs no more memory than a
 * short one. Looping feeds the resampler continuously, so the only discontinuity at the loop
 * point is the one in the file itself.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AcipError } from '../util/errors.js';
import { mapChannels, Resampler } from './resampler.js';
import { decodeWavSamples, scanWav, type WavInfo } from './wav.js';
import { AudioIoBase, type AudioSource, type AudioSourceStats } from './audio-io.js';

export interface WavFileSourceOptions {
  sampleRate: number;
  channels: number;
  /** Play once and then silence instead of looping (default false: loop). */
  once?: boolean;
}

const CHUNK_FRAMES = 1024;

export class WavFileSource extends AudioIoBase implements AudioSource {
  readonly kind = 'file';
  readonly path: string;
  readonly info: WavInfo;
  private fd: number | undefined;
  private readonly playOnce: boolean;
  private filePos = 0; // frames
  private ended = false;
  private readonly resampler: Resampler;
  private readonly midChannels: number;
  private fifo: Float32Array;
  private fifoFrames = 0;
  private framesRead = 0;
  /** Completed passes through the file. */
  loops = 0;

  constructor(path: string, opts: WavFileSourceOptions) {
    super(opts.sampleRate, opts.channels);
    this.path = path;
    this.playOnce = opts.once ?? false;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new AcipError('WAV_UNREADABLE', `${path}: cannot open WAV file (${(e as Error).message})`, 'input', { cause: e });
    }
    try {
      const size = fstatSync(fd).size;
      this.info = scanWav(
        (off, len) => {
          const b = Buffer.alloc(len);
          const n = readSync(fd, b, 0, len, off);
          return b.subarray(0, n);
        },
        size,
        path,
      );
      if (this.info.frames === 0) throw new AcipError('WAV_INVALID', `${path}: WAV file holds no audio frames`, 'input');
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.fd = fd;
    // Resample at the smaller channel count: map down before, up after.
    this.midChannels = Math.min(this.info.channels, opts.channels);
    this.resampler = new Resampler({ inRate: this.info.sampleRate, outRate: opts.sampleRate, channels: this.midChannels });
    this.fifo = new Float32Array(CHUNK_FRAMES * 4 * opts.channels);
  }

  private out = new Float32Array(0);

  read(frames: number): Float32Array {
    const C = this.channels;
    while (this.fifoFrames < frames && this.fd !== undefined && !this.ended) this.refill();
    // The source's own output array, refilled by each read (AudioSource: valid until the next read).
    if (this.out.length !== frames * C) this.out = new Float32Array(frames * C);
    const out = this.out;
    const n = Math.min(frames, this.fifoFrames);
    out.set(this.fifo.subarray(0, n * C));
    out.fill(0, n * C);
    this.fifo.copyWithin(0, n * C, this.fifoFrames * C);
    this.fifoFrames -= n;
    this.framesRead += frames;
    return out;
  }

  private refill(): void {
    const info = this.info;
    const fd = this.fd!;
    let want = Math.min(CHUNK_FRAMES, info.frames - this.filePos);
    let decoded: Float32Array;
    if (want <= 0) {
      if (this.playOnce) {
        // Drain the resampler's look-ahead, then stop.
        this.ended = true;
        decoded = new Float32Array(0);
      } else {
        this.filePos = 0;
        this.loops++;
        want = Math.min(CHUNK_FRAMES, info.frames);
        decoded = this.readFrames(fd, want);
      }
    } else {
      decoded = this.readFrames(fd, want);
    }
    let x = mapChannels(decoded, info.channels, this.midChannels);
    x = this.ended ? this.resampler.flush() : this.resampler.process(x);
    x = mapChannels(x, this.midChannels, this.channels);
    this.append(x);
  }

  private readFrames(fd: number, frames: number): Float32Array {
    const info = this.info;
    const bytes = Buffer.alloc(frames * info.blockAlign);
    const got = readSync(fd, bytes, 0, bytes.length, info.dataOffset + this.filePos * info.blockAlign);
    const whole = Math.floor(got / info.blockAlign);
    if (whole === 0) {
      // The file shrank under us: treat as its end.
      this.filePos = info.frames;
      return new Float32Array(0);
    }
    this.filePos += whole;
    return decodeWavSamples(bytes.subarray(0, whole * info.blockAlign), info);
  }

  private append(x: Float32Array): void {
    const need = this.fifoFrames * this.channels + x.length;
    if (need > this.fifo.length) {
      const grown = new Float32Array(need * 2);
      grown.set(this.fifo.subarray(0, this.fifoFrames * this.channels));
      this.fifo = grown;
    }
    this.fifo.set(x, this.fifoFrames * this.channels);
    this.fifoFrames += x.length / this.channels;
  }

  stats(): AudioSourceStats {
    return { kind: this.kind, framesRead: this.framesRead, underrunFrames: 0, droppedFrames: 0 };
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
