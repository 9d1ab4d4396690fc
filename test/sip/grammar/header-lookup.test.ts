/**
 * SipHeaders keeps a lower-case key beside each header for lookups, and getTag remembers the tags of
 * values it has read: every edit must keep lookups in step, and a remembered value must read the same.
 */
import { describe, expect, it } from 'vitest';
import { SipHeaders, canonicalHeaderName } from '../../../server/sip/grammar/message.js';
import { getTag } from '../../../server/sip/grammar/headers.js';

function headers(...pairs: [string, string][]): SipHeaders {
  const h = new SipHeaders();
  for (const [n, v] of pairs) h.append(n, v);
  return h;
}

const names = (h: SipHeaders) => h.entries().map((e) => `${e.name}: ${e.value}`);

describe('header lookups after each kind of edit', () => {
  const cases: { edit: string; apply: (h: SipHeaders) => void; lookups: [string, string | undefined][]; list: string[] }[] = [
    {
      edit: 'append in compact and odd-case forms',
      apply: (h) => {
        h.append('v', 'SIP/2.0/UDP b');
        h.append('X-CUSTOM', 'x');
      },
      lookups: [['via', 'SIP/2.0/UDP a'], ['x-custom', 'x'], ['X-Custom', 'x']],
      list: ['Via: SIP/2.0/UDP a', 'From: <sip:a@h>;tag=1', 'Via: SIP/2.0/UDP b', 'X-CUSTOM: x'],
    },
    {
      edit: 'prepend a Via',
      apply: (h) => h.prepend('Via', 'SIP/2.0/UDP top'),
      lookups: [['v', 'SIP/2.0/UDP top'], ['from', '<sip:a@h>;tag=1']],
      list: ['Via: SIP/2.0/UDP top', 'Via: SIP/2.0/UDP a', 'From: <sip:a@h>;tag=1'],
    },
    {
      edit: 'remove the first Via',
      apply: (h) => h.removeFirst('VIA'),
      lookups: [['Via', undefined], ['f', '<sip:a@h>;tag=1']],
      list: ['From: <sip:a@h>;tag=1'],
    },
    {
      edit: 'set replaces every header of the name where the first stood',
      apply: (h) => {
        h.append('Via', 'SIP/2.0/UDP b');
        h.set('v', 'SIP/2.0/UDP only');
      },
      lookups: [['Via', 'SIP/2.0/UDP only'], ['From', '<sip:a@h>;tag=1']],
      list: ['Via: SIP/2.0/UDP only', 'From: <sip:a@h>;tag=1'],
    },
    {
      edit: 'delete removes every header of the name',
      apply: (h) => h.delete('from'),
      lookups: [['From', undefined], ['Via', 'SIP/2.0/UDP a']],
      list: ['Via: SIP/2.0/UDP a'],
    },
  ];
  for (const c of cases) {
    it(`finds what is there after: ${c.edit}`, () => {
      const h = headers(['Via', 'SIP/2.0/UDP a'], ['From', '<sip:a@h>;tag=1']);
      c.apply(h);
      for (const [name, value] of c.lookups) {
        expect(h.get(name)).toBe(value);
        expect(h.has(name)).toBe(value !== undefined);
      }
      expect(names(h)).toEqual(c.list);
      expect(h.clone().get(c.lookups[0]![0])).toBe(c.lookups[0]![1]);
    });
  }

  it('returns every line of a name in order, whatever spelling the lines and the lookup use', () => {
    const h = headers(['Via', '1'], ['v', '2'], ['From', 'f'], ['VIA', '3']);
    expect(h.getAll('via')).toEqual(['1', '2', '3']);
    expect(h.getAll('V')).toEqual(['1', '2', '3']);
  });

  it('counts the lines of a name whatever spelling the lines and the lookup use, after edits too', () => {
    const h = headers(['Via', 'a'], ['v', 'b'], ['Call-ID', 'c'], ['VIA', 'd']);
    expect([h.count('via'), h.count('V'), h.count('i'), h.count('To')]).toEqual([3, 3, 1, 0]);
    h.removeFirst('Via');
    h.set('call-id', undefined);
    expect([h.count('Via'), h.count('Call-ID')]).toEqual([2, 0]);
  });

  it('keeps a header named __proto__ a header', () => {
    const h = headers(['__proto__', 'x']);
    expect(h.get('__proto__')).toBe('x');
    expect(canonicalHeaderName('__proto__')).toBe('__proto__');
  });

  it('canonicalises more distinct names than it remembers, the same way every time', () => {
    for (let i = 0; i < 2000; i++) expect(canonicalHeaderName(`X-Name-${i}`)).toBe(`X-Name-${i}`);
    expect(canonicalHeaderName('i')).toBe('Call-ID');
    expect(canonicalHeaderName('cseq')).toBe('CSeq');
  });
});

describe('getTag on values read before', () => {
  it('reads the same tag, or none, every time a value comes again', () => {
    for (let round = 0; round < 2; round++) {
      expect(getTag('<sip:a@h>;tag=abc')).toBe('abc');
      expect(getTag('<sip:a@h>')).toBeUndefined();
      expect(getTag('"A" <sip:a@h>;tag=x;foo=1')).toBe('x');
    }
  });

  it('throws for a malformed value every time, not only the first', () => {
    expect(() => getTag('<sip:a@h')).toThrow();
    expect(() => getTag('<sip:a@h')).toThrow();
  });

  it('stays right after more distinct values than it remembers', () => {
    for (let i = 0; i < 3000; i++) expect(getTag(`<sip:u${i}@h>;tag=t${i}`)).toBe(`t${i}`);
    expect(getTag('<sip:u5@h>;tag=t5')).toBe('t5');
  });
});
