import { describe, expect, it } from 'vitest';
import { FADE_MS } from '../../server/codecs/fade-concealer.js';
import { l16Codec, l24Codec, pcmMaxPtimeMs, pcmMaxSamplesPerPacket } from '../../server/codecs/pcm.js';
import { isAcipError } from '../../server/util/errors.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isAcipError(e) ? e.code : 'untyped';
  }
  return undefined;
}

/** Deterministic pseudo-random integers (xorshift) covering the whole code range. */
function randomInts(n: number, bits: number, seed = 12345): Int32Array {
  let s = seed >>> 0;
  const out = new Int32Array(n);
  const range = 2 ** bits;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s % range) - range / 2;
  }
  out[0] = -(range / 2);
  out[1] = range / 2 - 1;
  return out;
}

describe('L24 (RFC 3190)', () => {
  it('is bit-exact: L24 bytes in -> float -> L24 bytes out for every sample value tried', () => {
    const p = { sampleRate: 48000, channels: 2, ptimeMs: 1 };
    const dec = l24Codec.createDecoder(p);
    const enc = l24Codec.createEncoder(p);
    const ints = randomInts(96 * 50, 24);
    for (let k = 0; k < 50; k++) {
      const payload = Buffer.alloc(96 * 3);
      for (let i = 0; i < 96; i++) payload.writeIntBE(ints[k * 96 + i] as number, i * 3, 3);
      const back = enc.encode(dec.decode(payload));
      expect(back.equals(payload)).toBe(true);
    }
  });

  it('writes samples in network byte order with the exact x / 2^23 scale', () => {
    const enc = l24Codec.createEncoder({ sampleRate: 48000, channels: 1, ptimeMs: 1 });
    const f = new Float32Array(48);
    f[0] = 0.5;
    f[1] = -1;
    f[2] = 1 / 8388608;
    f[3] = 1; // clips to the largest code
    const out = enc.encode(f);
    expect([...out.subarray(0, 12)]).toEqual([0x40, 0, 0, 0x80, 0, 0, 0, 0, 1, 0x7f, 0xff, 0xff]);
    const dec = l24Codec.createDecoder({ sampleRate: 48000, channels: 1, ptimeMs: 1 });
    const back = dec.decode(out);
    expect([back[0], back[1], back[2], back[3]]).toEqual([0.5, -1, 1 / 8388608, 8388607 / 8388608]);
  });
});

describe('L16 (RFC 3551 §4.5.11)', () => {
  it('is bit-exact: L16 bytes in -> float -> L16 bytes out', () => {
    const p = { sampleRate: 44100, channels: 1, ptimeMs: 10 };
    const dec = l16Codec.createDecoder(p);
    const enc = l16Codec.createEncoder(p);
    const ints = randomInts(441 * 20, 16, 777);
    for (let k = 0; k < 20; k++) {
      const payload = Buffer.alloc(441 * 2);
      for (let i = 0; i < 441; i++) payload.writeInt16BE(ints[k * 441 + i] as number, i * 2);
      expect(enc.encode(dec.decode(payload)).equals(payload)).toBe(true);
    }
  });

  it('interleaves stereo samples left first, big-endian', () => {
    const enc = l16Codec.createEncoder({ sampleRate: 48000, channels: 2, ptimeMs: 1 });
    const f = new Float32Array(96);
    f[0] = 0.25;
    f[1] = -0.25;
    expect([...enc.encode(f).subarray(0, 4)]).toEqual([0x20, 0x00, 0xe0, 0x00]);
  });
});

