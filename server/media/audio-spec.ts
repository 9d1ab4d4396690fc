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
import { specError, splitKind, type SpecContext } from './audio-spec-grammar.js';

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

/** What parsing and printing need of one direction of specs: inputs (sources) or outputs (sinks). */
interface SpecSide<S extends { kind: string }> {
  noun: 'input' | 'output';
  kinds: readonly string[];
  find(kind: string): { parse(rest: string | undefined, ctx: SpecContext): S; format(spec: S): string } | undefined;
  /** The error for a kind of the other direction (undefined when `kind` is not one). */
  misdirected(kind: string, expected: string): string | undefined;
}

const INPUT_SIDE: SpecSide<InputSpec> = {
  noun: 'input',
  kinds: INPUT_KINDS,
  find: findSourceKind,
  misdirected(kind, expected) {
    const output = findSinkKind(kind);
    return output && `'${kind}' is an output, not an input (${output.notAnInputHint ?? expected})`;
  },
};

const OUTPUT_SIDE: SpecSide<OutputSpec> = {
  noun: 'output',
  kinds: OUTPUT_KINDS,
  find: findSinkKind,
  misdirected: (kind, expected) => (findSourceKind(kind) ? `'${kind}' is an input, not an output (${expected})` : undefined),
};

function parseSpec<S extends { kind: string }>(side: SpecSide<S>, text: string, field: string): S {
  const expected = `expected one of: ${side.kinds.join(', ')}`;
  if (typeof text !== 'string') specError(field, `audio ${side.noun} spec must be a string`);
  const t = text.trim();
  if (t === '') specError(field, `audio ${side.noun} spec is empty (${expected})`);
  const { kind, rest } = splitKind(t);
  const record = side.find(kind);
  if (record) return record.parse(rest, { field, text: t });
  specError(field, side.misdirected(kind, expected) ?? `unknown audio ${side.noun} '${kind}' (${expected})`);
}

function formatSpec<S extends { kind: string }>(side: SpecSide<S>, spec: S): string {
  const record = side.find(spec.kind);
  if (!record) specError(side.noun, `unknown audio ${side.noun} '${String(spec.kind)}'`);
  return record.format(spec);
}

/** Parses an `--input` spec. `field` names the setting in error messages (default `input`). */
export function parseInputSpec(text: string, field = 'input'): InputSpec {
  return parseSpec(INPUT_SIDE, text, field);
}

/** Parses an `--output` spec. `field` names the setting in error messages (default `output`). */
export function parseOutputSpec(text: string, field = 'output'): OutputSpec {
  return parseSpec(OUTPUT_SIDE, text, field);
}

/** Canonical text of an input spec; `parseInputSpec(formatInputSpec(s))` deep-equals `s`. */
export function formatInputSpec(spec: InputSpec): string {
  return formatSpec(INPUT_SIDE, spec);
}

/** Canonical text of an output spec; `parseOutputSpec(formatOutputSpec(s))` deep-equals `s`. */
export function formatOutputSpec(spec: OutputSpec): string {
  return formatSpec(OUTPUT_SIDE, spec);
}
