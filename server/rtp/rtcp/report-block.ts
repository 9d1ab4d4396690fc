/**
 * The reception report block shared by SR and RR (RFC 3550 §6.4.1):
 *
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *    |                 SSRC_1 (SSRC of first source)                 | report
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ block
 *    | fraction lost |       cumulative number of packets lost       |   1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |           extended highest sequence number received           |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                      interarrival jitter                      |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                         last SR (LSR)                         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                   delay since last SR (DLSR)                  |
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 */
import { checkUint, RtcpParseError, RtcpSerializeError } from './rtcp-common.js';

export const REPORT_BLOCK_LEN = 24;

/** One reception report block (§6.4.1). */
export interface ReportBlock {
  /** SSRC of the source this block reports on. */
  ssrc: number;
  /** Fraction lost since the previous report, as an 8-bit fixed-point number (lost/expected · 256). */
  fractionLost: number;
  /** Cumulative packets lost, signed 24-bit (negative when duplicates outnumber losses). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | seq), 32-bit. */
  highestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from this source, 0 if none. */
  lsr: number;
  /** Delay since that SR was received, in units of 1/65536 s, 0 if none. */
  dlsr: number;
}

function readReportBlock(buf: Buffer, off: number): ReportBlock {
  const lossWord = buf.readUInt32BE(off + 4);
  const cum = lossWord & 0xff_ffff;
  return {
    ssrc: buf.readUInt32BE(off),
    fractionLost: lossWord >>> 24,
    // Signed 24-bit (§6.4.1: "cumulative number of packets lost ... 24 bits", may be negative; A.3).
    cumulativeLost: cum & 0x80_0000 ? cum - 0x100_0000 : cum,
    highestSeq: buf.readUInt32BE(off + 8),
    jitter: buf.readUInt32BE(off + 12),
    lsr: buf.readUInt32BE(off + 16),
    dlsr: buf.readUInt32BE(off + 20),
  };
}

/** The `rc` blocks starting at `off` in `body`; `at` is the packet's offset (for errors). */
export function readReports(body: Buffer, off: number, rc: number, at: number): ReportBlock[] {
  if (off + rc * REPORT_BLOCK_LEN > body.length) {
    throw new RtcpParseError(
      'RTCP_COUNT_OVERRUN',
      `${rc} report blocks need ${off + rc * REPORT_BLOCK_LEN} octets, packet body has ${body.length}`,
      at,
    );
  }
  const reports: ReportBlock[] = [];
  for (let i = 0; i < rc; i++) reports.push(readReportBlock(body, off + i * REPORT_BLOCK_LEN));
  return reports;
}

function writeReportBlock(out: Buffer, off: number, r: ReportBlock, field: string): void {
  checkUint(r.ssrc, 32, `${field}.ssrc`);
  checkUint(r.fractionLost, 8, `${field}.fractionLost`);
  if (!Number.isInteger(r.cumulativeLost) || r.cumulativeLost < -0x80_0000 || r.cumulativeLost > 0x7f_ffff) {
    throw new RtcpSerializeError(`cumulativeLost ${r.cumulativeLost} is not a signed 24-bit integer`, `${field}.cumulativeLost`);
  }
  checkUint(r.highestSeq, 32, `${field}.highestSeq`);
  checkUint(r.jitter, 32, `${field}.jitter`);
  checkUint(r.lsr, 32, `${field}.lsr`);
  checkUint(r.dlsr, 32, `${field}.dlsr`);
  out.writeUInt32BE(r.ssrc, off);
  out.writeUInt32BE(((r.fractionLost << 24) | (r.cumulativeLost & 0xff_ffff)) >>> 0, off + 4);
  out.writeUInt32BE(r.highestSeq, off + 8);
  out.writeUInt32BE(r.jitter, off + 12);
  out.writeUInt32BE(r.lsr, off + 16);
  out.writeUInt32BE(r.dlsr, off + 20);
}

/** Write `reports` back to back at `off`; returns the offset after them. */
export function writeReports(out: Buffer, off: number, reports: readonly ReportBlock[]): number {
  for (const [i, r] of reports.entries()) {
    writeReportBlock(out, off, r, `reports[${i}]`);
    off += REPORT_BLOCK_LEN;
  }
  return off;
}
