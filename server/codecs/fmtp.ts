/**
 * Shared helpers for a=fmtp parameter lists (RFC 4566 §6: `a=fmtp:<format> <format specific
 * parameters>`; for the codecs here, `key=value` pairs separated by `;`). Keys come from the network,
 * so they live in a Map, never as properties of a plain object (`__proto__`).
 */
import { AcipError } from '../util/errors.js';
import { CODEC_BAD_FMTP } from './codec.js';

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
