import { describe, expect, it } from 'vitest';
import { parseMessage, SipParseError } from '../../../server/sip/grammar/parser.js';
import { serializeMessage } from '../../../server/sip/grammar/serializer.js';
import { canonicalHeaderName, type SipMessage } from '../../../server/sip/grammar/message.js';
import { parseNameAddr, parseUri } from '../../../server/sip/grammar/uri.js';
import { parseVia } from '../../../server/sip/grammar/via.js';
import { getTag, parseCSeq, parseMaxForwards, parseTokenList } from '../../../server/sip/grammar/headers.js';
import { CAPTURES, capture, rfc4475, rfc4475Files } from './fixtures.js';

/**
 * The serializer's canonical form, applied to the raw capture text: compact names expanded and
 * known names respelled (message.ts), one blank after the colon, value trimmed, Content-Length
 * rewritten from the body. Real captures from baresip and sipp are already in this form except
 * for sipp's `Content-Length:   129`.
 */
function normalise(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const [start, ...lines] = text.slice(0, split).split('\r\n');
  const out = [start!];
  for (const line of lines) {
    const c = line.indexOf(':');
    out.push(`${canonicalHeaderName(line.slice(0, c).trim())}: ${line.slice(c + 1).trim()}`);
  }
  return Buffer.concat([Buffer.from(`${out.join('\r\n')}\r\n\r\n`, 'latin1'), raw.subarray(split + 4)]);
}

function req(m: SipMessage) {
  if (m.kind !== 'request') throw new Error('request expected');
  return m;
}

describe('round trips of real captures', () => {
  for (const name of CAPTURES) {
    it(`${name} serializes back to its own bytes (after canonical normalisation)`, () => {
      const raw = capture(name);
      expect(serializeMessage(parseMessage(raw)).equals(normalise(raw))).toBe(true);
    });
  }

  it('the sipp INVITE has every field where sipp put it', () => {
    const m = req(parseMessage(capture('sipp-invite.sip')));
    expect(m.method).toBe('INVITE');
    expect(parseUri(m.uri)).toMatchObject({ scheme: 'sip', user: 'service', host: '127.0.0.1' });
    expect(m.version).toBe('SIP/2.0');
    const [via] = parseVia(m.headers.get('Via')!);
    expect(via).toMatchObject({ protocol: 'SIP/2.0', transport: 'UDP', host: '127.0.0.1' });
    expect(via!.branch).toMatch(/^z9hG4bK-\d+-1-0$/);
    const from = parseNameAddr(m.headers.get('From')!);
    expect(from.displayName).toBe('sipp');
    expect(from.params.get('tag')).toMatch(/SIPpTag001$/);
    const to = parseNameAddr(m.headers.get('To')!);
    expect(to.displayName).toBe('service');
    expect(getTag(m.headers.get('To')!)).toBeUndefined();
    expect(m.headers.get('Call-ID')).toMatch(/^1-\d+@127\.0\.0\.1$/);
    expect(parseCSeq(m.headers.get('CSeq')!)).toEqual({ seq: 1, method: 'INVITE' });
    expect(parseNameAddr(m.headers.get('Contact')!).uri.user).toBe('sipp');
    expect(parseMaxForwards(m.headers.get('Max-Forwards')!)).toBe(70);
    expect(m.headers.get('Subject')).toBe('Performance Test');
    expect(m.headers.get('Content-Type')).toBe('application/sdp');
    expect(m.headers.get('Content-Length')).toBe('129');
    expect(m.body.length).toBe(129);
    expect(m.body.toString()).toMatch(/^v=0\r\n[\s\S]*a=rtpmap:0 PCMU\/8000\r\n$/);
    expect(m.headers.entries().map((h) => h.name)).toEqual([
      'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Max-Forwards', 'Subject', 'Content-Type', 'Content-Length',
    ]);
  });

  it('the baresip INVITE has every field where baresip put it', () => {
    const m = req(parseMessage(capture('baresip-invite.sip')));
    expect(m.method).toBe('INVITE');
    const [via] = parseVia(m.headers.get('Via')!);
    expect(via!.rport).toBe(true);
    expect(via!.branch).toMatch(/^z9hG4bK[0-9a-f]+$/);
    expect(via!.port).toBeGreaterThan(0);
    expect(parseNameAddr(m.headers.get('Contact')!).uri.user).toMatch(/^alice-0x[0-9a-f]+$/);
    expect(parseMaxForwards(m.headers.get('Max-Forwards')!)).toBe(70);
    expect(parseNameAddr(m.headers.get('To')!).params.size).toBe(0);
    expect(getTag(m.headers.get('From')!)).toMatch(/^[0-9a-f]{16}$/);
    expect(parseCSeq(m.headers.get('CSeq')!).method).toBe('INVITE');
    expect(m.headers.get('User-Agent')).toBe('baresip v1.0.0 (x86_64/linux)');
    expect(parseTokenList(m.headers.get('Allow')!)).toEqual(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'NOTIFY', 'SUBSCRIBE', 'INFO', 'MESSAGE', 'REFER']);
    expect(m.headers.get('Supported')).toBe('');
    expect(parseTokenList(m.headers.get('Supported')!)).toEqual([]);
    expect(m.body.length).toBe(Number(m.headers.get('Content-Length')));
    expect(m.body.toString()).toContain('a=rtpmap:96 opus/48000/2');
  });

  it('the baresip 200 OK answers the INVITE it was given', () => {
    const inv = req(parseMessage(capture('baresip-invite.sip')));
    const m = parseMessage(capture('baresip-200-ok.sip'));
    if (m.kind !== 'response') throw new Error('response expected');
    expect([m.version, m.status, m.reason]).toEqual(['SIP/2.0', 200, 'Answering']);
    const [via] = parseVia(m.headers.get('Via')!);
    expect(via).toMatchObject({ branch: 'z9hG4bKcapture1', received: '127.0.0.1' });
    expect(via!.rport).toBe(via!.port);
    expect(m.headers.get('Call-ID')).toBe(inv.headers.get('Call-ID'));
    expect(m.headers.get('CSeq')).toBe(inv.headers.get('CSeq'));
    expect(getTag(m.headers.get('From')!)).toBe(getTag(inv.headers.get('From')!));
    expect(getTag(m.headers.get('To')!)).toMatch(/^[0-9a-f]{16}$/);
    expect(m.headers.get('Content-Type')).toBe('application/sdp');
    expect(m.body.toString()).toContain('m=audio ');
  });

  it('the baresip REGISTER carries its Authorization header unchanged', () => {
    const m = req(parseMessage(capture('baresip-register-auth.sip')));
    expect(m.method).toBe('REGISTER');
    expect(m.headers.get('Authorization')).toMatch(/^Digest username="alice", realm="acip.test", nonce="5d1c2ab0e3f94c7a", uri="sip:127\.0\.0\.1:\d+", response="[0-9a-f]{32}", cnonce="[0-9a-f]+", qop=auth, nc=00000001$/);
    expect(parseNameAddr(m.headers.get('Contact')!).params.get('expires')).toBe('600');
    expect(m.body.length).toBe(0);
  });
});

