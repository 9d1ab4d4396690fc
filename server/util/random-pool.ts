/**
 * Random values for identifiers: SIP tags, branches and Call-IDs (RFC 3261 §19.3, §8.1.1.7, §8.1.1.4),
 * SDP session ids (RFC 4566 §5.2), RTP SSRCs and initial sequence numbers and timestamps (RFC 3550 §5.1,
 * §8.1). They all come from one pool the CSPRNG refills 4 KiB at a time: a `randomBytes` call per value
 * cost a crypto job and a Buffer each, and one call set-up draws about ten. Every byte is used once, so
 * the values are as unpredictable as before.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

/** Offset of `bytes` fresh bytes in the pool (refilled when too few are left). */
function take(bytes: number): number {
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const start = used;
  used += bytes;
  return start;
}

/** `bytes` fresh random bytes as lower-case hex (2 × `bytes` characters). */
export function randomHex(bytes: number): string {
  const start = take(bytes);
  return pool.toString('hex', start, start + bytes);
}

/** A random unsigned 32-bit integer. */
export function random32(): number {
  return pool.readUInt32BE(take(4));
}

/** A random unsigned 64-bit integer. */
export function random64(): bigint {
  return pool.readBigUInt64BE(take(8));
}
