import { describe, expect, it } from 'vitest';
import { JitterBuffer } from '../../../server/media/jitter-buffer.js';
import { CutSplicer, PlayoutAdapter } from '../../../server/media/playout-adapter.js';
import { isUnheardPlayout } from '../../../server/media/codec-path.js';
import { runJitterBench } from '../../bench/jitter/run.js';

/**
 * The adapter hands the output exactly one frame per tick whatever the packets are like. Fake codec:
 * a packet's payload is [value, frames/8]; it decodes to that many sample frames of value/256.
 */
const RATE = 8000;
const FRAME = 160; // 20 ms

function adapterFor(jb: JitterBuffer) {
  return new PlayoutAdapter({
    buffer: jb, channels: 1, sampleRate: RATE, frameSamples: FRAME,
    decode: (p) => new Float32Array((p[1] as number) * 8).fill((p[0] as number) / 256),
    conceal: () => new Float32Array(FRAME).fill(-1),
  });
}

describe('PlayoutAdapter', () => {
  it('plays packets of different lengths (20 and 40 ms) back to back with no gap, loss or concealment', () => {
    const jb = new JitterBuffer({ mode: 'fixed', fixedDelayMs: 40, minDelayMs: 0, maxDelayMs: 200, ptimeMs: 20, rtpClockRate: RATE, samplesPerFrame: FRAME });
    const ad = adapterFor(jb);
    // seq 0..19; every third packet is 40 ms long (timestamp step 320), the others 20 ms.
    const pkts: { seq: number; ts: number; len: number }[] = [];
    let ts = 1000;
    for (let seq = 0; seq < 20; seq++) {
      const len = seq % 3 === 2 ? 2 * FRAME : FRAME;
      pkts.push({ seq, ts, len });
      ts += len;
    }
    const out: number[] = [];
    let k = 0;
    // 2 ticks of prefetch, then 26 frames' worth of audio: stop when the last packet has played.
    for (let tick = 0; tick < 28; tick++) {
      const now = 3 + 20 * tick;
      // Sent in real time: packet with timestamp ts leaves at (ts − 1000)/8 ms, arrives 1 ms later.
      while (k < pkts.length && ((pkts[k]!.ts - 1000) / 8 + 1) <= now) {
        const p = pkts[k++]!;
        jb.push({ seq: p.seq, timestamp: p.ts, payload: Buffer.from([p.seq + 1, p.len / 8]), arrivalMs: (p.ts - 1000) / 8 + 1 });
      }
      const f = ad.tick(now);
      expect(f.length).toBe(FRAME);
      out.push(...f);
    }
    const st = jb.stats();
    expect(st.lost).toBe(0);
    expect(st.concealedFrames).toBe(0);
    expect(st.gapFrames).toBe(0);
    expect(ad.stats().shortTicks).toBe(0);
    // After the prefetch silence, the values run through every packet in order for its full length.
    const firstAudio = out.findIndex((v) => v !== 0);
    const played = out.slice(firstAudio, firstAudio + pkts.reduce((n, p) => n + p.len, 0));
    let o = 0;
    for (const p of pkts) {
      expect(played.slice(o, o + p.len).every((v) => v === (p.seq + 1) / 256), `packet ${p.seq}`).toBe(true);
      o += p.len;
    }
  });

  it('conceals a lost packet with exactly one frame from the codec', () => {
    const jb = new JitterBuffer({ mode: 'fixed', fixedDelayMs: 20, minDelayMs: 0, maxDelayMs: 200, ptimeMs: 20, rtpClockRate: RATE, samplesPerFrame: FRAME });
    const ad = adapterFor(jb);
    const out: number[] = [];
    for (let tick = 0; tick < 12; tick++) {
      const now = 5 + 20 * tick;
      const seq = tick;
      if (seq < 10 && seq !== 4) jb.push({ seq, timestamp: seq * FRAME, payload: Buffer.from([seq + 1, FRAME / 8]), arrivalMs: now - 5 });
      out.push(...ad.tick(now));
    }
    // Up to the last packet's audio (the stream then ends and the output conceals again).
    const end = out.lastIndexOf(10 / 256);
    expect(end).toBeGreaterThan(0);
    expect(out.slice(0, end).filter((v) => v === -1).length).toBe(FRAME);
    expect(out.slice(0, end).filter((v) => v === 5 / 256).length).toBe(0);
    expect(jb.stats().lost).toBe(1);
  });
});

