/**
 * The plain values of offer/answer (RFC 3264): what we offered, our side of a session, the
 * negotiated stream the link hands to the media session (possibly in a worker thread), and the
 * results of answering and applying an answer. Types only.
 */
import type { CodecId, CodecParams } from '../codecs/codec.js';
import type { CodecRegistry } from '../codecs/registry.js';
import type { JitterBufferSettings, Profile } from '../config/profile-schema.js';
import type { EbuAcipSet } from './ebuacip.js';
import type { SdesCryptoKnown } from './sdes.js';
import type { MediaSecurity, NegotiatedSrtp, Signalling } from './negotiate/security.js';
import type { Direction, SdpOrigin } from './sdp-model.js';
import type { NegotiatedRecovery, OfferedRecovery } from './negotiate/recovery.js';
import type { DualPathOutcome, DupLine } from './negotiate/grouping.js';

export type { Direction, SdpOrigin } from './sdp-model.js';
export type { MediaSecurity, NegotiatedSrtp, Signalling } from './negotiate/security.js';
export type { NegotiatedRecovery, OfferedRecovery } from './negotiate/recovery.js';
export type { DualPathOutcome, DualPathRemote, DupLine } from './negotiate/grouping.js';

/** What we offered for one codec. */
export interface OfferedCodec {
  payloadType: number;
  codecId: CodecId;
  /** The rtpmap form we wrote (`opus/48000/2`). */
  rtpmap: string;
  fmtp?: string;
  /** Our parameters for this codec (audio rate, channels, packet time, bitrate...). */
  params: CodecParams;
  /** Index in the profile's codec list. */
  choiceIndex: number;
}

/** Our side of a session: what a later re-offer or re-answer needs (plain data). */
export interface LocalSession {
  origin: SdpOrigin;
  sessionName: string;
  profile: Profile;
  localAddress: string;
  rtpPort: number;
  /** Written as RFC 3605 a=rtcp only when it is not rtpPort + 1. */
  rtcpPort?: number;
  /** Our direction before negotiation (the profile's unless overridden, e.g. for hold). */
  direction: Direction;
  /** Tech 3368 qosrec parameters to advertise, if any (baresip writes the DSCP value, e.g. "46"). */
  qosrec?: string;
  /** The body we sent last (RFC 3264 §8: an unchanged description keeps its o= version). */
  sdp?: string;
  /** The signalling this session's SDP travels over: SDES keys only go over TLS (RFC 4568 §8.1). */
  signalling?: Signalling;
  /** Our m-line's transport protocol (RTP/AVP, or RTP/SAVP when SRTP is mandatory). Default RTP/AVP. */
  protocol?: string;
  /** Our a=crypto lines as last written (offer: all we offered; answer: the one). Secret: never logged. */
  crypto?: SdesCryptoKnown[];
  /** Why our last offer carried no a=crypto. */
  cryptoReason?: string;
  /** Our second m-line of a duplicated stream (RFC 7104 §3), when our last offer or answer had one. */
  dupLine?: DupLine;
}

export interface LocalOffer extends LocalSession {
  codecs: OfferedCodec[];
  ebuacip: EbuAcipSet;
  /** The RED/RTX formats our offer added (profile `redundancy`), if any. */
  recovery?: OfferedRecovery;
}

export interface OfferResult {
  sdp: string;
  offered: LocalOffer;
}

/** The negotiated stream, as the link passes it to the media session. Plain and serialisable. */
export interface NegotiatedMedia {
  codecId: CodecId;
  /** Encoding name as the peer wrote it (display). */
  encodingName: string;
  payloadType: number;
  /** RTP timestamp clock (G.722: 8000). */
  rtpClockRate: number;
  /** Audio rate of frames in and out of the codec (G.722: 16000). */
  audioSampleRate: number;
  /** Channels of the link's audio (input and output). With Opus the encoded stream may be mono (codecParams.channels). */
  channels: number;
  /** Packet time we send. The decoder accepts any packet duration the peer sends. */
  ptimeMs: number;
  /** Encoder parameters: what we send (after the peer's fmtp preferences and caps). */
  codecParams: CodecParams;
  /** Decoder parameters: what we asked to receive. */
  decoderParams: CodecParams;
  remote: { address: string; rtpPort: number; rtcpPort: number; rtcpAddress?: string };
  /** Our direction after negotiation. */
  direction: Direction;
  localSends: boolean;
  localReceives: boolean;
  /** For OUR receive buffer: the profile's settings, or the peer's jbdef when the profile allows it. */
  jitterBuffer: JitterBufferSettings & { source: 'profile' | 'peer' };
  ebuacip: { ours: EbuAcipSet; theirs: EbuAcipSet };
  fmtp: { ours?: string; theirs?: string };
  /** Bandwidth the peer announced (b=AS kbit/s, b=TIAS bit/s), if any. */
  peerBandwidth: { asKbps?: number; tiasBps?: number };
  /** Things worth showing an engineer (a malformed peer fmtp ignored, a packet time adjusted...). */
  notes: string[];
  /** SRTP keys (ours to send, the peer's to receive) when the stream runs SRTP. Secret: never logged. */
  srtp?: NegotiatedSrtp;
  /** Whether the media is encrypted, and why not. */
  security?: MediaSecurity;
  /** Loss recovery both sides listed (RED, NACK + RTX); absent: plain RTP. */
  recovery?: NegotiatedRecovery;
  /** Dual-path streaming as signalled (RFC 7104 §3); absent when neither side had a second path to offer. */
  dualPath?: DualPathOutcome;
}

export interface AnswerOk {
  ok: true;
  sdp: string;
  negotiated: NegotiatedMedia;
  /** Keep for a re-answer or our own re-offer. */
  local: LocalSession;
  remoteOrigin: SdpOrigin;
}

export interface AnswerRejected {
  ok: false;
  /** 488 Not Acceptable Here (RFC 3261 §21.4.26), or 400 for a body that is not SDP at all. */
  status: 400 | 488;
  code: string;
  /** Human text (also the warn-text). */
  reason: string;
  /**
   * What a Warning header (RFC 3261 §20.43) should say: the warn-code (302, 304, 305, 399) and the
   * plain warn-text. The SIP layer adds the warn-agent and the quoting.
   */
  warning: { code: number; text: string };
}

export type AnswerResult = AnswerOk | AnswerRejected;

export type ApplyAnswerResult = { ok: true; negotiated: NegotiatedMedia; remoteOrigin: SdpOrigin } | { ok: false; code: string; reason: string };

export interface LocalOptions {
  profile: Profile;
  localAddress: string;
  rtpPort: number;
  rtcpPort?: number;
  /** o= fields (defaults: '-', a random 62-bit id, version 1). Ids are decimal strings. */
  username?: string;
  sessionId?: string;
  sessionVersion?: string;
  sessionName?: string;
  /** Overrides the profile's direction (hold: 'sendonly' / 'inactive'). */
  direction?: Direction;
  qosrec?: string;
  /** The codec registry (default: the shipped one). */
  codecs?: CodecRegistry;
  /** The signalling the SDP travels over (default clear): SDES keys need TLS unless the profile allows otherwise. */
  signalling?: Signalling;
  /**
   * Where our second path of a duplicated stream listens (RFC 7198): offered as a second m-line
   * grouped with a=group:DUP (RFC 7104 §3) when the profile has `redundancy.duplicate`.
   */
  secondPath?: { address: string; rtpPort: number; rtcpPort?: number };
}

export interface AnswerOptions extends LocalOptions {
  /** Our previous local session in this dialog: answering a re-offer keeps its o= id, version + 1. */
  previous?: LocalSession;
}
