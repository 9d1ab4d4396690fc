/**
 * ALSA capture and playback through real arecord/aplay subprocesses. There is no sound card here,
 * so the devices are ALSA's `null` PCM and `file` PCMs defined in a private config file
 * (ALSA_CONFIG_PATH = the system alsa.conf plus ours): playback writes the raw stream to a file,
 * capture reads a known raw stream from an `infile`. Both plugins run faster than real time.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlsaSink } from '../../server/media/alsa-sink.js';
import { AlsaSource } from '../../server/media/alsa-source.js';
import { createAudioSink } from '../../server/media/audio-sink.js';
import { createAudioSource } from '../../server/media/audio-source.js';
import { parseInputSpec, parseOutputSpec } from '../../server/media/audio-spec.js';
import { decodeRaw } from '../../server/media/alsa-pcm.js';
import { ToneSource } from '../../server/media/tone-source.js';
import { readWav } from '../../server/media/wav.js';
import type { AcipError } from '../../server/util/errors.js';
import { requireProgram } from '../helpers/require-program.js';
import { channel, dbfs, rms, zeroCrossingFrequency } from './analysis.js';

const hasAlsa = requireProgram('arecord') && requireProgram('aplay');
const hasSox = requireProgram('sox');
const fixture = new URL('../fixtures/audio/tone-1k-m18dbfs-s16-48k-mono.wav', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'acip-alsa-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const outRaw = join(dir, 'played.raw');
const inRaw = join(dir, 'capture-in.raw');
const conf = join(dir, 'asoundrc');
writeFileSync(
  conf,
  `pcm.acip_play_file {
  type file
  slave.pcm "null"
  file "${outRaw}"
  format "raw"
}
pcm.acip_capture_file {
  type file
  slave.pcm "null"
  file "/dev/null"
  infile "${inRaw}"
  format "raw"
}
`,
);
const env = { ...process.env, ALSA_CONFIG_PATH: `/usr/share/alsa/alsa.conf:${conf}` };

/** Waits (bounded: at most `ms`) until `cond` holds. Returns whether it did. */
async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 10) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

