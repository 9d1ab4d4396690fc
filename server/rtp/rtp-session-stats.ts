/**
 * The two halves of an RTP session's stats snapshot: what it sent (RtpSessionStats.tx) and what it
 * received (RtpSessionStats.rx, from the session's own counters and its source's RFC 3550 A.3
 * statistics).
 */
import type { ReceiverStatsSnapshot } from './receiver-stats.js';
import type { ReportBlock } from './rtcp/report-block.js';
import { sumCounts, type RtcpMalformedCounts, type RtpMalformedCounts, type RtpRemoteReport, type RtpSessionStats } from './rtp-session-types.js';

/** What the session counts on send (RTP octets are payload octets, as in the SR, RFC 3550 §6.4.1). */
export interface TxCounters {
  packets: number;
  octets: number;
  /** Packets not sent: no destination yet, SRTP refused, or the socket reported an error. */
  dropped: number;
  rtcpPackets: number;
  rtcpOctets: number;
}

export function txStats(c: TxCounters, bitrateBps: number): RtpSessionStats['tx'] {
  return { packets: c.packets, octets: c.octets, bitrateBps, dropped: c.dropped, rtcpPackets: c.rtcpPackets, rtcpOctets: c.rtcpOctets };
}

/** What the session counts on receive, beside the source's statistics. */
export interface RxCounters {
  /** RTP payload octets accepted. */
  octets: number;
  wrongPt: number;
  /** RTP datagrams from other than the latched source (RFC 4961), and RTCP ones. */
  foreign: number;
  rtcpForeign: number;
  ssrcChanges: number;
  rtcpPackets: number;
}

export function rxStats(
  src: ReceiverStatsSnapshot | null,
  c: RxCounters,
  bitrateBps: number,
  malformed: RtpMalformedCounts,
  rtcpMalformed: RtcpMalformedCounts,
): RtpSessionStats['rx'] {
  return {
    packets: src?.received ?? 0,
    octets: c.octets,
    bitrateBps,
    expected: src?.expected ?? 0,
    lost: src?.lost ?? 0,
    lossFraction: src && src.expected > 0 ? Math.max(0, src.lost) / src.expected : 0,
    duplicates: src?.duplicates ?? 0,
    reordered: src?.reordered ?? 0,
    jitterMs: src?.jitterMs ?? 0,
    malformed: sumCounts(malformed),
    malformedByReason: { ...malformed },
    wrongPt: c.wrongPt,
    foreignSource: c.foreign,
    badSeq: src?.badSeq ?? 0,
    ssrcChanges: c.ssrcChanges,
    rtcpPackets: c.rtcpPackets,
    rtcpMalformed: sumCounts(rtcpMalformed),
    rtcpMalformedByReason: { ...rtcpMalformed },
    rtcpForeignSource: c.rtcpForeign,
  };
}

interface Destination {
  address: string;
  port: number;
}

/** Where RTP and RTCP go (RtpSessionStats.remote): RTCP to the next port up until known (RFC 3550 §11). */
export function remoteOf(rtp: Destination | null, rtcp: Destination | null): RtpSessionStats['remote'] {
  return rtp ? { address: rtp.address, rtpPort: rtp.port, rtcpPort: rtcp?.port ?? rtp.port + 1 } : null;
}

/** The far end's reception report about our stream (RFC 3550 §6.4.1), its jitter in ms at our RTP clock rate. */
export function remoteReportOf(b: ReportBlock, clockRate: number, receivedAtMs: number): RtpRemoteReport {
  return {
    fractionLost: b.fractionLost / 256,
    cumulativeLost: b.cumulativeLost,
    jitterMs: (b.jitter / clockRate) * 1000,
    highestSeq: b.highestSeq,
    receivedAtMs,
  };
}
