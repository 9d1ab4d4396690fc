/**
 * EBU Tech 3368 ("ACIP" SDP extensions) `a=ebuacip:` sub-attributes as a table: one row per
 * sub-attribute with its grammar, the range of each number, its default, a parser and a formatter,
 * read by one generic parser (`parseEbuAcip`) and one formatter (`formatEbuAcip`).
 *
 * Grammar (the value after `a=ebuacip:`):
 *   version <n>                          Tech 3368 version the sender follows (0 today)
 *   jb <option>                          the jitter-buffer option (index into jbdef) the sender prefers
 *   jbdef <option> fixed <ms>            option <option>: a fixed buffer of <ms>
 *   jbdef <option> auto <min>-<max>      option <option>: an adaptive buffer between <min> and <max> ms
 *   qosrec <qos parameters>              recommended QoS (baresip writes a DSCP value, `qosrec 46`)
 *   plength <pt> <ms>                    packet length (ms) used for payload type <pt>
 * Anything else (fec/fecdef and future sub-attributes) comes back verbatim as `unknown`, so nothing
 * a peer said is lost and it can be shown on the panel.
 *
 * Errors are AcipError(SDP_BAD_EBUACIP) whose `field` names the sub-attribute and parameter
 * (`a=ebuacip:jbdef.delayMs`). Pure: no I/O.
 */
import { AcipError } from '../util/errors.js';

export const SDP_BAD_EBUACIP = 'SDP_BAD_EBUACIP';

/** The attribute name as it appears in SDP (`a=ebuacip:...`). */
export const EBUACIP_ATTRIBUTE = 'ebuacip';

/** Longest ebuacip value we look at (a line is a few dozen bytes; anything huge is hostile). */
export const EBUACIP_MAX_VALUE_LENGTH = 512;

export type EbuAcipAttribute =
  | { kind: 'version'; version: number }
  | { kind: 'jb'; option: number }
  | { kind: 'jbdef'; option: number; mode: 'fixed'; delayMs: number }
  | { kind: 'jbdef'; option: number; mode: 'auto'; minMs: number; maxMs: number }
  | { kind: 'plength'; payloadType: number; ptimeMs: number }
  | { kind: 'qosrec'; value: string }
  | { kind: 'unknown'; name: string; value: string };

export type EbuAcipJbdef = Extract<EbuAcipAttribute, { kind: 'jbdef' }>;
export type KnownEbuAcipKind = Exclude<EbuAcipAttribute['kind'], 'unknown'>;

/** One number inside a sub-attribute: its label in messages, its range, and whether it is whole. */
export interface EbuAcipNumber {
  /** Parameter name, as in the attribute object (`delayMs`); the error field is `a=ebuacip:<sub>.<param>`. */
  readonly param: string;
  /** How messages call it (`jbdef fixed delay`). */
  readonly label: string;
  /** Integers are 0..max; packet lengths (`ms`) are fractional, above 0 and at most max. */
  readonly kind: 'uint' | 'ms';
  readonly max: number;
}

export interface EbuAcipRow<K extends KnownEbuAcipKind> {
  readonly name: K;
  /** The grammar, as error messages quote it. */
  readonly form: string;
  /** Every number the sub-attribute carries, with its range. */
  readonly numbers: readonly EbuAcipNumber[];
  /**
   * What we write when nothing more specific is known (version 0, jb option 0); undefined when the
   * value must come from elsewhere (jbdef from the profile's buffer, plength from the codec's ptime).
   */
  readonly default?: Extract<EbuAcipAttribute, { kind: K }>;
  /** What a receiver assumes when the sub-attribute is absent. */
  readonly absent: string;
  /** tokens[0] is the sub-attribute name as written; `text` is the whole trimmed value. */
  parse(tokens: readonly string[], text: string): Extract<EbuAcipAttribute, { kind: K }>;
  format(a: Extract<EbuAcipAttribute, { kind: K }>): string;
}

/** Jitter-buffer delays beyond this are refused (the profile schema's own limit). */
const MAX_JB_MS = 10000;
/** Packet lengths above this are refused (RFC 4566 ptime values in practice stay <= 120 ms). */
const MAX_PLENGTH_MS = 1000;
/** Version numbers and option indexes: anything larger is not a real peer. */
const MAX_INDEX = 1e6;

