/**
 * The codec records' buffer contract (codec.ts): `decode` and `conceal` return the decoder's own
 * array, reused from call to call (no allocation per frame in the media path) and valid until the next
 * call; `encode` returns a new payload the caller may keep (the loss-recovery stage keeps it for RTX).
 */
import { describe, expect, it } from 'vitest';
import { codecRegistry } from '../../server/codecs/registry.js';
import type { CodecParams } from '../../server/codecs/codec.js';

interface Case {
  codecId: string;
  params: CodecParams;
}

const CASES: Case[] = [
  { codecId: 'opus', params: { sampleRate: 48000, channels: 2, ptimeMs: 20, bitrate: 128000, complexity: 5, application: 'audio' } },
  { codecId: 'L16', params: { sampleRate: 48000, channels: 2, ptimeMs: 5 } },
  { codecId: 'L24', params: { sampleRate: 48000, channels: 2, ptimeMs: 5 } },
  { codecId: 'PCMA', params: { sampleRate: 8000, channels: 1, ptimeMs: 20 } },
  { codecId: 'PCMU', params: { sampleRate: 8000, channels: 1, ptimeMs: 20 } },
  { codecId: 'G722', params: { sampleRate: 16000, channels: 1, ptimeMs: 20 } },
];

/** Frame k of a 1 kHz tone at -18 dBFS peak, interleaved, the same on every channel. */
function toneFrame(p: CodecParams, samples: number, k: number): Float32Array {
  const out = new Float32Array(samples * p.channels);
  const a = 10 ** (-18 / 20);
  for (let i = 0; i < samples; i++) out.fill(a * Math.sin((2 * Math.PI * 1000 * (k * samples + i)) / p.sampleRate), i * p.channels, (i + 1) * p.channels);
  return out;
}

describe('codec buffer reuse', () => {
  for (const c of CASES) {
    it(`${c.codecId}: decode hands back the same array for every packet of a size, and a copy taken before the next call keeps its audio`, () => {
      const rec = codecRegistry.get(c.codecId);
      const enc = rec.createEncoder(c.params);
      const dec = rec.createDecoder(c.params);
      const payloads = Array.from({ length: 6 }, (_, k) => enc.encode(toneFrame(c.params, enc.samplesPerFrame, k)));
      // A fresh decoder decodes the same packets to the reference a kept copy must still equal.
      const ref = rec.createDecoder(c.params);
      const expected = payloads.map((p) => ref.decode(p).slice());
      const first = dec.decode(payloads[0]!);
      const kept = first.slice();
      for (let k = 1; k < payloads.length; k++) {
        const out = dec.decode(payloads[k]!);
        expect(out).toBe(first);
        expect(out).toEqual(expected[k]);
      }
      expect(kept).toEqual(expected[0]);
      enc.close();
      dec.close();
      ref.close();
    });

    it(`${c.codecId}: encode returns a new payload each time, which later frames leave unchanged`, () => {
      const rec = codecRegistry.get(c.codecId);
      const enc = rec.createEncoder(c.params);
      const a = enc.encode(toneFrame(c.params, enc.samplesPerFrame, 0));
      const copy = Buffer.from(a);
      const b = enc.encode(toneFrame(c.params, enc.samplesPerFrame, 1));
      expect(b).not.toBe(a);
      expect(a.equals(copy)).toBe(true);
      enc.close();
    });
  }

  for (const c of CASES.filter((x) => x.codecId !== 'opus')) {
    it(`${c.codecId}: conceal rewrites one array of its own, one frame per call`, () => {
      const rec = codecRegistry.get(c.codecId);
      const enc = rec.createEncoder(c.params);
      const dec = rec.createDecoder(c.params);
      dec.decode(enc.encode(toneFrame(c.params, enc.samplesPerFrame, 0)));
      const a = dec.conceal();
      expect(a).toHaveLength(dec.samplesPerFrame * dec.channels);
      expect(dec.conceal()).toBe(a);
      enc.close();
      dec.close();
    });
  }
});
