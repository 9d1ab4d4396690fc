/**
 * Malformed RTP and RTCP datagrams, each with the parse-error code it must produce. Shared by the
 * parser tests (rejected with the right code) and the session tests (dropped and counted).
 * Built by mutating the real/hand-assembled fixtures so that exactly one thing is wrong.
 */
import type { RtpParseErrorCode } from '../../server/rtp/rtp-packet.js';
import type { RtcpParseErrorCode } from '../../server/rtp/rtcp/rtcp-common.js';
import { loadHex } from './fixtures.js';

export interface RtpMalformedCase {
  name: string;
  bytes: Buffer;
  code: RtpParseErrorCode;
}

export interface RtcpMalformedCase {
  name: string;
  bytes: Buffer;
  code: RtcpParseErrorCode;
}

function mutate(buf: Buffer, f: (b: Buffer) => void): Buffer {
  const b = Buffer.from(buf);
  f(b);
  return b;
}

export function rtpMalformedCases(): RtpMalformedCase[] {
  const good = loadHex('ffmpeg-l16-rtp.hex');
  const rich = loadHex('rtp-csrc-ext-padding.hex');
  return [
    { name: 'an empty datagram', bytes: Buffer.alloc(0), code: 'RTP_SHORT' },
    { name: 'a packet shorter than the 12-octet fixed header', bytes: good.subarray(0, 11), code: 'RTP_SHORT' },
    { name: 'version 1', bytes: mutate(good, (b) => (b[0] = (b[0]! & 0x3f) | 0x40)), code: 'RTP_VERSION' },
    { name: 'version 0 (e.g. a STUN message on the RTP port)', bytes: mutate(good, (b) => (b[0] = b[0]! & 0x3f)), code: 'RTP_VERSION' },
    {
      name: 'a CSRC count past the end',
      bytes: mutate(good.subarray(0, 20), (b) => (b[0] = (b[0]! & 0xf0) | 3)),
      code: 'RTP_CSRC_OVERRUN',
    },
    {
      name: 'an extension header that does not fit',
      bytes: mutate(rich.subarray(0, 22), (b) => (b[0] = b[0]! & ~0x20)),
      code: 'RTP_EXT_OVERRUN',
    },
    {
      // Extension length field at offset 22..23 of the rich fixture: claim 200 words.
      name: 'an extension length past the end',
      bytes: mutate(rich, (b) => b.writeUInt16BE(200, 22)),
      code: 'RTP_EXT_OVERRUN',
    },
    {
      name: 'padding larger than the packet',
      bytes: mutate(rich, (b) => (b[b.length - 1] = 200)),
      code: 'RTP_PADDING',
    },
    {
      name: 'a padding count of 0',
      bytes: mutate(rich, (b) => (b[b.length - 1] = 0)),
      code: 'RTP_PADDING',
    },
    {
      name: 'padding that reaches into the header extension',
      bytes: mutate(rich, (b) => (b[b.length - 1] = 9)),
      code: 'RTP_PADDING',
    },
  ];
}

export function rtcpMalformedCases(): RtcpMalformedCase[] {
  const srSdes = loadHex('ffmpeg-sr-sdes.rtcp.hex');
  const rrSdesBye = loadHex('rr-sdes-bye.rtcp.hex');
  return [
    { name: 'a 3-octet datagram', bytes: srSdes.subarray(0, 3), code: 'RTCP_SHORT' },
    { name: 'version 1', bytes: mutate(srSdes, (b) => (b[0] = (b[0]! & 0x3f) | 0x40)), code: 'RTCP_VERSION' },
    {
      name: 'an RTCP length past the end of the datagram',
      bytes: srSdes.subarray(0, srSdes.length - 4),
      code: 'RTCP_LENGTH_OVERRUN',
    },
    {
      name: 'a length field claiming 65536 words',
      bytes: mutate(srSdes, (b) => b.writeUInt16BE(0xffff, 2)),
      code: 'RTCP_LENGTH_OVERRUN',
    },
    {
      name: 'a report count larger than the packet holds',
      bytes: mutate(rrSdesBye, (b) => (b[0] = (b[0]! & 0xe0) | 2)),
      code: 'RTCP_COUNT_OVERRUN',
    },
    {
      name: 'a compound packet that starts with SDES instead of SR/RR',
      bytes: rrSdesBye.subarray(32),
      code: 'RTCP_NOT_REPORT_FIRST',
    },
    {
      // SDES of the ffmpeg fixture starts at 28; its CNAME length octet is at 28+9.
      name: 'an SDES item longer than its packet',
      bytes: mutate(srSdes, (b) => (b[28 + 9] = 60)),
      code: 'RTCP_SDES',
    },
    {
      name: 'a padding count larger than the packet',
      bytes: mutate(rrSdesBye, (b) => {
        b[52] = b[52]! | 0x20; // P bit on the BYE (last packet)
        b[b.length - 1] = 99;
      }),
      code: 'RTCP_PADDING',
    },
    {
      name: 'two stray octets after the last packet',
      bytes: Buffer.concat([srSdes, Buffer.from([0x80, 0xc9])]),
      code: 'RTCP_SHORT',
    },
  ];
}
