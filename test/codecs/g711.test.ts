import { describe, expect, it } from 'vitest';
import { ALAW_TO_LINEAR, linearToAlaw, linearToUlaw, pcmaCodec, pcmuCodec, ULAW_TO_LINEAR } from '../../server/codecs/g711.js';

describe('G.711 A-law (PCMA)', () => {
  it('decodes the known code points: 0xD5 -> +8, 0x55 -> -8, 0xAA -> +32256, 0x2A -> -32256', () => {
    expect(ALAW_TO_LINEAR[0xd5]).toBe(8);
    expect(ALAW_TO_LINEAR[0x55]).toBe(-8);
    expect(ALAW_TO_LINEAR[0xaa]).toBe(32256);
    expect(ALAW_TO_LINEAR[0x2a]).toBe(-32256);
    // First step of segment 1 and of segment 7 (mid-step reconstruction).
    expect(ALAW_TO_LINEAR[0x10 ^ 0xd5]).toBe(264);
    expect(ALAW_TO_LINEAR[0x70 ^ 0xd5]).toBe(16896);
  });

  it('encodes silence as 0xD5 and the extremes as 0xAA / 0x2A', () => {
    expect(linearToAlaw(0)).toBe(0xd5);
    expect(linearToAlaw(-1)).toBe(0x55);
    expect(linearToAlaw(32767)).toBe(0xaa);
    expect(linearToAlaw(-32768)).toBe(0x2a);
  });

  it('re-encodes every decoded value to its own code (256 of 256)', () => {
    for (let c = 0; c < 256; c++) expect(linearToAlaw(ALAW_TO_LINEAR[c] as number)).toBe(c);
  });

  it('has a monotonic, odd-symmetric characteristic', () => {
    let prev = -Infinity;
    for (let s = -32768; s <= 32767; s += 7) {
      const v = ALAW_TO_LINEAR[linearToAlaw(s)] as number;
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
    for (let c = 0; c < 128; c++) expect(ALAW_TO_LINEAR[c]).toBe(-(ALAW_TO_LINEAR[c | 0x80] as number));
  });
});

describe('G.711 µ-law (PCMU)', () => {
  it('decodes the known code points: 0xFF -> 0, 0x7F -> 0, 0x80 -> +32124, 0x00 -> -32124', () => {
    expect(ULAW_TO_LINEAR[0xff]).toBe(0);
    expect(ULAW_TO_LINEAR[0x7f]).toBe(0);
    expect(ULAW_TO_LINEAR[0x80]).toBe(32124);
    expect(ULAW_TO_LINEAR[0x00]).toBe(-32124);
    expect(ULAW_TO_LINEAR[0xfe]).toBe(8);
    expect(ULAW_TO_LINEAR[0xef]).toBe(132);
  });

  it('encodes silence as 0xFF and the extremes as 0x80 / 0x00', () => {
    expect(linearToUlaw(0)).toBe(0xff);
    expect(linearToUlaw(32767)).toBe(0x80);
    expect(linearToUlaw(-32768)).toBe(0x00);
  });

  it('re-encodes every decoded value except negative zero to its own code', () => {
    for (let c = 0; c < 256; c++) if (c !== 0x7f) expect(linearToUlaw(ULAW_TO_LINEAR[c] as number)).toBe(c);
    expect(linearToUlaw(ULAW_TO_LINEAR[0x7f] as number)).toBe(0xff);
  });
});

describe('G.711 codec records', () => {
  it('are 8 kHz mono with static payload types 8 (PCMA) and 0 (PCMU), one byte per sample', () => {
    for (const [rec, pt] of [[pcmaCodec, 8], [pcmuCodec, 0]] as const) {
      expect(rec.staticPayloadType).toBe(pt);
      expect(rec.rtpClockRate(rec.defaultParams)).toBe(8000);
      const enc = rec.createEncoder(rec.defaultParams);
      expect(enc.encode(new Float32Array(160))).toHaveLength(160);
      expect(rec.maxPayloadBytes(rec.defaultParams, 20)).toBe(160);
    }
  });
});
