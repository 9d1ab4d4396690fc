/**
 * What the inactivity watch reads from a real media session: the arrival of the far end's last RTP
 * and RTCP packets, stamped on the session's clock. A receiver report on the wire (RFC 3550 §6.4.2)
 * moves `lastRtcpRxMs` but not `lastRxMs`, so a peer that only reports (on hold, or receive-only,
 * RFC 3264 §5.1) still counts as alive. Real sockets on loopback; the fake clock stamps arrivals.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../server/util/clock.js';
import { MediaSession } from '../../server/media/media-session.js';
import { serializeRtcp } from '../../server/rtp/rtcp/compound.js';
import { lastPeerActivity } from '../../server/links/inactivity-watch.js';
import { sessionParams } from '../media/session/session-harness.js';

const PCMU = { codecId: 'PCMU', payloadType: 0, params: { sampleRate: 8000, channels: 1, ptimeMs: 20 } };

/** An empty receiver report from SSRC `ssrc`: what a peer that only listens sends. */
function receiverReport(ssrc: number): Buffer {
  return serializeRtcp([{ type: 'rr', padding: 0, ssrc, reports: [], extension: Buffer.alloc(0) }]);
}

/** Wait (bounded) until the session has counted `n` RTCP packets: delivery over loopback, not timing. */
async function rtcpCounted(s: MediaSession, n: number): Promise<void> {
  for (let i = 0; i < 200 && s.stats().rtp.rx.rtcpPackets < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(s.stats().rtp.rx.rtcpPackets).toBe(n);
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('a media session’s record of the far end’s activity', () => {
  it('stamps the last RTCP packet on its clock, apart from RTP, and keeps it in the stats', async () => {
    const clock = new FakeClock(12_345);
    const session = await MediaSession.open(sessionParams(PCMU, { send: false, receive: false }), { clock });
    cleanups.push(() => session.close());
    const peer = dgram.createSocket('udp4');
    cleanups.push(() => new Promise<void>((r) => peer.close(() => r())));

    const before = session.stats();
    expect(before.lastRtcpRxMs).toBeNull();
    expect(lastPeerActivity(before)).toBeNull();

    peer.send(receiverReport(0xc0ffee), session.localRtcpPort, '127.0.0.1');
    await rtcpCounted(session, 1);
    expect(session.stats()).toMatchObject({ lastRtcpRxMs: 12_345, lastRxMs: null });
    expect(lastPeerActivity(session.stats())).toBe(12_345);

    clock.advance(4000);
    peer.send(receiverReport(0xc0ffee), session.localRtcpPort, '127.0.0.1');
    await rtcpCounted(session, 2);
    expect(lastPeerActivity(session.stats())).toBe(16_345);
  });

  it('does not count a datagram that is not RTCP', async () => {
    const clock = new FakeClock(1000);
    const session = await MediaSession.open(sessionParams(PCMU, { send: false, receive: false }), { clock });
    cleanups.push(() => session.close());
    const peer = dgram.createSocket('udp4');
    cleanups.push(() => new Promise<void>((r) => peer.close(() => r())));

    peer.send(Buffer.from([0x00, 0x01, 0x02]), session.localRtcpPort, '127.0.0.1');
    peer.send(receiverReport(7), session.localRtcpPort, '127.0.0.1');
    await rtcpCounted(session, 1);
    expect(session.stats().rtp.rx.rtcpMalformed).toBe(1);
    expect(session.stats().lastRtcpRxMs).toBe(1000);
  });
});
