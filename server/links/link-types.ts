/**
 * What the outside world sees of a link: the REST `GET /api/links/:id` body, the WebSocket feed's
 * link objects and the Prometheus collectors all read this one snapshot shape (a public surface:
 * change it deliberately). Plain data only, so it can cross a worker boundary and go straight to JSON.
 */
import type { LinkState } from './link-state.js';

export interface LinkCodecInfo {
  name: string;
  clockRate: number;
  channels: number;
  ptimeMs: number;
  payloadType: number;
  /** Codec parameters as negotiated (bitrate, fec, stereo, …). */
  params: Record<string, string | number | boolean>;
}

export interface LinkRxStats {
  packets: number;
  lost: number;
  late: number;
  duplicates: number;
  reordered: number;
  /** Lost / expected over the whole call, %. */
  lossPct: number;
  concealedMs: number;
  concealedPct: number;
  /** RFC 3550 interarrival jitter, ms. */
  jitterMs: number;
  /** Current jitter-buffer delay, ms, and what the buffer aims for. */
  bufferMs: number;
  targetBufferMs: number;
  driftPpm: number;
  underruns: number;
  malformed: number;
  foreignSource: number;
}

export interface LinkTxStats {
  packets: number;
  bitrateKbps: number;
  /** What the far end's RTCP receiver reports say about our stream. */
  remoteLossPct: number | null;
  remoteJitterMs: number | null;
}

export interface LinkMeters {
  /** dBFS per channel; -Infinity is sent as null in JSON. */
  input: { peak: (number | null)[]; rms: (number | null)[]; clips: number };
  output: { peak: (number | null)[]; rms: (number | null)[]; clips: number };
}

export interface EbuAcipInfo {
  /** Our jitter-buffer settings as applied to the receive buffer, and where they came from. */
  applied: { mode: 'fixed' | 'adaptive'; minMs?: number; maxMs?: number; delayMs?: number; source: 'profile' | 'peer' };
  /** The peer's a=ebuacip lines, raw, when it sent any. */
  theirs: string[];
  ours: string[];
}

export interface LinkEndReason {
  by: 'local' | 'remote' | 'network' | 'error';
  sipStatus?: number;
  reason: string;
}

export interface LinkSnapshot {
  id: string;
  state: LinkState;
  direction: 'outbound' | 'inbound';
  /** The far end's SIP URI, and its display name / phonebook name when known. */
  remote: string;
  remoteName?: string;
  phonebookId?: string;
  profile: string;
  permanent: boolean;
  input: string;
  output: string;
  createdAt: string;
  connectedAt?: string;
  /** Seconds connected (0 when not connected). */
  durationS: number;
  redials: number;
  codec: LinkCodecInfo | null;
  mediaDirection: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive' | null;
  rx: LinkRxStats | null;
  tx: LinkTxStats | null;
  rttMs: number | null;
  meters: LinkMeters | null;
  ebuacip: EbuAcipInfo | null;
  localSdp: string | null;
  remoteSdp: string | null;
  endReason: LinkEndReason | null;
  /** Whether signalling and media are encrypted (always set by the link; optional for older fixtures). */
  security?: LinkSecurity;
  /** Loss recovery in force and what it did; absent when the link runs none. */
  recovery?: LinkRecovery;
}

/** One path of a duplicated stream (RFC 7198), as a receiver of that path alone sees it. */
export interface LinkRecoveryPath {
  received: number;
  lost: number;
  lossPct: number;
  jitterMs: number;
  /** How much later this path delivers than the other, ms (negative: earlier); null until a packet came over both. */
  relativeDelayMs: number | null;
  /** `address:port` the copy goes to, null before it is known. */
  remote: string | null;
}

/** Loss recovery of a link: which tools run, what each recovered, what was still lost. */
export interface LinkRecovery {
  red: boolean;
  rtx: boolean;
  duplicate: boolean;
  recoveredByRed: number;
  recoveredByRtx: number;
  recoveredByPath: number;
  stillLost: number;
  /** Sequence numbers we asked for (RFC 4585 generic NACK) and retransmissions we sent the peer. */
  nackRequests: number;
  rtxSent: number;
  /** The peer's repeated requests for a packet we had resent less than about an RTT before: not answered again. */
  rtxSuppressed: number;
  /** Copies of early retransmissions sent a packet time after the answer (RFC 4588 allows more than one retransmission of a packet). */
  rtxCopies: number;
  paths?: LinkRecoveryPath[];
}

/** SRTP drops by reason (RFC 3711 §3.3: authentication, replay, too old, malformed; no key yet). */
export type SrtpDropCounts = Record<'SRTP_AUTH_FAIL' | 'SRTP_REPLAY' | 'SRTP_TOO_OLD' | 'SRTP_MALFORMED' | 'SRTP_NO_KEY' | 'SRTP_SSRC_LIMIT', number>;

export interface LinkSecurity {
  /** SIP over TLS for this call, or not. */
  signalling: 'tls' | 'clear';
  /** SRTP (RFC 3711) or clear RTP. */
  media: 'srtp' | 'rtp';
  /** The SRTP suite in use (RFC 4568 §6.2 name). */
  suite?: string;
  /** Both signalling and media encrypted. */
  encrypted: boolean;
  /** Why not encrypted ('' when it is), e.g. "media not encrypted: peer offered no a=crypto". */
  reason: string;
  /** Inbound SRTP and SRTCP packets dropped, by reason, while the media session runs SRTP. */
  dropped?: { rtp: SrtpDropCounts; rtcp: SrtpDropCounts };
}

export interface RegistrationStatus {
  state: 'unregistered' | 'registering' | 'registered' | 'failed';
  aor: string;
  registrar: string;
  expiresAt?: string;
  lastError?: string;
  /** After a failure: when the next attempt goes out (RFC 5626 §4.5 backoff). */
  nextRetryAt?: string;
}

export interface Alarm {
  id: string;
  kind: 'silence' | 'loss' | 'link-down' | 'registration-lost' | 'source-blocked' | 'insecure-config' | 'overload';
  linkId?: string;
  message: string;
  raisedAt: string;
  clearedAt?: string;
  acknowledged: boolean;
}