describe.skipIf(!hasAlsa)('ALSA through arecord and aplay', () => {
  it('plays a tone through aplay into an ALSA file PCM, sample for sample (S32_LE, 48 kHz stereo)', async () => {
    const sink = createAudioSink(parseOutputSpec('alsa:acip_play_file'), {
      sampleRate: 48000,
      channels: 2,
      linkId: 'a',
      alsa: { env, maxQueueMs: 10_000 },
    });
    const errors: AcipError[] = [];
    sink.on('error', (e) => errors.push(e));
    const tone = new ToneSource({ sampleRate: 48000, channels: 2, frequencyHz: 997, levelDbfs: -18 });
    const sent: Float32Array[] = [];
    for (let i = 0; i < 50; i++) {
      const f = tone.read(960).slice(); // a read is valid until the next one: keep a copy
      sent.push(f);
      sink.write(f);
    }
    await sink.close();
    expect(errors).toEqual([]);
    expect(sink.stats()).toMatchObject({ framesWritten: 48000, droppedFrames: 0 });
    const played = decodeRaw(readFileSync(outRaw), 'S32_LE');
    expect(played.length).toBeGreaterThanOrEqual(96000); // aplay pads its last period with silence
    const expected = new Float32Array(96000);
    sent.forEach((f, i) => expected.set(f, i * 1920));
    // Quantised to S32_LE steps of 2^-31 (lossless for 24-bit audio), otherwise untouched.
    for (let i = 0; i < expected.length; i++) expected[i] = Math.round(expected[i]! * 2 ** 31) / 2 ** 31;
    expect(played.subarray(0, 96000)).toEqual(expected);
    const left = channel(played.subarray(0, 96000), 2, 0);
    expect(dbfs(rms(left))).toBeCloseTo(-21.01, 2);
    expect(zeroCrossingFrequency(left, 48000)).toBeCloseTo(997, 1);
  });

  it('plays into ALSA’s null device and closes cleanly', async () => {
    const sink = new AlsaSink({ device: 'null', sampleRate: 48000, channels: 2, sampleFormat: 'S16_LE' });
    const errors: AcipError[] = [];
    sink.on('error', (e) => errors.push(e));
    const tone = new ToneSource({ sampleRate: 48000, channels: 2 });
    for (let i = 0; i < 20; i++) sink.write(tone.read(960));
    await sink.close();
    await sink.close();
    expect(errors).toEqual([]);
    expect(sink.stats().framesWritten).toBe(19200);
    expect(processGone(sink.pid!)).toBe(true);
  });

  it.skipIf(!hasSox)('captures a known WAV through arecord from an ALSA file PCM, sample for sample', async () => {
    // The fixture (1 kHz, -18 dBFS, 16-bit 48 kHz mono) as raw S32_LE, converted by sox.
    execFileSync('sox', ['-D', fixture, '-t', 'raw', '-e', 'signed-integer', '-b', '32', '-L', inRaw]);
    const known = readWav(fixture).samples; // 4800 frames
    const src = createAudioSource(parseInputSpec('alsa:acip_capture_file'), { sampleRate: 48000, channels: 1, alsa: { env } });
    const errors: AcipError[] = [];
    src.on('error', (e) => errors.push(e));
    try {
      const alsa = src as AlsaSource;
      expect(await until(() => alsa.queuedFrames >= 4800)).toBe(true);
      const got = new Float32Array(4800);
      for (let i = 0; i < 5; i++) got.set(src.read(960), i * 960);
      expect(got).toEqual(known);
      expect(dbfs(rms(got))).toBeCloseTo(-21.01, 2);
      // The plugin delivers faster than real time: the queue stays bounded (stdout paused) and nothing is dropped.
      expect(alsa.queuedFrames).toBeLessThanOrEqual(9600);
      expect(src.stats()).toMatchObject({ framesRead: 4800, underrunFrames: 0, droppedFrames: 0 });
      expect(errors).toEqual([]);
    } finally {
      src.close();
    }
    const pid = (src as AlsaSource).pid!;
    expect(await until(() => processGone(pid))).toBe(true);
  });

  it('reads silence, counted, when capture has nothing yet, and kills arecord by PID on close', async () => {
    // A real-rate capture from the null device: arecord runs but we read before/faster than it delivers.
    const src = new AlsaSource({ device: 'null', sampleRate: 8000, channels: 1, queueMs: 50 });
    const first = src.read(80);
    expect(first.length).toBe(80);
    const pid = src.pid!;
    expect(processGone(pid)).toBe(false);
    src.close();
    src.close();
    expect(await until(() => processGone(pid))).toBe(true);
  });

  it('raises an error event naming the device when arecord fails', async () => {
    const src = new AlsaSource({ device: 'acip_no_such_pcm', sampleRate: 48000, channels: 2, env });
    const errors: AcipError[] = [];
    src.on('error', (e) => errors.push(e));
    expect(await until(() => errors.length > 0)).toBe(true);
    expect(errors[0]!.code).toBe('ALSA_CAPTURE_FAILED');
    expect(errors[0]!.message).toMatch(/arecord -D acip_no_such_pcm exited with code 1/);
    expect(errors[0]!.message).toMatch(/acip_no_such_pcm/);
    expect(src.read(960).every((v) => v === 0)).toBe(true);
    src.close();
  });

  it('raises an error event naming the device when aplay fails, and drops what follows', async () => {
    const sink = new AlsaSink({ device: 'acip_no_such_pcm', sampleRate: 48000, channels: 2, env });
    const errors: AcipError[] = [];
    sink.on('error', (e) => errors.push(e));
    expect(await until(() => errors.length > 0)).toBe(true);
    expect(errors[0]!.code).toBe('ALSA_PLAYBACK_FAILED');
    expect(errors[0]!.message).toMatch(/aplay -D acip_no_such_pcm exited with code 1/);
    sink.write(new Float32Array(1920));
    expect(sink.stats().droppedFrames).toBe(960);
    await sink.close();
  });

  it('drops and counts frames instead of buffering without bound when the player stops reading', async () => {
    // A stand-in "aplay" that never reads its stdin.
    const stuck = join(dir, 'stuck-player.sh');
    writeFileSync(stuck, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(stuck, 0o755);
    const sink = new AlsaSink({ device: 'x', sampleRate: 48000, channels: 2, command: stuck, maxQueueMs: 100, closeTimeoutMs: 100 });
    const frame = new Float32Array(1920);
    for (let i = 0; i < 200; i++) sink.write(frame); // 4 s of audio into a pipe nobody reads
    const s = sink.stats();
    expect(s.droppedFrames).toBeGreaterThan(0);
    expect(s.framesWritten + s.droppedFrames).toBe(200 * 960);
    // Bounded: at most the 100 ms limit (38400 bytes of S32 stereo) plus one frame waits in Node.
    expect(sink.queuedBytes).toBeLessThanOrEqual(38400 + 960 * 8);
    await sink.close(); // kills the stuck player after 100 ms
    expect(processGone(sink.pid!)).toBe(true);
  });
});
