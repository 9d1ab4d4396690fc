/**
 * Negotiating loss recovery (RFC 2198 RED, RFC 4585 generic NACK with RFC 4588 RTX). Plain values
 * in and out: what to add to our offer, what to answer to an offer, what an answer to our offer
 * accepted. A tool is used only when both sides list it: a peer that ignores the extra formats and
 * attributes (most SIP endpoints) gets plain RTP and is never sent RED or RTX.
 *
 * Transport profile (decision): the offer stays RTP/AVP and carries `a=rtcp-fb:<pt> nack` beside
 * it, as deployed SIP/WebRTC gateways do, rather than RTP/AVPF (RFC 4585 §4.2, §5). An RTP/AVPF
 * m-line is refused by plain AVP peers (RFC 3264 §6: an unsupported transport rejects the stream),
 * and SDP capability negotiation (RFC 5939) to offer both is not understood by them either; an
 * AVP peer ignores unknown attributes (RFC 4566 §5.13), so the AVP form degrades cleanly. Feedback
 * then follows the AVP RTCP timing (RFC 3550 §6.2) except for NACKs, which are sent as soon as a gap
 * is seen, as RFC 4585 §3.5.2 early feedback, within the RTCP bandwidth they are a small part of.
 *
 * RED: one RED format (`red/<rate>/<channels>`, the channels always written) for the first
 * (preferred) codec, its fmtp listing that codec once per block
 * (RFC 2198 §5, the form WebRTC writes for Opus). RTX: one RTX format per offered codec (apt) with
 * the generic NACK for that codec. Duplicated streams (RFC 7198) are negotiated as grouped m-lines
 * (RFC 7104 §3) in dual-path.ts, not here.
 */
import type { RedundancySettings } from '../../config/profile-schema.js';
import type { OfferedCodec } from '../session-types.js';
import type { SdpFormat } from '../sdp-model.js';
import { formatRedFmtpConfig, formatRtxFmtpConfig, readRecoveryAttributes, redBlocksFor, type NackFeedback, type RecoveryAttributes } from '../recovery-attrs.js';

/** Retransmissions are kept this long by default (RFC 4588 §8.1 rtx-time; covers a 1 s buffer). */
export const DEFAULT_RTX_TIME_MS = 1000;

/** The recovery tools in force on a negotiated stream (both directions use the same numbers). */
export interface NegotiatedRecovery {
  /** RED (RFC 2198) with this payload type around the chosen codec: we send `depth` copies `distance` packets back. */
  red?: { payloadType: number; depth: 1 | 2; distance: number };
  /** Generic NACK (RFC 4585 §6.2.1) both ways, answered with RTX (RFC 4588) of this payload type. */
  rtx?: { payloadType: number; rtxTimeMs: number };
}

/** What our offer added, to read the answer against. */
export interface OfferedRecovery {
  red?: { payloadType: number; primary: number };
  rtx: { payloadType: number; apt: number }[];
}

/** Extra lines for one m-line, in sdp-transform's shapes. */
export interface RecoveryLines {
  rtp: { payload: number; codec: string; rate: number; encoding?: number }[];
  fmtp: { payload: number; config: string }[];
  rtcpFb: { payload: number; type: string }[];
}

const FIRST_DYNAMIC_PT = 96;
const LAST_DYNAMIC_PT = 127;

function freePayloadType(used: Set<number>): number | undefined {
  for (let pt = FIRST_DYNAMIC_PT; pt <= LAST_DYNAMIC_PT; pt++) {
    if (!used.has(pt)) {
      used.add(pt);
      return pt;
    }
  }
  return undefined;
}

function rateAndChannels(rtpmap: string): { rate: number; channels: number | undefined } {
  const [, rate = '0', ch] = rtpmap.split('/');
  return { rate: Number(rate), channels: ch === undefined ? undefined : Number(ch) };
}

/** Our offer's RED/RTX formats and NACK feedback, on payload types the codecs left free. */
export function planOfferRecovery(settings: RedundancySettings | undefined, codecs: readonly OfferedCodec[]): { offered: OfferedRecovery; lines: RecoveryLines } | undefined {
  if (!settings || (!settings.red && !settings.rtx) || codecs.length === 0) return undefined;
  const used = new Set(codecs.map((c) => c.payloadType));
  const lines: RecoveryLines = { rtp: [], fmtp: [], rtcpFb: [] };
  const offered: OfferedRecovery = { rtx: [] };
  const first = codecs[0] as OfferedCodec;
  const redPt = settings.red ? freePayloadType(used) : undefined;
  if (settings.red && redPt !== undefined) {
    const { rate, channels } = rateAndChannels(first.rtpmap);
    lines.rtp.push({ payload: redPt, codec: 'red', rate, encoding: channels ?? 1 });
    lines.fmtp.push({ payload: redPt, config: formatRedFmtpConfig(redBlocksFor(first.payloadType, settings.red.depth)) });
    offered.red = { payloadType: redPt, primary: first.payloadType };
  }
  if (settings.rtx) {
    for (const c of codecs) {
      const pt = freePayloadType(used);
      if (pt === undefined) break;
      lines.rtp.push({ payload: pt, codec: 'rtx', rate: rateAndChannels(c.rtpmap).rate });
      lines.fmtp.push({ payload: pt, config: formatRtxFmtpConfig({ apt: c.payloadType, rtxTimeMs: DEFAULT_RTX_TIME_MS }) });
      lines.rtcpFb.push({ payload: c.payloadType, type: 'nack' });
      offered.rtx.push({ payloadType: pt, apt: c.payloadType });
    }
  }
  return { offered, lines };
}

