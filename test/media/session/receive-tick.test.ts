/**
 * The receive clock ticks every min(receive ptime, 5 ms) (or `receiveTickMs`), and the playout
 * adapter hands the output tick-sized pieces of whole decoded frames: packets still play back to back
 * and complete, concealment is still one codec frame per missing packet, and the jitter buffer's
 * delay sits on the finer grid.
 */
import { describe, expect, it } from 'vitest';
import { JitterBuffer } from '../../../server/media/jitter-buffer.js';
import { MediaSession, receiveTickSamples, type MediaSessionParams } from '../../../server/media/media-session.js';
import { PlayoutAdapter } from '../../../server/media/playout-adapter.js';
import { systemClock } from '../../../server/util/clock.js';
import { isAcipError } from '../../../server/util/errors.js';
import { CODEC_CASES, sessionParams } from './session-harness.js';

describe('receive tick length', () => {
  const rows: Array<{ what: string; rate: number; frame: number; tickMs?: number; want: number }> = [
    { what: '20 ms at 48 kHz → 5 ms', rate: 48000, frame: 960, want: 240 },
    { what: '5 ms stays 5 ms', rate: 48000, frame: 240, want: 240 },
    { what: '4 ms stays 4 ms', rate: 48000, frame: 192, want: 192 },
    { what: '2.5 ms Opus stays 2.5 ms', rate: 48000, frame: 120, want: 120 },
    { what: '1 ms L24 stays 1 ms', rate: 48000, frame: 48, want: 48 },
    { what: 'G.722 20 ms (16 kHz audio) → 5 ms', rate: 16000, frame: 320, want: 80 },
    { what: 'G.711 20 ms → 5 ms', rate: 8000, frame: 160, want: 40 },
    { what: '20 ms at 44.1 kHz → 5 ms in whole samples', rate: 44100, frame: 882, want: 221 },
    { what: 'receiveTickMs 10 at 20 ms → 10 ms', rate: 48000, frame: 960, tickMs: 10, want: 480 },
    { what: 'receiveTickMs above the ptime → the ptime', rate: 48000, frame: 960, tickMs: 60, want: 960 },
    { what: 'receiveTickMs 1 at 20 ms → 1 ms', rate: 48000, frame: 960, tickMs: 1, want: 48 },
  ];
  for (const r of rows) {
    it(`is ${r.what}`, () => {
      expect(receiveTickSamples(r.tickMs === undefined ? {} : { receiveTickMs: r.tickMs }, r.frame, r.rate)).toBe(r.want);
    });
  }

  it('is reported by a session and rejected below 1 ms', async () => {
    const opus20 = CODEC_CASES[0]!;
    const rx: Partial<MediaSessionParams> = { send: false, noMediaTimeoutMs: 0 };
    const s = await MediaSession.open(sessionParams(opus20, rx), { clock: systemClock });
    try {
      const st = s.stats();
      expect(st.playout.tickMs).toBe(5);
      expect(st.clocks.receive!.frameMs).toBe(5);
      expect(st.codec.receivePtimeMs).toBe(20);
      // A change of the tick rebuilds the receive path at the new period.
      await s.update({ ...s.currentParams(), receiveTickMs: 20 });
      expect(s.stats().playout.tickMs).toBe(20);
      expect(s.stats().clocks.receive!.frameMs).toBe(20);
    } finally {
      await s.close();
    }
    let err: unknown;
    try {
      await MediaSession.open(sessionParams(opus20, { ...rx, receiveTickMs: 0.5 }), { clock: systemClock });
    } catch (e) {
      err = e;
    }
    expect(isAcipError(err) && err.code === 'MEDIA_SESSION_PARAMS' && err.field === 'receiveTickMs').toBe(true);
  });
});

/**
 * Fake codec at 8 kHz, 20 ms frames (160 samples), 5 ms ticks (40 samples): a packet's payload is one
 * byte `v`, decoding to 160 samples of v/256; concealment is 160 samples of −1.
 */
const RATE = 8000;
const FRAME = 160;
const TICK = 40;

function fineAdapter(jb: JitterBuffer, concealed: { n: number }) {
  return new PlayoutAdapter({
    buffer: jb,
    channels: 1,
    sampleRate: RATE,
    frameSamples: TICK,
    codecFrameSamples: FRAME,
    decode: (p) => new Float32Array(FRAME).fill((p[0] as number) / 256),
    conceal: () => {
      concealed.n++;
      return new Float32Array(FRAME).fill(-1);
    },
  });
}

