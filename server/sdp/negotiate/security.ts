/**
 * Media security in offer/answer: whether a stream runs SRTP (RFC 3711) keyed by SDES (RFC 4568),
 * decided from the profile's policy, the signalling the keys travel over, and what the peer wrote.
 *
 * - `off`: we never offer a=crypto; an RTP/SAVP offer is refused (488), a=crypto on RTP/AVP ignored.
 * - `optional`: we offer RTP/AVP with a=crypto, a "best effort" form: an answerer that does not know
 *   SDES ignores the attribute and the call runs clear (RFC 4568 §7.1.1 says how an answerer treats
 *   crypto it cannot use). We accept a peer's RTP/SAVP offer, and use the crypto of an RTP/AVP offer.
 * - `mandatory`: we offer RTP/SAVP with a=crypto and refuse an offer or answer without usable crypto.
 *
 * SDES carries the master keys in clear inside the SDP (RFC 4568 §8.1: the signalling MUST be
 * protected), so keys are only offered or accepted when the signalling is TLS, unless the profile
 * says `allowSdesWithoutTls` (a deliberate choice, for a closed network).
 *
 * Each side's a=crypto carries the key IT sends with (RFC 4568 §6.1): we send with our line's key
 * and receive with the peer's. Keys are fresh per call and per direction; a re-offer or re-answer
 * keeps our key for an unchanged suite, so the SRTP context (and its rollover counter) carries on
 * (RFC 4568 §7.1.4 lets a re-offer keep or change the key).
 */
import { randomBytes } from 'node:crypto';
import type { Profile } from '../../config/profile-schema.js';
import type { SrtpKeyParams } from '../../rtp/srtp-stage.js';
import type { SrtpSuiteName } from '../../rtp/srtp/srtp-suite.js';
import { AcipError } from '../../util/errors.js';
import {
  answerCrypto,
  collectCryptoAttributes,
  offerCrypto,
  selectOfferedCrypto,
  srtpKeysOf,
  unusableReason,
  type RandomBytes,
  type SdesCrypto,
  type SdesCryptoKnown,
} from '../sdes.js';

export const SDP_SRTP_REQUIRED = 'SDP_SRTP_REQUIRED';
export const SDP_SRTP_INSECURE_SIGNALLING = 'SDP_SRTP_INSECURE_SIGNALLING';

export type Signalling = 'tls' | 'clear';
export type SrtpPolicy = 'off' | 'optional' | 'mandatory';

/** RTP profiles that carry SDES-keyed SRTP (RFC 3711 §12, RFC 5124). DTLS-SRTP (UDP/TLS/...) is not ours. */
export const SDES_PROTOCOLS: readonly string[] = ['RTP/SAVP', 'RTP/SAVPF'];

