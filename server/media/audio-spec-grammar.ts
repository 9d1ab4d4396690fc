/**
 * The pieces of the `--input` / `--output` spec grammar that the kind records (audio-kinds.ts) share:
 * `kind[:rest]` splitting, numbers, WAV paths, ALSA device names. Pure: no I/O. Errors are AcipError
 * with code AUDIO_SPEC_INVALID and a message naming the setting and what is wrong.
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

/** Where a spec is being parsed: the setting's name (for messages) and the whole trimmed spec text. */
export interface SpecContext {
  field: string;
  text: string;
}

export function specError(field: string, message: string): never {
  throw new AcipError(AUDIO_SPEC_INVALID, `${field}: ${message}`, field);
}

/** Decimal number, optional sign and fraction; no exponents, hex, or `Infinity`. */
const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

export function parseSpecNumber(field: string, what: string, text: string): number {
  if (text === '') specError(field, `${what} is empty`);
  if (!NUMBER_RE.test(text)) specError(field, `${what} '${text}' is not a number`);
  const n = Number(text);
  if (!Number.isFinite(n)) specError(field, `${what} '${text}' is not a finite number`);
  return n;
}

/** Splits `kind[:rest]` at the first colon (ALSA device names contain colons: `plughw:0,0`). */
export function splitKind(text: string): { kind: string; rest: string | undefined } {
  const i = text.indexOf(':');
  if (i < 0) return { kind: text.toLowerCase(), rest: undefined };
  return { kind: text.slice(0, i).toLowerCase(), rest: text.slice(i + 1) };
}

// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

export function parseWavPath(field: string, rest: string | undefined, allowLinkPlaceholder: boolean): string {
  if (rest === undefined || rest === '') specError(field, "file spec needs a path: 'file:PATH.wav'");
  if (CONTROL_RE.test(rest)) specError(field, `file path '${JSON.stringify(rest)}' contains control characters`);
  if (!/\.wav$/i.test(rest)) specError(field, `file path '${rest}' must end in .wav`);
  const placeholders = rest.match(/\{[^}]*\}/g) ?? [];
  for (const p of placeholders) {
    if (p !== LINK_PLACEHOLDER) specError(field, `unknown placeholder '${p}' in file path '${rest}' (only {link} is supported)`);
    if (!allowLinkPlaceholder) specError(field, `the {link} placeholder is for output files only, found in '${rest}'`);
  }
  const base = rest.replace(/^.*\//, '');
  if (/^\.wav$/i.test(base)) specError(field, `file path '${rest}' has no file name before .wav`);
  return rest;
}

export function parseAlsaDevice(field: string, rest: string | undefined): string {
  if (rest === undefined || rest === '') specError(field, "alsa spec needs a device: 'alsa:DEVICE' (e.g. alsa:default, alsa:plughw:0,0)");
  if (/\s/.test(rest) || CONTROL_RE.test(rest)) specError(field, `alsa device '${rest}' must not contain whitespace or control characters`);
  // Passed as a separate argv element, but a leading '-' would still read like an option to people.
  if (rest.startsWith('-')) specError(field, `alsa device '${rest}' must not start with '-'`);
  return rest;
}

/** For kinds without parameters: `silence`, `loopback`, `null`. */
export function noArgs(field: string, kind: string, rest: string | undefined): void {
  if (rest !== undefined) specError(field, `'${kind}' takes no parameters, got '${kind}:${rest}'`);
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
