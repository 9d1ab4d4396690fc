/**
 * The a=ebuacip sub-attribute table (EBU Tech 3368): every row parses, refuses numbers outside their
 * range with the sub-attribute and parameter named, has its default, and formats back to its text.
 */
import { describe, expect, it } from 'vitest';
import { deriveEbuAcip, ebuAcipSetToValues } from '../../server/sdp/ebuacip.js';
import {
  EBUACIP_TABLE,
  EBUACIP_WRITE_ORDER,
  formatEbuAcip,
  parseEbuAcip,
  SDP_BAD_EBUACIP,
  type EbuAcipAttribute,
  type KnownEbuAcipKind,
} from '../../server/sdp/ebuacip-table.js';
import { AcipError } from '../../server/util/errors.js';
import { thrownBy } from '../helpers/thrown.js';

const thrown = (fn: () => unknown): AcipError => thrownBy(AcipError, fn);

// row, a value as peers write it, what it means
const parses: Array<[KnownEbuAcipKind, string, EbuAcipAttribute]> = [
  ['version', 'version 0', { kind: 'version', version: 0 }],
  ['jb', 'jb 1', { kind: 'jb', option: 1 }],
  ['jbdef', 'jbdef 0 fixed 40', { kind: 'jbdef', option: 0, mode: 'fixed', delayMs: 40 }],
  ['jbdef', 'jbdef 1 auto 20-160', { kind: 'jbdef', option: 1, mode: 'auto', minMs: 20, maxMs: 160 }],
  ['qosrec', 'qosrec 46', { kind: 'qosrec', value: '46' }],
  ['plength', 'plength 96 2.5', { kind: 'plength', payloadType: 96, ptimeMs: 2.5 }],
];

// row, parameter, a value just outside its range, and one at the edge of it
const ranges: Array<[KnownEbuAcipKind, string, string, string]> = [
  ['version', 'version', 'version 1000001', 'version 1000000'],
  ['jb', 'option', 'jb 1000001', 'jb 1000000'],
  ['jbdef', 'option', 'jbdef 1000001 fixed 20', 'jbdef 1000000 fixed 20'],
  ['jbdef', 'delayMs', 'jbdef 0 fixed 10001', 'jbdef 0 fixed 10000'],
  ['jbdef', 'minMs', 'jbdef 0 auto 10001-10002', 'jbdef 0 auto 0-10'],
  ['jbdef', 'maxMs', 'jbdef 0 auto 20-10001', 'jbdef 0 auto 20-10000'],
  ['plength', 'payloadType', 'plength 128 20', 'plength 127 20'],
  ['plength', 'ptimeMs', 'plength 96 1001', 'plength 96 1000'],
];

// row, the default we write (undefined: the value comes from the profile or the codec)
const defaults: Array<[KnownEbuAcipKind, EbuAcipAttribute | undefined]> = [
  ['version', { kind: 'version', version: 0 }],
  ['jb', { kind: 'jb', option: 0 }],
  ['jbdef', undefined],
  ['qosrec', undefined],
  ['plength', undefined],
];

describe('the a=ebuacip sub-attribute table (EBU Tech 3368)', () => {
  it('has a row per known sub-attribute, written in the order version, jb, jbdef, qosrec, plength', () => {
    expect(Object.keys(EBUACIP_TABLE)).toEqual([...EBUACIP_WRITE_ORDER]);
    expect([...new Set(parses.map((p) => p[0]))].sort()).toEqual([...EBUACIP_WRITE_ORDER].sort());
  });

  it.each(parses)('%s: parses "%s"', (row, text, attr) => {
    expect(parseEbuAcip(text)).toEqual(attr);
    expect(EBUACIP_TABLE[row].name).toBe(row);
  });

  it.each(parses)('%s: formats "%s" back to the same text', (_row, text, attr) => {
    expect(formatEbuAcip(attr)).toBe(text);
    expect(parseEbuAcip(formatEbuAcip(attr))).toEqual(attr);
  });

  it('lists a range check below for every number of every row', () => {
    const declared = EBUACIP_WRITE_ORDER.flatMap((row) => EBUACIP_TABLE[row].numbers.map((n) => `${row}.${n.param}`));
    expect(ranges.map(([row, param]) => `${row}.${param}`).sort()).toEqual(declared.sort());
  });

  it.each(ranges)('%s: refuses %s outside its range ("%s"), naming the field', (row, param, outside, edge) => {
    const err = thrown(() => parseEbuAcip(outside));
    expect([err.code, err.field]).toEqual([SDP_BAD_EBUACIP, `a=ebuacip:${row}.${param}`]);
    const n = EBUACIP_TABLE[row].numbers.find((x) => x.param === param);
    expect(err.message).toContain(n?.label);
    expect(() => parseEbuAcip(edge)).not.toThrow();
  });

  it.each(defaults)('%s: has its default', (row, dflt) => {
    const r = EBUACIP_TABLE[row] as { default?: EbuAcipAttribute; absent: string };
    expect(r.default).toEqual(dflt);
    if (dflt) expect(parseEbuAcip(formatEbuAcip(dflt))).toEqual(dflt);
    expect(r.absent).not.toBe('');
  });

  it('names the sub-attribute when the argument count is wrong', () => {
    expect(thrown(() => parseEbuAcip('plength 96')).field).toBe('a=ebuacip:plength');
    expect(thrown(() => parseEbuAcip('jbdef 0 sideways 20')).field).toBe('a=ebuacip:jbdef.mode');
  });
});

describe('our own a=ebuacip set', () => {
  it('writes the table defaults, our buffer as jbdef 0, qosrec and plengths in table order', () => {
    const set = deriveEbuAcip({ jitterBuffer: { mode: 'fixed', delayMs: 40 }, qosrec: '46' }, [{ payloadType: 97, ptimeMs: 5 }]);
    expect(ebuAcipSetToValues(set)).toEqual(['version 0', 'jb 0', 'jbdef 0 fixed 40', 'qosrec 46', 'plength 97 5']);
  });

  it('leaves qosrec and plength out when there is nothing to say', () => {
    expect(ebuAcipSetToValues(deriveEbuAcip({ jitterBuffer: { mode: 'adaptive', minMs: 20, maxMs: 160 } }))).toEqual(['version 0', 'jb 0', 'jbdef 0 auto 20-160']);
  });
});
