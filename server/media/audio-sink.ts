/** Builds the audio sink an `--output` spec names, at the link's rate and channel count. */
import { findSinkKind, type AudioSinkParams, type OutputSpec } from './audio-kinds.js';
import type { AudioSink } from './audio-io.js';
import { specError } from './audio-spec-grammar.js';

export type { AudioSink, AudioSinkStats } from './audio-io.js';
export type { AudioSinkParams } from './audio-kinds.js';

export function createAudioSink(spec: OutputSpec, params: AudioSinkParams): AudioSink {
  const record = findSinkKind(spec.kind);
  if (!record) specError('output', `unknown audio output '${String(spec.kind)}'`);
  return record.create(spec, params);
}
