/**
 * Our offer (RFC 3264 §5): one audio m-line, payload types in the profile's order (EBU Tech 3326:
 * the user sets the priority), static payload types where the codec has one, dynamic ones from 96
 * otherwise.
 */
import type { MediaDescription } from 'sdp-transform';
import { AcipError } from '../util/errors.js';
import { bandwidthFor, SDP_BAD_PROFILE, type ResolvedChoice } from './codec-match.js';
import type { EbuAcipSet } from './ebuacip.js';
import { addressFamily } from './sdp-model.js';
import { ebuacipAttributes, MAX_ANNOUNCED_PTIME_MS, rtcpAttribute, secondLine, writeSession } from './session-writer.js';
import { DUP_SEMANTICS } from './negotiate/grouping.js';
import type { LocalSession, OfferedCodec } from './session-types.js';
import { cryptoEntries } from './negotiate/security.js';
import type { RecoveryLines } from './negotiate/recovery.js';

const FIRST_DYNAMIC_PT = 96;
const LAST_DYNAMIC_PT = 127;

/** Our codecs with their payload types; the same codec form twice in a profile is offered once. */
export function offeredCodecs(resolved: readonly ResolvedChoice[]): OfferedCodec[] {
  const used = new Set<number>();
  const seen = new Set<string>();
  const out: OfferedCodec[] = [];
  for (const rc of resolved) {
    const key = `${rc.rtpmap}|${rc.fmtp ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const st = rc.record.staticPayloadType;
    let pt: number;
    // RFC 3551 §6: a static payload type implies its clock rate; use it only when ours matches.
    if (st !== undefined && !used.has(st)) pt = st;
    else {
      pt = FIRST_DYNAMIC_PT;
      while (used.has(pt) && pt <= LAST_DYNAMIC_PT) pt++;
      if (pt > LAST_DYNAMIC_PT) throw new AcipError(SDP_BAD_PROFILE, 'more codecs than dynamic payload types', 'codecs');
    }
    used.add(pt);
    out.push({ payloadType: pt, codecId: rc.record.id, rtpmap: rc.rtpmap, ...(rc.fmtp !== undefined ? { fmtp: rc.fmtp } : {}), params: rc.params, choiceIndex: rc.choiceIndex });
  }
  return out;
}

/**
 * a=ptime is one value for the m-line: the profile's. Codecs that run at another packet time say so
 * per payload type with Tech 3368 a=ebuacip:plength.
 */
export function plengthsOf(offered: readonly OfferedCodec[], profilePtimeMs: number): { payloadType: number; ptimeMs: number }[] {
  return offered.filter((o) => o.params.ptimeMs !== profilePtimeMs).map((o) => ({ payloadType: o.payloadType, ptimeMs: o.params.ptimeMs }));
}

function rtpEntry(payload: number, rtpmap: string): { payload: number; codec: string; rate: number; encoding?: number } {
  const [codec = '', rate = '0', ch] = rtpmap.split('/');
  return { payload, codec, rate: Number(rate), ...(ch !== undefined ? { encoding: Number(ch) } : {}) };
}

export function writeOffer(
  local: LocalSession,
  resolved: readonly ResolvedChoice[],
  offered: readonly OfferedCodec[],
  ebuacip: EbuAcipSet,
  recovery?: RecoveryLines,
): string {
  const profilePtime = local.profile.ptimeMs;
  const maxPtime = Math.min(MAX_ANNOUNCED_PTIME_MS, Math.max(...resolved.map((rc) => rc.record.ptime.maxMs(rc.params))));
  // b=AS/b=TIAS: enough for the most demanding codec offered.
  const ipVer = addressFamily(local.localAddress);
  let bw = { tiasBps: 0, asKbps: 0 };
  for (const o of offered) {
    const rc = resolved[o.choiceIndex];
    if (!rc) continue;
    const b = bandwidthFor(rc.record, o.params, ipVer);
    if (b.tiasBps > bw.tiasBps) bw = b;
  }
  const rtcp = rtcpAttribute(local);
  const media: MediaDescription = {
    type: 'audio',
    port: local.rtpPort,
    protocol: local.protocol ?? 'RTP/AVP',
    // RED and RTX formats come after the codecs: a peer that does not know them picks a codec first.
    payloads: [...offered.map((o) => o.payloadType), ...(recovery?.rtp ?? []).map((r) => r.payload)].join(' '),
    rtp: [...offered.map((o) => rtpEntry(o.payloadType, o.rtpmap)), ...(recovery?.rtp ?? [])],
    fmtp: [...offered.filter((o) => o.fmtp !== undefined).map((o) => ({ payload: o.payloadType, config: o.fmtp as string })), ...(recovery?.fmtp ?? [])],
    ...(recovery && recovery.rtcpFb.length > 0 ? { rtcpFb: recovery.rtcpFb } : {}),
    bandwidth: [
      { type: 'AS', limit: bw.asKbps },
      { type: 'TIAS', limit: bw.tiasBps },
    ],
    ptime: profilePtime,
    maxptime: Math.max(maxPtime, profilePtime),
    direction: local.direction,
    ...(rtcp ? { rtcp } : {}),
    ...(local.crypto && local.crypto.length > 0 ? { crypto: cryptoEntries(local.crypto) } : {}),
    invalid: ebuacipAttributes(ebuacip),
  };
  return writeSession(local, ...withSecondLine(local, media));
}

/**
 * The m-lines of our offer: one, or two grouped for duplication (RFC 7104 §3) with the same formats,
 * the second on the second path's port and address. A second line once offered stays in every
 * later offer of the session, with port 0 while the second path is off (RFC 3264 §8.2).
 */
function withSecondLine(local: LocalSession, media: MediaDescription): [MediaDescription[], { type: string; mids: string }[]?] {
  const dup = local.dupLine;
  if (!dup) return [[media]];
  if (dup.rtpPort === 0) return [[media, { type: media.type, port: 0, protocol: media.protocol, payloads: media.payloads, rtp: [], fmtp: [] }]];
  const [first, second] = dup.mids;
  return [[{ ...media, mid: first }, secondLine(media, local, { ...dup, mid: second })], [{ type: DUP_SEMANTICS, mids: `${first} ${second}` }]];
}
