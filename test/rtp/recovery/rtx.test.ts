import { describe, expect, it } from 'vitest';
import { RecoveryError } from '../../../server/rtp/recovery/recovery-error.js';
import { parseRtp, serializeRtp, type RtpPacket } from '../../../server/rtp/rtp-packet.js';
import { RTX_MIN_RESEND_INTERVAL_MS, RtxHistory, unwrapRtx, wrapRtx, type RtxHistoryOptions } from '../../../server/rtp/rtx.js';
import { FakeClock } from '../../../server/util/clock.js';
import { seqAdd, tsAdd } from '../../../server/rtp/seq.js';

const ORIGINAL = { payloadType: 111, ssrc: 0x0a0b0c0d };
const RTX = { payloadType: 112, ssrc: 0x01020304 };

function packet(seq: number, extra: Partial<RtpPacket> = {}): RtpPacket {
  return {
    version: 2,
    padding: 0,
    marker: false,
    payloadType: ORIGINAL.payloadType,
    sequenceNumber: seq,
    timestamp: tsAdd(0xfffffc40, 960 * seq),
    ssrc: ORIGINAL.ssrc,
    csrcs: [],
    extension: undefined,
    payload: Buffer.from([0xde, 0xad, 0xbe, 0xef, seq & 0xff]),
    ...extra,
  };
}

function history(options: Partial<RtxHistoryOptions> = {}): RtxHistory {
  return new RtxHistory({
    capacityPackets: 100,
    capacityMs: 1000,
    rtxSsrc: RTX.ssrc,
    rtxPayloadTypes: new Map([[ORIGINAL.payloadType, RTX.payloadType]]),
    initialRtxSeq: 65534,
    ...options,
  });
}

describe('RTX packets (RFC 4588 §4)', () => {
  it('puts the OSN in the first two payload octets and keeps the original timestamp', () => {
    const original = packet(65535, { marker: true, timestamp: 0x12345678, csrcs: [7] });
    const bytes = serializeRtp(wrapRtx(original, RTX, 9));
    // Header: V=2 CC=1 | M=1 PT=112 | seq 9 | ts 0x12345678 | SSRC | CSRC 7 | OSN ffff | payload
    expect(bytes.toString('hex')).toBe('81' + 'f0' + '0009' + '12345678' + '01020304' + '00000007' + 'ffff' + 'deadbeefff');
  });

  it.each([
    { name: 'a plain packet', original: packet(1) },
    { name: 'seq 65535 with a marker', original: packet(65535, { marker: true }) },
    { name: 'a packet with CSRCs and a header extension', original: packet(0, { csrcs: [1, 2], extension: { profile: 0xbede, data: Buffer.from([0x10, 0xff, 0, 0]) } }) },
    { name: 'an empty original payload', original: packet(42, { payload: Buffer.alloc(0) }) },
  ])('unwraps $name back to the original bytes', ({ original }) => {
    const rtx = parseRtp(serializeRtp(wrapRtx(original, RTX, 65535)));
    expect(rtx.payloadType).toBe(RTX.payloadType);
    expect(rtx.ssrc).toBe(RTX.ssrc);
    expect(rtx.sequenceNumber).toBe(65535);
    const back = unwrapRtx(rtx, ORIGINAL);
    expect(back && serializeRtp(back).equals(serializeRtp(original))).toBe(true);
  });

  it('treats an RTX packet with no payload as padding, with nothing to restore', () => {
    expect(unwrapRtx(packet(3, { payload: Buffer.alloc(0) }), ORIGINAL)).toBeUndefined();
  });

  it('rejects a one-octet RTX payload with RTX_SHORT', () => {
    try {
      unwrapRtx(packet(3, { payload: Buffer.from([1]) }), ORIGINAL);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RecoveryError);
      expect((err as RecoveryError).code).toBe('RTX_SHORT');
    }
  });
});

