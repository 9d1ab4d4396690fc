import { describe, expect, it } from 'vitest';
import { SipFramingError, SipStreamFramer, type KeepAliveKind } from '../../../server/sip/transport/stream-framer.js';
import { parseMessage } from '../../../server/sip/grammar/parser.js';
import { serializeMessage } from '../../../server/sip/grammar/serializer.js';
import { CAPTURES, capture, rfc4475, rfc4475Expected, rfc4475Files } from './fixtures.js';

interface Outcome {
  messages: Buffer[];
  error?: string;
  /** Bytes held back (not meaningful after an error, so 0 then). */
  pending: number;
}

function feed(framer: SipStreamFramer, chunks: Buffer[]): Outcome {
  const messages: Buffer[] = [];
  for (const c of chunks) {
    try {
      messages.push(...framer.push(c));
    } catch (e) {
      if (!(e instanceof SipFramingError)) throw e;
      messages.push(...e.messages);
      return { messages, error: e.code, pending: 0 };
    }
  }
  return { messages, pending: framer.bufferedBytes };
}

/** A cheap comparable form (vitest's deep equality on Buffers is slow in these loops). */
function key(o: Outcome): string {
  return JSON.stringify([o.messages.map((m) => m.toString('latin1')), o.error, o.pending]);
}

function splitAt(b: Buffer, k: number): Buffer[] {
  return [b.subarray(0, k), b.subarray(k)];
}

describe('SipStreamFramer', () => {
  const expected = rfc4475Expected();

  for (const file of rfc4475Files()) {
    it(`frames ${file} the same way whole, split at every byte, and one byte at a time`, () => {
      const buf = rfc4475(file);
      const whole = feed(new SipStreamFramer(), [buf]);
      const wholeKey = key(whole);
      const want = expected[file]!.stream;
      if (want === 'close') expect(whole.error).toBeDefined();
      if (want === 'stall') expect([whole.error, whole.messages.length, whole.pending > 0]).toEqual([undefined, 0, true]);
      if (want === 'ok') expect([whole.error, whole.messages.length, whole.pending]).toEqual([undefined, 1, 0]);
      for (let k = 0; k <= buf.length; k++) {
        const got = key(feed(new SipStreamFramer(), splitAt(buf, k)));
        if (got !== wholeKey) expect(got, `${file} split at ${k}`).toBe(wholeKey);
      }
      const bytes = [...buf].map((b) => Buffer.from([b]));
      expect(key(feed(new SipStreamFramer(), bytes))).toBe(wholeKey);
    });
  }

  it('frames every real capture split at every byte, and the framed bytes are the message', () => {
    for (const name of CAPTURES) {
      const buf = capture(name);
      for (let k = 0; k <= buf.length; k++) {
        const out = feed(new SipStreamFramer(), splitAt(buf, k));
        expect(out.messages.length).toBe(1);
        expect(out.messages[0]!.equals(buf)).toBe(true);
      }
    }
  });

  it('returns two messages that arrive in one chunk, and a third split across the next ones', () => {
    const a = capture('sipp-invite.sip');
    const b = capture('baresip-200-ok.sip');
    const c = capture('baresip-register-auth.sip');
    const f = new SipStreamFramer();
    const first = f.push(Buffer.concat([a, b, c.subarray(0, 10)]));
    expect(first.map((m) => m.equals(a) || m.equals(b))).toEqual([true, true]);
    expect(f.inMessage).toBe(true);
    expect(f.push(c.subarray(10, 300))).toEqual([]);
    const last = f.push(c.subarray(300));
    expect(last).toHaveLength(1);
    expect(last[0]!.equals(c)).toBe(true);
    expect([f.inMessage, f.bufferedBytes, f.messages]).toEqual([false, 0, 3]);
  });

  it('reports a double-CRLF keep-alive as a ping and a lone CRLF as a pong (RFC 5626 §3.5.1)', () => {
    const seen: KeepAliveKind[] = [];
    const f = new SipStreamFramer({ onKeepAlive: (k) => seen.push(k) });
    const msg = capture('baresip-register-auth.sip');
    const stream = Buffer.concat([Buffer.from('\r\n\r\n'), msg, Buffer.from('\r\n'), msg, Buffer.from('\r\n\r\n\r\n\r\n')]);
    const got: Buffer[] = [];
    for (const b of stream) got.push(...f.push(Buffer.from([b])));
    expect(got).toHaveLength(2);
    expect(seen).toEqual(['ping', 'pong', 'ping', 'ping']);
    expect([f.pings, f.pongs]).toEqual([3, 1]);
  });

  const head = 'OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h.example.com;branch=z9hG4bK1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n';
  const framingErrors: [string, string, string][] = [
    ['a missing Content-Length', `${head}\r\n`, 'SIP_BAD_CONTENT_LENGTH'],
    ['a negative Content-Length', `${head}Content-Length: -5\r\n\r\n`, 'SIP_BAD_CONTENT_LENGTH'],
    ['conflicting Content-Lengths', `${head}Content-Length: 1\r\nl: 2\r\n\r\nab`, 'SIP_BAD_CONTENT_LENGTH'],
    ['a Content-Length beyond the message limit', `${head}Content-Length: 70000\r\n\r\n`, 'SIP_BAD_CONTENT_LENGTH'],
    ['a message over the limit', `${head}Content-Length: 65500\r\n\r\n`, 'SIP_TOO_LARGE'],
  ];
  for (const [what, text, code] of framingErrors) {
    it(`fails with ${code} on ${what}, keeps failing, and carries a partial for a 400`, () => {
      const f = new SipStreamFramer();
      const out = feed(f, [Buffer.from(text)]);
      expect(out.error).toBe(code);
      expect(f.failed?.partial?.headers.get('Call-ID')).toBe('x');
      expect(() => f.push(Buffer.from('OPTIONS'))).toThrow(SipFramingError);
    });
  }

  it('fails when the header section outgrows its limit without an empty line', () => {
    const f = new SipStreamFramer({ limits: { maxHeaderSectionBytes: 1000 } });
    const out = feed(f, [Buffer.from(head), Buffer.from('X: y\r\n'.repeat(200))]);
    expect(out.error).toBe('SIP_HEADERS_TOO_LARGE');
  });

  it('stays linear when a 64 KiB message arrives one byte at a time', () => {
    const body = Buffer.alloc(60000, 0x61);
    const hdrs = `${head}${'X-Pad: 0123456789abcdef0123456789abcdef\r\n'.repeat(60)}Content-Length: ${body.length}\r\n\r\n`;
    const msg = Buffer.concat([Buffer.from(hdrs), body]);
    expect(msg.length).toBeLessThanOrEqual(65536);
    const f = new SipStreamFramer();
    const got: Buffer[] = [];
    // Bounded: one push per byte; a quadratic framer would do ~2e9 byte visits here and time out.
    for (let i = 0; i < msg.length; i++) got.push(...f.push(msg.subarray(i, i + 1)));
    expect(got).toHaveLength(1);
    expect(got[0]!.equals(msg)).toBe(true);
    expect(parseMessage(got[0]!, undefined, { framing: 'stream' }).body.length).toBe(60000);
  });

  it('frames what the serializer writes, whatever the message', () => {
    const f = new SipStreamFramer();
    const msgs = CAPTURES.map((n) => serializeMessage(parseMessage(capture(n))));
    const out = f.push(Buffer.concat(msgs));
    expect(out.map((b) => b.toString('latin1'))).toEqual(msgs.map((b) => b.toString('latin1')));
  });
});