/** Suites we offer by default, strongest tag first: both tag lengths of AES-CM (RFC 4568 §6.2). */
export const DEFAULT_OFFER_SUITES: readonly SrtpSuiteName[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];
/** Suites we accept in an offer, in no particular order (the offerer's order decides, RFC 4568 §7.1.2). */
export const ACCEPTED_SUITES: readonly SrtpSuiteName[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM'];

/** What a link shows about its media security. Plain data. */
export interface MediaSecurity {
  media: 'srtp' | 'rtp';
  suite?: SrtpSuiteName;
  /** Why the media is not encrypted ('' when it is). */
  reason: string;
}

/** The keys of a negotiated SRTP stream: ours to send, the peer's to receive. */
export interface NegotiatedSrtp {
  suite: SrtpSuiteName;
  send: SrtpKeyParams;
  receive: SrtpKeyParams;
}

export function isSdesProtocol(protocol: string): boolean {
  return SDES_PROTOCOLS.some((p) => p.toLowerCase() === protocol.toLowerCase());
}

export function srtpPolicy(profile: Profile): SrtpPolicy {
  return profile.srtp ?? 'off';
}

/** Whether keys may travel in this signalling (RFC 4568 §8.1). */
export function mayCarryKeys(profile: Profile, signalling: Signalling): boolean {
  return signalling === 'tls' || profile.allowSdesWithoutTls === true;
}

function offerSuites(profile: Profile): readonly SrtpSuiteName[] {
  return profile.srtpSuites && profile.srtpSuites.length > 0 ? profile.srtpSuites : DEFAULT_OFFER_SUITES;
}

const INSECURE = 'keys are only sent over TLS signalling (RFC 4568 §8.1)';

function keyParams(c: SdesCryptoKnown): SrtpKeyParams {
  const k = srtpKeysOf(c);
  return { suite: k.suite, masterKey: k.masterKey, masterSalt: k.masterSalt, encryptRtcp: k.encryptRtcp };
}

function negotiated(ours: SdesCryptoKnown, theirs: SdesCryptoKnown): NegotiatedSrtp {
  return { suite: ours.suite, send: keyParams(ours), receive: keyParams(theirs) };
}

function plain(reason: string): MediaSecurity {
  return { media: 'rtp', reason: `media not encrypted: ${reason}` };
}

// ---------------------------------------------------------------------------------------------
// Our offer

export interface OfferSecurity {
  protocol: 'RTP/AVP' | 'RTP/SAVP';
  /** Our a=crypto lines (empty: none offered). */
  crypto: SdesCryptoKnown[];
  /** Why no crypto is offered, when none is. */
  reason: string;
}

/**
 * What our offer says about security. `previous`: our lines of an earlier offer in this session,
 * reused as they are (same tags, same keys). Throws AcipError(SDP_SRTP_INSECURE_SIGNALLING) when the
 * profile makes SRTP mandatory but the keys could not travel safely: such a call is not placed.
 */
export function planOfferSecurity(profile: Profile, signalling: Signalling, previous?: readonly SdesCryptoKnown[], random: RandomBytes = randomBytes): OfferSecurity {
  const policy = srtpPolicy(profile);
  if (policy === 'off') return { protocol: 'RTP/AVP', crypto: [], reason: 'SRTP is off in the profile' };
  if (!mayCarryKeys(profile, signalling)) {
    if (policy === 'mandatory') throw new AcipError(SDP_SRTP_INSECURE_SIGNALLING, `profile ${profile.name} requires SRTP, but the signalling is not TLS: ${INSECURE}`, 'srtp');
    return { protocol: 'RTP/AVP', crypto: [], reason: 'the signalling is not TLS' };
  }
  const suites = offerSuites(profile);
  const kept = previous && previous.length > 0 && previous.every((c) => suites.includes(c.suite)) ? [...previous] : offerCrypto(suites, random);
  return { protocol: policy === 'mandatory' ? 'RTP/SAVP' : 'RTP/AVP', crypto: kept, reason: '' };
}

// ---------------------------------------------------------------------------------------------
// Answering an offer

/** An offered stream judged: usable (with the crypto line we take, if any) or refused, and why. */
export type StreamSecurity = { ok: true; chosen: SdesCryptoKnown | undefined; reason: string } | { ok: false; code: string; reason: string };

/** Whether we can answer this offered stream under the profile, and with which of its a=crypto lines. */
export function judgeOfferedStream(profile: Profile, signalling: Signalling, protocol: string, cryptoLines: readonly string[]): StreamSecurity {
  const policy = srtpPolicy(profile);
  const savp = isSdesProtocol(protocol);
  const { crypto, invalid } = collectCryptoAttributes(cryptoLines);
  if (policy === 'off') {
    if (savp) return { ok: false, code: 'SDP_SRTP_UNSUPPORTED', reason: `Incompatible transport protocol: ${protocol} (SRTP is off in this profile)` };
    return { ok: true, chosen: undefined, reason: 'SRTP is off in the profile' };
  }
  if (crypto.length === 0 && invalid.length === 0) {
    if (savp) return { ok: false, code: SDP_SRTP_REQUIRED, reason: `${protocol} offered without a=crypto (RFC 4568 §5)` };
    if (policy === 'mandatory') return { ok: false, code: SDP_SRTP_REQUIRED, reason: 'SRTP required: the peer offered no a=crypto' };
    return { ok: true, chosen: undefined, reason: 'the peer offered no a=crypto' };
  }
  if (!mayCarryKeys(profile, signalling)) {
    if (policy === 'mandatory' || savp) return { ok: false, code: SDP_SRTP_INSECURE_SIGNALLING, reason: `SRTP refused: ${INSECURE}` };
    return { ok: true, chosen: undefined, reason: 'the signalling is not TLS' };
  }
  const chosen = selectOfferedCrypto(crypto, ACCEPTED_SUITES);
  if (chosen) return { ok: true, chosen, reason: '' };
  const why = describeUnusable(crypto, invalid);
  if (policy === 'mandatory' || savp) return { ok: false, code: SDP_SRTP_REQUIRED, reason: `no usable a=crypto: ${why}` };
  return { ok: true, chosen: undefined, reason: `no usable a=crypto (${why})` };
}

function describeUnusable(crypto: readonly SdesCrypto[], invalid: readonly { reason: string }[]): string {
  const reasons = [...crypto.map((c) => unusableReason(c, ACCEPTED_SUITES) ?? 'unusable'), ...invalid.map((i) => `malformed (${i.reason})`)];
  return [...new Set(reasons)].join(', ');
}

export interface AnsweredSecurity {
  /** Our a=crypto line for the answer, if SRTP is used. */
  crypto: SdesCryptoKnown | undefined;
  srtp: NegotiatedSrtp | undefined;
  security: MediaSecurity;
}

/**
 * Our side of an accepted stream: RFC 4568 §7.1.2, the chosen line's tag and suite with our own key.
 * `previous`: our line of an earlier answer in this dialog; its key is kept when the suite is the same.
 */
export function answerSecurity(judged: { chosen: SdesCryptoKnown | undefined; reason: string }, previous?: readonly SdesCryptoKnown[], random: RandomBytes = randomBytes): AnsweredSecurity {
  const theirs = judged.chosen;
  if (!theirs) return { crypto: undefined, srtp: undefined, security: plain(judged.reason) };
  const fresh = answerCrypto(theirs, random);
  const old = previous?.find((c) => c.suite === theirs.suite);
  const ours: SdesCryptoKnown = old ? { ...fresh, keyParams: old.keyParams } : fresh;
  return { crypto: ours, srtp: negotiated(ours, theirs), security: { media: 'srtp', suite: ours.suite, reason: '' } };
}

// ---------------------------------------------------------------------------------------------
// Applying an answer to our offer

export type AnswerSecurityResult = { ok: true; srtp: NegotiatedSrtp | undefined; security: MediaSecurity } | { ok: false; code: string; reason: string };

/**
 * The answer's security against our offer (RFC 4568 §7.1.3, offerer): its a=crypto must name one of
 * our tags with the same suite; we send with our line of that tag and receive with its key.
 */
export function readAnswerSecurity(
  profile: Profile,
  offer: { protocol?: string; crypto?: readonly SdesCryptoKnown[]; cryptoReason?: string },
  answerProtocol: string,
  answerCryptoLines: readonly string[],
): AnswerSecurityResult {
  const offeredProtocol = offer.protocol ?? 'RTP/AVP';
  const ours = offer.crypto ?? [];
  const mandatory = srtpPolicy(profile) === 'mandatory';
  if (isSdesProtocol(answerProtocol) !== isSdesProtocol(offeredProtocol)) {
    return { ok: false, code: 'SDP_ANSWER_MISMATCH', reason: `the answer uses ${answerProtocol}; we offered ${offeredProtocol}` };
  }
  if (ours.length === 0) return { ok: true, srtp: undefined, security: plain(offer.cryptoReason || 'no a=crypto offered') };
  const { crypto } = collectCryptoAttributes(answerCryptoLines);
  if (crypto.length === 0) {
    if (mandatory) return { ok: false, code: SDP_SRTP_REQUIRED, reason: 'SRTP required: the answer has no a=crypto' };
    return { ok: true, srtp: undefined, security: plain('the peer answered without a=crypto') };
  }
  for (const theirs of crypto) {
    if (theirs.kind !== 'srtp' || unusableReason(theirs, ACCEPTED_SUITES) !== undefined) continue;
    const mine = ours.find((c) => c.tag === theirs.tag && c.suite === theirs.suite);
    if (mine) return { ok: true, srtp: negotiated(mine, theirs), security: { media: 'srtp', suite: mine.suite, reason: '' } };
  }
  const reason = 'the answer\'s a=crypto matches none of our offered tags and suites (RFC 4568 §7.1.3)';
  if (mandatory || isSdesProtocol(offeredProtocol)) return { ok: false, code: SDP_SRTP_REQUIRED, reason };
  return { ok: true, srtp: undefined, security: plain(reason) };
}

/** The sdp-transform form of our a=crypto lines. */
export function cryptoEntries(lines: readonly SdesCryptoKnown[]): { id: number; suite: string; config: string; sessionConfig?: string }[] {
  return lines.map((c) => ({
    id: c.tag,
    suite: c.suite,
    config: c.keyParams.map((k) => `inline:${k.keySalt.toString('base64')}`).join(';'),
    ...(c.sessionParams.raw.length > 0 ? { sessionConfig: c.sessionParams.raw.join(' ') } : {}),
  }));
}
