/**
 * The SDP side of setting up a call, with the media it needs: the offer of an outbound call and the
 * answer to an inbound one both carry the ports of a media session opened first (RFC 3264 §5, §6);
 * the answer to a re-offer changes the open session (§8). These steps send nothing: the link sends
 * the INVITE or the response, and changes state.
 *
 * Every INVITE we cannot answer gets a final response (RFC 3261 §13.3.1: else the caller waits
 * after 100 Trying until its Timer B): the offer's rejection (488/400), 503 with Retry-After when
 * out of resources, 500 otherwise. One table from error code to SIP status.
 */
import { isAcipError, type AcipErrorCode } from '../util/errors.js';
import type { Profile } from '../config/profile-schema.js';
import { warningHeader } from '../sip/ua/uas-policy.js';
import { answerOffer, buildOffer, type LocalOffer, type LocalSession, type NegotiatedMedia } from '../sdp/offer-answer.js';
import type { LinkEndReason } from './link-types.js';
import type { LinkMedia } from './link-media.js';

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
}

/** Open the media and build the offer carrying its ports. Call inside `media.run`; throws what the opener throws. */
export async function offerWithMedia(ctx: SetupContext): Promise<{ sdp: string; offered: LocalOffer }> {
  const media = await ctx.media.openProvisional(ctx.profile, ctx.input, ctx.output);
  return buildOffer({ profile: ctx.profile, localAddress: ctx.localAddress, rtpPort: media.localRtpPort, rtcpPort: media.localRtcpPort });
}

/** An offer answered: the answer to send, and what it set up. */
export interface Answered {
  ok: true;
  sdp: string;
  local: LocalSession;
  negotiated: NegotiatedMedia;
}

/** An INVITE answered, or not: then the final response to send, and the end reason to record with it. */
export type AnswerOutcome = Answered | { ok: false; response: FailureResponse; reason: LinkEndReason };

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
    const res = answerOffer(offerSdp, { profile: ctx.profile, localAddress: ctx.localAddress, rtpPort: media.localRtpPort, rtcpPort: media.localRtcpPort });
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
 * Answer a re-offer inside the dialog with the open session (its ports stay), and apply it. Never
 * throws: anything unanswerable comes back as the response to send, and then (RFC 3261 §14.2) the
 * session stays as it was. Not inside `media.run`: it queues its own media work.
 */
export async function answerReoffer(
  offerSdp: string | undefined,
  ctx: Omit<SetupContext, 'input' | 'output'> & { previous: LocalSession | undefined },
): Promise<ReanswerOutcome> {
  const reject = (code: number, text: string, status: 400 | 488 = 488): ReanswerOutcome => ({
    ok: false,
    response: { status, reason: OFFER_REJECT_REASON[status], headers: [['Warning', warningHeader(ctx.agent, code, text)]] },
  });
  const media = ctx.media.session;
  if (!offerSdp || !media) return reject(399, 're-INVITE without an offer is not supported');
  const res = answerOffer(offerSdp, {
    profile: ctx.profile,
    localAddress: ctx.previous?.localAddress ?? ctx.localAddress,
    rtpPort: media.localRtpPort,
    rtcpPort: media.localRtcpPort,
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
