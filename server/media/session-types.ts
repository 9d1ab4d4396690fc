/**
 * The media session's interface: parameters in, events and stats out. Every type here is plain,
 * JSON-serialisable data (no functions, no class instances, no Buffers), so the same interface can
 * be carried over a `MessagePort` when sessions run in worker threads (the session is driven by
 * messages and returns its stats by snapshot). The one exception is SRTP key material: Uint8Array,
 * which the structured clone of a `MessagePort` carries as is (a Buffer arrives as a Uint8Array).
 *
 * The media session knows nothing of SIP or SDP: the link layer turns the negotiated SDP into these
 * values (codec record id, payload type, codec parameters, packet times, remote address, jitter
 * buffer settings from the profile or the peer's `a=ebuacip:jbdef`, audio specs).
 */
import type { CodecParams } from '../codecs/codec.js';
import type { RtpSessionStats } from '../rtp/rtp-session.js';
import type { SrtpParams } from '../rtp/srtp-stage.js';
import type { JitterBufferStats } from './jitter-buffer.js';
import type { FrameClockStats } from './frame-clock.js';
import type { LevelSnapshot } from './level-meter.js';
import type { SilenceEvent, SilenceState } from './silence-detector.js';
import type { AudioSinkStats, AudioSourceStats } from './audio-io.js';

/** Receive jitter buffer settings (EBU Tech 3368 `jbdef`: `fixed N` or `auto MIN-MAX`). */
export type MediaJitterBufferParams =
  | {
      mode: 'fixed';
      /** Delay held above the fastest packet transit, ms. */
      delayMs: number;
      /**
       * Let the buffer stretch/shrink decoded audio by a few samples to cancel clock drift and follow
       * its target (default true). With false, decoded audio is played unmodified (PCM stays bit-exact
       * end to end) and drift is absorbed only by concealment or dropped frames.
       */
      stretch?: boolean;
    }
  | { mode: 'adaptive'; minMs: number; maxMs: number; stretch?: boolean };

export interface MediaRemoteEndpoint {
  address: string;
  rtpPort: number;
  /** Default rtpPort + 1 (RFC 3550 §11). */
  rtcpPort?: number;
}

export interface MediaSessionParams {
  /** The link this session belongs to (logs, `{link}` in output file names). */
  linkId: string;
  /** Codec registry id: 'opus', 'L16', 'L24', 'PCMA', 'PCMU', 'G722'. */
  codecId: string;
  /** RTP payload type, both directions (negotiated; RFC 3264 lets them differ, acip sends what it answers). */
  payloadType: number;
  /**
   * Codec parameters (audio rate, channels, packet time WE send, bitrate, complexity, application,
   * fec, dtx...). The audio rate is the codec's audio rate (G.722: 16000), not the RTP clock rate.
   */
  codecParams: CodecParams;
  /** Packet time the far end sends (its a=ptime). Default codecParams.ptimeMs. */
  receivePtimeMs?: number;
  /**
   * Period of the receive (playout) clock, ms: each tick hands the output this much audio and lets
   * the jitter buffer start the next frame, so the buffer's delay moves on this grid rather than on
   * the packet time. Default min(receive ptime, 5); always at most the receive ptime; at least 1.
   */
  receiveTickMs?: number;
  /** Address both RTP sockets bind to. */
  localHost: string;
  /** Exact local ports (`{ rtp: 0 }` = two ephemeral ports, for tests). Wins over portRange. */
  ports?: { rtp: number; rtcp?: number };
  /** Range to allocate an even/odd pair from (default 5004–5999). */
  portRange?: { min: number; max: number };
  /** Where to send. null: not known yet (open before the SDP offer) or learnt by latching (RFC 4961). */
  remote: MediaRemoteEndpoint | null;
  /** Run the send path (false for a=recvonly / inactive). */
  send: boolean;
  /** Run the receive path (false for a=sendonly / inactive). */
  receive: boolean;
  jitterBuffer: MediaJitterBufferParams;
  /** `--input` spec (tone[:HZ[:DBFS]], silence, file:PATH.wav, alsa:DEV, loopback). */
  input: string;
  /** `--output` spec (null, file:PATH.wav, alsa:DEV). */
  output: string;
  /** 'no-media' after this long without an RTP packet (default 5000 ms; 0 disables). */
  noMediaTimeoutMs?: number;
  /** Silence detection for both directions (defaults: -60 dBFS for 10 s). */
  silence?: { thresholdDbfs?: number; durationMs?: number };
  /** RTCP SDES CNAME. */
  cname: string;
  /** Our SSRC (random when absent). */
  ssrc?: number;
  /** WAV recording depth for a file output (default 24). */
  recordBitDepth?: 16 | 24;
  /** RTCP: session bandwidth for the interval (default from the codec bitrate) and minimum interval. */
  rtcp?: { sessionBandwidthKbps?: number; minIntervalS?: number };
  /**
   * SRTP (RFC 3711), keyed by SDES (RFC 4568): we send with `send` (our a=crypto key) and receive
   * with `receive` (the peer's). A null key is not negotiated yet: nothing is sent, or everything
   * received is dropped. Absent: clear RTP.
   */
  srtp?: SrtpParams;
  /** Loss recovery in force (negotiated RED and NACK/RTX; a configured second path). Absent: none. */
  recovery?: MediaRecoveryParams;
}

