/**
 * A thin, memory-safe binding to the libopus 1.4 WebAssembly build shipped inside the `opusscript`
 * package, bypassing opusscript's JavaScript wrapper on purpose. Measured with opusscript 0.1.1 on
 * Node 20 (see the report of the codecs work and test/codecs/opus.test.ts):
 *   - the wrapper takes typed-array views of the wasm heap once, at construction; when a later
 *     instance grows the heap those views are detached and every older instance throws
 *     "Cannot perform %TypedArray%.prototype.set on a detached ArrayBuffer" (reached after ~150
 *     stereo instances, i.e. well within the 64-link target);
 *   - it addresses its PCM buffers through HEAPU16 at *twice* the malloc'd address, outside its
 *     allocation;
 *   - decoding an empty buffer asks libopus for 120 ms of concealment (5760 samples per channel)
 *     into a 60 ms buffer (the wrapper returns 60 ms of it).
 * Here views are re-read from the module on every call, buffers are sized for 120 ms, and an empty
 * payload never reaches the decoder.
 *
 * The native handler's PCM convention (one byte of 16-bit little-endian PCM per 16-bit heap cell,
 * converted in place by the C++ side) is the one the wrapper uses; it is kept here. Samples cross
 * as floats: converted to and from 16 bits right at the heap, one 32-bit word per sample (the
 * session's per-frame cost: no Int16Array in between, one pass each way).
 */
import { createRequire } from 'node:module';
import { AcipError } from '../../util/errors.js';
import { CODEC_ENGINE_FAILED } from '../codec.js';
import { floatToInt16, INT16_SCALE } from '../sample-convert.js';

interface NativeHandler {
  _encode(pcmPtr: number, pcmBytes: number, outPtr: number, frameSize: number): number;
  _decode(inPtr: number, inLen: number, outPtr: number): number;
  _encoder_ctl(ctl: number, arg: number): number;
  _decoder_ctl(ctl: number, arg: number): number;
}

interface NativeModule {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  _malloc(n: number): number;
  _free(p: number): void;
  OpusScriptHandler: { new (rate: number, channels: number, application: number): NativeHandler; destroy_handler(h: NativeHandler): void };
}

/** libopus request codes (opus_defines.h) and the private force-mode request (opus_private.h). */
export const OPUS_CTL = {
  SET_BITRATE: 4002,
  SET_MAX_BANDWIDTH: 4004,
  SET_VBR: 4006,
  SET_BANDWIDTH: 4008,
  SET_COMPLEXITY: 4010,
  SET_INBAND_FEC: 4012,
  SET_PACKET_LOSS_PERC: 4014,
  SET_DTX: 4016,
  SET_FORCE_CHANNELS: 4022,
  SET_FORCE_MODE: 11002,
} as const;
export const OPUS_AUTO = -1000;
export const OPUS_BANDWIDTH = { nb: 1101, mb: 1102, wb: 1103, swb: 1104, fb: 1105 } as const;
export const OPUS_MODE = { silk: 1000, hybrid: 1001, celt: 1002 } as const;
export const OPUS_APPLICATION = { voip: 2048, audio: 2049, 'restricted-lowdelay': 2051 } as const;

/** 120 ms at 48 kHz: the longest Opus packet, and what libopus may return for one decode call. */
export const MAX_SAMPLES_PER_CHANNEL = 5760;
/** Payload buffer size; larger RTP payloads are rejected before reaching the decoder. */
export const MAX_PACKET_BYTES = 8192;

let native: NativeModule | undefined;
let failed: unknown;

function load(): NativeModule {
  if (failed !== undefined) throw new AcipError(CODEC_ENGINE_FAILED, 'the Opus engine has failed and cannot be used', undefined, { cause: failed });
  if (!native) {
    const req = createRequire(import.meta.url);
    const factory = req('opusscript/build/opusscript_native_wasm.js') as () => NativeModule;
    native = factory();
  }
  return native;
}

/** What a throw from the engine becomes. A wasm trap leaves the module in an unknown state: it is marked failed for good. */
function engineError(err: unknown): AcipError {
  // A trap (WebAssembly.RuntimeError, including emscripten's abort()) poisons the module.
  if (err instanceof Error && err.name === 'RuntimeError') failed = err;
  return err instanceof AcipError ? err : new AcipError(CODEC_ENGINE_FAILED, `opus engine: ${String(err)}`, undefined, { cause: err });
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw engineError(err);
  }
}

/** One libopus encoder+decoder pair (the native handler holds both). */
export class OpusNative {
  private readonly m: NativeModule;
  private handler: NativeHandler | undefined;
  private readonly pcmPtr: number;
  private readonly pktPtr: number;
  private readonly pcmCells: number;
  /** Decoded samples: `decodeFloat` writes here and returns a view of the decoded length (reused per length). */
  private readonly decoded: Float32Array;
  private view: Float32Array;

