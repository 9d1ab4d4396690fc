/**
 * Linear PCM: L16 (RFC 3551 §4.5.11) and L24 (RFC 3190 §4). Samples are big-endian (network byte
 * order) two's complement, interleaved by channel for multi-channel streams (RFC 3551 §4.1); the RTP
 * clock is the sample rate. No fmtp parameters (RFC 3190 defines none for L24; channels travel in
 * a=rtpmap). L16's static payload types 10/11 (44.1 kHz) are not used: broadcast practice
 * (EBU Tech 3326) uses dynamic payload types.
 *
 * Packet time: any whole number of samples from 1 ms up to what fits a 1500-byte MTU:
 *   maxSamples = floor((1500 - 20 IPv4 - 8 UDP - 12 RTP) / (bytesPerSample * channels))
 * e.g. 48 kHz L24 stereo: 1460 / 6 = 243 samples -> 5 ms; L16 mono: 730 -> 15 ms.
 */
import { AcipError } from '../util/errors.js';
import { CODEC_BAD_PAYLOAD, MAX_RTP_PAYLOAD_BYTES, samplesPerPtime, type CodecParams, type CodecRecord, type FmtpParams } from './codec.js';
import { fmtpMap } from './fmtp.js';
import { FadeConcealingDecoder, FrameEncoder } from './frame-codec.js';
import { validateCommon } from './params.js';
import { floatToInt16, floatToInt24, INT16_SCALE, INT24_SCALE } from './sample-convert.js';

export type PcmBits = 16 | 24;

/** Longest packet (in samples per channel) that fits the MTU. */
export function pcmMaxSamplesPerPacket(bits: PcmBits, channels: number): number {
  return Math.floor(MAX_RTP_PAYLOAD_BYTES / ((bits / 8) * channels));
}

/** Longest whole-millisecond packet time that fits the MTU. */
export function pcmMaxPtimeMs(bits: PcmBits, sampleRate: number, channels: number): number {
  return Math.floor((pcmMaxSamplesPerPacket(bits, channels) * 1000) / sampleRate);
}

function writeSample(bits: PcmBits, buf: Buffer, off: number, x: number): void {
  if (bits === 16) buf.writeInt16BE(floatToInt16(x), off);
  else {
    const v = floatToInt24(x);
    buf[off] = (v >> 16) & 0xff;
    buf[off + 1] = (v >> 8) & 0xff;
    buf[off + 2] = v & 0xff;
  }
}

class PcmEncoder extends FrameEncoder {
  constructor(private readonly bits: PcmBits, id: string, sampleRate: number, channels: number, ptimeMs: number) {
    super(id, sampleRate, channels, ptimeMs);
  }
  protected encodeFrame(frame: Float32Array): Buffer {
    const bps = this.bits / 8;
    const out = Buffer.allocUnsafe(frame.length * bps);
    for (let i = 0; i < frame.length; i++) writeSample(this.bits, out, i * bps, frame[i] as number);
    return out;
  }
}

class PcmDecoder extends FadeConcealingDecoder {
  constructor(private readonly bits: PcmBits, id: string, sampleRate: number, channels: number, ptimeMs: number) {
    super(id, sampleRate, channels, ptimeMs);
  }
  protected decodePayload(payload: Buffer): Float32Array {
    const bps = this.bits / 8;
    const unit = bps * this.channels;
    // RFC 3551 §4.5.11: a packet holds whole sample frames (one sample per channel).
    if (payload.length === 0 || payload.length % unit !== 0) {
      throw new AcipError(CODEC_BAD_PAYLOAD, `${this.id}: payload of ${payload.length} bytes is not a whole number of ${unit}-byte sample frames`);
    }
    const n = payload.length / bps;
    const out = this.output(n);
    if (this.bits === 16) {
      for (let i = 0; i < n; i++) out[i] = payload.readInt16BE(i * 2) / INT16_SCALE;
    } else {
      for (let i = 0, o = 0; i < n; i++, o += 3) {
        const v = (((payload[o] as number) << 24) | ((payload[o + 1] as number) << 16) | ((payload[o + 2] as number) << 8)) >> 8;
        out[i] = v / INT24_SCALE;
      }
    }
    return out;
  }
}

function makePcmRecord(bits: PcmBits): CodecRecord {
  const id = bits === 16 ? 'L16' : 'L24';
  const rec: CodecRecord = {
    id,
    encodingName: id,
    description: `${bits}-bit linear PCM (${bits === 16 ? 'RFC 3551 §4.5.11' : 'RFC 3190'})`,
    sampleRates: [48000, 44100, 32000],
    channels: [1, 2],
    ptime: { minMs: 1, stepMs: 1, maxMs: (p) => pcmMaxPtimeMs(bits, p.sampleRate, p.channels) },
    defaultPtimeMs: bits === 16 ? 5 : 5,
    defaultParams: { sampleRate: 48000, channels: 2, ptimeMs: 5 },
    fmtpDefaults: {},
    rtpClockRate: (p) => p.sampleRate,
    audioSampleRate: (clock) => clock,
    // RFC 3551 §4.1: the channel count may be omitted when it is 1; we always write it for clarity.
    rtpmapChannels: (p) => p.channels,
    matchesRtpmap: (clock, ch) => rec.sampleRates.includes(clock) && rec.channels.includes(ch),
    validate: (p) => validateCommon(rec, p),
    parseFmtp(fmtp): FmtpParams {
      // No fmtp parameters are defined for L16/L24; keep whatever was said.
      return { unknown: fmtpMap(fmtp) };
    },
    formatFmtp: () => undefined,
    maxPayloadBytes: (p, ptimeMs) => samplesPerPtime(p.sampleRate, ptimeMs) * p.channels * (bits / 8),
    createEncoder(p: CodecParams) {
      validateCommon(rec, p);
      return new PcmEncoder(bits, id, p.sampleRate, p.channels, p.ptimeMs);
    },
    createDecoder(p: CodecParams) {
      validateCommon(rec, p);
      return new PcmDecoder(bits, id, p.sampleRate, p.channels, p.ptimeMs);
    },
  };
  return rec;
}

export const l16Codec: CodecRecord = makePcmRecord(16);
export const l24Codec: CodecRecord = makePcmRecord(24);
