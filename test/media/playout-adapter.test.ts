/**
 * PlayoutAdapter's buffer contract: `tick` returns the adapter's own array, rewritten by every tick
 * (no allocation per tick), and it copies what the decoder hands it, so a decoder may reuse its output
 * array (the codec records do). The audio is unchanged by either.
 */
import { describe, expect, it } from 'vitest';
import { PlayoutAdapter } from '../../server/media/playout-adapter.js';
import type { JitterBuffer } from '../../server/media/jitter-buffer.js';
import type { PlayoutFrame } from '../../server/media/jitter-buffer-types.js';

/** A buffer that plays packet 0, 1, 2, … (payload byte = packet number), with the missing frames listed. */
function fakeBuffer(missing: Record<number, 'lost' | 'not-started' | 'gap'> = {}): JitterBuffer {
  let seq = 0;
  const fake = {
    pop(): PlayoutFrame {
      const n = seq++;
      const reason = missing[n];
      if (reason) return { kind: 'missing', reason, adjustSamples: 0 };
      return { kind: 'packet', payload: Buffer.from([n]), seq: n, timestamp: n * 240, marker: false, adjustSamples: 0 };
    },
  };
  return fake as unknown as JitterBuffer;
}

/** A decoder that, like the codec records, writes every frame into one array of its own: sample i of packet n is n + i/1000. */
function reusingDecoder(samples: number, channels: number): { decode(p: Buffer): Float32Array; conceal(): Float32Array } {
  const out = new Float32Array(samples * channels);
  return {
    decode(p) {
      for (let i = 0; i < out.length; i++) out[i] = (p[0] as number) + i / 1000;
      return out;
    },
    conceal() {
      return out.fill(-1);
    },
  };
}

describe('PlayoutAdapter', () => {
  it('hands out every tick in one array of its own, with the audio of each decoded frame unchanged although the decoder reused its array', () => {
    // 5 ms ticks of 20 ms frames at 48 kHz stereo: four ticks per decoded frame.
    const dec = reusingDecoder(960, 2);
    const a = new PlayoutAdapter({ buffer: fakeBuffer(), channels: 2, sampleRate: 48000, frameSamples: 240, codecFrameSamples: 960, ...dec });
    const first = a.tick(0);
    const ticks: Float32Array[] = [first.slice()];
    for (let t = 1; t < 12; t++) {
      const out = a.tick(t * 5);
      expect(out).toBe(first);
      ticks.push(out.slice());
    }
    for (let t = 0; t < 12; t++) {
      const packet = Math.floor(t / 4);
      const offset = (t % 4) * 480;
      const want = Float32Array.from({ length: 480 }, (_, i) => packet + (offset + i) / 1000);
      expect(ticks[t]).toEqual(want);
    }
  });

  it('joins frames that do not divide into ticks, across two decodes into the same array', () => {
    // 3 ms ticks of 5 ms frames at 8 kHz mono: 24-sample ticks of 40-sample frames.
    const dec = reusingDecoder(40, 1);
    const a = new PlayoutAdapter({ buffer: fakeBuffer(), channels: 1, sampleRate: 8000, frameSamples: 24, codecFrameSamples: 40, ...dec });
    const got: number[] = [];
    for (let t = 0; t < 10; t++) got.push(...a.tick(t * 3));
    const want = Array.from({ length: 240 }, (_, i) => Math.floor(i / 40) + (i % 40) / 1000);
    expect(Float32Array.from(got)).toEqual(Float32Array.from(want));
  });

  it('plays silence for a frame not yet started and for a sender gap, and the concealment for a lost one', () => {
    const dec = reusingDecoder(40, 1);
    const a = new PlayoutAdapter({ buffer: fakeBuffer({ 0: 'not-started', 2: 'lost', 3: 'gap' }), channels: 1, sampleRate: 8000, frameSamples: 40, codecFrameSamples: 40, ...dec });
    const ticks = Array.from({ length: 5 }, (_, t) => a.tick(t * 5).slice());
    expect(ticks[0]!.every((v) => v === 0)).toBe(true);
    expect(ticks[1]![0]).toBeCloseTo(1, 6);
    expect(ticks[2]!.every((v) => v === -1)).toBe(true);
    expect(ticks[3]!.every((v) => v === 0)).toBe(true);
    expect(ticks[4]![0]).toBeCloseTo(4, 6);
    expect(a.stats().silenceFrames).toBe(2);
  });
});
