import { describe, expect, it } from 'vitest';
import {
  formatAllowEvents,
  formatEvent,
  formatSubscriptionState,
  parseAllowEvents,
  parseEvent,
  parseSubscriptionState,
  sameEvent,
} from '../../../server/sip/grammar/event-headers.js';
import { SipParseError } from '../../../server/sip/grammar/parse-error.js';

describe('Event (RFC 6665 §8.2.1)', () => {
  const good: [string, { package: string; templates: string[]; id?: string }][] = [
    ['presence', { package: 'presence', templates: [] }],
    ['refer;id=93809824', { package: 'refer', templates: [], id: '93809824' }],
    ['presence.winfo', { package: 'presence', templates: ['winfo'] }],
    [' dialog ; id = 7 ', { package: 'dialog', templates: [], id: '7' }],
    ['message-summary;foo', { package: 'message-summary', templates: [] }],
  ];
  it.each(good)('reads %j', (text, want) => {
    const ev = parseEvent(text);
    expect({ package: ev.package, templates: ev.templates, ...(ev.id !== undefined ? { id: ev.id } : {}) }).toEqual(want);
    expect(sameEvent(parseEvent(formatEvent(ev)), ev)).toBe(true);
  });

  const bad = ['', ';id=1', 'presence..winfo', '.presence', 'presence;id', 'presence;id="x y"', 'pres ence', 'presence;;a'];
  it.each(bad)('rejects %j with a SipParseError', (text) => {
    expect(() => parseEvent(text)).toThrow(SipParseError);
  });

  const pairs: [string, string, boolean][] = [
    ['refer;id=1', 'refer;id=1', true],
    ['refer;id=1', 'refer;id=2', false],
    ['refer', 'refer;id=1', false],
    ['presence', 'presence;foo=bar', true],
    ['presence', 'presence.winfo', false],
  ];
  it.each(pairs)('says %j and %j name the same subscription: %s', (a, b, same) => {
    expect(sameEvent(parseEvent(a), parseEvent(b))).toBe(same);
  });
});

describe('Allow-Events (RFC 6665 §8.2.2)', () => {
  const good: [string, string[]][] = [
    ['presence', ['presence']],
    ['presence, refer,dialog', ['presence', 'refer', 'dialog']],
    ['presence,, refer', ['presence', 'refer']],
    ['presence.winfo', ['presence.winfo']],
  ];
  it.each(good)('reads %j', (text, want) => {
    expect(parseAllowEvents(text)).toEqual(want);
    expect(parseAllowEvents(formatAllowEvents(want))).toEqual(want);
  });
  it.each(['pres ence', 'a..b', 'x;y'])('rejects %j', (text) => {
    expect(() => parseAllowEvents(text)).toThrow(SipParseError);
  });
});

describe('Subscription-State (RFC 6665 §8.2.3)', () => {
  const good: [string, Record<string, unknown>][] = [
    ['active;expires=3600', { state: 'active', expires: 3600 }],
    ['pending', { state: 'pending' }],
    ['terminated;reason=timeout', { state: 'terminated', reason: 'timeout' }],
    ['terminated;reason=probation;retry-after=60', { state: 'terminated', reason: 'probation', retryAfter: 60 }],
    ['TERMINATED;Reason=NoResource', { state: 'terminated', reason: 'noresource' }],
    ['waiting;expires=5', { state: 'active', extension: 'waiting', expires: 5 }],
  ];
  it.each(good)('reads %j', (text, want) => {
    const s = parseSubscriptionState(text);
    const { params: _p, ...rest } = s;
    expect(rest).toEqual(want);
  });

  const bad = ['', ';expires=1', 'active;expires', 'active;expires=-1', 'active;expires=x', 'terminated;reason', 'terminated;reason="a b"'];
  it.each(bad)('rejects %j with a SipParseError', (text) => {
    expect(() => parseSubscriptionState(text)).toThrow(SipParseError);
  });

  const written: [Parameters<typeof formatSubscriptionState>[0], string][] = [
    [{ state: 'active', expires: 599.7 }, 'active;expires=599'],
    [{ state: 'terminated', reason: 'timeout' }, 'terminated;reason=timeout'],
    [{ state: 'terminated', reason: 'probation', retryAfter: 30 }, 'terminated;reason=probation;retry-after=30'],
    [{ state: 'pending', expires: -4 }, 'pending;expires=0'],
  ];
  it.each(written)('writes %j as %j', (s, text) => {
    expect(formatSubscriptionState(s)).toBe(text);
  });
});
