/**
 * Child process for the "killed while recording" test (not a test file): records a 997 Hz tone
 * at -6 dBFS, 48 kHz stereo 24-bit, as fast as it can, printing the committed frame count after
 * every header update, until killed (or after 30 s, as a safety bound).
 * Usage: node --import tsx wav-writer-child.ts OUT.wav
 */
import { StreamingWavWriter } from '../../server/media/wav.js';
import { ToneSource } from '../../server/media/tone-source.js';

const path = process.argv[2];
if (!path) throw new Error('usage: wav-writer-child.ts OUT.wav');
const tone = new ToneSource({ sampleRate: 48000, channels: 2, frequencyHz: 997, levelDbfs: -6 });
const w = new StreamingWavWriter(path, { sampleRate: 48000, channels: 2, bitDepth: 24, flushIntervalMs: 100 });
const started = Date.now();
let last = 0;
function step(): void {
  for (let i = 0; i < 5; i++) w.write(tone.read(960));
  if (w.framesCommitted !== last) {
    last = w.framesCommitted;
    process.stdout.write(`committed ${last}\n`);
  }
  if (Date.now() - started < 30_000) setImmediate(step);
}
step();
