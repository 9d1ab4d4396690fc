/**
 * What the send path keeps of a frame, and the overdue detector's jitter window, after the per-packet
 * work was cut down: the encoder may reuse its output buffer as soon as a frame is sent (RED's copies
 * and RTX's history hold buffers of their own), and the window's upper quartile, now kept sorted as
 * values come and go, is the one a sort of the last JITTER_WINDOW values gives.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RecoveryStage } from '../../../server/media/recovery-stage.js';
import { RedEncoder, parseRed } from '../../../server/rtp/red.js';
import { JITTER_WINDOW, OverdueDetector } from '../../../server/rtp/recovery/overdue-detector.js';
import { buildGenericNacks } from '../../../server/rtp/rtcp/feedback.js';
import { parseRtp, type RtpPacket } from '../../../server/rtp/rtp-packet.js';
import { RtpSession } from '../../../server/rtp/rtp-session.js';
import { tsDiff } from '../../../server/rtp/seq.js';
import { FakeClock } from '../../../server/util/clock.js';
import dgram from 'node:dgram';

const HOST = '127.0.0.1';
const opened: Array<{ close(): unknown }> = [];

afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

/** A deterministic pseudo-random sequence in [0, 1) (xorshift32). */
function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

describe('a frame handed to the send path may be reused by the encoder right after', () => {
  it('the RTP session sends its own copy and returns it as the packet sent', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, HOST, () => res()));
    opened.push({ close: () => new Promise<void>((res) => sock.close(() => res())) });
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    const port = (sock.address() as { port: number }).port;
    const s = await RtpSession.open({ clock: new FakeClock(), localHost: HOST, ports: { rtp: 0, rtcp: 0 }, cname: 'kept@127.0.0.1', clockRate: 48000, payloadType: 96, remote: { address: HOST, rtpPort: port }, initialSeq: 7, initialTimestamp: 1000 });
    opened.push(s);
    const frame = Buffer.from([1, 2, 3, 4]);
    const pkt = s.sendPayload(frame, 960, true);
    frame.fill(0xee);
    expect(pkt).toMatchObject({ payloadType: 96, sequenceNumber: 7, timestamp: 1960, marker: true, ssrc: s.ssrc });
    expect([...pkt!.payload]).toEqual([1, 2, 3, 4]);
    await vi.waitFor(() => expect(got).toHaveLength(1), { timeout: 5000, interval: 5 });
    const wire = parseRtp(got[0]!);
    expect(wire).toMatchObject({ payloadType: 96, sequenceNumber: 7, timestamp: 1960, marker: true, ssrc: s.ssrc });
    expect([...wire.payload]).toEqual([1, 2, 3, 4]);
  });

  it('RED carries the earlier frame as it was, though its buffer was overwritten since (RFC 2198)', () => {
    const enc = new RedEncoder({ depth: 1, distance: 1 });
    const reused = Buffer.alloc(3);
    reused.set([1, 2, 3]);
    enc.encode({ sequenceNumber: 10, timestamp: 0, payloadType: 111, payload: reused });
    reused.set([4, 5, 6]);
    const red = parseRed(enc.encode({ sequenceNumber: 11, timestamp: 960, payloadType: 111, payload: reused }).payload);
    expect([...red.redundant[0]!.payload]).toEqual([1, 2, 3]);
    expect([...red.primary.payload]).toEqual([4, 5, 6]);
  });

  it.each([
    { what: 'plain', red: undefined },
    { what: 'RED-wrapped', red: { payloadType: 63, depth: 1 as const, distance: 1 } },
  ])('an RTX retransmission (RFC 4588) carries the frame as sent $what, though its buffer was overwritten since', ({ red }) => {
    const sent: RtpPacket[] = [];
    const stage = new RecoveryStage(
      { params: { rtx: { payloadType: 112, rtxTimeMs: 1000 }, ...(red ? { red } : {}) }, primaryPt: 111, ourSsrc: 1, rtpClockRate: 48000, receivePtimeMs: 20, random: () => 0.5 },
      { push: () => undefined, bufferDelayMs: () => undefined, rttMs: () => null, remoteSsrc: () => 2, sendRtx: (p) => sent.push(p), sendFeedback: () => undefined },
    );
    const frame = Buffer.alloc(2);
    for (let seq = 40; seq < 43; seq++) {
      frame.set([seq, seq + 100]);
      const out = stage.outgoing(frame, seq * 960);
      // As the RTP session returns it: the payload is its own copy of what went out.
      const asSent: RtpPacket = { version: 2, padding: 0, marker: false, payloadType: out.payloadType, sequenceNumber: seq, timestamp: seq * 960, ssrc: 1, csrcs: [], extension: undefined, payload: Buffer.from(out.payload) };
      stage.sent(asSent, frame, seq * 20);
    }
    frame.fill(0);
    stage.onRtcp(buildGenericNacks(2, 1, [40, 41]), 70);
    expect(sent.map((p) => [p.payloadType, ...p.payload])).toEqual([
      [112, 0, 40, 40, 140],
      [112, 0, 41, 41, 141],
    ]);
  });
});

describe('the overdue detector keeps the upper quartile of the last JITTER_WINDOW transit differences', () => {
  it.each([1, 2, 3, 4, 5])('as a sort of the window gives it, after every packet (seed %i, ties included)', (seed) => {
    const random = seeded(seed);
    const d = new OverdueDetector({ ptimeMs: 20, clockRate: 48000 });
    const window: number[] = [];
    let mean = 0;
    let last: { arrival: number; ts: number } | undefined;
    for (let k = 0; k < 300; k++) {
      // Arrival noise in half-ms steps, so equal |D| values come and go; now and then a stall.
      const noise = Math.round(random() * 8) / 2 + (random() < 0.05 ? 40 : 0);
      const arrival = k * 20 + noise;
      const ts = (k * 960) >>> 0;
      d.onOriginal(k, ts, arrival);
      if (last) {
        const diff = arrival - last.arrival - (tsDiff(ts, last.ts) * 1000) / 48000;
        mean += (Math.abs(diff) - mean) / 16;
        window.push(Math.abs(diff));
        if (window.length > JITTER_WINDOW) window.shift();
      }
      last = { arrival, ts };
      const sorted = [...window].sort((x, y) => x - y);
      const quartile = sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(0.75 * sorted.length))]!;
      expect(d.recentJitterMs).toBe(Math.min(mean, quartile));
    }
  });
});
