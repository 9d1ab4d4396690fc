import { describe, expect, it } from 'vitest';
import type { CodecParams, CodecRecord } from '../../server/codecs/codec.js';
import { codecRegistry } from '../../server/codecs/registry.js';
import { estimateFrequency, goertzelDbfs, rmsDbfs, sine } from '../helpers/audio-measure.js';

/** Every codec in the registry, in each of its channel layouts, carries the EBU line-up tone. */
function cases(): Array<{ rec: CodecRecord; p: CodecParams }> {
  const out: Array<{ rec: CodecRecord; p: CodecParams }> = [];
  for (const rec of codecRegistry.all()) for (const channels of rec.channels) out.push({ rec, p: { ...rec.defaultParams, channels } });
  return out;
}

describe('1 kHz tone at -18 dBFS peak through every codec', () => {
  for (const { rec, p } of cases()) {
    it(`${rec.id} ${p.channels === 2 ? 'stereo' : 'mono'} at ${p.sampleRate} Hz keeps the level within 0.5 dB and the frequency within 5 Hz`, () => {
      const enc = rec.createEncoder(p);
      const dec = rec.createDecoder(p);
      const n = enc.samplesPerFrame;
      const frames = Math.ceil((0.5 * p.sampleRate) / n); // half a second
      const warm = Math.ceil((0.1 * p.sampleRate) / n); // skip codec start-up
      const inp: number[] = [];
      const out: number[] = [];
      for (let k = 0; k < frames; k++) {
        const f = sine(p.sampleRate, 1000, -18, n, p.channels, k * n);
        const d = dec.decode(enc.encode(f));
        expect(d.length).toBe(n * p.channels);
        if (k >= warm) {
          inp.push(...f);
          out.push(...d);
        }
      }
      enc.close();
      dec.close();
      for (let c = 0; c < p.channels; c++) {
        expect(Math.abs(rmsDbfs(out, p.channels, c) - rmsDbfs(inp, p.channels, c))).toBeLessThan(0.5);
        expect(Math.abs(estimateFrequency(out, p.sampleRate, p.channels, c) - 1000)).toBeLessThan(5);
        expect(Math.abs(goertzelDbfs(out, p.sampleRate, 1000, p.channels, c) - -18)).toBeLessThan(0.5);
      }
    });
  }
});
