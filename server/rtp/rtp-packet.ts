/**
 * RTP data packets (RFC 3550 §5.1, header extension §5.3.1). Pure: no I/O, every length
 * checked before it is read; malformed input throws `RtpParseError` with a stable code.
 *
 * RFC 3550 §5.1, fixed header:
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                           timestamp                           |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |           synchronization source (SSRC) identifier            |
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *    |            contributing source (CSRC) identifiers             |
 *    |                             ....                              |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * RFC 3550 §5.3.1, header extension (present when X=1, after the CSRC list):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |      defined by profile       |           length              |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                        header extension                       |
 *    |                             ....                              |
 *
 * The length counts 32-bit words of extension data, excluding the 4-octet extension header.
 * When P=1 the last octet of the packet holds the count of padding octets, itself included.
 */
import { AcipError, type RTP_PARSE_ERROR_CODES } from '../util/errors.js';
import { PacketParseError } from './packet-parse-error.js';

export const RTP_VERSION = 2;
export const RTP_FIXED_HEADER_LEN = 12;
export const RTP_MAX_CSRC = 15;

export type RtpParseErrorCode = (typeof RTP_PARSE_ERROR_CODES)[number];

export class RtpParseError extends PacketParseError<RtpParseErrorCode> {
  override name = 'RtpParseError';
}

/** Serialization of a value that cannot be put on the wire (programming error, not network input). */
export class RtpSerializeError extends AcipError {
  constructor(message: string, field: string) {
    super('RTP_SERIALIZE', message, field);
    this.name = 'RtpSerializeError';
  }
}

export interface RtpHeaderExtension {
  /** The 16-bit "defined by profile" field (0xBEDE for RFC 8285 one-byte elements). */
  profile: number;
  /** Extension data, a multiple of 4 octets long (a view into the parsed buffer). */
  data: Buffer;
}

export interface RtpPacket {
  /** Always 2 (RFC 3550 §5.1); other versions are rejected by the parser. */
  version: 2;
  /** Number of padding octets at the end (0 = P bit clear). Padding includes the count octet. */
  padding: number;
  marker: boolean;
  payloadType: number;
  /** 16-bit, wraps: compare with `seq.ts` helpers only. */
  sequenceNumber: number;
  /** 32-bit, wraps: compare with `seq.ts` helpers only. */
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  extension: RtpHeaderExtension | undefined;
  /** A view into the parsed buffer (no copy); excludes padding. */
  payload: Buffer;
}

/** Parse one RTP packet. Throws `RtpParseError` on malformed input. */
export function parseRtp(buf: Buffer): RtpPacket {
  if (buf.length < RTP_FIXED_HEADER_LEN) {
    throw new RtpParseError('RTP_SHORT', `RTP packet of ${buf.length} octets is shorter than the 12-octet header`, 0);
  }
  const b0 = buf.readUInt8(0);
  const version = b0 >>> 6;
  // RFC 3550 §5.1: "The version defined by this specification is two (2)."
  if (version !== RTP_VERSION) {
    throw new RtpParseError('RTP_VERSION', `RTP version ${version}, expected 2`, 0);
  }
  const hasPadding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  const b1 = buf.readUInt8(1);
  const marker = (b1 & 0x80) !== 0;
  const payloadType = b1 & 0x7f;
  const sequenceNumber = buf.readUInt16BE(2);
  const timestamp = buf.readUInt32BE(4);
  const ssrc = buf.readUInt32BE(8);

  let off = RTP_FIXED_HEADER_LEN;
  const csrcEnd = off + 4 * cc;
  if (csrcEnd > buf.length) {
    throw new RtpParseError('RTP_CSRC_OVERRUN', `CSRC count ${cc} needs ${csrcEnd} octets, packet has ${buf.length}`, 0);
  }
  const csrcs: number[] = [];
  for (; off < csrcEnd; off += 4) csrcs.push(buf.readUInt32BE(off));

  let extension: RtpHeaderExtension | undefined;
  if (hasExtension) {
    // RFC 3550 §5.3.1: a 4-octet extension header, then `length` 32-bit words.
    if (off + 4 > buf.length) {
      throw new RtpParseError('RTP_EXT_OVERRUN', `header extension header at ${off} runs past the end (${buf.length})`, off);
    }
    const profile = buf.readUInt16BE(off);
    const words = buf.readUInt16BE(off + 2);
    const dataStart = off + 4;
    const dataEnd = dataStart + 4 * words;
    if (dataEnd > buf.length) {
      throw new RtpParseError(
        'RTP_EXT_OVERRUN',
        `header extension of ${words} words ends at ${dataEnd}, packet has ${buf.length}`,
        off + 2,
      );
    }
    extension = { profile, data: buf.subarray(dataStart, dataEnd) };
    off = dataEnd;
  }

  let end = buf.length;
  let padding = 0;
  if (hasPadding) {
    // RFC 3550 §5.1: "The last octet of the padding contains a count of how many padding
    // octets should be ignored, including itself." So the count is at least 1 and the padding
    // cannot reach back into the header (§A.1 lists this as a validity check).
    padding = buf.readUInt8(buf.length - 1);
    if (padding === 0) {
      throw new RtpParseError('RTP_PADDING', 'P bit set but the padding count octet is 0', buf.length - 1);
    }
    if (padding > buf.length - off) {
      throw new RtpParseError(
        'RTP_PADDING',
        `padding count ${padding} exceeds the ${buf.length - off} octets after the header`,
        buf.length - 1,
      );
    }
    end = buf.length - padding;
  }

  return {
    version: 2,
    padding,
    marker,
    payloadType,
    sequenceNumber,
    timestamp,
    ssrc,
    csrcs,
    extension,
    payload: buf.subarray(off, end),
  };
}

