/**
 * G.711 A-law (PCMA, static PT 8) and µ-law (PCMU, static PT 0): ITU-T G.711, RFC 3551 §4.5.14.
 * 8 kHz mono, one byte per sample, 20 ms default packets. Tables are computed once at load from the
 * companding laws (segment/chord + 4-bit step), not copied.
 *
 * A-law works on 13-bit magnitudes (int16 >> 3), eight segments; codes have their even bits inverted
 * (XOR 0x55), positive values carry sign bit 1. Decoded values are mid-steps, e.g. 0xD5 -> +8,
 * 0xAA -> +32256 in 16-bit scale.
 * µ-law works on 14-bit magnitudes (int16 >> 2) biased by 33, eight chords; all bits inverted.
 * Decoded extremes: 0x80 -> +32124, 0x00 -> -32124, 0xFF -> 0.
 */
import { AcipError } from '../util/errors.js';
import { CODEC_BAD_PAYLOAD, samplesPerPtime, type CodecParams, type CodecRecord } from './codec.js';
import { fmtpMap } from './fmtp.js';
import { FadeConcealingDecoder, FrameEncoder } from './frame-codec.js';
import { validateCommon } from './params.js';
import { floatToInt16 } from './sample-convert.js';

/** A-law code -> 16-bit linear. */
export const ALAW_TO_LINEAR = new Int16Array(256);
/** µ-law code -> 16-bit linear. */
export const ULAW_TO_LINEAR = new Int16Array(256);
/** 13-bit (int16 >> 3, offset by 4096) -> A-law code. */
const LINEAR13_TO_ALAW = new Uint8Array(8192);
/** 14-bit (int16 >> 2, offset by 8192) -> µ-law code. */
const LINEAR14_TO_ULAW = new Uint8Array(16384);

function alawEncodeMagnitude(m: number): number {
  // m: 12-bit magnitude 0..4095. Segment 0 covers 0..31 in steps of 2; segment c >= 1 covers
  // [16·2^c, 32·2^c) in steps of 2^c.
  if (m < 32) return m >> 1;
  let c = 1;
  while (m >= 32 << c) c++;
  return (c << 4) | ((m >> c) & 0x0f);
}

function alawDecodeMagnitude(code7: number): number {
  const c = code7 >> 4;
  const mant = code7 & 0x0f;
  if (c === 0) return (mant << 1) | 1;
  return ((mant | 0x10) << c) | (1 << (c - 1));
}

function ulawEncodeMagnitude(m14: number): number {
  // m14: 14-bit magnitude 0..8191, clipped so that the bias keeps it within the top chord.
  const v = Math.min(m14, 8158) + 33; // 33..8191
  let c = 0;
  while (v >= 64 << c) c++;
  return (c << 4) | ((v >> (c + 1)) & 0x0f);
}

function ulawDecodeMagnitude(code7: number): number {
  const c = code7 >> 4;
  const mant = code7 & 0x0f;
  return (((mant << 1) + 33) << c) - 33;
}

for (let code = 0; code < 256; code++) {
  const a = code ^ 0x55;
  const am = alawDecodeMagnitude(a & 0x7f) << 3;
  ALAW_TO_LINEAR[code] = a & 0x80 ? am : -am;
  const u = ~code & 0xff;
  const um = ulawDecodeMagnitude(u & 0x7f) << 2;
  ULAW_TO_LINEAR[code] = u & 0x80 ? -um : um;
}
for (let i = 0; i < 8192; i++) {
  const s = i - 4096; // 13-bit signed
  // Negative values use the ones' complement magnitude so that -1..-8 (16-bit) land in the
  // first negative step, symmetric with 0..7.
  LINEAR13_TO_ALAW[i] = s >= 0 ? (0x80 | alawEncodeMagnitude(s)) ^ 0x55 : alawEncodeMagnitude(-s - 1) ^ 0x55;
}
for (let i = 0; i < 16384; i++) {
  const s = i - 8192; // 14-bit signed
  LINEAR14_TO_ULAW[i] = s >= 0 ? ~ulawEncodeMagnitude(s) & 0xff : ~(0x80 | ulawEncodeMagnitude(-s)) & 0xff;
}

export function linearToAlaw(s16: number): number {
  return LINEAR13_TO_ALAW[(s16 >> 3) + 4096] as number;
}

export function linearToUlaw(s16: number): number {
  // -32768 >> 2 = -8192 -> index 0; its magnitude 8192 is clipped like any overload.
  return LINEAR14_TO_ULAW[(s16 >> 2) + 8192] as number;
}

type Law = 'A' | 'u';

class G711Encoder extends FrameEncoder {
  constructor(private readonly law: Law, id: string, ptimeMs: number) {
    super(id, 8000, 1, ptimeMs);
  }
  protected encodeFrame(frame: Float32Array): Buffer {
    const out = Buffer.allocUnsafe(frame.length);
    const f = this.law === 'A' ? linearToAlaw : linearToUlaw;
    for (let i = 0; i < frame.length; i++) out[i] = f(floatToInt16(frame[i] as number));
    return out;
  }
}

class G711Decoder extends FadeConcealingDecoder {
  constructor(private readonly law: Law, id: string, ptimeMs: number) {
    super(id, 8000, 1, ptimeMs);
  }
  protected decodePayload(payload: Buffer): Float32Array {
    if (payload.length === 0) throw new AcipError(CODEC_BAD_PAYLOAD, `${this.id}: empty payload`);
    const t = this.law === 'A' ? ALAW_TO_LINEAR : ULAW_TO_LINEAR;
    const out = this.output(payload.length);
    for (let i = 0; i < payload.length; i++) out[i] = (t[payload[i] as number] as number) / 32768;
    return out;
  }
}

function makeG711Record(law: Law): CodecRecord {
  const id = law === 'A' ? 'PCMA' : 'PCMU';
  const rec: CodecRecord = {
    id,
    encodingName: id,
    description: law === 'A' ? 'G.711 A-law' : 'G.711 µ-law',
    staticPayloadType: law === 'A' ? 8 : 0,
    sampleRates: [8000],
    channels: [1],
    // RFC 3551 §4.5.14: any multiple of one sample is legal; 10..60 ms in practice. We allow 1 ms steps
    // up to what a 1500-byte MTU holds.
    ptime: { minMs: 1, stepMs: 1, maxMs: () => 182 },
    defaultPtimeMs: 20,
    defaultParams: { sampleRate: 8000, channels: 1, ptimeMs: 20 },
    fmtpDefaults: {},
    rtpClockRate: () => 8000,
    audioSampleRate: () => 8000,
    rtpmapChannels: () => undefined,
    matchesRtpmap: (clock, ch) => clock === 8000 && ch === 1,
    validate: (p) => validateCommon(rec, p),
    parseFmtp: (fmtp) => ({ unknown: fmtpMap(fmtp) }),
    formatFmtp: () => undefined,
    maxPayloadBytes: (_p, ptimeMs) => samplesPerPtime(8000, ptimeMs),
    createEncoder(p: CodecParams) {
      validateCommon(rec, p);
      return new G711Encoder(law, id, p.ptimeMs);
    },
    createDecoder(p: CodecParams) {
      validateCommon(rec, p);
      return new G711Decoder(law, id, p.ptimeMs);
    },
  };
  return rec;
}

export const pcmaCodec: CodecRecord = makeG711Record('A');
export const pcmuCodec: CodecRecord = makeG711Record('u');
