/**
 * SDP offer/answer (RFC 3264) for one audio stream, driven by a profile. The public entry points:
 *
 * - buildOffer: one audio m-line from the profile (offer-writer.ts).
 * - answerOffer: the first codec of OURS (profile order) that the offer supports, answered with the
 *   offerer's payload type number (RFC 3264 §6.1); otherwise 488 with a warn-code (RFC 3261 §20.43).
 * - applyAnswer: the offerer's side.
 * - buildReoffer / answering with `previous`: same o= session id; version + 1 when the description
 *   changed, unchanged for a refresh (RFC 3264 §8).
 * - Media security (SRTP keyed by SDES a=crypto) follows the profile's policy and the signalling the
 *   SDP travels over (negotiate/security.ts); the negotiated stream carries the keys.
 * - Dual-path streaming (RFC 7104 §3): with `redundancy.duplicate` and a second path, our offer has
 *   a second audio m-line grouped with a=group:DUP; an offer's group is answered in kind or its
 *   second line refused with port 0 (negotiate/dual-path.ts).
 *
 * Answering runs one way through plain values, each stage called once:
 *   readSdp -> offeredAudio (the peer's m-lines as PeerMedia, a=ebuacip parsed once)
 *   -> chooseForOffer (codec) -> planSend (fmtp, packet time)
 *   -> deriveEbuAcip (our a=ebuacip set) -> negotiatedMedia -> writeAnswer.
 * Everything codec-specific comes from the codec records (codec-match.ts); everything returned is
 * plain data (the link passes NegotiatedMedia to the media session, possibly in a worker).
 */
import type { CodecParams } from '../codecs/codec.js';
import { random64 } from '../util/random-pool.js';
import { codecRegistry, type CodecRegistry } from '../codecs/registry.js';
import type { Profile } from '../config/profile-schema.js';
import { AcipError } from '../util/errors.js';
import { writeAnswer } from './answer-writer.js';
import { resolveProfile, SDP_BAD_PROFILE, type ResolvedChoice } from './codec-match.js';
import { deriveEbuAcip, type EbuAcipSet } from './ebuacip.js';
import { chooseForOffer, chooseFromAnswer, planSend, SDP_ANSWER_MISMATCH, SDP_NO_COMMON_CODEC } from './negotiate/choose.js';
import { negotiatedMedia } from './negotiate/negotiated.js';
import { isSupportedProtocol, offeredAudio, readPeerMedia, SDP_NO_AUDIO, SDP_SRTP_UNSUPPORTED, SDP_UNSUPPORTED_TRANSPORT } from './negotiate/peer-media.js';
import { offeredCodecs, plengthsOf, writeOffer } from './offer-writer.js';
import { answerRecovery, peerRecovery, planOfferRecovery, readAnswerRecovery } from './negotiate/recovery.js';
import { answerDualPath, readAnswerDualPath, type SecondPath } from './negotiate/dual-path.js';
import { OUR_MIDS } from './negotiate/grouping.js';
import {
  answerSecurity,
  isSdesProtocol,
  judgeOfferedStream,
  planOfferSecurity,
  readAnswerSecurity,
  srtpPolicy,
  SDP_SRTP_INSECURE_SIGNALLING,
  SDP_SRTP_REQUIRED,
  type StreamSecurity,
} from './negotiate/security.js';
import type { PeerMedia } from './negotiate/peer-media.js';
import type { SdesCryptoKnown } from './sdes.js';
import { addressFamily, incrementDecimal, readSdp, SDP_MALFORMED, type Direction, type SdpSessionView } from './sdp-model.js';
import type {
  AnswerOptions,
  AnswerRejected,
  AnswerResult,
  ApplyAnswerResult,
  LocalOffer,
  LocalOptions,
  LocalSession,
  NegotiatedMedia,
  OfferResult,
} from './session-types.js';

export type {
  AnswerOk,
  AnswerOptions,
  AnswerRejected,
  AnswerResult,
  ApplyAnswerResult,
  Direction,
  DualPathOutcome,
  DualPathRemote,
  DupLine,
  LocalOffer,
  LocalOptions,
  LocalSession,
  MediaSecurity,
  NegotiatedMedia,
  NegotiatedSrtp,
  OfferedCodec,
  OfferResult,
  SdpOrigin,
  Signalling,
} from './session-types.js';
export { directionOf } from './negotiate/negotiated.js';
export type { SecondPath } from './negotiate/dual-path.js';
export { SDP_ANSWER_MISMATCH, SDP_NO_AUDIO, SDP_NO_COMMON_CODEC, SDP_SRTP_INSECURE_SIGNALLING, SDP_SRTP_REQUIRED, SDP_SRTP_UNSUPPORTED, SDP_UNSUPPORTED_TRANSPORT };

