/** Measurements for the link acceptance tests that audio-measure.ts does not have. */
import type { WavData } from '../../../server/media/wav.js';
import { goertzelDbfs } from '../../helpers/audio-measure.js';

/** The strongest frequency (1 Hz steps, Goertzel with a Hann window) of channel 0 within [loHz, hiHz]. */
export function dominantFrequency(wav: WavData, skipS: number, windowS: number, loHz: number, hiHz: number): number {
  const start = Math.min(Math.floor(skipS * wav.sampleRate), wav.frames);
  const end = Math.min(wav.frames, start + Math.floor(windowS * wav.sampleRate));
  const x = wav.samples.subarray(start * wav.channels, end * wav.channels);
  let best = loHz;
  let bestDb = -Infinity;
  for (let f = loHz; f <= hiHz; f++) {
    const db = goertzelDbfs(x, wav.sampleRate, f, wav.channels, 0);
    if (db > bestDb) {
      bestDb = db;
      best = f;
    }
  }
  return best;
}
