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
 * converted in place by the C++ side) is the one the wrapper uses; it is kept here.
 */
import { createRequire } from 'node:module';
import { AcipError } from '../../util/errors.js';
import { CODEC_ENGINE_FAILED } from '../codec.js';

interface NativeHandler {
  _encode(pcmPtr: number, pcmBytes: number, outPtr: number, frameSize: number): number;
  _decode(inPtr: number, inLen: number, outPtr: number): number;
  _encoder_ctl(ctl: number, arg: number): number;
  _decoder_ctl(ctl: number, arg: number): number;
}

interface NativeModule {
  HEAPU8: Uint8Array;
  HEAPU16: Uint16Array;
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

/** A wasm trap leaves the module in an unknown state: mark it failed for good. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    // A trap (WebAssembly.RuntimeError, including emscripten's abort()) poisons the module.
    if (err instanceof Error && err.name === 'RuntimeError') failed = err;
    throw err instanceof AcipError ? err : new AcipError(CODEC_ENGINE_FAILED, `opus engine: ${String(err)}`, undefined, { cause: err });
  }
}

/** One libopus encoder+decoder pair (the native handler holds both). */
export class OpusNative {
  private readonly m: NativeModule;
  private handler: NativeHandler | undefined;
  private readonly pcmPtr: number;
  private readonly pktPtr: number;
  private readonly pcmCells: number;

  constructor(readonly sampleRate: number, readonly channels: number, application: number) {
    this.m = load();
    this.handler = guard(() => new this.m.OpusScriptHandler(sampleRate, channels, application));
    // Two heap cells (4 bytes) per 16-bit sample; 4-byte aligned so that ptr >> 1 indexes HEAPU16.
    this.pcmCells = MAX_SAMPLES_PER_CHANNEL * channels * 2;
    this.pcmPtr = this.m._malloc(this.pcmCells * 2);
    this.pktPtr = this.m._malloc(MAX_PACKET_BYTES);
    if (this.pcmPtr === 0 || this.pktPtr === 0) throw new AcipError(CODEC_ENGINE_FAILED, 'opus engine out of memory');
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

  /** pcm: interleaved int16, frameSize samples per channel. */
  encode(pcm: Int16Array, frameSize: number): Buffer {
    const h = this.h();
    const heap16 = this.m.HEAPU16;
    const base = this.pcmPtr >> 1;
    for (let i = 0; i < pcm.length; i++) {
      const u = (pcm[i] as number) & 0xffff;
      heap16[base + 2 * i] = u & 0xff;
      heap16[base + 2 * i + 1] = u >> 8;
    }
    const len = guard(() => h._encode(this.pcmPtr, pcm.length * 2, this.pktPtr, frameSize));
    if (len < 0) throw new AcipError(CODEC_ENGINE_FAILED, `opus encode failed: ${len}`);
    return Buffer.from(this.m.HEAPU8.subarray(this.pktPtr, this.pktPtr + len));
  }

  /** Returns interleaved int16 samples; `payload` must be 1..MAX_PACKET_BYTES bytes. */
  decode(payload: Uint8Array): Int16Array {
    const h = this.h();
    if (payload.length < 1 || payload.length > MAX_PACKET_BYTES) throw new RangeError(`opus payload length ${payload.length}`);
    this.m.HEAPU8.set(payload, this.pktPtr);
    const n = guard(() => h._decode(this.pktPtr, payload.length, this.pcmPtr));
    if (n < 0) throw new OpusDecodeError(n);
    if (n > MAX_SAMPLES_PER_CHANNEL) throw new AcipError(CODEC_ENGINE_FAILED, `opus decode returned ${n} samples`);
    const heap16 = this.m.HEAPU16;
    const base = this.pcmPtr >> 1;
    const out = new Int16Array(n * this.channels);
    for (let i = 0; i < out.length; i++) out[i] = (((heap16[base + 2 * i + 1] as number) << 8) | (heap16[base + 2 * i] as number)) << 16 >> 16;
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
