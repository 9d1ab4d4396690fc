import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ToneSource } from '../../server/media/tone-source.js';
import { parseWav, readWav, StreamingWavWriter } from '../../server/media/wav.js';
import { AcipError } from '../../server/util/errors.js';
import { requireProgram } from '../helpers/require-program.js';
import { channel, dbfs, peak, rms, toneAmplitude, zeroCrossingFrequency } from './analysis.js';

const fixtures = new URL('../fixtures/audio/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'acip-wav-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hasSox = requireProgram('sox');

function errorOf(fn: () => unknown): AcipError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AcipError) return e;
    throw e;
  }
  throw new Error('expected an AcipError');
}

describe('WAV reader', () => {
  it('reads the 16-bit mono 48 kHz fixture: a 1 kHz tone at -18 dBFS peak', () => {
    const w = readWav(join(fixtures, 'tone-1k-m18dbfs-s16-48k-mono.wav'));
    expect(w).toMatchObject({ sampleRate: 48000, channels: 1, bitDepth: 16, format: 'pcm', frames: 4800, truncated: false });
    expect(Math.abs(dbfs(peak(w.samples)) - -18)).toBeLessThan(0.01);
    expect(Math.abs(zeroCrossingFrequency(w.samples, 48000) - 1000)).toBeLessThan(0.5);
  });

  it('reads the 24-bit stereo 44.1 kHz EXTENSIBLE fixture with 440 Hz left and 880 Hz right', () => {
    const w = readWav(join(fixtures, 'tone-440-880-m12dbfs-s24-44k1-stereo.wav'));
    expect(w).toMatchObject({ sampleRate: 44100, channels: 2, bitDepth: 24, format: 'pcm', frames: 2205 });
    const l = channel(w.samples, 2, 0);
    const r = channel(w.samples, 2, 1);
    expect(toneAmplitude(l, 44100, 440)).toBeCloseTo(10 ** (-12 / 20), 3);
    expect(toneAmplitude(r, 44100, 880)).toBeCloseTo(10 ** (-12 / 20), 3);
    expect(dbfs(toneAmplitude(l, 44100, 880))).toBeLessThan(-60);
  });

  const formats: Array<[bits: number, encoding: string, rate: number, channels: number]> = [
    [8, 'unsigned-integer', 16000, 1],
    [16, 'signed-integer', 44100, 2],
    [24, 'signed-integer', 48000, 1],
    [32, 'signed-integer', 48000, 2],
    [32, 'floating-point', 44100, 1],
    [64, 'floating-point', 16000, 2],
  ];
  it.skipIf(!hasSox).each(formats)(
    'decodes %i-bit %s at %i Hz, %i channel(s), sample for sample as sox does',
    (bits, encoding, rate, ch) => {
      const f = join(dir, `t-${bits}-${encoding}-${rate}-${ch}.wav`);
      const synth = ch === 2 ? ['sine', '1000', 'sine', '1500'] : ['sine', '1000'];
      execFileSync('sox', ['-D', '-n', '-r', String(rate), '-c', String(ch), '-b', String(bits), '-e', encoding, f, 'synth', '0.05', ...synth, 'gain', '-3']);
      const w = readWav(f);
      expect(w).toMatchObject({ sampleRate: rate, channels: ch, bitDepth: bits, format: encoding === 'floating-point' ? 'float' : 'pcm' });
      expect(w.frames).toBe(Math.round(rate * 0.05));
      const raw = execFileSync('sox', ['-D', f, '-t', 'f32', '-e', 'floating-point', '-']);
      const ref = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      expect(w.samples.length).toBe(ref.length);
      let maxDiff = 0;
      for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i]! - w.samples[i]!));
      // Up to 24 bits and 32-bit float, both are exact. sox passes 32-bit int and 64-bit float through its
      // own 32-bit integer sample and rounds differently from a direct conversion: allow one float32 step.
      const exact = bits <= 24 || (bits === 32 && encoding === 'floating-point');
      expect(maxDiff).toBeLessThanOrEqual(exact ? 0 : 2 ** -24);
      expect(Math.abs(dbfs(toneAmplitude(channel(w.samples, ch, 0), rate, 1000)) - -3)).toBeLessThan(bits === 8 ? 0.2 : 0.01);
    },
  );

  it('rejects a file that is not a WAV, naming the file', () => {
    const f = join(dir, 'notes.wav');
    writeFileSync(f, 'this is a text file, not audio');
    const e = errorOf(() => readWav(f));
    expect(e.code).toBe('WAV_INVALID');
    expect(e.message).toContain(f);
    expect(e.message).toMatch(/missing RIFF signature/);
  });

  it.skipIf(!hasSox)('rejects compressed WAV (A-law) as unsupported, naming the file and the format', () => {
    const f = join(dir, 'alaw.wav');
    execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', f, 'synth', '0.01', 'sine', '1000']);
    const e = errorOf(() => readWav(f));
    expect(e.code).toBe('WAV_UNSUPPORTED');
    expect(e.message).toContain(f);
    expect(e.message).toMatch(/format tag 0x6/);
  });

  it('names a missing file', () => {
    const e = errorOf(() => readWav(join(dir, 'missing.wav')));
    expect(e.code).toBe('WAV_UNREADABLE');
    expect(e.message).toContain('missing.wav');
  });

  it('reads a recording cut short up to its last whole frame and flags it truncated', () => {
    const bytes = readFileSync(join(fixtures, 'tone-1k-m18dbfs-s16-48k-mono.wav'));
    const cut = bytes.subarray(0, 44 + 1001); // 500 whole frames and half a sample
    const w = parseWav(cut, 'cut.wav');
    expect(w.truncated).toBe(true);
    expect(w.frames).toBe(500);
    expect(Array.from(w.samples)).toEqual(Array.from(parseWav(bytes).samples.subarray(0, 500)));
  });

  it.each([
    ['a header shorter than 12 bytes', Buffer.from('RIFF'), /shorter than a RIFF header/],
    ['a RIFF that is not WAVE', Buffer.from('RIFF\x04\x00\x00\x00AVI '), /not WAVE/],
    ['no data chunk', Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00'), Buffer.from([1, 0, 1, 0, 0x80, 0xbb, 0, 0, 0, 0x77, 1, 0, 2, 0, 16, 0])]), /no data chunk/],
    ['a fmt chunk running past the end', Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00'), /fmt chunk of 16 bytes/],
  ])('rejects %s', (_what, bytes, message) => {
    const e = errorOf(() => parseWav(bytes, 'x.wav'));
    expect(e.message).toMatch(message);
    expect(e.message).toContain('x.wav');
  });
});

