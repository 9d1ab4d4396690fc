/**
 * SDP offer/answer (RFC 3264) for one audio stream, driven by a profile.
 *
 * - buildOffer: one audio m-line, payload types in the profile's order (EBU Tech 3326: the user sets
 *   the priority), static payload types where the codec has one, dynamic ones from 96 otherwise.
 * - answerOffer: the first codec of OURS (profile order) that the offer supports, answered with the
 *   offerer's payload type number (RFC 3264 §6.1); otherwise 488 with a Warning (RFC 3261 §20.43).
 * - applyAnswer: the offerer's side.
 * - buildReoffer / answering with `previous`: same o= session id; version + 1 when the description
 *   changed, unchanged for a refresh (RFC 3264 §8).
 *
 * Everything codec-specific comes from the codec records (codec-match.ts); everything returned is
 * plain data (the link passes NegotiatedMedia to the media session, possibly in a worker).
 */
import { randomBytes } from 'node:crypto';
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import type { CodecId, CodecParams } from '../codecs/codec.js';
import { codecRegistry, type CodecRegistry } from '../codecs/registry.js';
import type { JitterBufferSettings, Profile } from '../config/profile-schema.js';
import { AcipError } from '../util/errors.js';
import {
  bandwidthFor,
  SDP_BAD_PROFILE,
  choosePtime,
  encoderParams,
  formatText,
  matchChoice,
  peerFmtp,
  resolveProfile,
  rtpmapCarriesChannels,
  rtpmapText,
  type ResolvedChoice,
} from './codec-match.js';
import {
  collectEbuAcip,
  EBUACIP_ATTRIBUTE,
  ebuAcipSetToValues,
  emptyEbuAcipSet,
  jbdefToSettings,
  plengthFor,
  selectedJbdef,
  settingsToJbdef,
  type EbuAcipSet,
} from './ebuacip.js';
import {
  addressFamily,
  incrementDecimal,
  readSdp,
  SDP_MALFORMED,
  writeSdp,
  type Direction,
  type SdpFormat,
  type SdpMediaView,
  type SdpOrigin,
  type SdpSessionView,
} from './sdp-model.js';

export type { Direction, SdpOrigin } from './sdp-model.js';

export const SDP_NO_AUDIO = 'SDP_NO_AUDIO';
export const SDP_SRTP_UNSUPPORTED = 'SDP_SRTP_UNSUPPORTED';
export const SDP_UNSUPPORTED_TRANSPORT = 'SDP_UNSUPPORTED_TRANSPORT';
export const SDP_NO_COMMON_CODEC = 'SDP_NO_COMMON_CODEC';
export const SDP_ANSWER_MISMATCH = 'SDP_ANSWER_MISMATCH';

/** Transport protocols we run (RTP/AVPF: RFC 4585 §5, an AVPF endpoint interworks with plain RTCP). */
const SUPPORTED_PROTOCOLS: readonly string[] = ['RTP/AVP', 'RTP/AVPF'];
/** SRTP profiles (RFC 3711 RTP/SAVP, RFC 5124 RTP/SAVPF, DTLS-SRTP UDP/TLS/RTP/SAVP[F]). */
const SRTP_PROTOCOL = /SAVP/i;
/** Formats that are not an audio codec to choose: DTMF (RFC 4733) and comfort noise (RFC 3389). */
const AUXILIARY_FORMATS: readonly string[] = ['telephone-event', 'cn'];
/** Tech 3368 version we follow. */
const EBUACIP_VERSION = 0;
/** Longest a=maxptime we announce (RFC 4566 §6; common practice stays at or below 120 ms). */
const MAX_ANNOUNCED_PTIME_MS = 120;
const FIRST_DYNAMIC_PT = 96;
const LAST_DYNAMIC_PT = 127;

const SENDS: Readonly<Record<Direction, boolean>> = { sendrecv: true, sendonly: true, recvonly: false, inactive: false };
const RECEIVES: Readonly<Record<Direction, boolean>> = { sendrecv: true, sendonly: false, recvonly: true, inactive: false };

export function directionOf(sends: boolean, receives: boolean): Direction {
  return sends ? (receives ? 'sendrecv' : 'sendonly') : receives ? 'recvonly' : 'inactive';
}

// ---------------------------------------------------------------------------------------------
// Types

