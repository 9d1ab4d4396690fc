/**
 * Codec facts for SDP, read from the codec records (data, not branches: adding a codec adds a record):
 * turning a profile's codec choice into concrete parameters and rtpmap/fmtp, matching a peer's rtpmap
 * to a choice, choosing packet times, the parameters we send, and estimating bandwidth. Nothing here
 * names a particular codec, and nothing here reads or writes SDP text beyond rtpmap and fmtp values.
 */
import type { CodecParams, CodecRecord, FmtpParams } from '../codecs/codec.js';
import { IPV4_HEADER_BYTES, RTP_HEADER_BYTES, UDP_HEADER_BYTES } from '../codecs/codec.js';
import { parseFmtpLine } from '../codecs/fmtp.js';
import type { CodecRegistry } from '../codecs/registry.js';
import type { CodecChoice, Profile } from '../config/profile-schema.js';
import { AcipError } from '../util/errors.js';
import type { SdpFormat } from './sdp-model.js';

export const SDP_BAD_PROFILE = 'SDP_BAD_PROFILE';

const IPV6_HEADER_BYTES = 40;

/**
 * Whether the rtpmap's channel field describes the audio (PCM: `L16/48000/2`) or is fixed by the
 * payload format whatever is sent (Opus: always `/2`, RFC 7587 §7; G.711/G.722: always omitted).
 * Read from the record: if mono and stereo parameters give the same rtpmap, the field is fixed.
 */
export function rtpmapCarriesChannels(rec: CodecRecord): boolean {
  return rec.rtpmapChannels({ channels: 1 }) !== rec.rtpmapChannels({ channels: 2 });
}

/** `opus/48000/2`, `G722/8000`, `L24/48000/2`: the rtpmap form of a record with parameters. */
export function rtpmapText(rec: CodecRecord, params: Pick<CodecParams, 'sampleRate' | 'channels'>): string {
  const ch = rec.rtpmapChannels(params);
  return `${rec.encodingName}/${rec.rtpClockRate(params)}${ch === undefined ? '' : `/${ch}`}`;
}

/** The rtpmap form of a peer's format, as the peer wrote it. */
export function formatText(f: SdpFormat): string {
  if (f.encodingName === undefined) return `PT${f.payloadType}`;
  return `${f.encodingName}/${f.clockRate ?? '?'}${f.channels !== undefined ? `/${f.channels}` : ''}`;
}