function checkUint(value: number, bits: number, field: string): void {
  const max = 2 ** bits - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RtpSerializeError(`${field} ${value} is not an unsigned ${bits}-bit integer`, field);
  }
}

/** Octets `serializeRtp` will produce for `pkt`. */
export function rtpPacketLength(pkt: Pick<RtpPacket, 'csrcs' | 'extension' | 'payload' | 'padding'>): number {
  return (
    RTP_FIXED_HEADER_LEN +
    4 * pkt.csrcs.length +
    (pkt.extension ? 4 + pkt.extension.data.length : 0) +
    pkt.payload.length +
    pkt.padding
  );
}

/**
 * Serialize an RTP packet. Padding octets other than the final count are written as zero
 * (RFC 3550 §5.1 leaves their value open), so a parse→serialize round trip is byte-exact for
 * zero-padded packets. Throws `RtpSerializeError` on out-of-range fields.
 */
export function serializeRtp(pkt: Omit<RtpPacket, 'version'> & { version?: 2 }): Buffer {
  checkUint(pkt.payloadType, 7, 'payloadType');
  checkUint(pkt.sequenceNumber, 16, 'sequenceNumber');
  checkUint(pkt.timestamp, 32, 'timestamp');
  checkUint(pkt.ssrc, 32, 'ssrc');
  checkUint(pkt.padding, 8, 'padding');
  if (pkt.csrcs.length > RTP_MAX_CSRC) {
    throw new RtpSerializeError(`${pkt.csrcs.length} CSRCs, at most ${RTP_MAX_CSRC} fit the CC field`, 'csrcs');
  }
  if (pkt.extension) {
    checkUint(pkt.extension.profile, 16, 'extension.profile');
    if (pkt.extension.data.length % 4 !== 0 || pkt.extension.data.length / 4 > 0xffff) {
      throw new RtpSerializeError('header extension data must be a multiple of 4 octets, at most 262140', 'extension.data');
    }
  }
  // Unzeroed (and, below 4 KiB, a slice of Node's shared pool rather than an ArrayBuffer of its own:
  // one packet per frame per session made those a visible part of the GC's work). Every octet is
  // written below; the padding octets before the count are zeroed there.
  const out = Buffer.allocUnsafe(rtpPacketLength(pkt));
  out.writeUInt8(
    (RTP_VERSION << 6) | (pkt.padding > 0 ? 0x20 : 0) | (pkt.extension ? 0x10 : 0) | pkt.csrcs.length,
    0,
  );
  out.writeUInt8((pkt.marker ? 0x80 : 0) | pkt.payloadType, 1);
  out.writeUInt16BE(pkt.sequenceNumber, 2);
  out.writeUInt32BE(pkt.timestamp, 4);
  out.writeUInt32BE(pkt.ssrc, 8);
  let off = RTP_FIXED_HEADER_LEN;
  for (const [i, c] of pkt.csrcs.entries()) {
    checkUint(c, 32, `csrcs[${i}]`);
    out.writeUInt32BE(c, off);
    off += 4;
  }
  if (pkt.extension) {
    out.writeUInt16BE(pkt.extension.profile, off);
    out.writeUInt16BE(pkt.extension.data.length / 4, off + 2);
    pkt.extension.data.copy(out, off + 4);
    off += 4 + pkt.extension.data.length;
  }
  pkt.payload.copy(out, off);
  off += pkt.payload.length;
  if (pkt.padding > 0) {
    out.fill(0, off, out.length - 1);
    out.writeUInt8(pkt.padding, out.length - 1);
  }
  return out;
}

/**
 * `serializeRtp` for the packets a session sends of its own stream: the fixed header only (no CSRC,
 * extension or padding), with no RtpPacket made per packet. `seq`, `timestamp` and `ssrc` are the
 * session's own, already in range; the payload type is checked. `payload` is copied.
 */
export function serializeRtpPlain(payload: Buffer, marker: boolean, payloadType: number, seq: number, timestamp: number, ssrc: number): Buffer {
  if ((payloadType & 0x7f) !== payloadType) throw new RtpSerializeError(`payloadType ${payloadType} is not an unsigned 7-bit integer`, 'payloadType');
  // Unzeroed, every octet written (as serializeRtp's).
  const out = Buffer.allocUnsafe(RTP_FIXED_HEADER_LEN + payload.length);
  out[0] = RTP_VERSION << 6;
  out[1] = (marker ? 0x80 : 0) | payloadType;
  out.writeUInt16BE(seq, 2);
  out.writeUInt32BE(timestamp, 4);
  out.writeUInt32BE(ssrc, 8);
  payload.copy(out, RTP_FIXED_HEADER_LEN);
  return out;
}
