/**
 * Shared helpers for a=fmtp parameter lists (RFC 4566 §6: `a=fmtp:<format> <format specific
 * parameters>`; for the codecs here, `key=value` pairs separated by `;`). Keys come from the network,
 * so they live in a Map, never as properties of a plain object (`__proto__`).
 */
import { AcipError } from '../util/errors.js';
import { CODEC_BAD_FMTP, type FmtpParams } from './codec.js';

/** Normalises either a Map or a record into a Map with lower-cased keys (fmtp keys are case-insensitive here). */
export function fmtpMap(fmtp: ReadonlyMap<string, string> | Readonly<Record<string, string>>): Map<string, string> {
  const out = new Map<string, string>();
  const entries = fmtp instanceof Map ? [...fmtp.entries()] : Object.entries(fmtp);
  for (const [k, v] of entries) out.set(String(k).trim().toLowerCase(), String(v).trim());
  return out;
}

/** Parses the text of an fmtp line (`a=1; b=2`) into a Map. Tokens without `=` map to ''. */
export function parseFmtpLine(line: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of line.split(';')) {
    const t = part.trim();
    if (t === '') continue;
    const eq = t.indexOf('=');
    if (eq < 0) out.set(t.toLowerCase(), '');
    else out.set(t.slice(0, eq).trim().toLowerCase(), t.slice(eq + 1).trim());
  }
  return out;
}

export function fmtpBool(key: string, value: string): boolean {
  if (value === '1') return true;
  if (value === '0') return false;
  throw new AcipError(CODEC_BAD_FMTP, `fmtp ${key} must be 0 or 1, got '${value}'`, key);
}

export function fmtpInt(key: string, value: string, min: number, max: number): number {
  if (!/^\d{1,10}$/.test(value)) throw new AcipError(CODEC_BAD_FMTP, `fmtp ${key} must be an integer, got '${value}'`, key);
  const n = Number(value);
  if (n < min || n > max) throw new AcipError(CODEC_BAD_FMTP, `fmtp ${key}=${n} is outside ${min}..${max}`, key);
  return n;
}

/** Packet times may be fractional (Opus 2.5 ms). */
export function fmtpMs(key: string, value: string, min: number, max: number): number {
  if (!/^\d{1,4}(\.\d{1,3})?$/.test(value)) throw new AcipError(CODEC_BAD_FMTP, `fmtp ${key} must be a number of ms, got '${value}'`, key);
  const n = Number(value);
  if (n < min || n > max) throw new AcipError(CODEC_BAD_FMTP, `fmtp ${key}=${n} is outside ${min}..${max} ms`, key);
  return n;
}

/** Writes `k=v;k=v` in the given order, or undefined when there is nothing to say. */
export function formatFmtpPairs(pairs: ReadonlyArray<readonly [string, string | number]>): string | undefined {
  if (pairs.length === 0) return undefined;
  return pairs.map(([k, v]) => `${k}=${v}`).join(';');
}

// ---------------------------------------------------------------------------------------------
// Key tables: one row per fmtp parameter (name, parser, range, default, formatter), read by one
// generic parser and one generic writer, the way sdp-transform describes its grammar as data.

/** FmtpParams fields whose values are of type V (the `unknown` map is never a table field). */
type FieldOf<V> = { [K in keyof FmtpParams]-?: NonNullable<FmtpParams[K]> extends V ? K : never }[keyof FmtpParams];

export interface FmtpKey<V extends number | boolean = number | boolean> {
  /** The parameter name as written in a=fmtp (lower case; read case-insensitively). */
  readonly name: string;
  /** The FmtpParams field the value fills. */
  readonly field: FieldOf<V>;
  /** Values outside [min, max] are refused with AcipError(CODEC_BAD_FMTP, field = name). */
  readonly range: readonly [min: number, max: number];
  /** The value a receiver assumes when the key is absent (the RFC default), as written in SDP. */
  readonly default?: string;
  /** The text of the value -> the field's value. Throws AcipError(CODEC_BAD_FMTP, name). */
  parse(text: string): V;
  /** The field's value -> the text written after `name=`. */
  format(value: V): string;
}

export type FmtpTable = ReadonlyArray<FmtpKey<number> | FmtpKey<boolean>>;

/** A 0/1 flag. */
function flagKey(name: string, field: FieldOf<boolean>, dflt: string): FmtpKey<boolean> {
  return { name, field, range: [0, 1], default: dflt, parse: (v) => fmtpBool(name, v), format: (b) => (b ? '1' : '0') };
}