function validates(rec: CodecRecord, p: CodecParams): boolean {
  try {
    rec.validate(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Picks a packet time for these parameters: the first candidate the codec accepts (allowed values,
 * MTU limit, whole samples) and that does not exceed `maxPtimeMs` (RFC 4566 §6 a=maxptime); failing
 * that the longest allowed time under the limit; failing that the shortest allowed time at all.
 */
export function choosePtime(rec: CodecRecord, params: CodecParams, candidates: ReadonlyArray<number | undefined>, maxPtimeMs?: number): number {
  const ok = (x: number | undefined): x is number => x !== undefined && (maxPtimeMs === undefined || x <= maxPtimeMs) && validates(rec, { ...params, ptimeMs: x });
  for (const c of candidates) if (ok(c)) return c;
  const grid = ptimeGrid(rec, params);
  const under = grid.filter(ok);
  const best = under[under.length - 1];
  if (best !== undefined) return best;
  const any = grid.find((x) => validates(rec, { ...params, ptimeMs: x }));
  if (any !== undefined) return any;
  throw new AcipError(SDP_BAD_PROFILE, `${rec.id}: no usable packet time for ${params.sampleRate} Hz, ${params.channels} channel(s)`, 'ptimeMs');
}

/** Every packet time the record allows for these parameters, ascending (bounded: at most a few hundred). */
function ptimeGrid(rec: CodecRecord, params: CodecParams): number[] {
  if (rec.ptime.allowedMs) return [...rec.ptime.allowedMs].sort((a, b) => a - b);
  const step = rec.ptime.stepMs ?? 1;
  const max = Math.min(rec.ptime.maxMs(params), 1000);
  const out: number[] = [];
  for (let x = rec.ptime.minMs; x <= max + 1e-9 && out.length < 1000; x += step) out.push(Number(x.toFixed(3)));
  return out;
}

/** A profile codec choice resolved against its record. */
export interface ResolvedChoice {
  choiceIndex: number;
  choice: CodecChoice;
  record: CodecRecord;
  /** Our parameters: what we prefer to receive and, unless the peer says otherwise, send. */
  params: CodecParams;
  /** The rtpmap form of these parameters (`opus/48000/2`). */
  rtpmap: string;
  /** The fmtp we write for these parameters, if the codec has one. */
  fmtp?: string;
}

/**
 * Resolved choices by profile and registry. Both are immutable once loaded (a profile reload makes
 * new objects), and resolving one validates every codec choice, often through several packet times:
 * done once per profile instead of on every offer and answer.
 */
const resolvedCache = new WeakMap<Profile, WeakMap<CodecRegistry, readonly ResolvedChoice[]>>();

/** Turns each codec choice of the profile into validated parameters. Throws AcipError(SDP_BAD_PROFILE, field). */
export function resolveProfile(profile: Profile, codecs: CodecRegistry): ResolvedChoice[] {
  let byRegistry = resolvedCache.get(profile);
  let resolved = byRegistry?.get(codecs);
  if (resolved === undefined) {
    resolved = resolveChoices(profile, codecs); // throws for a bad profile: nothing is cached
    if (!byRegistry) {
      byRegistry = new WeakMap();
      resolvedCache.set(profile, byRegistry);
    }
    byRegistry.set(codecs, resolved);
  }
  // Fresh objects for each caller, as before the cache: the parameters travel on into offers and sessions.
  return resolved.map((rc) => ({ ...rc, params: { ...rc.params } }));
}

function resolveChoices(profile: Profile, codecs: CodecRegistry): ResolvedChoice[] {
  return profile.codecs.map((choice, i) => {
    const rec = codecs.find(choice.codec);
    if (!rec) throw new AcipError(SDP_BAD_PROFILE, `profile ${profile.name}: unknown codec ${JSON.stringify(choice.codec)}`, `codecs[${i}].codec`);
    const base: CodecParams = {
      ...rec.defaultParams,
      ...(choice.sampleRate !== undefined ? { sampleRate: choice.sampleRate } : {}),
      ...(choice.channels !== undefined ? { channels: choice.channels } : {}),
      ...(choice.bitrate !== undefined ? { bitrate: choice.bitrate } : {}),
      ...(choice.complexity !== undefined ? { complexity: choice.complexity } : {}),
      ...(choice.application !== undefined ? { application: choice.application } : {}),
      ...(choice.fec !== undefined ? { fec: choice.fec } : {}),
      ...(choice.dtx !== undefined ? { dtx: choice.dtx } : {}),
    };
    // The codec's own ptime overrides the profile's (e.g. L24 stereo at 5 ms in a 20 ms profile).
    const wanted = choice.ptimeMs ?? profile.ptimeMs;
    let ptimeMs: number;
    try {
      // An explicit per-codec ptime must be usable as it is; the profile-wide one is a preference
      // that a codec may not support (20 ms of L24 stereo does not fit the MTU): take the longest
      // packet time the codec allows up to it.
      ptimeMs = choice.ptimeMs !== undefined ? choice.ptimeMs : choosePtime(rec, base, [wanted, rec.defaultPtimeMs], wanted);
      const params = { ...base, ptimeMs };
      rec.validate(params);
      const fmtp = rec.formatFmtp(params);
      return { choiceIndex: i, choice, record: rec, params, rtpmap: rtpmapText(rec, params), ...(fmtp !== undefined ? { fmtp } : {}) };
    } catch (err) {
      const field = err instanceof AcipError && err.field ? `codecs[${i}].${err.field}` : `codecs[${i}]`;
      throw new AcipError(SDP_BAD_PROFILE, `profile ${profile.name}: ${(err as Error).message}`, field, { cause: err });
    }
  });
}

/**
 * Whether a peer's format is this choice: same codec (by encoding name, clock rate and channels, via
 * the registry), and the rate/channels the profile pinned, if any. Returns the link's audio rate and
 * channel count, or undefined.
 */
export function matchChoice(rc: ResolvedChoice, f: SdpFormat, codecs: CodecRegistry): { sampleRate: number; channels: number } | undefined {
  if (f.encodingName === undefined || f.clockRate === undefined) return undefined;
  const rec = codecs.byEncodingName(f.encodingName, f.clockRate, f.channels ?? 1);
  if (!rec || rec.id !== rc.record.id) return undefined;
  const sampleRate = rec.audioSampleRate(f.clockRate);
  if (rc.choice.sampleRate !== undefined && rc.choice.sampleRate !== sampleRate) return undefined;
  if (!rtpmapCarriesChannels(rec)) return { sampleRate, channels: rc.params.channels };
  const channels = f.channels ?? 1;
  if (rc.choice.channels !== undefined && rc.choice.channels !== channels) return undefined;
  return { sampleRate, channels };
}

/** Interprets a peer's fmtp through the record; a malformed one is reported and treated as absent. */
export function peerFmtp(rec: CodecRecord, fmtp: string | undefined): { params: FmtpParams; problem?: string } {
  try {
    return { params: rec.parseFmtp(parseFmtpLine(fmtp ?? '')) };
  } catch (err) {
    return { params: rec.parseFmtp(new Map()), problem: `ignored the peer's fmtp "${fmtp ?? ''}": ${(err as Error).message}` };
  }
}

/**
 * What we send, from our parameters and what the peer said it wants to receive (RFC 7587 §6.1 for
 * Opus: `stereo`, `maxaveragebitrate`, `useinbandfec`, `usedtx`, `cbr`, `maxplaybackrate` describe
 * the receiver; generic fields for everything else). The profile's explicit choices win over the
 * peer's preferences, except for limits (bitrate caps), which always apply.
 */
export function encoderParams(rc: ResolvedChoice, link: { sampleRate: number; channels: number }, peer: FmtpParams, ptimeMs: number, peerTiasBps?: number): CodecParams {
  const rec = rc.record;
  // Fixed-rtpmap codecs (Opus) signal channels in fmtp: stereo=0 (the default) means the receiver
  // prefers mono, so we send mono unless it asked for stereo (RFC 7587 §7.1).
  const channels = rtpmapCarriesChannels(rec) ? link.channels : Math.min(link.channels, peer.receiveChannels ?? 1);
  const out: CodecParams = { ...rc.params, sampleRate: link.sampleRate, channels, ptimeMs };
  if (out.bitrate !== undefined) {
    let b = out.bitrate;
    if (peer.maxAverageBitrate !== undefined) b = Math.min(b, peer.maxAverageBitrate);
    if (peerTiasBps !== undefined && peerTiasBps > 0) b = Math.min(b, peerTiasBps);
    out.bitrate = b;
  }
  const fec = rc.choice.fec ?? peer.useInbandFec;
  if (fec !== undefined) out.fec = fec;
  const dtx = rc.choice.dtx ?? peer.useDtx;
  if (dtx !== undefined) out.dtx = dtx;
  if (peer.cbr !== undefined) out.cbr = peer.cbr;
  if (peer.maxPlaybackRate !== undefined) out.maxPlaybackRate = peer.maxPlaybackRate;
  // A peer cap may take a value below what the record accepts (e.g. maxaveragebitrate=1000): clamp
  // by falling back to our own value rather than failing the call.
  if (!validates(rec, out)) {
    const fallback = { ...rc.params, sampleRate: link.sampleRate, channels, ptimeMs };
    rec.validate(fallback);
    return fallback;
  }
  return out;
}

/** Nominal payload bit rate: the codec's configured bitrate, else the payload size per packet time. */
export function payloadBitrate(rec: CodecRecord, params: CodecParams): number {
  if (params.bitrate !== undefined) return params.bitrate;
  return Math.ceil((rec.maxPayloadBytes(params, params.ptimeMs) * 8 * 1000) / params.ptimeMs);
}

/**
 * b=TIAS (RFC 3890 §6.2: bit/s, payload only) and b=AS (RFC 4566 §5.8: kbit/s including IP/UDP/RTP
 * headers, RFC 3890 §6.3) for one codec.
 */
export function bandwidthFor(rec: CodecRecord, params: CodecParams, ipVer: 4 | 6): { tiasBps: number; asKbps: number } {
  const tiasBps = payloadBitrate(rec, params);
  const headers = (ipVer === 6 ? IPV6_HEADER_BYTES : IPV4_HEADER_BYTES) + UDP_HEADER_BYTES + RTP_HEADER_BYTES;
  const packetsPerSecond = 1000 / params.ptimeMs;
  const asKbps = Math.ceil((tiasBps + packetsPerSecond * headers * 8) / 1000);
  return { tiasBps, asKbps };
}
