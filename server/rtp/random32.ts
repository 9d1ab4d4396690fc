/**
 * Random 32-bit values for SSRCs and initial sequence numbers and timestamps (RFC 3550 §5.1, §8.1),
 * drawn from a pool the CSPRNG refills 64 at a time: a `randomBytes` call per value cost a crypto
 * job and a Buffer each, three times per session set-up.
 */
import { randomFillSync } from 'node:crypto';

const pool = new Uint32Array(64);
let left = 0;

export function random32(): number {
  if (left === 0) {
    randomFillSync(pool);
    left = pool.length;
  }
  return pool[--left] as number;
}
