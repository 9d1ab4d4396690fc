/**
 * Goodbye, PT=203 (RFC 3550 §6.6):
 *
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |V=2|P|    SC   |   PT=BYE=203  |             length            |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                           SSRC/CSRC                           |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    :                              ...                              :
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *    |     length    |               reason for leaving            ... (opt)
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  The reason, when present, is padded to a 32-bit boundary.
 */
import { checkUint, RTCP_BYE, RtcpParseError, RtcpSerializeError, type RtcpBodyCodec, type RtcpCommon } from './rtcp-common.js';

export interface RtcpBye extends RtcpCommon {
  type: 'bye';
  ssrcs: number[];
  /** Reason for leaving (§6.6), if given; a view into the parsed buffer. */
  reason: Buffer | undefined;
}

export const byeCodec: RtcpBodyCodec<RtcpBye> = {
  packetType: () => RTCP_BYE,
  count: (p) => p.ssrcs.length,
  bodyLength: (p) => p.ssrcs.length * 4 + (p.reason ? Math.ceil((1 + p.reason.length) / 4) * 4 : 0),
  parse(body, sc, padding, at) {
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
    return { type: 'bye', padding, ssrcs, reason };
  },
  write(p, out, off) {
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
  },
};

/** Our BYE (RFC 3550 §6.6): our SSRC, and the reason if given, cut to the 255 octets its length field allows. */
export function byePacket(ssrc: number, reason?: string): RtcpBye {
  return { type: 'bye', padding: 0, ssrcs: [ssrc], reason: reason === undefined ? undefined : Buffer.from(reason, 'utf8').subarray(0, 255) };
}
