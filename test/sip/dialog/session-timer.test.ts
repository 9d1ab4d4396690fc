import { describe, expect, it } from 'vitest';
import {
  decideAsUas,
  expiryDelayMs,
  parseMinSe,
  parseSessionExpires,
  readTimerRequest,
  readUacAnswer,
  refreshDelayMs,
  retryAfter422,
  type SessionExpires,
} from '../../../server/sip/dialog/session-timer.js';
import { parseMessage } from '../../../server/sip/grammar/parser.js';
import type { SipRequest, SipResponse } from '../../../server/sip/grammar/message.js';

function request(extra: string[]): SipRequest {
  const text = [
    'INVITE sip:acip@127.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-st1',
    'Max-Forwards: 70',
    'From: <sip:peer@127.0.0.1>;tag=p1',
    'To: <sip:acip@127.0.0.1>',
    'Call-ID: st-1',
    'CSeq: 1 INVITE',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

function response(status: number, extra: string[]): SipResponse {
  const text = [
    `SIP/2.0 ${status} X`,
    'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-st1',
    'From: <sip:peer@127.0.0.1>;tag=p1',
    'To: <sip:acip@127.0.0.1>;tag=a1',
    'Call-ID: st-1',
    'CSeq: 1 INVITE',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipResponse;
}

describe('the Session-Expires and Min-SE grammar (RFC 4028 §4, §5)', () => {
  const rows: [string | undefined, SessionExpires | undefined][] = [
    ['1800', { deltaS: 1800 }],
    ['90;refresher=uac', { deltaS: 90, refresher: 'uac' }],
    ['4000 ; refresher=UAS;x=y', { deltaS: 4000, refresher: 'uas' }],
    ['600;refresher=proxy', { deltaS: 600 }],
    ['999999', { deltaS: 86400 }],
    ['0', undefined],
    ['abc', undefined],
    ['90;;', undefined],
    [undefined, undefined],
  ];
  it.each(rows)('reads Session-Expires %j as %j', (value, expected) => {
    expect(parseSessionExpires(value)).toEqual(expected);
  });

  it('reads Min-SE with parameters, and treats a malformed one as absent', () => {
    expect(parseMinSe('120')).toBe(120);
    expect(parseMinSe('120;x=1')).toBe(120);
    expect(parseMinSe('-1')).toBeUndefined();
  });

  it('reads the compact form x of Session-Expires and the compact form k of Supported', () => {
    const r = readTimerRequest(request(['k: timer', 'x: 300;refresher=uac']));
    expect(r).toEqual({ se: { deltaS: 300, refresher: 'uac' }, minSeS: undefined, supportsTimer: true });
  });
});

describe('who refreshes: the UAS decision of RFC 4028 §9 (Table 2)', () => {
  const policy = { sessionExpiresS: 1800, minSeS: 90 };
  // [request headers, expected: 422 Min-SE | [interval, refresher in the 2xx, Require: timer, who refreshes for us]]
  const rows: [string, string[], number | [number, 'uac' | 'uas', boolean, 'local' | 'remote']][] = [
    ['no timer support, no Session-Expires', [], [1800, 'uas', false, 'local']],
    ['no timer support, Session-Expires 600', ['Session-Expires: 600'], [600, 'uas', false, 'local']],
    ['no timer support, refresher=uac asked (not honoured)', ['Session-Expires: 600;refresher=uac'], [600, 'uas', false, 'local']],
    ['no timer support, Session-Expires 60 below our Min-SE: raised, not 422', ['Session-Expires: 60'], [90, 'uas', false, 'local']],
    ['timer supported, no Session-Expires', ['Supported: timer'], [1800, 'uac', true, 'remote']],
    ['timer supported, no refresher', ['Supported: timer', 'Session-Expires: 900'], [900, 'uac', true, 'remote']],
    ['timer supported, refresher=uac', ['Supported: timer', 'Session-Expires: 900;refresher=uac'], [900, 'uac', true, 'remote']],
    ['timer supported, refresher=uas', ['Supported: timer', 'Session-Expires: 900;refresher=uas'], [900, 'uas', true, 'local']],
    ['Require: timer counts as support', ['Require: timer', 'Session-Expires: 900;refresher=uas'], [900, 'uas', true, 'local']],
    ['timer supported, Session-Expires 60 below our Min-SE', ['Supported: timer', 'Session-Expires: 60'], 90],
    ['a longer interval than ours is reduced to ours', ['Supported: timer', 'Session-Expires: 7200'], [1800, 'uac', true, 'remote']],
    ['but never below the request Min-SE', ['Supported: timer', 'Session-Expires: 7200', 'Min-SE: 3600'], [3600, 'uac', true, 'remote']],
    ['without Session-Expires, the request Min-SE is the floor', ['Supported: timer', 'Min-SE: 2000'], [2000, 'uac', true, 'remote']],
  ];
  it.each(rows)('%s', (_name, headers, expected) => {
    const d = decideAsUas(readTimerRequest(request(headers)), policy);
    if (typeof expected === 'number') {
      expect(d).toEqual({ kind: 'too-small', minSeS: expected });
      return;
    }
    const [intervalS, refresher, requireTimer, who] = expected;
    expect(d).toEqual({ kind: 'accept', se: { deltaS: intervalS, refresher }, requireTimer, session: { intervalS, refresher: who } });
  });

  it('keeps the current refresher on a refresh that names none', () => {
    const d = decideAsUas(readTimerRequest(request(['Supported: timer', 'Session-Expires: 900'])), policy, 'uas');
    expect(d.kind === 'accept' && d.session.refresher).toBe('local');
  });
});

describe('who refreshes: the UAC reading of the 2xx (RFC 4028 §7.2)', () => {
  const rows: [string, string[], { intervalS: number; refresher: 'local' | 'remote' }][] = [
    ['refresher=uac: we refresh', ['Require: timer', 'Session-Expires: 600;refresher=uac'], { intervalS: 600, refresher: 'local' }],
    ['refresher=uas: the peer refreshes', ['Require: timer', 'Session-Expires: 600;refresher=uas'], { intervalS: 600, refresher: 'remote' }],
    ['no refresher named: we refresh', ['Session-Expires: 600'], { intervalS: 600, refresher: 'local' }],
    ['no Session-Expires (peer without timers): we refresh at our interval', [], { intervalS: 1800, refresher: 'local' }],
  ];
  it.each(rows)('%s', (_name, headers, expected) => {
    expect(readUacAnswer(response(200, headers), 1800)).toEqual(expected);
  });
});

describe('the retry after 422 (RFC 4028 §7.4)', () => {
  it('asks again with the 422 Min-SE as Min-SE and at least as Session-Expires', () => {
    expect(retryAfter422(response(422, ['Min-SE: 300']), { sessionExpiresS: 120, minSeS: 90 })).toEqual({ sessionExpiresS: 300, minSeS: 300 });
    expect(retryAfter422(response(422, ['Min-SE: 300']), { sessionExpiresS: 1800, minSeS: 90 })).toEqual({ sessionExpiresS: 1800, minSeS: 300 });
  });

  it('gives up when the 422 has no Min-SE or none larger than ours', () => {
    expect(retryAfter422(response(422, []), { sessionExpiresS: 120, minSeS: 90 })).toBeUndefined();
    expect(retryAfter422(response(422, ['Min-SE: 90']), { sessionExpiresS: 120, minSeS: 90 })).toBeUndefined();
  });
});

describe('the two instants of RFC 4028 §10', () => {
  const rows: [number, number, number][] = [
    [1800, 900_000, 1_768_000],
    [90, 45_000, 60_000],
    [6, 3000, 4000],
  ];
  it.each(rows)('for %i s: refresh at %i ms, BYE at %i ms', (intervalS, refresh, expiry) => {
    expect(refreshDelayMs(intervalS)).toBe(refresh);
    expect(expiryDelayMs(intervalS)).toBe(expiry);
  });
});
