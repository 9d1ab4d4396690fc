/**
 * The report that starts every compound RTCP packet we send (RFC 3550 §6.1): an SR when we sent RTP
 * since the last report, else an RR, followed by SDES CNAME (§6.5.1). Pure: the session passes its
 * counters and clocks in and sends what comes out.
 */
import type { RtcpPacket } from './rtcp/compound.js';
import type { ReportBlock } from './rtcp/report-block.js';
import { sdesItem, SDES_CNAME } from './rtcp/sdes.js';
import type { ReceiverStats } from './receiver-stats.js';
import { ntpFromUnixMs, ntpMiddle32 } from './ntp.js';
import { tsAdd } from './seq.js';

export interface ReportInput {
  ssrc: number;
  cname: string;
  clockRate: number;
  /** Monotonic now (ms) and wall-clock now (Unix ms). */
  now: number;
  wallNow: number;
  /** The remote source, if any, and whether it sent RTP since our last report. */
  source: ReceiverStats | null;
  rxSinceReport: boolean;
  /** Whether we sent RTP since our last report, and our last packet's RTP timestamp and time. */
  sentSinceReport: boolean;
  lastTxRtpTs: number | undefined;
  lastTxMs: number;
  txPackets: number;
  txOctets: number;
}

/** The SR-or-RR and SDES packets; `srNtp` is the SR's middle 32 NTP bits (for the RTT log), if an SR. */
export function buildReport(i: ReportInput): { packets: [RtcpPacket, RtcpPacket]; srNtp: number | undefined } {
  const reports: ReportBlock[] = [];
  // §6.4.2: one block per source we received RTP from since the last report.
  if (i.source && i.source.isValid && i.rxSinceReport) reports.push(i.source.makeReportBlock(i.now));
  let first: RtcpPacket;
  let srNtp: number | undefined;
  if (i.sentSinceReport && i.lastTxRtpTs !== undefined) {
    // §6.4.1 SR: the NTP and RTP timestamps denote the same instant; extrapolate the RTP
    // timestamp from the last packet sent to now.
    const ntp = ntpFromUnixMs(i.wallNow);
    const rtpTs = tsAdd(i.lastTxRtpTs, Math.round(((i.now - i.lastTxMs) * i.clockRate) / 1000));
    first = {
      type: 'sr',
      padding: 0,
      ssrc: i.ssrc,
      ntpSeconds: ntp.seconds,
      ntpFraction: ntp.fraction,
      rtpTimestamp: rtpTs,
      // SR counts wrap modulo 2^32 (§6.4.1).
      packetCount: i.txPackets % 0x1_0000_0000,
      octetCount: i.txOctets % 0x1_0000_0000,
      reports,
      extension: Buffer.alloc(0),
    };
    srNtp = ntpMiddle32(ntp);
  } else {
    first = { type: 'rr', padding: 0, ssrc: i.ssrc, reports, extension: Buffer.alloc(0) };
  }
  const sdes: RtcpPacket = { type: 'sdes', padding: 0, chunks: [{ ssrc: i.ssrc, items: [sdesItem(SDES_CNAME, i.cname)] }] };
  return { packets: [first, sdes], srNtp };
}
