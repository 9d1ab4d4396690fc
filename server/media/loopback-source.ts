/**
 * Loopback: the receive path pushes what it plays out, the send path reads it back.
 *
 * Both directions are paced by our own frame clocks, so there is no drift, only phase: the
 * receive tick may land just after or just before the send tick. The queue is primed (see
 * PrimedQueue) and bounded (`capacityMs`, default 200 ms; on overflow the oldest audio goes).
 * Until the first frame arrives, reads are silence and not counted as underruns.
 */
import { mapChannels } from './resampler.js';
import { PrimedQueue } from './sample-ring.js';
import { AudioIoBase, type AudioSource, type AudioSourceStats } from './audio-io.js';

export interface LoopbackOptions {
  sampleRate: number;
  channels: number;
  capacityMs?: number;
  primeFrames?: number;
}

export class LoopbackSource extends AudioIoBase implements AudioSource {
  readonly kind = 'loopback';
  private readonly queue: PrimedQueue;
  private closed = false;
  private framesRead = 0;

  constructor(opts: LoopbackOptions) {
    super(opts.sampleRate, opts.channels);
    const capacity = Math.round(((opts.capacityMs ?? 200) * opts.sampleRate) / 1000);
    this.queue = new PrimedQueue(capacity, opts.channels, opts.primeFrames);
  }

  get queuedFrames(): number {
    return this.queue.ring.availableFrames;
  }

  /** Called by the receive path with each frame it plays out (`channels` of that frame; mapped if different). */
  push(frame: Float32Array, channels = this.channels): void {
    if (this.closed) return;
    this.queue.push(mapChannels(frame, channels, this.channels));
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

  close(): void {
    this.closed = true;
    this.queue.ring.clear();
  }
}
