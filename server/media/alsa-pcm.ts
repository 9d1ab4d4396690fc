/**
 * What `arecord` and `aplay` share: the raw sample formats we ask them for and the argument list.
 * S32_LE carries 24-bit audio exactly (x · 2^31 of a Float32 that came from an int24 is an integer).
 */
import { decodeIntLE, encodeIntLE } from '../codecs/sample-convert.js';

export type AlsaSampleFormat = 'S16_LE' | 'S32_LE';

export function bytesPerSample(f: AlsaSampleFormat): number {
  return f === 'S16_LE' ? 2 : 4;
}

/** Raw little-endian integers → Float32 in [-1, 1). `bytes.length` must be a multiple of the sample size. */
export function decodeRaw(bytes: Buffer, f: AlsaSampleFormat): Float32Array {
  return decodeIntLE(bytes, f === 'S16_LE' ? 16 : 32);
}

/** Float32 → raw little-endian integers, rounded and clipped. */
export function encodeRaw(samples: Float32Array, f: AlsaSampleFormat): Buffer {
  return encodeIntLE(samples, f === 'S16_LE' ? 16 : 32);
}

export interface AlsaProcessOptions {
  device: string;
  sampleRate: number;
  channels: number;
  /** Default S32_LE (24-bit clean). */
  sampleFormat?: AlsaSampleFormat;
  /** ALSA period in ms (arecord/aplay --period-time); default 10. */
  periodMs?: number;
  /** ALSA buffer in ms (--buffer-time); default 4 periods. */
  bufferMs?: number;
  /** Environment for the subprocess (e.g. ALSA_CONFIG_PATH); default the service's. */
  env?: NodeJS.ProcessEnv;
  /** Program to run instead of arecord/aplay (tests). */
  command?: string;
}

export function alsaArgs(o: AlsaProcessOptions): string[] {
  const period = o.periodMs ?? 10;
  const buffer = o.bufferMs ?? 4 * period;
  return [
    '-q',
    '-D',
    o.device,
    '-f',
    o.sampleFormat ?? 'S32_LE',
    '-r',
    String(o.sampleRate),
    '-c',
    String(o.channels),
    '-t',
    'raw',
    `--period-time=${Math.round(period * 1000)}`,
    `--buffer-time=${Math.round(buffer * 1000)}`,
  ];
}

/** Keeps the last `max` characters of a subprocess's stderr for error messages. */
export class TailText {
  private text = '';
  constructor(private readonly max = 2000) {}
  add(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.max);
  }
  toString(): string {
    return this.text.trim();
  }
}
