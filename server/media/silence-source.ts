/** Digital silence. */
import { AudioIoBase, type AudioSource, type AudioSourceStats } from './audio-io.js';

export class SilenceSource extends AudioIoBase implements AudioSource {
  readonly kind = 'silence';
  private framesRead = 0;

  read(frames: number): Float32Array {
    this.framesRead += frames;
    return new Float32Array(frames * this.channels);
  }

  stats(): AudioSourceStats {
    return { kind: this.kind, framesRead: this.framesRead, underrunFrames: 0, droppedFrames: 0 };
  }

  close(): void {}
}
