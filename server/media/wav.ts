/**
 * WAV (RIFF WAVE) reading and streamed writing.
 *
 * Layout (Microsoft "Multimedia Programming Interface and Data Specifications 1.0", RIFF/WAVE):
 *
 *   "RIFF" u32le(size of rest)  "WAVE"
 *   chunk*: id[4] u32le(size) body[size] (+1 pad byte when size is odd)
 *     "fmt " u16 formatTag, u16 channels, u32 sampleRate, u32 byteRate, u16 blockAlign, u16 bitsPerSample
 *            [u16 cbSize, u16 validBits, u32 channelMask, GUID subFormat]   (formatTag 0xFFFE, EXTENSIBLE)
 *     "data" interleaved little-endian samples
 *
 * Formats read: PCM (tag 1) 8-bit unsigned, 16/24/32-bit signed; IEEE float (tag 3) 32/64-bit;
 * EXTENSIBLE with a PCM or float sub-format. Integer samples map to [-1, 1) by x / 2^(bits-1),
 * which is exact in Float32 for up to 24 bits (L24 stays bit-exact).
 *
 * A data chunk whose declared size runs past the end of the file (a recording cut short, or a
 * streaming writer's 0xFFFFFFFF placeholder) is read up to the last whole frame, with `truncated` set.
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { AcipError } from '../util/errors.js';
import { decodeIntLE, encodeIntLE, type IntSampleBits } from '../codecs/sample-convert.js';

export type WavSampleFormat = 'pcm' | 'float';

export interface WavData {
  sampleRate: number;
  channels: number;
  bitDepth: number;
  format: WavSampleFormat;
  /** Interleaved, `frames × channels` samples in [-1, 1). */
  samples: Float32Array;
  frames: number;
  /** The data chunk declared more bytes than the file holds. */
  truncated: boolean;
}

export const WAV_INVALID = 'WAV_INVALID';
export const WAV_UNSUPPORTED = 'WAV_UNSUPPORTED';

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Reads and decodes a WAV file. Errors name the file. */
export function readWav(path: string): WavData {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new AcipError('WAV_UNREADABLE', `${path}: cannot read WAV file (${(e as Error).message})`, undefined, { cause: e });
  }
  return parseWav(buf, path);
}

/** Where the audio of a WAV file is and how it is encoded. */
export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitDepth: number;
  format: WavSampleFormat;
  /** Bytes per frame. */
  blockAlign: number;
  dataOffset: number;
  /** Whole frames available (clamped to what the file really holds). */
  frames: number;
  truncated: boolean;
}

/**
 * Walks the RIFF chunks through `read(offset, length)` (which may return fewer bytes at the end)
 * over a file of `size` bytes. Pure given a pure `read`. Errors name `name`.
 */
export function scanWav(read: (offset: number, length: number) => Buffer, size: number, name: string): WavInfo {
  const bad = (msg: string): never => {
    throw new AcipError(WAV_INVALID, `${name}: not a valid WAV file: ${msg}`);
  };
  const unsupported = (msg: string): never => {
    throw new AcipError(WAV_UNSUPPORTED, `${name}: unsupported WAV format: ${msg}`);
  };
  if (size < 12) bad(`only ${size} bytes, shorter than a RIFF header`);
  const head = read(0, 12);
  if (head.length < 12) bad('short read of the RIFF header');
  const riff = head.toString('latin1', 0, 4);
  if (riff === 'RIFX' || riff === 'RF64') unsupported(`${riff} container`);
  if (riff !== 'RIFF') bad('missing RIFF signature');
  if (head.toString('latin1', 8, 12) !== 'WAVE') bad('RIFF form type is not WAVE');

  let fmt: { tag: number; channels: number; rate: number; blockAlign: number; bits: number } | undefined;
  let dataOff = -1;
  let dataLen = 0;
  let truncated = false;
  let off = 12;
  for (let chunks = 0; off + 8 <= size; chunks++) {
    if (chunks > 10_000) bad('more than 10000 chunks before the data');
    const ch = read(off, 8);
    if (ch.length < 8) break;
    const id = ch.toString('latin1', 0, 4);
    const chunkSize = ch.readUInt32LE(4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (chunkSize < 16 || body + chunkSize > size) bad(`fmt chunk of ${chunkSize} bytes is too short or runs past the end`);
      const f = read(body, Math.min(chunkSize, 40));
      if (f.length < 16) bad('short read of the fmt chunk');
      let tag = f.readUInt16LE(0);
      const channels = f.readUInt16LE(2);
      const rate = f.readUInt32LE(4);
      const blockAlign = f.readUInt16LE(12);
      const bits = f.readUInt16LE(14);
      if (tag === FORMAT_EXTENSIBLE) {
        if (f.length < 40) bad(`WAVE_FORMAT_EXTENSIBLE fmt chunk of ${chunkSize} bytes (needs 40)`);
        // Sub-format GUID: its first two bytes are the format tag; the rest is the fixed KSDATAFORMAT suffix.
        tag = f.readUInt16LE(24);
      }
      fmt = { tag, channels, rate, blockAlign, bits };
    } else if (id === 'data') {
      dataOff = body;
      dataLen = chunkSize;
      if (body + chunkSize > size) {
        truncated = true;
        dataLen = size - body;
      }
      break; // Anything after the data chunk is irrelevant to us.
    }
    off = body + chunkSize + (chunkSize & 1);
  }
  if (!fmt) return bad('no fmt chunk before the data');
  if (dataOff < 0) bad('no data chunk');
  const { tag, channels, rate, blockAlign, bits } = fmt;
  if (channels < 1 || channels > 32) unsupported(`${channels} channels`);
  if (rate < 1000 || rate > 768000) unsupported(`sample rate ${rate} Hz`);
  let format: WavSampleFormat;
  if (tag === FORMAT_PCM) {
    if (![8, 16, 24, 32].includes(bits)) unsupported(`${bits}-bit PCM`);
    format = 'pcm';
  } else if (tag === FORMAT_FLOAT) {
    if (bits !== 32 && bits !== 64) unsupported(`${bits}-bit float`);
    format = 'float';
  } else {
    return unsupported(`format tag 0x${tag.toString(16)} (only PCM and IEEE float are read, not compressed formats)`);
  }
  if (blockAlign !== (bits / 8) * channels) bad(`block align ${blockAlign} does not match ${channels} × ${bits}-bit`);
  const frames = Math.floor(dataLen / blockAlign);
  if (frames * blockAlign !== dataLen) truncated = true;
  return { sampleRate: rate, channels, bitDepth: bits, format, blockAlign, dataOffset: dataOff, frames, truncated };
}

