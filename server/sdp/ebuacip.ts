/**
 * EBU Tech 3368 ("ACIP" SDP extensions) `a=ebuacip:` attributes: pure parse and format.
 *
 * Grammar handled (the value after `a=ebuacip:`):
 *   version <n>                          Tech 3368 version the sender follows (0 today)
 *   jb <option>                          the jitter-buffer option (index into jbdef) the sender prefers
 *   jbdef <option> fixed <ms>            option <option>: a fixed buffer of <ms>
 *   jbdef <option> auto <min>-<max>      option <option>: an adaptive buffer between <min> and <max> ms
 *   plength <pt> <ms>                    packet length (ms) used for payload type <pt>
 *   qosrec <qos parameters>              recommended QoS (baresip writes a DSCP value, `qosrec 46`)
 * Anything else (fec/fecdef and future sub-attributes) is kept verbatim as `unknown`, so nothing a
 * peer said is lost and it can be shown on the panel.
 *
 * Peer input never throws out of `collectEbuAcip`: a malformed line is kept in `invalid` with the
 * reason. `parseEbuAcip` (one value) throws AcipError(SDP_BAD_EBUACIP) for callers that want it.
 */
import { AcipError } from '../util/errors.js';
import type { JitterBufferSettings } from '../config/profile-schema.js';

export const SDP_BAD_EBUACIP = 'SDP_BAD_EBUACIP';

/** The attribute name as it appears in SDP (`a=ebuacip:...`). */
export const EBUACIP_ATTRIBUTE = 'ebuacip';

/** Longest ebuacip value we look at (a line is a few dozen bytes; anything huge is hostile). */
export const EBUACIP_MAX_VALUE_LENGTH = 512;

/** Jitter-buffer delays beyond this are refused (the profile schema's own limit). */
const MAX_JB_MS = 10000;
/** Packet lengths above this are refused (RFC 4566 ptime values in practice stay <= 120 ms). */
const MAX_PLENGTH_MS = 1000;

export type EbuAcipAttribute =
  | { kind: 'version'; version: number }
  | { kind: 'jb'; option: number }
  | { kind: 'jbdef'; option: number; mode: 'fixed'; delayMs: number }
  | { kind: 'jbdef'; option: number; mode: 'auto'; minMs: number; maxMs: number }
  | { kind: 'plength'; payloadType: number; ptimeMs: number }
  | { kind: 'qosrec'; value: string }
  | { kind: 'unknown'; name: string; value: string };

export type EbuAcipJbdef = Extract<EbuAcipAttribute, { kind: 'jbdef' }>;

/** Everything one SDP media section said with `a=ebuacip:`, plain and serialisable. */
export interface EbuAcipSet {
  version?: number;
  /** `jb N`: the preferred jbdef option. */
  jbOption?: number;
  /** Every `jbdef`, in order. */
  jbdefs: EbuAcipJbdef[];
  /** `plength PT MS` entries, in order (payload type -> packet length in ms). */
  plengths: { payloadType: number; ptimeMs: number }[];
  /** `qosrec` values, verbatim. */
  qosrec: string[];
  /** Sub-attributes we do not interpret, kept verbatim. */
  unknown: { name: string; value: string }[];
  /** Lines that did not follow the grammar of a known sub-attribute. */
  invalid: { value: string; reason: string }[];
}

function bad(message: string): AcipError {
  return new AcipError(SDP_BAD_EBUACIP, message, 'a=ebuacip');
}

function uint(token: string | undefined, what: string, max: number): number {
  if (token === undefined || !/^\d{1,9}$/.test(token)) throw bad(`${what} must be a non-negative integer, got ${JSON.stringify(token ?? '')}`);
  const n = Number(token);
  if (n > max) throw bad(`${what} ${n} exceeds ${max}`);
  return n;
}

