/**
 * Compound RTCP packets (RFC 3550 §6.1): several RTCP packets back to back in one datagram, each
 * with the common header (rtcp-common.ts) and a body read and written by its type's codec (one
 * module per type). Pure: no I/O, every length checked before it is read; malformed input throws
 * `RtcpParseError` with a stable code.
 */
import { appCodec, type RtcpApp } from './app.js';
import { byeCodec, type RtcpBye } from './bye.js';
import { genericNackCodec, isGenericNack, type RtcpGenericNack } from './feedback.js';
import { receiverReportCodec, type RtcpReceiverReport } from './receiver-report.js';
import {
  checkUint,
  RTCP_APP,
  RTCP_BYE,
  RTCP_HEADER_LEN,
  RTCP_MAX_COUNT,
  RTCP_RR,
  RTCP_SDES,
  RTCP_SR,
  RtcpParseError,
  RtcpSerializeError,
  type RtcpBodyCodec,
  type RtcpCommon,
} from './rtcp-common.js';
import { sdesCodec, type RtcpSdes } from './sdes.js';
import { senderReportCodec, type RtcpSenderReport } from './sender-report.js';

/** A packet type we do not interpret (RTPFB/PSFB/XR, …): kept opaque so it round-trips. */
export interface RtcpUnknown extends RtcpCommon {
  type: 'unknown';
  packetType: number;
  /** The 5-bit count/format field. */
  count: number;
  /** Everything after the 4-octet header, padding excluded. */
  body: Buffer;
}

export type RtcpPacket = RtcpSenderReport | RtcpReceiverReport | RtcpSdes | RtcpBye | RtcpApp | RtcpGenericNack | RtcpUnknown;

export interface RtcpParseOptions {
  /**
   * RFC 3550 §6.1: "The first RTCP packet in the compound packet MUST always be a report packet
   * to facilitate header validation as described in Appendix A.2." We enforce it by default
   * (A.2 uses it to reject misdirected or garbage datagrams). Set false only when reduced-size
   * RTCP (RFC 5506, negotiated with a=rtcp-rsize) is in use, where non-compound packets are legal.
   */
  requireReportFirst?: boolean;
}

const unknownCodec: RtcpBodyCodec<RtcpUnknown> = {
  packetType: (p) => p.packetType,
  count: (p) => p.count,
  bodyLength: (p) => p.body.length,
  parse: (body, count, padding, _at, packetType) => ({ type: 'unknown', padding, packetType, count, body }),
  write: (p, out, off) => void p.body.copy(out, off),
};

type PacketOf<T extends RtcpPacket['type']> = Extract<RtcpPacket, { type: T }>;

/** Every packet type's codec, by the `type` of the packet model. */
const CODECS: { readonly [T in RtcpPacket['type']]: RtcpBodyCodec<PacketOf<T>> } = {
  sr: senderReportCodec,
  rr: receiverReportCodec,
  sdes: sdesCodec,
  bye: byeCodec,
  app: appCodec,
  nack: genericNackCodec,
  unknown: unknownCodec,
};

/** The codecs of the types we interpret, by PT; any other PT is kept as 'unknown'. */
const BY_PACKET_TYPE = new Map<number, RtcpBodyCodec<RtcpPacket>>([
  [RTCP_SR, CODECS.sr as RtcpBodyCodec<RtcpPacket>],
  [RTCP_RR, CODECS.rr as RtcpBodyCodec<RtcpPacket>],
  [RTCP_SDES, CODECS.sdes as RtcpBodyCodec<RtcpPacket>],
  [RTCP_BYE, CODECS.bye as RtcpBodyCodec<RtcpPacket>],
  [RTCP_APP, CODECS.app as RtcpBodyCodec<RtcpPacket>],
]);

function codecOf<P extends RtcpPacket>(p: P): RtcpBodyCodec<P> {
  return CODECS[p.type] as unknown as RtcpBodyCodec<P>;
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
  // PT 205 carries several feedback formats (RFC 4585 §6.2, RFC 8888 …): only FMT 1, generic NACK, is
  // understood; any other format stays 'unknown' instead of being misread.
  const codec = isGenericNack(pt, count)
    ? (CODECS.nack as RtcpBodyCodec<RtcpPacket>)
    : (BY_PACKET_TYPE.get(pt) ?? (unknownCodec as RtcpBodyCodec<RtcpPacket>));
  return { packet: codec.parse(body, count, padding, at, pt), length };
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

/** Octets `serializeRtcpPacket(p)` will produce. */
export function rtcpPacketLength(p: RtcpPacket): number {
  return RTCP_HEADER_LEN + codecOf(p).bodyLength(p) + p.padding;
}

function writeOne(p: RtcpPacket, out: Buffer, at: number): number {
  const codec = codecOf(p);
  const total = RTCP_HEADER_LEN + codec.bodyLength(p) + p.padding;
  if (total % 4 !== 0) {
    throw new RtcpSerializeError(`RTCP ${p.type} packet of ${total} octets is not a multiple of 4`, 'length');
  }
  if (total / 4 - 1 > 0xffff) throw new RtcpSerializeError(`RTCP ${p.type} packet too long`, 'length');
  checkUint(p.padding, 8, 'padding');
  const count = codec.count(p);
  if (count > RTCP_MAX_COUNT) {
    throw new RtcpSerializeError(`RTCP ${p.type} count ${count} exceeds ${RTCP_MAX_COUNT}`, 'count');
  }
  const pt = codec.packetType(p);
  checkUint(pt, 8, 'packetType');
  out.writeUInt8(0x80 | (p.padding > 0 ? 0x20 : 0) | count, at);
  out.writeUInt8(pt, at + 1);
  out.writeUInt16BE(total / 4 - 1, at + 2);
  codec.write(p, out, at + RTCP_HEADER_LEN);
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