/** Decodes `frames` whole frames of sample bytes described by `info` into `out` (from sample 0). */
export function decodeWavSamples(bytes: Buffer, info: WavInfo, out?: Float32Array): Float32Array {
  const n = Math.floor(bytes.length / info.blockAlign) * info.channels;
  const samples = out ?? new Float32Array(n);
  const bits = info.bitDepth;
  let p = 0;
  if (info.format === 'float') {
    for (let i = 0; i < n; i++, p += bits / 8) samples[i] = bits === 32 ? bytes.readFloatLE(p) : bytes.readDoubleLE(p);
  } else if (bits === 8) {
    for (let i = 0; i < n; i++, p++) samples[i] = (bytes[p]! - 128) / 128;
  } else {
    decodeIntLE(bytes, bits as IntSampleBits, n, samples);
  }
  return samples;
}

/** Decodes WAV bytes. `name` is used in error messages. Pure. */
export function parseWav(buf: Uint8Array, name = 'WAV data'): WavData {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const info = scanWav((o, l) => b.subarray(o, Math.min(b.length, o + l)), b.length, name);
  const bytes = b.subarray(info.dataOffset, info.dataOffset + info.frames * info.blockAlign);
  const samples = decodeWavSamples(bytes, info);
  return {
    sampleRate: info.sampleRate,
    channels: info.channels,
    bitDepth: info.bitDepth,
    format: info.format,
    samples,
    frames: info.frames,
    truncated: info.truncated,
  };
}

export type WavWriteDepth = 16 | 24;

/** Float → integer with rounding and clipping; the inverse of x / 2^(bits-1), so int→float→int is exact. */
export function encodePcm(samples: Float32Array, bitDepth: WavWriteDepth, out?: Buffer): Buffer {
  return encodeIntLE(samples, bitDepth, out);
}

