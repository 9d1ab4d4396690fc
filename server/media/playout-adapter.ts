/**
 * Glue between the jitter buffer and an output that takes exactly one frame per frame-clock tick.
 *
 * Each `tick(now)` returns `frameSamples` sample frames (interleaved Float32). Underneath, it pulls
 * frames from the JitterBuffer whenever its FIFO holds less than a tick's worth, decodes or conceals
 * them through the caller's callbacks (the codec record), applies the buffer's stretch hint with the
 * DriftCorrector, and tells the buffer how much audio it still holds ahead of each new frame (the
 * `outputBacklogMs` argument of `pop`). Frames it cannot fill (before playout starts, sender
 * silence) are silence.
 */
import type { JitterBuffer, PlayoutFrame } from './jitter-buffer.js';
import { DriftCorrector } from './drift-corrector.js';

export interface PlayoutAdapterOptions {
  buffer: JitterBuffer;
  channels: number;
  /** Decoded (output) sample rate. */
  sampleRate: number;
  /** Sample frames handed to the output per tick (ptime · sampleRate / 1000). */
  frameSamples: number;
  /** Decoded sample frames per RTP timestamp unit (sampleRate / rtpClockRate; 2 for G.722). */
  unitRatio?: number;
  /** Decode one packet's payload to interleaved Float32. */
  decode(payload: Buffer): Float32Array;
  /** One frame of concealment for a missing packet (the codec record's concealment). */
  conceal(reason: 'lost' | 'underrun'): Float32Array;
  crossfadeMs?: number;
  /**
   * Observer for every frame pulled from the buffer, with the time its first sample plays
   * (tick time + the audio the FIFO held before it). For scoring and tests; not needed for playout.
   */
  onFrame?: (frame: PlayoutFrame, startMs: number) => void;
}

export interface PlayoutAdapterStats {
  ticks: number;
  silenceFrames: number;
  /** Ticks on which the output got less than a frame (should stay 0). */
  shortTicks: number;
}

export class PlayoutAdapter {
  private fifo: Float32Array;
  private fill = 0;
  private readonly corrector: DriftCorrector;
  private readonly st: PlayoutAdapterStats = { ticks: 0, silenceFrames: 0, shortTicks: 0 };
  /** Observer for the last frames pulled (for meters/tests); not needed for playout. */
  lastFrames: PlayoutFrame[] = [];

  constructor(private readonly o: PlayoutAdapterOptions) {
    this.fifo = new Float32Array(o.frameSamples * o.channels * 4);
    this.corrector = new DriftCorrector(o.channels, o.sampleRate, o.unitRatio ?? 1, o.crossfadeMs ?? 2.5);
  }

  tick(nowMs: number): Float32Array {
    const ch = this.o.channels;
    const need = this.o.frameSamples;
    this.st.ticks++;
    this.lastFrames = [];
    // Bounded: each pull adds at least half a frame (the buffer removes at most half a frame).
    for (let guard = 0; this.fill < need && guard < 8; guard++) {
      const backlogMs = (this.fill * 1000) / this.o.sampleRate;
      const f = this.o.buffer.pop(nowMs, backlogMs);
      this.lastFrames.push(f);
      this.o.onFrame?.(f, nowMs + backlogMs);
      let pcm: Float32Array;
      if (f.kind === 'packet') pcm = this.o.decode(f.payload);
      else if (f.reason === 'lost' || f.reason === 'underrun') pcm = this.o.conceal(f.reason);
      else {
        this.st.silenceFrames++;
        pcm = new Float32Array(need * ch);
      }
      if (f.adjustSamples !== 0) pcm = this.corrector.apply(pcm, f.adjustSamples);
      this.append(pcm);
    }
    const out = new Float32Array(need * ch);
    const take = Math.min(need, this.fill);
    if (take < need) this.st.shortTicks++;
    out.set(this.fifo.subarray(0, take * ch));
    this.fifo.copyWithin(0, take * ch, this.fill * ch);
    this.fill -= take;
    return out;
  }

  stats(): PlayoutAdapterStats & { samplesInserted: number; samplesRemoved: number } {
    return { ...this.st, samplesInserted: this.corrector.inserted, samplesRemoved: this.corrector.removed };
  }

  private append(pcm: Float32Array): void {
    const ch = this.o.channels;
    const frames = Math.floor(pcm.length / ch);
    if ((this.fill + frames) * ch > this.fifo.length) {
      const bigger = new Float32Array(Math.max(this.fifo.length * 2, (this.fill + frames) * ch));
      bigger.set(this.fifo.subarray(0, this.fill * ch));
      this.fifo = bigger;
    }
    this.fifo.set(pcm.subarray(0, frames * ch), this.fill * ch);
    this.fill += frames;
  }
}