/**
 * Loss recovery of one media session. RED and RTX use the negotiated payload types both ways (as
 * the codec does); the second path of a duplicated stream comes from the SDP (RFC 7104 a=group:DUP), a phonebook entry or configuration.
 */
export interface MediaRecoveryParams {
  /** RFC 2198: send each frame with `depth` earlier frames `distance` packets back; take RED in. */
  red?: { payloadType: number; depth: 1 | 2; distance: number };
  /** RFC 4585 generic NACK for what we miss, RFC 4588 RTX for what the peer misses (kept `rtxTimeMs`). */
  rtx?: { payloadType: number; rtxTimeMs: number };
  /**
   * RFC 7198: every packet also goes out of a second pair of local ports to a second remote, and the
   * two received copies are merged by sequence number before the jitter buffer. `remote` null: not
   * known yet (learnt by latching).
   */
  duplicate?: { localHost?: string; ports?: { rtp: number; rtcp?: number }; remote: MediaRemoteEndpoint | null };
}

/** Per path of a duplicated stream (RFC 3550 A.3, A.8 per path). */
export interface MediaPathStats {
  received: number;
  /** What the merged stream expected minus what this path brought (a dead path's loss keeps growing). */
  lost: number;
  jitterMs: number;
  /** Packets of this path that arrived first (the copy played). */
  firstCopies: number;
  /**
   * How much later this path delivers than the other, ms (negative: earlier), smoothed over the
   * sequence numbers that came over both; null until one has.
   */
  relativeDelayMs: number | null;
  localRtpPort: number;
  remote: { address: string; rtpPort: number } | null;
}

/** What loss recovery did on the receive side (counts since the session opened) and costs on the send side. */
export interface MediaRecoveryStats {
  red: boolean;
  rtx: boolean;
  duplicate: boolean;
  /** Frames played from a RED copy because their own packet was missing. */
  recoveredByRed: number;
  /** Frames played from an RTX retransmission that were missing. */
  recoveredByRtx: number;
  /** Packets lost on the first path but delivered by the second. */
  recoveredByPath: number;
  /** Frames concealed although recovery ran (the jitter buffer's lost count). */
  stillLost: number;
  /** Sequence numbers we asked for (a number asked twice counts twice), in `nacksSent` RTCP packets. */
  nackRequests: number;
  nacksSent: number;
  /** RTX arrivals too late for their frame, or duplicates of what had arrived. */
  rtxLate: number;
  /** Sequence numbers the peer asked us for, RTX packets we sent for them, and those we no longer held. */
  peerRequests: number;
  rtxSent: number;
  rtxMissing: number;
  /** Requests for a packet resent less than the resend interval (a fraction of the RTT) ago: not answered again. */
  rtxSuppressed: number;
  /** Copies of early RTX answers sent a packet time later (RFC 4588 allows more than one retransmission of a packet). */
  rtxCopies: number;
  /** RED payloads that did not parse (played as lost). */
  redMalformed: number;
  /** Both paths of a duplicated stream. */
  paths?: [MediaPathStats, MediaPathStats];
}

export interface MediaCodecInfo {
  id: string;
  encodingName: string;
  payloadType: number;
  rtpClockRate: number;
  sampleRate: number;
  channels: number;
  sendPtimeMs: number;
  receivePtimeMs: number;
  bitrate: number | null;
  complexity: number | null;
  application: string | null;
}

