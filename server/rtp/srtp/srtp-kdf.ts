/**
 * SRTP key derivation (RFC 3711 §4.3) with the AES-CM PRF (§4.3.3) and a key derivation rate of
 * zero: each session key is derived once, when the context is created (§4.3.1: with kdr = 0,
 * "index DIV kdr" is 0 for every packet).
 *
 *     key_id = label || (index DIV kdr)            7 octets: 1-octet label, 48-bit r = 0
 *     x      = key_id XOR master_salt              both right-aligned in 14 octets
 *     k      = AES-CM(master_key, IV = x · 2^16)   first n octets of the keystream (§4.3.3)
 *
 * AEAD_AES_128_GCM has a 12-octet master salt; RFC 7714 §11 (as corrected by erratum 4938) says to
 * multiply it by 2^16 to form the 14-octet salt the PRF expects, i.e. append two zero octets.
 */
import { createCipheriv } from 'node:crypto';
import { SrtpConfigError } from './srtp-error.js';
import type { SrtpSuite } from './srtp-suite.js';

/** RFC 3711 §4.3.1 and §4.3.2 labels. */
export const SRTP_LABEL = Object.freeze({
  rtpEncryption: 0x00,
  rtpAuthentication: 0x01,
  rtpSalt: 0x02,
  rtcpEncryption: 0x03,
  rtcpAuthentication: 0x04,
  rtcpSalt: 0x05,
});

/** The PRF's salt width (RFC 3711 §4.3.1: 112 bits). */
const PRF_SALT_LENGTH = 14;
const AES_BLOCK = 16;
/** Offset of the label inside the 14-octet x: key_id is 7 octets, right-aligned. */
const LABEL_OFFSET = PRF_SALT_LENGTH - 7;

/** Keys of one direction and one protocol (SRTP or SRTCP). */
export interface SrtpSessionKeys {
  readonly encryptionKey: Buffer;
  /** Session salt, `suite.saltLength` octets. */
  readonly salt: Buffer;
  /** HMAC-SHA1 key (empty for AEAD suites). */
  readonly authKey: Buffer;
}

export interface SrtpDerivedKeys {
  readonly rtp: SrtpSessionKeys;
  readonly rtcp: SrtpSessionKeys;
}

/** One session key: the first `length` octets of AES-CM keyed by the master key (§4.3.3). */
export function deriveSessionKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  if (masterKey.length !== 16) throw new SrtpConfigError(`master key must be 16 octets, got ${masterKey.length}`, 'masterKey');
  if (masterSalt.length > PRF_SALT_LENGTH) throw new SrtpConfigError(`master salt longer than 14 octets (${masterSalt.length})`, 'masterSalt');
  const iv = Buffer.alloc(AES_BLOCK);
  // Left-align a shorter (GCM, 12-octet) salt: multiplying by 2^16 appends zero octets (RFC 7714 §11).
  masterSalt.copy(iv, 0);
  iv[LABEL_OFFSET] = (iv[LABEL_OFFSET] ?? 0) ^ label;
  // iv[14], iv[15] stay zero: x · 2^16. The 16-bit block counter of AES-CM lives there.
  const cipher = createCipheriv('aes-128-ctr', masterKey, iv);
  const blocks = Math.ceil(length / AES_BLOCK) * AES_BLOCK;
  return cipher.update(Buffer.alloc(blocks)).subarray(0, length);
}

/** All six session keys of a suite (RFC 3711 §4.3.1 for SRTP, §4.3.2 for SRTCP). */
export function deriveSrtpKeys(suite: SrtpSuite, masterKey: Buffer, masterSalt: Buffer): SrtpDerivedKeys {
  if (masterKey.length !== suite.keyLength) {
    throw new SrtpConfigError(`${suite.name} needs a ${suite.keyLength}-octet master key, got ${masterKey.length}`, 'masterKey');
  }
  if (masterSalt.length !== suite.saltLength) {
    throw new SrtpConfigError(`${suite.name} needs a ${suite.saltLength}-octet master salt, got ${masterSalt.length}`, 'masterSalt');
  }
  const keys = (enc: number, auth: number, salt: number): SrtpSessionKeys => ({
    encryptionKey: deriveSessionKey(masterKey, masterSalt, enc, suite.keyLength),
    salt: deriveSessionKey(masterKey, masterSalt, salt, suite.saltLength),
    authKey: suite.authKeyLength > 0 ? deriveSessionKey(masterKey, masterSalt, auth, suite.authKeyLength) : Buffer.alloc(0),
  });
  return {
    rtp: keys(SRTP_LABEL.rtpEncryption, SRTP_LABEL.rtpAuthentication, SRTP_LABEL.rtpSalt),
    rtcp: keys(SRTP_LABEL.rtcpEncryption, SRTP_LABEL.rtcpAuthentication, SRTP_LABEL.rtcpSalt),
  };
}
