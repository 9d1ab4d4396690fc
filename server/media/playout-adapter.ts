/**
 * Glue between the jitter buffer and an output that takes a fixed number of samples per
 * frame-clock tick.
 *
 * Each `tick(now)` returns `frameSamples` sample frames (interleaved Float32). The tick may be
 * shorter than a codec frame (`codecFrameSamples`): the media session ticks every min(ptime, 5 ms)
 * so that the jitter buffer's level is not quantised to the packet time (the buffer is told that
 * pull period as `pullPeriodMs`). Underneath, the adapter pulls whole frames from the JitterBuffer
 * whenever its FIFO holds less than a tick's worth, decodes or conceals them through the caller's
 * callbacks (the codec record: concealment is still one codec frame per missing packet), applies the
 * buffer's stretch hint with the DriftCorrector, keeps the decoded audio in the FIFO and hands it out
 * a tick at a time. It tells the buffer how much audio it still holds ahead of each new frame (the
 * `outputBacklogMs` argument of `pop`). Before playout starts the output gets a tick of silence per
 * tick (so playout can start on any tick); a sender pause (`gap`) is a codec frame of silence, the
 * span the buffer moves its playout position by.
 */
import type { JitterBuffer, PlayoutFrame } from './jitter-buffer.js';
import { DriftCorrector, type SpliceMode } from './drift-corrector.js';

export interface PlayoutAdapterOptions {
  buffer: JitterBuffer;
  channels: number;
  /** Decoded (output) sample rate. */
  sampleRate: number;
  /** Sample frames handed to the output per tick (tick period · sampleRate / 1000). */
  frameSamples: number;
  /**
   * Sample frames of one decoded codec frame (receive ptime · sampleRate / 1000; default
   * `frameSamples`, i.e. one tick per packet time). Sets the length of the silence for a sender pause.
   */
  codecFrameSamples?: number;
  /** Decoded sample frames per RTP timestamp unit (sampleRate / rtpClockRate; 2 for G.722). */
  unitRatio?: number;
  /** Decode one packet's payload to interleaved Float32. */
  decode(payload: Buffer): Float32Array;
  /** One frame of concealment for a missing packet (the codec record's concealment). */
  conceal(reason: 'lost' | 'underrun'): Float32Array;
  crossfadeMs?: number;
  /**
   * How stretch hints are spliced into the PCM (default `wsola`: a length near the request that the
   * audio repeats, so a tone keeps its phase; `exact`: exactly the request; see drift-corrector.ts).
   */
  splice?: SpliceMode;
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
    this.fifo = new Float32Array(Math.max(o.frameSamples, o.codecFrameSamples ?? 0) * o.channels * 4);
    this.corrector = new DriftCorrector(o.channels, o.sampleRate, o.unitRatio ?? 1, o.crossfadeMs ?? 2.5, o.splice ?? 'wsola');
  }

  tick(nowMs: number): Float32Array {
    const ch = this.o.channels;
    const need = this.o.frameSamples;
    this.st.ticks++;
    this.lastFrames = [];
    const codecFrame = this.o.codecFrameSamples ?? need;
    // Bounded: each pull adds at least a tick's worth or half a codec frame (the buffer removes at
    // most half a frame), and a tick is at most a codec frame.
    for (let guard = 0; this.fill < need && guard < 8; guard++) {
      const backlogMs = (this.fill * 1000) / this.o.sampleRate;
      // The corrector's remainder (a splice it is waiting to make) counts as done: otherwise the
      // buffer, seeing the backlog unchanged, would ask again and the requests would pile up.
      const f = this.o.buffer.pop(nowMs, Math.max(0, backlogMs + this.corrector.pendingMs));
      this.lastFrames.push(f);
      this.o.onFrame?.(f, nowMs + backlogMs);
      let pcm: Float32Array;
      if (f.kind === 'packet') pcm = this.o.decode(f.payload);
      else if (f.reason === 'lost' || f.reason === 'underrun') pcm = this.o.conceal(f.reason);
      else {
        this.st.silenceFrames++;
        // Not started: the buffer has not moved, one tick of silence. Gap: it moved by a frame.
        pcm = new Float32Array((f.reason === 'gap' ? codecFrame : need) * ch);
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