const N = {
  version: { param: 'version', label: 'version', kind: 'uint', max: MAX_INDEX },
  jbOption: { param: 'option', label: 'jb option', kind: 'uint', max: MAX_INDEX },
  jbdefOption: { param: 'option', label: 'jbdef option', kind: 'uint', max: MAX_INDEX },
  fixedDelay: { param: 'delayMs', label: 'jbdef fixed delay', kind: 'uint', max: MAX_JB_MS },
  autoMin: { param: 'minMs', label: 'jbdef auto min', kind: 'uint', max: MAX_JB_MS },
  autoMax: { param: 'maxMs', label: 'jbdef auto max', kind: 'uint', max: MAX_JB_MS },
  payloadType: { param: 'payloadType', label: 'plength payload type', kind: 'uint', max: 127 },
  plength: { param: 'ptimeMs', label: 'plength', kind: 'ms', max: MAX_PLENGTH_MS },
} as const satisfies Record<string, EbuAcipNumber>;

function bad(message: string, field = 'a=ebuacip'): AcipError {
  return new AcipError(SDP_BAD_EBUACIP, message, field);
}

/** Reads one number of sub-attribute `sub` against its row entry. */
function num(sub: string, n: EbuAcipNumber, token: string | undefined): number {
  const field = `a=ebuacip:${sub}.${n.param}`;
  const got = JSON.stringify(token ?? '');
  if (n.kind === 'uint') {
    if (token === undefined || !/^\d{1,9}$/.test(token)) throw bad(`${n.label} must be a non-negative integer, got ${got}`, field);
    const v = Number(token);
    if (v > n.max) throw bad(`${n.label} ${v} exceeds ${n.max}`, field);
    return v;
  }
  // Packet lengths may be fractional (Opus 2.5 ms).
  if (token === undefined || !/^\d{1,6}(\.\d{1,3})?$/.test(token)) throw bad(`${n.label} must be a number of ms, got ${got}`, field);
  const v = Number(token);
  if (v <= 0 || v > n.max) throw bad(`${n.label} ${v} is outside 0..${n.max} ms`, field);
  return v;
}

function expectCount(sub: string, tokens: readonly string[], n: number, form: string): void {
  if (tokens.length !== n) throw bad(`expected "${form}", got ${tokens.length - 1} argument(s)`, `a=ebuacip:${sub}`);
}

/** Integers print without a decimal point; 2.5 prints as 2.5. */
function fmtMs(n: number): string {
  return String(Number(n.toFixed(3)));
}

/** A row whose default is always written (version, jb). */
type Defaulted<K extends KnownEbuAcipKind> = EbuAcipRow<K> & { readonly default: Extract<EbuAcipAttribute, { kind: K }> };

const versionRow: Defaulted<'version'> = {
  name: 'version',
  form: 'version N',
  numbers: [N.version],
  default: { kind: 'version', version: 0 },
  absent: 'the sender does not say which Tech 3368 version it follows',
  parse(tokens) {
    expectCount('version', tokens, 2, 'version N');
    return { kind: 'version', version: num('version', N.version, tokens[1]) };
  },
  format: (a) => `version ${a.version}`,
};

const jbRow: Defaulted<'jb'> = {
  name: 'jb',
  form: 'jb N',
  numbers: [N.jbOption],
  default: { kind: 'jb', option: 0 },
  absent: 'the first jbdef applies',
  parse(tokens) {
    expectCount('jb', tokens, 2, 'jb N');
    return { kind: 'jb', option: num('jb', N.jbOption, tokens[1]) };
  },
  format: (a) => `jb ${a.option}`,
};