describe('streaming WAV writer', () => {
  it('writes 24-bit audio that reads back bit-exactly', () => {
    const f = join(dir, 'w24.wav');
    const w = new StreamingWavWriter(f, { sampleRate: 48000, channels: 2, bitDepth: 24 });
    const x = new Float32Array(4801 * 2);
    for (let i = 0; i < x.length; i++) x[i] = (((i * 7919) % 16777216) - 8388608) / 8388608;
    w.write(x.subarray(0, 1000));
    w.write(x.subarray(1000));
    w.close();
    w.close();
    const r = readWav(f);
    expect(r).toMatchObject({ sampleRate: 48000, channels: 2, bitDepth: 24, frames: 4801, truncated: false });
    expect(r.samples).toEqual(x);
  });

  it('pads an odd-sized data chunk and keeps the file valid for other readers', () => {
    const f = join(dir, 'odd.wav');
    const w = new StreamingWavWriter(f, { sampleRate: 16000, channels: 1, bitDepth: 24 });
    w.write(new Float32Array(101).fill(0.25));
    w.close();
    const bytes = readFileSync(f);
    expect(bytes.length).toBe(44 + 303 + 1);
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
    expect(readWav(f).frames).toBe(101);
  });

  it('updates the header as it goes, so the file is valid while still being written', () => {
    const f = join(dir, 'live.wav');
    const w = new StreamingWavWriter(f, { sampleRate: 48000, channels: 1, bitDepth: 16, flushIntervalMs: 20 });
    expect(readWav(f).frames).toBe(0);
    const tone = new ToneSource({ sampleRate: 48000, channels: 1 });
    for (let i = 0; i < 10; i++) w.write(tone.read(480));
    // 4800 frames written, 960 per flush: all committed and readable before close.
    const mid = readWav(f);
    expect(mid.frames).toBe(4800);
    expect(w.framesCommitted).toBe(4800);
    expect(Math.abs(dbfs(rms(mid.samples)) - (-18 - 3.0103))).toBeLessThan(0.01);
    w.close();
  });

  it.skipIf(!requireProgram('soxi'))('produces files that sox reads with the right format and length', () => {
    const f = join(dir, 'soxi.wav');
    const w = new StreamingWavWriter(f, { sampleRate: 44100, channels: 2, bitDepth: 24 });
    w.write(new ToneSource({ sampleRate: 44100, channels: 2 }).read(44100));
    w.close();
    const info = execFileSync('soxi', [f]).toString();
    expect(info).toMatch(/Channels\s*: 2/);
    expect(info).toMatch(/Sample Rate\s*: 44100/);
    expect(info).toMatch(/Precision\s*: 24-bit/);
    expect(info).toMatch(/= 44100 samples/);
  });

  it('leaves a valid file holding everything up to the last header update when the writer is killed with SIGKILL', async () => {
    const f = join(dir, 'killed.wav');
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./wav-writer-child.ts', import.meta.url).pathname, f], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let seen = 0;
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (b: Buffer) => {
        buf += b.toString();
        const m = [...buf.matchAll(/committed (\d+)\n/g)].pop();
        if (m) seen = Number(m[1]);
        if (seen >= 48000 && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => (seen >= 48000 ? resolve() : reject(new Error(`child exited early: ${stderr}`))));
    });
    expect(await exited).toBe('SIGKILL');
    const r = readWav(f);
    expect(r.truncated).toBe(false);
    expect(r.frames).toBeGreaterThanOrEqual(seen);
    expect(r.frames % 4800).toBe(0); // exactly a number of 100 ms header updates
    const tone = new ToneSource({ sampleRate: 48000, channels: 2, frequencyHz: 997, levelDbfs: -6 });
    const expected = tone.read(r.frames).map((v) => Math.round(v * 8388608) / 8388608);
    expect(r.samples).toEqual(expected);
  });
});
