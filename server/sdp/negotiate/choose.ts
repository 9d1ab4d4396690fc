/**
 * Stage 2 of negotiation: which codec, and what we send. For an offer, our profile's priority decides
 * (EBU Tech 3326: the user orders the codecs), answered with the offerer's payload type (RFC 3264
 * §6.1). For an answer to our offer, the answerer's first listed format that we offered (RFC 3264 §7).
 * Then the packet time we send and the peer's fmtp, read through the codec record.
 */
import type { CodecParams, FmtpParams } from '../../codecs/codec.js';
import type { CodecRegistry } from '../../codecs/registry.js';
import { choosePtime, formatText, matchChoice, peerFmtp, type ResolvedChoice } from '../codec-match.js';
import { plengthFor } from '../ebuacip.js';
import type { SdpFormat } from '../sdp-model.js';
import type { LocalOffer, OfferedCodec } from '../session-types.js';
import { listText, type PeerMedia } from './peer-media.js';

export const SDP_NO_COMMON_CODEC = 'SDP_NO_COMMON_CODEC';
export const SDP_ANSWER_MISMATCH = 'SDP_ANSWER_MISMATCH';

/** One of our profile's codecs matched to one of the peer's formats. */
export interface Choice {
  rc: ResolvedChoice;
  /** The peer's format (its payload type number and rtpmap spelling are the ones we use). */
  format: SdpFormat;
  /** The link's audio rate and channel count. */
  link: { sampleRate: number; channels: number };
  peer: PeerMedia;
}

export type AnswerChoice = { ok: true; choice: Choice } | { ok: false; code: string; reason: string };

/**
 * For each of our codecs in profile order, the first offered audio stream (in offer order) with a
 * format that matches it.
 */
export function chooseForOffer(resolved: readonly ResolvedChoice[], streams: readonly PeerMedia[], codecs: CodecRegistry): AnswerChoice {
  for (const rc of resolved) {
    for (const peer of streams) {
      for (const format of peer.codecFormats) {
        const link = matchChoice(rc, format, codecs);
        if (link) return { ok: true, choice: { rc, format, link, peer } };
      }
    }
  }
  const offered = streams.flatMap((m) => m.codecFormats.map(formatText));
  const weSupport = resolved.map((rc) => rc.rtpmap);
  return {
    ok: false,
    code: SDP_NO_COMMON_CODEC,
    reason: `Incompatible media format: offered ${offered.length > 0 ? listText(offered) : 'no audio codec'}; we support ${listText(weSupport)}`,
  };
}

export type AnsweredChoice = { ok: true; choice: Choice; ours: OfferedCodec } | { ok: false; code: string; reason: string };

/** The format the answerer picked among those we offered, checked against what we offered under that number. */
export function chooseFromAnswer(offered: LocalOffer, resolved: readonly ResolvedChoice[], peer: PeerMedia, codecs: CodecRegistry): AnsweredChoice {
  for (const f of peer.codecFormats) {
    const ours = offered.codecs.find((o) => o.payloadType === f.payloadType);
    if (!ours) continue;
    const rc = resolved[ours.choiceIndex];
    if (!rc) continue;
    // The answer must keep the payload type's meaning; tolerate an answer that omits the rtpmap of a
    // dynamic payload type by taking the meaning from our offer.
    const format: SdpFormat = f.encodingName === undefined ? { ...f, ...rtpmapParts(ours.rtpmap) } : f;
    const link = matchChoice(rc, format, codecs);
    if (!link) {
      return { ok: false, code: SDP_ANSWER_MISMATCH, reason: `payload type ${f.payloadType} is ${formatText(format)} in the answer but ${ours.rtpmap} in our offer` };
    }
    return { ok: true, choice: { rc, format, link, peer }, ours };
  }
  const listed = peer.formats.map(formatText);
  return { ok: false, code: SDP_ANSWER_MISMATCH, reason: `the answer lists ${listed.length > 0 ? listText(listed) : 'no formats'}, none of which we offered` };
}

function rtpmapParts(rtpmap: string): Pick<SdpFormat, 'encodingName' | 'clockRate' | 'channels'> {
  const [name = '', rate = '0', ch] = rtpmap.split('/');
  return { encodingName: name, clockRate: Number(rate), ...(ch !== undefined ? { channels: Number(ch) } : {}) };
}

/** What the peer's fmtp says, and the packet time we send. */
export interface SendPlan {
  fmtp: FmtpParams;
  sendPtimeMs: number;
  notes: string[];
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/**
 * The packet time we send: the peer's wish (its Tech 3368 plength for that payload type, else its
 * a=ptime, else an fmtp ptime), within its a=maxptime (RFC 4566 §6) and what the codec can carry;
 * else ours. A malformed peer fmtp is noted and treated as absent.
 */
export function planSend(c: Choice): SendPlan {
  const rec = c.rc.record;
  const notes: string[] = [];
  const fmtp = peerFmtp(rec, c.format.fmtp);
  if (fmtp.problem) notes.push(fmtp.problem);
  const peerMaxPtime = minDefined(c.peer.maxPtimeMs, fmtp.params.maxPtimeMs);
  const peerPtime = plengthFor(c.peer.ebuacip, c.format.payloadType) ?? c.peer.ptimeMs ?? fmtp.params.ptimeMs;
  const base: CodecParams = { ...c.rc.params, sampleRate: c.link.sampleRate, channels: c.link.channels };
  const sendPtimeMs = choosePtime(rec, base, [peerPtime, c.rc.params.ptimeMs, rec.defaultPtimeMs], peerMaxPtime);
  if (peerPtime !== undefined && sendPtimeMs !== peerPtime) {
    notes.push(
      `peer asked for ${peerPtime} ms packets of ${formatText(c.format)}; sending ${sendPtimeMs} ms (codec/MTU limits${peerMaxPtime !== undefined ? `, maxptime ${peerMaxPtime}` : ''})`,
    );
  }
  return { fmtp: fmtp.params, sendPtimeMs, notes };
}