/** Packet lengths may be fractional (Opus 2.5 ms). */
function ms(token: string | undefined, what: string, max: number): number {
  if (token === undefined || !/^\d{1,6}(\.\d{1,3})?$/.test(token)) throw bad(`${what} must be a number of ms, got ${JSON.stringify(token ?? '')}`);
  const n = Number(token);
  if (n <= 0 || n > max) throw bad(`${what} ${n} is outside 0..${max} ms`);
  return n;
}

function expectCount(tokens: readonly string[], n: number, form: string): void {
  if (tokens.length !== n) throw bad(`expected "${form}", got ${tokens.length - 1} argument(s)`);
}

/**
 * Parses the value of one `a=ebuacip:` line (without the `ebuacip:` prefix), e.g. `jbdef 0 auto 20-160`.
 * Sub-attribute names are compared case-insensitively; unknown ones come back as `unknown`.
 */
export function parseEbuAcip(value: string): EbuAcipAttribute {
  if (value.length > EBUACIP_MAX_VALUE_LENGTH) throw bad(`value longer than ${EBUACIP_MAX_VALUE_LENGTH} characters`);
  const text = value.trim();
  const tokens = text.split(/\s+/);
  const head = tokens[0] ?? '';
  if (head === '') throw bad('empty ebuacip attribute');
  const name = head.toLowerCase();
  switch (name) {
    case 'version':
      expectCount(tokens, 2, 'version N');
      return { kind: 'version', version: uint(tokens[1], 'version', 1e6) };
    case 'jb':
      expectCount(tokens, 2, 'jb N');
      return { kind: 'jb', option: uint(tokens[1], 'jb option', 1e6) };
    case 'jbdef': {
      const option = uint(tokens[1], 'jbdef option', 1e6);
      const mode = (tokens[2] ?? '').toLowerCase();
      if (mode === 'fixed') {
        expectCount(tokens, 4, 'jbdef N fixed MS');
        return { kind: 'jbdef', option, mode: 'fixed', delayMs: uint(tokens[3], 'jbdef fixed delay', MAX_JB_MS) };
      }
      if (mode === 'auto') {
        expectCount(tokens, 4, 'jbdef N auto MIN-MAX');
        const m = /^(\d{1,9})-(\d{1,9})$/.exec(tokens[3] ?? '');
        if (!m) throw bad(`jbdef auto range must be MIN-MAX, got ${JSON.stringify(tokens[3] ?? '')}`);
        const minMs = uint(m[1], 'jbdef auto min', MAX_JB_MS);
        const maxMs = uint(m[2], 'jbdef auto max', MAX_JB_MS);
        if (minMs > maxMs) throw bad(`jbdef auto range ${minMs}-${maxMs}: min exceeds max`);
        return { kind: 'jbdef', option, mode: 'auto', minMs, maxMs };
      }
      throw bad(`jbdef mode must be "fixed" or "auto", got ${JSON.stringify(tokens[2] ?? '')}`);
    }
    case 'plength':
      expectCount(tokens, 3, 'plength PT MS');
      return { kind: 'plength', payloadType: uint(tokens[1], 'plength payload type', 127), ptimeMs: ms(tokens[2], 'plength', MAX_PLENGTH_MS) };
    case 'qosrec': {
      const rest = text.slice(head.length).trim();
      if (rest === '') throw bad('qosrec needs its QoS parameters');
      return { kind: 'qosrec', value: rest };
    }
    default:
      return { kind: 'unknown', name: head, value: text.slice(head.length).trim() };
  }
}

function fmtMs(n: number): string {
  // Integers print without a decimal point; 2.5 prints as 2.5.
  return String(Number(n.toFixed(3)));
}

/** Formats one attribute as the value of an `a=ebuacip:` line (without the `ebuacip:` prefix). */
export function formatEbuAcip(a: EbuAcipAttribute): string {
  switch (a.kind) {
    case 'version':
      return `version ${a.version}`;
    case 'jb':
      return `jb ${a.option}`;
    case 'jbdef':
      return a.mode === 'fixed' ? `jbdef ${a.option} fixed ${a.delayMs}` : `jbdef ${a.option} auto ${a.minMs}-${a.maxMs}`;
    case 'plength':
      return `plength ${a.payloadType} ${fmtMs(a.ptimeMs)}`;
    case 'qosrec':
      return `qosrec ${a.value}`;
    case 'unknown':
      return a.value === '' ? a.name : `${a.name} ${a.value}`;
  }
}

