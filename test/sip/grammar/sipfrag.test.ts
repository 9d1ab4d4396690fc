import { describe, expect, it } from 'vitest';
import { buildStatusSipfrag, parseSipfrag, sipfragStatus, MAX_SIPFRAG_BYTES } from '../../../server/sip/grammar/sipfrag.js';
import { SipParseError } from '../../../server/sip/grammar/parse-error.js';
import { parseEvent } from '../../../server/sip/grammar/event-headers.js';
import { parseAllowEvents } from '../../../server/sip/grammar/event-headers.js';
import { parseRAck, parseRSeq } from '../../../server/sip/grammar/rel-headers.js';
import { parseReplaces, parseReferTo, parseReferredBy } from '../../../server/sip/grammar/refer-headers.js';
import { parseSubscriptionState } from '../../../server/sip/grammar/event-headers.js';

describe('message/sipfrag (RFC 3420)', () => {
  const statuses: [string, number, string][] = [
    ['SIP/2.0 100 Trying\r\n', 100, 'Trying'],
    ['SIP/2.0 200 OK', 200, 'OK'],
    ['SIP/2.0 180 Ringing\n', 180, 'Ringing'],
    ['SIP/2.0 603 Declined\r\nRetry-After: 30\r\n', 603, 'Declined'],
    ['SIP/2.0 486 \r\n', 486, ''],
    ['SIP/2.0 487', 487, ''],
  ];
  it.each(statuses)('reads the status of %j (RFC 3515 §2.4.5)', (text, status, reason) => {
    expect(sipfragStatus(text)).toEqual({ status, reason });
    expect(sipfragStatus(Buffer.from(text))).toEqual({ status, reason });
  });

  it('reads a request fragment with headers and a body (RFC 3420 §2)', () => {
    const frag = parseSipfrag('INVITE sip:alice@example.com SIP/2.0\r\nContact: <sip:alice@pc33.example.com>\r\nContent-Length: 4\r\n\r\nabcd');
    expect(frag.startLine).toEqual({ kind: 'request', method: 'INVITE', uri: 'sip:alice@example.com', version: 'SIP/2.0' });
    expect(frag.headers.get('Contact')).toBe('<sip:alice@pc33.example.com>');
    expect(frag.body).toBe('abcd');
  });

  it('reads a fragment of headers only', () => {
    const frag = parseSipfrag('From: <sip:a@b>\r\nm: <sip:c@d>\r\n');
    expect(frag.startLine).toBeUndefined();
    expect(frag.headers.get('Contact')).toBe('<sip:c@d>');
  });

  const bad: [string, string][] = [
    ['SIP/2.0 20 OK', 'SIP_BAD_STATUS_CODE'],
    ['SIP/2.0 2000 OK', 'SIP_BAD_STATUS_CODE'],
    ['SIP/2.0 099 Low', 'SIP_BAD_STATUS_CODE'],
    ['garbage line', 'SIP_BAD_HEADER'],
    [`SIP/2.0 200 OK\r\n${'X-Pad: y\r\n'.repeat(MAX_SIPFRAG_BYTES / 8)}`, 'SIP_TOO_LARGE'],
  ];
  it.each(bad)('rejects %j with code %s', (text, code) => {
    try {
      parseSipfrag(text);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SipParseError);
      expect((e as SipParseError).code).toBe(code);
    }
  });

  it('says a fragment without a status line has no REFER status', () => {
    expect(() => sipfragStatus('Contact: <sip:a@b>')).toThrow(SipParseError);
    expect(() => sipfragStatus('')).toThrow(SipParseError);
  });

  it.each([
    [100, 'Trying', 'SIP/2.0 100 Trying\r\n'],
    [200, 'OK', 'SIP/2.0 200 OK\r\n'],
    [503, 'Service\r\nUnavailable', 'SIP/2.0 503 Service Unavailable\r\n'],
  ] as const)('builds the fragment for %d %s', (status, reason, want) => {
    expect(buildStatusSipfrag(status, reason)).toBe(want);
    expect(sipfragStatus(want).status).toBe(status);
  });
});

describe('the new header parsers on hostile input', () => {
  const parsers: [string, (s: string) => unknown][] = [
    ['RSeq', parseRSeq],
    ['RAck', parseRAck],
    ['Event', parseEvent],
    ['Allow-Events', parseAllowEvents],
    ['Subscription-State', parseSubscriptionState],
    ['Refer-To', parseReferTo],
    ['Referred-By', parseReferredBy],
    ['Replaces', parseReplaces],
    ['sipfrag', parseSipfrag],
  ];
  // A deterministic generator: the same inputs on every run.
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const alphabet = ['a', '1', ' ', ';', '=', '"', '<', '>', '@', ':', '.', ',', '\\', '\0', '\r\n', 'é', '%', 'sip:', 'to-tag=', 'SIP/2.0 '];
  const inputs = Array.from({ length: 400 }, () => Array.from({ length: rnd(24) }, () => alphabet[rnd(alphabet.length)]).join(''));
  it.each(parsers)('%s returns a value or throws a SipParseError, nothing else', (_name, parse) => {
    for (const input of [...inputs, '__proto__', 'constructor;id=__proto__']) {
      try {
        parse(input);
      } catch (e) {
        expect(e, JSON.stringify(input)).toBeInstanceOf(SipParseError);
      }
    }
  });
});
