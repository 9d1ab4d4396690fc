/**
 * The reusable AES-CM cipher (one ECB cipher over counter blocks) must give exactly the keystream of
 * RFC 3711 §4.1.1 AES counter mode, whatever the length, the IV and the alignment of the buffers.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AesCmCipher } from '../../../server/rtp/srtp/aes-cm-cipher.js';
import { hex, loadSrtpFixture, type Rfc3711Vectors } from './fixtures.js';

function reference(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  return createCipheriv('aes-128-ctr', key, iv).update(data);
}

function srtpIv(): Buffer {
  const iv = randomBytes(16);
  iv[14] = 0;
  iv[15] = 0;
  return iv;
}

describe('AesCmCipher', () => {
  it('produces the RFC 3711 B.2 keystream blocks', () => {
    const b = loadSrtpFixture<Rfc3711Vectors>('rfc3711-appendix-b.json').aesCm;
    const cipher = new AesCmCipher(hex(b.sessionKey));
    const out = Buffer.alloc(48);
    cipher.xorInto(hex(b.blocks[0]?.counter ?? ''), Buffer.alloc(48), out, 0);
    expect(out.toString('hex')).toBe(b.blocks.slice(0, 3).map((x) => x.keystream).join(''));
  });

  it.each([0, 1, 3, 4, 15, 16, 17, 160, 300, 1023, 1440, 8192, 8193, 20000])('matches AES-CTR for %i octets', (length) => {
    const key = randomBytes(16);
    const cipher = new AesCmCipher(key);
    for (let round = 0; round < 3; round++) {
      const iv = srtpIv();
      const data = randomBytes(length);
      const out = Buffer.alloc(length);
      cipher.xorInto(iv, data, out, 0);
      expect(out).toEqual(reference(key, iv, data));
    }
  });

  it.each([
    { srcShift: 1, dstShift: 0 },
    { srcShift: 0, dstShift: 3 },
    { srcShift: 2, dstShift: 2 },
    { srcShift: 4, dstShift: 8 },
  ])('matches AES-CTR with source offset $srcShift and destination offset $dstShift', ({ srcShift, dstShift }) => {
    const key = randomBytes(16);
    const cipher = new AesCmCipher(key);
    const iv = srtpIv();
    const backing = randomBytes(700 + srcShift);
    const data = backing.subarray(srcShift);
    const out = Buffer.alloc(700 + dstShift + 5, 0xee);
    cipher.xorInto(iv, data, out, dstShift);
    expect(out.subarray(dstShift, dstShift + 700)).toEqual(reference(key, iv, data));
    expect(out.subarray(0, dstShift)).toEqual(Buffer.alloc(dstShift, 0xee));
    expect(out.subarray(dstShift + 700)).toEqual(Buffer.alloc(5, 0xee));
  });

  it('falls back to AES-CTR for an IV whose counter octets are not zero', () => {
    const key = randomBytes(16);
    const iv = randomBytes(16);
    iv[15] = 0xff;
    const data = randomBytes(100);
    const out = Buffer.alloc(100);
    new AesCmCipher(key).xorInto(iv, data, out, 0);
    expect(out).toEqual(reference(key, iv, data));
  });
});
