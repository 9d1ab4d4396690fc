/**
 * Reading and writing session descriptions (RFC 4566) over sdp-transform, normalised into the few
 * facts offer/answer needs. Pure: no I/O.
 *
 * What sdp-transform does that matters here (checked against sdp-transform 3.0.0):
 * - Attributes it has no grammar for (`a=ebuacip:...`, vendor attributes) land in `invalid` entries
 *   as `{value: 'ebuacip:jb 0'}`; `write()` puts them back as `a=` lines. We read ebuacip from there.
 * - `o=` ids: parsing keeps a number only when it survives `String(Number(v)) === v`, so 20-digit ids
 *   stay strings (lossless). But `write()` formats the session *version* with `%d` (Number()), which
 *   rounds a 20-digit version. We therefore always rewrite the `o=` line ourselves (`writeSdp`).
 * - Lines whose `m=` does not match its grammar (e.g. `m=audio 5004/2 ...`) yield a media entry
 *   without `type`: we report that as malformed.
 * - Lines that are not `x=...` are dropped silently; `k=` and other unknown line types too.
 */
import { isIP } from 'node:net';
import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { writeKnownSdp } from './sdp-text-writer.js';
import { AcipError } from '../util/errors.js';

export const SDP_MALFORMED = 'SDP_MALFORMED';

/** Bounds on what we accept from the network. */
export const SDP_MAX_BYTES = 64 * 1024;
export const SDP_MAX_MEDIA = 16;
export const SDP_MAX_FORMATS = 64;
/** a=group lines read (more are ignored); each lists at most SDP_MAX_MEDIA tags. */
export const SDP_MAX_GROUPS = 8;
/** Longest a=mid or group tag kept; a longer one is cut and then matches nothing. */
export const SDP_MAX_MID_LENGTH = 64;

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

/** The `o=` line (RFC 4566 §5.2). Ids are decimal strings: they can exceed 2^53. */
export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  address: string;
  ipVer: 4 | 6;
}

/** One payload format of an m-line, with its rtpmap (explicit, or RFC 3551 static) and fmtp. */
export interface SdpFormat {
  payloadType: number;
  /** Absent when a dynamic payload type has no rtpmap. */
  encodingName?: string;
  clockRate?: number;
  /** rtpmap's encoding parameters for audio: the channel count (absent = 1, RFC 4566 §6). */
  channels?: number;
  fmtp?: string;
  /** True when the rtpmap came from the RFC 3551 static table rather than an a=rtpmap line. */
  fromStaticTable: boolean;
}

export interface SdpMediaView {
  index: number;
  type: string;
  port: number;
  protocol: string;
  /** The m-line's format list verbatim (echoed when we reject the stream with port 0, RFC 3264 §6). */
  rawFormats: string;
  /** In m-line order (the offerer's preference, RFC 3264 §5.1). */
  formats: SdpFormat[];
  /** Connection address: media-level c= if present, else session-level (RFC 4566 §5.7). */
  address?: string;
  ipVer?: 4 | 6;
  /** Media-level direction, else session-level, else sendrecv (RFC 3264 §5.1). */
  direction: Direction;
  ptimeMs?: number;
  maxPtimeMs?: number;
  /** b= lines: media level overrides session level per type. AS in kbit/s, TIAS in bit/s. */
  bandwidthAs?: number;
  bandwidthTias?: number;
  /** RFC 3605 a=rtcp. */
  rtcp?: { port: number; address?: string };
  /** Values of the a=ebuacip: lines (without the `ebuacip:` prefix). */
  ebuacip: string[];
  /** Values of the a=crypto lines (RFC 4568 §9.1), without the `crypto:` prefix, unparsed. */
  crypto?: string[];
  /** Values of the a=rtcp-fb lines (RFC 4585 §4.2), e.g. `111 nack`. */
  rtcpFb?: string[];
  /** Other attributes sdp-transform did not understand, verbatim (`name:value`). */
  otherAttributes: string[];
  /** RFC 5888 §4 a=mid, verbatim (grouping.ts judges it); absent when the m-line has none. */
  mid?: string;
  /** RFC 5576 §4.2 a=ssrc-group semantics on this m-line (e.g. DUP, RFC 7104 §4.1). */
  ssrcGroups?: string[];
}

/** One RFC 5888 §5 a=group line: its semantics and identification tags, verbatim. */
export interface SdpGroup {
  semantics: string;
  mids: string[];
}