describe('PlayoutAdapter with WSOLA splices', () => {
  it('shrinks back after a spike in whole periods of a tone, applying what the buffer asked within the corrector\'s remainder', () => {
    // 48 kHz, 20 ms packets, 5 ms ticks; packets 10–14 held by a 200 ms spike: the buffer stalls, then
    // asks to shrink back. A 1 kHz tone, so the corrector waits for whole periods.
    const rate = 48_000;
    const spf = 960;
    const jb = new JitterBuffer({ mode: 'adaptive', minDelayMs: 0, maxDelayMs: 300, initialDelayMs: 20, pullPeriodMs: 5, ptimeMs: 20, rtpClockRate: rate, samplesPerFrame: spf });
    const ad = new PlayoutAdapter({
      buffer: jb, channels: 1, sampleRate: rate, frameSamples: 240, codecFrameSamples: spf,
      decode: (p) => {
        const index = p.readUInt16BE(0);
        return new Float32Array(spf).map((_, j) => 0.5 * Math.sin((2 * Math.PI * 1000 * (index * spf + j)) / rate));
      },
      conceal: () => new Float32Array(spf),
    });
    const arrival = (seq: number) => (seq >= 10 && seq < 15 ? 300 : seq * 20 + 1);
    const order = Array.from({ length: 300 }, (_, seq) => seq).sort((a, b) => arrival(a) - arrival(b));
    let k = 0;
    let worst = 0;
    for (let tick = 0; tick < 1200; tick++) {
      const now = 2 + 5 * tick;
      while (k < order.length && arrival(order[k]!) <= now) {
        const seq = order[k++]!;
        const payload = Buffer.alloc(2);
        payload.writeUInt16BE(seq);
        jb.push({ seq, timestamp: seq * spf, payload, arrivalMs: arrival(seq) });
      }
      expect(ad.tick(now).length).toBe(240);
      // What the buffer asked for and what was spliced differ by at most the corrector's remainder
      // (half its 5 ms search window), never by a pile of repeated requests.
      worst = Math.max(worst, Math.abs(jb.stats().samplesDropped - jb.stats().samplesInserted - (ad.stats().samplesRemoved - ad.stats().samplesInserted)));
    }
    expect(jb.stats().samplesDropped).toBeGreaterThan(0);
    expect(ad.stats().samplesRemoved % 48).toBe(0);
    expect(worst).toBeLessThanOrEqual(120 + 48);
    expect(ad.stats().shortTicks).toBe(0);
  });
});

describe('PlayoutAdapter for an unheard (null) output', () => {
  it('applies exactly what the buffer asks after the same spike, with no tick short', () => {
    const rate = 48_000;
    const spf = 960;
    const jb = new JitterBuffer({ mode: 'adaptive', minDelayMs: 0, maxDelayMs: 300, initialDelayMs: 20, pullPeriodMs: 5, ptimeMs: 20, rtpClockRate: rate, samplesPerFrame: spf });
    const ad = new PlayoutAdapter({
      buffer: jb, channels: 2, sampleRate: rate, frameSamples: 240, codecFrameSamples: spf, unheard: true,
      decode: () => new Float32Array(2 * spf).fill(0.25),
      conceal: () => new Float32Array(2 * spf),
    });
    const arrival = (seq: number) => (seq >= 10 && seq < 15 ? 300 : seq * 20 + 1);
    const order = Array.from({ length: 300 }, (_, seq) => seq).sort((a, b) => arrival(a) - arrival(b));
    let k = 0;
    for (let tick = 0; tick < 1200; tick++) {
      const now = 2 + 5 * tick;
      while (k < order.length && arrival(order[k]!) <= now) {
        const seq = order[k++]!;
        jb.push({ seq, timestamp: seq * spf, payload: Buffer.alloc(2), arrivalMs: arrival(seq) });
      }
      expect(ad.tick(now).length).toBe(2 * 240);
    }
    expect(jb.stats().samplesDropped).toBeGreaterThan(0);
    // Exact: no remainder waiting for a whole period of the audio.
    expect(ad.stats().samplesRemoved - ad.stats().samplesInserted).toBe(jb.stats().samplesDropped - jb.stats().samplesInserted);
    expect(ad.stats().shortTicks).toBe(0);
  });
});

describe('which playout nobody hears', () => {
  it.each([
    ['tone', 'null', true],
    ['silence', 'null', true],
    ['loopback', 'null', false],
    ['tone', 'file:/tmp/x.wav', false],
  ])('input %s with output %s: unheard %s', (input, output, unheard) => {
    expect(isUnheardPlayout({ input, output })).toBe(unheard);
  });
});

