/**
 * Errors of the loss-recovery building blocks (RED, RFC 2198; RTX, RFC 4588; the receiver-side
 * schedulers). Every rejection carries one stable code so a media session can count them by kind:
 *
 * - `RED_SHORT`: a RED payload too short for the block headers it announces (RFC 2198 §3).
 * - `RED_BLOCK_OVERRUN`: the block lengths add up to more octets than the payload holds.
 * - `RED_SERIALIZE`: a value that cannot be put in a RED header (payload type over 7 bits).
 * - `RTX_SHORT`: an RTX payload of one octet, too short for the 2-octet OSN (RFC 4588 §4).
 * - `RECOVERY_BAD_OPTION`: a constructor option out of range (a programming or signalling error,
 *   never a property of a received packet).
 *
 * RTCP feedback (feedback.ts) reuses the RTCP errors of rtcp-common.ts instead, so a malformed
 * NACK is counted like any other malformed RTCP packet.
 */
import { AcipError, RECOVERY_ERROR_CODES } from '../../util/errors.js';

export { RECOVERY_ERROR_CODES };

export type RecoveryErrorCode = (typeof RECOVERY_ERROR_CODES)[number];

export class RecoveryError extends AcipError {
  declare readonly code: RecoveryErrorCode;
  /** Byte offset of the problem in the parsed payload, when a payload was being parsed. */
  readonly offset: number | undefined;

  constructor(code: RecoveryErrorCode, message: string, where: { offset?: number; field?: string } = {}) {
    super(code, message, where.field);
    this.name = 'RecoveryError';
    this.offset = where.offset;
  }
}

export function isRecoveryError(e: unknown): e is RecoveryError {
  return e instanceof RecoveryError;
}

/** Throws RECOVERY_BAD_OPTION unless `value` is an integer in [min, max]. */
export function checkIntOption(value: number, min: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RecoveryError('RECOVERY_BAD_OPTION', `${field} ${value} is not an integer in [${min}, ${max}]`, { field });
  }
}

/** Throws RECOVERY_BAD_OPTION unless `value` is a finite number in [min, max]. */
export function checkNumberOption(value: number, min: number, max: number, field: string): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RecoveryError('RECOVERY_BAD_OPTION', `${field} ${value} is not a number in [${min}, ${max}]`, { field });
  }
}