describe('playout in tick-sized pieces', () => {
  it('hands out 5 ms pieces of 20 ms frames, every packet complete and in order, one codec frame concealed per lost packet', () => {
    const jb = new JitterBuffer({ mode: 'fixed', fixedDelayMs: 20, minDelayMs: 0, maxDelayMs: 200, ptimeMs: 20, pullPeriodMs: 5, rtpClockRate: RATE, samplesPerFrame: FRAME, maxShrinkFraction: 0, maxGrowFraction: 0, fastShrinkFraction: 0, driftCompensation: false });
    const concealed = { n: 0 };
    const ad = fineAdapter(jb, concealed);
    const LOST = 7;
    const out: number[] = [];
    let seq = 0;
    // 30 packets sent every 20 ms (packet n leaves at 20·n ms, arrives 0.5 ms later); packet 7 is lost.
    // Bounded; stops once the last packet has played out (later ticks would conceal the stream's end).
    const played = (): boolean => {
      const first = out.findIndex((v) => v !== 0);
      return first >= 0 && out.length >= first + 30 * FRAME;
    };
    for (let tick = 0; tick < 200 && !played(); tick++) {
      const now = 1 + 5 * tick;
      while (seq < 30 && 20 * seq + 0.5 <= now) {
        if (seq !== LOST) jb.push({ seq, timestamp: seq * FRAME, payload: Buffer.from([seq + 1]), arrivalMs: 20 * seq + 0.5 });
        seq++;
      }
      const piece = ad.tick(now);
      expect(piece.length).toBe(TICK);
      out.push(...piece);
    }
    expect(ad.stats().shortTicks).toBe(0);
    expect(jb.stats().lost).toBe(1);
    expect(concealed.n).toBe(1);
    // After the start-up silence: packets 0..29 (−1 for the lost one), 160 samples each, back to back.
    const first = out.findIndex((v) => v !== 0);
    expect(first % TICK).toBe(0);
    for (let p = 0; p < 30; p++) {
      const want = p === LOST ? -1 : (p + 1) / 256;
      const frame = out.slice(first + p * FRAME, first + (p + 1) * FRAME);
      expect(frame.length, `packet ${p}`).toBe(FRAME);
      expect(frame.every((v) => v === want), `packet ${p}`).toBe(true);
    }
  });

  it('starts playout within 5 ms of the set delay, where 20 ms ticks can start only up to 20 ms later', () => {
    // The same stream against 5 ms and 20 ms pulls: the first packet arrives at 0.5 ms (transit floor);
    // with a 10 ms fixed delay it may start at 10.5 ms. Ticks begin at 1 ms.
    const delayAt = (tickSamples: number, pullMs: number): number => {
      const jb = new JitterBuffer({ mode: 'fixed', fixedDelayMs: 10, minDelayMs: 0, maxDelayMs: 200, ptimeMs: 20, pullPeriodMs: pullMs, rtpClockRate: RATE, samplesPerFrame: FRAME, maxShrinkFraction: 0, maxGrowFraction: 0, fastShrinkFraction: 0, driftCompensation: false });
      const ad = new PlayoutAdapter({ buffer: jb, channels: 1, sampleRate: RATE, frameSamples: tickSamples, codecFrameSamples: FRAME, decode: () => new Float32Array(FRAME).fill(0.5), conceal: () => new Float32Array(FRAME) });
      let start = NaN;
      let seq = 0;
      for (let t = 0; t < 40 && Number.isNaN(start); t++) {
        const now = 1 + t * pullMs;
        while (20 * seq + 0.5 <= now) {
          jb.push({ seq, timestamp: seq * FRAME, payload: Buffer.alloc(1), arrivalMs: 20 * seq + 0.5 });
          seq++;
        }
        const piece = ad.tick(now);
        const i = piece.findIndex((v) => v !== 0);
        if (i >= 0) start = now + (i * 1000) / RATE;
      }
      // Playout delay of the first packet above its arrival.
      return start - 0.5;
    };
    const fine = delayAt(TICK, 5);
    const coarse = delayAt(FRAME, 20);
    expect(fine).toBeGreaterThanOrEqual(10);
    expect(fine).toBeLessThan(15);
    expect(coarse).toBeGreaterThanOrEqual(10);
    expect(coarse).toBeGreaterThan(fine);
  });
});
