/**
 * Stage 1 of negotiation: the peer's media descriptions, read once into plain values. Screens an
 * offer for a usable audio stream (RFC 3264 §6: a stream we cannot use is refused, and an offer with
 * none is refused as a whole), and turns each usable m-line into a PeerMedia: its formats, where to
 * send, which way media flows, packet-time wishes, bandwidth, and its EBU Tech 3368 a=ebuacip set.
 * Nothing here knows our profile or our codecs.
 */
import { collectEbuAcip, selectedJbdef, type EbuAcipJbdef, type EbuAcipSet } from '../ebuacip.js';
import type { Direction, SdpFormat, SdpMediaView, SdpSessionView } from '../sdp-model.js';
import { isSdesProtocol } from './security.js';

export const SDP_NO_AUDIO = 'SDP_NO_AUDIO';
export const SDP_SRTP_UNSUPPORTED = 'SDP_SRTP_UNSUPPORTED';
export const SDP_UNSUPPORTED_TRANSPORT = 'SDP_UNSUPPORTED_TRANSPORT';

/** Transport protocols we run (RTP/AVPF: RFC 4585 §5, an AVPF endpoint interworks with plain RTCP). */
export const SUPPORTED_PROTOCOLS: readonly string[] = ['RTP/AVP', 'RTP/AVPF'];
/** SRTP profiles (RFC 3711 RTP/SAVP, RFC 5124 RTP/SAVPF, DTLS-SRTP UDP/TLS/RTP/SAVP[F]). */
const SRTP_PROTOCOL = /SAVP/i;
/**
 * Formats that are not an audio codec to choose: DTMF (RFC 4733), comfort noise (RFC 3389), and the
 * recovery formats RED (RFC 2198) and RTX (RFC 4588), negotiated beside the codec (recovery.ts).
 */
const AUXILIARY_FORMATS: readonly string[] = ['telephone-event', 'cn', 'red', 'rtx'];

/** One m-line of the peer, as negotiation needs it. Plain data. */
export interface PeerMedia {
  /** Position in the peer's description (the answer keeps every m-line in place, RFC 3264 §6). */
  index: number;
  type: string;
  protocol: string;
  /** Every format, in m-line order (the offerer's preference, RFC 3264 §5.1). */
  formats: SdpFormat[];
  /** The formats that are audio codecs (DTMF and comfort noise left out). */
  codecFormats: SdpFormat[];
  /** Connection address (media c=, else session c=, RFC 4566 §5.7); absent when there is none. */
  address?: string;
  /** Where RTP and RTCP go: RFC 3605 a=rtcp, else RTP port + 1 (RFC 3550 §11). */
  remote: { address: string; rtpPort: number; rtcpPort: number; rtcpAddress?: string };
  direction: Direction;
  ptimeMs?: number;
  maxPtimeMs?: number;
  /** What the peer announced with b=AS (kbit/s) and b=TIAS (bit/s). */
  bandwidth: { asKbps?: number; tiasBps?: number };
  ebuacip: EbuAcipSet;
  /** The jitter-buffer definition its a=ebuacip selects (jb -> jbdef), if any. */
  jbdef?: EbuAcipJbdef;
  /** The a=crypto lines (RFC 4568), unparsed: security.ts judges them. */
  crypto: string[];
  /** The a=rtcp-fb values (RFC 4585 §4.2), unparsed: recovery.ts reads them. */
  rtcpFb: string[];
  /** Things worth showing an engineer (malformed ebuacip lines ignored). */
  notes: string[];
}

export function isAuxiliary(f: SdpFormat): boolean {
  return f.encodingName !== undefined && AUXILIARY_FORMATS.includes(f.encodingName.toLowerCase());
}

export function isSupportedProtocol(protocol: string): boolean {
  return SUPPORTED_PROTOCOLS.some((p) => p.toLowerCase() === protocol.toLowerCase());
}

/** Reads one m-line of the peer. */
export function readPeerMedia(m: SdpMediaView): PeerMedia {
  const ebuacip = collectEbuAcip(m.ebuacip);
  const jbdef = selectedJbdef(ebuacip);
  return {
    index: m.index,
    type: m.type,
    protocol: m.protocol,
    formats: m.formats,
    codecFormats: m.formats.filter((f) => !isAuxiliary(f)),
    ...(m.address !== undefined ? { address: m.address } : {}),
    remote: {
      address: m.address ?? '',
      rtpPort: m.port,
      rtcpPort: m.rtcp?.port ?? m.port + 1,
      ...(m.rtcp?.address !== undefined ? { rtcpAddress: m.rtcp.address } : {}),
    },
    direction: m.direction,
    ...(m.ptimeMs !== undefined ? { ptimeMs: m.ptimeMs } : {}),
    ...(m.maxPtimeMs !== undefined ? { maxPtimeMs: m.maxPtimeMs } : {}),
    bandwidth: { ...(m.bandwidthAs !== undefined ? { asKbps: m.bandwidthAs } : {}), ...(m.bandwidthTias !== undefined ? { tiasBps: m.bandwidthTias } : {}) },
    ebuacip,
    ...(jbdef ? { jbdef } : {}),
    crypto: m.crypto ?? [],
    rtcpFb: m.rtcpFb ?? [],
    notes: ebuacip.invalid.map((inv) => `ignored a=ebuacip:${inv.value} (${inv.reason})`),
  };
}

const MAX_LISTED = 16;
/** A de-duplicated list for a message, cut after 16 items. */
export function listText(items: readonly string[]): string {
  const unique = [...new Set(items)];
  return unique.length > MAX_LISTED ? `${unique.slice(0, MAX_LISTED).join(', ')}, ...` : unique.join(', ');
}

export type OfferedAudio = { ok: true; streams: PeerMedia[] } | { ok: false; code: string; reason: string };

/**
 * The offer's enabled audio streams over a transport we run, in offer order; or why there is none.
 * `acceptSdes`: RTP/SAVP and RTP/SAVPF (SDES-keyed SRTP) are runnable too (the profile allows SRTP).
 */
export function offeredAudio(offer: SdpSessionView, acceptSdes = false): OfferedAudio {
  const audio = offer.media.filter((m) => m.type.toLowerCase() === 'audio' && m.port !== 0);
  if (audio.length === 0) {
    const types = offer.media.map((m) => (m.port === 0 ? `${m.type} (disabled)` : m.type));
    return { ok: false, code: SDP_NO_AUDIO, reason: `Media type not available: no audio stream offered${types.length > 0 ? ` (offered ${listText(types)})` : ''}` };
  }
  const rtpAudio = audio.filter((m) => isSupportedProtocol(m.protocol) || (acceptSdes && isSdesProtocol(m.protocol)));
  if (rtpAudio.length === 0) {
    const protos = listText(audio.map((m) => m.protocol));
    if (audio.every((m) => SRTP_PROTOCOL.test(m.protocol))) {
      return { ok: false, code: SDP_SRTP_UNSUPPORTED, reason: `Incompatible transport protocol: ${protos} (SRTP) is not supported; offer ${SUPPORTED_PROTOCOLS.join(' or ')}` };
    }
    return { ok: false, code: SDP_UNSUPPORTED_TRANSPORT, reason: `Incompatible transport protocol: ${protos}; we support ${SUPPORTED_PROTOCOLS.join(', ')}` };
  }
  return { ok: true, streams: rtpAudio.map(readPeerMedia) };
}
