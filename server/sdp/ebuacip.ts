/**
 * EBU Tech 3368 `a=ebuacip:` lines of one media section as a set: collecting a peer's lines,
 * deriving our own set, writing a set back as values, and reading what a set means for the link
 * (the packet length of a payload type, the selected jitter-buffer definition). One line at a time
 * is parsed and formatted by the table in ebuacip-table.ts.
 *
 * Peer input never throws out of `collectEbuAcip`: a malformed line is kept in `invalid` with the
 * reason. `parseEbuAcip` (one value) throws AcipError(SDP_BAD_EBUACIP) for callers that want it.
 */
import type { JitterBufferSettings } from '../config/profile-schema.js';
import {
  EBUACIP_MAX_VALUE_LENGTH,
  EBUACIP_TABLE,
  EBUACIP_WRITE_ORDER,
  formatEbuAcip,
  parseEbuAcip,
  type EbuAcipAttribute,
  type EbuAcipJbdef,
  type KnownEbuAcipKind,
} from './ebuacip-table.js';

export {
  EBUACIP_ATTRIBUTE,
  EBUACIP_MAX_VALUE_LENGTH,
  formatEbuAcip,
  parseEbuAcip,
  SDP_BAD_EBUACIP,
  type EbuAcipAttribute,
  type EbuAcipJbdef,
} from './ebuacip-table.js';

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

type Of<K extends EbuAcipAttribute['kind']> = Extract<EbuAcipAttribute, { kind: K }>;

/** Where each kind of attribute lives in a set: how to add one, and how to read them back. */
const SET_SLOTS: { [K in EbuAcipAttribute['kind']]: { add(set: EbuAcipSet, a: Of<K>): void; read(set: EbuAcipSet): Of<K>[] } } = {
  version: {
    add: (s, a) => void (s.version = a.version),
    read: (s) => (s.version !== undefined ? [{ kind: 'version', version: s.version }] : []),
  },
  jb: {
    add: (s, a) => void (s.jbOption = a.option),
    read: (s) => (s.jbOption !== undefined ? [{ kind: 'jb', option: s.jbOption }] : []),
  },
  jbdef: { add: (s, a) => void s.jbdefs.push(a), read: (s) => s.jbdefs },
  qosrec: { add: (s, a) => void s.qosrec.push(a.value), read: (s) => s.qosrec.map((value) => ({ kind: 'qosrec', value })) },
  plength: {
    add: (s, a) => void s.plengths.push({ payloadType: a.payloadType, ptimeMs: a.ptimeMs }),
    read: (s) => s.plengths.map((p) => ({ kind: 'plength', ...p })),
  },
  unknown: { add: (s, a) => void s.unknown.push({ name: a.name, value: a.value }), read: (s) => s.unknown.map((u) => ({ kind: 'unknown', ...u })) },
};

function addToSet(set: EbuAcipSet, a: EbuAcipAttribute): void {
  (SET_SLOTS[a.kind].add as (s: EbuAcipSet, x: EbuAcipAttribute) => void)(set, a);
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

/** The set as attribute values in the table's order (version, jb, jbdef, qosrec, plength), then unknown ones. */
export function ebuAcipSetToValues(set: EbuAcipSet): string[] {
  const kinds: ReadonlyArray<KnownEbuAcipKind | 'unknown'> = [...EBUACIP_WRITE_ORDER, 'unknown'];
  return kinds.flatMap((k) => SET_SLOTS[k].read(set) as EbuAcipAttribute[]).map(formatEbuAcip);
}

/**
 * Our own set: the table's defaults (version 0, jb 0), our buffer as jbdef option 0, qosrec when
 * configured, and a plength for every payload type whose packet time differs from a=ptime.
 */
export function deriveEbuAcip(ours: { jitterBuffer: JitterBufferSettings; qosrec?: string }, plengths: readonly { payloadType: number; ptimeMs: number }[] = []): EbuAcipSet {
  const set = emptyEbuAcipSet();
  addToSet(set, EBUACIP_TABLE.version.default);
  addToSet(set, EBUACIP_TABLE.jb.default);
  addToSet(set, settingsToJbdef(EBUACIP_TABLE.jb.default.option, ours.jitterBuffer));
  if (ours.qosrec !== undefined) addToSet(set, { kind: 'qosrec', value: ours.qosrec });
  for (const p of plengths) addToSet(set, { kind: 'plength', ...p });
  return set;
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
