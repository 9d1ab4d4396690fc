import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAudioSink } from '../../server/media/audio-sink.js';
import { createAudioSource, isLoopbackSource } from '../../server/media/audio-source.js';
import { parseInputSpec, parseOutputSpec } from '../../server/media/audio-spec.js';
import { LoopbackSource } from '../../server/media/loopback-source.js';
import { ToneSource } from '../../server/media/tone-source.js';
import { WavFileSink } from '../../server/media/wav-file-sink.js';
import { WavFileSource } from '../../server/media/wav-file-source.js';
import { readWav, StreamingWavWriter } from '../../server/media/wav.js';
import { AcipError } from '../../server/util/errors.js';
import { channel, dbfs, peak, rms, toneAmplitude, zeroCrossingFrequency } from './analysis.js';

const fixtures = new URL('../fixtures/audio/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'acip-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function readMany(src: { read(n: number): Float32Array; channels: number }, frames: number, per: number): Float32Array {
  const out = new Float32Array(frames * src.channels);
  for (let off = 0; off < frames; off += per) out.set(src.read(Math.min(per, frames - off)), off * src.channels);
  return out;
}

describe('tone source', () => {
  it('makes the EBU line-up tone: 1 kHz at -18 dBFS peak, -21.01 dBFS RMS, on both channels', () => {
    const src = createAudioSource(parseInputSpec('tone'), { sampleRate: 48000, channels: 2 });
    const x = readMany(src, 48000, 960);
    for (const c of [0, 1]) {
      const ch = channel(x, 2, c);
      expect(dbfs(peak(ch))).toBeCloseTo(-18, 3);
      expect(dbfs(rms(ch))).toBeCloseTo(-21.01, 2);
      expect(zeroCrossingFrequency(ch, 48000)).toBeCloseTo(1000, 3);
    }
  });

  it('is phase-continuous across reads of any size (1 ms, 2.5 ms, 20 ms) and exact after ten minutes of samples', () => {
    const a = new ToneSource({ sampleRate: 48000, channels: 1, frequencyHz: 997, levelDbfs: -6 });
    const b = new ToneSource({ sampleRate: 48000, channels: 1, frequencyHz: 997, levelDbfs: -6 });
    const whole = a.read(4800);
    const parts = new Float32Array(4800);
    let off = 0;
    for (const n of [48, 120, 960, 1, 47, 3624]) {
      parts.set(b.read(n), off);
      off += n;
    }
    expect(parts).toEqual(whole);
    // The integer phase accumulator does not drift: after 600 s the tone is where the formula says.
    for (let i = 0; i < 600; i++) a.read(48000);
    const later = a.read(16);
    for (let i = 0; i < 16; i++) {
      const n = 600 * 48000 + 4800 + i;
      expect(later[i]).toBeCloseTo(10 ** (-6 / 20) * Math.sin((2 * Math.PI * ((997 * n) % 48000)) / 48000), 6);
    }
  });

  it.each([
    ['tone:440:-12', 16000, 440, -12],
    ['tone:7000:-3', 16000, 7000, -3],
    ['tone:3000', 8000, 3000, -18],
  ])('%s at %i Hz has the right level and frequency', (spec, rate, hz, level) => {
    const src = createAudioSource(parseInputSpec(spec), { sampleRate: rate, channels: 1 });
    const x = channel(readMany(src, rate, rate / 50), 1, 0);
    expect(dbfs(toneAmplitude(x, rate, hz))).toBeCloseTo(level, 2);
    // Sample for sample the sine of that frequency (zero-crossing counting is biased this close to Nyquist).
    let err = 0;
    for (let n = 0; n < x.length; n++) err = Math.max(err, Math.abs(x[n]! - 10 ** (level / 20) * Math.sin((2 * Math.PI * hz * n) / rate)));
    expect(err).toBeLessThan(1e-6);
  });

  it('refuses a tone at or above the link’s Nyquist frequency', () => {
    expect(() => createAudioSource(parseInputSpec('tone:4000'), { sampleRate: 8000, channels: 1 })).toThrow(
      /tone frequency 4000 Hz is not below the Nyquist frequency \(4000 Hz\)/,
    );
  });
});

describe('silence source', () => {
  it('returns exactly the frames asked for, all zero', () => {
    const src = createAudioSource(parseInputSpec('silence'), { sampleRate: 48000, channels: 2 });
    const x = src.read(240);
    expect(x.length).toBe(480);
    expect(peak(x)).toBe(0);
    expect(src.stats().framesRead).toBe(240);
  });
});

describe('loopback source', () => {
  it('returns what the receive path pushed, after priming, in order', () => {
    const src = createAudioSource(parseInputSpec('loopback'), { sampleRate: 48000, channels: 1 }) as LoopbackSource;
    expect(src).toBeInstanceOf(LoopbackSource);
    expect(isLoopbackSource(src)).toBe(true);
    expect(isLoopbackSource(createAudioSource(parseInputSpec('silence'), { sampleRate: 48000, channels: 1 }))).toBe(false);
    const tone = new ToneSource({ sampleRate: 48000, channels: 1 });
    const sent = tone.read(960 * 10);
    const got: Float32Array[] = [];
    expect(peak(src.read(960))).toBe(0); // nothing yet: silence, not an underrun
    for (let i = 0; i < 10; i++) {
      src.push(sent.subarray(i * 960, (i + 1) * 960));
      got.push(src.read(960).slice()); // a read is valid until the next one: keep a copy
    }
    // Primed with two frames, so the first read after the first push is still silence.
    expect(peak(got[0]!)).toBe(0);
    const joined = new Float32Array(960 * 9);
    for (let i = 1; i < 10; i++) joined.set(got[i]!, (i - 1) * 960);
    expect(joined).toEqual(sent.subarray(0, 960 * 9));
    expect(src.stats().underrunFrames).toBe(960);
  });

  it('keeps its queue bounded, dropping the oldest audio and counting it', () => {
    const src = new LoopbackSource({ sampleRate: 1000, channels: 1, capacityMs: 100 });
    for (let i = 0; i < 30; i++) src.push(new Float32Array(10).fill(i / 100));
    expect(src.queuedFrames).toBe(100);
    expect(src.stats().droppedFrames).toBe(200);
    expect(src.read(10)[0]).toBeCloseTo(0.2, 6);
  });

  it('maps stereo received audio to a mono link', () => {
    const src = new LoopbackSource({ sampleRate: 1000, channels: 1, primeFrames: 1 });
    src.push(new Float32Array([0.5, 0.25]), 2);
    expect(src.read(1)[0]).toBeCloseTo(0.375, 6);
  });
});

describe('WAV file source', () => {
  it('plays the 44.1 kHz stereo fixture on a 48 kHz stereo link, resampled, in a loop', () => {
    const src = createAudioSource(parseInputSpec(`file:${fixtures}tone-440-880-m12dbfs-s24-44k1-stereo.wav`), { sampleRate: 48000, channels: 2 });
    // The file is 50 ms; 1 s of output needs 20 loops.
    const x = readMany(src, 48000, 960);
    expect((src as WavFileSource).loops).toBeGreaterThanOrEqual(19);
    const l = channel(x, 2, 0).subarray(4800);
    const r = channel(x, 2, 1).subarray(4800);
    // 440 Hz × 50 ms = 22 whole cycles, so the loop is seamless and the tone pure.
    expect(dbfs(toneAmplitude(l, 48000, 440))).toBeCloseTo(-12, 1);
    expect(dbfs(toneAmplitude(r, 48000, 880))).toBeCloseTo(-12, 1);
    expect(zeroCrossingFrequency(l, 48000)).toBeCloseTo(440, 1);
  });

  it('downmixes the stereo fixture to a mono link by averaging', () => {
    const src = createAudioSource(parseInputSpec(`file:${fixtures}tone-440-880-m12dbfs-s24-44k1-stereo.wav`), { sampleRate: 44100, channels: 1 });
    const x = channel(readMany(src, 44100, 441), 1, 0);
    const half = 10 ** (-12 / 20) / 2;
    expect(toneAmplitude(x, 44100, 440)).toBeCloseTo(half, 3);
    expect(toneAmplitude(x, 44100, 880)).toBeCloseTo(half, 3);
  });

  it('plays the 48 kHz mono fixture on a 48 kHz stereo link sample for sample', () => {
    const w = readWav(join(fixtures, 'tone-1k-m18dbfs-s16-48k-mono.wav'));
    const src = createAudioSource(parseInputSpec(`file:${fixtures}tone-1k-m18dbfs-s16-48k-mono.wav`), { sampleRate: 48000, channels: 2 });
    const x = readMany(src, 9600, 960);
    expect(Array.from(channel(x, 2, 0).subarray(0, 4800))).toEqual(Array.from(w.samples));
    expect(Array.from(channel(x, 2, 1).subarray(4800))).toEqual(Array.from(w.samples));
  });

  it('plays once and then silence when asked to', () => {
    const src = new WavFileSource(join(fixtures, 'tone-1k-m18dbfs-s16-48k-mono.wav'), { sampleRate: 16000, channels: 1, once: true });
    const x = readMany(src, 3200, 160);
    expect(dbfs(peak(x.subarray(160, 1500)))).toBeCloseTo(-18, 0);
    expect(peak(x.subarray(1700))).toBe(0);
  });

  it('names the file when it is not a WAV', () => {
    const f = join(dir, 'song.wav');
    writeFileSync(f, 'ID3 not really an mp3 either');
    let err: unknown;
    try {
      createAudioSource(parseInputSpec(`file:${f}`), { sampleRate: 48000, channels: 2 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AcipError);
    expect((err as AcipError).code).toBe('WAV_INVALID');
    expect((err as AcipError).message).toContain(f);
  });

  it('names the file when it holds no audio', () => {
    const f = join(dir, 'empty.wav');
    new StreamingWavWriter(f, { sampleRate: 48000, channels: 1 }).close();
    expect(() => new WavFileSource(f, { sampleRate: 48000, channels: 1 })).toThrow(new RegExp(`${f}: WAV file holds no audio frames`));
  });
});

describe('audio sinks', () => {
  it('the null sink counts and discards', async () => {
    const sink = createAudioSink(parseOutputSpec('null'), { sampleRate: 48000, channels: 2, linkId: 'a' });
    sink.write(new Float32Array(1920));
    await sink.close();
    expect(sink.stats()).toEqual({ kind: 'null', framesWritten: 960, droppedFrames: 0 });
  });

  it('the file sink gives each link its own 24-bit recording through {link}', async () => {
    const spec = parseOutputSpec(`file:${dir}/rec-{link}.wav`);
    const tone = new ToneSource({ sampleRate: 48000, channels: 2 });
    for (const linkId of ['studio-a', 'studio-b']) {
      const sink = createAudioSink(spec, { sampleRate: 48000, channels: 2, linkId });
      for (let i = 0; i < 50; i++) sink.write(tone.read(960));
      await sink.close();
      await sink.close();
      const w = readWav(join(dir, `rec-${linkId}.wav`));
      expect(w).toMatchObject({ sampleRate: 48000, channels: 2, bitDepth: 24, frames: 48000 });
      expect(dbfs(rms(channel(w.samples, 2, 0)))).toBeCloseTo(-21.01, 2);
    }
  });

  it('the file sink records 16-bit when asked', () => {
    const sink = createAudioSink(parseOutputSpec(`file:${dir}/sixteen.wav`), { sampleRate: 16000, channels: 1, linkId: 'x', bitDepth: 16 });
    sink.write(new Float32Array(160).fill(0.5));
    void sink.close();
    expect(readWav(join(dir, 'sixteen.wav'))).toMatchObject({ bitDepth: 16, frames: 160 });
  });

  it('the file sink keeps L24 audio bit-exact', () => {
    const sink = new WavFileSink(join(dir, 'l24.wav'), { sampleRate: 48000, channels: 2 });
    const x = new Float32Array(960 * 2);
    for (let i = 0; i < x.length; i++) x[i] = ((i * 104729) % 16777216) / 8388608 - 1;
    sink.write(x);
    sink.close();
    expect(readWav(join(dir, 'l24.wav')).samples).toEqual(x);
  });

  it('the file sink continues a recording that reaches the WAV size limit in a second file, without losing a sample', () => {
    const path = join(dir, 'long.wav');
    // A 30000-byte limit stands for the RIFF 4 GiB one: 5000 frames of 24-bit stereo per file.
    const sink = new WavFileSink(path, { sampleRate: 48000, channels: 2, maxDataBytes: 30000 });
    const tone = new ToneSource({ sampleRate: 48000, channels: 2 });
    const sent = tone.read(12000);
    for (let i = 0; i < 12000; i += 960) sink.write(sent.subarray(i * 2, Math.min(12000, i + 960) * 2));
    sink.close();
    expect(sink.files).toEqual([path, join(dir, 'long-part2.wav'), join(dir, 'long-part3.wav')]);
    const parts = sink.files.map((f) => readWav(f));
    expect(parts.map((p) => p.frames)).toEqual([5000, 5000, 2000]);
    const joined = new Float32Array(24000);
    let off = 0;
    for (const p of parts) {
      joined.set(p.samples, off);
      off += p.samples.length;
    }
    expect(joined).toEqual(sent.map((v) => Math.round(v * 8388608) / 8388608));
    expect(sink.stats()).toMatchObject({ framesWritten: 12000, droppedFrames: 0 });
  });

  it('the file sink names a path it cannot create', () => {
    expect(() => createAudioSink(parseOutputSpec('file:/nonexistent-dir/x.wav'), { sampleRate: 48000, channels: 1, linkId: 'a' })).toThrow(
      /\/nonexistent-dir\/x\.wav: cannot write WAV file/,
    );
  });
});
