import { describe, expect, it } from 'vitest';
import { formatNameAddr, formatUri, parseNameAddr, parseNameAddrList, parseUri, type SipUri } from '../../../server/sip/grammar/uri.js';
import { SipParseError } from '../../../server/sip/grammar/parse-error.js';

type UriRow = [string, Partial<Omit<SipUri, 'params' | 'headers'>> & { params?: [string, string | null][]; headers?: [string, string][] }];

const goodUris: UriRow[] = [
  ['sip:alice@example.com', { scheme: 'sip', user: 'alice', host: 'example.com' }],
  ['SIP:alice@Example.COM:5070', { scheme: 'sip', user: 'alice', host: 'Example.COM', port: 5070 }],
  ['sips:bob:secret@192.0.2.4', { scheme: 'sips', user: 'bob', password: 'secret', host: '192.0.2.4' }],
  ['sip:[2001:db8::10]:5061;transport=tls', { host: '2001:db8::10', port: 5061, params: [['transport', 'tls']] }],
  ['sip:[::1]', { host: '::1', port: undefined }],
  ['sip:example.com', { user: undefined, host: 'example.com' }],
  ['sip:example.com.', { host: 'example.com.' }],
  ['sip:p1.example.com;lr', { params: [['lr', null]] }],
  ['sip:x@h;maddr=239.255.255.1;ttl=15;method=REGISTER', { params: [['maddr', '239.255.255.1'], ['ttl', '15'], ['method', 'REGISTER']] }],
  ['sip:+12125551212@gw.example.com;user=phone', { user: '+12125551212', params: [['user', 'phone']] }],
  ['sip:alice@atlanta.com?subject=project%20x&priority=urgent', { headers: [['subject', 'project x'], ['priority', 'urgent']] }],
  ['sip:%75se%72@example.com', { user: 'user' }],
  ['sip:sips%3Auser%40example.com@example.net', { scheme: 'sip', user: 'sips:user@example.com', host: 'example.net' }],
  ['sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31', { user: 'caller', params: [['lr', null], ['name', 'value%41']] }],
  ["sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com", { user: "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*", host: 'example.com' }],
  ['sip:alice@example.com:0', { port: 0 }],
  ['sip:alice@example.com:65535', { port: 65535 }],
  ['sip:alice@ExAmPlE.CoM;TRANSPORT=UDP', { params: [['transport', 'UDP']] }],
  ['tel:+1-201-555-0123', { scheme: 'tel', user: '+1-201-555-0123', host: '' }],
  ['tel:7042;phone-context=example.com', { scheme: 'tel', user: '7042', params: [['phone-context', 'example.com']] }],
  ['tel:*21#;phone-context=+1', { user: '*21#' }],
];

const badUris: [string, string][] = [
  ['', 'SIP_BAD_URI'],
  ['alice@example.com', 'SIP_BAD_URI'],
  ['mailto:alice@example.com', 'SIP_UNSUPPORTED_URI_SCHEME'],
  ['nobodyKnowsThisScheme:totallyopaquecontent', 'SIP_UNSUPPORTED_URI_SCHEME'],
  ['http://example.com/', 'SIP_UNSUPPORTED_URI_SCHEME'],
  ['sip:', 'SIP_BAD_URI'],
  ['sip:@example.com', 'SIP_BAD_URI'],
  ['sip:alice@', 'SIP_BAD_URI'],
  ['sip:alice@example.com:65536', 'SIP_BAD_URI'],
  ['sip:alice@example.com:99999999999999999999', 'SIP_BAD_URI'],
  ['sip:alice@example.com:', 'SIP_BAD_URI'],
  ['sip:alice@192.0.2.300', 'SIP_BAD_URI'],
  ['sip:alice@-bad-.example.com', 'SIP_BAD_URI'],
  ['sip:alice@[2001:db8::zz]', 'SIP_BAD_URI'],
  ['sip:alice@[::1', 'SIP_BAD_URI'],
  ['sip:alice@example.com;;lr', 'SIP_BAD_URI'],
  ['sip:alice@example.com;lr;lr', 'SIP_BAD_URI'],
  ['sip:alice@example.com;=x', 'SIP_BAD_URI'],
  ['sip:al ice@example.com', 'SIP_BAD_URI'],
  ['sip:alice@example.com; lr', 'SIP_BAD_URI'],
  ['sip:%zzuser@example.com', 'SIP_BAD_URI'],
  ['sip:a@b@c.com', 'SIP_BAD_URI'],
  ['sip:alice@example.com?noequals', 'SIP_BAD_URI'],
  ['tel:', 'SIP_BAD_URI'],
  ['tel:+1-abc', 'SIP_BAD_URI'],
];

