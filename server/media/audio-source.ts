/** Builds the audio source an `--input` spec names, at the link's rate and channel count. */
import { findSourceKind, type AudioSourceParams, type InputSpec } from './audio-kinds.js';
import type { AudioSource } from './audio-io.js';
import { specError } from './audio-spec-grammar.js';
import { LoopbackSource } from './loopback-source.js';

export type { AudioSource, AudioSourceStats } from './audio-io.js';
export type { AudioSourceParams } from './audio-kinds.js';
export { LoopbackSource } from './loopback-source.js';

/** The media session feeds a loopback input from its receive path: `if (isLoopbackSource(s)) s.push(frame)`. */
export function isLoopbackSource(s: AudioSource): s is LoopbackSource {
  return s instanceof LoopbackSource;
}

/**
 * Throws AcipError (AUDIO_SPEC_INVALID for a tone above Nyquist, WAV_* for a bad file) when the
 * spec cannot be honoured at these parameters. A `loopback` source is a LoopbackSource: the
 * media session feeds it with `push()` from its receive path.
 */
export function createAudioSource(spec: InputSpec, params: AudioSourceParams): AudioSource {
  const record = findSourceKind(spec.kind);
  if (!record) specError('input', `unknown audio input '${String(spec.kind)}'`);
  return record.create(spec, params);
}
