/**
 * RTCP packets (RFC 3550 §6.4–§6.7) and compound packets (§6.1). Pure: no I/O, every length
 * checked before it is read; malformed input throws `RtcpParseError` with a stable code.
 *
 * Common header of every RTCP packet (§6.4.1):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |V=2|P|   RC    |      PT       |             length            |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  `length` is the packet length in 32-bit words minus one, header and padding included.
 *
 * Sender report, PT=200 (§6.4.1):
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
 *    |                  profile-specific extensions                  |
 *
 * Receiver report, PT=201 (§6.4.2): header, SSRC of packet sender, report blocks, extensions.
 *
 * SDES, PT=202 (§6.5): header (RC = source count), then chunks:
 *    |                          SSRC/CSRC_1                          |
 *    |                           SDES items ...                      |
 *  each item is type(8) length(8) text(length octets, UTF-8); a chunk's item list ends with one
 *  or more null octets (type 0) that also pad the chunk to a 32-bit boundary.
 *
 * BYE, PT=203 (§6.6): header (RC = source count), SSRC/CSRC list, then optionally
 *   length(8) + reason text, padded to a 32-bit boundary.
 *
 * APP, PT=204 (§6.7): header (RC = subtype), SSRC/CSRC, name (4 ASCII octets), data (32-bit multiple).
 */
import { AcipError } from '../util/errors.js';

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;

/** SDES item types, RFC 3550 §6.5. */
export const SDES_END = 0;
export const SDES_CNAME = 1;
export const SDES_NAME = 2;
export const SDES_EMAIL = 3;
export const SDES_PHONE = 4;
export const SDES_LOC = 5;
export const SDES_TOOL = 6;
export const SDES_NOTE = 7;
export const SDES_PRIV = 8;

export const RTCP_HEADER_LEN = 4;
export const REPORT_BLOCK_LEN = 24;
/** RC / SC are 5-bit fields. */
export const RTCP_MAX_COUNT = 31;

export type RtcpParseErrorCode =
  | 'RTCP_SHORT'
  | 'RTCP_VERSION'
  | 'RTCP_LENGTH_OVERRUN'
  | 'RTCP_COUNT_OVERRUN'
  | 'RTCP_PADDING'
  | 'RTCP_SDES'
  | 'RTCP_BYE'
  | 'RTCP_NOT_REPORT_FIRST';

export class RtcpParseError extends AcipError {
  override readonly code: RtcpParseErrorCode;
  readonly offset: number;

  constructor(code: RtcpParseErrorCode, message: string, offset: number) {
    super(code, message);
    this.name = 'RtcpParseError';
    this.code = code;
    this.offset = offset;
  }
}

export class RtcpSerializeError extends AcipError {
  constructor(message: string, field: string) {
    super('RTCP_SERIALIZE', message, field);
    this.name = 'RtcpSerializeError';
  }
}

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

interface RtcpCommon {
  /** Number of padding octets at the end of this packet (0 = P bit clear). */
  padding: number;
}

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

export interface RtcpReceiverReport extends RtcpCommon {
  type: 'rr';
  ssrc: number;
  reports: ReportBlock[];
  extension: Buffer;
}

export interface SdesItem {
  /** SDES_CNAME, SDES_NAME, …; any 1..255 value is kept. */
  type: number;
  /** The item's octets (UTF-8 text for the standard items; prefix-length + prefix + value for PRIV). */
  data: Buffer;
}

export interface SdesChunk {
  ssrc: number;
  items: SdesItem[];
}

export interface RtcpSdes extends RtcpCommon {
  type: 'sdes';
  chunks: SdesChunk[];
}

export interface RtcpBye extends RtcpCommon {
  type: 'bye';
  ssrcs: number[];
  /** Reason for leaving (§6.6), if given; a view into the parsed buffer. */
  reason: Buffer | undefined;
}