export interface MediaDirectionAudio {
  /** Peak/RMS per channel (dBFS), clip counters: the last complete 100 ms window. */
  meter: LevelSnapshot;
  silence: SilenceState;
}

/** A plain snapshot: JSON-serialisable as is. */
export interface MediaSessionStats {
  linkId: string;
  closed: boolean;
  /**
   * Monotonic ms (session clock) when the session was opened: also the origin of the first send and
   * receive frame clocks (input sample 0 is due and output sample 0 plays at this time).
   */
  openedAtMs: number;
  codec: MediaCodecInfo;
  send: boolean;
  receive: boolean;
  localRtpPort: number;
  localRtcpPort: number;
  /** Full RTP/RTCP view (both directions, remote reports, RTT). */
  rtp: RtpSessionStats;
  /** Shortcuts into `rtp`. */
  txBitrateBps: number;
  rxBitrateBps: number;
  rttMs: number | null;
  /** Receive buffer (null when not receiving): delays, counts, concealment, drift, underruns, overflows. */
  jitterBuffer: (JitterBufferStats & { concealedMs: number; concealedPct: number }) | null;
  playout: {
    /** Chunks handed to the output: one per receive tick (`tickMs` of audio each). */
    frames: number;
    /** Receive clock period in force, ms (see `receiveTickMs`). */
    tickMs: number;
    /** Silences played: a tick's worth before playout starts, a frame's worth per sender pause (DTX). */
    silenceFrames: number;
    /** Payloads the decoder rejected (concealed instead). */
    decodeErrors: number;
    /** Decoded sample frames inserted/removed by drift and delay correction. */
    samplesInserted: number;
    samplesRemoved: number;
  };
  encode: { frames: number; errors: number };
  /** No RTP for noMediaTimeoutMs (see the 'no-media' event). */
  noMedia: boolean;
  noMediaEvents: number;
  /** Monotonic ms of the last RTP packet accepted, null before the first. */
  lastRxMs: number | null;
  /**
   * Monotonic ms of the last RTCP packet accepted from the far end, null before the first. RTCP
   * flows on a held or receive-only stream too (RFC 3264 §5.1), so it tells a live peer that sends
   * no RTP from a dead one.
   */
  lastRtcpRxMs: number | null;
  /** RTCP BYE received from the far end. */
  byeReceived: boolean;
  input: MediaDirectionAudio & { source: AudioSourceStats };
  output: MediaDirectionAudio & { sink: AudioSinkStats };
  clocks: { send: FrameClockStats | null; receive: FrameClockStats | null };
  /** Loss recovery (present when any recovery tool is in force). */
  recovery?: MediaRecoveryStats;
}

export type MediaDirection = 'input' | 'output';

export interface MediaErrorInfo {
  code: string;
  message: string;
  /** Where it happened: 'input', 'output', 'encode', 'decode', 'rtp'. */
  where: string;
}

/**
 * Why a media session ended without `close()`. Only a session in a worker thread can: its worker
 * died ('worker-exit'), and the session with it.
 */
export interface MediaSessionClosed {
  reason: 'worker-exit';
  message: string;
}

/** Event map. Every payload is plain data. */
export type MediaSessionEvents = {
  /** Nothing received for noMediaTimeoutMs after start or since the last packet (once per outage). */
  'no-media': [{ sinceMs: number; silentForMs: number }];
  /** A packet arrived after 'no-media'. */
  'media-restored': [{ outageMs: number }];
  /** Level below the threshold for the configured time, per direction (input = what we send). */
  silence: [SilenceEvent & { direction: MediaDirection }];
  'silence-cleared': [SilenceEvent & { direction: MediaDirection }];
  /** The far end sent RTCP BYE (RFC 3550 §6.6). */
  bye: [{ reason: string | null }];
  /** Send destination latched from the far end's media (RFC 4961). */
  latched: [{ kind: 'rtp' | 'rtcp'; address: string; port: number }];
  /** Something failed (device, file, codec, socket); the session keeps running where it can. */
  error: [MediaErrorInfo];
  /**
   * The session ended without `close()` (its worker died): emitted once, `isClosed` is then true and
   * nothing more will come from it. Never emitted for a session closed by `close()`.
   */
  closed: [info: MediaSessionClosed];
};
