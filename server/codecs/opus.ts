/**
 * Opus (RFC 6716) over RTP (RFC 7587). The rtpmap is always `opus/48000/2` (§7): the RTP clock is
 * 48 kHz whatever the audio rate, and "2" says nothing about the stream's channels; fmtp `stereo` /
 * `sprop-stereo` do (§6.1).
 *
 * Encoder: libopus 1.4 (the wasm build inside opusscript, via opus/opus-native.ts), 16-bit PCM in.
 * Packet times 2.5, 5, 10, 20 ms are single Opus frames. 40 and 60 ms packets are built as 2 or 3
 * frames of 20 ms in one code-3 packet (RFC 6716 §3.2.5), because asking this libopus build for
 * 40/60 ms frames directly traps the wasm module ("memory access out of bounds") once a few encoders
 * exist (reproduced: a 40 ms AUDIO encoder followed by a 40 ms RESTRICTED_LOWDELAY one). The 2nd and
 * 3rd frames are forced to the 1st frame's mode, bandwidth and channel count, as libopus itself does
 * for multi-frame packets; should a frame still come out with another configuration it is sent as a
 * zero-length (lost) frame and counted in `repackMismatches`.
 *
 * Decoder and concealment: libopus decodes whatever duration the packet holds. For a lost packet we
 * decode a packet of zero-length frames carrying the last packet's TOC configuration (RFC 6716
 * §3.2.1: a 0-byte frame means "lost"), so libopus conceals exactly one packet time. Decoding an empty
 * buffer instead (opusscript's way) conceals 120 ms in one go. If the far end's frame duration does
 * not divide our packet time, surplus concealed samples are held and handed out by the next
 * conceal(), so every conceal() returns exactly one frame.
 *
 * In-band FEC (LBRR, RFC 6716 §2.1.7): the encoder can emit it (CodecParams.fec, with
 * packetLossPercent) for far ends whose libopus can use it (ffmpeg, baresip, browsers). LBRR lives in
 * the SILK layer, so with FEC on libopus 1.4 keeps to SILK/hybrid modes even at 128 kbit/s stereo
 * (measured: CELT-only without FEC, hybrid with it), trading some fullband fidelity. Our own
 * decoder CANNOT use received FEC: the native binding always decodes with decode_fec = 0 and has no
 * way to ask for the redundant copy of the previous frame. FEC in received packets is harmless (it
 * is skipped) but a lost packet is always rebuilt by PLC. So we write useinbandfec=0 in our fmtp.
 */
import { AcipError } from '../util/errors.js';
import {
  CODEC_BAD_PAYLOAD,
  CODEC_CLOSED,
  samplesPerPtime,
  type AudioDecoder,
  type AudioEncoder,
  type CodecParams,
  type CodecRecord,
} from './codec.js';
import { fmtpDefaultsOf, formatFmtpWithTable, OPUS_FMTP, parseFmtpWithTable } from './fmtp.js';
import { MAX_PACKET_BYTES, OPUS_APPLICATION, OPUS_AUTO, OPUS_BANDWIDTH, OPUS_CTL, OPUS_MODE, OpusDecodeError, OpusNative } from './opus/opus-native.js';
import { buildOpusPacket, checkOpusPacket, lossPacket, parseOpusPacket, parseToc } from './opus/opus-packet.js';
import { badParams, checkFrame, validateCommon } from './params.js';

export const OPUS_PTIMES_MS = [2.5, 5, 10, 20, 40, 60] as const;
export const OPUS_SAMPLE_RATES = [8000, 12000, 16000, 24000, 48000] as const;
export const OPUS_MIN_BITRATE = 6000;
export const OPUS_MAX_BITRATE = 510000;
/** Longest frame libopus is asked to produce in one call (see the header comment). */
const MAX_NATIVE_FRAME_MS = 20;

