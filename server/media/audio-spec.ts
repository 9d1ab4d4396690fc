/**
 * The `--input` / `--output` audio specs (foundation issue, item 3): what each link sends and where
 * what it receives goes. Pure parsers: no I/O, no knowledge of the link's sample rate.
 *
 *   input   tone[:HZ[:DBFS]]   sine line-up tone; default 1000 Hz at -18 dBFS peak (EBU R 68 line-up level)
 *           silence
 *           file:PATH.wav      looped WAV file, resampled/channel-mapped to the link
 *           alsa:DEVICE        ALSA capture through `arecord -D DEVICE`
 *           loopback           send back what arrives on the same link
 *   output  null
 *           file:PATH.wav      streamed WAV recording; `{link}` in PATH is replaced by the link id
 *           alsa:DEVICE        ALSA playback through `aplay -D DEVICE`
 *
 * Errors are `AcipError` with code `AUDIO_SPEC_INVALID` and a message naming what is wrong.
 */
import { AcipError } from '../util/errors.js';

export const AUDIO_SPEC_INVALID = 'AUDIO_SPEC_INVALID';

/** EBU line-up: 1 kHz at -18 dBFS (EBU R 68 alignment level). */
export const DEFAULT_TONE_HZ = 1000;
export const DEFAULT_TONE_DBFS = -18;
export const MIN_TONE_HZ = 20;
export const MAX_TONE_HZ = 20000;
/** Lowest accepted tone level: the 24-bit quantisation floor (about -144 dBFS). */
export const MIN_TONE_DBFS = -144;

/** The placeholder an output file path may contain; replaced by the link id. */
export const LINK_PLACEHOLDER = '{link}';

export type InputSpec =
  | { kind: 'tone'; frequencyHz: number; levelDbfs: number }
  | { kind: 'silence' }
  | { kind: 'file'; path: string }
  | { kind: 'alsa'; device: string }
  | { kind: 'loopback' };

export type OutputSpec = { kind: 'null' } | { kind: 'file'; path: string } | { kind: 'alsa'; device: string };

export type InputKind = InputSpec['kind'];
export type OutputKind = OutputSpec['kind'];

export const INPUT_KINDS: readonly InputKind[] = ['tone', 'silence', 'file', 'alsa', 'loopback'];
export const OUTPUT_KINDS: readonly OutputKind[] = ['null', 'file', 'alsa'];

function fail(field: string, message: string): never {
  throw new AcipError(AUDIO_SPEC_INVALID, `${field}: ${message}`, field);
}

/** Decimal number, optional sign and fraction; no exponents, hex, or `Infinity`. */
const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function parseNumber(field: string, what: string, text: string): number {
  if (text === '') fail(field, `${what} is empty`);
  if (!NUMBER_RE.test(text)) fail(field, `${what} '${text}' is not a number`);
  const n = Number(text);
  if (!Number.isFinite(n)) fail(field, `${what} '${text}' is not a finite number`);
  return n;
}

/** Splits `kind[:rest]` at the first colon (ALSA device names contain colons: `plughw:0,0`). */
function splitKind(text: string): { kind: string; rest: string | undefined } {
  const i = text.indexOf(':');
  if (i < 0) return { kind: text.toLowerCase(), rest: undefined };
  return { kind: text.slice(0, i).toLowerCase(), rest: text.slice(i + 1) };
}

// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

function parseWavPath(field: string, rest: string | undefined, allowLinkPlaceholder: boolean): string {
  if (rest === undefined || rest === '') fail(field, "file spec needs a path: 'file:PATH.wav'");
  if (CONTROL_RE.test(rest)) fail(field, `file path '${JSON.stringify(rest)}' contains control characters`);
  if (!/\.wav$/i.test(rest)) fail(field, `file path '${rest}' must end in .wav`);
  const placeholders = rest.match(/\{[^}]*\}/g) ?? [];
  for (const p of placeholders) {
    if (p !== LINK_PLACEHOLDER) fail(field, `unknown placeholder '${p}' in file path '${rest}' (only {link} is supported)`);
    if (!allowLinkPlaceholder) fail(field, `the {link} placeholder is for output files only, found in '${rest}'`);
  }
  const base = rest.replace(/^.*\//, '');
  if (/^\.wav$/i.test(base)) fail(field, `file path '${rest}' has no file name before .wav`);
  return rest;
}

function parseAlsaDevice(field: string, rest: string | undefined): string {
  if (rest === undefined || rest === '') fail(field, "alsa spec needs a device: 'alsa:DEVICE' (e.g. alsa:default, alsa:plughw:0,0)");
  if (/\s/.test(rest) || CONTROL_RE.test(rest)) fail(field, `alsa device '${rest}' must not contain whitespace or control characters`);
  // Passed as a separate argv element, but a leading '-' would still read like an option to people.
  if (rest.startsWith('-')) fail(field, `alsa device '${rest}' must not start with '-'`);
  return rest;
}

