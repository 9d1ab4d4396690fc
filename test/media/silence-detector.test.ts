import { describe, expect, it } from 'vitest';
import { SilenceDetector, type SilenceEvent } from '../../server/media/silence-detector.js';
import { ToneSource } from '../../server/media/tone-source.js';
import { LevelMeter } from '../../server/media/level-meter.js';

function timeline(det: SilenceDetector) {
  const events: Array<[string, SilenceEvent]> = [];
  det.on('silence', (e) => events.push(['silence', e]));
  det.on('silence-cleared', (e) => events.push(['silence-cleared', e]));
  return events;
}

describe('silence detector', () => {
  it('raises silence after 10 s below -60 dBFS and clears when audio returns, on the audio’s own time', () => {
    const det = new SilenceDetector({ sampleRate: 48000, channels: 2 });
    const events = timeline(det);
    const tone = new ToneSource({ sampleRate: 48000, channels: 2 }); // -18 dBFS
    const quiet = new ToneSource({ sampleRate: 48000, channels: 2, levelDbfs: -70 }); // hiss-level tone
    const feed = (src: ToneSource, seconds: number) => {
      for (let i = 0; i < seconds * 50; i++) det.process(src.read(960)); // 20 ms frames
    };
    feed(tone, 5); // 0..5 s programme
    feed(quiet, 9.98); // 5..14.98 s quiet: not yet 10 s
    expect(events).toHaveLength(0);
    expect(det.state().quietMs).toBeCloseTo(9980, 6);
    feed(quiet, 0.02); // reaches 10 s at 15 s
    feed(quiet, 2); // until 17 s
    feed(tone, 1);
    expect(events).toHaveLength(2);
    expect(events[0]![0]).toBe('silence');
    expect(events[0]![1].sinceMs).toBeCloseTo(5000, 6);
    expect(events[0]![1].atMs).toBeCloseTo(15000, 6);
    expect(events[1]![0]).toBe('silence-cleared');
    expect(events[1]![1].atMs).toBeCloseTo(17020, 6);
    expect(events[1]![1].silentMs).toBeCloseTo(12000, 6);
    expect(det.state().silent).toBe(false);
  });

  it('does not raise silence while one channel still carries audio', () => {
    const det = new SilenceDetector({ sampleRate: 8000, channels: 2, durationMs: 1000 });
    const events = timeline(det);
    const frame = new Float32Array(160 * 2);
    for (let i = 0; i < 160; i++) frame[2 * i + 1] = Math.sin(i) * 0.1; // right channel only
    for (let i = 0; i < 200; i++) det.process(frame);
    expect(events).toHaveLength(0);
  });

  it('restarts the count when audio interrupts a quiet stretch', () => {
    const det = new SilenceDetector({ sampleRate: 1000, channels: 1, durationMs: 3000 });
    const events = timeline(det);
    det.processLevel(-80, 2900);
    det.processLevel(-20, 20);
    det.processLevel(-80, 2990);
    expect(events).toHaveLength(0);
    det.processLevel(-80, 10);
    expect(events.map((e) => e[0])).toEqual(['silence']);
    expect(events[0]![1].sinceMs).toBe(2920);
  });

  it('with clearMs, needs audio for that long before clearing, so a click does not clear it', () => {
    const det = new SilenceDetector({ sampleRate: 1000, channels: 1, durationMs: 1000, thresholdDbfs: -50, clearMs: 500 });
    const events = timeline(det);
    det.processLevel(-90, 1000);
    det.processLevel(-10, 20); // a click
    det.processLevel(-90, 1000);
    expect(events.map((e) => e[0])).toEqual(['silence']);
    det.processLevel(-30, 400);
    expect(events).toHaveLength(1);
    det.processLevel(-30, 100);
    expect(events.map((e) => e[0])).toEqual(['silence', 'silence-cleared']);
    expect(events[1]![1].atMs).toBe(2520);
  });

  it('treats digital silence as silent and a level exactly at the threshold as audio', () => {
    const det = new SilenceDetector({ sampleRate: 1000, channels: 1, durationMs: 100, thresholdDbfs: -60 });
    const events = timeline(det);
    det.process(new Float32Array(100));
    expect(events.map((e) => e[0])).toEqual(['silence']);
    det.processLevel(-60, 1);
    expect(events.map((e) => e[0])).toEqual(['silence', 'silence-cleared']);
  });
});

