/**
 * Identifiers the UA core generates: tags (§19.3, ≥ 32 bits of randomness), branches (§8.1.1.7), Call-IDs (§8.1.1.4).
 *
 * The bytes come from a pool the CSPRNG refills 4 KiB at a time: a `randomBytes` call per identifier
 * cost a crypto job and a Buffer each, and a call set-up draws several (To tag, branches, Call-ID).
 * Every byte is used once, so identifiers stay as unpredictable as before.
 */
import { randomFillSync } from 'node:crypto';
import { BRANCH_MAGIC_COOKIE } from '../grammar/message.js';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

/** `bytes` fresh random bytes as lower-case hex (2 × `bytes` characters). */
export function randomHex(bytes: number): string {
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const start = used;
  used += bytes;
  return pool.toString('hex', start, used);
}

export function newTag(): string {
  return randomHex(6);
}

export function newBranch(): string {
  return `${BRANCH_MAGIC_COOKIE}${randomHex(9)}`;
}

export function newCallId(host: string): string {
  return `${randomHex(12)}@${host}`;
}
