/**
 * Media session lifecycle: no-media and media-restored events, idempotent close that leaves no
 * handles, mid-call updates (remote, codec change on the same ports), loopback input, and the send
 * path's RTP timestamps under a fake clock (G.722's 8000 Hz RTP clock for 16 kHz audio).
 */
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { parseRtp } from '../../../server/rtp/rtp-packet.js';
import { MediaSession, type MediaSessionParams } from '../../../server/media/media-session.js';
import { FakeClock, systemClock } from '../../../server/util/clock.js';
import { AcipError } from '../../../server/util/errors.js';
import { CODEC_CASES, openPair, sessionParams, sleep } from './session-harness.js';
import { VIRTUAL_STEP_MS, openVirtualPair, runVirtual } from './virtual-time.js';

const opus20 = CODEC_CASES[0]!;
const l24 = CODEC_CASES[3]!;
const g722 = CODEC_CASES.find((c) => c.codecId === 'G722')!;

function waitFor<T>(register: (resolve: (v: T) => void) => void, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    register((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

function handleCounts(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

describe('media session events', () => {
  it('raises no-media once when the far end stops sending and media-restored when it resumes', async () => {
    const pa = sessionParams(l24, { input: 'tone', receive: false });
    const pb = sessionParams(l24, { send: false, noMediaTimeoutMs: 300 });
    const { a, b } = await openPair(pa, pb);
    const noMedia: unknown[] = [];
    b.on('no-media', (e) => noMedia.push(e));
    try {
      await waitFor<void>((r) => b.once('latched', () => r()), 3000, 'first packet');
      expect(noMedia).toHaveLength(0);
      const aParams = a.currentParams();
      await a.update({ ...aParams, send: false });
      const ev = await waitFor<{ sinceMs: number; silentForMs: number }>((r) => b.once('no-media', r), 5000, 'no-media');
      expect(ev.silentForMs).toBeGreaterThanOrEqual(300);
      expect(b.stats().noMedia).toBe(true);
      await a.update({ ...aParams, send: true });
      const restored = await waitFor<{ outageMs: number }>((r) => b.once('media-restored', r), 5000, 'media-restored');
      expect(restored.outageMs).toBeGreaterThanOrEqual(300);
      expect(noMedia).toHaveLength(1);
      expect(b.stats().noMedia).toBe(false);
      expect(b.stats().noMediaEvents).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('raises no-media when nothing at all arrives after start', async () => {
    const s = await MediaSession.open(sessionParams(l24, { send: false, noMediaTimeoutMs: 200 }), { clock: systemClock });
    try {
      const ev = await waitFor<{ silentForMs: number }>((r) => s.once('no-media', r), 5000, 'no-media');
      expect(ev.silentForMs).toBeGreaterThanOrEqual(200);
    } finally {
      await s.close();
    }
  });

  it('tells the far end goodbye on close (RTCP BYE) and reports it', async () => {
    const { a, b } = await openPair(sessionParams(l24, { input: 'tone' }), sessionParams(l24));
    await waitFor<void>((r) => b.once('latched', () => r()), 3000, 'first packet');
    const bye = waitFor<{ reason: string | null }>((r) => b.once('bye', r), 3000, 'bye');
    await a.close('done');
    expect((await bye).reason).toBe('done');
    expect(b.stats().byeReceived).toBe(true);
    await b.close();
  });
});

describe('media session lifecycle', () => {
  it('leaves no sockets or timers behind after opening and closing ten sessions, and close is idempotent', async () => {
    await sleep(50);
    const before = handleCounts();
    const sessions: MediaSession[] = [];
    for (let i = 0; i < 5; i++) {
      const { a, b } = await openPair(sessionParams(opus20, { input: 'tone' }), sessionParams(opus20, { input: 'loopback' }));
      sessions.push(a, b);
    }
    const during = handleCounts();
    expect(during.get('UDPWrap') ?? 0).toBeGreaterThanOrEqual((before.get('UDPWrap') ?? 0) + 20);
    await sleep(200);
    await Promise.all(sessions.map((s) => s.close()));
    await Promise.all(sessions.map((s) => s.close())); // again: no-op
    expect(sessions.every((s) => s.isClosed && s.stats().closed)).toBe(true);
    await sleep(20);
    const after = handleCounts();
    expect(after.get('UDPWrap') ?? 0).toBe(before.get('UDPWrap') ?? 0);
    expect(after.get('Timeout') ?? 0).toBeLessThanOrEqual(before.get('Timeout') ?? 0);
    expect(after.get('FSReqCallback') ?? 0).toBe(before.get('FSReqCallback') ?? 0);
  });

  it('refuses bad parameters with typed errors before binding anything', async () => {
    const before = handleCounts().get('UDPWrap') ?? 0;
    const bad: Array<[Partial<MediaSessionParams>, string]> = [
      [{ codecId: 'mp3' }, 'CODEC_UNKNOWN'],
      [{ payloadType: 200 }, 'MEDIA_SESSION_PARAMS'],
      [{ jitterBuffer: { mode: 'adaptive', minMs: 100, maxMs: 20 } }, 'MEDIA_SESSION_PARAMS'],
      [{ input: 'sine' }, 'AUDIO_SPEC_INVALID'],
      [{ codecParams: { ...l24.params, ptimeMs: 7.3 } }, 'CODEC_BAD_PARAMS'],
    ];
    for (const [over, code] of bad) {
      const err = await MediaSession.open(sessionParams(l24, over), { clock: systemClock }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AcipError);
      expect((err as AcipError).code).toBe(code);
    }
    expect(handleCounts().get('UDPWrap') ?? 0).toBe(before);
  });

  it('opens before the offer with no remote, then takes the answer and a later codec change on the same ports', async () => {
    const b = await MediaSession.open(sessionParams(opus20, { send: false }), { clock: systemClock });
    const a = await MediaSession.open(sessionParams(opus20, { input: 'tone', receive: false }), { clock: systemClock });
    try {
      const portA = a.localRtpPort;
      expect(a.stats().rtp.remote).toBeNull();
      await sleep(60);
      expect(a.stats().rtp.tx.dropped).toBeGreaterThan(0); // encoding, nowhere to send yet
      await a.update({ ...a.currentParams(), remote: { address: '127.0.0.1', rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort } });
      await sleep(300);
      expect(b.stats().rtp.rx.packets).toBeGreaterThan(5);
      const ssrc = a.stats().rtp.ssrc;
      // Re-INVITE to L24 (other payload type and parameters): both sides rebuild, ports stay.
      await a.update({ ...a.currentParams(), codecId: 'L24', payloadType: 98, codecParams: { sampleRate: 48000, channels: 2, ptimeMs: 5 } });
      await b.update({ ...b.currentParams(), codecId: 'L24', payloadType: 98, codecParams: { sampleRate: 48000, channels: 2, ptimeMs: 5 } });
      expect(a.localRtpPort).toBe(portA);
      expect(a.stats().rtp.ssrc).toBe(ssrc);
      expect(b.stats().codec.id).toBe('L24');
      await sleep(400);
      const sb = b.stats();
      expect(sb.jitterBuffer!.framesPlayed).toBeGreaterThan(20);
      expect(sb.output.meter.channels[0]!.rmsDbfs).toBeGreaterThan(-25);
      expect(sb.codec.payloadType).toBe(98);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('sends back what it receives with a loopback input', async () => {
    // On virtual time (virtual-time.ts): on real time a busy machine decided how many packets came back.
    const pair = await openVirtualPair(sessionParams(l24, { input: 'tone:1000:-18' }), sessionParams(l24, { input: 'loopback' }));
    const { a, b } = pair;
    try {
      await runVirtual(pair, 700, VIRTUAL_STEP_MS);
      // A hears its own tone back through B.
      const sa = a.stats();
      expect(sa.rtp.rx.packets).toBeGreaterThan(50);
      expect(sa.output.meter.channels[0]!.peakDbfs).toBeGreaterThan(-19);
      expect(sa.output.meter.channels[0]!.peakDbfs).toBeLessThan(-17);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('media session send path under a fake clock', () => {
  it('stamps G.722 packets in 8 kHz RTP units (160 per 20 ms of 16 kHz audio), one packet per tick', async () => {
    const clock = new FakeClock(1000);
    const sink = dgram.createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
    const got: Array<{ seq: number; ts: number; marker: boolean; len: number }> = [];
    sink.on('message', (m) => {
      // RTCP comes to the same socket here: keep only RTP with G.722's payload type.
      if (m.length < 2 || (m[1]! & 0x7f) !== 9) return;
      const p = parseRtp(m);
      got.push({ seq: p.sequenceNumber, ts: p.timestamp, marker: p.marker, len: p.payload.length });
    });
    const s = await MediaSession.open(
      sessionParams(g722, { input: 'tone', receive: false, remote: { address: '127.0.0.1', rtpPort: sink.address().port, rtcpPort: sink.address().port } }),
      { clock },
    );
    try {
      for (let i = 0; i < 10; i++) clock.advance(20);
      await sleep(50);
      // Ticks at 0, 20, ..., 200 ms: 11 packets.
      expect(got.filter((g) => g.len === 160)).toHaveLength(11);
      for (let i = 1; i < got.length; i++) {
        expect((got[i]!.seq - got[i - 1]!.seq + 65536) % 65536).toBe(1);
        expect((got[i]!.ts - got[i - 1]!.ts + 2 ** 32) % 2 ** 32).toBe(160);
      }
      expect(got[0]!.marker).toBe(true);
      expect(got.slice(1).every((g) => !g.marker)).toBe(true);
      expect(s.stats().encode.frames).toBe(11);
    } finally {
      await s.close();
      sink.close();
    }
    expect(clock.pending()).toBe(0);
  });

  it('reports the same meters through meters() as in its full stats', async () => {
    const clock = new FakeClock(1000);
    const s = await MediaSession.open(sessionParams(g722, { input: 'tone', receive: false }), { clock });
    try {
      for (let i = 0; i < 20; i++) clock.advance(20);
      const st = s.stats();
      expect(st.input.meter.windows).toBeGreaterThan(0);
      expect(s.meters()).toEqual({ input: st.input.meter, output: st.output.meter });
    } finally {
      await s.close();
    }
  });
});