/** What we offered for one codec. */
export interface OfferedCodec {
  payloadType: number;
  codecId: CodecId;
  /** The rtpmap form we wrote (`opus/48000/2`). */
  rtpmap: string;
  fmtp?: string;
  /** Our parameters for this codec (audio rate, channels, packet time, bitrate...). */
  params: CodecParams;
  /** Index in the profile's codec list. */
  choiceIndex: number;
}

/** Our side of a session: what a later re-offer or re-answer needs (plain data). */
export interface LocalSession {
  origin: SdpOrigin;
  sessionName: string;
  profile: Profile;
  localAddress: string;
  rtpPort: number;
  /** Written as RFC 3605 a=rtcp only when it is not rtpPort + 1. */
  rtcpPort?: number;
  /** Our direction before negotiation (the profile's unless overridden, e.g. for hold). */
  direction: Direction;
  /** Tech 3368 qosrec parameters to advertise, if any (baresip writes the DSCP value, e.g. "46"). */
  qosrec?: string;
  /** The body we sent last (RFC 3264 §8: an unchanged description keeps its o= version). */
  sdp?: string;
}

export interface LocalOffer extends LocalSession {
  codecs: OfferedCodec[];
  ebuacip: EbuAcipSet;
}

export interface OfferResult {
  sdp: string;
  offered: LocalOffer;
}

/** The negotiated stream, as the link passes it to the media session. Plain and serialisable. */
export interface NegotiatedMedia {
  codecId: CodecId;
  /** Encoding name as the peer wrote it (display). */
  encodingName: string;
  payloadType: number;
  /** RTP timestamp clock (G.722: 8000). */
  rtpClockRate: number;
  /** Audio rate of frames in and out of the codec (G.722: 16000). */
  audioSampleRate: number;
  /** Channels of the link's audio (input and output). With Opus the encoded stream may be mono (codecParams.channels). */
  channels: number;
  /** Packet time we send. The decoder accepts any packet duration the peer sends. */
  ptimeMs: number;
  /** Encoder parameters: what we send (after the peer's fmtp preferences and caps). */
  codecParams: CodecParams;
  /** Decoder parameters: what we asked to receive. */
  decoderParams: CodecParams;
  remote: { address: string; rtpPort: number; rtcpPort: number; rtcpAddress?: string };
  /** Our direction after negotiation. */
  direction: Direction;
  localSends: boolean;
  localReceives: boolean;
  /** For OUR receive buffer: the profile's settings, or the peer's jbdef when the profile allows it. */
  jitterBuffer: JitterBufferSettings & { source: 'profile' | 'peer' };
  ebuacip: { ours: EbuAcipSet; theirs: EbuAcipSet };
  fmtp: { ours?: string; theirs?: string };
  /** Bandwidth the peer announced (b=AS kbit/s, b=TIAS bit/s), if any. */
  peerBandwidth: { asKbps?: number; tiasBps?: number };
  /** Things worth showing an engineer (a malformed peer fmtp ignored, a packet time adjusted...). */
  notes: string[];
}

export interface AnswerOk {
  ok: true;
  sdp: string;
  negotiated: NegotiatedMedia;
  /** Keep for a re-answer or our own re-offer. */
  local: LocalSession;
  remoteOrigin: SdpOrigin;
}

export interface AnswerRejected {
  ok: false;
  /** 488 Not Acceptable Here (RFC 3261 §21.4.26), or 400 for a body that is not SDP at all. */
  status: 400 | 488;
  code: string;
  /** Human text (also the warn-text). */
  reason: string;
  /** Value for a Warning header (RFC 3261 §20.43): `305 acip "..."`. */
  warning: string;
}

export type AnswerResult = AnswerOk | AnswerRejected;

export type ApplyAnswerResult = { ok: true; negotiated: NegotiatedMedia; remoteOrigin: SdpOrigin } | { ok: false; code: string; reason: string };

export interface LocalOptions {
  profile: Profile;
  localAddress: string;
  rtpPort: number;
  rtcpPort?: number;
  /** o= fields (defaults: '-', a random 62-bit id, version 1). Ids are decimal strings. */
  username?: string;
  sessionId?: string;
  sessionVersion?: string;
  sessionName?: string;
  /** Overrides the profile's direction (hold: 'sendonly' / 'inactive'). */
  direction?: Direction;
  qosrec?: string;
  /** The codec registry (default: the shipped one). */
  codecs?: CodecRegistry;
}

