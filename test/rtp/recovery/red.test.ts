import { describe, expect, it } from 'vitest';
import {
  encodeRed,
  parseRed,
  RED_MAX_BLOCK_LENGTH,
  RED_MAX_TIMESTAMP_OFFSET,
  RedEncoder,
  RedRecovery,
  type RedFrame,
} from '../../../server/rtp/red.js';
import { RecoveryError, type RecoveryErrorCode } from '../../../server/rtp/recovery/recovery-error.js';
import { seqAdd, seqDiff, tsAdd } from '../../../server/rtp/seq.js';

function filled(length: number, octet: number): Buffer {
  return Buffer.alloc(length, octet);
}

function codeOf(f: () => unknown): RecoveryErrorCode | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof RecoveryError) return err.code;
    throw err;
  }
  return undefined;
}

/** Frames of 20 ms at 48 kHz (960 samples), payload octet = low byte of the index, PT 111. */
function frames(firstSeq: number, firstTs: number, count: number): RedFrame[] {
  return Array.from({ length: count }, (_, i) => ({
    sequenceNumber: seqAdd(firstSeq, i),
    timestamp: tsAdd(firstTs, 960 * i),
    payloadType: 111,
    payload: filled(20, i & 0xff),
  }));
}

describe('RED payloads (RFC 2198 §3)', () => {
  // The layout of the RFC 2198 §3 example: one LPC (PT 7) redundant block of 14 octets, then the
  // DVI4 (PT 5) primary of 84 octets; the offset (160, one 20 ms frame at 8 kHz) is our choice.
  const lpc = filled(14, 0x77);
  const dvi4 = filled(84, 0x55);
  const exampleBytes = Buffer.concat([
    Buffer.from([0x87, 0x02, 0x80, 0x0e]), // F=1, PT=7 | offset 160 (14 bits) | length 14 (10 bits)
    Buffer.from([0x05]), // F=0, PT=5
    lpc,
    dvi4,
  ]);

  it('encodes the example of RFC 2198 §3 to the exact bytes of its diagram', () => {
    const { payload, dropped } = encodeRed({ payloadType: 5, payload: dvi4 }, [{ payloadType: 7, timestampOffset: 160, payload: lpc }]);
    expect(dropped).toBe(0);
    expect(payload.toString('hex')).toBe(exampleBytes.toString('hex'));
    expect(payload.length).toBe(4 + 1 + 14 + 84);
  });

  it('parses the example of RFC 2198 §3 back into its two blocks', () => {
    const red = parseRed(exampleBytes);
    expect(red.redundant).toHaveLength(1);
    expect(red.redundant[0]).toMatchObject({ payloadType: 7, timestampOffset: 160 });
    expect(red.redundant[0]?.payload.equals(lpc)).toBe(true);
    expect(red.primary.payloadType).toBe(5);
    expect(red.primary.payload.equals(dvi4)).toBe(true);
  });

  it.each([
    { name: 'a primary alone (one header octet)', redundant: 0 },
    { name: 'one redundant block', redundant: 1 },
    { name: 'two redundant blocks', redundant: 2 },
  ])('round-trips $name', ({ redundant }) => {
    const blocks = Array.from({ length: redundant }, (_, i) => ({ payloadType: 111, timestampOffset: 960 * (redundant - i), payload: filled(30 + i, 0xa0 + i) }));
    const { payload } = encodeRed({ payloadType: 111, payload: filled(40, 0x11) }, blocks);
    const back = parseRed(payload);
    expect(back.redundant.map((b) => [b.payloadType, b.timestampOffset, b.payload.toString('hex')])).toEqual(
      blocks.map((b) => [b.payloadType, b.timestampOffset, b.payload.toString('hex')]),
    );
    expect(back.primary.payload.equals(filled(40, 0x11))).toBe(true);
  });

  it.each([
    { name: 'the largest 14-bit offset and 10-bit length', offset: RED_MAX_TIMESTAMP_OFFSET, length: RED_MAX_BLOCK_LENGTH, kept: true },
    { name: 'an offset of 2^14', offset: RED_MAX_TIMESTAMP_OFFSET + 1, length: 10, kept: false },
    { name: 'a block of 1024 octets', offset: 960, length: RED_MAX_BLOCK_LENGTH + 1, kept: false },
    { name: 'a negative offset', offset: -1, length: 10, kept: false },
  ])('with $name the block is kept only if it fits the header fields', ({ offset, length, kept }) => {
    const { payload, dropped } = encodeRed({ payloadType: 111, payload: filled(5, 1) }, [{ payloadType: 111, timestampOffset: offset, payload: filled(length, 2) }]);
    expect(dropped).toBe(kept ? 0 : 1);
    const back = parseRed(payload);
    expect(back.redundant).toHaveLength(kept ? 1 : 0);
    if (kept) expect(back.redundant[0]).toMatchObject({ timestampOffset: offset });
    expect(back.primary.payload.equals(filled(5, 1))).toBe(true);
  });

  it.each([
    { name: 'an empty payload', bytes: Buffer.alloc(0), code: 'RED_SHORT' },
    { name: 'a block header cut after its first octet', bytes: Buffer.from([0x87]), code: 'RED_SHORT' },
    { name: 'a block header cut after three octets', bytes: Buffer.from([0x87, 0x02, 0x80]), code: 'RED_SHORT' },
    { name: 'block headers with no primary header after them', bytes: Buffer.from([0x87, 0x02, 0x80, 0x00]), code: 'RED_SHORT' },
    { name: 'a block longer than what follows', bytes: Buffer.concat([Buffer.from([0x87, 0x02, 0x80, 0x0e, 0x05]), filled(13, 0)]), code: 'RED_BLOCK_OVERRUN' },
    {
      name: 'two blocks whose lengths add up past the end',
      bytes: Buffer.concat([Buffer.from([0x87, 0x02, 0x80, 0x0a, 0x87, 0x01, 0x40, 0x0a, 0x05]), filled(15, 0)]),
      code: 'RED_BLOCK_OVERRUN',
    },
  ] as const)('rejects $name with $code', ({ bytes, code }) => {
    expect(codeOf(() => parseRed(bytes))).toBe(code);
  });

  it('refuses to write a payload type that does not fit 7 bits', () => {
    expect(codeOf(() => encodeRed({ payloadType: 128, payload: Buffer.alloc(1) }, []))).toBe('RED_SERIALIZE');
    expect(codeOf(() => encodeRed({ payloadType: 1, payload: Buffer.alloc(1) }, [{ payloadType: -1, timestampOffset: 1, payload: Buffer.alloc(1) }]))).toBe(
      'RED_SERIALIZE',
    );
  });
});