/** The recovery attributes of a peer's m-line (malformed ones ignored: the stream then runs without them). */
export function peerRecovery(formats: readonly SdpFormat[], rtcpFb: readonly string[]): RecoveryAttributes {
  const lines: string[] = [];
  for (const f of formats) {
    const name = f.encodingName?.toLowerCase();
    if (name !== 'red' && name !== 'rtx') continue;
    lines.push(`rtpmap:${f.payloadType} ${name}/${f.clockRate ?? 0}${f.channels !== undefined && name === 'red' ? `/${f.channels}` : ''}`);
    if (f.fmtp !== undefined) lines.push(`fmtp:${f.payloadType} ${f.fmtp}`);
  }
  for (const fb of rtcpFb) lines.push(`rtcp-fb:${fb}`);
  return readRecoveryAttributes(lines).attrs;
}

function nackFor(nack: readonly NackFeedback[], pt: number): boolean {
  return nack.includes('*') || nack.includes(pt);
}

/** The RED format the peer lists around `primary` (every block of that codec), if any. */
function redAround(attrs: RecoveryAttributes, primary: number): number | undefined {
  return attrs.red.find((r) => r.blockPayloadTypes.length >= 2 && r.blockPayloadTypes.every((b) => b === primary))?.payloadType;
}

/** The RTX format the peer lists for `primary` when it also takes NACKs for it. */
function rtxFor(attrs: RecoveryAttributes, primary: number): { payloadType: number; rtxTimeMs: number } | undefined {
  const r = attrs.rtx.find((x) => x.apt === primary);
  if (!r || !nackFor(attrs.nack, primary)) return undefined;
  return { payloadType: r.payloadType, rtxTimeMs: r.rtxTimeMs ?? DEFAULT_RTX_TIME_MS };
}

/**
 * Answering an offer: the tools our profile wants that the offer lists for the chosen codec, under
 * the offerer's payload type numbers (RFC 3264 §6.1), and the lines our answer adds for them.
 */
export function answerRecovery(
  settings: RedundancySettings | undefined,
  peer: RecoveryAttributes,
  chosen: { payloadType: number; rtpmapRate: number; channels: number | undefined },
): { negotiated: NegotiatedRecovery; lines: RecoveryLines } | undefined {
  if (!settings) return undefined;
  const negotiated: NegotiatedRecovery = {};
  const lines: RecoveryLines = { rtp: [], fmtp: [], rtcpFb: [] };
  const redPt = settings.red ? redAround(peer, chosen.payloadType) : undefined;
  if (settings.red && redPt !== undefined) {
    negotiated.red = { payloadType: redPt, depth: settings.red.depth, distance: settings.red.distance };
    lines.rtp.push({ payload: redPt, codec: 'red', rate: chosen.rtpmapRate, encoding: chosen.channels ?? 1 });
    lines.fmtp.push({ payload: redPt, config: formatRedFmtpConfig(redBlocksFor(chosen.payloadType, settings.red.depth)) });
  }
  const rtx = settings.rtx ? rtxFor(peer, chosen.payloadType) : undefined;
  if (rtx) {
    negotiated.rtx = rtx;
    lines.rtp.push({ payload: rtx.payloadType, codec: 'rtx', rate: chosen.rtpmapRate });
    lines.fmtp.push({ payload: rtx.payloadType, config: formatRtxFmtpConfig({ apt: chosen.payloadType, rtxTimeMs: DEFAULT_RTX_TIME_MS }) });
    lines.rtcpFb.push({ payload: chosen.payloadType, type: 'nack' });
  }
  if (!negotiated.red && !negotiated.rtx) return undefined;
  return { negotiated, lines };
}

/** Reading the answer to our offer: the tools it kept for the codec it chose, on the numbers we offered. */
export function readAnswerRecovery(
  settings: RedundancySettings | undefined,
  offered: OfferedRecovery | undefined,
  answer: RecoveryAttributes,
  chosenPt: number,
): NegotiatedRecovery | undefined {
  if (!settings || !offered) return undefined;
  const out: NegotiatedRecovery = {};
  const redPt = redAround(answer, chosenPt);
  if (settings.red && offered.red && offered.red.primary === chosenPt && redPt === offered.red.payloadType) {
    out.red = { payloadType: redPt, depth: settings.red.depth, distance: settings.red.distance };
  }
  const rtx = rtxFor(answer, chosenPt);
  if (settings.rtx && rtx && offered.rtx.some((o) => o.payloadType === rtx.payloadType && o.apt === chosenPt)) out.rtx = rtx;
  return out.red || out.rtx ? out : undefined;
}
