/**
 * Sender report, PT=200 (RFC 3550 §6.4.1):
 *
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |V=2|P|    RC   |   PT=SR=200   |             length            | header
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                         SSRC of sender                        |
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *    |              NTP timestamp, most significant word             | sender
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ info
 *    |             NTP timestamp, least significant word             |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                         RTP timestamp                         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                     sender's packet count                     |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                      sender's octet count                     |
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *    |                  report blocks (report-block.ts)              |
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *    |                  profile-specific extensions                  |
 */
import { checkUint, RTCP_SR, RtcpParseError, type RtcpBodyCodec, type RtcpCommon } from './rtcp-common.js';
import { readReports, REPORT_BLOCK_LEN, writeReports, type ReportBlock } from './report-block.js';

const SENDER_INFO_LEN = 24;

export interface RtcpSenderReport extends RtcpCommon {
  type: 'sr';
  ssrc: number;
  /** NTP timestamp, seconds since 1900 (most significant word). */
  ntpSeconds: number;
  /** NTP timestamp, fraction of a second in units of 2^-32 (least significant word). */
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
  /** Profile-specific extension octets (§6.4.1), kept opaque; a view into the parsed buffer. */
  extension: Buffer;
}

export const senderReportCodec: RtcpBodyCodec<RtcpSenderReport> = {
  packetType: () => RTCP_SR,
  count: (p) => p.reports.length,
  bodyLength: (p) => SENDER_INFO_LEN + p.reports.length * REPORT_BLOCK_LEN + p.extension.length,
  parse(body, count, padding, at) {
    if (body.length < SENDER_INFO_LEN) {
      throw new RtcpParseError('RTCP_SHORT', `SR body of ${body.length} octets, sender info needs 24`, at);
    }
    const reports = readReports(body, SENDER_INFO_LEN, count, at);
    return {
      type: 'sr',
      padding,
      ssrc: body.readUInt32BE(0),
      ntpSeconds: body.readUInt32BE(4),
      ntpFraction: body.readUInt32BE(8),
      rtpTimestamp: body.readUInt32BE(12),
      packetCount: body.readUInt32BE(16),
      octetCount: body.readUInt32BE(20),
      reports,
      extension: body.subarray(SENDER_INFO_LEN + count * REPORT_BLOCK_LEN),
    };
  },
  write(p, out, off) {
    checkUint(p.ssrc, 32, 'ssrc');
    checkUint(p.ntpSeconds, 32, 'ntpSeconds');
    checkUint(p.ntpFraction, 32, 'ntpFraction');
    checkUint(p.rtpTimestamp, 32, 'rtpTimestamp');
    checkUint(p.packetCount, 32, 'packetCount');
    checkUint(p.octetCount, 32, 'octetCount');
    out.writeUInt32BE(p.ssrc, off);
    out.writeUInt32BE(p.ntpSeconds, off + 4);
    out.writeUInt32BE(p.ntpFraction, off + 8);
    out.writeUInt32BE(p.rtpTimestamp, off + 12);
    out.writeUInt32BE(p.packetCount, off + 16);
    out.writeUInt32BE(p.octetCount, off + 20);
    p.extension.copy(out, writeReports(out, off + SENDER_INFO_LEN, p.reports));
  },
};