/**
 * Why an offer is refused: the SIP status (488 Not Acceptable Here, RFC 3261 §21.4.26; 400 for a
 * body that is not a session description) and the warn-code (RFC 3261 §20.43).
 */
const REJECTIONS: Readonly<Record<string, { status: 400 | 488; warnCode: number }>> = {
  [SDP_MALFORMED]: { status: 400, warnCode: 399 }, // miscellaneous warning
  [SDP_NO_AUDIO]: { status: 488, warnCode: 304 }, // media type not available
  [SDP_SRTP_UNSUPPORTED]: { status: 488, warnCode: 302 }, // incompatible transport protocol
  [SDP_UNSUPPORTED_TRANSPORT]: { status: 488, warnCode: 302 },
  [SDP_NO_COMMON_CODEC]: { status: 488, warnCode: 305 }, // incompatible media format
  [SDP_SRTP_REQUIRED]: { status: 488, warnCode: 302 }, // the profile needs RTP/SAVP with usable keys
  [SDP_SRTP_INSECURE_SIGNALLING]: { status: 488, warnCode: 399 },
};

function reject(code: string, reason: string): AnswerRejected {
  const r = REJECTIONS[code] ?? { status: 488, warnCode: 399 };
  return { ok: false, status: r.status, code, reason, warning: { code: r.warnCode, text: reason } };
}

/** A random session id: 62 bits as decimal digits (RFC 4566 §5.2 suggests an NTP time; any unique number will do). */
export function newSessionId(): string {
  return (random64() >> 2n).toString();
}

function makeLocal(opts: LocalOptions): LocalSession {
  return {
    origin: {
      username: opts.username ?? '-',
      sessionId: opts.sessionId ?? newSessionId(),
      sessionVersion: opts.sessionVersion ?? '1',
      address: opts.localAddress,
      ipVer: addressFamily(opts.localAddress),
    },
    sessionName: opts.sessionName ?? 'acip',
    profile: opts.profile,
    localAddress: opts.localAddress,
    rtpPort: opts.rtpPort,
    ...(opts.rtcpPort !== undefined ? { rtcpPort: opts.rtcpPort } : {}),
    direction: opts.direction ?? opts.profile.direction,
    ...(opts.qosrec !== undefined ? { qosrec: opts.qosrec } : {}),
    signalling: opts.signalling ?? 'clear',
  };
}

function checkPort(port: number, field: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AcipError(SDP_MALFORMED, `${field} must be 1..65535, got ${port}`, field);
}

/** Our Tech 3368 set: the profile's jitter buffer, qosrec when configured, plengths in an offer. */
function ourEbuAcip(local: LocalSession, plengths: { payloadType: number; ptimeMs: number }[] = []): EbuAcipSet {
  return deriveEbuAcip({ jitterBuffer: local.profile.jitterBuffer, ...(local.qosrec !== undefined ? { qosrec: local.qosrec } : {}) }, plengths);
}

/**
 * RFC 3264 §8: in a new offer or answer of the same session the o= version is the previous one
 * plus one when the description changed, and stays the same when it did not (a session refresh).
 */
function nextVersion<T>(previous: LocalSession, local: LocalSession, build: (l: LocalSession) => T, sdpOf: (r: T) => string): T {
  const same = build({ ...local, origin: { ...local.origin, sessionVersion: previous.origin.sessionVersion } });
  if (previous.sdp !== undefined && sdpOf(same) === previous.sdp) return same;
  return build({ ...local, origin: { ...local.origin, sessionVersion: incrementDecimal(previous.origin.sessionVersion) } });
}

// ---------------------------------------------------------------------------------------------
// Offer

