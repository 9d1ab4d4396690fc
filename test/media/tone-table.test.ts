/**
 * The line-up tone read from a one-period table gives, sample for sample, the values of the sine
 * computed per sample, across reads of any length and for every channel.
 */
import { describe, expect, it } from 'vitest';
import { ToneSource } from '../../server/media/tone-source.js';

/** The reference: amplitude · sin(2π·pos/fs), pos advancing by f and wrapping at fs, in Float32. */
function reference(fs: number, f: number, dbfs: number, frames: number): Float32Array {
  const a = 10 ** (dbfs / 20);
  const k = (2 * Math.PI) / fs;
  const out = new Float32Array(frames);
  let pos = 0;
  for (let i = 0; i < frames; i++) {
    out[i] = a * Math.sin(k * pos);
    pos += f;
    if (pos >= fs) pos -= fs;
  }
  return out;
}

describe('the tone source', () => {
  it.each([
    { fs: 8000, f: 1000, dbfs: -18, channels: 1 },
    { fs: 48000, f: 1000, dbfs: -18, channels: 2 },
    { fs: 48000, f: 997, dbfs: -20, channels: 1 },
    { fs: 16000, f: 440, dbfs: 0, channels: 2 },
    { fs: 44100, f: 1000.5, dbfs: -18, channels: 1 },
  ])('reads $f Hz at $fs Hz on $channels channel(s) exactly as the per-sample sine', ({ fs, f, dbfs, channels }) => {
    const src = new ToneSource({ sampleRate: fs, channels, frequencyHz: f, levelDbfs: dbfs });
    const reads = [160, 960, 1, 333, 48000, 7];
    const total = reads.reduce((a, b) => a + b, 0);
    const want = reference(fs, f, dbfs, total);
    const got = new Float32Array(total);
    let at = 0;
    for (const n of reads) {
      const frame = src.read(n);
      expect(frame.length).toBe(n * channels);
      let sameOnEveryChannel = true;
      for (let i = 0; i < n; i++) {
        for (let c = 1; c < channels; c++) sameOnEveryChannel &&= frame[i * channels + c] === frame[i * channels];
        got[at + i] = frame[i * channels] as number;
      }
      expect(sameOnEveryChannel).toBe(true);
      at += n;
    }
    expect(got).toEqual(want);
    expect(src.stats().framesRead).toBe(total);
  });

  it('hands every read of the same length the same array, rewritten with the next samples', () => {
    const src = new ToneSource({ sampleRate: 8000, channels: 1, frequencyHz: 1000 });
    const per = new ToneSource({ sampleRate: 8000, channels: 1, frequencyHz: 1000 });
    const a = src.read(160);
    const first = Float32Array.from(a);
    const b = src.read(170);
    expect(src.read(160)).toBe(src.read(160));
    expect(b).not.toBe(a);
    // The contents are the tone's, read by read, whatever array carries them.
    expect(first).toEqual(Float32Array.from(per.read(160)));
  });
});
