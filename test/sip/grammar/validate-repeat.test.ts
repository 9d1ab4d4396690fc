/**
 * RFC 3261 §8.2 checks of requests that repeat header values (the requests of one call share From,
 * Request-URI and often Via): a value once found well-formed is not parsed again, and the verdicts
 * stay the same however often, and however many distinct values, are asked.
 */
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../server/sip/grammar/parser.js';
import type { SipRequest } from '../../../server/sip/grammar/message.js';
import { validateRequest, WELL_FORMED_CACHE_MAX } from '../../../server/sip/grammar/validate.js';

function request(o: { from?: string; to?: string; uri?: string; via?: string } = {}): SipRequest {
  return parseMessage(
    Buffer.from(
      `INVITE ${o.uri ?? 'sip:acip@192.0.2.1'} SIP/2.0\r\nVia: ${o.via ?? 'SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1'}\r\nFrom: ${o.from ?? '<sip:a@192.0.2.7>;tag=1'}\r\n` +
        `To: ${o.to ?? '<sip:acip@192.0.2.1>'}\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
    ),
  ) as SipRequest;
}

describe('validating requests that repeat header values', () => {
  const rows: [string, Parameters<typeof request>[0], number | null][] = [
    ['a well-formed request', {}, null],
    ['a malformed From', { from: '<sip:a@192.0.2.7' }, 400],
    ['a malformed To', { to: 'sip:acip@192.0.2.1>' }, 400],
    ['a Via of another protocol', { via: 'SIP/3.0/UDP 192.0.2.7;branch=z9hG4bK1' }, 400],
    ['a Request-URI of an unknown scheme', { uri: 'foo:acip@192.0.2.1' }, 416],
    ['a From of an unknown scheme (tolerated)', { from: '<foo:a@192.0.2.7>;tag=1' }, null],
  ];
  it.each(rows)('judges %s the same the third time as the first', (_name, fields, status) => {
    const verdicts = [1, 2, 3].map(() => validateRequest(request(fields))?.status ?? null);
    expect(verdicts).toEqual([status, status, status]);
  });

  it('keeps the reason phrase of a Via of another protocol', () => {
    expect(validateRequest(request({ via: 'SIP/3.0/UDP 192.0.2.7;branch=z9hG4bK1' }))?.reason).toBe('Bad Via header: protocol is not SIP/2.0');
  });

  it('stays right for more distinct values than it remembers', () => {
    const n = WELL_FORMED_CACHE_MAX + 50;
    const verdicts = Array.from({ length: n }, (_, i) => validateRequest(request({ from: i % 3 === 0 ? `<sip:a${i}@192.0.2.7` : `<sip:a${i}@192.0.2.7>;tag=${i}` }))?.status ?? null);
    expect(verdicts).toEqual(Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 400 : null)));
  });
});