function offerFrom(local: LocalSession, codecs: CodecRegistry): OfferResult {
  checkPort(local.rtpPort, 'rtpPort');
  if (local.rtcpPort !== undefined) checkPort(local.rtcpPort, 'rtcpPort');
  const resolved = resolveProfile(local.profile, codecs);
  const offered = offeredCodecs(resolved);
  const ebuacip = ourEbuAcip(local, plengthsOf(offered, local.profile.ptimeMs));
  // Our earlier lines are kept in a re-offer (same keys: the SRTP contexts carry on).
  const sec = planOfferSecurity(local.profile, local.signalling ?? 'clear', local.crypto);
  const secured: LocalSession = { ...local, protocol: sec.protocol, crypto: sec.crypto, cryptoReason: sec.reason };
  const recovery = planOfferRecovery(local.profile.redundancy, offered);
  const sdp = writeOffer(secured, resolved, offered, ebuacip, recovery?.lines);
  return { sdp, offered: { ...secured, sdp, codecs: offered, ebuacip, ...(recovery ? { recovery: recovery.offered } : {}) } };
}

/** Our second m-line when the profile duplicates the stream and a second path listens (RFC 7104 §3). */
function offeredDupLine(profile: Profile, second: SecondPath | undefined): LocalSession['dupLine'] {
  if (!profile.redundancy?.duplicate || !second) return undefined;
  checkPort(second.rtpPort, 'secondPath.rtpPort');
  if (second.rtcpPort !== undefined) checkPort(second.rtcpPort, 'secondPath.rtcpPort');
  return { ...second, mids: [OUR_MIDS[0], OUR_MIDS[1]] };
}

/**
 * An offer built from the profile (RFC 3264 §5): one audio m-line, or two grouped for duplication
 * when the profile duplicates and `secondPath` is given. Throws AcipError(SDP_BAD_PROFILE) on an
 * unusable profile.
 */
export function buildOffer(opts: LocalOptions): OfferResult {
  const local = makeLocal(opts);
  const dupLine = offeredDupLine(opts.profile, opts.secondPath);
  return offerFrom(dupLine ? { ...local, dupLine } : local, opts.codecs ?? codecRegistry);
}

/**
 * Our second line in a re-offer (RFC 3264 §8): the same line and port; disabled (port 0, never
 * removed, §8.2) when the new profile does not duplicate; opened again when `second` is given.
 */
function reofferedDupLine(previous: LocalSession['dupLine'], profile: Profile, second: SecondPath | undefined): LocalSession['dupLine'] {
  const wanted = offeredDupLine(profile, second);
  if (!previous) return wanted;
  if (!profile.redundancy?.duplicate) return { ...previous, rtpPort: 0 };
  return wanted ? { ...wanted, mids: previous.mids } : previous;
}

/**
 * A new offer in an existing session (mid-call codec change, hold): same o= session id, version
 * incremented (RFC 3264 §8). `profile` defaults to the previous one.
 */
export function buildReoffer(
  previous: LocalSession,
  profile: Profile = previous.profile,
  overrides: { direction?: Direction; localAddress?: string; rtpPort?: number; rtcpPort?: number; qosrec?: string; codecs?: CodecRegistry; secondPath?: SecondPath } = {},
): OfferResult {
  const localAddress = overrides.localAddress ?? previous.localAddress;
  const rtcpPort = overrides.rtcpPort ?? (overrides.rtpPort === undefined ? previous.rtcpPort : undefined);
  const qosrec = overrides.qosrec ?? previous.qosrec;
  const local: LocalSession = {
    ...previous,
    origin: { ...previous.origin, address: localAddress, ipVer: addressFamily(localAddress) },
    profile,
    localAddress,
    rtpPort: overrides.rtpPort ?? previous.rtpPort,
    direction: overrides.direction ?? profile.direction,
  };
  delete local.rtcpPort;
  delete local.qosrec;
  delete local.dupLine;
  if (rtcpPort !== undefined) local.rtcpPort = rtcpPort;
  if (qosrec !== undefined) local.qosrec = qosrec;
  const dupLine = reofferedDupLine(previous.dupLine, profile, overrides.secondPath);
  if (dupLine) local.dupLine = dupLine;
  return nextVersion(previous, local, (l) => offerFrom(l, overrides.codecs ?? codecRegistry), (r) => r.sdp);
}

// ---------------------------------------------------------------------------------------------
// Answer

/**
 * Answers an offer (RFC 3264 §6). On success the answer has the same m-lines as the offer: the first
 * usable audio stream accepted with one codec, every other stream rejected with port 0.
 */