describe('parseUri', () => {
  for (const [text, want] of goodUris) {
    it(`parses ${JSON.stringify(text)}`, () => {
      const u = parseUri(text);
      const { params, headers, ...fields } = want;
      expect(u).toMatchObject(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
      for (const [k, v] of Object.entries(fields)) if (v === undefined) expect(u[k as keyof SipUri]).toBeUndefined();
      if (params) expect([...u.params]).toEqual(params);
      if (headers) expect([...u.headers]).toEqual(headers);
      // formatUri gives a URI that parses to the same value.
      expect(parseUri(formatUri(u))).toEqual(u);
    });
  }
  for (const [text, code] of badUris) {
    it(`rejects ${JSON.stringify(text)} with ${code}`, () => {
      try {
        parseUri(text);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(SipParseError);
        expect((e as SipParseError).code).toBe(code);
      }
    });
  }

  it('escapes what must be escaped when formatting', () => {
    const u = parseUri('sip:x@example.com');
    u.user = 'a b@c:d';
    expect(formatUri(u)).toBe('sip:a%20b%40c%3Ad@example.com');
    expect(parseUri(formatUri(u)).user).toBe('a b@c:d');
    expect(formatUri(parseUri('sip:[::1]:5060;transport=tcp'))).toBe('sip:[::1]:5060;transport=tcp');
  });
});

const goodNameAddrs: [string, { display?: string; uri: string; params: [string, string | null][] }][] = [
  ['<sip:a@example.com>', { uri: 'sip:a@example.com', params: [] }],
  ['"Alice" <sip:a@example.com>;tag=1928301774', { display: 'Alice', uri: 'sip:a@example.com', params: [['tag', '1928301774']] }],
  ['Bob <sips:bob@biloxi.com> ;tag=a6c85cf', { display: 'Bob', uri: 'sips:bob@biloxi.com', params: [['tag', 'a6c85cf']] }],
  ['A. G. Bell <sip:agb@bell-telephone.com>', { display: 'A. G. Bell', uri: 'sip:agb@bell-telephone.com', params: [] }],
  ['caller<sip:caller@example.com>;tag=323', { display: 'caller', uri: 'sip:caller@example.com', params: [['tag', '323']] }],
  ['sip:a@example.com;tag=x', { uri: 'sip:a@example.com', params: [['tag', 'x']] }],
  ['sip:a@example.com ;  tag  =  x', { uri: 'sip:a@example.com', params: [['tag', 'x']] }],
  ['<sip:a@example.com;transport=tcp>;expires=60;q=0.5', { uri: 'sip:a@example.com;transport=tcp', params: [['expires', '60'], ['q', '0.5']] }],
  ['"\\"quoted\\" \\\\ back" <sip:a@h.com>', { display: '"quoted" \\ back', uri: 'sip:a@h.com', params: [] }],
  ['"" <sip:a@h.com>', { display: '', uri: 'sip:a@h.com', params: [] }],
  ['<tel:+1-201-555-0123>;tag=z', { uri: 'tel:+1-201-555-0123', params: [['tag', 'z']] }],
  ['<sip:a@h.com>;+sip.instance="<urn:uuid:0001>"', { uri: 'sip:a@h.com', params: [['+sip.instance', '"<urn:uuid:0001>"']] }],
  ['<sip:a@h.com>;received=[2001:db8::1]', { uri: 'sip:a@h.com', params: [['received', '[2001:db8::1]']] }],
];

const badNameAddrs: [string, string][] = [
  ['', 'SIP_BAD_NAME_ADDR'],
  ['"Mr. J. User <sip:j.user@example.com>', 'SIP_BAD_QUOTED_STRING'],
  ['"Joe" <sip:joe@example.org>;;;;', 'SIP_BAD_PARAMS'],
  ['<sip:a@h.com', 'SIP_BAD_NAME_ADDR'],
  ['"Joe" sip:joe@example.org', 'SIP_BAD_NAME_ADDR'],
  ['<sip:a@h.com>;tag=1;tag=2', 'SIP_BAD_PARAMS'],
  ['<sip:a@h.com>;tag=', 'SIP_BAD_PARAMS'],
  ['<sip:a@h.com>;tag="open', 'SIP_BAD_QUOTED_STRING'],
  ['<sip:a@h.com> junk', 'SIP_BAD_PARAMS'],
  ['<>', 'SIP_BAD_NAME_ADDR'],
  ['<mailto:a@h.com>', 'SIP_UNSUPPORTED_URI_SCHEME'],
];

describe('parseNameAddr', () => {
  for (const [text, want] of goodNameAddrs) {
    it(`parses ${JSON.stringify(text)}`, () => {
      const na = parseNameAddr(text);
      expect(na.displayName).toBe(want.display);
      expect(na.uri).toEqual(parseUri(want.uri));
      expect([...na.params]).toEqual(want.params);
      expect(parseNameAddr(formatNameAddr(na))).toEqual(na.displayName === '' ? { ...na, displayName: undefined } : na);
    });
  }
  for (const [text, code] of badNameAddrs) {
    it(`rejects ${JSON.stringify(text)} with ${code}`, () => {
      try {
        parseNameAddr(text);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(SipParseError);
        expect((e as SipParseError).code).toBe(code);
      }
    });
  }

  it('treats parameters after an addr-spec as header parameters (RFC 3261 §20.10)', () => {
    const na = parseNameAddr('sip:a@h.com;transport=tcp;tag=1');
    expect(na.uri.params.size).toBe(0);
    expect([...na.params]).toEqual([['transport', 'tcp'], ['tag', '1']]);
    expect(formatNameAddr(na)).toBe('<sip:a@h.com>;transport=tcp;tag=1');
  });

  it('splits Contact and Route lists on commas outside quotes and brackets', () => {
    const list = parseNameAddrList('"Doe, John" <sip:j,k@h.com;a=1>;q=1, <sip:p2.example.com;lr>,sip:x@y.com');
    expect(list.map((n) => [n.displayName, formatUri(n.uri)])).toEqual([
      ['Doe, John', 'sip:j,k@h.com;a=1'],
      [undefined, 'sip:p2.example.com;lr'],
      [undefined, 'sip:x@y.com'],
    ]);
    expect(() => parseNameAddrList('<sip:a@b.com>,,<sip:c@d.com>')).toThrow(/empty list element/);
  });
});
