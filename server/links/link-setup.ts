/**
 * The SDP side of setting up a call, with the media it needs: the offer of an outbound call and the
 * answer to an inbound one both carry the ports of a media session opened first (RFC 3264 §5, §6);
 * the answer to a re-offer changes the open session (§8). An INVITE or re-INVITE without an offer
 * gets ours in the 2xx, and its answer comes in the ACK (RFC 3261 §13.2.1, RFC 3264 §4, §8). These
 * steps send nothing: the link sends the INVITE or the response, and changes state.
 *
 * Every INVITE we cannot answer gets a final response (RFC 3261 §13.3.1: else the caller waits
 * after 100 Trying until its Timer B): the offer's rejection (488/400), 503 with Retry-After when
 * out of resources, 500 otherwise. One table from error code to SIP status.
 */
import { isAcipError, type AcipErrorCode } from '../util/errors.js';
import type { Profile } from '../config/profile-schema.js';
import { warningHeader } from '../sip/ua/uas-policy.js';
import { parseUri } from '../sip/grammar/uri.js';
import { parseVia } from '../sip/grammar/via.js';
import { answerOffer, applyAnswer, buildOffer, buildReoffer, type LocalOffer, type LocalSession, type NegotiatedMedia, type SecondPath, type Signalling } from '../sdp/offer-answer.js';
import { AcipError } from '../util/errors.js';
import type { LinkEndReason } from './link-types.js';
import type { LinkMedia } from './link-media.js';
import type { LinkCall, LinkIncomingCall } from './call-port.js';

export interface FailureResponse {
  status: number;
  reason: string;
  headers: [string, string][];
}

/** Seconds a caller should wait before trying again after a 503 for lack of resources (§20.33). */
export const RETRY_AFTER_S = 5;

/**
 * Error codes that mean "out of resources for now": no free RTP port pair, no media worker running
 * (it died and is restarting) or the pool shutting down. §21.5.4: 503 Service Unavailable, with a
 * Retry-After. Anything else is our fault: §21.5.1, 500.
 */
const TEMPORARY_CODES: ReadonlySet<AcipErrorCode> = new Set<AcipErrorCode>(['RTP_NO_PORTS', 'MEDIA_WORKER_EXIT', 'MEDIA_POOL_CLOSED']);

/** The response to send when opening or starting the media for an INVITE failed with `err`. */
export function answerFailureResponse(err: unknown, agent: string): FailureResponse {
  const message = err instanceof Error ? err.message : String(err);
  const warning: [string, string] = ['Warning', warningHeader(agent, 399, `media: ${message}`)];
  if (isAcipError(err) && TEMPORARY_CODES.has(err.code)) {
    return { status: 503, reason: 'Service Unavailable', headers: [['Retry-After', String(RETRY_AFTER_S)], warning] };
  }
  return { status: 500, reason: 'Server Internal Error', headers: [warning] };
}

/** Reason phrases of the statuses an offer can be rejected with (§21.4.1, §21.4.26). */
export const OFFER_REJECT_REASON: Readonly<Record<400 | 488, string>> = {
  400: 'Bad Request',
  488: 'Not Acceptable Here',
};

/** What a link's set-up step needs to know. */
export interface SetupContext {
  media: LinkMedia;
  profile: Profile;
  input: string;
  output: string;
  /** Our address for the SDP c= line. */
  localAddress: string;
  /** warn-agent of our Warning headers (§20.43): the configured user-agent name. */
  agent: string;
  /** Whether the SDP travels over TLS: SDES keys need it unless the profile allows otherwise (RFC 4568 §8.1). */
  signalling: Signalling;
}

/**
 * The signalling an outbound call will use, known before it is placed (the offer carries the keys):
 * a sips: URI (RFC 3261 §26.2.2) or transport=tls. DNS may pick TLS for a plain sip: URI (RFC 3263),
 * but no key is sent on a guess.
 */
export function signallingOfTarget(uri: string): Signalling {
  try {
    const u = parseUri(uri);
    return u.scheme === 'sips' || u.params.get('transport')?.toLowerCase() === 'tls' ? 'tls' : 'clear';
  } catch {
    return 'clear';
  }
}

/** The signalling an INVITE came over: the transport of its top Via (RFC 3261 §18.2.1: the last hop's). */
export function signallingOfInvite(call: LinkIncomingCall): Signalling {
  try {
    const top = parseVia(call.request?.headers.get('Via') ?? '')[0];
    return top?.transport === 'TLS' ? 'tls' : 'clear';
  } catch {
    return 'clear';
  }
}