export interface SdpSessionView {
  origin: SdpOrigin;
  sessionName: string;
  media: SdpMediaView[];
  /** Session-level a=group lines (RFC 5888 §5), at most SDP_MAX_GROUPS of them. */
  groups: SdpGroup[];
  /** a=group lines that are not "group:<semantics> <tag> ..." (sdp-transform leaves them unparsed). */
  malformedGroups: string[];
}

/**
 * RFC 3551 §6 Table 4: static audio payload types, used when an offer lists one without a=rtpmap
 * (allowed for static types). Channels absent = 1.
 */
export const RFC3551_STATIC_AUDIO: ReadonlyMap<number, { encodingName: string; clockRate: number; channels?: number }> = new Map([
  [0, { encodingName: 'PCMU', clockRate: 8000 }],
  [3, { encodingName: 'GSM', clockRate: 8000 }],
  [4, { encodingName: 'G723', clockRate: 8000 }],
  [5, { encodingName: 'DVI4', clockRate: 8000 }],
  [6, { encodingName: 'DVI4', clockRate: 16000 }],
  [7, { encodingName: 'LPC', clockRate: 8000 }],
  [8, { encodingName: 'PCMA', clockRate: 8000 }],
  [9, { encodingName: 'G722', clockRate: 8000 }],
  [10, { encodingName: 'L16', clockRate: 44100, channels: 2 }],
  [11, { encodingName: 'L16', clockRate: 44100, channels: 1 }],
  [12, { encodingName: 'QCELP', clockRate: 8000 }],
  [13, { encodingName: 'CN', clockRate: 8000 }],
  [14, { encodingName: 'MPA', clockRate: 90000 }],
  [15, { encodingName: 'G728', clockRate: 8000 }],
  [16, { encodingName: 'DVI4', clockRate: 11025 }],
  [17, { encodingName: 'DVI4', clockRate: 22050 }],
  [18, { encodingName: 'G729', clockRate: 8000 }],
]);

