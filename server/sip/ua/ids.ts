/**
 * Identifiers the UA core generates: tags (§19.3, ≥ 32 bits of randomness), branches (§8.1.1.7), Call-IDs
 * (§8.1.1.4), from the shared random pool.
 */
import { BRANCH_MAGIC_COOKIE } from '../grammar/message.js';
import { randomHex } from '../../util/random-pool.js';

export function newTag(): string {
  return randomHex(6);
}

export function newBranch(): string {
  return `${BRANCH_MAGIC_COOKIE}${randomHex(9)}`;
}

export function newCallId(host: string): string {
  return `${randomHex(12)}@${host}`;
}