describe('linear PCM packet times', () => {
  it('computes the largest packet that fits a 1500-byte MTU: (1500 - 20 - 8 - 12) / (bytes per sample × channels)', () => {
    expect(pcmMaxSamplesPerPacket(24, 2)).toBe(243);
    expect(pcmMaxSamplesPerPacket(24, 1)).toBe(486);
    expect(pcmMaxSamplesPerPacket(16, 2)).toBe(365);
    expect(pcmMaxSamplesPerPacket(16, 1)).toBe(730);
    expect(pcmMaxPtimeMs(24, 48000, 2)).toBe(5);
    expect(pcmMaxPtimeMs(24, 48000, 1)).toBe(10);
    expect(pcmMaxPtimeMs(16, 48000, 2)).toBe(7);
    expect(pcmMaxPtimeMs(16, 32000, 1)).toBe(22);
    expect(l24Codec.ptime.maxMs({ sampleRate: 48000, channels: 2 })).toBe(5);
  });

  it('accepts every whole-ms packet time from 1 ms to the MTU limit and refuses the next one', () => {
    for (let ms = 1; ms <= 5; ms++) {
      const p = { sampleRate: 48000, channels: 2, ptimeMs: ms };
      expect(l24Codec.validate(p)).toBe(p);
      expect(l24Codec.maxPayloadBytes(p, ms)).toBeLessThanOrEqual(1460);
    }
    expect(code(() => l24Codec.createEncoder({ sampleRate: 48000, channels: 2, ptimeMs: 6 }))).toBe('CODEC_BAD_PARAMS');
  });

  it('refuses a packet time that is not a whole number of samples (1 ms at 44.1 kHz)', () => {
    expect(code(() => l16Codec.validate({ sampleRate: 44100, channels: 1, ptimeMs: 1 }))).toBe('CODEC_BAD_PARAMS');
    expect(code(() => l16Codec.validate({ sampleRate: 22050, channels: 1, ptimeMs: 2 }))).toBe('CODEC_BAD_PARAMS');
  });

  it('decodes a payload of another packet time entirely, and drops a payload with a partial sample frame', () => {
    const dec = l24Codec.createDecoder({ sampleRate: 48000, channels: 2, ptimeMs: 1 });
    expect(dec.decode(Buffer.alloc(6 * 240))).toHaveLength(480);
    expect(code(() => dec.decode(Buffer.alloc(7)))).toBe('CODEC_BAD_PAYLOAD');
    expect(code(() => dec.decode(Buffer.alloc(0)))).toBe('CODEC_BAD_PAYLOAD');
    expect(code(() => l24Codec.createEncoder({ sampleRate: 48000, channels: 2, ptimeMs: 1 }).encode(new Float32Array(95)))).toBe('CODEC_BAD_FRAME');
  });
});

describe('linear PCM concealment', () => {
  it('repeats the last frame fading to silence within FADE_MS, one frame per call', () => {
    const p = { sampleRate: 48000, channels: 1, ptimeMs: 1 };
    const enc = l16Codec.createEncoder(p);
    const dec = l16Codec.createDecoder(p);
    dec.decode(enc.encode(new Float32Array(48).fill(0.5)));
    const frames: Float32Array[] = [];
    // Each call rewrites the decoder's own array: keep copies.
    for (let i = 0; i < FADE_MS + 3; i++) frames.push(dec.conceal().slice());
    for (const f of frames) expect(f).toHaveLength(48);
    expect(frames[0]?.[0]).toBeCloseTo(0.5, 6);
    // Monotonic fade, silent once FADE_MS of audio has been concealed.
    const flat = frames.flatMap((f) => [...f]);
    for (let i = 1; i < flat.length; i++) expect(flat[i]).toBeLessThanOrEqual(flat[i - 1] as number);
    expect(flat.slice(48 * FADE_MS).every((v) => v === 0)).toBe(true);
    // Good audio afterwards is untouched (bit-exact), and the fade restarts from full gain.
    const good = dec.decode(enc.encode(new Float32Array(48).fill(0.25)));
    expect(good.every((v) => v === 0.25)).toBe(true);
    expect(dec.conceal()[0]).toBe(0.25);
  });

  it('conceals silence before any packet has arrived', () => {
    const dec = l24Codec.createDecoder({ sampleRate: 48000, channels: 2, ptimeMs: 5 });
    const f = dec.conceal();
    expect(f).toHaveLength(480);
    expect(f.every((v) => v === 0)).toBe(true);
  });
});