function bandwidthForRate(rate: number): number {
  if (rate <= 8000) return OPUS_BANDWIDTH.nb;
  if (rate <= 12000) return OPUS_BANDWIDTH.mb;
  if (rate <= 16000) return OPUS_BANDWIDTH.wb;
  if (rate <= 24000) return OPUS_BANDWIDTH.swb;
  return OPUS_BANDWIDTH.fb;
}

function defaultBitrate(channels: number): number {
  return channels === 2 ? 128000 : 64000;
}

class OpusEncoder implements AudioEncoder {
  readonly samplesPerFrame: number;
  readonly sampleRate: number;
  readonly channels: number;
  /** Frames of a 40/60 ms packet that changed configuration and went out as lost (see above). */
  repackMismatches = 0;
  private readonly native: OpusNative;
  private readonly subSamples: number;
  private readonly subCount: number;
  private closed = false;

  constructor(p: CodecParams) {
    this.sampleRate = p.sampleRate;
    this.channels = p.channels;
    this.samplesPerFrame = samplesPerPtime(p.sampleRate, p.ptimeMs);
    const subMs = Math.min(p.ptimeMs, MAX_NATIVE_FRAME_MS);
    this.subSamples = samplesPerPtime(p.sampleRate, subMs);
    this.subCount = Math.round(p.ptimeMs / subMs);
    this.native = new OpusNative(p.sampleRate, p.channels, OPUS_APPLICATION[p.application ?? 'audio']);
    try {
      const n = this.native;
      n.encoderCtl(OPUS_CTL.SET_BITRATE, p.bitrate ?? defaultBitrate(p.channels));
      n.encoderCtl(OPUS_CTL.SET_COMPLEXITY, p.complexity ?? 10);
      n.encoderCtl(OPUS_CTL.SET_VBR, p.cbr ? 0 : 1);
      n.encoderCtl(OPUS_CTL.SET_INBAND_FEC, p.fec ? 1 : 0);
      n.encoderCtl(OPUS_CTL.SET_PACKET_LOSS_PERC, p.packetLossPercent ?? (p.fec ? 10 : 0));
      n.encoderCtl(OPUS_CTL.SET_DTX, p.dtx ? 1 : 0);
      n.encoderCtl(OPUS_CTL.SET_MAX_BANDWIDTH, bandwidthForRate(Math.min(p.maxPlaybackRate ?? 48000, p.sampleRate)));
    } catch (err) {
      this.native.close();
      throw err;
    }
  }

  encode(frame: Float32Array): Buffer {
    if (this.closed) throw new AcipError(CODEC_CLOSED, 'opus encoder is closed');
    checkFrame(frame, this.samplesPerFrame, this.channels, 'opus');
    if (this.subCount === 1) return this.encodeSub(frame, 0);
    const first = this.encodeSub(frame, 0);
    const firstPkt = parseOpusPacket(first);
    const toc = firstPkt.toc;
    const n = this.native;
    n.encoderCtl(OPUS_CTL.SET_FORCE_MODE, OPUS_MODE[toc.mode]);
    n.encoderCtl(OPUS_CTL.SET_BANDWIDTH, OPUS_BANDWIDTH[toc.bandwidth]);
    n.encoderCtl(OPUS_CTL.SET_FORCE_CHANNELS, toc.stereo ? 2 : 1);
    const frames: Buffer[] = [...firstPkt.frames];
    try {
      for (let k = 1; k < this.subCount; k++) {
        const pkt = parseOpusPacket(this.encodeSub(frame, k));
        if ((pkt.tocByte & 0xfc) !== (firstPkt.tocByte & 0xfc)) {
          this.repackMismatches++;
          for (let i = 0; i < pkt.frames.length; i++) frames.push(Buffer.alloc(0));
        } else frames.push(...pkt.frames);
      }
    } finally {
      n.encoderCtl(OPUS_CTL.SET_FORCE_MODE, OPUS_AUTO);
      n.encoderCtl(OPUS_CTL.SET_BANDWIDTH, OPUS_AUTO);
      n.encoderCtl(OPUS_CTL.SET_FORCE_CHANNELS, OPUS_AUTO);
    }
    return buildOpusPacket(firstPkt.tocByte, frames);
  }