describe('the RED encoder keeps the last frames and adds copies of earlier ones', () => {
  it.each([
    { depth: 1, distance: 1, expected: [[], [65534], [65535], [0], [1], [2]] },
    { depth: 2, distance: 1, expected: [[], [65534], [65534, 65535], [65535, 0], [0, 1], [1, 2]] },
    { depth: 1, distance: 2, expected: [[], [], [65534], [65535], [0], [1]] },
    { depth: 2, distance: 2, expected: [[], [], [65534], [65535], [65534, 0], [65535, 1]] },
    { depth: 1, distance: 3, expected: [[], [], [], [65534], [65535], [0]] },
  ])('with depth $depth and distance $distance the copies across 65535→0 are the frames distance·k back', ({ depth, distance, expected }) => {
    const enc = new RedEncoder({ depth, distance });
    const input = frames(65534, 0xffff_f000, 6);
    const got = input.map((f) => enc.encode(f));
    expect(got.map((g) => g.redundantSeqs)).toEqual(expected);
    // Every copy carries the right timestamp offset and payload.
    for (const [i, g] of got.entries()) {
      const red = parseRed(g.payload);
      const primary = input[i]?.sequenceNumber ?? 0;
      expect(red.redundant.map((b) => b.timestampOffset)).toEqual(g.redundantSeqs.map((s) => 960 * seqDiff(primary, s)));
      expect(red.primary.payload.equals(input[i]?.payload ?? Buffer.alloc(0))).toBe(true);
    }
  });

  it('leaves out a copy that does not fit, and every older copy with it, so positions stay meaningful', () => {
    const enc = new RedEncoder({ depth: 2, distance: 1 });
    const input = frames(10, 0, 3);
    input[1] = { ...(input[1] as RedFrame), payload: filled(RED_MAX_BLOCK_LENGTH + 1, 9) };
    enc.encode(input[0] as RedFrame);
    enc.encode(input[1] as RedFrame);
    const third = enc.encode(input[2] as RedFrame);
    expect(third.redundantSeqs).toEqual([]);
    expect(enc.dropped).toBe(1);
  });

  it.each([
    { options: { depth: 0, distance: 1 }, field: 'depth' },
    { options: { depth: 3, distance: 1 }, field: 'depth' },
    { options: { depth: 1, distance: 0 }, field: 'distance' },
    { options: { depth: 1, distance: 4 }, field: 'distance' },
    { options: { depth: 1.5, distance: 1 }, field: 'depth' },
  ])('rejects $field out of range with RECOVERY_BAD_OPTION', ({ options, field }) => {
    try {
      new RedEncoder(options);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RecoveryError);
      expect((err as RecoveryError).code).toBe('RECOVERY_BAD_OPTION');
      expect((err as RecoveryError).field).toBe(field);
    }
  });
});

