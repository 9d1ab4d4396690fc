import { describe, expect, it } from 'vitest';
import { parseMessage, SipParseError } from '../../../server/sip/grammar/parser.js';
import { rejectionForParseError, validateRequest } from '../../../server/sip/grammar/validate.js';
import { parseNameAddr, parseUri } from '../../../server/sip/grammar/uri.js';
import { parseVia } from '../../../server/sip/grammar/via.js';
import { getTag, parseCSeq, parseMaxForwards } from '../../../server/sip/grammar/headers.js';
import { createResponse } from '../../../server/sip/grammar/response.js';
import { serializeMessage } from '../../../server/sip/grammar/serializer.js';
import { rfc4475, rfc4475Expected, rfc4475Files } from './fixtures.js';

/** The grammar layer's verdict: accept, a status to answer with, or drop. */
function grammarOutcome(buf: Buffer): 'accept' | 'drop' | number {
  let msg;
  try {
    msg = parseMessage(buf);
  } catch (e) {
    expect(e).toBeInstanceOf(SipParseError);
    const r = rejectionForParseError(e as SipParseError);
    if (r === null) return 'drop';
    // The 400 must be sendable: the partial request still names where to send it.
    const partial = (e as SipParseError).partial!;
    expect(partial.kind).toBe('request');
    expect(partial.headers.getAll('Via').length).toBeGreaterThan(0);
    if (partial.kind === 'request') serializeMessage(createResponse(partial, r.status, r.reason));
    return r.status;
  }
  if (msg.kind === 'response') return 'accept';
  const r = validateRequest(msg);
  return r === null ? 'accept' : r.status;
}