export function answerOffer(offerSdp: string, opts: AnswerOptions): AnswerResult {
  const codecs = opts.codecs ?? codecRegistry;
  let offer: SdpSessionView;
  try {
    offer = readSdp(offerSdp);
  } catch (err) {
    const msg = err instanceof AcipError ? err.message : String(err);
    // The body is not a session description we can read.
    return reject(SDP_MALFORMED, `Malformed SDP: ${msg}`);
  }
  const previous = opts.previous;
  if (!previous) return answerWith(offer, makeLocal(opts), codecs, undefined, opts.secondPath);
  // A re-offer in the same dialog: keep our o= session id (RFC 3264 §8), and our key where the suite stays.
  const local: LocalSession = { ...makeLocal(opts), origin: { ...previous.origin, address: opts.localAddress, ipVer: addressFamily(opts.localAddress) } };
  return nextVersion(previous, local, (l) => answerWith(offer, l, codecs, previous.crypto, opts.secondPath), (r) => (r.ok ? r.sdp : ''));
}

/** The streams whose security the profile accepts, with the verdict; else the first refusal. */
function secureStreams(local: LocalSession, streams: readonly PeerMedia[]): { ok: true; streams: Map<PeerMedia, StreamSecurity & { ok: true }> } | { ok: false; code: string; reason: string } {
  const usable = new Map<PeerMedia, StreamSecurity & { ok: true }>();
  let refused: { code: string; reason: string } | undefined;
  for (const s of streams) {
    const j = judgeOfferedStream(local.profile, local.signalling ?? 'clear', s.protocol, s.crypto);
    if (j.ok) usable.set(s, j);
    else refused ??= j;
  }
  if (usable.size === 0 && refused) return { ok: false, ...refused };
  return { ok: true, streams: usable };
}

function answerWith(offer: SdpSessionView, local: LocalSession, codecs: CodecRegistry, previousCrypto: SdesCryptoKnown[] | undefined, second: SecondPath | undefined): AnswerResult {
  checkPort(local.rtpPort, 'rtpPort');
  const resolved = resolveProfile(local.profile, codecs);
  // 1. The peer's audio streams, read once, and those whose security the profile accepts.
  const audio = offeredAudio(offer, srtpPolicy(local.profile) !== 'off');
  if (!audio.ok) return reject(audio.code, audio.reason);
  const secure = secureStreams(local, audio.streams);
  if (!secure.ok) return reject(secure.code, secure.reason);
  // 2. The codec (EBU Tech 3326: OUR priority decides), then what we send.
  const chosen = chooseForOffer(resolved, [...secure.streams.keys()], codecs);
  if (!chosen.ok) return reject(chosen.code, chosen.reason);
  const choice = chosen.choice;
  const sec = answerSecurity(secure.streams.get(choice.peer)!, previousCrypto);
  // The offer's duplication group, answered in kind or its second line refused (RFC 7104 §3).
  const dual = answerDualPath(offer, choice, local.profile.redundancy?.duplicate === true, second);
  const secured: LocalSession = { ...local, protocol: choice.peer.protocol, ...(sec.crypto ? { crypto: [sec.crypto] } : {}), ...(dual.dupLine ? { dupLine: dual.dupLine } : {}) };
  if (choice.peer.address === undefined) {
    return reject(SDP_MALFORMED, 'Malformed SDP: no c= line for the audio stream or the session (RFC 4566 §5.7)');
  }
  const send = planSend(choice);
  // We answer symmetrically: the packet time we ask to receive is the one we send, because hardware
  // codecs often assume one packet time for both directions.
  const params: CodecParams = { ...choice.rc.params, sampleRate: choice.link.sampleRate, channels: choice.link.channels, ptimeMs: send.sendPtimeMs };
  const fmtp = choice.rc.record.formatFmtp(params);
  // 3. Our a=ebuacip set.
  const ebuacip = ourEbuAcip(local);
  // 4. The negotiated stream, and the answer text.
  const negotiated: NegotiatedMedia = {
    ...negotiatedMedia(choice, send, secured, { recvPtimeMs: send.sendPtimeMs, ebuacip, fmtp }),
    ...(sec.srtp ? { srtp: sec.srtp } : {}),
    security: sec.security,
    ...(dual.outcome ? { dualPath: dual.outcome } : {}),
  };
  negotiated.notes.push(...dual.notes);
  const rate = choice.format.clockRate ?? choice.rc.record.rtpClockRate(params);
  const recovery = answerRecovery(local.profile.redundancy, peerRecovery(choice.peer.formats, choice.peer.rtcpFb), {
    payloadType: choice.format.payloadType,
    rtpmapRate: rate,
    channels: choice.format.channels,
  });
  if (recovery) negotiated.recovery = recovery.negotiated;
  const sdp = writeAnswer(offer, secured, choice, {
    params,
    fmtp,
    ebuacip,
    direction: negotiated.direction,
    ...(recovery ? { recovery: recovery.lines } : {}),
    ...(dual.accept ? { dup: dual.accept } : {}),
  });
  return { ok: true, sdp, negotiated, local: { ...secured, sdp }, remoteOrigin: offer.origin };
}

