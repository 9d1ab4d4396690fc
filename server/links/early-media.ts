/**
 * Early media on a call we placed. A provisional response with SDP (183 Session Progress, or 180
 * with SDP) carries the answer for its early dialog: reliably under RFC 3262 §5, or as a preview in
 * the gateway model of RFC 3960 §3. The link runs its media on it while still ringing, so a
 * ring-back tone or an announcement is heard; `finalAnswerStep` says what the 2xx then does to it.
 *
 * We send as the negotiated direction allows during early media (RFC 3960 leaves it to the UA):
 * gateways that wait for our first packet before opening their media path (symmetric RTP, RFC
 * 4961) then play, and the audio is the call's anyway. Forking (RFC 3261 §13.2.2.4): the first
 * early answer is used; a 2xx from another dialog replaces it.
 */
import type { Profile } from '../config/profile-schema.js';
import type { LocalOffer, LocalSession, NegotiatedMedia } from '../sdp/offer-answer.js';
import type { LinkLogger } from './link-logger.js';
import type { LinkMedia } from './link-media.js';
import { readPeerAnswer } from './link-setup.js';

/** The o= line of an SDP body (RFC 4566 §5.2), without "o=" and trailing space; undefined when absent. */
export function sdpOrigin(sdp: string): string | undefined {
  const m = /^o=(.*)$/m.exec(sdp);
  return m ? m[1]!.trim() : undefined;
}

/** The early answer the media runs on: the early dialog it came from, and its o= line. */
export interface EarlyAnswer {
  toTag: string | undefined;
  origin: string | undefined;
}

/** What the 2xx to our INVITE said: its SDP, its dialog, and the early SDP that dialog sent, if any. */
export interface FinalAnswer {
  sdp: string | undefined;
  toTag?: string | undefined;
  earlySdp?: string | undefined;
}

/**
 * What to do with the 2xx when the media may already run on an early answer.
 * - `continues`: the session goes on untouched (no update, no glitch).
 * - otherwise `sdp` is the dialog's answer to put into effect (undefined: there is none).
 */
export type FinalAnswerStep = { continues: true } | { continues: false; sdp: string | undefined };

/**
 * The 2xx's answer is its own SDP, else the one its dialog sent in a provisional response (RFC
 * 3261 §13.2.1 with RFC 3262 §5: an answer is not repeated). It continues the early session when it
 * comes from the same dialog with the same o= line: an unchanged session id and version mean an
 * unchanged description (RFC 3264 §8). A 2xx from another dialog (forking, RFC 3261 §13.2.2.4) or
 * with a new version is applied as an update of the open session.
 */
export function finalAnswerStep(early: EarlyAnswer | undefined, final: FinalAnswer): FinalAnswerStep {
  const sdp = final.sdp ?? final.earlySdp;
  if (early && early.toTag === final.toTag) {
    if (sdp === undefined) return { continues: true };
    const origin = sdpOrigin(sdp);
    if (origin !== undefined && origin === early.origin) return { continues: true };
  }
  return { continues: false, sdp };
}

/** The early media of one outbound call attempt: at most one early answer in effect. */
export class EarlyMedia {
  private current: (EarlyAnswer & { applied: Promise<boolean> }) | undefined;

  constructor(
    private readonly linkId: string,
    private readonly media: LinkMedia,
    private readonly log: LinkLogger,
  ) {}

  /** A new attempt: no early answer. */
  reset(): void {
    this.current = undefined;
  }

  /**
   * The SDP of a provisional response, answering `offered`: put into effect on the open media
   * (queued on its chain; `onApplied` once it runs). Returns the negotiation, or undefined when this
   * SDP is not used: an early answer is already in effect, or it cannot be used (the 2xx may still
   * bring one that can).
   */
  start(offered: LocalOffer | LocalSession | undefined, sdp: string, toTag: string | undefined, profile: Profile, onApplied: () => void): NegotiatedMedia | undefined {
    if (this.current) return undefined;
    const res = readPeerAnswer(offered, sdp, 'provisional response');
    if (!res.ok) {
      this.log.warn({ link: this.linkId }, `link ${this.linkId}: early media ignored: ${res.reason.reason}`);
      return undefined;
    }
    const applied = this.media
      .run(() => this.media.apply(profile, res.negotiated))
      .then(
        () => {
          onApplied();
          return true;
        },
        (err: unknown) => {
          this.log.warn({ link: this.linkId }, `link ${this.linkId}: early media not started: ${err instanceof Error ? err.message : String(err)}`);
          return false;
        },
      );
    this.current = { toTag, origin: sdpOrigin(sdp), applied };
    return res.negotiated;
  }

  /** The 2xx arrived: once the early answer (if any) has been put into effect, what the 2xx does. */
  async final(answer: FinalAnswer): Promise<FinalAnswerStep> {
    const early = this.current && (await this.current.applied) ? this.current : undefined;
    this.current = undefined;
    return finalAnswerStep(early, answer);
  }
}
