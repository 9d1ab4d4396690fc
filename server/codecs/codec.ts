/**
 * The codec record: one plain object per codec, read by every layer (SDP generation, negotiation,
 * the media pipeline). baresip's `struct aucodec` is the model: names, rates, channels, packet
 * times, fmtp handling and encoder/decoder factories live here, so adding a codec adds a record
 * (see registry.ts), never an `if (codec === ...)` branch elsewhere.
 *
 * Audio frames everywhere are interleaved Float32Array samples in [-1, 1) at the codec's *audio*
 * rate (`audioSampleRate`), which is not always the RTP clock rate (G.722: 16 kHz audio, 8 kHz RTP
 * clock, RFC 3551 §4.5.2).
 */

/** Stable error codes thrown by codec code (AcipError.code). */
export const CODEC_UNKNOWN = 'CODEC_UNKNOWN';
export const CODEC_BAD_PARAMS = 'CODEC_BAD_PARAMS';
export const CODEC_BAD_FMTP = 'CODEC_BAD_FMTP';
export const CODEC_BAD_PAYLOAD = 'CODEC_BAD_PAYLOAD';
export const CODEC_BAD_FRAME = 'CODEC_BAD_FRAME';
export const CODEC_CLOSED = 'CODEC_CLOSED';
export const CODEC_ENGINE_FAILED = 'CODEC_ENGINE_FAILED';

export type CodecId = 'opus' | 'L16' | 'L24' | 'PCMA' | 'PCMU' | 'G722';

/** Opus application (RFC 6716 encoder modes; numeric values are libopus' OPUS_APPLICATION_*). */
export type OpusApplication = 'audio' | 'restricted-lowdelay' | 'voip';

/**
 * Everything needed to build one encoder or decoder. Fields a codec does not use are ignored
 * (PCM codecs ignore bitrate, complexity, ...).
 */
export interface CodecParams {
  /** Audio sample rate of the frames (not the RTP clock rate). */
  sampleRate: number;
  channels: number;
  /** Packet time: one encode() call consumes exactly one packet's worth of audio. */
  ptimeMs: number;
  /** Opus: target bitrate in bit/s (RFC 7587 `maxaveragebitrate` caps it). */
  bitrate?: number;
  /** Opus: encoder complexity 0..10. */
  complexity?: number;
  /** Opus: encoder application. */
  application?: OpusApplication;
  /** Opus: emit in-band FEC (LBRR) for the far end. Our own decoder cannot use it (see opus.ts). */
  fec?: boolean;
  /** Opus: expected packet loss in percent; drives how much FEC the encoder spends. */
  packetLossPercent?: number;
  /** Opus: discontinuous transmission (RFC 7587 `usedtx`). */
  dtx?: boolean;
  /** Opus: constant bitrate (RFC 7587 `cbr`). */
  cbr?: boolean;
  /** Opus: highest audio rate the far end will render (RFC 7587 `maxplaybackrate`). */
  maxPlaybackRate?: number;
}

/**
 * What a peer's `a=fmtp` line says, interpreted per codec. Every field is optional: only what the
 * line said is present. RFC 7587 §6.1 semantics for Opus: `stereo`, `maxaveragebitrate`,
 * `useinbandfec`, `usedtx`, `maxplaybackrate`, `cbr` describe what the *receiver* of that SDP wants;
 * `sprop-stereo` describes what its *sender* will send.
 */
export interface FmtpParams {
  /** The peer prefers to receive this many channels (Opus `stereo`, or PCM channels). */
  receiveChannels?: number;
  /** The peer will send this many channels (Opus `sprop-stereo`). */
  sendChannels?: number;
  maxAverageBitrate?: number;
  useInbandFec?: boolean;
  useDtx?: boolean;
  cbr?: boolean;
  maxPlaybackRate?: number;
  spropMaxCaptureRate?: number;
  ptimeMs?: number;
  maxPtimeMs?: number;
  minPtimeMs?: number;
  /** Keys we did not recognise, kept (lower-cased) so that nothing said is silently lost. */
  unknown: ReadonlyMap<string, string>;
}

export interface AudioEncoder {
  /** Samples per channel that encode() takes (one packet time at the audio rate). */
  readonly samplesPerFrame: number;
  readonly channels: number;
  readonly sampleRate: number;
  /**
   * frame: interleaved, length samplesPerFrame * channels (read, never kept). Returns the RTP payload,
   * a new buffer that the caller may keep (the loss-recovery stage keeps it for RTX and RED).
   */
  encode(frame: Float32Array): Buffer;
  /** Idempotent. */
  close(): void;
}

