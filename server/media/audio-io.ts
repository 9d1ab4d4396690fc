/**
 * The seams between a media session and the audio it sends and plays: sources are pulled once
 * per frame-clock tick, sinks are pushed once per tick. Frames are interleaved Float32 in [-1, 1)
 * at the link's sample rate and channel count.
 */
import type { AcipError } from '../util/errors.js';
import { TypedEmitter } from '../util/typed-emitter.js';

export type AudioIoEvents = {
  /** The device or subprocess failed (e.g. `arecord` exited); the source/sink now yields silence/drops. */
  error: [AcipError];
};

export interface AudioSourceStats {
  kind: string;
  /** Frames returned by read(). */
  framesRead: number;
  /** Frames padded with silence because nothing had arrived (capture, loopback). */
  underrunFrames: number;
  /** Frames discarded because the bounded queue was full (capture, loopback). */
  droppedFrames: number;
}

export interface AudioSinkStats {
  kind: string;
  /** Frames accepted by write(). */
  framesWritten: number;
  /** Frames discarded (playback back-pressure, file size limit, after an error). */
  droppedFrames: number;
}

export interface AudioSource {
  readonly kind: string;
  readonly sampleRate: number;
  readonly channels: number;
  /**
   * Exactly `frames × channels` interleaved samples. Never blocks. The result is the source's own
   * array, valid until the next `read` (a source reuses it: no allocation per frame); the caller
   * must not write it and copies what it keeps.
   */
  read(frames: number): Float32Array;
  stats(): AudioSourceStats;
  on<K extends keyof AudioIoEvents>(event: K, fn: (...args: AudioIoEvents[K]) => void): () => void;
  /** Idempotent. */
  close(): void;
}

export interface AudioSink {
  readonly kind: string;
  readonly sampleRate: number;
  readonly channels: number;
  /**
   * Takes a frame of `n × channels` interleaved samples. Never blocks. The frame is the caller's and
   * may be overwritten after the call: a sink copies what it keeps.
   */
  write(frame: Float32Array): void;
  stats(): AudioSinkStats;
  on<K extends keyof AudioIoEvents>(event: K, fn: (...args: AudioIoEvents[K]) => void): () => void;
  /** Idempotent; resolves when files are complete and subprocesses have exited. */
  close(): Promise<void> | void;
}

/** Common bookkeeping for the implementations. */
export abstract class AudioIoBase extends TypedEmitter<AudioIoEvents> {
  abstract readonly kind: string;
  readonly sampleRate: number;
  readonly channels: number;

  constructor(sampleRate: number, channels: number) {
    super();
    this.sampleRate = sampleRate;
    this.channels = channels;
  }
}
