/** Builds the audio sink an `--output` spec names, at the link's rate and channel count. */
import { substituteLinkPlaceholder, type OutputSpec } from './audio-spec.js';
import type { AudioSink } from './audio-io.js';
import type { AlsaSampleFormat } from './alsa-pcm.js';
import { AlsaSink } from './alsa-sink.js';
import { NullSink } from './null-sink.js';
import { WavFileSink } from './wav-file-sink.js';
import type { WavWriteDepth } from './wav.js';

export type { AudioSink, AudioSinkStats } from './audio-io.js';

export interface AudioSinkParams {
  sampleRate: number;
  channels: number;
  /** Replaces `{link}` in a file path. */
  linkId: string;
  /** WAV recording depth: 24 (default; L24 bit-exact) or 16. */
  bitDepth?: WavWriteDepth;
  /** WAV header update / write interval (default 250 ms). */
  flushIntervalMs?: number;
  /** ALSA playback options. */
  alsa?: { sampleFormat?: AlsaSampleFormat; periodMs?: number; maxQueueMs?: number; env?: NodeJS.ProcessEnv; command?: string };
}

export function createAudioSink(spec: OutputSpec, params: AudioSinkParams): AudioSink {
  const { sampleRate, channels } = params;
  switch (spec.kind) {
    case 'null':
      return new NullSink(sampleRate, channels);
    case 'file': {
      const opts: { sampleRate: number; channels: number; bitDepth?: WavWriteDepth; flushIntervalMs?: number } = { sampleRate, channels };
      if (params.bitDepth !== undefined) opts.bitDepth = params.bitDepth;
      if (params.flushIntervalMs !== undefined) opts.flushIntervalMs = params.flushIntervalMs;
      return new WavFileSink(substituteLinkPlaceholder(spec.path, params.linkId), opts);
    }
    case 'alsa':
      return new AlsaSink({ ...params.alsa, device: spec.device, sampleRate, channels });
  }
}
