/**
 * Errors inside acip carry a stable machine `code` (the model: fastify's FST_ERR_*).
 * The API maps codes to HTTP statuses in one table; the UA maps them to SIP statuses in one table.
 * `field` names the offending input where there is one (config key, request body path, SIP header).
 *
 * Every code is listed here, by layer: a new code is added to this table first, so a typo in a
 * `new AcipError('…')` fails to compile and the edge tables can switch on the union.
 */

/** Why the RTP parser (RtpParseError) rejected a datagram; an RTP session counts drops by these. */
export const RTP_PARSE_ERROR_CODES = ['RTP_SHORT', 'RTP_VERSION', 'RTP_CSRC_OVERRUN', 'RTP_EXT_OVERRUN', 'RTP_PADDING'] as const;

/** Why the RTCP parser (RtcpParseError) rejected a compound packet; an RTP session counts drops by these. */
export const RTCP_PARSE_ERROR_CODES = [
  'RTCP_SHORT',
  'RTCP_VERSION',
  'RTCP_LENGTH_OVERRUN',
  'RTCP_COUNT_OVERRUN',
  'RTCP_PADDING',
  'RTCP_SDES',
  'RTCP_BYE',
  'RTCP_NOT_REPORT_FIRST',
] as const;

/** Rejections of received SRTP/SRTCP packets (RFC 3711 §3.3), counted per code by the media session. */
export const SRTP_ERROR_CODES = ['SRTP_AUTH_FAIL', 'SRTP_REPLAY', 'SRTP_TOO_OLD', 'SRTP_MALFORMED'] as const;
/** Malformed RED (RFC 2198) / RTX (RFC 4588) payloads, and bad recovery options. */
export const RECOVERY_ERROR_CODES = ['RED_SHORT', 'RED_BLOCK_OVERRUN', 'RED_SERIALIZE', 'RTX_SHORT', 'RECOVERY_BAD_OPTION'] as const;

export const ACIP_ERROR_CODES = [
  // Requests and configuration
  'VALIDATION',
  'CONFIG_INVALID',
  'AUTH_REQUIRED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  // Links
  'LINK_LIMIT',
  /** The service is refusing new links until its media/event-loop load falls (503 + Retry-After). */
  'OVERLOADED',
  'LINK_ILLEGAL_TRANSITION',
  // SIP grammar (the parser's SipParseError)
  'SIP_EMPTY',
  'SIP_BAD_START_LINE',
  'SIP_BAD_STATUS_CODE',
  'SIP_TOO_LARGE',
  'SIP_TOO_MANY_HEADERS',
  'SIP_HEADER_TOO_LONG',
  'SIP_HEADERS_TOO_LARGE',
  'SIP_NO_HEADER_END',
  'SIP_BAD_HEADER',
  'SIP_BAD_CONTENT_LENGTH',
  'SIP_BAD_URI',
  'SIP_UNSUPPORTED_URI_SCHEME',
  'SIP_BAD_NAME_ADDR',
  'SIP_BAD_VIA',
  'SIP_BAD_PARAMS',
  'SIP_BAD_CSEQ',
  'SIP_BAD_NUMBER',
  'SIP_BAD_QUOTED_STRING',
  'SIP_BAD_CHALLENGE',
  'SIP_UNSUPPORTED_DIGEST_ALGORITHM',
  'SIP_FRAMING_FAILED',
  // SIP transport, transactions, dialogs, UA
  'SIP_BAD_OUTGOING_MESSAGE',
  'SIP_DNS_FAILED',
  'SIP_DNS_NOT_FOUND',
  'SIP_UNRESOLVABLE',
  'SIP_UNROUTABLE',
  'SIP_NO_TRANSPORT',
  'SIP_NO_BRANCH',
  'SIP_DUPLICATE_TRANSACTION',
  'SIP_ACK_NOT_TRANSACTION',
  'SIP_ILLEGAL_TRANSITION',
  'SIP_CSEQ_EXHAUSTED',
  'SIP_NOT_ANSWERED',
  'SIP_NOT_CONFIRMED',
  'SIP_REINVITE_PENDING',
  'SIP_UA_CLOSED',
  // SDP offer/answer
  'SDP_MALFORMED',
  'SDP_BAD_EBUACIP',
  'SDP_BAD_PROFILE',
  'SDP_NO_AUDIO',
  'SDP_SRTP_UNSUPPORTED',
  /** The profile makes SRTP mandatory and the peer's offer or answer has no usable a=crypto. */
  'SDP_SRTP_REQUIRED',
  /** SDES keys would travel over signalling that is not TLS (RFC 4568 §8.1). */
  'SDP_SRTP_INSECURE_SIGNALLING',
  'SDP_UNSUPPORTED_TRANSPORT',
  'SDP_NO_COMMON_CODEC',
  'SDP_ANSWER_MISMATCH',
  'SDP_REJECTED',
  // RTP/RTCP
  'RTP_OPTIONS',
  'RTP_PORT_RANGE',
  'RTP_NO_PORTS',
  ...RTP_PARSE_ERROR_CODES,
  'RTP_SERIALIZE',
  ...RTCP_PARSE_ERROR_CODES,
  // SIP over TLS (the stream transport's SipTransportError)
  'SIP_TLS_VERIFY_FAILED',
  'SIP_TLS_HANDSHAKE_FAILED',
  ...SRTP_ERROR_CODES,
  'SRTP_CONFIG',
  ...RECOVERY_ERROR_CODES,
  'RTCP_SERIALIZE',
  // Codecs
  'CODEC_UNKNOWN',
  'CODEC_BAD_PARAMS',
  'CODEC_BAD_FMTP',
  'CODEC_BAD_PAYLOAD',
  'CODEC_BAD_FRAME',
  'CODEC_CLOSED',
  'CODEC_ENGINE_FAILED',
  // Media: jitter buffer, sessions, worker threads, audio devices and files
  'JB_BAD_OPTION',
  'MEDIA_SESSION_PARAMS',
  'MEDIA_SESSION_CLOSED',
  'MEDIA_POOL_PARAMS',
  'MEDIA_POOL_CLOSED',
  'MEDIA_WORKER_EXIT',
  /** A non-acip error thrown inside a media session, as it crosses the worker boundary. */
  'MEDIA_ERROR',
  /** A non-acip error thrown inside a media worker, as it crosses the worker boundary. */
  'MEDIA_WORKER_ERROR',
  'AUDIO_SPEC_INVALID',
  'AUDIO_RATE_INVALID',
  'AUDIO_CHANNELS_INVALID',
  'AUDIO_FRAME_INVALID',
  'ALSA_CAPTURE_FAILED',
  'ALSA_PLAYBACK_FAILED',
  'WAV_INVALID',
  'WAV_UNSUPPORTED',
  'WAV_UNREADABLE',
  'WAV_UNWRITABLE',
  'WAV_WRITE_FAILED',
  // Stores
  'HISTORY_WRITE_FAILED',
] as const;

export type AcipErrorCode = (typeof ACIP_ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(ACIP_ERROR_CODES);

/** For codes that arrive as plain strings (across a worker boundary). */
export function isAcipErrorCode(code: string): code is AcipErrorCode {
  return KNOWN_CODES.has(code);
}

export class AcipError extends Error {
  readonly code: AcipErrorCode;
  readonly field: string | undefined;

  constructor(code: AcipErrorCode, message: string, field?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AcipError';
    this.code = code;
    this.field = field;
  }
}

export function isAcipError(e: unknown): e is AcipError {
  return e instanceof AcipError;
}