describe('RED recovery yields lost frames once, and never a frame that arrived', () => {
  function send(depth: number, distance: number, firstSeq: number, count: number) {
    const enc = new RedEncoder({ depth, distance });
    return frames(firstSeq, 0xffff_fc40, count).map((f) => ({ frame: f, payload: enc.encode(f).payload }));
  }

  it('recovers a frame lost at 65535 from the next packet, with its timestamp and payload', () => {
    const sent = send(1, 1, 65533, 5);
    const rec = new RedRecovery({ distance: 1 });
    const out: RedFrame[] = [];
    for (const [i, s] of sent.entries()) {
      if (i === 2) continue; // seq 65535 lost
      out.push(...rec.push({ sequenceNumber: s.frame.sequenceNumber, timestamp: s.frame.timestamp, red: parseRed(s.payload) }).recovered);
    }
    expect(out.map((f) => f.sequenceNumber)).toEqual([65535]);
    expect(out[0]?.timestamp).toBe(sent[2]?.frame.timestamp);
    expect(out[0]?.payload.equals(sent[2]?.frame.payload ?? Buffer.alloc(0))).toBe(true);
    expect(rec.stats.recovered).toBe(1);
  });

  it.each([
    { depth: 2, distance: 1, lost: [65535, 0], recovered: [65535, 0] },
    { depth: 1, distance: 1, lost: [65535, 0], recovered: [0] },
    { depth: 1, distance: 2, lost: [65535, 0], recovered: [65535, 0] },
    { depth: 2, distance: 2, lost: [65534, 65535, 0, 1], recovered: [65534, 65535, 0, 1] },
    { depth: 1, distance: 3, lost: [65535, 0, 1], recovered: [65535, 0, 1] },
  ])('with depth $depth and distance $distance a burst $lost yields $recovered', ({ depth, distance, lost, recovered }) => {
    const sent = send(depth, distance, 65530, 16);
    const rec = new RedRecovery({ distance });
    const got: number[] = [];
    for (const s of sent) {
      if (lost.includes(s.frame.sequenceNumber)) continue;
      got.push(...rec.push({ sequenceNumber: s.frame.sequenceNumber, timestamp: s.frame.timestamp, red: parseRed(s.payload) }).recovered.map((f) => f.sequenceNumber));
    }
    expect([...got].sort((a, b) => seqDiff(a, b))).toEqual(recovered);
  });

  it('does not yield a frame again when a second copy of it arrives', () => {
    const sent = send(2, 1, 100, 6);
    const rec = new RedRecovery({ distance: 1 });
    const got: number[] = [];
    for (const s of sent) {
      if (s.frame.sequenceNumber === 102) continue;
      got.push(...rec.push({ sequenceNumber: s.frame.sequenceNumber, timestamp: s.frame.timestamp, red: parseRed(s.payload) }).recovered.map((f) => f.sequenceNumber));
    }
    expect(got).toEqual([102]);
  });

  it('counts an original that arrives after its frame was recovered as late, not as a new frame', () => {
    const sent = send(1, 1, 7, 3);
    const rec = new RedRecovery({ distance: 1 });
    const push = (i: number) => {
      const s = sent[i];
      if (!s) throw new Error('no such packet');
      return rec.push({ sequenceNumber: s.frame.sequenceNumber, timestamp: s.frame.timestamp, red: parseRed(s.payload) });
    };
    push(0);
    expect(push(2).recovered.map((f) => f.sequenceNumber)).toEqual([8]);
    const late = push(1);
    expect(late.primaryIsNew).toBe(false);
    expect(late.recovered).toEqual([]);
    expect(rec.stats.lateAfterRecovery).toBe(1);
    expect(push(1).primaryIsNew).toBe(false);
    expect(rec.stats.duplicates).toBe(1);
  });

  it('does not yield a frame that arrived as a plain packet or a retransmission', () => {
    const sent = send(1, 1, 65535, 3);
    const rec = new RedRecovery({ distance: 1 });
    rec.received(65535);
    const s = sent[1];
    if (!s) throw new Error('no such packet');
    expect(rec.push({ sequenceNumber: s.frame.sequenceNumber, timestamp: s.frame.timestamp, red: parseRed(s.payload) }).recovered).toEqual([]);
  });

  it('ignores packets too far behind the remembered window', () => {
    const rec = new RedRecovery({ distance: 1, window: 16 });
    rec.received(1000);
    expect(rec.received(900)).toBe(false);
    expect(rec.stats.stale).toBe(1);
  });
});
