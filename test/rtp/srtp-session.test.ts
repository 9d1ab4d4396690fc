/**
 * An RTP session with an SRTP stage (RFC 3711) on real UDP sockets on 127.0.0.1: two sessions keyed
 * crosswise as SDES keys them (each sends with its own key, receives with the other's), packets
 * captured off the wire and sent again tampered (a bit flipped), replayed, or older than the replay
 * window. Every such packet is dropped, counted by reason and never emitted, and none of them
 * moves the symmetric-RTP latch.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../server/util/clock.js';
import { RtpSession, type RtpReceived, type RtpSessionOptions } from '../../server/rtp/rtp-session.js';
import { serializeRtp } from '../../server/rtp/rtp-packet.js';
import { serializeRtcp } from '../../server/rtp/rtcp/compound.js';
import { SrtpContext } from '../../server/rtp/srtp/srtp-context.js';
import { SrtpStage, type SrtpKeyParams } from '../../server/rtp/srtp-stage.js';
import type { SrtpSuiteName } from '../../server/rtp/srtp/srtp-suite.js';

const HOST = '127.0.0.1';
const opened: Array<{ close(): unknown }> = [];
const WAIT = { timeout: 5000, interval: 5 };

afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

function key(suite: SrtpSuiteName, fill: number): SrtpKeyParams {
  return { suite, masterKey: Buffer.alloc(16, fill), masterSalt: Buffer.alloc(suite === 'AEAD_AES_128_GCM' ? 12 : 14, fill + 1) };
}

async function session(clock: FakeClock, extra: Partial<RtpSessionOptions> = {}): Promise<RtpSession> {
  const s = await RtpSession.open({ clock, localHost: HOST, ports: { rtp: 0, rtcp: 0 }, cname: `srtp-${opened.length}`, clockRate: 48000, payloadType: 96, ...extra });
  opened.push(s);
  return s;
}

async function udp(): Promise<dgram.Socket> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((res) => sock.bind(0, HOST, () => res()));
  opened.push({ close: () => new Promise<void>((res) => sock.close(() => res())) });
  return sock;
}

function sendFrom(sock: dgram.Socket, bytes: Buffer, port: number): Promise<void> {
  return new Promise((res, rej) => sock.send(bytes, port, HOST, (e) => (e ? rej(e) : res())));
}

function rtp(seq: number, ssrc = 0x5eed): Buffer {
  return serializeRtp({ padding: 0, marker: false, payloadType: 96, sequenceNumber: seq & 0xffff, timestamp: seq * 960, ssrc, csrcs: [], extension: undefined, payload: Buffer.alloc(40, seq & 0xff) });
}

function flipBit(b: Buffer, byte: number): Buffer {
  const c = Buffer.from(b);
  c[byte] = c[byte]! ^ 0x01;
  return c;
}

describe.each(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM'] as SrtpSuiteName[])('An SRTP session with %s', (suite) => {
  it('carries payloads both ways between two sessions keyed crosswise, and puts SRTP on the wire', async () => {
    const clock = new FakeClock();
    const [ka, kb] = [key(suite, 1), key(suite, 7)];
    const a = await session(clock, { srtp: new SrtpStage({ send: ka, receive: kb }) });
    const b = await session(clock, { srtp: new SrtpStage({ send: kb, receive: ka }) });
    a.setRemote({ address: HOST, rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort });
    b.setRemote({ address: HOST, rtpPort: a.localRtpPort, rtcpPort: a.localRtcpPort });
    const atB: RtpReceived[] = [];
    const atA: RtpReceived[] = [];
    b.on('rtp', (r) => atB.push(r));
    a.on('rtp', (r) => atA.push(r));
    for (let i = 0; i < 5; i++) {
      a.send(Buffer.from(`from a ${i}`), i * 960);
      b.send(Buffer.from(`from b ${i}`), i * 960);
    }
    a.sendReport();
    await vi.waitFor(() => {
      expect(atB.map((r) => r.packet.payload.toString())).toEqual([0, 1, 2, 3, 4].map((i) => `from a ${i}`));
      expect(atA.map((r) => r.packet.payload.toString())).toEqual([0, 1, 2, 3, 4].map((i) => `from b ${i}`));
      expect(b.stats().rx.rtcpPackets).toBe(1);
    }, WAIT);
    const st = b.stats();
    expect(st.srtp).toMatchObject({ suite, sendKeyed: true, receiveKeyed: true, dropped: 0, rtcpDropped: 0 });
    expect(st.rx.malformed).toBe(0);
  });

  it('carries an RTX stream (own SSRC and numbers, RFC 4588) beside the media under the same key, and drops its replay', async () => {
    const clock = new FakeClock();
    const peerKey = key(suite, 5);
    const s = await session(clock, { srtp: new SrtpStage({ send: key(suite, 6), receive: peerKey }), sidePayloadTypes: [97] });
    const peer = await udp();
    const tx = new SrtpContext(peerKey);
    const media: number[] = [];
    const side: number[] = [];
    s.on('rtp', (r) => media.push(r.packet.sequenceNumber));
    s.on('side', (r) => side.push(r.packet.sequenceNumber));
    // The media crosses 65535 → 0; the RTX stream (SSRC 0x7e7e, payload type 97) counts from 40000.
    for (let seq = 65530; seq <= 65540; seq++) await sendFrom(peer, tx.protectRtp(rtp(seq)), s.localRtpPort);
    const rtx = (n: number): Buffer => {
      const b = Buffer.from(rtp(40000 + n, 0x7e7e));
      b[1] = 97;
      return tx.protectRtp(b);
    };
    const first = rtx(0);
    await sendFrom(peer, first, s.localRtpPort);
    await sendFrom(peer, rtx(1), s.localRtpPort);
    await sendFrom(peer, first, s.localRtpPort); // replay
    await sendFrom(peer, tx.protectRtp(rtp(65541)), s.localRtpPort);
    await vi.waitFor(() => {
      expect(media).toHaveLength(12);
      expect(side).toEqual([40000, 40001]);
      expect(s.stats().srtp?.droppedByReason.SRTP_REPLAY).toBe(1);
    }, WAIT);
    expect(s.stats().srtp).toMatchObject({ dropped: 1, ssrcLimitDropped: 0, ssrcs: { receive: 2 } });
  });

  it('drops a bit-flipped, a replayed and a too-old packet, counts each by reason and emits none of them', async () => {
    const clock = new FakeClock();
    const peerKey = key(suite, 3);
    const s = await session(clock, { srtp: new SrtpStage({ send: key(suite, 4), receive: peerKey }) });
    const peer = await udp();
    const tx = new SrtpContext(peerKey);
    const got: number[] = [];
    s.on('rtp', (r) => got.push(r.packet.sequenceNumber));
    const wire = new Map<number, Buffer>();
    // Packet 1000 first, then 1001..1300 (past a 256-packet replay window), then the attacks.
    for (let seq = 1000; seq <= 1300; seq++) wire.set(seq, tx.protectRtp(rtp(seq)));
    for (let seq = 1000; seq <= 1300; seq++) await sendFrom(peer, wire.get(seq)!, s.localRtpPort);
    await vi.waitFor(() => expect(got).toHaveLength(301), WAIT);
    const fresh = tx.protectRtp(rtp(1301));
    await sendFrom(peer, flipBit(fresh, fresh.length - 20), s.localRtpPort); // payload bit
    await sendFrom(peer, flipBit(fresh, 1), s.localRtpPort); // header bit (payload type / marker byte)
    await sendFrom(peer, wire.get(1300)!, s.localRtpPort); // replay
    await sendFrom(peer, wire.get(1001)!, s.localRtpPort); // left of the window
    await sendFrom(peer, Buffer.alloc(8), s.localRtpPort); // not even a header
    await sendFrom(peer, fresh, s.localRtpPort); // the genuine packet still passes
    await vi.waitFor(() => expect(got.at(-1)).toBe(1301), WAIT);
    const st = s.stats();
    expect(got).toHaveLength(302);
    expect(st.srtp?.droppedByReason).toEqual({ SRTP_AUTH_FAIL: 2, SRTP_REPLAY: 1, SRTP_TOO_OLD: 1, SRTP_MALFORMED: 1, SRTP_NO_KEY: 0, SRTP_SSRC_LIMIT: 0 });
    expect(st.srtp?.dropped).toBe(5);
    // None of them reached the RTP parser or the statistics.
    expect(st.rx.malformed).toBe(0);
    expect(st.rx.duplicates).toBe(0);
    expect(st.rx.packets).toBe(302);
  });

  it('does not latch on a forged packet: the first authenticated packet decides where RTP goes', async () => {
    const clock = new FakeClock();
    const peerKey = key(suite, 5);
    const s = await session(clock, { srtp: new SrtpStage({ send: key(suite, 6), receive: peerKey }) });
    const attacker = await udp();
    const peer = await udp();
    const latched: string[] = [];
    s.on('latched', (l) => latched.push(`${l.kind} ${l.port}`));
    const wrongKey = new SrtpContext(key(suite, 9));
    await sendFrom(attacker, wrongKey.protectRtp(rtp(1)), s.localRtpPort);
    await sendFrom(attacker, rtp(2), s.localRtpPort); // clear RTP to an SRTP session
    await vi.waitFor(() => expect(s.stats().srtp?.droppedByReason.SRTP_AUTH_FAIL).toBe(2), WAIT);
    expect(s.stats().latched).toBe(false);
    await sendFrom(peer, new SrtpContext(peerKey).protectRtp(rtp(3)), s.localRtpPort);
    await vi.waitFor(() => expect(s.stats().latched).toBe(true), WAIT);
    expect(latched).toEqual([`rtp ${peer.address().port}`]);
  });

  it('drops tampered and replayed SRTCP and counts it apart from SRTP', async () => {
    const clock = new FakeClock();
    const peerKey = key(suite, 11);
    const s = await session(clock, { srtp: new SrtpStage({ send: key(suite, 12), receive: peerKey }) });
    const peer = await udp();
    const tx = new SrtpContext(peerKey);
    const rr = serializeRtcp([{ type: 'rr', padding: 0, ssrc: 0x5eed, reports: [], extension: Buffer.alloc(0) }]);
    const first = tx.protectRtcp(rr);
    await sendFrom(peer, first, s.localRtcpPort);
    await vi.waitFor(() => expect(s.stats().rx.rtcpPackets).toBe(1), WAIT);
    const second = tx.protectRtcp(rr);
    await sendFrom(peer, flipBit(second, 6), s.localRtcpPort);
    await sendFrom(peer, first, s.localRtcpPort);
    await vi.waitFor(() => expect(s.stats().srtp?.rtcpDropped).toBe(2), WAIT);
    const st = s.stats();
    expect(st.srtp?.rtcpDroppedByReason).toMatchObject({ SRTP_AUTH_FAIL: 1, SRTP_REPLAY: 1 });
    expect(st.srtp?.dropped).toBe(0);
    expect(st.rx.rtcpPackets).toBe(1);
    expect(st.rx.rtcpMalformed).toBe(0);
  });
});

describe('An SRTP stage before keys are negotiated', () => {
  it('drops everything received as SRTP_NO_KEY and sends nothing', async () => {
    const clock = new FakeClock();
    const s = await session(clock, { srtp: new SrtpStage({ send: null, receive: null }) });
    const peer = await udp();
    s.setRemote({ address: HOST, rtpPort: peer.address().port });
    const got: RtpReceived[] = [];
    s.on('rtp', (r) => got.push(r));
    await sendFrom(peer, rtp(1), s.localRtpPort);
    await vi.waitFor(() => expect(s.stats().srtp?.droppedByReason.SRTP_NO_KEY).toBe(1), WAIT);
    expect(s.send(Buffer.from('x'), 0)).toBe(false);
    expect(s.stats()).toMatchObject({ latched: false, tx: { packets: 0, dropped: 1 } });
    expect(got).toEqual([]);
  });

  it('keeps the context of an unchanged key on rekey, so the replay list carries on', async () => {
    const clock = new FakeClock();
    const suite: SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80';
    const peerKey = key(suite, 21);
    const stage = new SrtpStage({ send: null, receive: peerKey });
    const s = await session(clock, { srtp: stage });
    const peer = await udp();
    const tx = new SrtpContext(peerKey);
    const p1 = tx.protectRtp(rtp(1));
    await sendFrom(peer, p1, s.localRtpPort);
    await sendFrom(peer, tx.protectRtp(rtp(2)), s.localRtpPort);
    await vi.waitFor(() => expect(s.stats().rx.packets).toBe(2), WAIT);
    // Same receive key (a copy), new send key: the receive context stays, so packet 1 is still a replay.
    stage.rekey({ send: key(suite, 22), receive: { ...peerKey, masterKey: Uint8Array.from(peerKey.masterKey) } });
    await sendFrom(peer, p1, s.localRtpPort);
    await vi.waitFor(() => expect(s.stats().srtp?.droppedByReason.SRTP_REPLAY).toBe(1), WAIT);
    expect(s.stats().srtp?.sendKeyed).toBe(true);
  });
});
