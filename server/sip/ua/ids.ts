/** Identifiers the UA core generates: tags (§19.3, ≥ 32 bits of randomness), branches (§8.1.1.7), Call-IDs (§8.1.1.4). */
import { randomBytes } from 'node:crypto';
import { BRANCH_MAGIC_COOKIE } from '../grammar/message.js';

export function newTag(): string {
  return randomBytes(6).toString('hex');
}

export function newBranch(): string {
  return `${BRANCH_MAGIC_COOKIE}${randomBytes(9).toString('hex')}`;
}

export function newCallId(host: string): string {
  return `${randomBytes(12).toString('hex')}@${host}`;
}
