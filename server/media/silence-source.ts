/** Digital silence. */
import { AudioIoBase, type AudioSource, type AudioSourceStats } from './audio-io.js';

export class SilenceSource extends AudioIoBase implements AudioSource {
  readonly kind = 'silence';
  private framesRead = 0;
  /** Zeros, handed out by every read of the same length (readers never write it). */
  private zeros = new Float32Array(0);

  read(frames: number): Float32Array {
    this.framesRead += frames;
    if (this.zeros.length !== frames * this.channels) this.zeros = new Float32Array(frames * this.channels);
    return this.zeros;
  }

  stats(): AudioSourceStats {
    return { kind: this.kind, framesRead: this.framesRead, underrunFrames: 0, droppedFrames: 0 };
  }

  close(): void {}
}