describe('CutSplicer', () => {
  // Rows: frame length (sample frames), channels, requests in turn → lengths out, inserted, removed, carry (ms at 8 kHz).
  const rows: Array<[string, number, number, number[], number[], number, number, number]> = [
    ['removes from the tail', 160, 1, [-3], [157], 0, 3, 0],
    ['repeats the last sample frame', 160, 2, [4], [164], 4, 0, 0],
    ['does nothing on a zero request', 160, 1, [0, 0], [160, 160], 0, 0, 0],
    ['carries what a short frame cannot take to the next frame', 4, 1, [-6, 0, 0], [1, 1, 4], 0, 6, 0],
    ['never carries more than a frame', 4, 1, [-40], [1], 0, 3, -0.5],
  ];
  it.each(rows)('%s', (_name, n, ch, requests, lengths, inserted, removed, carryMs) => {
    const c = new CutSplicer(ch, 8000);
    const frame = new Float32Array(n * ch).map((_, i) => i + 1);
    const out = requests.map((r) => c.apply(frame, r));
    expect(out.map((o) => o.length / ch)).toEqual(lengths);
    expect([c.inserted, c.removed, c.pendingMs]).toEqual([inserted, removed, carryMs]);
    for (const o of out) expect(Array.from(o.subarray(0, Math.min(o.length, frame.length)))).toEqual(Array.from(frame.subarray(0, Math.min(o.length, frame.length))));
  });

  it('repeats the last sample frame of every channel when it inserts', () => {
    const c = new CutSplicer(2, 8000);
    expect(Array.from(c.apply(new Float32Array([1, 2, 3, 4, 5, 6]), 2))).toEqual([1, 2, 3, 4, 5, 6, 5, 6, 5, 6]);
  });
});

describe('runJitterBench', () => {
  it('prints one row per profile with the scored columns', async () => {
    const lines: string[] = [];
    await runJitterBench({ profiles: ['clean', 'step'], seeds: [1, 2], print: (l) => lines.push(l) });
    expect(lines[1]).toMatch(/^profile\s+added mean\s+p50\s+p95\s+p99\s+max\s+last 10 s\s+conc %/);
    expect(lines.some((l) => l.startsWith('clean '))).toBe(true);
    const step = lines.find((l) => l.startsWith('step '))!;
    expect(step).toMatch(/\d+ \(\d+–\d+\)/);
  });
});

describe('PlayoutAdapter output buffers', () => {
  /** 20 ms packets of 960 sample frames, every packet in time; sample j of packet s is 1 + s + j/1000. */
  function steadyAdapter(channels: number, frameSamples: number) {
    const rate = 48_000;
    const spf = 960;
    const jb = new JitterBuffer({ mode: 'fixed', fixedDelayMs: 20, minDelayMs: 0, maxDelayMs: 200, pullPeriodMs: 5, ptimeMs: 20, rtpClockRate: rate, samplesPerFrame: spf, driftCompensation: false });
    const decoded: Float32Array[] = [];
    const ad = new PlayoutAdapter({
      buffer: jb, channels, sampleRate: rate, frameSamples, codecFrameSamples: spf, unheard: true,
      decode: (p) => {
        const s = p.readUInt16BE(0);
        const f = new Float32Array(spf * channels).map((_, i) => 1 + s + Math.floor(i / channels) / 1000);
        decoded.push(f);
        return f;
      },
      conceal: () => new Float32Array(spf * channels),
    });
    let seq = 0;
    const tick = (now: number) => {
      while (seq * 20 + 1 <= now) {
        const payload = Buffer.alloc(2);
        payload.writeUInt16BE(seq);
        jb.push({ seq, timestamp: seq * spf, payload, arrivalMs: seq * 20 + 1 });
        seq++;
      }
      return ad.tick(now);
    };
    return { tick, decoded };
  }

  it.each([
    // A 7.5 ms tick against 5 ms pulls makes the buffer adjust its level by a splice early on, so the
    // sample-by-sample order is checked only where ticks and frames line up.
    { name: 'a 5 ms tick inside a 20 ms frame, stereo', channels: 2, frameSamples: 240, inOrder: true },
    { name: 'a 20 ms tick, one whole frame, mono', channels: 1, frameSamples: 960, inOrder: true },
    { name: 'a 7.5 ms tick that spans frames every few ticks, stereo', channels: 2, frameSamples: 360, inOrder: false },
  ])('hands out $name in one array of its own, the audio unchanged', ({ channels, frameSamples, inOrder }) => {
    const { tick, decoded } = steadyAdapter(channels, frameSamples);
    const copies: Float32Array[] = [];
    let first: Float32Array | undefined;
    for (let t = 0; t < 400; t++) {
      const f = tick(3 + (t * frameSamples) / 48);
      expect(f.length).toBe(frameSamples * channels);
      first ??= f;
      // One array, reused tick after tick: valid until the next tick, copy to keep.
      expect(f).toBe(first);
      copies.push(f.slice());
    }
    // Never a view of a decoded frame: the decoder may reuse its own array.
    expect(decoded.some((d) => d.buffer === first!.buffer)).toBe(false);
    if (!inOrder) return;
    // And in order: packet after packet, sample after sample.
    const played = copies.flatMap((f) => Array.from(f.filter((_, i) => i % channels === 0)));
    const firstAudio = played.findIndex((v) => v !== 0);
    const audio = played.slice(firstAudio, firstAudio + 50 * 960);
    expect(audio.length).toBe(50 * 960);
    expect(audio.filter((v, j) => v !== Math.fround(1 + Math.floor(j / 960) + (j % 960) / 1000)).length).toBe(0);
  });
});
