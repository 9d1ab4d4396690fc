/**
 * Transport-layer feedback, PT=RTPFB=205 (RFC 4585 §6.1), and its generic NACK, FMT=1 (§6.2.1).
 * Pure: no I/O, every length checked before it is read; malformed input throws `RtcpParseError`
 * with the same codes as the other RTCP packet types, so a session counts it the same way.
 *
 * RFC 4585 §6.1, common packet format for feedback messages:
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |V=2|P|   FMT   |       PT      |          length               |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                  SSRC of packet sender                        |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                  SSRC of media source                         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    :            Feedback Control Information (FCI)                 :
 *    :                                                               :
 *
 * RFC 4585 §6.2.1, one generic NACK FCI entry (the FCI holds one or more):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |            PID                |             BLP               |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * PID is a lost packet's sequence number; bit i of BLP (least significant = 0) reports PID+i+1
 * lost as well, so one entry covers up to 17 sequence numbers.
 */
import { seqAdd, seqDiff, seq16 } from '../seq.js';
import {
  checkUint,
  RTCP_HEADER_LEN,
  RtcpParseError,
  RtcpSerializeError,
  type RtcpBodyCodec,
  type RtcpCommon,
} from './rtcp-common.js';

export const RTCP_RTPFB = 205;
/** FMT of the generic NACK inside RTPFB (RFC 4585 §6.2.1). */
export const RTPFB_FMT_GENERIC_NACK = 1;
/** Sequence numbers one FCI entry can carry: the PID and the 16 bits of BLP. */
export const NACK_SEQS_PER_FCI = 17;
const FB_SSRCS_LEN = 8;
const FCI_LEN = 4;

export interface NackFci {
  /** Packet ID: a lost sequence number. */
  pid: number;
  /** Bitmask of following lost packets: bit i set means PID+i+1 is lost too. */
  blp: number;
}

export interface RtcpGenericNack extends RtcpCommon {
  type: 'nack';
  senderSsrc: number;
  mediaSsrc: number;
  /** At least one entry (§6.2.1: "The FCI field MUST contain at least one"). */
  fci: NackFci[];
}

/** True when an RTCP header's PT and FMT fields say "generic NACK". */
export function isGenericNack(packetType: number, fmt: number): boolean {
  return packetType === RTCP_RTPFB && fmt === RTPFB_FMT_GENERIC_NACK;
}

/** The body codec (what follows the common header), for the compound layer. */
export const genericNackCodec: RtcpBodyCodec<RtcpGenericNack> = {
  packetType: () => RTCP_RTPFB,
  count: () => RTPFB_FMT_GENERIC_NACK,
  bodyLength: (p) => FB_SSRCS_LEN + FCI_LEN * p.fci.length,
  parse(body, _fmt, padding, at) {
    if (body.length < FB_SSRCS_LEN) {
      throw new RtcpParseError('RTCP_SHORT', `feedback body of ${body.length} octets, the two SSRCs need 8`, at);
    }
    const fciLength = body.length - FB_SSRCS_LEN;
    // §6.1: the length field counts whole words, so the FCI is whole entries; a remainder can
    // only come from padding that cuts into it.
    if (fciLength === 0 || fciLength % FCI_LEN !== 0) {
      throw new RtcpParseError(
        'RTCP_SHORT',
        `generic NACK FCI of ${fciLength} octets: needs one or more whole 4-octet entries (RFC 4585 §6.2.1)`,
        at + RTCP_HEADER_LEN + FB_SSRCS_LEN,
      );
    }
    const fci: NackFci[] = [];
    for (let off = FB_SSRCS_LEN; off < body.length; off += FCI_LEN) {
      fci.push({ pid: body.readUInt16BE(off), blp: body.readUInt16BE(off + 2) });
    }
    return { type: 'nack', padding, senderSsrc: body.readUInt32BE(0), mediaSsrc: body.readUInt32BE(4), fci };
  },
  write(p, out, off) {
    checkUint(p.senderSsrc, 32, 'senderSsrc');
    checkUint(p.mediaSsrc, 32, 'mediaSsrc');
    if (p.fci.length === 0) throw new RtcpSerializeError('a generic NACK needs at least one FCI entry (RFC 4585 §6.2.1)', 'fci');
    out.writeUInt32BE(p.senderSsrc, off);
    out.writeUInt32BE(p.mediaSsrc, off + 4);
    off += FB_SSRCS_LEN;
    for (const [i, e] of p.fci.entries()) {
      checkUint(e.pid, 16, `fci[${i}].pid`);
      checkUint(e.blp, 16, `fci[${i}].blp`);
      out.writeUInt16BE(e.pid, off);
      out.writeUInt16BE(e.blp, off + 2);
      off += FCI_LEN;
    }
  },
};

/**
 * Parse one stand-alone RTCP packet (header included, e.g. a reduced-size packet, RFC 5506) as a
 * generic NACK. Returns undefined when it is a valid RTCP header of another type or format;
 * throws `RtcpParseError` when it is malformed.
 */
