/**
 * Acceptance: an L24 call between two acip instances carries bit-exact audio.
 *
 * Instance A plays a known 24-bit stereo 48 kHz WAV (pseudo-random samples over the whole 24-bit range,
 * written by the test) into an l24-stereo-48k link to instance B, which records it to a 24-bit WAV.
 * The recording is aligned to the source (it starts at an unknown point of the looped file) and must
 * match it sample for sample over a long run; only the start and the end may be cut.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePcm, wavHeader } from '../../../server/media/wav.js';
import { readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from './harness.js';

const RATE = 48000;
const CH = 2;
const SOURCE_S = 3;

/** Deterministic pseudo-random 24-bit samples (xorshift32), as floats x / 2^23. */
function knownSamples(frames: number): Float32Array {
  const out = new Float32Array(frames * CH);
  let s = 0x2545f491;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 8) - 0x800000) / 0x800000; // integer in [-2^23, 2^23)
  }
  return out;
}

/** Length of the longest run of frames where `rec` equals the looped `src` at the best alignment. */
function longestExactRun(src: Float32Array, rec: Float32Array): { offset: number; runFrames: number; startFrame: number } {
  const srcFrames = src.length / CH;
  const recFrames = rec.length / CH;
  // Index every source position by a key of 2 consecutive frames (4 samples): random data makes it unique.
  const key = (x: Float32Array, f: number) => `${x[f * CH]},${x[f * CH + 1]},${x[((f + 1) % (x.length / CH)) * CH]},${x[((f + 1) % (x.length / CH)) * CH + 1]}`;
  const index = new Map<string, number>();
  for (let f = 0; f < srcFrames; f++) index.set(key(src, f), f);
  let best = { offset: -1, runFrames: 0, startFrame: 0 };
  let f = 0;
  while (f < recFrames - 1) {
    const at = index.get(key(rec, f));
    if (at === undefined) {
      f++;
      continue;
    }
    let n = 0;
    while (f + n < recFrames) {
      const s = ((at + n) % srcFrames) * CH;
      const r = (f + n) * CH;
      if (rec[r] !== src[s] || rec[r + 1] !== src[s + 1]) break;
      n++;
    }
    if (n > best.runFrames) best = { offset: at - f, runFrames: n, startFrame: f };
    f += Math.max(1, n);
  }
  return best;
}

describe('an L24 call between two acip instances', () => {
  let dir: string;
  let a: LtAcip;
  let b: LtAcip;
  let src: Float32Array;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acip-lt-l24-'));
    src = knownSamples(SOURCE_S * RATE);
    const pcm = encodePcm(src, 24);
    writeFileSync(join(dir, 'known.wav'), Buffer.concat([wavHeader(RATE, CH, 24, pcm.length), pcm]));
    writeFileSync(join(dir, 'b.yaml'), 'defaultProfile: l24-stereo-48k\n');
    [a, b] = await Promise.all([
      startLtAcip({ args: ['--input', `file:${join(dir, 'known.wav')}`], output: 'null' }),
      // The answering side uses the L24 profile too: its `stretch: false` is what keeps received PCM
      // bit-exact (a receiver that may stretch splices while its buffer settles).
      startLtAcip({ args: ['--input', 'silence', '--answer-policy', 'auto', '--config', join(dir, 'b.yaml')], output: `file:${dir}/rec-{link}.wav` }),
    ]);
  }, 40_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries bit-exact 24-bit audio for at least 2 s', async () => {
    const r = await a.api('POST', '/api/links', { to: `sip:b@127.0.0.1:${b.sipPort}`, profile: 'l24-stereo-48k' });
    expect(r.status).toBe(201);
    const up = await waitForLinkState(a, r.body.id, 'connected', 8000);
    expect(up.state).toBe('connected');
    expect(up.codec).toMatchObject({ name: 'L24', clockRate: 48000, channels: 2 });
    const inbound = await waitFor(async () => ((await b.api('GET', '/api/links')).body.links as any[]).find((l) => l.state === 'connected'), 5000);
    expect(inbound).toBeTruthy();
    await sleep(4000);
    const bSnap = (await b.api('GET', `/api/links/${inbound.id}`)).body;
    await a.api('DELETE', `/api/links/${r.body.id}`);
    await waitForLinkState(b, inbound.id, 'ended', 8000);
    const rec = readWavFile(join(dir, `rec-${inbound.id}.wav`));
    expect([rec.sampleRate, rec.channels, rec.bitDepth]).toEqual([RATE, CH, 24]);
    const run = longestExactRun(src, rec.samples);
    console.log(`L24: recording ${rec.frames} frames, longest exact run ${run.runFrames} frames (${(run.runFrames / RATE).toFixed(2)} s) from frame ${run.startFrame}; B rx ${JSON.stringify(bSnap.rx)}; B buffer ${JSON.stringify(bSnap.ebuacip?.applied)}`);
    expect(run.runFrames / RATE).toBeGreaterThanOrEqual(2);
  }, 40_000);
});
