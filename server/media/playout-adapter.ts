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
 *
 * The FIFO is a queue of the decoded frames themselves, never written once queued: a tick that lies
 * within one of them is handed out as a view of it (no copy, no allocation of samples), and only a
 * tick that spans two frames (after a splice, or a packet time that is not a multiple of the tick) is
 * copied into a new array. So `decode` and `conceal` must return a new array per call, as the codec
 * records do (or one that is never written again).
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
  /** Decode one packet's payload to interleaved Float32 (a new array: the adapter hands out views of it). */
  decode(payload: Buffer): Float32Array;
  /** One frame of concealment for a missing packet (the codec record's concealment; a new array too). */
  conceal(reason: 'lost' | 'underrun'): Float32Array;
  crossfadeMs?: number;
  /**
   * How stretch hints are spliced into the PCM (default `wsola`: a length near the request that the
   * audio repeats, so a tone keeps its phase; `exact`: exactly the request; see drift-corrector.ts).
   */
  splice?: SpliceMode;
  /**
   * Whether nobody hears the output (a `null` sink; `setUnheard` changes it): stretch hints are then
   * applied by CutSplicer, exactly and with no search or crossfade. The splice search was about a
   * tenth of a session's time, and for an unheard output only the timing matters (the buffer's delay
   * follows its target the same way).
   */
  unheard?: boolean;
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
  /** Decoded audio not yet handed out: whole frames, the first one read from `headOffset` (samples). */
  private readonly chunks: Float32Array[] = [];
  private headOffset = 0;
  /** Sample frames queued in `chunks`. */
  private fill = 0;
  private readonly audible: DriftCorrector;
  private cut: CutSplicer | null = null;
  private corrector: Splicer;
  private readonly st: PlayoutAdapterStats = { ticks: 0, silenceFrames: 0, shortTicks: 0 };
  /**
   * Observer for the frames pulled on the last tick (for meters/tests); not needed for playout. The
   * same array is refilled on every tick: copy it to keep it.
   */
  readonly lastFrames: PlayoutFrame[] = [];

  constructor(private readonly o: PlayoutAdapterOptions) {
    this.audible = new DriftCorrector(o.channels, o.sampleRate, o.unitRatio ?? 1, o.crossfadeMs ?? 2.5, o.splice ?? 'wsola');
    this.corrector = this.audible;
    this.setUnheard(o.unheard ?? false);
  }

  /** The output became unheard (a null sink) or heard again: see `unheard` in the options. */
  setUnheard(unheard: boolean): void {
    if (unheard) this.cut ??= new CutSplicer(this.o.channels, this.o.sampleRate, this.o.unitRatio ?? 1);
    this.corrector = unheard && this.cut ? this.cut : this.audible;
  }

  /**
   * The next `frameSamples` sample frames. The result may be a view of a decoded frame: the adapter
   * never writes it again, so it is the caller's to keep.
   */
  tick(nowMs: number): Float32Array {
    const ch = this.o.channels;
    const need = this.o.frameSamples;
    this.st.ticks++;
    this.lastFrames.length = 0;
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
    if (this.fill < need) this.st.shortTicks++;
    return this.take(need * ch);
  }

  stats(): PlayoutAdapterStats & { samplesInserted: number; samplesRemoved: number } {
    const cut = this.cut;
    return { ...this.st, samplesInserted: this.audible.inserted + (cut?.inserted ?? 0), samplesRemoved: this.audible.removed + (cut?.removed ?? 0) };
  }

  private append(pcm: Float32Array): void {
    const ch = this.o.channels;
    const frames = Math.floor(pcm.length / ch);
    if (frames === 0) return;
    this.chunks.push(frames * ch === pcm.length ? pcm : pcm.subarray(0, frames * ch));
    this.fill += frames;
  }

  /** `len` samples from the queue: a view when one chunk holds them all, else a copy (zero-padded when short). */
  private take(len: number): Float32Array {
    const head = this.chunks[0];
    if (head && head.length - this.headOffset >= len) {
      const out = head.subarray(this.headOffset, this.headOffset + len);
      this.consume(head, len);
      return out;
    }
    const out = new Float32Array(len);
    let at = 0;
    while (at < len && this.chunks.length > 0) {
      const c = this.chunks[0] as Float32Array;
      const n = Math.min(len - at, c.length - this.headOffset);
      out.set(c.subarray(this.headOffset, this.headOffset + n), at);
      at += n;
      this.consume(c, n);
    }
    return out;
  }

  /** `n` samples of the head chunk `c` were handed out. */
  private consume(c: Float32Array, n: number): void {
    this.headOffset += n;
    this.fill -= n / this.o.channels;
    if (this.headOffset === c.length) {
      this.chunks.shift();
      this.headOffset = 0;
    }
  }
}

/** What the adapter needs of a splicer (DriftCorrector, or CutSplicer for an unheard output). */
interface Splicer {
  apply(frame: Float32Array, adjustRtpUnits: number): Float32Array;
  readonly pendingMs: number;
  readonly inserted: number;
  readonly removed: number;
}

/**
 * Exact stretch at no search cost: removes sample frames from the end of the frame or repeats its last
 * one. Like DriftCorrector, a request larger than the frame allows (all but one sample frame) is
 * carried to the next frame, and the carry never exceeds a frame.
 */
export class CutSplicer implements Splicer {
  private carry = 0;
  inserted = 0;
  removed = 0;

  constructor(
    private readonly channels: number,
    private readonly sampleRate: number,
    private readonly unitRatio = 1,
  ) {}

  apply(frame: Float32Array, adjustRtpUnits: number): Float32Array {
    this.carry += adjustRtpUnits * this.unitRatio;
    const want = Math.trunc(this.carry);
    const ch = this.channels;
    const n = frame.length / ch;
    if (want === 0 || n < 2) return frame;
    const k = Math.sign(want) * Math.min(Math.abs(want), n - 1);
    let out: Float32Array;
    if (k < 0) {
      out = frame.subarray(0, (n + k) * ch);
      this.removed -= k;
    } else {
      out = new Float32Array((n + k) * ch);
      out.set(frame);
      for (let i = n; i < n + k; i++) out.copyWithin(i * ch, (n - 1) * ch, n * ch);
      this.inserted += k;
    }
    this.carry = Math.max(-n, Math.min(n, this.carry - k));
    return out;
  }

  get pendingMs(): number {
    return (this.carry * 1000) / this.sampleRate;
  }
}