export interface AudioDecoder {
  /** Samples per channel of one packet time; conceal() returns exactly this many. */
  readonly samplesPerFrame: number;
  readonly channels: number;
  readonly sampleRate: number;
  /**
   * Decodes one RTP payload into interleaved samples. A payload may carry a different duration
   * than the configured packet time (the far end chose another ptime): all of it is returned.
   * Throws AcipError(CODEC_BAD_PAYLOAD) on a malformed payload; callers count it and conceal.
   * The array is the decoder's own, reused (no allocation per frame): it is valid until the next
   * `decode` or `conceal` call; the caller must not write it and copies what it keeps (the playout
   * adapter copies it into its FIFO).
   */
  decode(payload: Buffer): Float32Array;
  /**
   * Exactly one frame (samplesPerFrame * channels samples) standing in for one lost packet; the
   * decoder's own array too, valid until the next `decode` or `conceal`.
   */
  conceal(): Float32Array;
  /** Idempotent. */
  close(): void;
}

export interface PtimeRange {
  /** Shortest packet time in ms. */
  readonly minMs: number;
  /** Longest packet time in ms for these parameters (PCM: what fits a 1500-byte MTU). */
  maxMs(params: Pick<CodecParams, 'sampleRate' | 'channels'>): number;
  /** When present, the only packet times allowed (Opus: 2.5, 5, 10, 20, 40, 60). */
  readonly allowedMs?: readonly number[];
  /** When absent, any multiple of stepMs between min and max is allowed. */
  readonly stepMs?: number;
}

export interface CodecRecord {
  readonly id: CodecId;
  /** RTP encoding name as it appears in a=rtpmap (compare case-insensitively, RFC 4855 §3). */
  readonly encodingName: string;
  /** Human description for the panel and logs. */
  readonly description: string;
  /** RFC 3551 static payload type, when the codec has one. */
  readonly staticPayloadType?: number;
  /** Audio rates this codec can run at. */
  readonly sampleRates: readonly number[];
  /** Allowed channel counts. */
  readonly channels: readonly number[];
  readonly ptime: PtimeRange;
  readonly defaultPtimeMs: number;
  /** Default parameters (48 kHz stereo where the codec allows it). */
  readonly defaultParams: Readonly<CodecParams>;
  /** fmtp parameters a peer may omit, with their RFC defaults. */
  readonly fmtpDefaults: Readonly<Record<string, string>>;
  /** RTP clock rate for a=rtpmap and RTP timestamps (G.722: 8000; Opus: always 48000). */
  rtpClockRate(params: Pick<CodecParams, 'sampleRate'>): number;
  /** The audio rate the encoder consumes / the decoder produces for a given RTP clock rate. */
  audioSampleRate(rtpClockRate: number): number;
  /**
   * Whether an a=rtpmap with this clock rate and channel count (absent = 1, RFC 4566 §6) denotes this
   * codec in a form we can run (the encoding name is matched by the registry).
   */
  matchesRtpmap(clockRate: number, channels: number): boolean;
  /** The channel count written in a=rtpmap, or undefined to omit it (Opus: always 2, RFC 7587 §7). */
  rtpmapChannels(params: Pick<CodecParams, 'channels'>): number | undefined;
  /** Throws AcipError(CODEC_BAD_PARAMS, field) if the parameters cannot be used; returns them. */
  validate(params: CodecParams): CodecParams;
  /** Interprets a peer's fmtp (keys case-insensitive). Throws AcipError(CODEC_BAD_FMTP, key). */
  parseFmtp(fmtp: ReadonlyMap<string, string> | Readonly<Record<string, string>>): FmtpParams;
  /** The fmtp we write for these parameters, or undefined when the codec has none. */
  formatFmtp(params: CodecParams): string | undefined;
  /** Largest RTP payload these parameters can produce for one packet. */
  maxPayloadBytes(params: CodecParams, ptimeMs: number): number;
  createEncoder(params: CodecParams): AudioEncoder;
  createDecoder(params: CodecParams): AudioDecoder;
}

/** IPv4 + UDP + RTP fixed header: what is left of a 1500-byte MTU for the payload. */
export const MTU_BYTES = 1500;
export const IPV4_HEADER_BYTES = 20;
export const UDP_HEADER_BYTES = 8;
export const RTP_HEADER_BYTES = 12;
export const MAX_RTP_PAYLOAD_BYTES = MTU_BYTES - IPV4_HEADER_BYTES - UDP_HEADER_BYTES - RTP_HEADER_BYTES;

/** Samples per channel in one packet time; throws if the ptime is not a whole number of samples. */
export function samplesPerPtime(sampleRate: number, ptimeMs: number): number {
  return Math.round((sampleRate * ptimeMs) / 1000);
}
