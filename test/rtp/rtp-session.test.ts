import dgram from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../server/util/clock.js';
import { allocatePortPair, RtpSession, type RtpReceived, type RtpSessionOptions } from '../../server/rtp/rtp-session.js';
import { parseRtcp, type RtcpPacket } from '../../server/rtp/rtcp/compound.js';
import { serializeRtp } from '../../server/rtp/rtp-packet.js';
import { rtcpMalformedCases, rtpMalformedCases } from './malformed-cases.js';

const HOST = '127.0.0.1';
const opened: Array<{ close(): unknown }> = [];

afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

async function session(clock: FakeClock, extra: Partial<RtpSessionOptions> = {}): Promise<RtpSession> {
  const s = await RtpSession.open({
    clock,
    localHost: HOST,
    ports: { rtp: 0, rtcp: 0 },
    cname: `acip-test-${opened.length}@127.0.0.1`,
    clockRate: 48000,
    payloadType: 96,
    ...extra,
  });
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

/** Yield to the event loop so loopback datagrams get delivered (bounded: used in bounded loops). */
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

function rtpBytes(seq: number, ssrc = 0x5eed, pt = 96, ts = seq * 960): Buffer {
  return serializeRtp({
    padding: 0, marker: false, payloadType: pt, sequenceNumber: seq % 65536, timestamp: ts, ssrc,
    csrcs: [], extension: undefined, payload: Buffer.alloc(20, seq & 0xff),
  });
}

describe('RtpSession on 127.0.0.1', () => {
  it('allocates an even RTP port with RTCP on the next odd one', async () => {
    const base = 20000 + 2 * Math.floor(Math.random() * 10000);
    const pair = await allocatePortPair({ min: base, max: base + 199 }, HOST);
    opened.push({ close: () => { pair.rtp.close(); pair.rtcp.close(); } });
    expect(pair.rtpPort % 2).toBe(0);
    expect(pair.rtcpPort).toBe(pair.rtpPort + 1);
    expect(pair.rtpPort).toBeGreaterThanOrEqual(base);
    expect(pair.rtcpPort).toBeLessThanOrEqual(base + 199);
    // A one-pair range that is taken yields a typed error.
    await expect(allocatePortPair({ min: pair.rtpPort, max: pair.rtcpPort }, HOST)).rejects.toMatchObject({ code: 'RTP_NO_PORTS' });
  });

  it('drops and counts every malformed RTP and RTCP case without throwing', async () => {
    const clock = new FakeClock();
    const s = await session(clock);
    const peer = await udp();
    const rtpCases = rtpMalformedCases();
    const rtcpCases = rtcpMalformedCases();
    const received: RtpReceived[] = [];
    s.on('rtp', (r) => received.push(r));
    for (const c of rtpCases) await sendFrom(peer, c.bytes, s.localRtpPort);
    for (const c of rtcpCases) await sendFrom(peer, c.bytes, s.localRtcpPort);
    // A wrong payload type is well-formed but unwanted.
    await sendFrom(peer, rtpBytes(1, 0x5eed, 0), s.localRtpPort);
    await vi.waitFor(() => {
      const st = s.stats();
      expect(st.rx.malformed).toBe(rtpCases.length);
      expect(st.rx.rtcpMalformed).toBe(rtcpCases.length);
      expect(st.rx.wrongPt).toBe(1);
    }, { timeout: 5000, interval: 5 });
    const st = s.stats();
    const wantRtp: Record<string, number> = {};
    for (const c of rtpCases) wantRtp[c.code] = (wantRtp[c.code] ?? 0) + 1;
    const wantRtcp: Record<string, number> = {};
    for (const c of rtcpCases) wantRtcp[c.code] = (wantRtcp[c.code] ?? 0) + 1;
    for (const [code, n] of Object.entries(wantRtp)) expect(st.rx.malformedByReason[code as keyof typeof st.rx.malformedByReason]).toBe(n);
    for (const [code, n] of Object.entries(wantRtcp)) expect(st.rx.rtcpMalformedByReason[code as keyof typeof st.rx.rtcpMalformedByReason]).toBe(n);
    expect(received).toHaveLength(0);
    expect(st.latched).toBe(false); // garbage never latches
    expect(st.rx.packets).toBe(0);
    // The session still works afterwards.
    await sendFrom(peer, rtpBytes(2), s.localRtpPort);
    await sendFrom(peer, rtpBytes(3), s.localRtpPort);
    await vi.waitFor(() => expect(received.map((r) => r.packet.sequenceNumber)).toEqual([2, 3]), { timeout: 5000, interval: 5 });
  });

  it('latches onto the peer\'s source address and ignores a third party (RTP bleed)', async () => {
    const clock = new FakeClock();
    const b = await session(clock); // no remote: learns it from the first packet (RFC 4961)
    const a = await session(clock, { remote: { address: HOST, rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort } });
    const got: number[] = [];
    b.on('rtp', (r) => got.push(r.packet.sequenceNumber));
    const latched: string[] = [];
    b.on('latched', (l) => latched.push(`${l.kind}:${l.port}`));

    expect(b.send(Buffer.alloc(10), 0)).toBe(false); // nowhere to send yet
    for (let i = 0; i < 3; i++) a.send(Buffer.alloc(10, i), i * 960);
    await vi.waitFor(() => expect(got).toHaveLength(3), { timeout: 5000, interval: 5 });
    expect(latched).toEqual([`rtp:${a.localRtpPort}`]);
    expect(b.stats().remote).toMatchObject({ address: HOST, rtpPort: a.localRtpPort });

    // A third party sends well-formed RTP with the same SSRC and the next sequence numbers.
    const attacker = await udp();
    const next = (got.at(-1) ?? 0) + 1;
    for (let i = 0; i < 5; i++) await sendFrom(attacker, rtpBytes(next + i, a.ssrc), b.localRtpPort);
    await vi.waitFor(() => expect(b.stats().rx.foreignSource).toBe(5), { timeout: 5000, interval: 5 });
    expect(got).toHaveLength(3);

    // B answers to where A's media came from.
    const gotA: number[] = [];
    a.on('rtp', (r) => gotA.push(r.packet.sequenceNumber));
    for (let i = 0; i < 3; i++) b.send(Buffer.alloc(10, i), i * 960);
    await vi.waitFor(() => expect(gotA).toHaveLength(3), { timeout: 5000, interval: 5 });
    expect(a.stats().latched).toBe(true);
    expect(a.stats().rx.foreignSource).toBe(0);
    expect(b.stats().tx.dropped).toBe(1);
  });

  it('exchanges media both ways with RTCP driven by a fake clock: SR/RR, CNAME, loss, jitter and RTT', async () => {
    const clock = new FakeClock();
    const b = await session(clock, { cname: 'b@acip', initialSeq: 65500, initialTimestamp: 0xffff_0000 });
    const a = await session(clock, { cname: 'a@acip' });
    // RTP both ways goes through a relay that loses B's packets number 100..104; RTCP goes direct.
    // Each side latches onto the relay's address (where the peer's media comes from).
    const relay = await lossyRelay(b.localRtpPort, a.localRtpPort, (n) => n >= 100 && n < 105);
    const relayPort = relay.address().port;
    a.setRemote({ address: HOST, rtpPort: relayPort, rtcpPort: b.localRtcpPort });
    b.setRemote({ address: HOST, rtpPort: relayPort, rtcpPort: a.localRtcpPort });
    const rtcpAtB: RtcpPacket[][] = [];
    b.on('rtcp', (e) => rtcpAtB.push(e.packets));
    const rxB: RtpReceived[] = [];
    b.on('rtp', (r) => rxB.push(r));

    // 15 s of fake time in 10 ms steps; a 20 ms packet each way every other step.
    let sentA = 0;
    let sentB = 0;
    for (let step = 0; step < 1500; step++) {
      if (step % 2 === 0) {
        a.send(Buffer.alloc(160, 1), sentA * 960);
        sentA++;
        b.send(Buffer.alloc(160, 2), sentB * 960);
        sentB++;
      }
      clock.advance(10);
      await tick();
    }
    await vi.waitFor(() => expect(rxB.length).toBe(sentA), { timeout: 5000, interval: 5 });
    // Let the last reports land.
    for (let i = 0; i < 20; i++) await tick();

    const sa = a.stats();
    const sb = b.stats();
    // What each side received.
    expect(sb.rx).toMatchObject({ packets: sentA, expected: sentA, lost: 0, duplicates: 0, malformed: 0, foreignSource: 0 });
    expect(sa.rx.expected).toBe(sentB);
    expect(sa.rx.lost).toBe(5);
    expect(sa.rx.packets).toBe(sentB - 5);
    expect(sa.rx.lossFraction).toBeCloseTo(5 / sentB, 12);
    expect(sa.source?.cycles).toBe(1); // B's sequence numbers started at 65500 and wrapped
    expect(sa.rx.jitterMs).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(sb.rx.jitterMs)).toBe(true);
    expect(sa.latched && sb.latched).toBe(true);
    expect(sa.remote?.rtpPort).toBe(relayPort);
    expect(sa.rx.foreignSource + sb.rx.foreignSource).toBe(0);
    expect(sa.tx.packets).toBe(sentA);
    expect(sa.tx.octets).toBe(sentA * 160);
    expect(sa.tx.bitrateBps).toBeGreaterThan(0);
    // RTCP flowed both ways as SR + SDES CNAME.
    expect(sa.tx.rtcpPackets).toBeGreaterThanOrEqual(2);
    expect(sb.tx.rtcpPackets).toBeGreaterThanOrEqual(2);
    expect(rtcpAtB.length).toBeGreaterThanOrEqual(2);
    for (const c of rtcpAtB) {
      expect(c[0]?.type).toBe('sr');
      expect(c[1]?.type).toBe('sdes');
    }
    expect(sb.remoteCname).toBe('a@acip');
    expect(sa.remoteCname).toBe('b@acip');
    expect(sa.remoteSsrc).toBe(b.ssrc);
    // The far end's view of each stream, from its report blocks.
    expect(sb.remoteReport).not.toBeNull();
    expect(sb.remoteReport!.cumulativeLost).toBeGreaterThan(0);
    expect(sb.remoteReport!.cumulativeLost).toBeLessThanOrEqual(5);
    expect(sa.remoteReport).toMatchObject({ cumulativeLost: 0, fractionLost: 0 });
    // RTT on the fake clock: loopback delivery happens within a step or two, so it is tiny, never negative.
    expect(sa.rttMs).not.toBeNull();
    expect(sb.rttMs).not.toBeNull();
    expect(sa.rttMs!).toBeGreaterThanOrEqual(0);
    expect(sb.rttMs!).toBeGreaterThanOrEqual(0);
    expect(sa.lastRxMs).not.toBeNull();
    // Serialisable as is.
    expect(JSON.parse(JSON.stringify(sa))).toEqual(sa);
  });

  it('sends RR + SDES + BYE on close, closes once, and stops its RTCP timer', async () => {
    const clock = new FakeClock();
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((res) => peer.bind(0, HOST, () => res()));
    opened.push({ close: () => new Promise<void>((res) => peer.close(() => res())) });
    const got: Buffer[] = [];
    peer.on('message', (m) => got.push(m));
    const s = await session(clock, { remote: { address: HOST, rtpPort: peer.address().port - 1, rtcpPort: peer.address().port } });
    const first = s.close('done');
    const second = s.close();
    expect(second).toBe(first);
    await first;
    expect(clock.pending()).toBe(0);
    await vi.waitFor(() => expect(got).toHaveLength(1), { timeout: 5000, interval: 5 });
    const pkts = parseRtcp(got[0]!);
    expect(pkts.map((p) => p.type)).toEqual(['rr', 'sdes', 'bye']);
    const bye = pkts[2];
    expect(bye?.type === 'bye' && bye.reason?.toString()).toBe('done');
    expect(s.send(Buffer.alloc(4), 0)).toBe(false);
    expect(s.stats().closed).toBe(true);
  });

  it('hands on reordered and duplicate packets with their verdicts and counts them', async () => {
    const clock = new FakeClock();
    const s = await session(clock);
    const peer = await udp();
    const got: string[] = [];
    s.on('rtp', (r) => got.push(`${r.packet.sequenceNumber}:${r.verdict}`));
    for (const seq of [1, 2, 3, 3, 5, 4, 6]) {
      await sendFrom(peer, rtpBytes(seq), s.localRtpPort);
      clock.advance(20);
    }
    await vi.waitFor(() => expect(got).toHaveLength(7), { timeout: 5000, interval: 5 });
    expect(got).toEqual(['1:ok', '2:ok', '3:ok', '3:duplicate', '5:ok', '4:reordered', '6:ok']);
    expect(s.stats().rx).toMatchObject({ packets: 7, expected: 6, lost: -1, duplicates: 1, reordered: 1 });
    expect(s.stats().remoteSsrc).toBe(0x5eed);
  });

  it('starts fresh statistics when the remote SSRC changes', async () => {
    const clock = new FakeClock();
    const s = await session(clock);
    const peer = await udp();
    for (const seq of [10, 11, 12]) await sendFrom(peer, rtpBytes(seq, 0x1111), s.localRtpPort);
    for (const seq of [500, 501]) await sendFrom(peer, rtpBytes(seq, 0x2222), s.localRtpPort);
    await vi.waitFor(() => expect(s.stats().rx.packets).toBe(2), { timeout: 5000, interval: 5 });
    expect(s.stats()).toMatchObject({ remoteSsrc: 0x2222, rx: { ssrcChanges: 1, expected: 2, lost: 0 } });
  });

  it('retunes to another payload type and clock rate on the same sockets, SSRC and sequence numbers, without a BYE', async () => {
    const clock = new FakeClock();
    const b = await session(clock);
    const a = await session(clock, { ssrc: 0xacc0, initialSeq: 100, remote: { address: HOST, rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort } });
    const got: Array<{ seq: number; pt: number; ts: number }> = [];
    b.on('rtp', (r) => got.push({ seq: r.packet.sequenceNumber, pt: r.packet.payloadType, ts: r.packet.timestamp }));
    const byes: number[] = [];
    b.on('bye', (e) => byes.push(e.ssrc));
    const ports = [a.localRtpPort, a.localRtcpPort];
    for (let i = 0; i < 3; i++) {
      a.send(Buffer.alloc(10, i), i * 960);
      clock.advance(20);
    }
    await vi.waitFor(() => expect(got).toHaveLength(3), { timeout: 5000, interval: 5 });
    // The re-INVITE's answer: Opus 96 at 48 kHz becomes PCMA 8 at 8 kHz on both ends.
    a.retune({ payloadType: 8, clockRate: 8000, sessionBandwidthKbps: 64 });
    b.retune({ payloadType: 8, clockRate: 8000, sessionBandwidthKbps: 64 });
    expect([a.payloadType, a.clockRate, a.localRtpPort, a.localRtcpPort]).toEqual([8, 8000, ...ports]);
    for (let i = 0; i < 3; i++) {
      a.send(Buffer.alloc(160, i), 480 + i * 160);
      clock.advance(20);
    }
    await vi.waitFor(() => expect(got).toHaveLength(6), { timeout: 5000, interval: 5 });
    expect(got.map((g) => g.seq)).toEqual([100, 101, 102, 103, 104, 105]);
    expect(got.map((g) => g.pt)).toEqual([96, 96, 96, 8, 8, 8]);
    expect((got[4]!.ts - got[3]!.ts + 2 ** 32) % 2 ** 32).toBe(160);
    // The old payload type is now unwanted at B; the sender's SR counts carry on (RFC 3550 §6.4.1).
    a.sendPayload(Buffer.alloc(10), 960, false, 96);
    await vi.waitFor(() => expect(b.stats().rx.wrongPt).toBe(1), { timeout: 5000, interval: 5 });
    expect(got).toHaveLength(6);
    expect(a.stats()).toMatchObject({ ssrc: 0xacc0, tx: { packets: 7 }, closed: false });
    // B's A.3 statistics restarted with the clock: three packets since the retune.
    expect(b.stats().rx.packets).toBe(3);
    expect(byes).toEqual([]);
  });

  it('emits bye when the remote source leaves', async () => {
    const clock = new FakeClock();
    const b = await session(clock);
    const a = await session(clock, { remote: { address: HOST, rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort } });
    const byes: Array<{ ssrc: number; reason: string | undefined }> = [];
    b.on('bye', (e) => byes.push(e));
    a.send(Buffer.alloc(10), 0);
    a.send(Buffer.alloc(10), 960);
    await vi.waitFor(() => expect(b.stats().rx.packets).toBe(2), { timeout: 5000, interval: 5 });
    await a.close('hangup');
    await vi.waitFor(() => expect(byes).toEqual([{ ssrc: a.ssrc, reason: 'hangup' }]), { timeout: 5000, interval: 5 });
  });
});

