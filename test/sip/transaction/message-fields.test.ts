/**
 * The header fields the transaction layer matches on, read through per-message and per-value caches:
 * a cached read must always equal a fresh parse, even after the header changed.
 */
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../server/sip/grammar/parser.js';
import { TAG_CACHE_MAX } from '../../../server/sip/grammar/headers.js';
import { tagOf, topVia } from '../../../server/sip/transaction/message-fields.js';

const request = (via: string) =>
  parseMessage(Buffer.from(`OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: ${via}\r\nFrom: <sip:b@192.0.2.2>;tag=f1\r\nTo: <sip:a@192.0.2.1>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`));

describe('the top Via of a message', () => {
  it('reads the same value twice from one parse, and parses again once the header changed', () => {
    const msg = request('SIP/2.0/UDP 192.0.2.2:5062;branch=z9hG4bK-one');
    const first = topVia(msg);
    expect(topVia(msg)).toBe(first);
    expect([first?.branch, first?.sentBy]).toEqual(['z9hG4bK-one', '192.0.2.2:5062']);
    msg.headers.set('Via', 'SIP/2.0/UDP 192.0.2.3;branch=z9hG4bK-two');
    expect([topVia(msg)?.branch, topVia(msg)?.sentBy]).toEqual(['z9hG4bK-two', '192.0.2.3']);
  });

  it('reads undefined for a malformed Via, every time', () => {
    const msg = request('SIP/2.0/UDP ;;;');
    expect([topVia(msg), topVia(msg)]).toEqual([undefined, undefined]);
  });
});

describe('the tag of a From or To value', () => {
  it.each([
    { value: '<sip:b@192.0.2.2>;tag=f1', tag: 'f1' },
    { value: '"Studio" <sip:b@192.0.2.2>;tag=abc;x=1', tag: 'abc' },
    { value: '<sip:a@192.0.2.1>', tag: undefined },
    { value: '<sip:a@192.0.2.1', tag: undefined }, // malformed
  ])('of $value is $tag, fresh or cached', ({ value, tag }) => {
    expect([tagOf(value), tagOf(value)]).toEqual([tag, tag]);
  });

  it('stays right past the cache size', () => {
    for (let i = 0; i < TAG_CACHE_MAX + 10; i++) expect(tagOf(`<sip:x@192.0.2.9>;tag=t${i}`)).toBe(`t${i}`);
    expect(tagOf('<sip:x@192.0.2.9>;tag=t0')).toBe('t0');
  });
});
