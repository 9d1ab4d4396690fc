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
});
