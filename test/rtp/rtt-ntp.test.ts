import { describe, expect, it } from 'vitest';
import { compactNtpToMs, msToCompactNtp, ntpFromUnixMs, ntpMiddle32, unixMsFromNtp } from '../../server/rtp/ntp.js';
import { rttFromCompactNtp, SrSendLog } from '../../server/rtp/rtt.js';
import { parseRtcp, serializeRtcp, type RtcpPacket } from '../../server/rtp/rtcp/compound.js';
import { ReceiverStats } from '../../server/rtp/receiver-stats.js';

describe('NTP timestamps (RFC 3550 §4)', () => {
  it('converts the Unix epoch and a half second exactly', () => {
    expect(ntpFromUnixMs(0)).toEqual({ seconds: 2208988800, fraction: 0 });
    expect(ntpFromUnixMs(500)).toEqual({ seconds: 2208988800, fraction: 0x8000_0000 });
    expect(unixMsFromNtp(ntpFromUnixMs(1_700_000_000_250))).toBeCloseTo(1_700_000_000_250, 3);
  });

  it('takes the middle 32 bits for LSR', () => {
    expect(ntpMiddle32({ seconds: 0xeeb2d1d7, fraction: 0x8ac08312 })).toBe(0xd1d78ac0);
    expect(compactNtpToMs(0x18000)).toBe(1500);
    expect(msToCompactNtp(1500)).toBe(0x18000);
  });
});

describe('round-trip time from LSR/DLSR (RFC 3550 §6.4.1)', () => {
  it('reproduces the RFC example: A=0xb7108000, LSR=0xb7052000, DLSR=0x00054000 → 6.125 s', () => {
    expect(rttFromCompactNtp(0xb7108000, 0xb7052000, 0x00054000)).toBe(6125);
  });

  it('gives no RTT when LSR is 0 or the result is negative', () => {
    expect(rttFromCompactNtp(0x1000, 0, 0)).toBeUndefined();
    expect(rttFromCompactNtp(0x1000, 0x2000, 0)).toBeUndefined();
  });

  it('computes RTT from a hand-built SR and the RR that answers it', () => {
    // We send an SR at wall time T (monotonic 1000 ms).
    const wallT = 1_700_000_000_000;
    const ntp = ntpFromUnixMs(wallT);
    const log = new SrSendLog();
    log.record(ntpMiddle32(ntp), 1000);
    const sr: RtcpPacket = {
      type: 'sr', padding: 0, ssrc: 0xaaaa, ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction,
      rtpTimestamp: 0, packetCount: 1, octetCount: 160, reports: [], extension: Buffer.alloc(0),
    };
    // The far end receives it 20 ms later (its own monotonic clock: 5000) and answers 1.5 s later.
    const [srSeen] = parseRtcp(serializeRtcp([sr]));
    if (srSeen?.type !== 'sr') throw new Error('no SR');
    const far = new ReceiverStats(0xaaaa, 8000, 0);
    far.update(0, 0, 4900);
    far.update(1, 160, 4920);
    far.onSenderReport(ntpMiddle32({ seconds: srSeen.ntpSeconds, fraction: srSeen.ntpFraction }), 5000);
    const block = far.makeReportBlock(6500);
    const rr = parseRtcp(serializeRtcp([{ type: 'rr', padding: 0, ssrc: 0xbbbb, reports: [block], extension: Buffer.alloc(0) }]));
    const got = rr[0]?.type === 'rr' ? rr[0].reports[0] : undefined;
    if (!got) throw new Error('no report block');
    // It reaches us 20 ms after it was sent: 1000 + 20 + 1500 + 20 = 2540 monotonic, wall T + 1540.
    expect(log.rtt(2540, got.lsr, got.dlsr)).toBeCloseTo(40, 6);
    const viaWall = rttFromCompactNtp(ntpMiddle32(ntpFromUnixMs(wallT + 1540)), got.lsr, got.dlsr);
    expect(viaWall).toBeDefined();
    expect(viaWall!).toBeCloseTo(40, 1); // compact NTP resolution is 1/65536 s
  });

  it('forgets SRs beyond its capacity', () => {
    const log = new SrSendLog(2);
    log.record(1, 10);
    log.record(2, 20);
    log.record(3, 30);
    expect(log.sentAt(1)).toBeUndefined();
    expect(log.sentAt(3)).toBe(30);
    expect(log.rtt(100, 0, 0)).toBeUndefined();
  });
});
