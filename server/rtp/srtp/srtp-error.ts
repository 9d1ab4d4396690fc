/**
 * Errors of the SRTP/SRTCP transform (RFC 3711). Every rejection of a received packet carries one
 * stable code so a media session can count them by kind without parsing messages:
 *
 * - `SRTP_AUTH_FAIL`: the authentication tag (HMAC-SHA1, RFC 3711 §4.2; or the GCM tag, RFC 7714)
 *   did not verify. The packet was forged, corrupted, or keyed differently.
 * - `SRTP_REPLAY`: the packet index was already received (RFC 3711 §3.3.2).
 * - `SRTP_TOO_OLD`: the packet index is to the left of the replay window (RFC 3711 §3.3.2).
 * - `SRTP_MALFORMED`: too short for its header and tag, or not an RTP/RTCP version 2 packet.
 */
import { AcipError, SRTP_ERROR_CODES } from '../../util/errors.js';

export { SRTP_ERROR_CODES };

export type SrtpErrorCode = (typeof SRTP_ERROR_CODES)[number];

export class SrtpError extends AcipError {
  declare readonly code: SrtpErrorCode;

  constructor(code: SrtpErrorCode, message: string) {
    super(code, message);
    this.name = 'SrtpError';
  }
}

export function isSrtpError(e: unknown): e is SrtpError {
  return e instanceof SrtpError;
}

/**
 * Wrong keys, salts or options given to a context: a programming or signalling error, never a
 * property of a received packet, so it is kept apart from the per-packet codes above.
 */
export class SrtpConfigError extends AcipError {
  declare readonly code: 'SRTP_CONFIG';
  declare readonly field: string;

  constructor(message: string, field: string) {
    super('SRTP_CONFIG', message, field);
    this.name = 'SrtpConfigError';
  }
}

/**
 * An authenticated packet of a new SSRC while the context already keeps state for its maximum of
 * SSRCs, all of them recently active (srtp-context.ts). Not a property of the packet's protection,
 * so deliberately not one of the SRTP_ERROR_CODES a link reports per reason: the stage counts it
 * apart. Bounds the memory a peer holding the key can make us spend by inventing SSRCs.
 */
export class SrtpSsrcLimitError extends Error {
  readonly code = 'SRTP_SSRC_LIMIT' as const;

  constructor(message: string) {
    super(message);
    this.name = 'SrtpSsrcLimitError';
  }
}
