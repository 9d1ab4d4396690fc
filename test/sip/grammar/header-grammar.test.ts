import { describe, expect, it } from 'vitest';
import { formatVia, isRfc3261Branch, parseVia, type Via } from '../../../server/sip/grammar/via.js';
import {
  getTag, parseContentLength, parseCSeq, parseDeltaSeconds, parseMaxForwards, parseParams, parseTokenList, splitHeaderList,
} from '../../../server/sip/grammar/headers.js';
import { SipParseError } from '../../../server/sip/grammar/parse-error.js';

const goodVias: [string, Partial<Via>[]][] = [
  ['SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds', [{ protocol: 'SIP/2.0', transport: 'UDP', host: '192.0.2.1', port: 5060, branch: 'z9hG4bK776asdhds' }]],
  ['SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8;received=192.0.2.1', [{ host: 'pc33.atlanta.com', received: '192.0.2.1' }]],
  ['SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKa', [{ rport: true }]],
  ['SIP/2.0/UDP 10.0.0.1;rport=5070;received=192.0.2.9;branch=z9hG4bKa', [{ rport: 5070, received: '192.0.2.9' }]],
  ['SIP/2.0/TCP [2001:db8::9]:5061;branch=z9hG4bKb;received=2001:db8::1', [{ transport: 'TCP', host: '2001:db8::9', port: 5061, received: '2001:db8::1' }]],
  ['sip/2.0/tls h.example.com;ttl=16;maddr=239.1.1.1', [{ protocol: 'SIP/2.0', transport: 'TLS', ttl: 16, maddr: '239.1.1.1' }]],
  ['SIP  /   2.0\t/ UDP   192.0.2.2 ;  branch  =  390skdjuw', [{ transport: 'UDP', host: '192.0.2.2', branch: '390skdjuw' }]],
  ['SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com:5070;branch=z9hG4bK2', [{ host: 'a.example.com' }, { host: 'b.example.com', port: 5070, transport: 'TCP' }]],
  ['SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en', [{ transport: 'UNKNOWN' }]],
  ['SIP/2.0/UDP iftgw.example.com', [{ host: 'iftgw.example.com', branch: undefined }]],
];

const badVias: string[] = [
  '',
  'SIP/2.0/UDP 192.0.2.15;;,;,,',
  'SIP/2.0/UDP',
  'SIP/2.0 192.0.2.1',
  'SIP/2.0/UDP192.0.2.1',
  'SIP/2.0/UDP 192.0.2.1:70000',
  'SIP/2.0/UDP 192.0.2.1;rport=99999999999999999999',
  'SIP/2.0/UDP 192.0.2.1;received=not-an-ip',
  'SIP/2.0/UDP 192.0.2.1;branch=a;branch=b',
  'SIP/2.0/UDP 192.0.2.1;ttl=256',
  'SIP/2.0/UDP 192.0.2.1,',
  'SIP/2.0/UDP 192.0.2.1 junk',
  'SIP/2.0/UDP [::1',
];

describe('parseVia', () => {
  for (const [text, want] of goodVias) {
    it(`parses ${JSON.stringify(text)}`, () => {
      const vias = parseVia(text);
      expect(vias).toHaveLength(want.length);
      vias.forEach((v, i) => {
        for (const [k, val] of Object.entries(want[i]!)) expect(v[k as keyof Via], k).toEqual(val);
        expect(parseVia(formatVia(v))).toEqual([v]);
      });
    });
  }
  for (const text of badVias) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      expect(() => parseVia(text)).toThrow(SipParseError);
    });
  }

  it('formats rport, received and IPv6 hosts', () => {
    const [v] = parseVia('SIP/2.0/UDP [::1]:5062;rport;branch=z9hG4bKq');
    v!.rport = 40000;
    v!.received = '::1';
    expect(formatVia(v!)).toBe('SIP/2.0/UDP [::1]:5062;rport=40000;branch=z9hG4bKq;received=::1');
  });

  it('recognises RFC 3261 branches by the magic cookie', () => {
    expect(isRfc3261Branch('z9hG4bK776asdhds')).toBe(true);
    expect(isRfc3261Branch('z9hG4bK')).toBe(false);
    expect(isRfc3261Branch('390skdjuw')).toBe(false);
    expect(isRfc3261Branch(undefined)).toBe(false);
  });
});

