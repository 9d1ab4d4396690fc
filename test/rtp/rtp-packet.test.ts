import { describe, expect, it } from 'vitest';
import { parseRtp, RtpParseError, serializeRtp, RtpSerializeError } from '../../server/rtp/rtp-packet.js';
import { AcipError } from '../../server/util/errors.js';
import { loadHex } from './fixtures.js';
import { rtpMalformedCases } from './malformed-cases.js';

describe('RTP packets (RFC 3550 §5.1)', () => {
  it('parses a packet captured from ffmpeg and serializes it back to the same bytes', () => {
    const bytes = loadHex('ffmpeg-l16-rtp.hex');
    const p = parseRtp(bytes);
    expect(p.version).toBe(2);
    expect(p.padding).toBe(0);
    expect(p.marker).toBe(false);
    expect(p.payloadType).toBe(96);
    expect(p.sequenceNumber).toBe(0x01cc);
    expect(p.timestamp).toBe(0x6aedff99);
    expect(p.ssrc).toBe(305419896);
    expect(p.csrcs).toEqual([]);
    expect(p.extension).toBeUndefined();
    // 204-octet datagram (pkt_size) minus the 12-octet header: 96 L16 samples.
    expect(p.payload.length).toBe(192);
    expect(p.payload.readInt16BE(2)).toBe(0x0216);
    expect(serializeRtp(p).equals(bytes)).toBe(true);
  });

  it('parses CSRCs, a header extension and padding, and round-trips them byte for byte', () => {
    const bytes = loadHex('rtp-csrc-ext-padding.hex');
    const p = parseRtp(bytes);
    expect(p).toMatchObject({ padding: 3, marker: true, payloadType: 111, sequenceNumber: 65535, timestamp: 0xdeadbeef, ssrc: 0x11223344 });
    expect(p.csrcs).toEqual([0xaaaaaaaa, 0xbbbbbbbb]);
    expect(p.extension?.profile).toBe(0xbede);
    expect([...(p.extension?.data ?? [])]).toEqual([0x10, 0xab, 0, 0]);
    expect([...p.payload]).toEqual([1, 2, 3, 4, 5]);
    expect(serializeRtp(p).equals(bytes)).toBe(true);
  });

  it('returns the payload as a view into the datagram, not a copy', () => {
    const bytes = loadHex('rtp-csrc-ext-padding.hex');
    const p = parseRtp(bytes);
    bytes[28] = 0x77;
    expect(p.payload[0]).toBe(0x77);
    expect(p.payload.buffer).toBe(bytes.buffer);
  });

  it.each(rtpMalformedCases().map((c) => [c.name, c] as const))('rejects %s', (_name, c) => {
    let caught: unknown;
    try {
      parseRtp(c.bytes);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(RtpParseError);
    expect(caught).toBeInstanceOf(AcipError);
    expect((caught as RtpParseError).code).toBe(c.code);
  });

  it('accepts padding that exactly consumes the payload', () => {
    const bytes = Buffer.from('a0000001000000020000000300000004', 'hex');
    const p = parseRtp(bytes);
    expect(p.padding).toBe(4);
    expect(p.payload.length).toBe(0);
  });

  it.each([1, 2, 3, 4, 7, 255])('writes %i padding octet(s) as zeros ending in the count, whatever memory the buffer came from', (padding) => {
    // Serialized packets come from Buffer.allocUnsafe: dirty the pool first so stale bytes would show.
    for (let i = 0; i < 64; i++) Buffer.allocUnsafe(96).fill(0xa5);
    const payload = Buffer.from([1, 2, 3]);
    const out = serializeRtp({ padding, marker: false, payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, csrcs: [], extension: undefined, payload });
    expect(out.length).toBe(12 + payload.length + padding);
    expect([...out.subarray(15, out.length - 1)]).toEqual(new Array(padding - 1).fill(0));
    expect(out[out.length - 1]).toBe(padding);
    expect(parseRtp(out).payload.equals(payload)).toBe(true);
  });

  it('refuses to serialize out-of-range fields', () => {
    const base = parseRtp(loadHex('ffmpeg-l16-rtp.hex'));
    expect(() => serializeRtp({ ...base, payloadType: 128 })).toThrow(RtpSerializeError);
    expect(() => serializeRtp({ ...base, sequenceNumber: 65536 })).toThrow(RtpSerializeError);
    expect(() => serializeRtp({ ...base, csrcs: new Array(16).fill(1) })).toThrow(RtpSerializeError);
    expect(() => serializeRtp({ ...base, extension: { profile: 1, data: Buffer.alloc(3) } })).toThrow(RtpSerializeError);
  });
});
