import { describe, expect, it } from 'vitest';
import { parseMessage, SipParseError } from '../../../server/sip/grammar/parser.js';
import { parseNameAddr, parseNameAddrList, parseUri } from '../../../server/sip/grammar/uri.js';
import { parseVia } from '../../../server/sip/grammar/via.js';
import { parseCSeq, parseParams, splitHeaderList } from '../../../server/sip/grammar/headers.js';
import { parseChallenge } from '../../../server/sip/grammar/digest.js';
import { SipStreamFramer } from '../../../server/sip/transport/stream-framer.js';

/**
 * 100 KB values shaped to make backtracking parsers go quadratic or exponential. The grammar is
 * written as index scanners, so each call is linear; a quadratic one would take minutes here and
 * the test would hit vitest's timeout. No wall-clock assertion: the work is bounded by the input.
 */
const N = 100_000;
const shapes: [string, string][] = [
  ['semicolons', ';'.repeat(N)],
  ['commas', ','.repeat(N)],
  ['spaces then junk', `${' '.repeat(N)}x`],
  ['open quotes', '"'.repeat(N)],
  ['escaped quotes', `"${'\\"'.repeat(N / 2)}`],
  ['backslashes', '\\'.repeat(N)],
  ['open angles', '<'.repeat(N)],
  ['angle pairs', '<>'.repeat(N / 2)],
  ['params', ';a=b'.repeat(N / 4)],
  ['flag params with blanks', ' ; a '.repeat(N / 5)],
  ['percent signs', `sip:${'%'.repeat(N)}@h.com`],
  ['escapes', `sip:${'%41'.repeat(N / 3)}@h.com`],
  ['at signs', `sip:${'@'.repeat(N)}`],
  ['colons', `sip:${':'.repeat(N)}`],
  ['long hostname', `sip:${'a.'.repeat(N / 2)}com`],
  ['long label', `sip:${'a'.repeat(N)}.com`],
  ['digits', '9'.repeat(N)],
  ['token words', 'tok '.repeat(N / 4)],
  ['slashes', `SIP${' / '.repeat(N / 3)}`],
  ['ipv6 brackets', `sip:[${':'.repeat(N)}]`],
  ['quoted pairs then no close', `"${'a\\'.repeat(N / 2)}`],
  ['many list elements', '<sip:a@b.com>,'.repeat(N / 14)],
];

describe('grammar functions on 100 KB pathological inputs', () => {
  for (const [name, text] of shapes) {
    it(`stay linear on ${name}`, () => {
      const fns: ((s: string) => unknown)[] = [
        parseUri, parseNameAddr, parseNameAddrList, parseVia, parseCSeq, parseParams, splitHeaderList, parseChallenge,
        (s) => parseChallenge(`Digest ${s}`),
        (s) => parseNameAddr(`"x" <sip:a@b.com>${s}`),
        (s) => parseVia(`SIP/2.0/UDP h.com${s}`),
      ];
      let outcomes = 0;
      for (const fn of fns) {
        try {
          fn(text);
        } catch (e) {
          if (!(e instanceof SipParseError)) throw e;
        }
        outcomes++;
      }
      expect(outcomes).toBe(fns.length);
    });
  }

  it('parses or rejects a message with a 100 KB header when the limits allow it', () => {
    const limits = { maxMessageBytes: 4 * N, maxHeaderSectionBytes: 4 * N, maxHeaderLineBytes: 4 * N };
    for (const [, text] of shapes) {
      const msg = Buffer.from(`OPTIONS sip:a@b.com SIP/2.0\r\nVia: SIP/2.0/UDP h.com;branch=z9hG4bK1\r\nX-Long: ${text}\r\nl: 0\r\n\r\n`, 'latin1');
      try {
        expect(parseMessage(msg, limits).headers.get('X-Long')).toBe(text.trim());
      } catch (e) {
        if (!(e instanceof SipParseError)) throw e;
      }
    }
    const folded = Buffer.from(`OPTIONS sip:a@b.com SIP/2.0\r\nX-F: ${'a\r\n '.repeat(N / 4)}\r\nl: 0\r\n\r\n`);
    expect(parseMessage(folded, limits).headers.get('X-F')!.length).toBe(N / 2 - 1);
  });

  it('frames 100 KB of header bytes fed one at a time without rescanning', () => {
    const f = new SipStreamFramer({ limits: { maxHeaderSectionBytes: 2 * N, maxMessageBytes: 2 * N } });
    const bytes = Buffer.from(`OPTIONS sip:a@b.com SIP/2.0\r\nX: ${'\r'.repeat(N)}`);
    let pushed = 0;
    for (let i = 0; i < bytes.length; i++) {
      f.push(bytes.subarray(i, i + 1));
      pushed++;
    }
    expect([pushed, f.inMessage]).toEqual([bytes.length, true]);
  });
});
