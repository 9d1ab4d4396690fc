import { describe, expect, it } from 'vitest';
import { SipHeaders, type SipRequest } from '../../../server/sip/grammar/message.js';
import { checkAccept, warningHeader } from '../../../server/sip/ua/uas-policy.js';
import { scanQuoted, unquote } from '../../../server/sip/grammar/lex.js';
import { isToken } from '../../../server/sip/grammar/lex.js';

function request(method: string, accept: string[]): SipRequest {
  const headers = new SipHeaders();
  for (const a of accept) headers.append('Accept', a);
  return { kind: 'request', method, uri: 'sip:acip@127.0.0.1', version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
}

describe('the Accept check of an INVITE (RFC 3261 §20.1, §21.4.7; RFC 4475 §3.3.15)', () => {
  it.each([
    // Accept header lines, expected status (null: the INVITE goes on)
    [[], null],
    [['application/sdp'], null],
    [['APPLICATION/SDP'], null],
    [['application/sdp;level=1'], null],
    [['text/html, application/sdp'], null],
    [['text/html', 'application/sdp'], null],
    [['application/*'], null],
    [['*/*'], null],
    [['application/sdp;q=0.5'], null],
    [['text/nobodyKnowsThis'], 406],
    [['text/html, application/pidf+xml'], 406],
    [[''], 406],
    [['application/sdp;q=0'], 406],
    [['application/sdp;q=0.000'], 406],
    [['*/*, application/sdp;q=0'], 406],
    [['application/*;q=0, application/sdp'], null],
    [['application/sdp;q=bogus'], null],
    [['"unterminated'], 400],
  ] as const)('with Accept %j answers %s', (lines, expected) => {
    const r = checkAccept(request('INVITE', [...lines]));
    expect(r?.status ?? null).toBe(expected);
    if (r?.status === 406) {
      expect(r.reason).toBe('Not Acceptable');
      expect(r.extraHeaders).toEqual([['Accept', 'application/sdp']]);
    }
  });

  it('lets requests other than INVITE through, whatever they accept', () => {
    for (const m of ['OPTIONS', 'BYE', 'CANCEL', 'ACK']) expect(checkAccept(request(m, ['text/nobodyKnowsThis']))).toBeNull();
  });
});

describe('the one Warning header builder (RFC 3261 §20.43, §25.1)', () => {
  it.each([
    // agent, code, text, expected header value
    ['acip', 305, 'Incompatible media format', '305 acip "Incompatible media format"'],
    ['192.0.2.1:5060', 399, 'x', '399 192.0.2.1:5060 "x"'],
    ['[2001:db8::1]:5060', 399, 'x', '399 [2001:db8::1]:5060 "x"'],
    ['studio.example.net', 304, 'no video', '304 studio.example.net "no video"'],
    ['acip/0.1.0', 399, 'x', '399 acip-0.1.0 "x"'],
    ['acip (test)', 399, 'x', '399 acip--test- "x"'],
    ['', 399, 'x', '399 acip "x"'],
    ['acip', 399, 'say "hi"', '399 acip "say \\"hi\\""'],
    ['acip', 399, 'back\\slash', '399 acip "back\\\\slash"'],
    ['acip', 399, 'two\r\nlines', '399 acip "two  lines"'],
    ['acip', 399, 'nul\u0000bell\u0007del\u007f', '399 acip "nul bell del "'],
    ['acip', 399, 'tab\tok', '399 acip "tab\tok"'],
    ['acip', 399, 'Grüße ✓', '399 acip "Grüße ✓"'],
    ['acip', 42, 'x', '399 acip "x"'],
    ['acip', 3050, 'x', '399 acip "x"'],
    ['acip', 304.5, 'x', '399 acip "x"'],
  ] as const)('builds a Warning from agent %j, code %s, text %j as %j', (agent, code, text, expected) => {
    expect(warningHeader(agent, code, text)).toBe(expected);
  });

  it('cuts long texts to 200 characters before quoting, so no escape or surrogate pair is cut in half', () => {
    for (const text of ['a'.repeat(199) + '"' + 'b'.repeat(50), 'a'.repeat(199) + '\\' + 'b', '😀'.repeat(300)]) {
      const value = warningHeader('acip', 399, text);
      const quoted = value.slice(value.indexOf('"'));
      expect(scanQuoted(quoted, 0)).toBe(quoted.length);
      expect(Array.from(unquote(quoted))).toHaveLength(200);
      expect(Buffer.from(quoted, 'utf8').toString('utf8')).toBe(quoted);
    }
  });

  it('always produces warn-code SP warn-agent SP quoted-string, whatever the input', () => {
    const agents = ['a b', '\u0000', 'x;y=z', 'ünï', '"q"', 'h:99999'];
    for (const agent of agents) {
      const value = warningHeader(agent, 399, 'text "with" \\ odd \r\n chars');
      const m = /^(\d{3}) (\S+) (".*")$/s.exec(value);
      expect(m, value).not.toBeNull();
      expect(isToken(m![2]!) || /^[\w.-]+(:\d+)?$|^\[[0-9a-f:]+\](:\d+)?$/i.test(m![2]!), m![2]).toBe(true);
      expect(scanQuoted(m![3]!, 0)).toBe(m![3]!.length);
      expect(m![3]).not.toMatch(/[\r\n]/);
    }
  });
});
