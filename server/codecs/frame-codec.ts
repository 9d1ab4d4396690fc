/**
 * Scaffolding shared by the frame-at-a-time codecs (G.711, L16/L24, G.722): the closed check, the
 * frame-size check on encode, and fade concealment (fade-concealer.ts) fed with every good frame on
 * decode. A subclass supplies only the sample conversion. Opus keeps its own classes: it wraps a
 * native decoder with its own loss concealment.
 */
import { AcipError } from '../util/errors.js';
import { CODEC_CLOSED, samplesPerPtime, type AudioDecoder, type AudioEncoder } from './codec.js';
import { FadeConcealer } from './fade-concealer.js';
import { checkFrame } from './params.js';

export abstract class FrameEncoder implements AudioEncoder {
  readonly samplesPerFrame: number;
  private closed = false;
  constructor(protected readonly id: string, readonly sampleRate: number, readonly channels: number, ptimeMs: number) {
    this.samplesPerFrame = samplesPerPtime(sampleRate, ptimeMs);
  }
  encode(frame: Float32Array): Buffer {
    if (this.closed) throw new AcipError(CODEC_CLOSED, `${this.id} encoder is closed`);
    checkFrame(frame, this.samplesPerFrame, this.channels, this.id);
    return this.encodeFrame(frame);
  }
  /** `frame` has passed checkFrame: exactly one packet time of interleaved samples. */
  protected abstract encodeFrame(frame: Float32Array): Buffer;
  close(): void {
    this.closed = true;
  }
}

export abstract class FadeConcealingDecoder implements AudioDecoder {
  readonly samplesPerFrame: number;
  private readonly plc: FadeConcealer;
  /** The decoded samples `decode` returns: rewritten by each call (AudioDecoder: valid until the next). */
  private out = new Float32Array(0);
  private closed = false;
  constructor(protected readonly id: string, readonly sampleRate: number, readonly channels: number, ptimeMs: number) {
    this.samplesPerFrame = samplesPerPtime(sampleRate, ptimeMs);
    this.plc = new FadeConcealer(this.samplesPerFrame, channels, sampleRate);
  }
  decode(payload: Buffer): Float32Array {
    if (this.closed) throw new AcipError(CODEC_CLOSED, `${this.id} decoder is closed`);
    const out = this.decodePayload(payload);
    this.plc.good(out);
    return out;
  }
  /**
   * Samples of one payload, written into `this.output(n)` and returned; throws CODEC_BAD_PAYLOAD
   * when it is malformed.
   */
  protected abstract decodePayload(payload: Buffer): Float32Array;
  /** The decoder's output array, `n` samples long (the same one while payloads keep their size). */
  protected output(n: number): Float32Array {
    if (this.out.length !== n) this.out = new Float32Array(n);
    return this.out;
  }
  /** A fade of the last good frame (fade-concealer.ts). */
  conceal(): Float32Array {
    return this.plc.conceal();
  }
  close(): void {
    this.closed = true;
  }
}
