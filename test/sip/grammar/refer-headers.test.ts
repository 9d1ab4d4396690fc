import { describe, expect, it } from 'vitest';
import { formatReferredBy, formatReplaces, formatReferTo, parseReferTo, parseReferredBy, parseReplaces } from '../../../server/sip/grammar/refer-headers.js';
import { SipParseError } from '../../../server/sip/grammar/parse-error.js';

describe('Refer-To (RFC 3515 §2.1)', () => {
  it('reads a plain SIP URI', () => {
    const na = parseReferTo('<sip:studio2@192.0.2.10>');
    expect(na.uri).toMatchObject({ scheme: 'sip', user: 'studio2', host: '192.0.2.10' });
  });
  it('reads an embedded, escaped Replaces header (RFC 3891 §7.1)', () => {
    const na = parseReferTo('<sip:dave@denver.example.org?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>');
    const replaces = parseReplaces(na.uri.headers.get('Replaces')!);
    expect(replaces).toMatchObject({ callId: '12345@192.168.118.3', toTag: '12345', fromTag: '5FFE-3994', earlyOnly: false });
    expect(parseReferTo(formatReferTo(na)).uri.headers.get('Replaces')).toBe('12345@192.168.118.3;to-tag=12345;from-tag=5FFE-3994');
  });
  it('reads the addr-spec form with a header parameter', () => {
    expect(parseReferTo('sip:a@b.example;x=1').params.get('x')).toBe('1');
  });
  it.each(['', '<>', '<sip:>', 'sip:a@b>', '<sip:a@b'])('rejects %j with a SipParseError', (text) => {
    expect(() => parseReferTo(text)).toThrow(SipParseError);
  });
});

describe('Referred-By (RFC 3892 §3)', () => {
  it('reads the address and the cid', () => {
    const rb = parseReferredBy('"Studio 1" <sip:studio1@example.org>;cid="20398823.2UWQFN309shb3@referrer.example"');
    expect(rb.address.displayName).toBe('Studio 1');
    expect(rb.cid).toBe('20398823.2UWQFN309shb3@referrer.example');
    expect(parseReferredBy(formatReferredBy(rb))).toEqual(rb);
  });
  it('reads an address without a cid', () => {
    expect(parseReferredBy('<sip:a@b.example>').cid).toBeUndefined();
  });
  it.each(['<sip:a@b.example>;cid', 'nonsense <', ''])('rejects %j', (text) => {
    expect(() => parseReferredBy(text)).toThrow(SipParseError);
  });
});

describe('Replaces (RFC 3891 §6.1)', () => {
  const good: [string, Record<string, unknown>][] = [
    ['425928@bobster.example.org;to-tag=7743;from-tag=6472', { callId: '425928@bobster.example.org', toTag: '7743', fromTag: '6472', earlyOnly: false }],
    ['98732@sip.example.com ;from-tag=r33th4x0r ;to-tag=ff87ff;early-only', { callId: '98732@sip.example.com', toTag: 'ff87ff', fromTag: 'r33th4x0r', earlyOnly: true }],
    ['abc;to-tag=1;from-tag=2;foo=bar', { callId: 'abc', toTag: '1', fromTag: '2', earlyOnly: false }],
  ];
  it.each(good)('reads %j', (text, want) => {
    const r = parseReplaces(text);
    expect(r).toMatchObject(want);
    expect(parseReplaces(formatReplaces(r))).toMatchObject(want);
  });
  const bad = [
    '',
    ';to-tag=1;from-tag=2',
    'abc;to-tag=1',
    'abc;from-tag=2',
    'abc;to-tag=1;from-tag=2;to-tag=3',
    'abc;to-tag;from-tag=2',
    'a b;to-tag=1;from-tag=2',
    '@x;to-tag=1;from-tag=2',
    'abc;to-tag=1;from-tag=2;early-only=yes',
  ];
  it.each(bad)('rejects %j with a SipParseError', (text) => {
    expect(() => parseReplaces(text)).toThrow(SipParseError);
  });
});