const jbdefRow: EbuAcipRow<'jbdef'> = {
  name: 'jbdef',
  form: 'jbdef N fixed MS | jbdef N auto MIN-MAX',
  numbers: [N.jbdefOption, N.fixedDelay, N.autoMin, N.autoMax],
  absent: 'the receiver keeps its own buffer settings',
  parse(tokens) {
    const option = num('jbdef', N.jbdefOption, tokens[1]);
    const mode = (tokens[2] ?? '').toLowerCase();
    if (mode === 'fixed') {
      expectCount('jbdef', tokens, 4, 'jbdef N fixed MS');
      return { kind: 'jbdef', option, mode: 'fixed', delayMs: num('jbdef', N.fixedDelay, tokens[3]) };
    }
    if (mode === 'auto') {
      expectCount('jbdef', tokens, 4, 'jbdef N auto MIN-MAX');
      const m = /^(\d{1,9})-(\d{1,9})$/.exec(tokens[3] ?? '');
      if (!m) throw bad(`jbdef auto range must be MIN-MAX, got ${JSON.stringify(tokens[3] ?? '')}`, 'a=ebuacip:jbdef.minMs');
      const minMs = num('jbdef', N.autoMin, m[1]);
      const maxMs = num('jbdef', N.autoMax, m[2]);
      if (minMs > maxMs) throw bad(`jbdef auto range ${minMs}-${maxMs}: min exceeds max`, 'a=ebuacip:jbdef.minMs');
      return { kind: 'jbdef', option, mode: 'auto', minMs, maxMs };
    }
    throw bad(`jbdef mode must be "fixed" or "auto", got ${JSON.stringify(tokens[2] ?? '')}`, 'a=ebuacip:jbdef.mode');
  },
  format: (a) => (a.mode === 'fixed' ? `jbdef ${a.option} fixed ${a.delayMs}` : `jbdef ${a.option} auto ${a.minMs}-${a.maxMs}`),
};

const qosrecRow: EbuAcipRow<'qosrec'> = {
  name: 'qosrec',
  form: 'qosrec PARAMETERS',
  numbers: [],
  absent: 'no QoS recommendation',
  parse(tokens, text) {
    const rest = text.slice((tokens[0] ?? '').length).trim();
    if (rest === '') throw bad('qosrec needs its QoS parameters', 'a=ebuacip:qosrec.value');
    return { kind: 'qosrec', value: rest };
  },
  format: (a) => `qosrec ${a.value}`,
};

const plengthRow: EbuAcipRow<'plength'> = {
  name: 'plength',
  form: 'plength PT MS',
  numbers: [N.payloadType, N.plength],
  absent: 'a=ptime applies to the payload type',
  parse(tokens) {
    expectCount('plength', tokens, 3, 'plength PT MS');
    return { kind: 'plength', payloadType: num('plength', N.payloadType, tokens[1]), ptimeMs: num('plength', N.plength, tokens[2]) };
  },
  format: (a) => `plength ${a.payloadType} ${fmtMs(a.ptimeMs)}`,
};

/** The known sub-attributes, in the order we write them (version, jb, jbdef, qosrec, plength). */
export const EBUACIP_TABLE = {
  version: versionRow,
  jb: jbRow,
  jbdef: jbdefRow,
  qosrec: qosrecRow,
  plength: plengthRow,
} as const satisfies { [K in KnownEbuAcipKind]: EbuAcipRow<K> };

export const EBUACIP_WRITE_ORDER: readonly KnownEbuAcipKind[] = ['version', 'jb', 'jbdef', 'qosrec', 'plength'];

function rowOf(name: string): EbuAcipRow<KnownEbuAcipKind> | undefined {
  return EBUACIP_WRITE_ORDER.includes(name as KnownEbuAcipKind) ? (EBUACIP_TABLE[name as KnownEbuAcipKind] as EbuAcipRow<KnownEbuAcipKind>) : undefined;
}

/**
 * Parses the value of one `a=ebuacip:` line (without the `ebuacip:` prefix), e.g. `jbdef 0 auto 20-160`.
 * Sub-attribute names are compared case-insensitively; unknown ones come back as `unknown`.
 * Throws AcipError(SDP_BAD_EBUACIP, field).
 */
export function parseEbuAcip(value: string): EbuAcipAttribute {
  if (value.length > EBUACIP_MAX_VALUE_LENGTH) throw bad(`value longer than ${EBUACIP_MAX_VALUE_LENGTH} characters`);
  const text = value.trim();
  const tokens = text.split(/\s+/);
  const head = tokens[0] ?? '';
  if (head === '') throw bad('empty ebuacip attribute');
  const row = rowOf(head.toLowerCase());
  if (row) return row.parse(tokens, text);
  return { kind: 'unknown', name: head, value: text.slice(head.length).trim() };
}

/** Formats one attribute as the value of an `a=ebuacip:` line (without the `ebuacip:` prefix). */
export function formatEbuAcip(a: EbuAcipAttribute): string {
  if (a.kind === 'unknown') return a.value === '' ? a.name : `${a.name} ${a.value}`;
  return (EBUACIP_TABLE[a.kind] as EbuAcipRow<typeof a.kind>).format(a);
}
