/**
 * What every RTCP packet shares (RFC 3550 §6.4.1): the common header, the packet type numbers,
 * the typed errors, and the shape of a per-type codec. Pure: no I/O.
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
 */
import { AcipError, type RTCP_PARSE_ERROR_CODES } from '../../util/errors.js';
import { PacketParseError } from '../packet-parse-error.js';

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;

export const RTCP_HEADER_LEN = 4;
/** RC / SC are 5-bit fields. */
export const RTCP_MAX_COUNT = 31;

export type RtcpParseErrorCode = (typeof RTCP_PARSE_ERROR_CODES)[number];

export class RtcpParseError extends PacketParseError<RtcpParseErrorCode> {
  override name = 'RtcpParseError';
}

export class RtcpSerializeError extends AcipError {
  constructor(message: string, field: string) {
    super('RTCP_SERIALIZE', message, field);
    this.name = 'RtcpSerializeError';
  }
}

export interface RtcpCommon {
  /** Number of padding octets at the end of this packet (0 = P bit clear). */
  padding: number;
}

/**
 * One packet type's body: what follows the 4-octet header, padding excluded. The compound layer
 * reads and writes the header and padding and asks the codec for the rest.
 */
export interface RtcpBodyCodec<P extends RtcpCommon> {
  /** The PT field to write for `p`. */
  packetType(p: P): number;
  /** The 5-bit RC/SC/subtype field to write for `p`. */
  count(p: P): number;
  /** Octets of `p`'s body. */
  bodyLength(p: P): number;
  /** `at` is the offset of the packet's header in the datagram (for error offsets). */
  parse(body: Buffer, count: number, padding: number, at: number, packetType: number): P;
  /** Write `p`'s body at `off` into a zero-filled `out`. */
  write(p: P, out: Buffer, off: number): void;
}

export function checkUint(value: number, bits: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** bits - 1) {
    throw new RtcpSerializeError(`${field} ${value} is not an unsigned ${bits}-bit integer`, field);
  }
}
