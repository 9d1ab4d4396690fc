/** Builds the audio source an `--input` spec names, at the link's rate and channel count. */
import type { InputSpec } from './audio-spec.js';
import type { AudioSource } from './audio-io.js';
import type { AlsaSampleFormat } from './alsa-pcm.js';
import { AlsaSource } from './alsa-source.js';
import { LoopbackSource } from './loopback-source.js';
import { SilenceSource } from './silence-source.js';
import { ToneSource } from './tone-source.js';
import { WavFileSource } from './wav-file-source.js';

export type { AudioSource, AudioSourceStats } from './audio-io.js';
export { LoopbackSource } from './loopback-source.js';

/** The media session feeds a loopback input from its receive path: `if (isLoopbackSource(s)) s.push(frame)`. */
export function isLoopbackSource(s: AudioSource): s is LoopbackSource {
  return s instanceof LoopbackSource;
}

export interface AudioSourceParams {
  sampleRate: number;
  channels: number;
  /** ALSA capture options. */
  alsa?: { sampleFormat?: AlsaSampleFormat; periodMs?: number; queueMs?: number; env?: NodeJS.ProcessEnv; command?: string };
}

/**
 * Throws AcipError (AUDIO_SPEC_INVALID for a tone above Nyquist, WAV_* for a bad file) when the
 * spec cannot be honoured at these parameters. A `loopback` source is a LoopbackSource: the
 * media session feeds it with `push()` from its receive path.
 */
export function createAudioSource(spec: InputSpec, params: AudioSourceParams): AudioSource {
  const { sampleRate, channels } = params;
  switch (spec.kind) {
    case 'tone':
      return new ToneSource({ sampleRate, channels, frequencyHz: spec.frequencyHz, levelDbfs: spec.levelDbfs });
    case 'silence':
      return new SilenceSource(sampleRate, channels);
    case 'file':
      return new WavFileSource(spec.path, { sampleRate, channels });
    case 'loopback':
      return new LoopbackSource({ sampleRate, channels });
    case 'alsa':
      return new AlsaSource({ ...params.alsa, device: spec.device, sampleRate, channels });
  }
}
