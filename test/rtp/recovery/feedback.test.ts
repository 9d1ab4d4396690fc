import { describe, expect, it } from 'vitest';
import {
  buildGenericNacks,
  genericNackCodec,
  nackFciToSeqs,
  parseGenericNack,
  RTCP_RTPFB,
  seqsToNackFci,
  serializeGenericNack,
  type RtcpGenericNack,
} from '../../../server/rtp/rtcp/feedback.js';
import { RtcpParseError, RtcpSerializeError, type RtcpParseErrorCode } from '../../../server/rtp/rtcp/rtcp-common.js';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

function parseCode(bytes: Buffer): RtcpParseErrorCode | undefined {
  try {
    parseGenericNack(bytes);
  } catch (err) {
    if (err instanceof RtcpParseError) return err.code;
    throw err;
  }
  return undefined;
}

// V=2 P=0 FMT=1 | PT=205 | length 3 | sender SSRC | media SSRC | PID 65535, BLP 0x8005
// BLP bit 0 → 0, bit 2 → 2, bit 15 → 15: the lost list crosses 65535→0.
const NACK_BYTES = hex('81 cd 00 03  11 11 11 11  22 22 22 22  ff ff 80 05');

describe('generic NACK packets (RFC 4585 §6.1, §6.2.1)', () => {
  it('parses a hand-built NACK whose lost list crosses 65535→0', () => {
    const p = parseGenericNack(NACK_BYTES);
    expect(p).toEqual({ type: 'nack', padding: 0, senderSsrc: 0x11111111, mediaSsrc: 0x22222222, fci: [{ pid: 65535, blp: 0x8005 }] });
    expect(nackFciToSeqs(p?.fci ?? [])).toEqual([65535, 0, 2, 15]);
  });

  it('builds the same bytes from the lost list', () => {
    const [packet, ...rest] = buildGenericNacks(0x11111111, 0x22222222, [65535, 0, 2, 15]);
    expect(rest).toEqual([]);
    expect(serializeGenericNack(packet as RtcpGenericNack).toString('hex')).toBe(NACK_BYTES.toString('hex'));
  });

  it('round-trips a packet of several FCI entries, with padding', () => {
    const p: RtcpGenericNack = {
      type: 'nack',
      padding: 4,
      senderSsrc: 1,
      mediaSsrc: 0xffff_ffff,
      fci: [
        { pid: 10, blp: 0 },
        { pid: 40, blp: 0xffff },
        { pid: 65535, blp: 1 },
      ],
    };
    const bytes = serializeGenericNack(p);
    expect(bytes.length).toBe(4 + 8 + 12 + 4);
    expect(bytes.readUInt8(0)).toBe(0xa1); // P bit and FMT 1
    expect(bytes.readUInt16BE(2)).toBe(bytes.length / 4 - 1);
    expect(parseGenericNack(bytes)).toEqual(p);
  });

  it.each([
    { name: 'one sequence number', seqs: [7], fci: [{ pid: 7, blp: 0 }] },
    { name: '17 consecutive numbers in one entry', seqs: Array.from({ length: 17 }, (_, i) => 100 + i), fci: [{ pid: 100, blp: 0xffff }] },
    {
      name: '18 consecutive numbers in two entries',
      seqs: Array.from({ length: 18 }, (_, i) => 100 + i),
      fci: [
        { pid: 100, blp: 0xffff },
        { pid: 117, blp: 0 },
      ],
    },
    { name: 'the first and the 17th number', seqs: [5, 21], fci: [{ pid: 5, blp: 0x8000 }] },
    {
      name: 'the first and the 18th number',
      seqs: [5, 22],
      fci: [
        { pid: 5, blp: 0 },
        { pid: 22, blp: 0 },
      ],
    },
    { name: 'an unordered list with duplicates', seqs: [3, 1, 2, 3, 1], fci: [{ pid: 1, blp: 0x0003 }] },
    { name: 'numbers around the wrap, given out of order', seqs: [1, 65534, 0], fci: [{ pid: 65534, blp: 0x0006 }] },
    { name: 'nothing', seqs: [], fci: [] },
  ])('compresses $name', ({ seqs, fci }) => {
    const got = seqsToNackFci(seqs);
    expect(got).toEqual(fci);
    const unique = [...new Set(seqs)];
    expect(new Set(nackFciToSeqs(got))).toEqual(new Set(unique));
    expect(nackFciToSeqs(got)).toHaveLength(unique.length);
  });

  it('splits a long list across packets of at most maxFciPerPacket entries', () => {
    const seqs = Array.from({ length: 10 }, (_, i) => i * 20); // 10 entries, none combinable
    const packets = buildGenericNacks(1, 2, seqs, 4);
    expect(packets.map((p) => p.fci.length)).toEqual([4, 4, 2]);
    expect(packets.flatMap((p) => nackFciToSeqs(p.fci))).toEqual(seqs);
    expect(buildGenericNacks(1, 2, [])).toEqual([]);
  });

  it('gives undefined for other feedback packets, which are not malformed', () => {
    const transportCc = Buffer.from(NACK_BYTES);
    transportCc[0] = 0x8f; // FMT 15
    expect(parseGenericNack(transportCc)).toBeUndefined();
    const pli = Buffer.from(NACK_BYTES);
    pli[1] = 206;
    expect(parseGenericNack(pli)).toBeUndefined();
  });

  it.each([
    { name: 'a datagram shorter than a header', bytes: hex('81 cd 00'), code: 'RTCP_SHORT' },
    { name: 'version 1', bytes: hex('41 cd 00 03 11111111 22222222 ffff8005'), code: 'RTCP_VERSION' },
    { name: 'a length past the end', bytes: hex('81 cd 00 04 11111111 22222222 ffff8005'), code: 'RTCP_LENGTH_OVERRUN' },
    { name: 'no room for the media SSRC', bytes: hex('81 cd 00 01 11111111'), code: 'RTCP_SHORT' },
    { name: 'no FCI entry', bytes: hex('81 cd 00 02 11111111 22222222'), code: 'RTCP_SHORT' },
    { name: 'padding cutting into the FCI', bytes: hex('a1 cd 00 03 11111111 22222222 ffff8002'), code: 'RTCP_SHORT' },
    { name: 'a padding count of 0', bytes: hex('a1 cd 00 03 11111111 22222222 ffff8000'), code: 'RTCP_PADDING' },
    { name: 'a padding count larger than the packet', bytes: hex('a1 cd 00 03 11111111 22222222 ffff80ff'), code: 'RTCP_PADDING' },
  ] as const)('rejects $name with $code', ({ bytes, code }) => {
    expect(parseCode(bytes)).toBe(code);
  });

  it('refuses to write a NACK with no entry or an out-of-range field', () => {
    const base: RtcpGenericNack = { type: 'nack', padding: 0, senderSsrc: 1, mediaSsrc: 2, fci: [] };
    expect(() => serializeGenericNack(base)).toThrow(RtcpSerializeError);
    expect(() => serializeGenericNack({ ...base, fci: [{ pid: 65536, blp: 0 }] })).toThrow(RtcpSerializeError);
    expect(() => serializeGenericNack({ ...base, fci: [{ pid: 1, blp: 0 }], senderSsrc: -1 })).toThrow(RtcpSerializeError);
    expect(() => buildGenericNacks(1, 2, [1], 0)).toThrow(RtcpSerializeError);
  });

  it('offers a body codec in the shape the compound parser uses', () => {
    const body = NACK_BYTES.subarray(4);
    const p = genericNackCodec.parse(body, 1, 0, 0, RTCP_RTPFB);
    expect(genericNackCodec.packetType(p)).toBe(205);
    expect(genericNackCodec.count(p)).toBe(1);
    expect(genericNackCodec.bodyLength(p)).toBe(body.length);
    const out = Buffer.alloc(body.length);
    genericNackCodec.write(p, out, 0);
    expect(out.equals(body)).toBe(true);
  });
});

