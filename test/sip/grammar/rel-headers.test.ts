import { describe, expect, it } from 'vitest';
import { formatRAck, formatRSeq, initialRSeq, parseRAck, parseRSeq, MAX_INITIAL_RSEQ } from '../../../server/sip/grammar/rel-headers.js';
import { SipParseError } from '../../../server/sip/grammar/parse-error.js';
import { tryHeader, tryRequiredHeader } from '../../../server/sip/grammar/header-result.js';

describe('RSeq (RFC 3262 §7.1)', () => {
  const good: [string, number][] = [
    ['1', 1],
    ['988789', 988789],
    ['  42 ', 42],
    ['4294967295', 2 ** 32 - 1],
    ['007', 7],
  ];
  it.each(good)('reads %j as %d', (text, n) => {
    expect(parseRSeq(text)).toBe(n);
    expect(parseRSeq(formatRSeq(n))).toBe(n);
  });

  const bad = ['', '0', '-1', '1.5', '4294967296', 'abc', '1 2'];
  it.each(bad)('rejects %j with a SipParseError naming RSeq', (text) => {
    expect(() => parseRSeq(text)).toThrow(SipParseError);
    try {
      parseRSeq(text);
    } catch (e) {
      expect((e as SipParseError).field).toBe('RSeq');
    }
  });
});

describe('RAck (RFC 3262 §7.2)', () => {
  const good: [string, { rseq: number; cseq: number; method: string }][] = [
    ['776656 1 INVITE', { rseq: 776656, cseq: 1, method: 'INVITE' }],
    ['1\t314159  INVITE', { rseq: 1, cseq: 314159, method: 'INVITE' }],
    [' 5 2 UPDATE ', { rseq: 5, cseq: 2, method: 'UPDATE' }],
  ];
  it.each(good)('reads %j', (text, want) => {
    expect(parseRAck(text)).toEqual(want);
    expect(parseRAck(formatRAck(want))).toEqual(want);
  });

  const bad = ['', '1 INVITE', '1 2', '1 2 INVITE extra', '0 1 INVITE', 'x 1 INVITE', '1 x INVITE', '1 2147483648 INVITE', '1 2 INV@TE'];
  it.each(bad)('rejects %j with a SipParseError', (text) => {
    expect(() => parseRAck(text)).toThrow(SipParseError);
  });
});

describe('the initial RSeq (RFC 3262 §3)', () => {
  it.each([0, 0.5, 0.999999999999, 1, -3, 7])('stays within 1 .. 2^31-1 for random() = %d', (r) => {
    const n = initialRSeq(() => r);
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(MAX_INITIAL_RSEQ);
  });
});

describe('header parsing at the UA edge', () => {
  it('turns a malformed header into a 400 whose reason names it', () => {
    expect(tryHeader(parseRAck, '1 2 INVITE')).toEqual({ ok: true, value: { rseq: 1, cseq: 2, method: 'INVITE' } });
    const bad = tryHeader(parseRAck, 'one two');
    expect(bad).toMatchObject({ ok: false, status: 400 });
    if (!bad.ok) expect(bad.reason).toMatch(/RAck/);
  });

  it.each([
    [[], 'Missing RAck header'],
    [['1 1 INVITE', '2 1 INVITE'], 'Duplicate RAck header'],
  ])('answers 400 for a required header given %j', (values, reason) => {
    expect(tryRequiredHeader(parseRAck, values, 'RAck')).toMatchObject({ ok: false, status: 400, reason });
  });

  it('lets an error that is not a parse error through (a bug, not bad input)', () => {
    expect(() =>
      tryHeader(() => {
        throw new TypeError('bug');
      }, 'x'),
    ).toThrow(TypeError);
  });
});