/** The 44-byte canonical PCM header for `dataBytes` of audio. */
export function wavHeader(sampleRate: number, channels: number, bitDepth: WavWriteDepth, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  const block = channels * (bitDepth / 8);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(Math.min(0xffffffff, 36 + dataBytes + (dataBytes & 1)), 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(FORMAT_PCM, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * block, 28);
  h.writeUInt16LE(block, 32);
  h.writeUInt16LE(bitDepth, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(Math.min(0xffffffff, dataBytes), 40);
  return h;
}

export interface WavWriterOptions {
  sampleRate: number;
  channels: number;
  /** 24 (default) keeps L24 bit-exact; 16 halves the size. */
  bitDepth?: WavWriteDepth;
  /**
   * How much audio is buffered before it is written and the header sizes are updated
   * (default 250 ms). A process killed at any moment leaves a valid file holding at least
   * everything up to the last update.
   */
  flushIntervalMs?: number;
  /** fsync after each header update (default false: the page cache survives a process kill, not a power cut). */
  fsync?: boolean;
  /** Largest data chunk (default WAV_MAX_DATA_BYTES, the RIFF 4 GiB limit; smaller in tests). */
  maxDataBytes?: number;
}

/** Largest data chunk we write before the 32-bit RIFF size would overflow; the file then ends cleanly. */
export const WAV_MAX_DATA_BYTES = 0xffffffff - 36 - 1;

/**
 * A WAV file written as the audio comes: header first with zero sizes, then data, with the RIFF
 * and data sizes rewritten at every flush. Synchronous writes: the data is in the kernel's hands
 * when `write` returns from a flush, so SIGKILL cannot lose it.
 */
export class StreamingWavWriter {
  readonly path: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitDepth: WavWriteDepth;
  private fd: number | undefined;
  private readonly flushSamples: number;
  private readonly fsync: boolean;
  private readonly maxDataBytes: number;
  private pending: Float32Array;
  private pendingLen = 0;
  private dataBytes = 0;
  /** Frames dropped because the file reached the RIFF 4 GiB limit. */
  framesDroppedAtLimit = 0;

  constructor(path: string, opts: WavWriterOptions) {
    this.path = path;
    this.sampleRate = opts.sampleRate;
    this.channels = opts.channels;
    this.bitDepth = opts.bitDepth ?? 24;
    if (this.bitDepth !== 16 && this.bitDepth !== 24) {
      throw new AcipError('WAV_UNSUPPORTED', `${path}: cannot write ${String(this.bitDepth)}-bit WAV (16 or 24)`);
    }
    const frames = Math.max(1, Math.round(((opts.flushIntervalMs ?? 250) * opts.sampleRate) / 1000));
    this.flushSamples = frames * opts.channels;
    this.pending = new Float32Array(this.flushSamples);
    this.fsync = opts.fsync ?? false;
    this.maxDataBytes = Math.min(opts.maxDataBytes ?? WAV_MAX_DATA_BYTES, WAV_MAX_DATA_BYTES);
    try {
      this.fd = openSync(path, 'w');
      writeSync(this.fd, wavHeader(this.sampleRate, this.channels, this.bitDepth, 0), 0, 44, 0);
    } catch (e) {
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
      throw new AcipError('WAV_UNWRITABLE', `${path}: cannot write WAV file (${(e as Error).message})`, undefined, { cause: e });
    }
  }

  /** Frames written to the file and covered by its header. */
  get framesCommitted(): number {
    return this.dataBytes / ((this.bitDepth / 8) * this.channels);
  }

  /** Whole frames that still fit in this file, counting what is buffered. */
  get framesFree(): number {
    const block = (this.bitDepth / 8) * this.channels;
    return Math.max(0, Math.floor((this.maxDataBytes - this.dataBytes) / block) - this.pendingLen / this.channels);
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  write(frame: Float32Array): void {
    if (this.fd === undefined) return;
    let off = 0;
    while (off < frame.length) {
      const n = Math.min(frame.length - off, this.flushSamples - this.pendingLen);
      this.pending.set(frame.subarray(off, off + n), this.pendingLen);
      this.pendingLen += n;
      off += n;
      if (this.pendingLen === this.flushSamples) this.flush();
    }
  }

  /** Writes buffered audio and updates the header sizes. */
  flush(): void {
    if (this.fd === undefined || this.pendingLen === 0) return;
    const block = (this.bitDepth / 8) * this.channels;
    let samples = this.pending.subarray(0, this.pendingLen - (this.pendingLen % this.channels));
    const room = Math.floor((this.maxDataBytes - this.dataBytes) / block) * this.channels;
    if (samples.length > room) {
      this.framesDroppedAtLimit += (samples.length - room) / this.channels;
      samples = samples.subarray(0, room);
    }
    const carry = this.pendingLen % this.channels;
    if (samples.length > 0) {
      const bytes = encodePcm(samples, this.bitDepth);
      writeSync(this.fd, bytes, 0, bytes.length, 44 + this.dataBytes);
      this.dataBytes += bytes.length;
      // Data first, then the sizes that cover it: a kill between the two loses only this flush.
      const h = wavHeader(this.sampleRate, this.channels, this.bitDepth, this.dataBytes);
      writeSync(this.fd, h, 4, 4, 4);
      writeSync(this.fd, h, 40, 4, 40);
      if (this.fsync) fsyncSync(this.fd);
    }
    if (carry > 0) this.pending.copyWithin(0, this.pendingLen - carry, this.pendingLen);
    this.pendingLen = carry;
  }

  /** Flushes, pads an odd-sized data chunk, closes. Idempotent. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    try {
      this.flush();
      if (this.dataBytes & 1) writeSync(fd, Buffer.alloc(1), 0, 1, 44 + this.dataBytes);
    } finally {
      this.fd = undefined;
      closeSync(fd);
    }
  }
}