export interface AnswerOptions extends LocalOptions {
  /** Our previous local session in this dialog: answering a re-offer keeps its o= id, version + 1. */
  previous?: LocalSession;
  /** warn-agent of the Warning header (RFC 3261 §20.43: host[:port] or a pseudonym). Default 'acip'. */
  warnAgent?: string;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** A random session id: 62 bits as decimal digits (RFC 4566 §5.2 suggests an NTP time; any unique number will do). */
export function newSessionId(): string {
  return (randomBytes(8).readBigUInt64BE() >> 2n).toString();
}

function makeLocal(opts: LocalOptions): LocalSession {
  const username = opts.username ?? '-';
  const origin: SdpOrigin = {
    username,
    sessionId: opts.sessionId ?? newSessionId(),
    sessionVersion: opts.sessionVersion ?? '1',
    address: opts.localAddress,
    ipVer: addressFamily(opts.localAddress),
  };
  return {
    origin,
    sessionName: opts.sessionName ?? 'acip',
    profile: opts.profile,
    localAddress: opts.localAddress,
    rtpPort: opts.rtpPort,
    ...(opts.rtcpPort !== undefined ? { rtcpPort: opts.rtcpPort } : {}),
    direction: opts.direction ?? opts.profile.direction,
    ...(opts.qosrec !== undefined ? { qosrec: opts.qosrec } : {}),
  };
}

function checkPort(port: number, field: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AcipError(SDP_MALFORMED, `${field} must be 1..65535, got ${port}`, field);
}

/** Our ebuacip lines: version, jb, jbdef from the profile's buffer, qosrec, and plength where given. */
function ourEbuAcip(local: LocalSession, plengths: { payloadType: number; ptimeMs: number }[]): EbuAcipSet {
  const set = emptyEbuAcipSet();
  set.version = EBUACIP_VERSION;
  set.jbOption = 0;
  set.jbdefs.push(settingsToJbdef(0, local.profile.jitterBuffer));
  if (local.qosrec !== undefined) set.qosrec.push(local.qosrec);
  set.plengths.push(...plengths);
  return set;
}

function sessionSkeleton(local: LocalSession, media: MediaDescription[]): SessionDescription {
  return {
    version: 0,
    // Rewritten by writeSdp (ids kept exact); present so that the writer keeps its place.
    origin: { username: local.origin.username, sessionId: 0, sessionVersion: 0, netType: 'IN', ipVer: local.origin.ipVer, address: local.origin.address },
    name: local.sessionName,
    connection: { version: addressFamily(local.localAddress), ip: local.localAddress },
    timing: { start: 0, stop: 0 },
    media,
  };
}

function ebuacipLines(set: EbuAcipSet): { value: string }[] {
  return ebuAcipSetToValues(set).map((v) => ({ value: `${EBUACIP_ATTRIBUTE}:${v}` }));
}

function rtcpAttribute(local: LocalSession): MediaDescription['rtcp'] | undefined {
  // RFC 3605: only needed when RTCP is not on the next port.
  return local.rtcpPort !== undefined && local.rtcpPort !== local.rtpPort + 1 ? { port: local.rtcpPort } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Offer

function assignPayloadTypes(resolved: ResolvedChoice[]): (number | undefined)[] {
  const used = new Set<number>();
  const seen = new Set<string>();
  const out: (number | undefined)[] = [];
  for (const rc of resolved) {
    const key = `${rtpmapText(rc.record, rc.params)}|${rc.record.formatFmtp(rc.params) ?? ''}`;
    // The same codec form twice in a profile adds nothing to an offer.
    if (seen.has(key)) {
      out.push(undefined);
      continue;
    }
    seen.add(key);
    const st = rc.record.staticPayloadType;
    // RFC 3551 §6: a static payload type implies its clock rate; use it only when ours matches.
    if (st !== undefined && !used.has(st)) {
      used.add(st);
      out.push(st);
      continue;
    }
    let pt = FIRST_DYNAMIC_PT;
    while (used.has(pt) && pt <= LAST_DYNAMIC_PT) pt++;
    if (pt > LAST_DYNAMIC_PT) throw new AcipError(SDP_BAD_PROFILE, 'more codecs than dynamic payload types', 'codecs');
    used.add(pt);
    out.push(pt);
  }
  return out;
}

function offerFrom(local: LocalSession, codecs: CodecRegistry): OfferResult {
  checkPort(local.rtpPort, 'rtpPort');
  if (local.rtcpPort !== undefined) checkPort(local.rtcpPort, 'rtcpPort');
  const resolved = resolveProfile(local.profile, codecs);
  const pts = assignPayloadTypes(resolved);
  const offered: OfferedCodec[] = [];
  resolved.forEach((rc, i) => {
    const pt = pts[i];
    if (pt === undefined) return;
    const fmtp = rc.record.formatFmtp(rc.params);
    offered.push({
      payloadType: pt,
      codecId: rc.record.id,
      rtpmap: rtpmapText(rc.record, rc.params),
      ...(fmtp !== undefined ? { fmtp } : {}),
      params: rc.params,
      choiceIndex: rc.choiceIndex,
    });
  });
  const profilePtime = local.profile.ptimeMs;
  // a=ptime is one value for the m-line: the profile's. Codecs that run at another packet time say
  // so per payload type with Tech 3368 a=ebuacip:plength.
  const plengths = offered.filter((o) => o.params.ptimeMs !== profilePtime).map((o) => ({ payloadType: o.payloadType, ptimeMs: o.params.ptimeMs }));
  const ebuacip = ourEbuAcip(local, plengths);
  const maxPtime = Math.min(
    MAX_ANNOUNCED_PTIME_MS,
    Math.max(...resolved.map((rc) => rc.record.ptime.maxMs(rc.params))),
  );
  // b=AS/b=TIAS: enough for the most demanding codec offered.
  const ipVer = addressFamily(local.localAddress);
  let bw = { tiasBps: 0, asKbps: 0 };
  for (const o of offered) {
    const rec = codecs.get(o.codecId);
    const b = bandwidthFor(rec, o.params, ipVer);
    if (b.tiasBps > bw.tiasBps) bw = b;
  }
  const rtcp = rtcpAttribute(local);
  const media: MediaDescription = {
    type: 'audio',
    port: local.rtpPort,
    protocol: 'RTP/AVP',
    payloads: offered.map((o) => o.payloadType).join(' '),
    rtp: offered.map((o) => rtpEntry(o.payloadType, o.rtpmap)),
    fmtp: offered.filter((o) => o.fmtp !== undefined).map((o) => ({ payload: o.payloadType, config: o.fmtp as string })),
    bandwidth: [
      { type: 'AS', limit: bw.asKbps },
      { type: 'TIAS', limit: bw.tiasBps },
    ],
    ptime: profilePtime,
    maxptime: Math.max(maxPtime, profilePtime),
    direction: local.direction,
    ...(rtcp ? { rtcp } : {}),
    invalid: ebuacipLines(ebuacip),
  };
  const sdp = writeSdp(sessionSkeleton(local, [media]), local.origin);
  return { sdp, offered: { ...local, sdp, codecs: offered, ebuacip } };
}

function rtpEntry(payload: number, rtpmap: string): { payload: number; codec: string; rate: number; encoding?: number } {
  const [codec = '', rate = '0', ch] = rtpmap.split('/');
  return { payload, codec, rate: Number(rate), ...(ch !== undefined ? { encoding: Number(ch) } : {}) };
}

/** An offer with one audio m-line built from the profile (RFC 3264 §5). Throws AcipError(SDP_BAD_PROFILE) on an unusable profile. */
export function buildOffer(opts: LocalOptions): OfferResult {
  return offerFrom(makeLocal(opts), opts.codecs ?? codecRegistry);
}

/**
 * A new offer in an existing session (mid-call codec change, hold): same o= session id, version
 * incremented (RFC 3264 §8). `profile` defaults to the previous one.
 */
export function buildReoffer(
  previous: LocalSession,
  profile: Profile = previous.profile,
  overrides: { direction?: Direction; localAddress?: string; rtpPort?: number; rtcpPort?: number; qosrec?: string; codecs?: CodecRegistry } = {},
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
  if (rtcpPort !== undefined) local.rtcpPort = rtcpPort;
  if (qosrec !== undefined) local.qosrec = qosrec;
  return nextVersion(previous, local, (l) => offerFrom(l, overrides.codecs ?? codecRegistry), (r) => r.sdp);
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
// Shared negotiation of one matched format

interface Matched {
  rc: ResolvedChoice;
  format: SdpFormat;
  link: { sampleRate: number; channels: number };
}

function isAuxiliary(f: SdpFormat): boolean {
  return f.encodingName !== undefined && AUXILIARY_FORMATS.includes(f.encodingName.toLowerCase());
}

function usableAddress(a: string | undefined): a is string {
  // RFC 3264 §8.4: c=0.0.0.0 is the old way of putting a stream on hold.
  return a !== undefined && a !== '0.0.0.0' && a !== '::' && a !== '';
}

interface PeerView {
  theirs: EbuAcipSet;
  fmtp: ReturnType<typeof peerFmtp>;
  sendPtimeMs: number;
  notes: string[];
}

/**
 * What the peer said about the matched format, and the packet time we send: the peer's wish (its
 * Tech 3368 plength for that payload type, else its a=ptime, else an fmtp ptime), within its
 * a=maxptime (RFC 4566 §6) and what the codec can carry; else ours.
 */
function readPeer(m: Matched, peer: SdpMediaView): PeerView {
  const rec = m.rc.record;
  const notes: string[] = [];
  const theirs = collectEbuAcip(peer.ebuacip);
  for (const inv of theirs.invalid) notes.push(`ignored a=ebuacip:${inv.value} (${inv.reason})`);
  const fmtp = peerFmtp(rec, m.format.fmtp);
  if (fmtp.problem) notes.push(fmtp.problem);
  const peerMaxPtime = minDefined(peer.maxPtimeMs, fmtp.params.maxPtimeMs);
  const peerPtime = plengthFor(theirs, m.format.payloadType) ?? peer.ptimeMs ?? fmtp.params.ptimeMs;
  const base: CodecParams = { ...m.rc.params, sampleRate: m.link.sampleRate, channels: m.link.channels };
  const sendPtimeMs = choosePtime(rec, base, [peerPtime, m.rc.params.ptimeMs, rec.defaultPtimeMs], peerMaxPtime);
  if (peerPtime !== undefined && sendPtimeMs !== peerPtime) {
    notes.push(
      `peer asked for ${peerPtime} ms packets of ${formatText(m.format)}; sending ${sendPtimeMs} ms (codec/MTU limits${peerMaxPtime !== undefined ? `, maxptime ${peerMaxPtime}` : ''})`,
    );
  }
  return { theirs, fmtp, sendPtimeMs, notes };
}

/** Builds the negotiated media of one matched format (both sides use it). */
function negotiate(
  m: Matched,
  peer: SdpMediaView,
  view: PeerView,
  local: LocalSession,
  our: { recvPtimeMs: number; ebuacip: EbuAcipSet; fmtp: string | undefined },
): NegotiatedMedia {
  const rec = m.rc.record;
  const notes = [...view.notes];
  const base: CodecParams = { ...m.rc.params, sampleRate: m.link.sampleRate, channels: m.link.channels };
  const codecParams = encoderParams(m.rc, m.link, view.fmtp.params, view.sendPtimeMs, peer.bandwidthTias);
  const decoderParams: CodecParams = { ...base, ptimeMs: our.recvPtimeMs };

  // RFC 3264 §6.1: what each side does follows from both directions.
  const addressOk = usableAddress(peer.address);
  if (!addressOk) notes.push('peer connection address is 0.0.0.0 (hold, RFC 3264 §8.4): not sending');
  const localSends = SENDS[local.direction] && RECEIVES[peer.direction] && addressOk;
  const localReceives = RECEIVES[local.direction] && SENDS[peer.direction];

  const jbdef = local.profile.acceptPeerJbdef ? selectedJbdef(view.theirs) : undefined;
  const jitterBuffer: NegotiatedMedia['jitterBuffer'] = jbdef ? { ...jbdefToSettings(jbdef), source: 'peer' } : { ...local.profile.jitterBuffer, source: 'profile' };

  return {
    codecId: rec.id,
    encodingName: m.format.encodingName ?? rec.encodingName,
    payloadType: m.format.payloadType,
    rtpClockRate: rec.rtpClockRate({ sampleRate: m.link.sampleRate }),
    audioSampleRate: m.link.sampleRate,
    channels: m.link.channels,
    ptimeMs: view.sendPtimeMs,
    codecParams,
    decoderParams,
    remote: {
      address: peer.address ?? '',
      rtpPort: peer.port,
      // RFC 3605: a=rtcp gives the port (and maybe address); otherwise RTP port + 1 (RFC 3550 §11).
      rtcpPort: peer.rtcp?.port ?? peer.port + 1,
      ...(peer.rtcp?.address !== undefined ? { rtcpAddress: peer.rtcp.address } : {}),
    },
    direction: directionOf(localSends, localReceives),
    localSends,
    localReceives,
    jitterBuffer,
    ebuacip: { ours: our.ebuacip, theirs: view.theirs },
    fmtp: { ...(our.fmtp !== undefined ? { ours: our.fmtp } : {}), ...(m.format.fmtp !== undefined ? { theirs: m.format.fmtp } : {}) },
    peerBandwidth: { ...(peer.bandwidthAs !== undefined ? { asKbps: peer.bandwidthAs } : {}), ...(peer.bandwidthTias !== undefined ? { tiasBps: peer.bandwidthTias } : {}) },
    notes,
  };
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

// ---------------------------------------------------------------------------------------------
// Answer

/** RFC 3261 §25.1 quoted-string content: escape `"` and `\`, drop control characters. */
function quoted(text: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${text.replace(/[\x00-\x1f\x7f]/g, ' ').replace(/(["\\])/g, '\\$1')}"`;
}

/** Warning header value, RFC 3261 §20.43: warn-code SP warn-agent SP warn-text. */
export function warningValue(code: number, agent: string, text: string): string {
  return `${code} ${agent} ${quoted(text)}`;
}

function reject(status: 400 | 488, code: string, warnCode: number, agent: string, reason: string): AnswerRejected {
  return { ok: false, status, code, reason, warning: warningValue(warnCode, agent, reason) };
}

const MAX_LISTED = 16;
function listText(items: string[]): string {
  const unique = [...new Set(items)];
  return unique.length > MAX_LISTED ? `${unique.slice(0, MAX_LISTED).join(', ')}, ...` : unique.join(', ');
}

/**
 * Answers an offer (RFC 3264 §6). On success the answer has the same m-lines as the offer: the first
 * usable audio stream accepted with one codec, every other stream rejected with port 0.
 */
export function answerOffer(offerSdp: string, opts: AnswerOptions): AnswerResult {
  const codecs = opts.codecs ?? codecRegistry;
  const agent = opts.warnAgent ?? 'acip';
  let offer: SdpSessionView;
  try {
    offer = readSdp(offerSdp);
  } catch (err) {
    const msg = err instanceof AcipError ? err.message : String(err);
    // RFC 3261 §20.43 warn-code 399 (miscellaneous); the body is not a session description we can read.
    return reject(400, SDP_MALFORMED, 399, agent, `Malformed SDP: ${msg}`);
  }
  const previous = opts.previous;
  if (!previous) return answerWith(offer, makeLocal(opts), codecs, agent);
  // A re-offer in the same dialog: keep our o= session id (RFC 3264 §8).
  const local: LocalSession = { ...makeLocal(opts), origin: { ...previous.origin, address: opts.localAddress, ipVer: addressFamily(opts.localAddress) } };
  return nextVersion(previous, local, (l) => answerWith(offer, l, codecs, agent), (r) => (r.ok ? r.sdp : ''));
}

function answerWith(offer: SdpSessionView, local: LocalSession, codecs: CodecRegistry, agent: string): AnswerResult {
  checkPort(local.rtpPort, 'rtpPort');
  const resolved = resolveProfile(local.profile, codecs);
  const weSupport = resolved.map((rc) => rtpmapText(rc.record, rc.params));

  const audio = offer.media.filter((m) => m.type.toLowerCase() === 'audio' && m.port !== 0);
  if (audio.length === 0) {
    const types = offer.media.map((m) => (m.port === 0 ? `${m.type} (disabled)` : m.type));
    return reject(488, SDP_NO_AUDIO, 304, agent, `Media type not available: no audio stream offered${types.length > 0 ? ` (offered ${listText(types)})` : ''}`);
  }
  const rtpAudio = audio.filter((m) => SUPPORTED_PROTOCOLS.some((p) => p.toLowerCase() === m.protocol.toLowerCase()));
  if (rtpAudio.length === 0) {
    const protos = listText(audio.map((m) => m.protocol));
    if (audio.every((m) => SRTP_PROTOCOL.test(m.protocol))) {
      return reject(488, SDP_SRTP_UNSUPPORTED, 302, agent, `Incompatible transport protocol: ${protos} (SRTP) is not supported; offer ${SUPPORTED_PROTOCOLS.join(' or ')}`);
    }
    return reject(488, SDP_UNSUPPORTED_TRANSPORT, 302, agent, `Incompatible transport protocol: ${protos}; we support ${SUPPORTED_PROTOCOLS.join(', ')}`);
  }

  // EBU Tech 3326: OUR priority decides. For each of our codecs in order, look through the offered
  // audio streams (in offer order) for a format that matches it.
  let chosen: (Matched & { media: SdpMediaView }) | undefined;
  for (const rc of resolved) {
    for (const media of rtpAudio) {
      for (const f of media.formats) {
        if (isAuxiliary(f)) continue;
        const link = matchChoice(rc, f, codecs);
        if (link) {
          chosen = { rc, format: f, link, media };
          break;
        }
      }
      if (chosen) break;
    }
    if (chosen) break;
  }
  if (!chosen) {
    const offered = rtpAudio.flatMap((m) => m.formats.filter((f) => !isAuxiliary(f)).map(formatText));
    return reject(
      488,
      SDP_NO_COMMON_CODEC,
      305,
      agent,
      `Incompatible media format: offered ${offered.length > 0 ? listText(offered) : 'no audio codec'}; we support ${listText(weSupport)}`,
    );
  }
  const peer = chosen.media;
  if (peer.address === undefined) {
    return reject(400, SDP_MALFORMED, 399, agent, 'Malformed SDP: no c= line for the audio stream or the session (RFC 4566 §5.7)');
  }
  const rec = chosen.rc.record;
  const view = readPeer(chosen, peer);
  // We answer symmetrically: the packet time we ask to receive is the one we send, because hardware
  // codecs often assume one packet time for both directions.
  const recvPtime = view.sendPtimeMs;
  const ourParams: CodecParams = { ...chosen.rc.params, sampleRate: chosen.link.sampleRate, channels: chosen.link.channels, ptimeMs: recvPtime };
  const ourFmtp = rec.formatFmtp(ourParams);
  const ebuacip = ourEbuAcip(local, []);
  const negotiated = negotiate(chosen, peer, view, local, { recvPtimeMs: recvPtime, ebuacip, fmtp: ourFmtp });

  // b= in an answer: what we are prepared to receive with our parameters.
  const bw = bandwidthFor(rec, ourParams, addressFamily(local.localAddress));
  const rtcp = rtcpAttribute(local);
  const f = chosen.format;
  const accepted: MediaDescription = {
    type: peer.type,
    port: local.rtpPort,
    protocol: peer.protocol,
    // RFC 3264 §6.1: the same payload type number as the offer; we echo its rtpmap spelling too.
    payloads: String(f.payloadType),
    rtp: [
      {
        payload: f.payloadType,
        codec: f.encodingName ?? rec.encodingName,
        rate: f.clockRate ?? rec.rtpClockRate(ourParams),
        ...(f.channels !== undefined ? { encoding: f.channels } : {}),
      },
    ],
    fmtp: ourFmtp !== undefined ? [{ payload: f.payloadType, config: ourFmtp }] : [],
    bandwidth: [
      { type: 'AS', limit: bw.asKbps },
      { type: 'TIAS', limit: bw.tiasBps },
    ],
    ptime: recvPtime,
    maxptime: Math.min(MAX_ANNOUNCED_PTIME_MS, Math.max(recvPtime, rec.ptime.maxMs(ourParams))),
    // RFC 3264 §6.1: sendonly offer -> recvonly answer, recvonly -> sendonly, inactive -> inactive.
    direction: negotiated.direction,
    ...(rtcp ? { rtcp } : {}),
    invalid: ebuacipLines(ebuacip),
  };
  const media: MediaDescription[] = offer.media.map((m) =>
    m === peer
      ? accepted
      : // RFC 3264 §6: a rejected stream keeps its m-line with port 0 and the offered formats.
        { type: m.type, port: 0, protocol: m.protocol, payloads: m.rawFormats === '' ? '0' : m.rawFormats, rtp: [], fmtp: [] },
  );
  const sdp = writeSdp(sessionSkeleton(local, media), local.origin);
  return { ok: true, sdp, negotiated, local: { ...local, sdp }, remoteOrigin: offer.origin };
}

// ---------------------------------------------------------------------------------------------
// Applying an answer (UAC side)

/** Reads the answer to our offer (RFC 3264 §6: it answers each m-line; we used one audio line). */
export function applyAnswer(offered: LocalOffer, answerSdp: string, opts: { codecs?: CodecRegistry } = {}): ApplyAnswerResult {
  const codecs = opts.codecs ?? codecRegistry;
  let answer: SdpSessionView;
  try {
    answer = readSdp(answerSdp);
  } catch (err) {
    return { ok: false, code: SDP_MALFORMED, reason: `Malformed SDP answer: ${(err as Error).message}` };
  }
  // RFC 3264 §6: the answer has exactly as many m-lines as the offer, in the same order.
  const media = answer.media[0];
  if (answer.media.length !== 1 || !media) return { ok: false, code: SDP_ANSWER_MISMATCH, reason: `the answer has ${answer.media.length} m-lines; our offer had 1` };
  if (media.type.toLowerCase() !== 'audio') return { ok: false, code: SDP_ANSWER_MISMATCH, reason: `the answer's m-line is ${media.type}, not audio` };
  if (media.port === 0) return { ok: false, code: SDP_NO_COMMON_CODEC, reason: 'the peer rejected the audio stream (port 0)' };
  if (!SUPPORTED_PROTOCOLS.some((p) => p.toLowerCase() === media.protocol.toLowerCase())) {
    return { ok: false, code: SDP_ANSWER_MISMATCH, reason: `the answer uses ${media.protocol}; we offered RTP/AVP` };
  }
  if (media.address === undefined) return { ok: false, code: SDP_MALFORMED, reason: 'the answer has no c= line (RFC 4566 §5.7)' };
  let resolved: ResolvedChoice[];
  try {
    resolved = resolveProfile(offered.profile, codecs);
  } catch (err) {
    return { ok: false, code: (err as AcipError).code ?? SDP_BAD_PROFILE, reason: (err as Error).message };
  }
  // The answerer's first listed format that we offered is the one it will send and expects (RFC 3264 §7).
  for (const f of media.formats) {
    if (isAuxiliary(f)) continue;
    const ours = offered.codecs.find((o) => o.payloadType === f.payloadType);
    if (!ours) continue;
    const rc = resolved[ours.choiceIndex];
    if (!rc) continue;
    // The answer must keep the payload type's meaning; tolerate an answer that omits the rtpmap of a
    // dynamic payload type by taking the meaning from our offer.
    const format: SdpFormat =
      f.encodingName === undefined
        ? { ...f, ...rtpmapParts(ours.rtpmap) }
        : f;
    const link = matchChoice(rc, format, codecs);
    if (!link) {
      return { ok: false, code: SDP_ANSWER_MISMATCH, reason: `payload type ${f.payloadType} is ${formatText(format)} in the answer but ${ours.rtpmap} in our offer` };
    }
    const matched: Matched = { rc, format, link };
    const negotiated = negotiate(matched, media, readPeer(matched, media), offered, {
      recvPtimeMs: ours.params.ptimeMs,
      ebuacip: offered.ebuacip,
      fmtp: ours.fmtp,
    });
    return { ok: true, negotiated, remoteOrigin: answer.origin };
  }
  const listed = media.formats.map(formatText);
  return { ok: false, code: SDP_ANSWER_MISMATCH, reason: `the answer lists ${listed.length > 0 ? listText(listed) : 'no formats'}, none of which we offered` };
}

function rtpmapParts(rtpmap: string): Pick<SdpFormat, 'encodingName' | 'clockRate' | 'channels'> {
  const [name = '', rate = '0', ch] = rtpmap.split('/');
  return { encodingName: name, clockRate: Number(rate), ...(ch !== undefined ? { channels: Number(ch) } : {}) };
}
