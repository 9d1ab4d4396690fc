import { describe, expect, it } from 'vitest';
import { decodeIntLE, encodeIntLE, floatToInt16, floatToInt24, type IntSampleBits } from '../../server/codecs/sample-convert.js';

/** Full scale of each width, and the bytes of the most negative, -1, 0, +1 and most positive codes (little-endian). */
const WIDTHS: [IntSampleBits, number, number[][]][] = [
  [16, 32768, [[0x00, 0x80], [0xff, 0xff], [0x00, 0x00], [0x01, 0x00], [0xff, 0x7f]]],
  [24, 8388608, [[0x00, 0x00, 0x80], [0xff, 0xff, 0xff], [0x00, 0x00, 0x00], [0x01, 0x00, 0x00], [0xff, 0xff, 0x7f]]],
  [32, 2147483648, [[0x00, 0x00, 0x00, 0x80], [0xff, 0xff, 0xff, 0xff], [0x00, 0x00, 0x00, 0x00], [0x01, 0x00, 0x00, 0x00], [0xff, 0xff, 0xff, 0x7f]]],
];

describe('integer PCM conversions', () => {
  it.each(WIDTHS)('decode %i-bit little-endian codes to code / 2^(bits-1)', (bits, scale, codes) => {
    const out = decodeIntLE(Buffer.from(codes.flat()), bits);
    expect(Array.from(out)).toEqual([-scale, -1, 0, 1, scale - 1].map((c) => Math.fround(c / scale)));
  });

  it.each(WIDTHS)('encode %i-bit samples back to the same bytes, clamping +1.0 to the largest code', (bits, scale, codes) => {
    const samples = new Float32Array([-1, -1 / scale, 0, 1 / scale, 1]);
    expect([...encodeIntLE(samples, bits)]).toEqual(codes.flat());
  });

  it.each([16, 24] as const)('round-trip every %i-bit code through a float exactly', (bits) => {
    const scale = 2 ** (bits - 1);
    const step = bits === 16 ? 1 : 97;
    const ints: number[] = [];
    for (let c = -scale; c < scale; c += step) ints.push(c);
    ints.push(scale - 1);
    const bytes = Buffer.alloc(ints.length * (bits / 8));
    ints.forEach((c, i) => bytes.writeIntLE(c, i * (bits / 8), bits / 8));
    expect(encodeIntLE(decodeIntLE(bytes, bits), bits).equals(bytes)).toBe(true);
  });

  it('decodes only the first n samples into the given array when asked', () => {
    const out = new Float32Array(3).fill(9);
    decodeIntLE(Buffer.from([0x00, 0x40, 0x00, 0xc0, 0xff, 0x7f]), 16, 2, out);
    expect(Array.from(out)).toEqual([0.5, -0.5, 9]);
  });

  it.each([
    [1.5, 32767, 8388607],
    [-1.5, -32768, -8388608],
    [0.5, 16384, 4194304],
    [-0.25, -8192, -2097152],
  ])('quantize %f to the 16-bit code %i and the 24-bit code %i', (x, i16, i24) => {
    expect(floatToInt16(x)).toBe(i16);
    expect(floatToInt24(x)).toBe(i24);
  });
});