describe('the RTX sender history', () => {
  it('answers a NACK across 65535→0 with consecutive RTX sequence numbers that wrap too', () => {
    const h = history();
    for (let i = 0; i < 5; i++) h.record(packet(seqAdd(65533, i)), i * 20);
    const { packets, missing } = h.onNack([65535, 0, 1], 100);
    expect(missing).toEqual([]);
    expect(packets.map((p) => p.sequenceNumber)).toEqual([65534, 65535, 0]);
    expect(packets.map((p) => unwrapRtx(p, ORIGINAL)?.sequenceNumber)).toEqual([65535, 0, 1]);
    expect(h.stats.resent).toBe(3);
  });

  it('evicts the oldest packets beyond its packet capacity', () => {
    const h = history({ capacityPackets: 3 });
    for (let i = 0; i < 5; i++) h.record(packet(seqAdd(65534, i)), 0);
    expect(h.size).toBe(3);
    expect(h.get(65534, 0)).toBeUndefined();
    expect(h.get(65535, 0)).toBeUndefined();
    expect(h.get(0, 0)?.sequenceNumber).toBe(0);
    expect(h.stats.evicted).toBe(2);
  });

  it('evicts packets older than its capacity in ms, at the time of the request', () => {
    const h = history({ capacityMs: 100 });
    h.record(packet(1), 0);
    h.record(packet(2), 60);
    const { packets, missing } = h.onNack([1, 2], 130);
    expect(missing).toEqual([1]);
    expect(packets.map((p) => unwrapRtx(p, ORIGINAL)?.sequenceNumber)).toEqual([2]);
  });

  it('reports packets it never had, or has no RTX payload type for, as missing', () => {
    const h = history();
    h.record(packet(5, { payloadType: 0 }), 0);
    expect(h.onNack([5, 6], 1).missing).toEqual([5, 6]);
    expect(h.stats.missing).toBe(2);
  });

  it('does not resend the same packet twice within minResendIntervalMs', () => {
    const h = history({ minResendIntervalMs: 30 });
    h.record(packet(5), 0);
    expect(h.onNack([5], 10).packets).toHaveLength(1);
    expect(h.onNack([5], 20)).toMatchObject({ packets: [], suppressed: [5] });
    expect(h.onNack([5], 40).packets).toHaveLength(1);
    expect(h.stats.suppressed).toBe(1);
  });

  it.each([
    // [RTT known to the sender, the resend interval]: three quarters of the RTT, at least the floor.
    { rtt: null, interval: RTX_MIN_RESEND_INTERVAL_MS },
    { rtt: 1, interval: RTX_MIN_RESEND_INTERVAL_MS },
    { rtt: 40, interval: 30 },
    { rtt: 200, interval: 150 },
  ])('with an RTT of $rtt ms it resends a packet at most once every $interval ms', ({ rtt, interval }) => {
    const clock = new FakeClock();
    const h = history({ rttMs: () => rtt });
    expect(h.resendIntervalMs()).toBe(interval);
    h.record(packet(7), clock.now());
    clock.advance(25);
    expect(h.onNack([7], clock.now()).packets).toHaveLength(1);
    clock.advance(interval - 0.5);
    expect(h.onNack([7], clock.now()).suppressed).toEqual([7]);
    clock.advance(0.5);
    expect(h.onNack([7], clock.now()).packets).toHaveLength(1);
    expect(h.stats).toMatchObject({ resent: 2, suppressed: 1 });
  });

  it('answers a receiver that asks early and again every 10 ms once per resend interval, counting the rest as suppressed', () => {
    // GStreamer's rtpjitterbuffer against a 40 ms RTT: requests at 5, 15, 25 … 95 ms after the send.
    const clock = new FakeClock();
    const h = history({ rttMs: () => 40 });
    h.record(packet(9), clock.now());
    const answeredAt: number[] = [];
    for (let t = 5; t < 100; t += 10) {
      clock.advance(t - clock.now());
      if (h.onNack([9], clock.now()).packets.length > 0) answeredAt.push(t);
    }
    expect(answeredAt).toEqual([5, 35, 65, 95]);
    expect(h.stats).toMatchObject({ resent: 4, suppressed: 6 });
  });

  it('keeps the interval per packet: a request for another number is answered at once', () => {
    const h = history({ rttMs: () => 40 });
    h.record(packet(1), 0);
    h.record(packet(2), 20);
    expect(h.onNack([1], 30).packets).toHaveLength(1);
    expect(h.onNack([1, 2], 31)).toMatchObject({ suppressed: [1], missing: [] });
    expect(h.stats).toMatchObject({ resent: 2, suppressed: 1 });
  });

  it('replaces a packet recorded again under the same sequence number', () => {
    const h = history();
    h.record(packet(5), 0);
    h.record(packet(5, { payload: Buffer.from([1, 2, 3]) }), 10);
    expect(h.size).toBe(1);
    expect(h.get(5, 10)?.payload.toString('hex')).toBe('010203');
  });

  it.each([
    { options: { capacityPackets: 0 }, field: 'capacityPackets' },
    { options: { capacityPackets: 40000 }, field: 'capacityPackets' },
    { options: { capacityMs: 0 }, field: 'capacityMs' },
    { options: { initialRtxSeq: 65536 }, field: 'initialRtxSeq' },
    { options: { rtxPayloadTypes: new Map([[111, 200]]) }, field: 'rtxPayloadTypes (rtx)' },
    { options: { minResendIntervalMs: -1 }, field: 'minResendIntervalMs' },
  ])('rejects $field out of range with RECOVERY_BAD_OPTION', ({ options, field }) => {
    try {
      history(options);
      expect.unreachable();
    } catch (err) {
      expect((err as RecoveryError).code).toBe('RECOVERY_BAD_OPTION');
      expect((err as RecoveryError).field).toBe(field);
    }
  });
});