describe('silence detector fed by the level meter', () => {
  // The media path sums each frame's squares once, in the meter, and hands the loudest channel's mean
  // square to the detector: the detector must then decide exactly as if it had read the frame itself.
  it.each([
    { what: 'a stereo frame, one channel loud', channels: 2, frameMs: 20, left: 0.5, right: 0 },
    { what: 'a mono frame near the threshold', channels: 1, frameMs: 5, left: 0.0011, right: 0 },
    { what: 'digital silence', channels: 2, frameMs: 20, left: 0, right: 0 },
    { what: 'a 7 ms frame across a meter window edge', channels: 2, frameMs: 7, left: 0.001, right: 0.002 },
  ])('decides as from the frame itself for $what', ({ channels, frameMs, left, right }) => {
    const rate = 48000;
    const frames = (rate * frameMs) / 1000;
    const direct = new SilenceDetector({ sampleRate: rate, channels, durationMs: 100 });
    const viaMeter = new SilenceDetector({ sampleRate: rate, channels, durationMs: 100 });
    const meter = new LevelMeter({ sampleRate: rate, channels });
    const seen = [timeline(direct), timeline(viaMeter)];
    for (let k = 0; k < 40; k++) {
      const frame = new Float32Array(frames * channels);
      for (let i = 0; i < frames; i++) {
        const s = Math.sin((2 * Math.PI * 1000 * (k * frames + i)) / rate);
        frame[i * channels] = left * s;
        if (channels === 2) frame[i * channels + 1] = right * s;
      }
      direct.process(frame);
      viaMeter.processMeanSquare(meter.process(frame), frames);
      expect(viaMeter.state()).toEqual(direct.state());
    }
    expect(seen[1]).toEqual(seen[0]);
  });
});

describe('silence detector fed mean squares', () => {
  // processMeanSquare compares the mean square with the threshold's own square (no logarithm per
  // frame): it must decide as processLevel does on the level the meter would read.
  const FLOOR = -120;
  const readLevel = (ms: number): number => (ms > 0 ? Math.max(FLOOR, 10 * Math.log10(ms)) : FLOOR);
  it.each([
    { what: 'well below the threshold', thresholdDbfs: -60, ms: 1e-9 },
    { what: 'a hair below the threshold', thresholdDbfs: -60, ms: 1e-6 * 0.999999 },
    { what: 'a hair above the threshold', thresholdDbfs: -60, ms: 1e-6 * 1.000001 },
    { what: 'well above the threshold', thresholdDbfs: -60, ms: 0.01 },
    { what: 'digital silence', thresholdDbfs: -60, ms: 0 },
    { what: 'a NaN sum', thresholdDbfs: -60, ms: Number.NaN },
    { what: 'an infinite sum', thresholdDbfs: -60, ms: Number.POSITIVE_INFINITY },
    { what: 'digital silence under a threshold at the floor', thresholdDbfs: -120, ms: 0 },
    { what: 'digital silence under a threshold below the floor', thresholdDbfs: -130, ms: 0 },
    { what: 'a quiet frame under a threshold just above the floor', thresholdDbfs: -119, ms: 1e-13 },
    { what: 'a full-scale frame under a threshold above full scale', thresholdDbfs: 3, ms: 1 },
  ])('decides as from the level for $what', ({ thresholdDbfs, ms }) => {
    const byLevel = new SilenceDetector({ sampleRate: 1000, channels: 1, durationMs: 50, thresholdDbfs });
    const bySquare = new SilenceDetector({ sampleRate: 1000, channels: 1, durationMs: 50, thresholdDbfs });
    const seen = [timeline(byLevel), timeline(bySquare)];
    for (let k = 0; k < 10; k++) {
      byLevel.processLevel(readLevel(ms), 10);
      bySquare.processMeanSquare(ms, 10);
    }
    expect(bySquare.state()).toEqual(byLevel.state());
    expect(seen[1]).toEqual(seen[0]);
  });
});