  private encodeSub(frame: Float32Array, k: number): Buffer {
    return this.native.encodeFloat(frame, k * this.subSamples * this.channels, this.subSamples);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
  }
}

const NO_SAMPLES: Float32Array = new Float32Array(0);

class OpusDecoder implements AudioDecoder {
  readonly samplesPerFrame: number;
  readonly sampleRate: number;
  readonly channels: number;
  private readonly native: OpusNative;
  private lastToc: number | undefined;
  /** Concealed samples produced beyond the last conceal() (interleaved). */
  private held: Float32Array = NO_SAMPLES;
  private closed = false;

  constructor(p: CodecParams) {
    this.sampleRate = p.sampleRate;
    this.channels = p.channels;
    this.samplesPerFrame = samplesPerPtime(p.sampleRate, p.ptimeMs);
    this.native = new OpusNative(p.sampleRate, p.channels, OPUS_APPLICATION.audio);
  }

  decode(payload: Buffer): Float32Array {
    if (this.closed) throw new AcipError(CODEC_CLOSED, 'opus decoder is closed');
    if (payload.length === 0) throw new AcipError(CODEC_BAD_PAYLOAD, 'opus: empty payload');
    if (payload.length > MAX_PACKET_BYTES) throw new AcipError(CODEC_BAD_PAYLOAD, `opus: payload of ${payload.length} bytes`);
    // Check the framing ourselves first (RFC 6716 §3.4) so the error says what is wrong.
    checkOpusPacket(payload);
    let pcm: Float32Array;
    try {
      pcm = this.native.decodeFloat(payload);
    } catch (err) {
      if (err instanceof OpusDecodeError) throw new AcipError(CODEC_BAD_PAYLOAD, `opus: libopus rejected the packet (${err.opusCode})`);
      throw err;
    }
    this.lastToc = payload[0] as number;
    if (this.held.length > 0) this.held = NO_SAMPLES;
    return pcm;
  }

  conceal(): Float32Array {
    if (this.closed) throw new AcipError(CODEC_CLOSED, 'opus decoder is closed');
    const need = this.samplesPerFrame * this.channels;
    // Nothing received yet: there is nothing to extrapolate from.
    if (this.lastToc === undefined) return new Float32Array(need);
    while (this.held.length < need) {
      const tocFrame = (parseToc(this.lastToc).frameSamples48k * this.sampleRate) / 48000;
      const missing = need - this.held.length;
      // As many zero-length frames as fit in what is missing (at least one, at most 120 ms).
      const count = Math.max(1, Math.min(Math.floor(missing / this.channels / tocFrame), Math.floor(5760 / ((tocFrame * 48000) / this.sampleRate))));
      // The binding's own array, valid until its next decode: returned as is when it is the frame,
      // copied when it is held across calls.
      const plc = this.native.decodeFloat(lossPacket(this.lastToc, count));
      if (plc.length === 0) return padTo(this.held, need);
      if (this.held.length === 0 && plc.length === need) return plc;
      if (this.held.length === 0) this.held = plc.slice();
      else {
        const joined = new Float32Array(this.held.length + plc.length);
        joined.set(this.held);
        joined.set(plc, this.held.length);
        this.held = joined;
      }
    }
    if (this.held.length === need) {
      const out = this.held;
      this.held = NO_SAMPLES;
      return out;
    }
    const out = this.held.slice(0, need);
    this.held = this.held.slice(need);
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
  }
}

function padTo(a: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n);
  out.set(a.subarray(0, n));
  return out;
}