/** The host of a SIP URI (the c= address of our offer follows it), undefined when it does not parse. */
export function hostOfUri(uri: string): string | undefined {
  try {
    return parseUri(uri).host || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Open the media and build the offer carrying its ports: a second m-line grouped for duplication
 * (RFC 7104 §3) when the session has a second path. Call inside `media.run`; throws what the opener throws.
 */
export async function offerWithMedia(ctx: SetupContext): Promise<{ sdp: string; offered: LocalOffer }> {
  const media = await ctx.media.openProvisional(ctx.profile, ctx.input, ctx.output);
  const secondPath = ctx.media.secondPath(ctx.localAddress);
  return buildOffer({
    profile: ctx.profile,
    localAddress: ctx.localAddress,
    rtpPort: media.localRtpPort,
    rtcpPort: media.localRtcpPort,
    signalling: ctx.signalling,
    ...(secondPath ? { secondPath } : {}),
  });
}

/** Our offer in the 2xx to an INVITE or re-INVITE that had none: the ACK brings the answer. */
export interface OfferedInAnswer {
  ok: true;
  sdp: string;
  offered: LocalOffer;
}

/**
 * RFC 3264 §4 / RFC 3261 §13.2.1: an INVITE without an offer. Open the media and offer from the
 * profile, as when we dial. Never throws: a media failure comes back as the response to send
 * (503/500). Call inside `media.run`.
 */
export async function offerForInvite(ctx: SetupContext): Promise<OfferedInAnswer | Refused> {
  try {
    return { ok: true, ...(await offerWithMedia(ctx)) };
  } catch (err) {
    const response = answerFailureResponse(err, ctx.agent);
    return { ok: false, response, reason: { by: 'error', sipStatus: response.status, reason: `media: ${err instanceof Error ? err.message : String(err)}` } };
  }
}

/**
 * Which message carried the peer's answer to our offer: the 2xx to our INVITE, the ACK of our 2xx,
 * or a provisional response with early media (RFC 3262 §5, RFC 3960 §3).
 */
export type AnswerCarrier = '200 OK' | 'ACK' | 'provisional response';

/** The peer's answer read, or why there is no session: the end reason to record before BYE. */
export type PeerAnswer = { ok: true; negotiated: NegotiatedMedia } | { ok: false; reason: LinkEndReason };

/**
 * Read the peer's answer to our offer (RFC 3264 §5, §6). Without an answer no session can start
 * (RFC 3261 §13.2.2.4: an ACK to a 2xx with an offer MUST carry one).
 */
export function readPeerAnswer(offered: LocalOffer | LocalSession | undefined, answerSdp: string | undefined, carrier: AnswerCarrier): PeerAnswer {
  if (!offered || !('codecs' in offered) || answerSdp === undefined || answerSdp.trim() === '') {
    return { ok: false, reason: { by: 'error', reason: `the ${carrier} carried no SDP answer` } };
  }
  const res = applyAnswer(offered, answerSdp);
  if (!res.ok) return { ok: false, reason: { by: 'error', reason: `unusable SDP answer${carrier === 'ACK' ? ' in the ACK' : ''}: ${res.reason}` } };
  return { ok: true, negotiated: res.negotiated };
}

/**
 * The answer in an ACK to our offer, read and put into effect on the open media. Never throws.
 * Not inside `media.run`: it queues its own media work.
 */
export async function applyAnswerInAck(offered: LocalOffer, answerSdp: string | undefined, ctx: Pick<SetupContext, 'media' | 'profile'>): Promise<PeerAnswer> {
  const res = readPeerAnswer(offered, answerSdp, 'ACK');
  if (!res.ok) return res;
  try {
    await ctx.media.run(() => ctx.media.apply(ctx.profile, res.negotiated));
  } catch (err) {
    return { ok: false, reason: { by: 'error', reason: `media: ${err instanceof Error ? err.message : String(err)}` } };
  }
  return res;
}

/** An offer answered: the answer to send, and what it set up. */
export interface Answered {
  ok: true;
  sdp: string;
  local: LocalSession;
  negotiated: NegotiatedMedia;
}

/** An INVITE not answered: the final response to send, and the end reason to record with it. */
export interface Refused {
  ok: false;
  response: FailureResponse;
  reason: LinkEndReason;
}

/** An INVITE answered, or not. */
export type AnswerOutcome = Answered | Refused;

/** A re-INVITE answered, or not: then the response to send (the session stays as it was). */
export type ReanswerOutcome = Answered | { ok: false; response: FailureResponse };

/**
 * Open the media, answer the offer with its ports and start it with the negotiated stream. Never
 * throws: a rejected offer or a media failure comes back as the response to send. Call inside
 * `media.run`.
 */
export async function answerWithMedia(offerSdp: string, ctx: SetupContext): Promise<AnswerOutcome> {
  try {
    const media = await ctx.media.openProvisional(ctx.profile, ctx.input, ctx.output);
    const secondPath = ctx.media.secondPath(ctx.localAddress);
    const res = answerOffer(offerSdp, {
      profile: ctx.profile,
      localAddress: ctx.localAddress,
      rtpPort: media.localRtpPort,
      rtcpPort: media.localRtcpPort,
      signalling: ctx.signalling,
      ...(secondPath ? { secondPath } : {}),
    });
    if (!res.ok) {
      const headers: [string, string][] = [['Warning', warningHeader(ctx.agent, res.warning.code, res.warning.text)]];
      return { ok: false, response: { status: res.status, reason: OFFER_REJECT_REASON[res.status], headers }, reason: { by: 'error', sipStatus: res.status, reason: res.reason } };
    }
    await ctx.media.apply(ctx.profile, res.negotiated);
    return { ok: true, sdp: res.sdp, local: res.local, negotiated: res.negotiated };
  } catch (err) {
    const response = answerFailureResponse(err, ctx.agent);
    return { ok: false, response, reason: { by: 'error', sipStatus: response.status, reason: `media: ${err instanceof Error ? err.message : String(err)}` } };
  }
}

/**
 * Our second path in a re-offer or re-answer: the port our last SDP gave it, kept even while the
 * path is closed (RFC 3264 §8: a stream keeps its port unless it changes); else where it listens now.
 */
function sameSecondPath(previous: LocalSession | undefined, open: SecondPath | undefined): SecondPath | undefined {
  const line = previous?.dupLine;
  if (line && line.rtpPort > 0) return { address: line.address, rtpPort: line.rtpPort, ...(line.rtcpPort !== undefined ? { rtcpPort: line.rtcpPort } : {}) };
  return open;
}

/**
 * Answer a re-offer inside the dialog with the open session (its ports stay), and apply it. Never
 * throws: anything unanswerable comes back as the response to send, and then (RFC 3261 §14.2) the
 * session stays as it was. Not inside `media.run`: it queues its own media work.
 *
 * A re-INVITE without an offer asks for ours (RFC 3261 §14.2, RFC 3264 §8): the open session
 * again, from the profile, same ports and o= session id, the version raised only if the
 * description changed. Nothing changes until the ACK brings the answer.
 */
export async function answerReoffer(
  offerSdp: string | undefined,
  ctx: Omit<SetupContext, 'input' | 'output' | 'signalling'> & { previous: LocalSession | undefined },
): Promise<ReanswerOutcome | OfferedInAnswer> {
  const reject = (code: number, text: string, status: 400 | 488 = 488): ReanswerOutcome => ({
    ok: false,
    response: { status, reason: OFFER_REJECT_REASON[status], headers: [['Warning', warningHeader(ctx.agent, code, text)]] },
  });
  const media = ctx.media.session;
  if (!media) return reject(399, 'no media session');
  if (offerSdp === undefined) {
    if (!ctx.previous) return reject(399, 'no session to offer');
    try {
      const secondPath = sameSecondPath(ctx.previous, ctx.media.secondPath(ctx.previous.localAddress));
      return { ok: true, ...buildReoffer(ctx.previous, ctx.profile, secondPath ? { secondPath } : {}) };
    } catch (err) {
      return reject(399, `offer: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const localAddress = ctx.previous?.localAddress ?? ctx.localAddress;
  const secondPath = sameSecondPath(ctx.previous, ctx.media.secondPath(localAddress));
  const res = answerOffer(offerSdp, {
    profile: ctx.profile,
    localAddress,
    rtpPort: media.localRtpPort,
    rtcpPort: media.localRtcpPort,
    ...(secondPath ? { secondPath } : {}),
    // Inside the dialog the signalling is the dialog's (RFC 3261 §12: same transport).
    signalling: ctx.previous?.signalling ?? 'clear',
    ...(ctx.previous ? { previous: ctx.previous } : {}),
  });
  if (!res.ok) return reject(res.warning.code, res.warning.text, res.status);
  try {
    await ctx.media.run(() => ctx.media.apply(ctx.profile, res.negotiated));
  } catch (err) {
    return reject(399, `media: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { ok: true, sdp: res.sdp, local: res.local, negotiated: res.negotiated };
}

/**
 * A mid-call change of profile (EBU Tech 3326 codec change): our re-offer (same keys when SRTP
 * stays, RFC 4568 §7.1.4), the peer's answer read and put into effect. Throws CONFLICT when the far
 * end refuses or answers with something unusable; the session then stays as it was.
 */
export async function reofferProfile(call: LinkCall, local: LocalSession, profile: Profile, media: LinkMedia): Promise<{ offered: LocalOffer; negotiated: NegotiatedMedia }> {
  const secondPath = sameSecondPath(local, media.secondPath(local.localAddress));
  const { sdp, offered } = buildReoffer(local, profile, secondPath ? { secondPath } : {});
  const result = await call.reinvite(sdp);
  if (result.status < 200 || result.status >= 300 || !result.sdp) {
    throw new AcipError('CONFLICT', `the far end refused the codec change (${result.status} ${result.reason})`);
  }
  const res = applyAnswer(offered, result.sdp);
  if (!res.ok) throw new AcipError('CONFLICT', `unusable answer to the codec change: ${res.reason}`);
  await media.run(() => media.apply(profile, res.negotiated));
  return { offered, negotiated: res.negotiated };
}