  constructor(readonly sampleRate: number, readonly channels: number, application: number) {
    this.m = load();
    this.handler = guard(() => new this.m.OpusScriptHandler(sampleRate, channels, application));
    // Two 16-bit heap cells (4 bytes) per sample, at a 4-byte aligned address (malloc aligns to 8 at
    // least) so that ptr >> 2 indexes HEAP32: one 32-bit word per sample.
    this.pcmCells = MAX_SAMPLES_PER_CHANNEL * channels * 2;
    this.pcmPtr = this.m._malloc(this.pcmCells * 2);
    this.pktPtr = this.m._malloc(MAX_PACKET_BYTES);
    this.decoded = new Float32Array(MAX_SAMPLES_PER_CHANNEL * channels);
    this.view = this.decoded.subarray(0, 0);
    if (this.pcmPtr === 0 || this.pktPtr === 0) throw new AcipError(CODEC_ENGINE_FAILED, 'opus engine out of memory');
    if (this.pcmPtr % 4 !== 0) throw new AcipError(CODEC_ENGINE_FAILED, `opus engine: PCM buffer at unaligned address ${this.pcmPtr}`);
  }

  private h(): NativeHandler {
    if (!this.handler) throw new AcipError(CODEC_ENGINE_FAILED, 'opus handler is closed');
    if (failed !== undefined) throw new AcipError(CODEC_ENGINE_FAILED, 'the Opus engine has failed and cannot be used');
    return this.handler;
  }

  encoderCtl(ctl: number, arg: number): void {
    const h = this.h();
    const r = guard(() => h._encoder_ctl(ctl, arg));
    if (r < 0) throw new AcipError(CODEC_ENGINE_FAILED, `opus encoder ctl ${ctl}(${arg}) failed: ${r}`);
  }

  /**
   * Encodes `frameSize` samples per channel of interleaved float samples starting at `frame[offset]`,
   * quantised to 16 bits (sample-convert.ts: rounded, clamped). Each sample is written straight into
   * its two heap cells with one 32-bit store (little-endian: the low byte's cell, then the high
   * byte's), with no intermediate Int16Array.
   */
  encodeFloat(frame: Float32Array, offset: number, frameSize: number): Buffer {
    const h = this.h();
    const n = frameSize * this.channels;
    if (n * 2 > this.pcmCells || offset < 0 || offset + n > frame.length) throw new RangeError(`opus encode of ${frameSize} samples per channel at ${offset}`);
    const heap32 = this.m.HEAP32;
    const base = this.pcmPtr >> 2;
    for (let i = 0; i < n; i++) {
      const u = floatToInt16(frame[offset + i] as number) & 0xffff;
      heap32[base + i] = (u & 0xff) | ((u & 0xff00) << 8);
    }
    let len: number;
    try {
      len = h._encode(this.pcmPtr, n * 2, this.pktPtr, frameSize);
    } catch (err) {
      throw engineError(err);
    }
    if (len < 0) throw new AcipError(CODEC_ENGINE_FAILED, `opus encode failed: ${len}`);
    // A new buffer (the caller keeps the payload), copied byte by byte: no view of the heap in between.
    const out = Buffer.allocUnsafe(len);
    const heap = this.m.HEAPU8;
    for (let i = 0, p = this.pktPtr; i < len; i++, p++) out[i] = heap[p] as number;
    return out;
  }

  /**
   * Decodes one packet; returns the interleaved samples as floats (int16 / 32768, exact), read
   * with one 32-bit load per sample. `payload` must be 1..MAX_PACKET_BYTES bytes. The result is this
   * binding's own array (a view of its decode buffer), valid until the next `decodeFloat`.
   */
  decodeFloat(payload: Uint8Array): Float32Array {
    const h = this.h();
    if (payload.length < 1 || payload.length > MAX_PACKET_BYTES) throw new RangeError(`opus payload length ${payload.length}`);
    this.m.HEAPU8.set(payload, this.pktPtr);
    let n: number;
    try {
      n = h._decode(this.pktPtr, payload.length, this.pcmPtr);
    } catch (err) {
      throw engineError(err);
    }
    if (n < 0) throw new OpusDecodeError(n);
    if (n > MAX_SAMPLES_PER_CHANNEL) throw new AcipError(CODEC_ENGINE_FAILED, `opus decode returned ${n} samples`);
    const heap32 = this.m.HEAP32;
    const base = this.pcmPtr >> 2;
    if (this.view.length !== n * this.channels) this.view = this.decoded.subarray(0, n * this.channels);
    const out = this.view;
    for (let i = 0; i < out.length; i++) {
      const w = heap32[base + i] as number;
      out[i] = (((((w >>> 16) << 8) | (w & 0xffff)) << 16) >> 16) / INT16_SCALE;
    }
    return out;
  }

  close(): void {
    if (!this.handler) return;
    const h = this.handler;
    this.handler = undefined;
    if (failed !== undefined) return; // the module is gone; nothing can be freed safely
    this.m.OpusScriptHandler.destroy_handler(h);
    this.m._free(this.pcmPtr);
    this.m._free(this.pktPtr);
  }
}

/** libopus rejected a packet (OPUS_INVALID_PACKET etc.). */
export class OpusDecodeError extends Error {
  constructor(readonly opusCode: number) {
    super(`opus decode error ${opusCode}`);
  }
}
