import { describe, expect, it } from 'vitest';
import {
  collectEbuAcip,
  ebuAcipSetToValues,
  formatEbuAcip,
  jbdefToSettings,
  parseEbuAcip,
  plengthFor,
  SDP_BAD_EBUACIP,
  selectedJbdef,
  settingsToJbdef,
  type EbuAcipAttribute,
} from '../../server/sdp/ebuacip.js';
import { AcipError } from '../../server/util/errors.js';

// Values as baresip's ebuacip module and EBU Tech 3368 write them.
const wellFormed: Array<[string, EbuAcipAttribute]> = [
  ['version 0', { kind: 'version', version: 0 }],
  ['jb 0', { kind: 'jb', option: 0 }],
  ['jb 2', { kind: 'jb', option: 2 }],
  ['jbdef 0 auto 20-160', { kind: 'jbdef', option: 0, mode: 'auto', minMs: 20, maxMs: 160 }],
  ['jbdef 0 auto 100-200', { kind: 'jbdef', option: 0, mode: 'auto', minMs: 100, maxMs: 200 }],
  ['jbdef 1 fixed 200', { kind: 'jbdef', option: 1, mode: 'fixed', delayMs: 200 }],
  ['plength 96 20', { kind: 'plength', payloadType: 96, ptimeMs: 20 }],
  ['plength 97 4', { kind: 'plength', payloadType: 97, ptimeMs: 4 }],
  ['plength 96 2.5', { kind: 'plength', payloadType: 96, ptimeMs: 2.5 }],
  ['qosrec 46', { kind: 'qosrec', value: '46' }],
  ['qosrec 34 46', { kind: 'qosrec', value: '34 46' }],
  ['fec 0', { kind: 'unknown', name: 'fec', value: '0' }],
  ['fecdef 0 1 2', { kind: 'unknown', name: 'fecdef', value: '0 1 2' }],
  ['x-vendor', { kind: 'unknown', name: 'x-vendor', value: '' }],
];

describe('a=ebuacip grammar (EBU Tech 3368)', () => {
  it.each(wellFormed)('parses "%s" and formats it back to the same text', (text, attr) => {
    expect(parseEbuAcip(text)).toEqual(attr);
    expect(formatEbuAcip(attr)).toBe(text);
  });

  it('accepts upper-case sub-attribute and mode names and extra blanks', () => {
    expect(parseEbuAcip('  JBDEF 0  AUTO  40-80 ')).toEqual({ kind: 'jbdef', option: 0, mode: 'auto', minMs: 40, maxMs: 80 });
    expect(parseEbuAcip('Version 0')).toEqual({ kind: 'version', version: 0 });
  });

  const malformed: Array<[string, RegExp]> = [
    ['', /empty/],
    ['version', /version N/],
    ['version x', /integer/],
    ['jb -1', /integer/],
    ['jbdef 0 auto 160-20', /min exceeds max/],
    ['jbdef 0 auto 20', /MIN-MAX/],
    ['jbdef 0 adaptive 20-40', /fixed.*auto/],
    ['jbdef 0 fixed', /jbdef N fixed MS/],
    ['jbdef 0 fixed 99999', /exceeds/],
    ['plength 128 20', /exceeds 127/],
    ['plength 96 0', /outside/],
    ['plength 96', /plength PT MS/],
    ['qosrec', /QoS parameters/],
    ['version ' + '9'.repeat(600), /longer than/],
  ];
  it.each(malformed)('rejects "%s" with a typed error', (text, reason) => {
    let caught: unknown;
    try {
      parseEbuAcip(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AcipError);
    expect((caught as AcipError).code).toBe(SDP_BAD_EBUACIP);
    expect((caught as AcipError).message).toMatch(reason);
  });
});

describe('collecting the ebuacip lines of a media section', () => {
  const baresip = ['version 0', 'jb 0', 'jbdef 0 auto 100-200', 'qosrec 46', 'plength 96 20', 'plength 97 20', 'plength 9 20', 'plength 8 20'];

  it("summarises baresip's lines and keeps them in order", () => {
    const set = collectEbuAcip(baresip);
    expect(set.version).toBe(0);
    expect(set.jbOption).toBe(0);
    expect(set.jbdefs).toEqual([{ kind: 'jbdef', option: 0, mode: 'auto', minMs: 100, maxMs: 200 }]);
    expect(set.qosrec).toEqual(['46']);
    expect(set.plengths.map((p) => p.payloadType)).toEqual([96, 97, 9, 8]);
    expect(plengthFor(set, 97)).toBe(20);
    expect(plengthFor(set, 0)).toBeUndefined();
    expect(ebuAcipSetToValues(set)).toEqual(baresip);
  });

  it('keeps malformed lines with their reason instead of throwing', () => {
    const set = collectEbuAcip(['version 0', 'jbdef 0 auto 9-1', 'plength x 20', 'fec 1']);
    expect(set.version).toBe(0);
    expect(set.jbdefs).toEqual([]);
    expect(set.invalid.map((i) => i.value)).toEqual(['jbdef 0 auto 9-1', 'plength x 20']);
    expect(set.invalid[0]?.reason).toMatch(/min exceeds max/);
    expect(set.unknown).toEqual([{ name: 'fec', value: '1' }]);
  });

  it('selects the jbdef that jb names, else the first one', () => {
    const two = collectEbuAcip(['jb 1', 'jbdef 0 fixed 100', 'jbdef 1 auto 20-60']);
    expect(selectedJbdef(two)).toEqual({ kind: 'jbdef', option: 1, mode: 'auto', minMs: 20, maxMs: 60 });
    const noJb = collectEbuAcip(['jbdef 3 fixed 40', 'jbdef 4 fixed 80']);
    expect(selectedJbdef(noJb)?.option).toBe(3);
    const dangling = collectEbuAcip(['jb 7', 'jbdef 0 fixed 40']);
    expect(selectedJbdef(dangling)?.option).toBe(0);
    expect(selectedJbdef(collectEbuAcip(['version 0']))).toBeUndefined();
  });

  it('maps jbdef to and from profile jitter-buffer settings', () => {
    expect(jbdefToSettings({ kind: 'jbdef', option: 0, mode: 'auto', minMs: 20, maxMs: 160 })).toEqual({ mode: 'adaptive', minMs: 20, maxMs: 160 });
    expect(jbdefToSettings({ kind: 'jbdef', option: 0, mode: 'fixed', delayMs: 80 })).toEqual({ mode: 'fixed', delayMs: 80 });
    expect(formatEbuAcip(settingsToJbdef(0, { mode: 'adaptive', minMs: 10, maxMs: 80 }))).toBe('jbdef 0 auto 10-80');
    expect(formatEbuAcip(settingsToJbdef(0, { mode: 'fixed', delayMs: 60 }))).toBe('jbdef 0 fixed 60');
  });
});