describe('RFC 4475 torture messages at the grammar layer', () => {
  const expected = rfc4475Expected();

  it('has an expectation for every fixture file and a file for every expectation', () => {
    expect(Object.keys(expected).sort()).toEqual(rfc4475Files());
  });

  for (const file of rfc4475Files()) {
    it(`${file} gives the outcome MANIFEST.md asks for`, () => {
      const e = expected[file]!;
      expect(grammarOutcome(rfc4475(file))).toBe(e.grammar);
    });
  }

  it('wsinv: folded, oddly spaced headers are read into their canonical names and values', () => {
    const m = parseMessage(rfc4475('wsinv.dat'));
    if (m.kind !== 'request') throw new Error('request expected');
    expect(m.uri).toBe('sip:vivekg@chair-dnrc.example.com;unknownparam');
    // Folding becomes one SP (§7.3.1); blanks inside a line stay as they were.
    expect(m.headers.get('To')).toBe('sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n');
    expect(getTag(m.headers.get('To')!)).toBe('1918181833n');
    const from = parseNameAddr(m.headers.get('From')!);
    expect(from.displayName).toBe('J Rosenberg \\"');
    expect(from.params.get('tag')).toBe('98asjd8');
    expect(parseMaxForwards(m.headers.get('Max-Forwards')!)).toBe(68);
    expect(parseCSeq(m.headers.get('CSeq')!)).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.headers.get('Subject')).toBe('');
    expect(m.headers.get('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(m.headers.get('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    const vias = m.headers.getAll('Via').flatMap(parseVia);
    expect(vias.map((v) => [v.transport, v.host, v.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    const contact = parseNameAddr(m.headers.get('Contact')!);
    expect(contact.displayName).toBe('Quoted string ""');
    expect([...contact.params]).toEqual([['newparam', 'newvalue'], ['secondparam', null], ['q', '0.33']]);
    const route = parseNameAddr(m.headers.get('Route')!);
    expect([...route.uri.params]).toEqual([['lr', null], ['unknownwith', 'value'], ['unknown-no-value', null]]);
    expect(m.body.length).toBe(150);
  });

  it('intmeth: an exotic method, NUL/BEL/DEL quoted-pairs and UTF-8 survive intact', () => {
    const m = parseMessage(rfc4475('intmeth.dat'));
    if (m.kind !== 'request') throw new Error('request expected');
    expect(m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    const to = parseNameAddr(m.headers.get('To')!);
    expect(to.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    expect(to.uri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    const ruri = parseUri(m.uri);
    expect(ruri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(ruri.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(ruri.host).toBe('example.com');
    const from = parseNameAddr(m.headers.get('From')!);
    expect(from.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(from.params.get("fromparam''~+*_!.-%")).toBe('"работающий"');
    expect(from.params.get('tag')).toBe("_token~1'+`*%!-.");
    expect(m.headers.get("extensionHeader-!.%*+_`'~")).toBe('\ufeff大停電');
    expect(m.headers.get('Call-ID')).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
  });

  it('esc01: escapes in the user part decode without creating a new scheme or host', () => {
    const m = parseMessage(rfc4475('esc01.dat'));
    if (m.kind !== 'request') throw new Error('request expected');
    const ruri = parseUri(m.uri);
    expect(ruri.scheme).toBe('sip');
    expect(ruri.user).toBe('sips:user@example.com');
    expect(ruri.host).toBe('example.net');
    expect(parseNameAddr(m.headers.get('To')!).uri.user).toBe('user');
    expect(parseNameAddr(m.headers.get('From')!).uri.user).toBe('I have spaces');
    const contact = parseNameAddr(m.headers.get('Contact')!);
    expect(contact.uri.user).toBe('caller');
    expect([...contact.uri.params]).toEqual([['lr', null], ['name', 'value%41']]);
  });

  it('dblreq: the bytes after Content-Length in a datagram are discarded', () => {
    const m = parseMessage(rfc4475('dblreq.dat'));
    expect(m.kind === 'request' && m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
    expect(m.headers.getAll('Call-ID')).toEqual(['dblreq.0ha0isndaksdj99sdfafnl3lk233412']);
  });

  it('inv2543: without Content-Length the body of a datagram is the rest of it', () => {
    const buf = rfc4475('inv2543.dat');
    const m = parseMessage(buf);
    expect(m.body.toString('latin1')).toBe(buf.toString('latin1').split('\r\n\r\n')[1]);
    expect(() => parseMessage(buf, undefined, { framing: 'stream' })).toThrow(/Missing Content-Length/);
  });

  it('scalar02: out-of-range numbers are errors, never wrapped or rounded', () => {
    const m = parseMessage(rfc4475('scalar02.dat'));
    expect(() => parseCSeq(m.headers.get('CSeq')!)).toThrow(SipParseError);
    expect(() => parseMaxForwards(m.headers.get('Max-Forwards')!)).toThrow(/exceeds 255/);
    const r = m.kind === 'request' ? validateRequest(m) : null;
    expect(r?.status).toBe(400);
    expect(r?.reason).toMatch(/CSeq/);
  });

  it('bigcode: a 10-digit status code is rejected, not wrapped to 5', () => {
    try {
      parseMessage(rfc4475('bigcode.dat'));
      expect.unreachable();
    } catch (e) {
      expect((e as SipParseError).code).toBe('SIP_BAD_STATUS_CODE');
      expect((e as SipParseError).partial).toBeUndefined();
    }
  });

  it('rejections name the fault in their reason phrase', () => {
    const reasons: Record<string, RegExp> = {
      'badvers.dat': /Version Not Supported/,
      'mismatch01.dat': /CSeq method/,
      'multi01.dat': /Duplicate/,
      'insuf.dat': /Missing Call-ID/,
      'badinv01.dat': /Via/,
      'quotbal.dat': /To/,
    };
    for (const [file, re] of Object.entries(reasons)) {
      const m = parseMessage(rfc4475(file));
      if (m.kind !== 'request') throw new Error('request expected');
      expect(validateRequest(m)?.reason, file).toMatch(re);
    }
    for (const [file, re] of Object.entries({ 'ncl.dat': /Content-Length/, 'mcl01.dat': /Conflicting Content-Length/, 'clerr.dat': /9999/, 'lwsruri.dat': /request line/ })) {
      try {
        parseMessage(rfc4475(file));
        expect.unreachable(file);
      } catch (e) {
        expect(rejectionForParseError(e as SipParseError)?.reason, file).toMatch(re);
      }
    }
  });
});
