/**
 * A source read from a bounded, primed queue (PrimedQueue) that something else fills on its own
 * schedule: the receive path (loopback) or a capture subprocess (ALSA). The queue holds `queueMs`
 * of audio (default 200 ms; on overflow the oldest audio goes); reads never block, and missing
 * audio is silence, counted as underrun once audio has arrived.
 */
import { AudioIoBase, type AudioSource, type AudioSourceStats } from './audio-io.js';
import { PrimedQueue } from './sample-ring.js';

export abstract class QueuedSource extends AudioIoBase implements AudioSource {
  protected readonly queue: PrimedQueue;
  private framesRead = 0;

  constructor(sampleRate: number, channels: number, queueMs = 200, primeFrames?: number) {
    super(sampleRate, channels);
    this.queue = new PrimedQueue(Math.round((queueMs * sampleRate) / 1000), channels, primeFrames);
  }

  /** Frames queued and ready to read. */
  get queuedFrames(): number {
    return this.queue.ring.availableFrames;
  }

  read(frames: number): Float32Array {
    this.framesRead += frames;
    return this.queue.read(frames);
  }

  stats(): AudioSourceStats {
    return {
      kind: this.kind,
      framesRead: this.framesRead,
      underrunFrames: this.queue.underrunFrames,
      droppedFrames: this.queue.droppedFrames,
    };
  }

  abstract close(): void;
}