describe('generic NACK inside a compound RTCP packet', () => {
  it('is parsed from a compound after the receiver report and written back byte for byte', async () => {
    const { parseRtcp, serializeRtcp } = await import('../../../server/rtp/rtcp/compound.js');
    const rr = { type: 'rr' as const, padding: 0, ssrc: 0x11111111, reports: [], extension: Buffer.alloc(0) };
    const nack = { type: 'nack' as const, padding: 0, senderSsrc: 0x11111111, mediaSsrc: 0x22222222, fci: [{ pid: 65535, blp: 0b101 }] };
    const bytes = serializeRtcp([rr, nack] as never);
    const parsed = parseRtcp(bytes);
    expect(parsed.map((p) => p.type)).toEqual(['rr', 'nack']);
    expect(parsed[1]).toMatchObject({ senderSsrc: 0x11111111, mediaSsrc: 0x22222222, fci: [{ pid: 65535, blp: 0b101 }] });
    expect(serializeRtcp(parsed)).toEqual(bytes);
  });

  it('leaves another transport-layer feedback format (FMT 15) as unknown', async () => {
    const { parseRtcp, serializeRtcp } = await import('../../../server/rtp/rtcp/compound.js');
    const rr = serializeRtcp([{ type: 'rr', padding: 0, ssrc: 1, reports: [], extension: Buffer.alloc(0) } as never]);
    // V=2, FMT=15, PT=205, length 2 (3 words): sender SSRC, media SSRC.
    const fb = Buffer.from([0x8f, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
    const parsed = parseRtcp(Buffer.concat([rr, fb]));
    expect(parsed.map((p) => p.type)).toEqual(['rr', 'unknown']);
  });
});