export function emptyEbuAcipSet(): EbuAcipSet {
  return { jbdefs: [], plengths: [], qosrec: [], unknown: [], invalid: [] };
}

/** Collects the values of all `a=ebuacip:` lines of one media section. Never throws. */
export function collectEbuAcip(values: readonly string[]): EbuAcipSet {
  const set = emptyEbuAcipSet();
  for (const value of values) {
    let a: EbuAcipAttribute;
    try {
      a = parseEbuAcip(value);
    } catch (err) {
      set.invalid.push({ value: value.slice(0, EBUACIP_MAX_VALUE_LENGTH), reason: (err as Error).message });
      continue;
    }
    addToSet(set, a);
  }
  return set;
}

function addToSet(set: EbuAcipSet, a: EbuAcipAttribute): void {
  switch (a.kind) {
    case 'version':
      set.version = a.version;
      break;
    case 'jb':
      set.jbOption = a.option;
      break;
    case 'jbdef':
      set.jbdefs.push(a);
      break;
    case 'plength':
      set.plengths.push({ payloadType: a.payloadType, ptimeMs: a.ptimeMs });
      break;
    case 'qosrec':
      set.qosrec.push(a.value);
      break;
    case 'unknown':
      set.unknown.push({ name: a.name, value: a.value });
      break;
  }
}

/** The set as attribute values in a conventional order (version, jb, jbdef, qosrec, plength, others). */
export function ebuAcipSetToValues(set: EbuAcipSet): string[] {
  const out: EbuAcipAttribute[] = [];
  if (set.version !== undefined) out.push({ kind: 'version', version: set.version });
  if (set.jbOption !== undefined) out.push({ kind: 'jb', option: set.jbOption });
  out.push(...set.jbdefs);
  for (const q of set.qosrec) out.push({ kind: 'qosrec', value: q });
  for (const p of set.plengths) out.push({ kind: 'plength', ...p });
  for (const u of set.unknown) out.push({ kind: 'unknown', ...u });
  return out.map(formatEbuAcip);
}

/** The packet length the set gives for a payload type, if any (the last one wins). */
export function plengthFor(set: EbuAcipSet, payloadType: number): number | undefined {
  let found: number | undefined;
  for (const p of set.plengths) if (p.payloadType === payloadType) found = p.ptimeMs;
  return found;
}

/**
 * The jitter-buffer definition the set selects: the `jbdef` whose option equals `jb` when the peer
 * named one, else the first `jbdef` (baresip always writes option 0 for both).
 */
export function selectedJbdef(set: EbuAcipSet): EbuAcipJbdef | undefined {
  if (set.jbOption !== undefined) {
    const chosen = set.jbdefs.find((d) => d.option === set.jbOption);
    if (chosen) return chosen;
  }
  return set.jbdefs[0];
}

/** Tech 3368 `jbdef` -> our profile's jitter-buffer settings (`auto` = adaptive). */
export function jbdefToSettings(d: EbuAcipJbdef): JitterBufferSettings {
  return d.mode === 'fixed' ? { mode: 'fixed', delayMs: d.delayMs } : { mode: 'adaptive', minMs: d.minMs, maxMs: d.maxMs };
}

/** Our profile's jitter-buffer settings -> a Tech 3368 `jbdef` for the given option index. */
export function settingsToJbdef(option: number, s: JitterBufferSettings): EbuAcipJbdef {
  return s.mode === 'fixed' ? { kind: 'jbdef', option, mode: 'fixed', delayMs: s.delayMs } : { kind: 'jbdef', option, mode: 'auto', minMs: s.minMs, maxMs: s.maxMs };
}
