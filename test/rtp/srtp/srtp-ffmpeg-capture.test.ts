/**
 * Interop with a real SRTP sender: packets ffmpeg 5.1 protected (its own libavformat SRTP code, not
 * libsrtp), captured on UDP with the SDP it wrote. Every packet must authenticate and decrypt to a
 * well-formed RTP packet of the SDP's payload type with consecutive sequence numbers.
 */
import { describe, expect, it } from 'vitest';
import { SrtpContext } from '../../../server/rtp/srtp/srtp-context.js';
import { SrtpError } from '../../../server/rtp/srtp/srtp-error.js';
import type { SrtpSuiteName } from '../../../server/rtp/srtp/srtp-suite.js';
import { hex, loadSrtpFixture } from './fixtures.js';

interface Capture {
  sdp: string;
  rtp: string[];
  rtcp: string[];
}

function keysOf(sdp: string): { suite: SrtpSuiteName; masterKey: Buffer; masterSalt: Buffer; pt: number } {
  const m = /a=crypto:1 (\S+) inline:(\S+)/.exec(sdp);
  const pt = /m=audio \d+ \S+ (\d+)/.exec(sdp);
  if (!m || !pt) throw new Error('capture without a=crypto or m=audio');
  const keySalt = Buffer.from(m[2] ?? '', 'base64');
  return { suite: m[1] as SrtpSuiteName, masterKey: keySalt.subarray(0, 16), masterSalt: keySalt.subarray(16), pt: Number(pt[1]) };
}

describe.each([
  { file: 'ffmpeg-5.1-aes-cm-128-hmac-sha1-80-pcma.json', rtcpTagLength: undefined },
  { file: 'ffmpeg-5.1-aes-cm-128-hmac-sha1-32-opus.json', rtcpTagLength: 4 as const },
])('$file', ({ file, rtcpTagLength }) => {
  const cap = loadSrtpFixture<Capture>(file);
  const { pt, ...keys } = keysOf(cap.sdp);

  it('authenticates and decrypts every SRTP packet ffmpeg sent', () => {
    const rx = new SrtpContext(keys);
    const first = hex(cap.rtp[0] ?? '').readUInt16BE(2);
    cap.rtp.forEach((h, i) => {
      const rtp = rx.unprotectRtp(hex(h));
      expect(rtp[1]! & 0x7f).toBe(pt);
      expect(rtp.readUInt16BE(2)).toBe((first + i) & 0xffff);
    });
  });

  it('authenticates and decrypts every SRTCP sender report ffmpeg sent', () => {
    const rx = new SrtpContext({ ...keys, rtcpTagLength });
    for (const h of cap.rtcp) {
      const rtcp = rx.unprotectRtcp(hex(h));
      expect(rtcp[1]).toBe(200); // SR
      expect((rtcp.readUInt16BE(2) + 1) * 4).toBeLessThanOrEqual(rtcp.length);
    }
  });
});

describe('ffmpeg 5.1 with AES_CM_128_HMAC_SHA1_32', () => {
  it('sends a 4-octet SRTCP tag, which the RFC 4568 §6.2 default (10 octets) refuses', () => {
    const cap = loadSrtpFixture<Capture>('ffmpeg-5.1-aes-cm-128-hmac-sha1-32-opus.json');
    const { pt: _pt, ...keys } = keysOf(cap.sdp);
    const rx = new SrtpContext(keys);
    expect(() => rx.unprotectRtcp(hex(cap.rtcp[0] ?? ''))).toThrow(SrtpError);
  });
});