function malformed(message: string, field = 'body'): AcipError {
  return new AcipError(SDP_MALFORMED, message, field);
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function ipVerOf(v: unknown): 4 | 6 | undefined {
  return v === 4 || v === '4' ? 4 : v === 6 || v === '6' ? 6 : undefined;
}

function finiteNonNeg(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

function bandwidthOf(list: SessionDescription['bandwidth'], type: 'AS' | 'TIAS'): number | undefined {
  if (!list) return undefined;
  for (const b of list) {
    if (b.type === type) {
      const n = typeof b.limit === 'number' ? b.limit : Number(b.limit);
      if (Number.isFinite(n) && n >= 0) return n;
    }
  }
  return undefined;
}

function directionOf(v: unknown): Direction | undefined {
  return DIRECTIONS.find((d) => d === v);
}

function parsePayloadTypes(m: MediaDescription, index: number): number[] {
  const text = m.payloads === undefined ? '' : String(m.payloads).trim();
  if (text === '') throw malformed(`m-line ${index} lists no formats (RFC 4566 §5.14 requires at least one)`, `m[${index}]`);
  const tokens = text.split(/\s+/);
  if (tokens.length > SDP_MAX_FORMATS) throw malformed(`m-line ${index} lists more than ${SDP_MAX_FORMATS} formats`, `m[${index}]`);
  return tokens.map((t) => {
    // RTP/AVP formats are payload type numbers 0..127 (RFC 3551 §3).
    if (!/^\d{1,3}$/.test(t) || Number(t) > 127) return -1;
    return Number(t);
  });
}

function readMedia(m: MediaDescription, index: number, session: SessionDescription): SdpMediaView {
  if (typeof m.type !== 'string' || m.type === '' || typeof m.protocol !== 'string' || m.protocol === '') {
    throw malformed(`m-line ${index} does not follow "m=<media> <port> <proto> <fmt> ..." (RFC 4566 §5.14)`, `m[${index}]`);
  }
  const port = finiteNonNeg(m.port);
  if (port === undefined || port > 65535 || !Number.isInteger(port)) throw malformed(`m-line ${index} has a bad port`, `m[${index}]`);
  const isRtp = /^(UDP\/TLS\/)?RTP\//i.test(m.protocol);
  const rtpmaps = new Map<number, { codec: string; rate?: number; encoding?: number }>();
  for (const r of m.rtp ?? []) if (typeof r.payload === 'number') rtpmaps.set(r.payload, r);
  const fmtps = new Map<number, string>();
  for (const f of m.fmtp ?? []) if (typeof f.payload === 'number' && typeof f.config === 'string') fmtps.set(f.payload, f.config);

  const formats: SdpFormat[] = [];
  if (isRtp) {
    for (const pt of parsePayloadTypes(m, index)) {
      if (pt < 0) continue; // a non-numeric RTP format cannot be used; ignore it rather than refuse the call
      const r = rtpmaps.get(pt);
      const fmtp = fmtps.get(pt);
      if (r && typeof r.codec === 'string' && r.codec !== '') {
        const rate = typeof r.rate === 'number' && Number.isFinite(r.rate) ? r.rate : undefined;
        const ch = r.encoding === undefined ? undefined : Number(r.encoding);
        formats.push({
          payloadType: pt,
          encodingName: r.codec,
          ...(rate !== undefined ? { clockRate: rate } : {}),
          ...(ch !== undefined && Number.isInteger(ch) && ch > 0 ? { channels: ch } : {}),
          ...(fmtp !== undefined ? { fmtp } : {}),
          fromStaticTable: false,
        });
      } else {
        const s = RFC3551_STATIC_AUDIO.get(pt);
        formats.push({
          payloadType: pt,
          ...(s ? { encodingName: s.encodingName, clockRate: s.clockRate } : {}),
          ...(s?.channels !== undefined ? { channels: s.channels } : {}),
          ...(fmtp !== undefined ? { fmtp } : {}),
          fromStaticTable: s !== undefined,
        });
      }
    }
  }

  const conn = m.connection ?? session.connection;
  const address = conn ? str(conn.ip) : undefined;
  const ipVer = conn ? ipVerOf(conn.version) : undefined;
  const ebuacip: string[] = [];
  const otherAttributes: string[] = [];
  for (const inv of m.invalid ?? []) {
    const v = String(inv.value);
    const mm = /^ebuacip:(.*)$/i.exec(v);
    if (mm) ebuacip.push(mm[1] ?? '');
    else otherAttributes.push(v);
  }
  const rtcpPort = m.rtcp ? finiteNonNeg(m.rtcp.port) : undefined;
  const rtcpAddress = m.rtcp ? str(m.rtcp.address) : undefined;
  const ptime = finiteNonNeg(m.ptime);
  const maxptime = finiteNonNeg(m.maxptime);
  const as = bandwidthOf(m.bandwidth, 'AS') ?? bandwidthOf(session.bandwidth, 'AS');
  const tias = bandwidthOf(m.bandwidth, 'TIAS') ?? bandwidthOf(session.bandwidth, 'TIAS');
  return {
    index,
    type: m.type,
    port,
    protocol: m.protocol,
    rawFormats: m.payloads === undefined ? '' : String(m.payloads).trim(),
    formats,
    ...(address !== undefined && address !== '' ? { address } : {}),
    ...(ipVer !== undefined ? { ipVer } : {}),
    direction: directionOf(m.direction) ?? directionOf(session.direction) ?? 'sendrecv',
    ...(ptime !== undefined && ptime > 0 ? { ptimeMs: ptime } : {}),
    ...(maxptime !== undefined && maxptime > 0 ? { maxPtimeMs: maxptime } : {}),
    ...(as !== undefined ? { bandwidthAs: as } : {}),
    ...(tias !== undefined ? { bandwidthTias: tias } : {}),
    ...(rtcpPort !== undefined && rtcpPort > 0 && rtcpPort <= 65535 ? { rtcp: { port: rtcpPort, ...(rtcpAddress ? { address: rtcpAddress } : {}) } } : {}),
    ebuacip,
    crypto: (m.crypto ?? []).map((c) => `${String(c.id)} ${String(c.suite)} ${String(c.config)}${c.sessionConfig ? ` ${String(c.sessionConfig)}` : ''}`),
    rtcpFb: (m.rtcpFb ?? []).map((f) => `${String(f.payload)} ${String(f.type)}${f.subtype ? ` ${String(f.subtype)}` : ''}`),
    otherAttributes,
    ...(m.mid !== undefined && String(m.mid) !== '' ? { mid: String(m.mid).slice(0, SDP_MAX_MID_LENGTH + 1) } : {}),
    ...(m.ssrcGroups && m.ssrcGroups.length > 0 ? { ssrcGroups: m.ssrcGroups.slice(0, SDP_MAX_GROUPS).map((g) => String(g.semantics)) } : {}),
  };
}

/** The session's a=group lines, bounded; those sdp-transform could not split are kept apart. */
function readGroups(session: SessionDescription): { groups: SdpGroup[]; malformedGroups: string[] } {
  const groups = (session.groups ?? []).slice(0, SDP_MAX_GROUPS).map((g) => ({
    semantics: String(g.type),
    mids: String(g.mids ?? '')
      .trim()
      .split(/\s+/)
      .filter((t) => t !== '')
      .slice(0, SDP_MAX_MEDIA + 1)
      .map((t) => t.slice(0, SDP_MAX_MID_LENGTH + 1)),
  }));
  const malformedGroups = (session.invalid ?? [])
    .map((i) => String(i.value))
    .filter((v) => /^group:/i.test(v))
    .slice(0, SDP_MAX_GROUPS)
    .map((v) => v.slice(0, 2 * SDP_MAX_MID_LENGTH));
  return { groups, malformedGroups };
}

/**
 * Parses an SDP body. Throws AcipError(SDP_MALFORMED, field) when the body is not a usable session
 * description (missing v=/o=/m= syntax, oversize). Tolerates unknown attributes and line types.
 */
export function readSdp(text: string): SdpSessionView {
  if (typeof text !== 'string' || text.trim() === '') throw malformed('empty session description');
  if (Buffer.byteLength(text, 'utf8') > SDP_MAX_BYTES) throw malformed(`session description larger than ${SDP_MAX_BYTES} bytes`);
  // RFC 4566 §5: the first line is v=0.
  if (!/^\s*v=0\s*(\r\n|\r|\n)/.test(text)) throw malformed('the first line is not "v=0" (RFC 4566 §5.1)', 'v');
  let session: SessionDescription;
  try {
    session = parse(text);
  } catch (err) {
    throw malformed(`not parseable: ${(err as Error).message}`);
  }
  const o = session.origin;
  if (!o) throw malformed('no valid "o=" line (RFC 4566 §5.2)', 'o');
  const sessionId = str(o.sessionId);
  const sessionVersion = str(o.sessionVersion);
  const ipVer = ipVerOf(o.ipVer);
  if (sessionId === undefined || sessionId === '' || sessionVersion === undefined || sessionVersion === '' || ipVer === undefined) {
    throw malformed('"o=" line lacks its session id, version or address type (RFC 4566 §5.2)', 'o');
  }
  const media = session.media ?? [];
  if (media.length > SDP_MAX_MEDIA) throw malformed(`more than ${SDP_MAX_MEDIA} m-lines`, 'm');
  return {
    origin: { username: str(o.username) ?? '-', sessionId, sessionVersion, address: str(o.address) ?? '', ipVer },
    sessionName: str(session.name) ?? '-',
    media: media.map((m, i) => readMedia(m, i, session)),
    ...readGroups(session),
  };
}

/** IPv4 or IPv6 by the address's syntax; host names count as IPv4 (RFC 4566 allows FQDNs). */
export function addressFamily(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}

/** A decimal string plus one, exact at any length (o= versions may exceed 2^53). */
export function incrementDecimal(value: string): string {
  if (!/^\d+$/.test(value)) throw new AcipError(SDP_MALFORMED, `not a decimal number: ${JSON.stringify(value)}`, 'o');
  return (BigInt(value) + 1n).toString();
}

const TOKEN_RE = /^[\x21-\x7e]+$/;

/** The o= line, written by us so that ids of any length stay exact. */
export function formatOrigin(o: SdpOrigin): string {
  for (const [k, v] of [
    ['username', o.username],
    ['address', o.address],
  ] as const) {
    if (!TOKEN_RE.test(v)) throw new AcipError(SDP_MALFORMED, `o= ${k} must be a non-empty token without spaces`, 'o');
  }
  if (!/^\d+$/.test(o.sessionId) || !/^\d+$/.test(o.sessionVersion)) throw new AcipError(SDP_MALFORMED, 'o= session id and version must be decimal', 'o');
  return `o=${o.username} ${o.sessionId} ${o.sessionVersion} IN IP${o.ipVer} ${o.address}`;
}

/**
 * Writes a session description with sdp-transform, then puts our own `o=` line in (see the note at
 * the top: sdp-transform would round a long session version). CRLF line ends (RFC 4566 §5).
 */
export function writeSdp(desc: SessionDescription, origin: SdpOrigin): string {
  const o = formatOrigin(origin);
  // Our own offers and answers take the short path (the same text; see sdp-text-writer.ts).
  const known = writeKnownSdp(desc, o);
  if (known !== undefined) return known;
  const text = write(desc);
  const lines = text.split('\r\n');
  const i = lines.findIndex((l) => l.startsWith('o='));
  if (i >= 0) lines[i] = o;
  else lines.splice(1, 0, o);
  return lines.join('\r\n');
}