/**
 * A UDP relay between a session's RTP socket and its peer that drops the datagrams `drop` picks
 * (a packet lost on the network). Datagrams from `aPort` go to `bPort` and everything else to `aPort`.
 */
async function lossyRelay(aPort: number, bPort: number, drop: (n: number) => boolean): Promise<dgram.Socket> {
  const relay = await udp();
  let n = 0;
  relay.on('message', (m, r) => {
    if (r.port === aPort) {
      if (!drop(n++)) relay.send(m, bPort, HOST);
    } else {
      relay.send(m, aPort, HOST);
    }
  });
  return relay;
}

describe('RtpSession carrying loss recovery (RFC 4588 side stream, RFC 4585 feedback)', () => {
  const waitFor = async (cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 500 && !cond(); i++) await tick();
  };

  it("hands a side payload type's packets on as 'side', outside the remote source's statistics", async () => {
    const clock = new FakeClock();
    const s = await session(clock, { sidePayloadTypes: [112] });
    const sock = await udp();
    const rtp: RtpReceived[] = [];
    const side: number[] = [];
    s.on('rtp', (r) => rtp.push(r));
    s.on('side', (r) => side.push(r.packet.ssrc));
    for (let seq = 1; seq <= 3; seq++) await sendFrom(sock, rtpBytes(seq), s.localRtpPort);
    await sendFrom(sock, rtpBytes(900, 0xabc, 112), s.localRtpPort);
    await sendFrom(sock, rtpBytes(4), s.localRtpPort);
    await waitFor(() => side.length === 1 && rtp.length >= 2);
    expect(side).toEqual([0xabc]);
    const st = s.stats();
    expect(st.remoteSsrc).toBe(0x5eed);
    expect(st.rx.ssrcChanges).toBe(0);
    expect(st.rx.wrongPt).toBe(0);
  });

  it('sends a payload type of ours, a packet built elsewhere as is, and feedback after a report', async () => {
    const clock = new FakeClock();
    const sock = await udp();
    const port = (sock.address() as { port: number }).port;
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    const rtcpSock = await udp();
    const rtcpGot: Buffer[] = [];
    rtcpSock.on('message', (m) => rtcpGot.push(m));
    const s = await session(clock, { remote: { address: HOST, rtpPort: port, rtcpPort: (rtcpSock.address() as { port: number }).port }, initialSeq: 100 });
    const red = s.sendPayload(Buffer.from([1]), 0, false, 63);
    expect(red).toMatchObject({ payloadType: 63, sequenceNumber: 100, ssrc: s.ssrc });
    expect(s.sendPacket({ ...red!, payloadType: 112, ssrc: 0xabc, sequenceNumber: 7 })).toBe(true);
    expect(s.sendFeedback([{ type: 'nack', padding: 0, senderSsrc: s.ssrc, mediaSsrc: 0x5eed, fci: [{ pid: 5, blp: 0 }] }])).toBe(true);
    await waitFor(() => got.length === 2 && rtcpGot.length === 1);
    expect(got.map((b) => b[1]! & 0x7f)).toEqual([63, 112]);
    // The retransmission is not ours to count in the sender report (RFC 3550 §6.4.1).
    expect(s.stats().tx.packets).toBe(1);
    const types = parseRtcp(rtcpGot[0]!).map((p: RtcpPacket) => p.type);
    expect(types[0]).toMatch(/^(sr|rr)$/);
    expect(types).toContain('nack');
  });
});
