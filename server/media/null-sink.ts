/** Discards audio (counting it). */
import { AudioIoBase, type AudioSink, type AudioSinkStats } from './audio-io.js';

export class NullSink extends AudioIoBase implements AudioSink {
  readonly kind = 'null';
  private framesWritten = 0;

  write(frame: Float32Array): void {
    this.framesWritten += frame.length / this.channels;
  }

  stats(): AudioSinkStats {
    return { kind: this.kind, framesWritten: this.framesWritten, droppedFrames: 0 };
  }

  close(): void {}
}