describe('CSeq and numbers', () => {
  const good: [string, number, string][] = [
    ['1 INVITE', 1, 'INVITE'],
    ['0009 INVITE', 9, 'INVITE'],
    ['0 ACK', 0, 'ACK'],
    ['2147483647 BYE', 2147483647, 'BYE'],
    ['  4711\t OPTIONS ', 4711, 'OPTIONS'],
    ["139122385 !interesting-Method0123456789_*+`.%indeed'~", 139122385, "!interesting-Method0123456789_*+`.%indeed'~"],
  ];
  for (const [text, seq, method] of good) {
    it(`reads CSeq ${JSON.stringify(text)}`, () => expect(parseCSeq(text)).toEqual({ seq, method }));
  }
  const bad = ['', 'INVITE', '1', '1INVITE', '-1 INVITE', '2147483648 INVITE', '36893488147419103232 REGISTER', '1 INV ITE', '1.5 INVITE', '0x10 INVITE', '1 <INVITE>'];
  for (const text of bad) {
    it(`rejects CSeq ${JSON.stringify(text)}`, () => {
      try {
        parseCSeq(text);
        expect.unreachable();
      } catch (e) {
        expect((e as SipParseError).code).toBe('SIP_BAD_CSEQ');
        expect((e as SipParseError).message).toMatch(/CSeq/);
      }
    });
  }

  it('bounds Max-Forwards to 0..255, Expires to 2^32-1 and Content-Length to the limit', () => {
    expect(parseMaxForwards('0068')).toBe(68);
    expect(parseMaxForwards('0')).toBe(0);
    expect(parseMaxForwards('255')).toBe(255);
    for (const v of ['256', '300', '-1', '', '7a', '1e2', '99999999999999999999999']) expect(() => parseMaxForwards(v), v).toThrow(SipParseError);
    expect(parseDeltaSeconds('4294967295')).toBe(4294967295);
    expect(() => parseDeltaSeconds('4294967296')).toThrow(SipParseError);
    expect(() => parseDeltaSeconds(`1${'0'.repeat(100)}`)).toThrow(SipParseError);
    expect(() => parseDeltaSeconds('280297596632815')).toThrow(SipParseError);
    expect(parseContentLength(' 150 ', 65536)).toBe(150);
    for (const v of ['-999', '9007199254740993', '65537', '+1', '1 2']) expect(() => parseContentLength(v, 65536), v).toThrow(SipParseError);
  });
});

describe('header lists and parameters', () => {
  it('splits on commas outside quotes and angle brackets, keeping empty elements', () => {
    expect(splitHeaderList('a, b ,c')).toEqual(['a', 'b', 'c']);
    expect(splitHeaderList('"x, \\"y\\"", <sip:a,b@h>;p=1, z')).toEqual(['"x, \\"y\\""', '<sip:a,b@h>;p=1', 'z']);
    expect(splitHeaderList(';;,,;;,;')).toEqual([';;', '', ';;', ';']);
    expect(() => splitHeaderList('"open, a')).toThrow(SipParseError);
    expect(() => splitHeaderList('<sip:a, b')).toThrow(SipParseError);
  });

  it('parses generic parameters with LWS, flags, quoted and IPv6 values', () => {
    expect([...parseParams(' ; a = 1 ;B;c="x;y\\"";d=[::1]')]).toEqual([['a', '1'], ['b', null], ['c', '"x;y\\""'], ['d', '[::1]']]);
    expect(parseParams('').size).toBe(0);
    for (const bad of [';', ';;a', ';a=', ';a=1;a=2', 'a=1', ';a="x', ';a b']) expect(() => parseParams(bad), bad).toThrow(SipParseError);
  });

  it('stores parameter names such as __proto__ as plain map keys', () => {
    const p = parseParams(';__proto__=x;constructor');
    expect(p.get('__proto__')).toBe('x');
    expect(p.get('constructor')).toBeNull();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('reads tags and token lists', () => {
    expect(getTag('"A" <sip:a@h.com>;tag=abc')).toBe('abc');
    expect(getTag('sip:a@h.com')).toBeUndefined();
    expect(() => getTag('"unterminated <sip:a@h.com>')).toThrow(SipParseError);
    expect(parseTokenList('INVITE, ACK,BYE , ,OPTIONS')).toEqual(['INVITE', 'ACK', 'BYE', 'OPTIONS']);
    expect(() => parseTokenList('a b')).toThrow(SipParseError);
  });
});
