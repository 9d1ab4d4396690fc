/**
 * SRTP crypto suites as data (RFC 4568 §6.2 names; RFC 7714 §14 for the AEAD suite). Every other
 * module reads these records: adding a suite adds a record, not a branch.
 *
 * - AES_CM_128_HMAC_SHA1_80: AES-128 counter mode (RFC 3711 §4.1.1), HMAC-SHA1 tag of 80 bits
 *   (§4.2.1) on SRTP and SRTCP.
 * - AES_CM_128_HMAC_SHA1_32: the same with a 32-bit tag on SRTP only. SRTCP keeps the 80-bit tag:
 *   RFC 4568 §6.2 gives this suite an 80-bit SRTCP tag, and RFC 3711 §5.2 allows the short tag
 *   for SRTP only.
 * - AEAD_AES_128_GCM: AES-GCM with a 16-octet tag and a 12-octet salt (RFC 7714 §14.2),
 *   no separate authentication key; the KDF is still the AES-CM PRF of RFC 3711 §4.3.3.
 */
export type SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32' | 'AEAD_AES_128_GCM';

export type SrtpTransformKind = 'aes-cm-hmac-sha1' | 'aes-gcm';

export interface SrtpSuite {
  readonly name: SrtpSuiteName;
  readonly transform: SrtpTransformKind;
  /** Master key and session encryption key length, octets. */
  readonly keyLength: number;
  /** Master salt and session salt length, octets (14 for AES-CM, 12 for GCM). */
  readonly saltLength: number;
  /** Session authentication key length, octets (0 for AEAD: the tag comes from the cipher). */
  readonly authKeyLength: number;
  /** Tag appended to SRTP packets, octets. */
  readonly rtpTagLength: number;
  /** Tag appended to SRTCP packets, octets. */
  readonly rtcpTagLength: number;
}

export const SRTP_SUITES: Readonly<Record<SrtpSuiteName, SrtpSuite>> = Object.freeze({
  AES_CM_128_HMAC_SHA1_80: {
    name: 'AES_CM_128_HMAC_SHA1_80',
    transform: 'aes-cm-hmac-sha1',
    keyLength: 16,
    saltLength: 14,
    authKeyLength: 20, // RFC 3711 §5.2: n_a = 160
    rtpTagLength: 10,
    rtcpTagLength: 10,
  },
  AES_CM_128_HMAC_SHA1_32: {
    name: 'AES_CM_128_HMAC_SHA1_32',
    transform: 'aes-cm-hmac-sha1',
    keyLength: 16,
    saltLength: 14,
    authKeyLength: 20,
    rtpTagLength: 4,
    rtcpTagLength: 10, // RFC 4568 §6.2: SRTCP always uses the 80-bit tag
  },
  AEAD_AES_128_GCM: {
    name: 'AEAD_AES_128_GCM',
    transform: 'aes-gcm',
    keyLength: 16,
    saltLength: 12,
    authKeyLength: 0,
    rtpTagLength: 16, // RFC 7714 §14.2
    rtcpTagLength: 16,
  },
});

/** Suites in our order of preference (strongest first) for offers. */
export const SRTP_SUITE_PREFERENCE: readonly SrtpSuiteName[] = [
  'AES_CM_128_HMAC_SHA1_80',
  'AEAD_AES_128_GCM',
  'AES_CM_128_HMAC_SHA1_32',
];

export function isSrtpSuiteName(name: string): name is SrtpSuiteName {
  return Object.prototype.hasOwnProperty.call(SRTP_SUITES, name);
}
