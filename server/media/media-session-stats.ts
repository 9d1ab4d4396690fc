/**
 * Assembles a media session's stats snapshot (plain, JSON-serialisable data) from its parts: the
 * codec path in force, the RTP session's statistics, the session's own counters, the meters and
 * silence detectors of both directions, and the source's and sink's stats.
 */
import type { RtpSessionStats } from '../rtp/rtp-session.js';
import type { AudioSinkStats, AudioSourceStats } from './audio-io.js';
import { receiveClockStats, type CodecPath } from './codec-path.js';
import type { MediaCodecInfo, MediaDirectionAudio, MediaRecoveryStats, MediaSessionParams, MediaSessionStats } from './session-types.js';

/** The session's own counters (totals of replaced codec paths included). */
export interface SessionCounters {
  playedFrames: number;
  silenceFrames: number;
  decodeErrors: number;
  encodeErrors: number;
  samplesInserted: number;
  samplesRemoved: number;
  noMedia: boolean;
  noMediaEvents: number;
  byeReceived: boolean;
  lastRtcpRxMs: number | null;
}

export interface SessionStatsParts {
  linkId: string;
  closed: boolean;
  openedAtMs: number;
  params: MediaSessionParams;
  path: CodecPath;
  rtp: RtpSessionStats;
  counters: SessionCounters;
  input: MediaDirectionAudio & { source: AudioSourceStats };
  output: MediaDirectionAudio & { sink: AudioSinkStats };
  /** Loss recovery, when a tool is in force. */
  recovery?: MediaRecoveryStats | undefined;
}

export function codecInfo(p: CodecPath, payloadType: number): MediaCodecInfo {
  return {
    id: p.record.id,
    encodingName: p.record.encodingName,
    payloadType,
    rtpClockRate: p.rtpClockRate,
    sampleRate: p.params.sampleRate,
    channels: p.params.channels,
    sendPtimeMs: p.params.ptimeMs,
    receivePtimeMs: p.receivePtimeMs,
    bitrate: p.params.bitrate ?? null,
    complexity: p.params.complexity ?? null,
    application: p.params.application ?? null,
  };
}

export function sessionStats(parts: SessionStatsParts): MediaSessionStats {
  const { path: p, rtp, counters: c } = parts;
  let jitterBuffer: MediaSessionStats['jitterBuffer'] = null;
  if (p.buffer) {
    const s = p.buffer.stats();
    const concealedMs = s.concealedFrames * p.receivePtimeMs;
    const total = s.framesPlayed + s.concealedFrames;
    jitterBuffer = { ...s, concealedMs, concealedPct: total > 0 ? (100 * s.concealedFrames) / total : 0 };
  }
  const adapterStats = p.adapter?.stats();
  return {
    linkId: parts.linkId,
    closed: parts.closed,
    openedAtMs: parts.openedAtMs,
    codec: codecInfo(p, parts.params.payloadType),
    send: parts.params.send,
    receive: parts.params.receive,
    localRtpPort: rtp.local.rtpPort,
    localRtcpPort: rtp.local.rtcpPort,
    rtp,
    txBitrateBps: rtp.tx.bitrateBps,
    rxBitrateBps: rtp.rx.bitrateBps,
    rttMs: rtp.rttMs,
    jitterBuffer,
    playout: {
      frames: c.playedFrames,
      tickMs: p.receiveTickMs,
      silenceFrames: c.silenceFrames + (adapterStats?.silenceFrames ?? 0),
      decodeErrors: c.decodeErrors,
      samplesInserted: c.samplesInserted + (adapterStats?.samplesInserted ?? 0),
      samplesRemoved: c.samplesRemoved + (adapterStats?.samplesRemoved ?? 0),
    },
    encode: { frames: p.sentFrames, errors: c.encodeErrors },
    noMedia: c.noMedia,
    noMediaEvents: c.noMediaEvents,
    lastRxMs: rtp.lastRxMs,
    lastRtcpRxMs: c.lastRtcpRxMs,
    byeReceived: c.byeReceived,
    input: parts.input,
    output: parts.output,
    clocks: { send: p.sendClock?.stats() ?? null, receive: receiveClockStats(p) },
    ...(parts.recovery ? { recovery: parts.recovery } : {}),
  };
}