describe('the parser on awkward but legal input', () => {
  const base = 'OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\nCall-ID: x\r\n';

  it('treats header names such as __proto__ and constructor as ordinary headers', () => {
    const m = parseMessage(Buffer.from(`${base}__proto__: polluted\r\nconstructor: also\r\nhasOwnProperty: 1\r\nContent-Length: 0\r\n\r\n`));
    expect(m.headers.get('__proto__')).toBe('polluted');
    expect(m.headers.get('constructor')).toBe('also');
    expect(m.headers.get('hasOwnProperty')).toBe('1');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(serializeMessage(m).toString()).toContain('__proto__: polluted\r\n');
  });

  it('keeps every line of a repeated header, in order', () => {
    const m = parseMessage(Buffer.from(`${base}Route: <sip:p1>\r\nRoute: <sip:p2>, <sip:p3>\r\nl: 0\r\n\r\n`));
    expect(m.headers.getAll('Route')).toEqual(['<sip:p1>', '<sip:p2>, <sip:p3>']);
    expect(m.headers.get('Content-Length')).toBe('0');
  });

  it('does not truncate at a NUL byte inside a quoted string', () => {
    const m = parseMessage(Buffer.from(`${base}To: "a\\\x00b" <sip:b@example.com>;tag=9\r\nl: 0\r\n\r\n`, 'latin1'));
    expect(parseNameAddr(m.headers.get('To')!).displayName).toBe('a\x00b');
    expect(getTag(m.headers.get('To')!)).toBe('9');
  });

  it('accepts bare LF line endings and CRLFs before the start line, and writes CRLF', () => {
    const m = parseMessage(Buffer.from(`\r\n\r\nOPTIONS sip:a@example.com SIP/2.0\nCall-ID: lf\nContent-Length: 2\n\nhi`));
    expect(m.headers.get('Call-ID')).toBe('lf');
    expect(m.body.toString()).toBe('hi');
    expect(serializeMessage(m).toString()).toBe('OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: lf\r\nContent-Length: 2\r\n\r\nhi');
  });

  it('counts Content-Length in bytes, not characters', () => {
    const body = Buffer.from('é€😀', 'utf8');
    const m = parseMessage(Buffer.concat([Buffer.from(`${base}Content-Length: ${body.length}\r\n\r\n`), body, Buffer.from('tail')]));
    expect(m.body.equals(body)).toBe(true);
    m.body = Buffer.from('ü');
    expect(serializeMessage(m).toString()).toContain('Content-Length: 2\r\n');
  });

  it('accepts identical duplicate Content-Length values and writes one', () => {
    const m = parseMessage(Buffer.from(`${base}Content-Length: 2\r\nl: 2\r\n\r\nok`));
    expect(m.body.toString()).toBe('ok');
    expect(serializeMessage(m).toString().match(/Content-Length/g)).toHaveLength(1);
  });
});

