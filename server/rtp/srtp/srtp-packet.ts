/**
 * The few header facts SRTP needs, read without building a full packet object (this runs per
 * packet): where the RTP payload starts, and the SSRC and sequence number. SRTP encrypts the payload
 * (and RTP padding) and leaves the header, CSRC list and header extension in clear (RFC 3711 §3.1,
 * Figure 1). Every length is checked before it is read; a violation is `SRTP_MALFORMED`.
 *
 * RFC 3711 §3.1, Figure 1 (the SRTP packet):
 *
 *      0                   1                   2                   3
 *      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+<+
 *     |V=2|P|X|  CC   |M|     PT      |       sequence number         | |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |
 *     |                           timestamp                           | |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |
 *     |           synchronization source (SSRC) identifier            | |
 *     +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+ |
 *     |            contributing source (CSRC) identifiers             | |
 *     |                               ....                            | |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |
 *     |                   RTP extension (OPTIONAL)                    | |
 *   +>+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |
 *   | |                          payload  ...                         | |
 *   | |                               +-------------------------------+ |
 *   | |                               | RTP padding   | RTP pad count | |
 *   +>+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+<+
 *   | ~                     SRTP MKI (OPTIONAL)                       ~ |
 *   | +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |
 *   | :                 authentication tag (RECOMMENDED)              : |
 *   | +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |
 *   |                                                                   |
 *   +- Encrypted Portion*                      Authenticated Portion ---+
 *
 * SRTCP (RFC 3711 §3.4, Figure 2) keeps the first 8 octets (header and sender SSRC) in clear,
 * encrypts the rest of the compound packet, and appends E || SRTCP index (32 bits), the optional MKI
 * and the tag.
 */
import { SrtpError } from './srtp-error.js';

const RTP_FIXED = 12;
const RTCP_FIXED = 8;
const VERSION_2 = 2;

/**
 * Octets of the RTP header (fixed header, CSRCs, extension) of a packet whose last
 * `trailerLength` octets are not RTP (the SRTP tag on receive, 0 on send).
 */
export function rtpHeaderLength(packet: Buffer, trailerLength: number): number {
  const end = packet.length - trailerLength;
  if (end < RTP_FIXED) throw new SrtpError('SRTP_MALFORMED', `RTP packet of ${packet.length} octets is too short`);
  const b0 = packet[0] ?? 0;
  if (b0 >>> 6 !== VERSION_2) throw new SrtpError('SRTP_MALFORMED', `RTP version ${b0 >>> 6}, expected 2`);
  let len = RTP_FIXED + 4 * (b0 & 0x0f);
  if (b0 & 0x10) {
    if (len + 4 > end) throw new SrtpError('SRTP_MALFORMED', 'RTP header extension overruns the packet');
    len += 4 + 4 * packet.readUInt16BE(len + 2);
  }
  if (len > end) throw new SrtpError('SRTP_MALFORMED', 'RTP header overruns the packet');
  return len;
}

/** Checks an RTCP packet (plain or SRTCP) holds `RTCP_FIXED + trailerLength` octets and is version 2. */
export function checkRtcpHeader(packet: Buffer, trailerLength: number): void {
  if (packet.length < RTCP_FIXED + trailerLength) {
    throw new SrtpError('SRTP_MALFORMED', `RTCP packet of ${packet.length} octets is too short`);
  }
  const b0 = packet[0] ?? 0;
  if (b0 >>> 6 !== VERSION_2) throw new SrtpError('SRTP_MALFORMED', `RTCP version ${b0 >>> 6}, expected 2`);
}

export const RTCP_CLEAR_HEADER_LENGTH = RTCP_FIXED;
/** E flag (1 bit) and SRTCP index (31 bits), RFC 3711 §3.4. */
export const SRTCP_INDEX_LENGTH = 4;
export const SRTCP_INDEX_LIMIT = 0x8000_0000;
export const SRTCP_E_FLAG = 0x8000_0000;
