import { describe, expect, it } from 'vitest';
import { parseRtcp, serializeRtcp, type RtcpPacket } from '../../server/rtp/rtcp/compound.js';
import { RtcpParseError } from '../../server/rtp/rtcp/rtcp-common.js';
import { sdesCname, SDES_CNAME, SDES_TOOL } from '../../server/rtp/rtcp/sdes.js';
import { loadHex } from './fixtures.js';
import { rtcpMalformedCases } from './malformed-cases.js';

function only<T extends RtcpPacket['type']>(p: RtcpPacket | undefined, type: T): Extract<RtcpPacket, { type: T }> {
  if (!p || p.type !== type) throw new Error(`expected ${type}, got ${p?.type}`);
  return p as Extract<RtcpPacket, { type: T }>;
}

describe('compound RTCP (RFC 3550 §6.1, §6.4–6.6)', () => {
  it('parses ffmpeg\'s SR + SDES CNAME and serializes it back to the same bytes', () => {
    const bytes = loadHex('ffmpeg-sr-sdes.rtcp.hex');
    const pkts = parseRtcp(bytes);
    expect(pkts.map((p) => p.type)).toEqual(['sr', 'sdes']);
    const sr = only(pkts[0], 'sr');
    expect(sr.ssrc).toBe(305419896);
    expect(sr.ntpSeconds).toBe(0xeeb2d1d7);
    expect(sr.ntpFraction).toBe(0x8ac08312);
    expect(sr.rtpTimestamp).toBe(0x6af1ac79);
    expect(sr.packetCount).toBe(2585);
    expect(sr.octetCount).toBe(481280);
    expect(sr.reports).toEqual([]);
    expect(sr.extension.length).toBe(0);
    const sdes = only(pkts[1], 'sdes');
    expect(sdesCname(sdes, 305419896)).toBe('acip-fixture@ffmpeg');
    expect(serializeRtcp(pkts).equals(bytes)).toBe(true);
  });

  it('parses GStreamer\'s SR + SDES (CNAME, TOOL) + BYE and round-trips it', () => {
    const bytes = loadHex('gstreamer-sr-sdes-bye.rtcp.hex');
    const pkts = parseRtcp(bytes);
    expect(pkts.map((p) => p.type)).toEqual(['sr', 'sdes', 'bye']);
    const sr = only(pkts[0], 'sr');
    expect(sr.packetCount).toBe(500);
    expect(sr.octetCount).toBe(480000);
    const sdes = only(pkts[1], 'sdes');
    expect(sdes.chunks).toHaveLength(1);
    expect(sdes.chunks[0]?.items.map((i) => [i.type, i.data.toString()])).toEqual([
      [SDES_CNAME, 'user1977106387@host-3be992d5'],
      [SDES_TOOL, 'GStreamer'],
    ]);
    const bye = only(pkts[2], 'bye');
    expect(bye.ssrcs).toEqual([0x1cd31403]);
    expect(bye.reason).toBeUndefined();
    expect(serializeRtcp(pkts).equals(bytes)).toBe(true);
  });

  it('parses RR with a report block (negative cumulative loss) + SDES + BYE with reason, and round-trips it', () => {
    const bytes = loadHex('rr-sdes-bye.rtcp.hex');
    const pkts = parseRtcp(bytes);
    const rr = only(pkts[0], 'rr');
    expect(rr.ssrc).toBe(0x5eed0001);
    expect(rr.reports).toEqual([
      { ssrc: 0x12345678, fractionLost: 0x40, cumulativeLost: -3, highestSeq: 0x00010005, jitter: 35, lsr: 0xd15bc624, dlsr: 0x18000 },
    ]);
    expect(sdesCname(only(pkts[1], 'sdes'), 0x5eed0001)).toBe('acip@rx1');
    const bye = only(pkts[2], 'bye');
    expect(bye.reason?.toString()).toBe('hangup');
    expect(serializeRtcp(pkts).equals(bytes)).toBe(true);
  });

  it('keeps APP and unknown packet types opaque and round-trips them', () => {
    const rr = loadHex('rr-sdes-bye.rtcp.hex').subarray(0, 32);
    const app = Buffer.from('84cc0003' + '5eed0001' + '41434950' + 'deadbeef', 'hex');
    const fb = Buffer.from('8fcd0002' + '5eed0001' + '12345678', 'hex'); // RTPFB, FMT 15: a feedback format we do not parse
    const bytes = Buffer.concat([rr, app, fb]);
    const pkts = parseRtcp(bytes);
    const a = only(pkts[1], 'app');
    expect(a.subtype).toBe(4);
    expect(a.name.toString()).toBe('ACIP');
    expect(a.data.toString('hex')).toBe('deadbeef');
    const u = only(pkts[2], 'unknown');
    expect(u.packetType).toBe(205);
    expect(u.count).toBe(15);
    expect(u.body.toString('hex')).toBe('5eed000112345678');
    expect(serializeRtcp(pkts).equals(bytes)).toBe(true);
  });

  it('accepts a non-compound packet only when reduced-size RTCP (RFC 5506) is allowed', () => {
    const bye = loadHex('rr-sdes-bye.rtcp.hex').subarray(52);
    expect(() => parseRtcp(bye)).toThrow(RtcpParseError);
    expect(parseRtcp(bye, { requireReportFirst: false }).map((p) => p.type)).toEqual(['bye']);
  });

  it('writes an SR with report blocks and padding that parses back to the same values', () => {
    const pkts: RtcpPacket[] = [
      {
        type: 'sr',
        padding: 4,
        ssrc: 1,
        ntpSeconds: 0xeeb2d1d7,
        ntpFraction: 0x80000000,
        rtpTimestamp: 0xffffffff,
        packetCount: 10,
        octetCount: 1600,
        reports: [{ ssrc: 2, fractionLost: 255, cumulativeLost: -0x800000, highestSeq: 0xffffffff, jitter: 7, lsr: 0, dlsr: 0 }],
        extension: Buffer.alloc(0),
      },
    ];
    const bytes = serializeRtcp(pkts);
    expect(bytes.length).toBe(4 + 24 + 24 + 4);
    expect(bytes[0]! & 0x20).toBe(0x20);
    expect(parseRtcp(bytes)).toEqual(pkts);
  });

  it.each(rtcpMalformedCases().map((c) => [c.name, c] as const))('rejects %s', (_name, c) => {
    let caught: unknown;
    try {
      parseRtcp(c.bytes);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(RtcpParseError);
    expect((caught as RtcpParseError).code).toBe(c.code);
  });
});