describe('the parser on malformed input', () => {
  const base = 'OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\nCall-ID: x\r\n';
  const cases: [string, string | Buffer, string][] = [
    ['an empty buffer', '', 'SIP_EMPTY'],
    ['only CRLFs', '\r\n\r\n\r\n', 'SIP_EMPTY'],
    ['a start line with two elements', 'OPTIONS sip:a@b\r\n\r\n', 'SIP_BAD_START_LINE'],
    ['an HTTP request', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'SIP_BAD_START_LINE'],
    ['a status line with a two-digit code', 'SIP/2.0 20 OK\r\n\r\n', 'SIP_BAD_STATUS_CODE'],
    ['a status code of 700', 'SIP/2.0 700 Nope\r\n\r\n', 'SIP_BAD_STATUS_CODE'],
    ['a header line without a colon', `${base}Garbage\r\nl: 0\r\n\r\n`, 'SIP_BAD_HEADER'],
    ['a header name with a space inside', `${base}Bad Name: x\r\nl: 0\r\n\r\n`, 'SIP_BAD_HEADER'],
    ['a bare CR in a header', `${base}X: a\rb\r\nl: 0\r\n\r\n`, 'SIP_BAD_HEADER'],
    ['a continuation line before any header', 'OPTIONS sip:a@b SIP/2.0\r\n folded\r\n\r\n', 'SIP_BAD_HEADER'],
    ['a negative Content-Length', `${base}Content-Length: -1\r\n\r\n`, 'SIP_BAD_CONTENT_LENGTH'],
    ['a Content-Length beyond 2^53', `${base}Content-Length: 9007199254740993\r\n\r\n`, 'SIP_BAD_CONTENT_LENGTH'],
    ['a Content-Length with a fraction', `${base}Content-Length: 1.5\r\n\r\nab`, 'SIP_BAD_CONTENT_LENGTH'],
    ['a Content-Length in hex', `${base}Content-Length: 0x1\r\n\r\na`, 'SIP_BAD_CONTENT_LENGTH'],
    ['a Content-Length larger than the datagram', `${base}Content-Length: 10\r\n\r\nshort`, 'SIP_BAD_CONTENT_LENGTH'],
    ['no empty line after the headers', `${base}Content-Length: 0\r\n`, 'SIP_NO_HEADER_END'],
  ];
  for (const [what, input, code] of cases) {
    it(`rejects ${what} with ${code}`, () => {
      try {
        parseMessage(typeof input === 'string' ? Buffer.from(input, 'latin1') : input);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(SipParseError);
        expect((e as SipParseError).code).toBe(code);
        expect((e as SipParseError).message.length).toBeGreaterThan(0);
      }
    });
  }

  it('gives a partial request with the readable headers so a 400 can reach the sender', () => {
    try {
      parseMessage(Buffer.from(`${base}Garbage line\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n`));
      expect.unreachable();
    } catch (e) {
      const p = (e as SipParseError).partial!;
      expect(p.kind === 'request' && p.method).toBe('OPTIONS');
      expect(p.headers.get('Via')).toContain('branch=z9hG4bK1');
      expect(p.headers.get('CSeq')).toBe('1 OPTIONS');
    }
  });

  it('enforces the size limits with a clear error', () => {
    const big = Buffer.alloc(65537, 0x61);
    expect(() => parseMessage(big)).toThrow(/Message too large \(65537 bytes, limit 65536\)/);
    const many = `${base}${'X-H: v\r\n'.repeat(200)}l: 0\r\n\r\n`;
    expect(() => parseMessage(Buffer.from(many))).toThrow(/Too many headers \(limit 200\)/);
    const long = `${base}X-Long: ${'a'.repeat(20000)}\r\nl: 0\r\n\r\n`;
    expect(() => parseMessage(Buffer.from(long))).toThrow(/Header too long/);
    expect(() => parseMessage(Buffer.from(long), { maxHeaderLineBytes: 30000 })).not.toThrow();
    const folded = `${base}X-Folded: a${'\r\n b'.repeat(9000)}\r\nl: 0\r\n\r\n`;
    expect(() => parseMessage(Buffer.from(folded))).toThrow(/Header too long/);
  });

  it('serializes every RFC 4475 message it accepts into something it accepts again', () => {
    for (const f of rfc4475Files()) {
      let m: SipMessage;
      try {
        m = parseMessage(rfc4475(f));
      } catch {
        continue;
      }
      const again = parseMessage(serializeMessage(m));
      expect(again.headers.entries().filter((h) => h.name !== 'Content-Length'), f).toEqual(
        m.headers.entries().filter((h) => h.name !== 'Content-Length'),
      );
      expect(again.body.equals(m.body), f).toBe(true);
    }
  });

  it('refuses to serialize a header value that would inject a line', () => {
    const m = parseMessage(Buffer.from(`${base}l: 0\r\n\r\n`));
    m.headers.append('X-Evil', 'a\r\nVia: injected');
    expect(() => serializeMessage(m)).toThrow(/CR or LF/);
  });
});
