import { describe, expect, it } from 'vitest';
import { createResponse, reasonPhrase } from '../../../server/sip/grammar/response.js';
import { rejectionForParseError, validateRequest } from '../../../server/sip/grammar/validate.js';
import { parseMessage, SipParseError } from '../../../server/sip/grammar/parser.js';
import { serializeMessage } from '../../../server/sip/grammar/serializer.js';
import { getTag } from '../../../server/sip/grammar/headers.js';
import type { SipRequest } from '../../../server/sip/grammar/message.js';
import { capture } from './fixtures.js';

function request(text: string): SipRequest {
  const m = parseMessage(Buffer.from(text));
  if (m.kind !== 'request') throw new Error('request expected');
  return m;
}

const OK_HEAD = [
  'OPTIONS sip:b@example.com SIP/2.0',
  'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1',
  'From: <sip:a@example.com>;tag=1',
  'To: <sip:b@example.com>',
  'Call-ID: c1',
  'CSeq: 1 OPTIONS',
  'Max-Forwards: 70',
];

function withLines(lines: string[]): string {
  return `${lines.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`;
}

describe('createResponse (RFC 3261 §8.2.6)', () => {
  it('copies every Via in order, From, To, Call-ID and CSeq, and adds the to-tag', () => {
    const inv = request(capture('sipp-invite.sip').toString('latin1'));
    inv.headers.append('Via', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKproxy');
    const res = createResponse(inv, 180, undefined, { toTag: 'abc' });
    expect([res.status, res.reason, res.version]).toEqual([180, 'Ringing', 'SIP/2.0']);
    expect(res.headers.getAll('Via')).toEqual(inv.headers.getAll('Via'));
    expect(res.headers.get('From')).toBe(inv.headers.get('From'));
    expect(getTag(res.headers.get('To')!)).toBe('abc');
    expect(res.headers.get('Call-ID')).toBe(inv.headers.get('Call-ID'));
    expect(res.headers.get('CSeq')).toBe(inv.headers.get('CSeq'));
    expect(res.headers.entries().map((h) => h.name)).toEqual(['Via', 'Via', 'From', 'To', 'Call-ID', 'CSeq']);
  });

  it('keeps an existing to-tag, copies Timestamp into 100 Trying, and carries a body with its type', () => {
    const req = request(withLines([...OK_HEAD.slice(0, 3), 'To: <sip:b@example.com>;tag=old', ...OK_HEAD.slice(4), 'Timestamp: 54']));
    expect(getTag(createResponse(req, 200, 'OK', { toTag: 'new' }).headers.get('To')!)).toBe('old');
    expect(createResponse(req, 100).headers.get('Timestamp')).toBe('54');
    const res = createResponse(req, 200, undefined, { body: Buffer.from('v=0\r\n'), contentType: 'application/sdp', headers: [['Allow', 'INVITE, ACK']] });
    const wire = serializeMessage(res).toString();
    expect(wire).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(wire).toContain('Allow: INVITE, ACK\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n');
  });

  it('turns control characters in a reason phrase into spaces', () => {
    const req = request(withLines(OK_HEAD));
    expect(createResponse(req, 400, 'Bad\r\nInjected: yes').reason).toBe('Bad  Injected: yes');
    expect(reasonPhrase(416)).toBe('Unsupported URI Scheme');
  });
});

describe('validateRequest (RFC 3261 §8.2, RFC 4475)', () => {
  it('accepts a well-formed request', () => {
    expect(validateRequest(request(withLines(OK_HEAD)))).toBeNull();
  });

  const rows: [string, string[], number, RegExp][] = [
    ['a missing Via', OK_HEAD.filter((l) => !l.startsWith('Via')), 400, /Missing Via/],
    ['a missing From', OK_HEAD.filter((l) => !l.startsWith('From')), 400, /Missing From/],
    ['a missing To', OK_HEAD.filter((l) => !l.startsWith('To')), 400, /Missing To/],
    ['a missing CSeq', OK_HEAD.filter((l) => !l.startsWith('CSeq')), 400, /Missing CSeq/],
    ['a duplicate Max-Forwards', [...OK_HEAD, 'Max-Forwards: 69'], 400, /Duplicate Max-Forwards/],
    ['a duplicate Call-ID in compact form', [...OK_HEAD, 'i: c2'], 400, /Duplicate Call-ID/],
    ['a CSeq for another method', OK_HEAD.map((l) => (l.startsWith('CSeq') ? 'CSeq: 1 INVITE' : l)), 400, /CSeq method/],
    ['a CSeq above 2^31-1', OK_HEAD.map((l) => (l.startsWith('CSeq') ? 'CSeq: 2147483648 OPTIONS' : l)), 400, /CSeq/],
    ['a Max-Forwards of 256', OK_HEAD.map((l) => (l.startsWith('Max') ? 'Max-Forwards: 256' : l)), 400, /Max-Forwards/],
    ['a broken Via', OK_HEAD.map((l) => (l.startsWith('Via') ? 'Via: SIP/2.0/UDP' : l)), 400, /Via/],
    ['a Via of another SIP version', OK_HEAD.map((l) => (l.startsWith('Via') ? 'Via: SIP/3.0/UDP a.example.com' : l)), 400, /Via/],
    ['a broken From', OK_HEAD.map((l) => (l.startsWith('From') ? 'From: "x <sip:a@b.com>' : l)), 400, /From/],
    ['an Expires of 10^20', [...OK_HEAD, `Expires: 1${'0'.repeat(20)}`], 400, /Expires/],
    ['SIP/3.0', OK_HEAD.map((l, i) => (i === 0 ? 'OPTIONS sip:b@example.com SIP/3.0' : l)), 505, /Version Not Supported/],
    ['an unknown Request-URI scheme', OK_HEAD.map((l, i) => (i === 0 ? 'OPTIONS urn:x:y SIP/2.0' : l)), 416, /Unsupported URI Scheme/],
    ['a malformed sip Request-URI', OK_HEAD.map((l, i) => (i === 0 ? 'OPTIONS sip:b@ SIP/2.0' : l)), 400, /Request-URI/],
  ];
  for (const [what, lines, status, reason] of rows) {
    it(`answers ${status} to ${what}`, () => {
      const r = validateRequest(request(withLines(lines)));
      expect(r?.status).toBe(status);
      expect(r?.reason).toMatch(reason);
    });
  }

  it('accepts a To with an unknown URI scheme (only the Request-URI gets 416)', () => {
    expect(validateRequest(request(withLines(OK_HEAD.map((l) => (l.startsWith('To') ? 'To: <urn:service:sos>' : l)))))).toBeNull();
  });

  it('maps parse errors to 400, 505, 513 or a silent drop', () => {
    const cases: [string, number | null][] = [
      [withLines([...OK_HEAD, 'Bad header']), 400],
      ['OPTIONS sip:b@example.com SIP/2.0 extra\r\nVia: SIP/2.0/UDP a.example.com\r\n\r\n', 400],
      ['SIP/2.0 999 Nope\r\nVia: SIP/2.0/UDP a.example.com\r\n\r\n', null],
      ['\x16\x03\x01 binary', null],
      ['OPTIONS sip:b@example.com SIP/2.0\r\nCall-ID: x\r\nBroken\r\n\r\n', null],
    ];
    for (const [text, status] of cases) {
      try {
        parseMessage(Buffer.from(text, 'latin1'));
        expect.unreachable(text);
      } catch (e) {
        expect(rejectionForParseError(e as SipParseError)?.status ?? null, text).toBe(status);
      }
    }
  });
});
