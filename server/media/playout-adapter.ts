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
 * No allocation per tick: the FIFO is one sample array owned by the adapter (grown only if a splice
 * ever needs more room), each decoded or concealed frame is copied into it (the codec records reuse
 * their output arrays, valid only until their next call), and each tick is copied out of it into the
 * adapter's output array, which `tick` returns: valid until the next tick, the caller copies what it
 * keeps (the session meters it, writes it to the sink, which copies, and pushes it to a loopback input,
 * which copies too).
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
  /** Decode one packet's payload to interleaved Float32 (read before the next call: it may be reused). */
  decode(payload: Buffer): Float32Array;
  /** One frame of concealment for a missing packet (the codec record's concealment; may be reused too). */
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
  /** Decoded audio not yet handed out: samples [head, tail) of `fifo` (moved to the front when the end is reached). */
  private fifo: Float32Array;
  private head = 0;
  private tail = 0;
  /** Sample frames queued in the FIFO. */
  private fill = 0;
  /** What `tick` returns: one tick of samples, rewritten by each tick. */
  private readonly out: Float32Array;
  private readonly audible: DriftCorrector;
  private cut: CutSplicer | null = null;
  private corrector: Splicer;
  private readonly st: PlayoutAdapterStats = { ticks: 0, silenceFrames: 0, shortTicks: 0 };
  /** The frames pulled on the last tick: the first `pulledCount` of `pulled` (never shrunk, so a tick allocates nothing). */
  private readonly pulled: PlayoutFrame[] = [];
  private pulledCount = 0;

  constructor(private readonly o: PlayoutAdapterOptions) {
    const codecFrame = o.codecFrameSamples ?? o.frameSamples;
    // Room for what a tick's pulls can queue: up to 8 codec frames beyond a tick (see `tick`), each at
    // most 1.5 frames after a stretch; more is made if ever needed.
    this.fifo = new Float32Array((o.frameSamples + 12 * codecFrame) * o.channels);
    this.out = new Float32Array(o.frameSamples * o.channels);
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
   * The next `frameSamples` sample frames, in the adapter's own array: valid until the next tick (the
   * caller copies what it keeps).
   */
  tick(nowMs: number): Float32Array {
    const ch = this.o.channels;
    const need = this.o.frameSamples;
    this.st.ticks++;
    this.pulledCount = 0;
    const codecFrame = this.o.codecFrameSamples ?? need;
    // Bounded: each pull adds at least a tick's worth or half a codec frame (the buffer removes at
    // most half a frame), and a tick is at most a codec frame.
    for (let guard = 0; this.fill < need && guard < 8; guard++) {
      const backlogMs = (this.fill * 1000) / this.o.sampleRate;
      // The corrector's remainder (a splice it is waiting to make) counts as done: otherwise the
      // buffer, seeing the backlog unchanged, would ask again and the requests would pile up.
      const f = this.o.buffer.pop(nowMs, Math.max(0, backlogMs + this.corrector.pendingMs));
      if (this.pulledCount < this.pulled.length) this.pulled[this.pulledCount] = f;
      else this.pulled.push(f);
      this.pulledCount++;
      this.o.onFrame?.(f, nowMs + backlogMs);
      let pcm: Float32Array | null = null;
      let silent = 0;
      if (f.kind === 'packet') pcm = this.o.decode(f.payload);
      else if (f.reason === 'lost' || f.reason === 'underrun') pcm = this.o.conceal(f.reason);
      else {
        this.st.silenceFrames++;
        // Not started: the buffer has not moved, one tick of silence. Gap: it moved by a frame.
        silent = (f.reason === 'gap' ? codecFrame : need) * ch;
      }
      if (f.adjustSamples !== 0) pcm = this.corrector.apply(pcm ?? new Float32Array(silent), f.adjustSamples);
      if (pcm) this.append(pcm);
      else this.appendSilence(silent);
    }
    if (this.fill < need) this.st.shortTicks++;
    return this.take(need * ch);
  }

  /** Observer for the frames pulled on the last tick (for meters/tests; not needed for playout): a new array. */
  get lastFrames(): PlayoutFrame[] {
    return this.pulled.slice(0, this.pulledCount);
  }

  stats(): PlayoutAdapterStats & { samplesInserted: number; samplesRemoved: number } {
    const cut = this.cut;
    return { ...this.st, samplesInserted: this.audible.inserted + (cut?.inserted ?? 0), samplesRemoved: this.audible.removed + (cut?.removed ?? 0) };
  }

  /** Copies the whole sample frames of `pcm` to the FIFO's tail. */
  private append(pcm: Float32Array): void {
    const ch = this.o.channels;
    const n = Math.floor(pcm.length / ch) * ch;
    if (n === 0) return;
    const at = this.reserve(n);
    if (n === pcm.length) this.fifo.set(pcm, at);
    else for (let i = 0; i < n; i++) this.fifo[at + i] = pcm[i] as number;
    this.fill += n / ch;
  }

  /** `n` samples of silence at the FIFO's tail. */
  private appendSilence(n: number): void {
    const at = this.reserve(n);
    this.fifo.fill(0, at, at + n);
    this.fill += n / this.o.channels;
  }

  /** Makes room for `n` samples at the tail (moving the queue to the front, or growing); returns where they go. */
  private reserve(n: number): number {
    if (this.tail + n > this.fifo.length) {
      const queued = this.tail - this.head;
      if (queued + n > this.fifo.length) {
        const grown = new Float32Array(2 * (queued + n));
        grown.set(this.fifo.subarray(this.head, this.tail));
        this.fifo = grown;
      } else this.fifo.copyWithin(0, this.head, this.tail);
      this.head = 0;
      this.tail = queued;
    }
    const at = this.tail;
    this.tail += n;
    return at;
  }

  /** `len` samples from the FIFO into the output array (zero-padded when short). */
  private take(len: number): Float32Array {
    const out = this.out;
    const n = Math.min(len, this.tail - this.head);
    const fifo = this.fifo;
    // An element loop, not `set(fifo.subarray(…))`: a tick allocates no view.
    for (let i = 0, j = this.head; i < n; i++, j++) out[i] = fifo[j] as number;
    if (n < len) out.fill(0, n, len);
    this.head += n;
    this.fill -= n / this.o.channels;
    if (this.head === this.tail) this.head = this.tail = 0;
    return out;
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
