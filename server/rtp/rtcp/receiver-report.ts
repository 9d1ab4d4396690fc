/**
 * Receiver report, PT=201 (RFC 3550 §6.4.2):
 *
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |V=2|P|    RC   |   PT=RR=201   |             length            | header
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                     SSRC of packet sender                     |
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *    |                  report blocks (report-block.ts)              |
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *    |                  profile-specific extensions                  |
 */
import { checkUint, RTCP_RR, RtcpParseError, type RtcpBodyCodec, type RtcpCommon } from './rtcp-common.js';
import { readReports, REPORT_BLOCK_LEN, writeReports, type ReportBlock } from './report-block.js';

export interface RtcpReceiverReport extends RtcpCommon {
  type: 'rr';
  ssrc: number;
  reports: ReportBlock[];
  extension: Buffer;
}

export const receiverReportCodec: RtcpBodyCodec<RtcpReceiverReport> = {
  packetType: () => RTCP_RR,
  count: (p) => p.reports.length,
  bodyLength: (p) => 4 + p.reports.length * REPORT_BLOCK_LEN + p.extension.length,
  parse(body, count, padding, at) {
    if (body.length < 4) {
      throw new RtcpParseError('RTCP_SHORT', `RR body of ${body.length} octets, needs at least 4`, at);
    }
    const reports = readReports(body, 4, count, at);
    return { type: 'rr', padding, ssrc: body.readUInt32BE(0), reports, extension: body.subarray(4 + count * REPORT_BLOCK_LEN) };
  },
  write(p, out, off) {
    checkUint(p.ssrc, 32, 'ssrc');
    out.writeUInt32BE(p.ssrc, off);
    p.extension.copy(out, writeReports(out, off + 4, p.reports));
  },
};