// ---------------------------------------------------------------------------------------------
// Applying an answer (UAC side)

/** Reads the answer to our offer (RFC 3264 §6: it answers each m-line; our first is the audio stream, a second its copy). */
export function applyAnswer(offered: LocalOffer, answerSdp: string, opts: { codecs?: CodecRegistry } = {}): ApplyAnswerResult {
  const codecs = opts.codecs ?? codecRegistry;
  let answer: SdpSessionView;
  try {
    answer = readSdp(answerSdp);
  } catch (err) {
    return { ok: false, code: SDP_MALFORMED, reason: `Malformed SDP answer: ${(err as Error).message}` };
  }
  // RFC 3264 §6: the answer has exactly as many m-lines as the offer, in the same order. A peer that
  // answers our two grouped lines with the first alone still gets a call (a single path).
  const media = answer.media[0];
  const lines = offered.dupLine ? 2 : 1;
  if (!media || answer.media.length > lines || (answer.media.length < lines && !offered.dupLine)) {
    return { ok: false, code: SDP_ANSWER_MISMATCH, reason: `the answer has ${answer.media.length} m-lines; our offer had ${lines}` };
  }
  if (media.type.toLowerCase() !== 'audio') return { ok: false, code: SDP_ANSWER_MISMATCH, reason: `the answer's m-line is ${media.type}, not audio` };
  if (media.port === 0) return { ok: false, code: SDP_NO_COMMON_CODEC, reason: 'the peer rejected the audio stream (port 0)' };
  if (!isSupportedProtocol(media.protocol) && !isSdesProtocol(media.protocol)) {
    return { ok: false, code: SDP_ANSWER_MISMATCH, reason: `the answer uses ${media.protocol}; we offered ${offered.protocol ?? 'RTP/AVP'}` };
  }
  if (media.address === undefined) return { ok: false, code: SDP_MALFORMED, reason: 'the answer has no c= line (RFC 4566 §5.7)' };
  let resolved: ResolvedChoice[];
  try {
    resolved = resolveProfile(offered.profile, codecs);
  } catch (err) {
    return { ok: false, code: (err as AcipError).code ?? SDP_BAD_PROFILE, reason: (err as Error).message };
  }
  // 1. The answer's m-line, read once, and its security against our offer (RFC 4568 §7.1.3).
  const peer = readPeerMedia(media);
  const sec = readAnswerSecurity(offered.profile, offered, peer.protocol, peer.crypto);
  if (!sec.ok) return sec;
  // 2. The format it picked among ours, and what we send.
  const chosen = chooseFromAnswer(offered, resolved, peer, codecs);
  if (!chosen.ok) return chosen;
  const send = planSend(chosen.choice);
  // 3. Our side is what we offered.
  const negotiated: NegotiatedMedia = {
    ...negotiatedMedia(chosen.choice, send, offered, { recvPtimeMs: chosen.ours.params.ptimeMs, ebuacip: offered.ebuacip, fmtp: chosen.ours.fmtp }),
    ...(sec.srtp ? { srtp: sec.srtp } : {}),
    security: sec.security,
  };
  const recovery = readAnswerRecovery(offered.profile.redundancy, offered.recovery, peerRecovery(peer.formats, peer.rtcpFb), chosen.choice.format.payloadType);
  if (recovery) negotiated.recovery = recovery;
  const dual = readAnswerDualPath(offered, answer, chosen.choice.format);
  if (dual) {
    negotiated.dualPath = dual.outcome;
    negotiated.notes.push(...dual.notes);
  }
  return { ok: true, negotiated, remoteOrigin: answer.origin };
}
