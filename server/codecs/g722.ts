/**
 * G.722 codec record (RFC 3551 §4.5.2, static payload type 9). The RTP clock rate is 8000 although
 * the audio is sampled at 16 kHz: an error in RFC 1890 kept for backward compatibility, so
 * a=rtpmap:9 G722/8000 means 16 kHz audio and RTP timestamps advance by half the sample count.
 * The ADPCM itself is in g722/g722-codec.ts (64 kbit/s, mode 1).
 */
import { AcipError } from '../util/errors.js';
import { CODEC_BAD_PAYLOAD, samplesPerPtime, type CodecParams, type CodecRecord } from './codec.js';
import { fmtpMap } from './fmtp.js';
import { FadeConcealingDecoder, FrameEncoder } from './frame-codec.js';
import { G722Decoder, G722Encoder } from './g722/g722-codec.js';
import { validateCommon } from './params.js';
import { floatToInt16 } from './sample-convert.js';

export const G722_AUDIO_RATE = 16000;
export const G722_RTP_CLOCK = 8000;

class G722AudioEncoder extends FrameEncoder {
  private readonly enc = new G722Encoder();
  private readonly pcm: Int16Array;
  constructor(ptimeMs: number) {
    super('G722', G722_AUDIO_RATE, 1, ptimeMs);
    this.pcm = new Int16Array(this.samplesPerFrame);
  }
  protected encodeFrame(frame: Float32Array): Buffer {
    for (let i = 0; i < frame.length; i++) this.pcm[i] = floatToInt16(frame[i] as number);
    const out = Buffer.allocUnsafe(this.samplesPerFrame >> 1);
    this.enc.encode(this.pcm, out);
    return out;
  }
}

/**
 * Loss is concealed by the fade of the last frame (fade-concealer.ts). The ADPCM state is left as it
 * was: after a loss the decoder and the far encoder disagree until the adaptive predictor and step
 * size re-converge (a few ms). G.722 Appendices III/IV describe better PLC; not implemented.
 */
class G722AudioDecoder extends FadeConcealingDecoder {
  private readonly dec = new G722Decoder();
  /** 16-bit samples of the last payload (two per code byte), reused while payloads keep their size. */
  private pcm = new Int16Array(0);
  constructor(ptimeMs: number) {
    super('G722', G722_AUDIO_RATE, 1, ptimeMs);
  }
  protected decodePayload(payload: Buffer): Float32Array {
    if (payload.length === 0) throw new AcipError(CODEC_BAD_PAYLOAD, 'G722: empty payload');
    if (this.pcm.length !== payload.length * 2) this.pcm = new Int16Array(payload.length * 2);
    const pcm = this.dec.decode(payload, this.pcm);
    const out = this.output(pcm.length);
    for (let i = 0; i < pcm.length; i++) out[i] = (pcm[i] as number) / 32768;
    return out;
  }
}

export const g722Codec: CodecRecord = {
  id: 'G722',
  encodingName: 'G722',
  description: 'G.722 64 kbit/s wideband ADPCM',
  staticPayloadType: 9,
  sampleRates: [G722_AUDIO_RATE],
  channels: [1],
  ptime: { minMs: 1, stepMs: 1, maxMs: () => 182 },
  defaultPtimeMs: 20,
  defaultParams: { sampleRate: G722_AUDIO_RATE, channels: 1, ptimeMs: 20 },
  fmtpDefaults: {},
  rtpClockRate: () => G722_RTP_CLOCK,
  audioSampleRate: () => G722_AUDIO_RATE,
  rtpmapChannels: () => undefined,
  // RFC 3551 §4.5.2: G722/8000 means 16 kHz audio.
  matchesRtpmap: (clock, ch) => clock === G722_RTP_CLOCK && ch === 1,
  validate: (p) => validateCommon(g722Codec, p),
  parseFmtp: (fmtp) => ({ unknown: fmtpMap(fmtp) }),
  formatFmtp: () => undefined,
  maxPayloadBytes: (_p, ptimeMs) => samplesPerPtime(G722_AUDIO_RATE, ptimeMs) >> 1,
  createEncoder(p: CodecParams) {
    validateCommon(g722Codec, p);
    return new G722AudioEncoder(p.ptimeMs);
  },
  createDecoder(p: CodecParams) {
    validateCommon(g722Codec, p);
    return new G722AudioDecoder(p.ptimeMs);
  },
};
