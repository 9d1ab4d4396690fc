/**
 * Application-defined, PT=204 (RFC 3550 §6.7):
 *
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |V=2|P| subtype |   PT=APP=204  |             length            |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                           SSRC/CSRC                           |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                          name (ASCII)                         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                   application-dependent data                ...
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { checkUint, RTCP_APP, RtcpParseError, RtcpSerializeError, type RtcpBodyCodec, type RtcpCommon } from './rtcp-common.js';

export interface RtcpApp extends RtcpCommon {
  type: 'app';
  subtype: number;
  ssrc: number;
  /** Four ASCII octets. */
  name: Buffer;
  data: Buffer;
}

export const appCodec: RtcpBodyCodec<RtcpApp> = {
  packetType: () => RTCP_APP,
  count: (p) => p.subtype,
  bodyLength: (p) => 8 + p.data.length,
  parse(body, count, padding, at) {
    if (body.length < 8) {
      throw new RtcpParseError('RTCP_SHORT', `APP body of ${body.length} octets, needs at least 8`, at);
    }
    return { type: 'app', padding, subtype: count, ssrc: body.readUInt32BE(0), name: body.subarray(4, 8), data: body.subarray(8) };
  },
  write(p, out, off) {
    checkUint(p.ssrc, 32, 'ssrc');
    if (p.name.length !== 4) throw new RtcpSerializeError('APP name must be 4 octets', 'name');
    out.writeUInt32BE(p.ssrc, off);
    p.name.copy(out, off + 4);
    p.data.copy(out, off + 8);
  },
};