export function parseGenericNack(buf: Buffer): RtcpGenericNack | undefined {
  if (buf.length < RTCP_HEADER_LEN) {
    throw new RtcpParseError('RTCP_SHORT', `RTCP packet of ${buf.length} octets`, 0);
  }
  const b0 = buf.readUInt8(0);
  if (b0 >>> 6 !== 2) throw new RtcpParseError('RTCP_VERSION', `RTCP version ${b0 >>> 6}, expected 2`, 0);
  const length = (buf.readUInt16BE(2) + 1) * 4;
  if (length > buf.length) {
    throw new RtcpParseError('RTCP_LENGTH_OVERRUN', `RTCP packet length ${length} runs past the ${buf.length} octets`, 2);
  }
  if (!isGenericNack(buf.readUInt8(1), b0 & 0x1f)) return undefined;
  let padding = 0;
  if ((b0 & 0x20) !== 0) {
    padding = buf.readUInt8(length - 1);
    if (padding === 0 || padding > length - RTCP_HEADER_LEN) {
      throw new RtcpParseError('RTCP_PADDING', `padding count ${padding} invalid for a ${length}-octet packet`, length - 1);
    }
  }
  return genericNackCodec.parse(buf.subarray(RTCP_HEADER_LEN, length - padding), RTPFB_FMT_GENERIC_NACK, padding, 0, RTCP_RTPFB);
}

/** Serialize one generic NACK packet, header included. */
export function serializeGenericNack(p: RtcpGenericNack): Buffer {
  checkUint(p.padding, 8, 'padding');
  const total = RTCP_HEADER_LEN + genericNackCodec.bodyLength(p) + p.padding;
  if (p.padding % 4 !== 0) throw new RtcpSerializeError('padding must keep the packet a multiple of 4 octets', 'padding');
  if (total / 4 - 1 > 0xffff) throw new RtcpSerializeError('generic NACK too long for the length field', 'fci');
  const out = Buffer.alloc(total);
  out.writeUInt8(0x80 | (p.padding > 0 ? 0x20 : 0) | RTPFB_FMT_GENERIC_NACK, 0);
  out.writeUInt8(RTCP_RTPFB, 1);
  out.writeUInt16BE(total / 4 - 1, 2);
  genericNackCodec.write(p, out, RTCP_HEADER_LEN);
  if (p.padding > 0) out.writeUInt8(p.padding, total - 1);
  return out;
}

/**
 * Compress sequence numbers into FCI entries: duplicates removed, ordered in serial-number order
 * from the first one given (so a list that crosses 65535→0 stays in wire order), each entry
 * starting at the lowest number not yet covered. The list should span less than half the circle.
 */
export function seqsToNackFci(seqs: readonly number[]): NackFci[] {
  if (seqs.length === 0) return [];
  const ref = seq16(seqs[0] as number);
  // Distances from the reference, sorted: serial-number order without a bare `<` on seqs.
  const rel = [...new Set(seqs.map((s) => seqDiff(seq16(s), ref)))].sort((a, b) => a - b);
  const out: NackFci[] = [];
  let current: { base: number; entry: NackFci } | undefined;
  for (const r of rel) {
    if (current && r - current.base <= NACK_SEQS_PER_FCI - 1) {
      current.entry.blp |= 1 << (r - current.base - 1);
      continue;
    }
    current = { base: r, entry: { pid: seqAdd(ref, r), blp: 0 } };
    out.push(current.entry);
  }
  return out;
}

/** Expand FCI entries into the sequence numbers they report lost, in entry then bit order. */
export function nackFciToSeqs(fci: readonly NackFci[]): number[] {
  const out: number[] = [];
  for (const e of fci) {
    out.push(seq16(e.pid));
    for (let bit = 0; bit < NACK_SEQS_PER_FCI - 1; bit++) {
      if ((e.blp >>> bit) & 1) out.push(seqAdd(e.pid, bit + 1));
    }
  }
  return out;
}

/**
 * Generic NACK packets reporting `seqs` lost, at most `maxFciPerPacket` entries each (to stay
 * within a path MTU: 8 + 4·n octets of body). Empty when `seqs` is.
 */
export function buildGenericNacks(
  senderSsrc: number,
  mediaSsrc: number,
  seqs: readonly number[],
  maxFciPerPacket = 64,
): RtcpGenericNack[] {
  if (!Number.isInteger(maxFciPerPacket) || maxFciPerPacket < 1) {
    throw new RtcpSerializeError(`maxFciPerPacket ${maxFciPerPacket} must be a positive integer`, 'maxFciPerPacket');
  }
  const fci = seqsToNackFci(seqs);
  const out: RtcpGenericNack[] = [];
  for (let i = 0; i < fci.length; i += maxFciPerPacket) {
    out.push({ type: 'nack', padding: 0, senderSsrc, mediaSsrc, fci: fci.slice(i, i + maxFciPerPacket) });
  }
  return out;
}
