/**
 * Loopback: the receive path pushes what it plays out, the send path reads it back.
 *
 * Both directions are paced by our own frame clocks, so there is no drift, only phase: the
 * receive tick may land just after or just before the send tick. To avoid alternating
 * underrun/double-frame patterns the reader waits, after start and after every underrun, until
 * `primeFrames` have queued (default: two of the frames it reads) before it takes audio again.
 * The queue is bounded (`capacityMs`, default 200 ms); on overflow the oldest audio is dropped.
 */
import { mapChannels } from './resampler.js';
import { SampleRing } from './sample-ring.js';
import { AudioIoBase, type AudioSource, type AudioSourceStats } from './audio-io.js';

export interface LoopbackOptions {
  sampleRate: number;
  channels: number;
  capacityMs?: number;
  primeFrames?: number;
}

export class LoopbackSource extends AudioIoBase implements AudioSource {
  readonly kind = 'loopback';
  private readonly ring: SampleRing;
  private readonly primeOption: number | undefined;
  private priming = true;
  private closed = false;
  private framesRead = 0;
  private underrunFrames = 0;
  private droppedFrames = 0;

  constructor(opts: LoopbackOptions) {
    super(opts.sampleRate, opts.channels);
    this.ring = new SampleRing(Math.round(((opts.capacityMs ?? 200) * opts.sampleRate) / 1000), opts.channels);
    this.primeOption = opts.primeFrames;
  }

  get queuedFrames(): number {
    return this.ring.availableFrames;
  }

  /** Called by the receive path with each frame it plays out (`channels` of that path; mapped if different). */
  push(frame: Float32Array, channels = this.channels): void {
    if (this.closed) return;
    const mapped = mapChannels(frame, channels, this.channels);
    this.droppedFrames += this.ring.push(mapped, true);
  }

  read(frames: number): Float32Array {
    const out = new Float32Array(frames * this.channels);
    this.framesRead += frames;
    const prime = Math.min(this.primeOption ?? 2 * frames, this.ring.capacityFrames);
    if (this.priming) {
      if (this.ring.availableFrames < Math.max(prime, frames)) {
        this.underrunFrames += frames;
        return out;
      }
      this.priming = false;
    }
    const got = this.ring.read(out, frames);
    if (got < frames) {
      this.underrunFrames += frames - got;
      this.priming = true;
    }
    return out;
  }

  stats(): AudioSourceStats {
    return {
      kind: this.kind,
      framesRead: this.framesRead,
      underrunFrames: this.underrunFrames,
      droppedFrames: this.droppedFrames,
    };
  }

  close(): void {
    this.closed = true;
    this.ring.clear();
  }
}
