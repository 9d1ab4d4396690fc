/**
 * Loopback: the receive path pushes what it plays out, the send path reads it back.
 *
 * Both directions are paced by our own frame clocks, so there is no drift, only phase: the
 * receive tick may land just after or just before the send tick. The queue is primed (see
 * PrimedQueue) and bounded (`capacityMs`, default 200 ms; on overflow the oldest audio goes).
 * Until the first frame arrives, reads are silence and not counted as underruns.
 */
import { mapChannels } from './resampler.js';
import { QueuedSource } from './queued-source.js';

export interface LoopbackOptions {
  sampleRate: number;
  channels: number;
  capacityMs?: number;
  primeFrames?: number;
}

export class LoopbackSource extends QueuedSource {
  readonly kind = 'loopback';
  private closed = false;

  constructor(opts: LoopbackOptions) {
    super(opts.sampleRate, opts.channels, opts.capacityMs, opts.primeFrames);
  }

  /** Called by the receive path with each frame it plays out (`channels` of that frame; mapped if different). */
  push(frame: Float32Array, channels = this.channels): void {
    if (this.closed) return;
    this.queue.push(mapChannels(frame, channels, this.channels));
  }

  close(): void {
    this.closed = true;
    this.queue.ring.clear();
  }
}
