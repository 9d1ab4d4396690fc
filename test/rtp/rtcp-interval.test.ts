import { describe, expect, it } from 'vitest';
import {
  rtcpBandwidthOctets,
  rtcpDeterministicIntervalS,
  rtcpIntervalS,
  reducedMinimumS,
  updateAvgRtcpSize,
  RTCP_COMPENSATION,
} from '../../server/rtp/rtcp-interval.js';

const fixed = (v: number) => () => v;

describe('RTCP transmission interval (RFC 3550 §6.3, A.7)', () => {
  const twoParty = { members: 2, senders: 2, rtcpBandwidth: rtcpBandwidthOctets(64), weSent: true, avgRtcpSize: 100, initial: false };

  it('gives 5 % of the session bandwidth to RTCP', () => {
    expect(rtcpBandwidthOctets(64)).toBe(400);
  });

  it('uses the 5 s minimum for a two-party call and randomises it by U(0.5,1.5)/(e−3/2)', () => {
    expect(rtcpDeterministicIntervalS(twoParty)).toBe(5);
    expect(rtcpIntervalS(twoParty, fixed(0.5))).toBeCloseTo(5 / RTCP_COMPENSATION, 12);
    expect(rtcpIntervalS(twoParty, fixed(0))).toBeCloseTo(2.5 / RTCP_COMPENSATION, 12);
    expect(rtcpIntervalS(twoParty, fixed(0.999999))).toBeCloseTo((5 * 1.499999) / RTCP_COMPENSATION, 9);
  });

  it('halves the minimum before the first report', () => {
    expect(rtcpDeterministicIntervalS({ ...twoParty, initial: true })).toBe(2.5);
  });

  it('uses the reduced minimum 360/kbps when asked (§6.2)', () => {
    expect(reducedMinimumS(128)).toBeCloseTo(2.8125, 12);
    expect(reducedMinimumS(32)).toBe(5);
    expect(rtcpDeterministicIntervalS({ ...twoParty, minIntervalS: reducedMinimumS(128) })).toBeCloseTo(2.8125, 12);
  });

  it('splits the bandwidth 25/75 between senders and receivers when senders are few', () => {
    const group = { members: 1000, senders: 1, rtcpBandwidth: 400, avgRtcpSize: 100, initial: false };
    // A receiver: 75 % of 400 octets/s shared by 999 receivers.
    expect(rtcpDeterministicIntervalS({ ...group, weSent: false })).toBeCloseTo((100 * 999) / 300, 9);
    expect(rtcpIntervalS({ ...group, weSent: false }, fixed(0))).toBeCloseTo((0.5 * (100 * 999)) / 300 / RTCP_COMPENSATION, 9);
    // The single sender: 25 % to itself → 1 s, raised to the 5 s minimum.
    expect(rtcpDeterministicIntervalS({ ...group, weSent: true })).toBe(5);
  });

  it('averages the packet size with weight 1/16', () => {
    expect(updateAvgRtcpSize(100, 260)).toBe(110);
  });
});