function validateOpus(p: CodecParams): CodecParams {
  validateCommon(opusCodec, p);
  if (p.bitrate !== undefined && (!Number.isInteger(p.bitrate) || p.bitrate < OPUS_MIN_BITRATE || p.bitrate > OPUS_MAX_BITRATE)) {
    throw badParams('bitrate', `opus: bitrate ${p.bitrate} outside ${OPUS_MIN_BITRATE}..${OPUS_MAX_BITRATE}`);
  }
  if (p.complexity !== undefined && (!Number.isInteger(p.complexity) || p.complexity < 0 || p.complexity > 10)) {
    throw badParams('complexity', `opus: complexity ${p.complexity} outside 0..10`);
  }
  if (p.application !== undefined && !(p.application in OPUS_APPLICATION)) throw badParams('application', `opus: unknown application ${p.application}`);
  if (p.packetLossPercent !== undefined && !(p.packetLossPercent >= 0 && p.packetLossPercent <= 100)) {
    throw badParams('packetLossPercent', `opus: packet loss ${p.packetLossPercent}% outside 0..100`);
  }
  if (p.maxPlaybackRate !== undefined && !(p.maxPlaybackRate >= 8000 && p.maxPlaybackRate <= 48000)) {
    throw badParams('maxPlaybackRate', `opus: maxplaybackrate ${p.maxPlaybackRate} outside 8000..48000`);
  }
  return p;
}

export const opusCodec: CodecRecord = {
  id: 'opus',
  encodingName: 'opus',
  description: 'Opus (RFC 6716 / RFC 7587)',
  sampleRates: OPUS_SAMPLE_RATES,
  channels: [1, 2],
  ptime: { minMs: 2.5, maxMs: () => 60, allowedMs: OPUS_PTIMES_MS },
  defaultPtimeMs: 20,
  defaultParams: { sampleRate: 48000, channels: 2, ptimeMs: 20, bitrate: 128000, complexity: 10, application: 'audio', fec: false, dtx: false },
  // RFC 7587 §6.1 defaults for what a peer may leave out.
  fmtpDefaults: fmtpDefaultsOf(OPUS_FMTP),
  rtpClockRate: () => 48000,
  audioSampleRate: () => 48000,
  rtpmapChannels: () => 2,
  // RFC 7587 §7: the rtpmap MUST be opus/48000/2, whatever is actually sent.
  matchesRtpmap: (clock, ch) => clock === 48000 && ch === 2,
  validate: validateOpus,
  // The keys, their ranges and defaults are the OPUS_FMTP table (RFC 7587 §6.1).
  parseFmtp: (fmtp) => parseFmtpWithTable(OPUS_FMTP, fmtp),
  formatFmtp: (p) =>
    formatFmtpWithTable(OPUS_FMTP, {
      maxPlaybackRate: Math.min(p.maxPlaybackRate ?? p.sampleRate, p.sampleRate),
      spropMaxCaptureRate: p.sampleRate,
      receiveChannels: p.channels,
      sendChannels: p.channels,
      maxAverageBitrate: p.bitrate ?? defaultBitrate(p.channels),
      // We cannot use received FEC (see the header comment), whatever we send.
      useInbandFec: false,
      useDtx: p.dtx === true,
      ...(p.cbr ? { cbr: true } : {}),
    }),
  maxPayloadBytes(_p, ptimeMs) {
    // One frame of at most 1275 bytes per 20 ms (RFC 6716 §3.2.1), plus TOC, count and length bytes.
    const frames = Math.max(1, Math.round(ptimeMs / MAX_NATIVE_FRAME_MS));
    return 1 + (frames > 1 ? 1 + 2 * (frames - 1) : 0) + 1275 * frames;
  },
  createEncoder(p: CodecParams) {
    validateOpus(p);
    return new OpusEncoder(p);
  },
  createDecoder(p: CodecParams) {
    validateOpus(p);
    return new OpusDecoder(p);
  },
};
