/**
 * Typed failures of a stream transport that the layers above show to a person (a link's
 * "why did the call fail"). `code` is stable; `message` names the peer and, for TLS, the OpenSSL
 * reason (e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`).
 */
import { AcipError } from '../../util/errors.js';

export type SipTransportErrorCode =
  /** The peer's certificate failed verification (chain, expiry or name: RFC 5922 §7). */
  | 'SIP_TLS_VERIFY_FAILED'
  /** The TLS handshake failed for another reason (protocol versions, ciphers, a reset mid-handshake). */
  | 'SIP_TLS_HANDSHAKE_FAILED';

export class SipTransportError extends AcipError {
  declare readonly code: SipTransportErrorCode;
  /** The OpenSSL / Node reason code, e.g. `CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`. */
  readonly reason: string;

  constructor(code: SipTransportErrorCode, message: string, reason: string, options?: { cause?: unknown }) {
    super(code, message, undefined, options);
    this.name = 'SipTransportError';
    this.reason = reason;
  }
}

export function isSipTransportError(e: unknown): e is SipTransportError {
  return e instanceof SipTransportError;
}