/** A 0/1 flag that means one or two channels (RFC 7587 §6.1 `stereo`, `sprop-stereo`). */
function stereoKey(name: string, field: FieldOf<number>, dflt: string): FmtpKey<number> {
  return { name, field, range: [0, 1], default: dflt, parse: (v) => (fmtpBool(name, v) ? 2 : 1), format: (ch) => (ch === 2 ? '1' : '0') };
}

/** An integer; `clamp`, when given, brings an accepted value into the usable range instead of refusing it. */
function intKey(name: string, field: FieldOf<number>, range: readonly [number, number], dflt: string | undefined, clamp?: readonly [number, number]): FmtpKey<number> {
  const [min, max] = range;
  const parse = clamp ? (v: string) => Math.max(clamp[0], Math.min(clamp[1], fmtpInt(name, v, min, max))) : (v: string) => fmtpInt(name, v, min, max);
  return { name, field, range, ...(dflt !== undefined ? { default: dflt } : {}), parse, format: (n) => String(n) };
}

/** A packet time in ms (fractional: Opus 2.5 ms). */
function msKey(name: string, field: FieldOf<number>, range: readonly [number, number], dflt: string | undefined): FmtpKey<number> {
  const [min, max] = range;
  return { name, field, range, ...(dflt !== undefined ? { default: dflt } : {}), parse: (v) => fmtpMs(name, v, min, max), format: (n) => String(Number(n.toFixed(3))) };
}

/**
 * RFC 7587 §6.1: the Opus fmtp parameters. `stereo`, `maxaveragebitrate`, `useinbandfec`, `usedtx`,
 * `cbr` and `maxplaybackrate` describe what the receiver of the SDP wants; the `sprop-` ones what its
 * sender will send. Rows are in the order we write them. `maxaveragebitrate` is capped into
 * 6000..510000 rather than refused (§6.1 gives that range; larger values are common). ptime, maxptime
 * and minptime belong in a=ptime/a=maxptime but some peers put them in fmtp (§6.1 lists them too).
 */
export const OPUS_FMTP: FmtpTable = [
  intKey('maxplaybackrate', 'maxPlaybackRate', [8000, 48000], '48000'),
  intKey('sprop-maxcapturerate', 'spropMaxCaptureRate', [8000, 48000], '48000'),
  stereoKey('stereo', 'receiveChannels', '0'),
  stereoKey('sprop-stereo', 'sendChannels', '0'),
  intKey('maxaveragebitrate', 'maxAverageBitrate', [0, 4_294_967_295], '510000', [6000, 510000]),
  flagKey('useinbandfec', 'useInbandFec', '0'),
  flagKey('usedtx', 'useDtx', '0'),
  flagKey('cbr', 'cbr', '0'),
  msKey('ptime', 'ptimeMs', [2.5, 120], '20'),
  msKey('maxptime', 'maxPtimeMs', [2.5, 120], '120'),
  msKey('minptime', 'minPtimeMs', [2.5, 120], undefined),
];

/** Values a table writes or reads: the FmtpParams fields, without the map of unknown keys. */
export type FmtpValues = Omit<FmtpParams, 'unknown'>;

/**
 * Reads an fmtp (a Map or record, keys case-insensitive) through a table: known keys fill their
 * fields, every other key is kept in `unknown`. Throws AcipError(CODEC_BAD_FMTP, key) on a bad value.
 */
export function parseFmtpWithTable(table: FmtpTable, fmtp: ReadonlyMap<string, string> | Readonly<Record<string, string>>): FmtpParams {
  const byName = new Map<string, FmtpKey<number> | FmtpKey<boolean>>(table.map((k) => [k.name, k]));
  const values: Record<string, number | boolean> = {};
  const unknown = new Map<string, string>();
  for (const [k, v] of fmtpMap(fmtp)) {
    const key = byName.get(k);
    // `field` comes from the table, never from the network: a plain object is safe here.
    if (key) values[key.field] = key.parse(v);
    else unknown.set(k, v);
  }
  return { ...(values as FmtpValues), unknown };
}

/** Writes the given values as `name=value;...` in table order, or undefined when none is given. */
export function formatFmtpWithTable(table: FmtpTable, values: FmtpValues): string | undefined {
  const pairs: Array<[string, string]> = [];
  for (const key of table) {
    const v = values[key.field];
    if (v === undefined) continue;
    pairs.push([key.name, (key.format as (x: number | boolean) => string)(v)]);
  }
  return formatFmtpPairs(pairs);
}

/** The table's RFC defaults, as a codec record's `fmtpDefaults`. */
export function fmtpDefaultsOf(table: FmtpTable): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of table) if (k.default !== undefined) out[k.name] = k.default;
  return out;
}
