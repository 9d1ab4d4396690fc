/**
 * The `--input` / `--output` audio specs: what each link sends and where what it receives goes.
 * A spec is `kind[:rest]`; the kinds are records in audio-kinds.ts (tone, silence, file, alsa,
 * loopback for inputs; null, file, alsa for outputs), each parsing its own rest. Pure parsers: no
 * I/O, no knowledge of the link's sample rate.
 *
 * Errors are `AcipError` with code `AUDIO_SPEC_INVALID` and a message naming what is wrong.
 */
import {
  AUDIO_SINK_KINDS,
  AUDIO_SOURCE_KINDS,
  findSinkKind,
  findSourceKind,
  type InputKind,
  type InputSpec,
  type OutputKind,
  type OutputSpec,
} from './audio-kinds.js';
import { specError, splitKind } from './audio-spec-grammar.js';

export {
  AUDIO_SPEC_INVALID,
  DEFAULT_TONE_DBFS,
  DEFAULT_TONE_HZ,
  LINK_PLACEHOLDER,
  MAX_TONE_HZ,
  MIN_TONE_DBFS,
  MIN_TONE_HZ,
  substituteLinkPlaceholder,
} from './audio-spec-grammar.js';
export type { InputKind, InputSpec, OutputKind, OutputSpec } from './audio-kinds.js';

export const INPUT_KINDS: readonly InputKind[] = AUDIO_SOURCE_KINDS.map((k) => k.name);
export const OUTPUT_KINDS: readonly OutputKind[] = AUDIO_SINK_KINDS.map((k) => k.name);

/** Every input spec's shape, for help texts: `tone[:HZ[:DBFS]], silence, file:PATH.wav, ...`. */
export const INPUT_SPEC_USAGE = AUDIO_SOURCE_KINDS.map((k) => k.usage).join(', ');
/** Every output spec's shape, for help texts: `null, file:PATH.wav ({link} = link id), ...`. */
export const OUTPUT_SPEC_USAGE = AUDIO_SINK_KINDS.map((k) => k.usage).join(', ');

/** Parses an `--input` spec. `field` names the setting in error messages (default `input`). */
export function parseInputSpec(text: string, field = 'input'): InputSpec {
  if (typeof text !== 'string') specError(field, 'audio input spec must be a string');
  const t = text.trim();
  if (t === '') specError(field, `audio input spec is empty (expected one of: ${INPUT_KINDS.join(', ')})`);
  const { kind, rest } = splitKind(t);
  const record = findSourceKind(kind);
  if (record) return record.parse(rest, { field, text: t });
  const output = findSinkKind(kind);
  if (output) specError(field, `'${kind}' is an output, not an input (${output.notAnInputHint ?? `expected one of: ${INPUT_KINDS.join(', ')}`})`);
  specError(field, `unknown audio input '${kind}' (expected one of: ${INPUT_KINDS.join(', ')})`);
}

/** Parses an `--output` spec. `field` names the setting in error messages (default `output`). */
export function parseOutputSpec(text: string, field = 'output'): OutputSpec {
  if (typeof text !== 'string') specError(field, 'audio output spec must be a string');
  const t = text.trim();
  if (t === '') specError(field, `audio output spec is empty (expected one of: ${OUTPUT_KINDS.join(', ')})`);
  const { kind, rest } = splitKind(t);
  const record = findSinkKind(kind);
  if (record) return record.parse(rest, { field, text: t });
  if (findSourceKind(kind)) specError(field, `'${kind}' is an input, not an output (expected one of: ${OUTPUT_KINDS.join(', ')})`);
  specError(field, `unknown audio output '${kind}' (expected one of: ${OUTPUT_KINDS.join(', ')})`);
}

/** Canonical text of an input spec; `parseInputSpec(formatInputSpec(s))` deep-equals `s`. */
export function formatInputSpec(spec: InputSpec): string {
  const record = findSourceKind(spec.kind);
  if (!record) specError('input', `unknown audio input '${String(spec.kind)}'`);
  return record.format(spec);
}

/** Canonical text of an output spec; `parseOutputSpec(formatOutputSpec(s))` deep-equals `s`. */
export function formatOutputSpec(spec: OutputSpec): string {
  const record = findSinkKind(spec.kind);
  if (!record) specError('output', `unknown audio output '${String(spec.kind)}'`);
  return record.format(spec);
}