function noArgs(field: string, kind: string, rest: string | undefined): void {
  if (rest !== undefined) fail(field, `'${kind}' takes no parameters, got '${kind}:${rest}'`);
}

/** Parses an `--input` spec. `field` names the setting in error messages (default `input`). */
export function parseInputSpec(text: string, field = 'input'): InputSpec {
  if (typeof text !== 'string') fail(field, 'audio input spec must be a string');
  const t = text.trim();
  if (t === '') fail(field, `audio input spec is empty (expected one of: ${INPUT_KINDS.join(', ')})`);
  const { kind, rest } = splitKind(t);
  switch (kind) {
    case 'tone': {
      if (rest === undefined) return { kind: 'tone', frequencyHz: DEFAULT_TONE_HZ, levelDbfs: DEFAULT_TONE_DBFS };
      const parts = rest.split(':');
      if (parts.length > 2) fail(field, `tone spec '${t}' has too many parts (expected tone[:HZ[:DBFS]])`);
      const frequencyHz = parseNumber(field, 'tone frequency', parts[0] ?? '');
      if (frequencyHz < MIN_TONE_HZ || frequencyHz > MAX_TONE_HZ) {
        fail(field, `tone frequency ${frequencyHz} Hz is out of range ${MIN_TONE_HZ}..${MAX_TONE_HZ} Hz`);
      }
      let levelDbfs = DEFAULT_TONE_DBFS;
      if (parts.length === 2) {
        levelDbfs = parseNumber(field, 'tone level', parts[1] ?? '');
        if (levelDbfs > 0) fail(field, `tone level ${levelDbfs} dBFS is above full scale (must be <= 0 dBFS)`);
        if (levelDbfs < MIN_TONE_DBFS) fail(field, `tone level ${levelDbfs} dBFS is below ${MIN_TONE_DBFS} dBFS`);
      }
      return { kind: 'tone', frequencyHz, levelDbfs };
    }
    case 'silence':
      noArgs(field, kind, rest);
      return { kind: 'silence' };
    case 'loopback':
      noArgs(field, kind, rest);
      return { kind: 'loopback' };
    case 'file':
      return { kind: 'file', path: parseWavPath(field, rest, false) };
    case 'alsa':
      return { kind: 'alsa', device: parseAlsaDevice(field, rest) };
    case 'null':
      fail(field, "'null' is an output, not an input (use 'silence' to send nothing)");
    default:
      fail(field, `unknown audio input '${kind}' (expected one of: ${INPUT_KINDS.join(', ')})`);
  }
}

/** Parses an `--output` spec. `field` names the setting in error messages (default `output`). */
export function parseOutputSpec(text: string, field = 'output'): OutputSpec {
  if (typeof text !== 'string') fail(field, 'audio output spec must be a string');
  const t = text.trim();
  if (t === '') fail(field, `audio output spec is empty (expected one of: ${OUTPUT_KINDS.join(', ')})`);
  const { kind, rest } = splitKind(t);
  switch (kind) {
    case 'null':
      noArgs(field, kind, rest);
      return { kind: 'null' };
    case 'file':
      return { kind: 'file', path: parseWavPath(field, rest, true) };
    case 'alsa':
      return { kind: 'alsa', device: parseAlsaDevice(field, rest) };
    case 'tone':
    case 'silence':
    case 'loopback':
      fail(field, `'${kind}' is an input, not an output (expected one of: ${OUTPUT_KINDS.join(', ')})`);
    default:
      fail(field, `unknown audio output '${kind}' (expected one of: ${OUTPUT_KINDS.join(', ')})`);
  }
}

/** Canonical text of an input spec; `parseInputSpec(formatInputSpec(s))` deep-equals `s`. */
export function formatInputSpec(spec: InputSpec): string {
  switch (spec.kind) {
    case 'tone':
      return `tone:${spec.frequencyHz}:${spec.levelDbfs}`;
    case 'silence':
    case 'loopback':
      return spec.kind;
    case 'file':
      return `file:${spec.path}`;
    case 'alsa':
      return `alsa:${spec.device}`;
  }
}

/** Canonical text of an output spec; `parseOutputSpec(formatOutputSpec(s))` deep-equals `s`. */
export function formatOutputSpec(spec: OutputSpec): string {
  switch (spec.kind) {
    case 'null':
      return 'null';
    case 'file':
      return `file:${spec.path}`;
    case 'alsa':
      return `alsa:${spec.device}`;
  }
}

/**
 * Replaces every `{link}` in an output path with the link id, made safe for a file name
 * (anything but letters, digits, '.', '_' and '-' becomes '_'; a leading '.' too, so an id
 * can never produce `..`).
 */
export function substituteLinkPlaceholder(path: string, linkId: string): string {
  const safe = (linkId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_') || '_').slice(0, 128);
  return path.split(LINK_PLACEHOLDER).join(safe);
}