export interface RtcpApp extends RtcpCommon {
  type: 'app';
  subtype: number;
  ssrc: number;
  /** Four ASCII octets. */
  name: Buffer;
  data: Buffer;
}

/** A packet type we do not interpret (RTPFB/PSFB/XR, …): kept opaque so it round-trips. */
export interface RtcpUnknown extends RtcpCommon {
  type: 'unknown';
  packetType: number;
  /** The 5-bit count/format field. */
  count: number;
  /** Everything after the 4-octet header, padding excluded. */
  body: Buffer;
}

export type RtcpPacket = RtcpSenderReport | RtcpReceiverReport | RtcpSdes | RtcpBye | RtcpApp | RtcpUnknown;

export interface RtcpParseOptions {
  /**
   * RFC 3550 §6.1: "The first RTCP packet in the compound packet MUST always be a report packet
   * to facilitate header validation as described in Appendix A.2." We enforce it by default
   * (A.2 uses it to reject misdirected or garbage datagrams). Set false only when reduced-size
   * RTCP (RFC 5506, negotiated with a=rtcp-rsize) is in use, where non-compound packets are legal.
   */
  requireReportFirst?: boolean;
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

function readReports(body: Buffer, off: number, rc: number, at: number): ReportBlock[] {
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

function parseSdes(body: Buffer, sc: number, at: number): SdesChunk[] {
  const chunks: SdesChunk[] = [];
  let off = 0;
  for (let c = 0; c < sc; c++) {
    const chunkStart = off;
    if (off + 4 > body.length) {
      throw new RtcpParseError('RTCP_COUNT_OVERRUN', `SDES chunk ${c} of ${sc} starts past the end`, at + 4 + off);
    }
    const ssrc = body.readUInt32BE(off);
    off += 4;
    const items: SdesItem[] = [];
    for (;;) {
      if (off >= body.length) {
        // §6.5: "The list of items in each chunk MUST be terminated by one or more null octets".
        throw new RtcpParseError('RTCP_SDES', `SDES chunk ${c} has no terminating null octet`, at + 4 + off);
      }
      const type = body.readUInt8(off);
      if (type === SDES_END) {
        off += 1;
        // Pad to the next 32-bit boundary from the chunk start (§6.5). Chunks start aligned.
        const aligned = chunkStart + Math.ceil((off - chunkStart) / 4) * 4;
        if (aligned > body.length) {
          throw new RtcpParseError('RTCP_SDES', `SDES chunk ${c} padding runs past the end`, at + 4 + off);
        }
        off = aligned;
        break;
      }
      if (off + 2 > body.length) {
        throw new RtcpParseError('RTCP_SDES', `SDES item header at ${off} runs past the end`, at + 4 + off);
      }
      const len = body.readUInt8(off + 1);
      if (off + 2 + len > body.length) {
        throw new RtcpParseError('RTCP_SDES', `SDES item of ${len} octets runs past the end`, at + 4 + off + 1);
      }
      items.push({ type, data: body.subarray(off + 2, off + 2 + len) });
      off += 2 + len;
    }
    chunks.push({ ssrc, items });
  }
  return chunks;
}

function parseBye(body: Buffer, sc: number, at: number): { ssrcs: number[]; reason: Buffer | undefined } {
  if (sc * 4 > body.length) {
    throw new RtcpParseError('RTCP_COUNT_OVERRUN', `BYE source count ${sc} needs ${sc * 4} octets, body has ${body.length}`, at);
  }
  const ssrcs: number[] = [];
  for (let i = 0; i < sc; i++) ssrcs.push(body.readUInt32BE(i * 4));
  let reason: Buffer | undefined;
  const off = sc * 4;
  if (off < body.length) {
    const len = body.readUInt8(off);
    if (off + 1 + len > body.length) {
      throw new RtcpParseError('RTCP_BYE', `BYE reason of ${len} octets runs past the end`, at + 4 + off);
    }
    reason = body.subarray(off + 1, off + 1 + len);
  }
  return { ssrcs, reason };
}

/** Parse one packet whose header starts at `at` inside `buf`; returns the packet and its total length. */
function parseOne(buf: Buffer, at: number): { packet: RtcpPacket; length: number } {
  if (at + RTCP_HEADER_LEN > buf.length) {
    throw new RtcpParseError('RTCP_SHORT', `${buf.length - at} octets left, an RTCP header needs 4`, at);
  }
  const b0 = buf.readUInt8(at);
  const version = b0 >>> 6;
  if (version !== 2) {
    throw new RtcpParseError('RTCP_VERSION', `RTCP version ${version}, expected 2`, at);
  }
  const hasPadding = (b0 & 0x20) !== 0;
  const count = b0 & 0x1f;
  const pt = buf.readUInt8(at + 1);
  const length = (buf.readUInt16BE(at + 2) + 1) * 4;
  if (at + length > buf.length) {
    throw new RtcpParseError(
      'RTCP_LENGTH_OVERRUN',
      `RTCP packet length ${length} at ${at} runs past the end of the ${buf.length}-octet datagram`,
      at + 2,
    );
  }
  let bodyEnd = at + length;
  let padding = 0;
  if (hasPadding) {
    // §6.4.1: the last octet is a count of padding octets, itself included.
    padding = buf.readUInt8(at + length - 1);
    if (padding === 0 || padding > length - RTCP_HEADER_LEN) {
      throw new RtcpParseError('RTCP_PADDING', `padding count ${padding} invalid for a ${length}-octet packet`, at + length - 1);
    }
    bodyEnd -= padding;
  }
  const body = buf.subarray(at + RTCP_HEADER_LEN, bodyEnd);
  let packet: RtcpPacket;
  switch (pt) {
    case RTCP_SR: {
      if (body.length < 24) {
        throw new RtcpParseError('RTCP_SHORT', `SR body of ${body.length} octets, sender info needs 24`, at);
      }
      const reports = readReports(body, 24, count, at);
      packet = {
        type: 'sr',
        padding,
        ssrc: body.readUInt32BE(0),
        ntpSeconds: body.readUInt32BE(4),
        ntpFraction: body.readUInt32BE(8),
        rtpTimestamp: body.readUInt32BE(12),
        packetCount: body.readUInt32BE(16),
        octetCount: body.readUInt32BE(20),
        reports,
        extension: body.subarray(24 + count * REPORT_BLOCK_LEN),
      };
      break;
    }
    case RTCP_RR: {
      if (body.length < 4) {
        throw new RtcpParseError('RTCP_SHORT', `RR body of ${body.length} octets, needs at least 4`, at);
      }
      const reports = readReports(body, 4, count, at);
      packet = {
        type: 'rr',
        padding,
        ssrc: body.readUInt32BE(0),
        reports,
        extension: body.subarray(4 + count * REPORT_BLOCK_LEN),
      };
      break;
    }
    case RTCP_SDES:
      packet = { type: 'sdes', padding, chunks: parseSdes(body, count, at) };
      break;
    case RTCP_BYE:
      packet = { type: 'bye', padding, ...parseBye(body, count, at) };
      break;
    case RTCP_APP:
      if (body.length < 8) {
        throw new RtcpParseError('RTCP_SHORT', `APP body of ${body.length} octets, needs at least 8`, at);
      }
      packet = {
        type: 'app',
        padding,
        subtype: count,
        ssrc: body.readUInt32BE(0),
        name: body.subarray(4, 8),
        data: body.subarray(8),
      };
      break;
    default:
      packet = { type: 'unknown', padding, packetType: pt, count, body };
  }
  return { packet, length };
}

/**
 * Parse a compound RTCP datagram (§6.1) into its packets. The individual lengths must add up
 * to the datagram length exactly (Appendix A.2); trailing octets are an error.
 */
export function parseRtcp(buf: Buffer, options: RtcpParseOptions = {}): RtcpPacket[] {
  const requireReportFirst = options.requireReportFirst ?? true;
  if (buf.length < RTCP_HEADER_LEN) {
    throw new RtcpParseError('RTCP_SHORT', `RTCP datagram of ${buf.length} octets`, 0);
  }
  const packets: RtcpPacket[] = [];
  let at = 0;
  while (at < buf.length) {
    const { packet, length } = parseOne(buf, at);
    if (at === 0 && requireReportFirst && packet.type !== 'sr' && packet.type !== 'rr') {
      // §6.1 / Appendix A.2: the first packet of a compound packet MUST be SR or RR.
      throw new RtcpParseError('RTCP_NOT_REPORT_FIRST', `compound RTCP starts with ${packet.type}, not SR/RR`, 0);
    }
    packets.push(packet);
    at += length;
  }
  return packets;
}

// ---------------------------------------------------------------------------------------------
// Serialization

function checkUint(value: number, bits: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** bits - 1) {
    throw new RtcpSerializeError(`${field} ${value} is not an unsigned ${bits}-bit integer`, field);
  }
}

function bodyLength(p: RtcpPacket): number {
  switch (p.type) {
    case 'sr':
      return 24 + p.reports.length * REPORT_BLOCK_LEN + p.extension.length;
    case 'rr':
      return 4 + p.reports.length * REPORT_BLOCK_LEN + p.extension.length;
    case 'sdes': {
      let n = 0;
      for (const c of p.chunks) {
        let itemLen = 4;
        for (const it of c.items) itemLen += 2 + it.data.length;
        // At least one null octet, then up to the next 32-bit boundary.
        n += Math.ceil((itemLen + 1) / 4) * 4;
      }
      return n;
    }
    case 'bye':
      return p.ssrcs.length * 4 + (p.reason ? Math.ceil((1 + p.reason.length) / 4) * 4 : 0);
    case 'app':
      return 8 + p.data.length;
    case 'unknown':
      return p.body.length;
  }
}

function countOf(p: RtcpPacket): number {
  switch (p.type) {
    case 'sr':
    case 'rr':
      return p.reports.length;
    case 'sdes':
      return p.chunks.length;
    case 'bye':
      return p.ssrcs.length;
    case 'app':
      return p.subtype;
    case 'unknown':
      return p.count;
  }
}

function ptOf(p: RtcpPacket): number {
  switch (p.type) {
    case 'sr':
      return RTCP_SR;
    case 'rr':
      return RTCP_RR;
    case 'sdes':
      return RTCP_SDES;
    case 'bye':
      return RTCP_BYE;
    case 'app':
      return RTCP_APP;
    case 'unknown':
      return p.packetType;
  }
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

/** Octets `serializeRtcpPacket(p)` will produce. */
export function rtcpPacketLength(p: RtcpPacket): number {
  return RTCP_HEADER_LEN + bodyLength(p) + p.padding;
}

function writeOne(p: RtcpPacket, out: Buffer, at: number): number {
  const bodyLen = bodyLength(p);
  const total = RTCP_HEADER_LEN + bodyLen + p.padding;
  if (total % 4 !== 0) {
    throw new RtcpSerializeError(`RTCP ${p.type} packet of ${total} octets is not a multiple of 4`, 'length');
  }
  if (total / 4 - 1 > 0xffff) throw new RtcpSerializeError(`RTCP ${p.type} packet too long`, 'length');
  checkUint(p.padding, 8, 'padding');
  const count = countOf(p);
  if (count > RTCP_MAX_COUNT) {
    throw new RtcpSerializeError(`RTCP ${p.type} count ${count} exceeds ${RTCP_MAX_COUNT}`, 'count');
  }
  const pt = ptOf(p);
  checkUint(pt, 8, 'packetType');
  out.writeUInt8(0x80 | (p.padding > 0 ? 0x20 : 0) | count, at);
  out.writeUInt8(pt, at + 1);
  out.writeUInt16BE(total / 4 - 1, at + 2);
  let off = at + RTCP_HEADER_LEN;
  switch (p.type) {
    case 'sr':
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
      off += 24;
      for (const [i, r] of p.reports.entries()) {
        writeReportBlock(out, off, r, `reports[${i}]`);
        off += REPORT_BLOCK_LEN;
      }
      p.extension.copy(out, off);
      break;
    case 'rr':
      checkUint(p.ssrc, 32, 'ssrc');
      out.writeUInt32BE(p.ssrc, off);
      off += 4;
      for (const [i, r] of p.reports.entries()) {
        writeReportBlock(out, off, r, `reports[${i}]`);
        off += REPORT_BLOCK_LEN;
      }
      p.extension.copy(out, off);
      break;
    case 'sdes':
      for (const c of p.chunks) {
        checkUint(c.ssrc, 32, 'chunk.ssrc');
        const start = off;
        out.writeUInt32BE(c.ssrc, off);
        off += 4;
        for (const it of c.items) {
          if (!Number.isInteger(it.type) || it.type < 1 || it.type > 255) {
            throw new RtcpSerializeError(`SDES item type ${it.type} must be 1..255`, 'item.type');
          }
          if (it.data.length > 255) throw new RtcpSerializeError('SDES item longer than 255 octets', 'item.data');
          out.writeUInt8(it.type, off);
          out.writeUInt8(it.data.length, off + 1);
          it.data.copy(out, off + 2);
          off += 2 + it.data.length;
        }
        // Null terminator(s) and alignment: the buffer is zero-filled already.
        off = start + Math.ceil((off - start + 1) / 4) * 4;
      }
      break;
    case 'bye':
      for (const s of p.ssrcs) {
        checkUint(s, 32, 'ssrc');
        out.writeUInt32BE(s, off);
        off += 4;
      }
      if (p.reason) {
        if (p.reason.length > 255) throw new RtcpSerializeError('BYE reason longer than 255 octets', 'reason');
        out.writeUInt8(p.reason.length, off);
        p.reason.copy(out, off + 1);
      }
      break;
    case 'app':
      checkUint(p.ssrc, 32, 'ssrc');
      if (p.name.length !== 4) throw new RtcpSerializeError('APP name must be 4 octets', 'name');
      out.writeUInt32BE(p.ssrc, off);
      p.name.copy(out, off + 4);
      p.data.copy(out, off + 8);
      break;
    case 'unknown':
      p.body.copy(out, off);
      break;
  }
  if (p.padding > 0) out.writeUInt8(p.padding, at + total - 1);
  return total;
}

/** Serialize one RTCP packet. */
export function serializeRtcpPacket(p: RtcpPacket): Buffer {
  const out = Buffer.alloc(rtcpPacketLength(p));
  writeOne(p, out, 0);
  return out;
}

/** Serialize a compound RTCP packet (§6.1): the packets back to back in one datagram. */
export function serializeRtcp(packets: readonly RtcpPacket[]): Buffer {
  let total = 0;
  for (const p of packets) total += rtcpPacketLength(p);
  const out = Buffer.alloc(total);
  let at = 0;
  for (const p of packets) at += writeOne(p, out, at);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Convenience

/** An SDES item from text (UTF-8, §6.5). */
export function sdesItem(type: number, text: string): SdesItem {
  return { type, data: Buffer.from(text, 'utf8') };
}

/** The CNAME text of `ssrc` in an SDES packet, if present. */
export function sdesCname(p: RtcpSdes, ssrc: number): string | undefined {
  for (const c of p.chunks) {
    if (c.ssrc !== ssrc) continue;
    for (const it of c.items) if (it.type === SDES_CNAME) return it.data.toString('utf8');
  }
  return undefined;
}
