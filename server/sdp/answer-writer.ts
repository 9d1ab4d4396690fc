/**
 * Our answer (RFC 3264 §6): the same m-lines as the offer, in order. The chosen audio stream is
 * accepted with one codec under the offerer's payload type number and rtpmap spelling (§6.1); every
 * other stream is refused with port 0 and its offered formats.
 */
import type { MediaDescription } from 'sdp-transform';
import type { CodecParams } from '../codecs/codec.js';
import { bandwidthFor } from './codec-match.js';
import type { EbuAcipSet } from './ebuacip.js';
import type { Choice } from './negotiate/choose.js';
import { addressFamily, type Direction, type SdpSessionView } from './sdp-model.js';
import { ebuacipAttributes, MAX_ANNOUNCED_PTIME_MS, rtcpAttribute, secondLine, writeSession } from './session-writer.js';
import { DUP_SEMANTICS } from './negotiate/grouping.js';
import type { LocalSession } from './session-types.js';
import { cryptoEntries } from './negotiate/security.js';
import type { RecoveryLines } from './negotiate/recovery.js';

/** What we say about the accepted stream. */
export interface AnswerLines {
  /** Our receive parameters (packet time included). */
  params: CodecParams;
  fmtp: string | undefined;
  ebuacip: EbuAcipSet;
  /** Our direction after negotiation (RFC 3264 §6.1: sendonly -> recvonly, recvonly -> sendonly...). */
  direction: Direction;
  /** RED/RTX formats and NACK feedback accepted beside the codec (RFC 2198, RFC 4588, RFC 4585). */
  recovery?: RecoveryLines;
  /**
   * The offer's duplication group accepted (RFC 7104 §3): the offered m-line our second path
   * answers, where it listens, and the offer's tags (group order, then each line's own).
   */
  dup?: { index: number; address: string; rtpPort: number; rtcpPort?: number; groupMids: [string, string]; chosenMid: string; secondMid: string };
}

export function writeAnswer(offer: SdpSessionView, local: LocalSession, c: Choice, ours: AnswerLines): string {
  const rec = c.rc.record;
  const f = c.format;
  // b= in an answer: what we are prepared to receive with our parameters.
  const bw = bandwidthFor(rec, ours.params, addressFamily(local.localAddress));
  const rtcp = rtcpAttribute(local);
  const accepted: MediaDescription = {
    type: c.peer.type,
    port: local.rtpPort,
    protocol: c.peer.protocol,
    payloads: [f.payloadType, ...(ours.recovery?.rtp ?? []).map((r) => r.payload)].join(' '),
    rtp: [
      {
        payload: f.payloadType,
        codec: f.encodingName ?? rec.encodingName,
        rate: f.clockRate ?? rec.rtpClockRate(ours.params),
        ...(f.channels !== undefined ? { encoding: f.channels } : {}),
      },
      ...(ours.recovery?.rtp ?? []),
    ],
    fmtp: [...(ours.fmtp !== undefined ? [{ payload: f.payloadType, config: ours.fmtp }] : []), ...(ours.recovery?.fmtp ?? [])],
    ...(ours.recovery && ours.recovery.rtcpFb.length > 0 ? { rtcpFb: ours.recovery.rtcpFb } : {}),
    bandwidth: [
      { type: 'AS', limit: bw.asKbps },
      { type: 'TIAS', limit: bw.tiasBps },
    ],
    ptime: ours.params.ptimeMs,
    maxptime: Math.min(MAX_ANNOUNCED_PTIME_MS, Math.max(ours.params.ptimeMs, rec.ptime.maxMs(ours.params))),
    direction: ours.direction,
    ...(rtcp ? { rtcp } : {}),
    // RFC 4568 §7.1.2: the accepted stream carries our one a=crypto line.
    ...(local.crypto && local.crypto.length > 0 ? { crypto: cryptoEntries(local.crypto) } : {}),
    invalid: ebuacipAttributes(ours.ebuacip),
  };
  const dup = ours.dup;
  // RFC 5888 §9.1: the answer's grouped lines carry the offer's tags.
  const first: MediaDescription = dup ? { ...accepted, mid: dup.chosenMid } : accepted;
  const media: MediaDescription[] = offer.media.map((m) =>
    m.index === c.peer.index
      ? first
      : dup && m.index === dup.index
        ? secondLine(accepted, local, { address: dup.address, rtpPort: dup.rtpPort, ...(dup.rtcpPort !== undefined ? { rtcpPort: dup.rtcpPort } : {}), mid: dup.secondMid })
        : // RFC 3264 §6: a rejected stream keeps its m-line with port 0 and the offered formats.
          { type: m.type, port: 0, protocol: m.protocol, payloads: m.rawFormats === '' ? '0' : m.rawFormats, rtp: [], fmtp: [] },
  );
  return writeSession(local, media, dup ? [{ type: DUP_SEMANTICS, mids: dup.groupMids.join(' ') }] : undefined);
}
