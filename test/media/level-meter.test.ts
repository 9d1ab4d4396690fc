import { describe, expect, it } from 'vitest';
import { LevelMeter, METER_FLOOR_DBFS, type LevelSnapshot } from '../../server/media/level-meter.js';
import { sine } from './analysis.js';

describe('level meter', () => {
  it('reads a -18 dBFS peak sine as -18.00 dBFS peak and -21.01 dBFS RMS on every channel, ten times a second', () => {
    const m = new LevelMeter({ sampleRate: 48000, channels: 2 });
    const readings: LevelSnapshot[] = [];
    m.on('reading', (r) => readings.push(r));
    const x = sine(1000, 48000, 48000, 10 ** (-18 / 20), 2, Math.PI / 2); // starts at a crest
    for (let i = 0; i < 50; i++) m.process(x.subarray(i * 1920, (i + 1) * 1920)); // 20 ms frames
    expect(readings).toHaveLength(10);
    const s = m.snapshot();
    expect(s.windows).toBe(10);
    for (const ch of s.channels) {
      expect(ch.peakDbfs).toBeCloseTo(-18, 2);
      expect(ch.rmsDbfs).toBeCloseTo(-21.01, 2);
      expect(ch.clipSamples).toBe(0);
    }
  });

  it('meters channels independently', () => {
    const m = new LevelMeter({ sampleRate: 48000, channels: 2 });
    const x = new Float32Array(4800 * 2);
    for (let i = 0; i < 4800; i++) x[2 * i] = 0.5 * (i % 2 ? 1 : -1); // left: ±0.5 square, right: silence
    m.process(x);
    const [l, r] = m.snapshot().channels;
    expect(l!.peakDbfs).toBeCloseTo(-6.02, 2);
    expect(l!.rmsDbfs).toBeCloseTo(-6.02, 2);
    expect(r!.peakDbfs).toBe(METER_FLOOR_DBFS);
    expect(r!.rmsDbfs).toBe(METER_FLOOR_DBFS);
  });

  it('windows follow the samples, not the frame sizes (5 ms and 1 ms frames)', () => {
    const m = new LevelMeter({ sampleRate: 48000, channels: 1, windowMs: 100 });
    const x = sine(440, 48000, 48000, 0.25);
    let off = 0;
    for (const n of [240, 48, 240, 48]) {
      for (let i = 0; i < 100 && off + n <= x.length; i++, off += n) m.process(x.subarray(off, off + n));
    }
    expect(m.snapshot().windows).toBe(Math.floor(off / 4800));
  });

  it('counts clipped samples at or above -0.1 dBFS and runs of them as events', () => {
    const m = new LevelMeter({ sampleRate: 1000, channels: 1, windowMs: 10 });
    const x = new Float32Array(20);
    x[2] = 0.99; // ≥ 0.98855: clipped
    x[3] = -1;
    x[4] = 0.98; // below -0.1 dBFS: not clipped
    x[9] = 1; // run continues into the next frame
    m.process(x.subarray(0, 10));
    const y = new Float32Array(10);
    y[0] = -0.999;
    m.process(y);
    const s = m.snapshot();
    expect(s.clipSamples).toBe(4);
    expect(s.clipEvents).toBe(2);
    expect(s.channels[0]!.peakDbfs).toBeCloseTo(20 * Math.log10(0.999), 6);
  });

  it('holds the peak for a second, then lets it fall at 20 dB/s', () => {
    const m = new LevelMeter({ sampleRate: 1000, channels: 1, windowMs: 100 });
    const loud = new Float32Array(100).fill(0.5);
    const quiet = new Float32Array(100).fill(0.005); // -46 dBFS
    m.process(loud);
    const holds: number[] = [];
    for (let i = 0; i < 20; i++) {
      m.process(quiet);
      holds.push(m.snapshot().channels[0]!.peakHoldDbfs);
    }
    expect(holds[9]).toBeCloseTo(-6.02, 2); // held for 10 windows (1 s)
    expect(holds[10]).toBeCloseTo(-8.02, 2); // then 2 dB per 100 ms
    expect(holds[19]).toBeCloseTo(-26.02, 2);
  });

  it('snapshots are plain JSON', () => {
    const m = new LevelMeter({ sampleRate: 48000, channels: 1 });
    m.process(new Float32Array(4800));
    const s = m.snapshot();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  // The meter sums peak and squares in one pass and counts clips in a second pass only over a stretch
  // that reaches the clip level: it must read exactly as a sample-by-sample reference does.
  it.each([
    { what: 'a clean stereo tone in 5 ms frames', channels: 2, frame: 240, clipEvery: 0 },
    { what: 'a stereo signal clipping now and then, in 20 ms frames', channels: 2, frame: 960, clipEvery: 397 },
    { what: 'a mono signal with clip runs across frame edges, in 7-sample frames', channels: 1, frame: 7, clipEvery: 5 },
    { what: 'three channels in frames that straddle windows', channels: 3, frame: 1111, clipEvery: 1013 },
  ])('reads as a sample-by-sample reference for $what', ({ channels, frame, clipEvery }) => {
    const rate = 48000;
    const m = new LevelMeter({ sampleRate: rate, channels });
    const ref = referenceMeter(channels, rate / 10);
    let seed = 7;
    // Three and a bit windows of 100 ms, whatever the frame length.
    for (let k = 0; k * frame < (rate * 3.3) / 10; k++) {
      const x = new Float32Array(frame * channels);
      for (let i = 0; i < x.length; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const n = seed / 2 ** 32 - 0.5;
        x[i] = clipEvery > 0 && (k * x.length + i) % clipEvery < 3 ? Math.sign(n) * 0.999 : n * 0.5;
      }
      m.process(x);
      ref.process(x);
    }
    const s = m.snapshot();
    expect(s.clipSamples).toBe(ref.clipSamples);
    expect(s.clipEvents).toBe(ref.clipEvents);
    expect(s.windows).toBe(ref.windows);
    for (let c = 0; c < channels; c++) {
      expect(s.channels[c]!.peakDbfs).toBe(ref.last[c]!.peak);
      expect(s.channels[c]!.rmsDbfs).toBe(ref.last[c]!.rms);
    }
  });
});

/** The meter's definitions sample by sample (peak, RMS over windows, clips at -0.1 dBFS and their runs). */
function referenceMeter(channels: number, windowFrames: number) {
  const clip = 10 ** (-0.1 / 20);
  const db = (x: number): number => (x > 0 ? Math.max(-120, 20 * Math.log10(x)) : -120);
  const peak = new Array<number>(channels).fill(0);
  const sq = new Array<number>(channels).fill(0);
  const clipping = new Array<boolean>(channels).fill(false);
  const r = { clipSamples: 0, clipEvents: 0, windows: 0, last: [] as Array<{ peak: number; rms: number }>, process };
  let inWindow = 0;
  function process(x: Float32Array): void {
    for (let f = 0; f < x.length / channels; f++) {
      for (let c = 0; c < channels; c++) {
        const v = x[f * channels + c]!;
        const a = Math.abs(v);
        if (a > peak[c]!) peak[c] = a;
        sq[c] = sq[c]! + v * v;
        if (a >= clip) {
          r.clipSamples++;
          if (!clipping[c]) r.clipEvents++;
          clipping[c] = true;
        } else clipping[c] = false;
      }
      if (++inWindow === windowFrames) {
        r.last = peak.map((p, c) => ({ peak: db(p), rms: db(Math.sqrt(sq[c]! / windowFrames)) }));
        peak.fill(0);
        sq.fill(0);
        inWindow = 0;
        r.windows++;
      }
    }
  }
  return r;
}
