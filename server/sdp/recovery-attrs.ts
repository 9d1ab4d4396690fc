/**
 * SDP attributes of the loss-recovery tools, as plain values: RED (RFC 2198 §5), RTX (RFC 4588
 * §8), generic NACK feedback (RFC 4585 §4.2) and duplicated streams (RFC 7104). Pure functions
 * over attribute lines (`a=...`; the `a=` prefix is optional on input) and fmtp configs, with no
 * dependency on the rest of offer/answer, so the negotiation can adopt them one at a time.
 *
 *   a=rtpmap:<pt> red/<rate>/<channels>     a=fmtp:<pt> <primary>/<primary>[/<primary>]
 *   a=rtpmap:<pt> rtx/<rate>                a=fmtp:<pt> apt=<pt>;rtx-time=<ms>
 *   a=rtcp-fb:<pt>|* nack
 *   a=group:DUP <mid> <mid>                 a=ssrc-group:DUP <ssrc> <ssrc>
 *
 * The single-value parsers throw `RecoveryAttrError` (code SDP_MALFORMED, `field` naming the
 * attribute). `readRecoveryAttributes` never throws on peer input: it keeps malformed lines in
 * `invalid` with the reason.
 */
import { AcipError } from '../util/errors.js';

export type RecoveryAttrField = 'rtpmap' | 'fmtp' | 'rtcp-fb' | 'group' | 'ssrc-group';

export class RecoveryAttrError extends AcipError {
  override readonly field: RecoveryAttrField;

  constructor(field: RecoveryAttrField, message: string) {
    super('SDP_MALFORMED', message, field);
    this.name = 'RecoveryAttrError';
    this.field = field;
  }
}

/** RED: its payload type, and the payload types of its blocks (primary first, RFC 2198 §5). */
export interface RedFormat {
  payloadType: number;
  clockRate: number;
  channels: number;
  /** The fmtp list: e.g. [111, 111] is Opus with one redundant Opus copy. */
  blockPayloadTypes: number[];
}

/** RTX for one original payload type (RFC 4588 §8.1). */
export interface RtxFormat {
  payloadType: number;
  clockRate: number;
  /** The associated (original) payload type. */
  apt: number;
  /** How long the sender keeps packets for retransmission, in ms, if said. */
  rtxTimeMs?: number;
}

/** `a=rtcp-fb:<pt> nack`: the payload type, or '*' for all of them (RFC 4585 §4.2). */
export type NackFeedback = number | '*';

export interface RecoveryAttributes {
  red: RedFormat[];
  rtx: RtxFormat[];
  nack: NackFeedback[];
  /** Each `a=group:DUP` line's identification tags (mids). */
  dupGroups: string[][];
  /** Each `a=ssrc-group:DUP` line's SSRCs. */
  dupSsrcGroups: number[][];
}

/** At most this many blocks in a RED fmtp (more is legal, but nothing useful sends it). */
export const RED_FMTP_MAX_BLOCKS = 8;

const PT_RE = /^(?:0|[1-9]\d{0,2})$/;
const UINT_RE = /^(?:0|[1-9]\d{0,9})$/;
/** RFC 5888 §4 identification-tag = token. */
const TOKEN_RE = /^[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+$/;

function payloadType(text: string, field: RecoveryAttrField, what: string): number {
  const n = PT_RE.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 127)) throw new RecoveryAttrError(field, `${what} "${text}" is not a payload type (0-127)`);
  return n;
}

function uint(text: string, max: number, field: RecoveryAttrField, what: string): number {
  const n = UINT_RE.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= max)) throw new RecoveryAttrError(field, `${what} "${text}" is not an integer in [0, ${max}]`);
  return n;
}

function stripA(line: string): string {
  const t = line.trim();
  return t.startsWith('a=') ? t.slice(2) : t;
}

/** Split `name:value` (the attribute without `a=`). */
function splitAttribute(line: string): { name: string; value: string } {
  const t = stripA(line);
  const colon = t.indexOf(':');
  return colon < 0 ? { name: t, value: '' } : { name: t.slice(0, colon), value: t.slice(colon + 1) };
}

function checkWrite(ok: boolean, field: RecoveryAttrField, message: string): void {
  if (!ok) throw new RecoveryAttrError(field, message);
}

// ---- RED (RFC 2198 §5) ----

/** `111/111`: the fmtp config of a RED format. */
export function formatRedFmtpConfig(blockPayloadTypes: readonly number[]): string {
  checkWrite(blockPayloadTypes.length >= 1 && blockPayloadTypes.length <= RED_FMTP_MAX_BLOCKS, 'fmtp', 'a RED fmtp lists 1 to 8 payload types');
  for (const pt of blockPayloadTypes) checkWrite(Number.isInteger(pt) && pt >= 0 && pt <= 127, 'fmtp', `payload type ${pt} out of range`);
  return blockPayloadTypes.join('/');
}

export function parseRedFmtpConfig(config: string): number[] {
  const parts = config.trim().split('/');
  if (parts.length > RED_FMTP_MAX_BLOCKS) {
    throw new RecoveryAttrError('fmtp', `RED fmtp lists ${parts.length} payload types, at most ${RED_FMTP_MAX_BLOCKS} accepted`);
  }
  return parts.map((p) => payloadType(p, 'fmtp', 'RED block payload type'));
}

/** The fmtp a RED format with `depth` redundant copies of `primary` uses (as WebRTC writes for Opus). */
export function redBlocksFor(primary: number, depth: 1 | 2): number[] {
  return Array.from({ length: depth + 1 }, () => primary);
}

/** `a=rtpmap:` and `a=fmtp:` lines for a RED format. */
export function writeRedLines(f: RedFormat): string[] {
  checkWrite(Number.isInteger(f.payloadType) && f.payloadType >= 0 && f.payloadType <= 127, 'rtpmap', 'RED payload type out of range');
  checkWrite(Number.isInteger(f.clockRate) && f.clockRate > 0, 'rtpmap', 'RED clock rate must be a positive integer');
  checkWrite(Number.isInteger(f.channels) && f.channels >= 1, 'rtpmap', 'RED channel count must be a positive integer');
  return [`a=rtpmap:${f.payloadType} red/${f.clockRate}/${f.channels}`, `a=fmtp:${f.payloadType} ${formatRedFmtpConfig(f.blockPayloadTypes)}`];
}

// ---- RTX (RFC 4588 §8.1) ----

/** `apt=111;rtx-time=200`: the fmtp config of an RTX format. */
export function formatRtxFmtpConfig(f: Pick<RtxFormat, 'apt' | 'rtxTimeMs'>): string {
  checkWrite(Number.isInteger(f.apt) && f.apt >= 0 && f.apt <= 127, 'fmtp', `apt ${f.apt} out of range`);
  if (f.rtxTimeMs === undefined) return `apt=${f.apt}`;
  checkWrite(Number.isInteger(f.rtxTimeMs) && f.rtxTimeMs >= 0 && f.rtxTimeMs <= 0xffff_ffff, 'fmtp', `rtx-time ${f.rtxTimeMs} out of range`);
  return `apt=${f.apt};rtx-time=${f.rtxTimeMs}`;
}

/** Reads apt (required, §8.1) and rtx-time; other parameters are ignored. */
export function parseRtxFmtpConfig(config: string): Pick<RtxFormat, 'apt' | 'rtxTimeMs'> {
  let apt: number | undefined;
  let rtxTimeMs: number | undefined;
  for (const raw of config.split(';')) {
    const param = raw.trim();
    if (param === '') continue;
    const eq = param.indexOf('=');
    if (eq < 0) throw new RecoveryAttrError('fmtp', `RTX fmtp parameter "${param}" has no value`);
    const name = param.slice(0, eq).trim().toLowerCase();
    const value = param.slice(eq + 1).trim();
    if (name === 'apt') apt = payloadType(value, 'fmtp', 'apt');
    else if (name === 'rtx-time') rtxTimeMs = uint(value, 0xffff_ffff, 'fmtp', 'rtx-time');
  }
  if (apt === undefined) throw new RecoveryAttrError('fmtp', 'RTX fmtp without apt (RFC 4588 §8.1: apt is required)');
  return rtxTimeMs === undefined ? { apt } : { apt, rtxTimeMs };
}

/** `a=rtpmap:` and `a=fmtp:` lines for an RTX format. */
export function writeRtxLines(f: RtxFormat): string[] {
  checkWrite(Number.isInteger(f.payloadType) && f.payloadType >= 0 && f.payloadType <= 127, 'rtpmap', 'RTX payload type out of range');
  checkWrite(Number.isInteger(f.clockRate) && f.clockRate > 0, 'rtpmap', 'RTX clock rate must be a positive integer');
  return [`a=rtpmap:${f.payloadType} rtx/${f.clockRate}`, `a=fmtp:${f.payloadType} ${formatRtxFmtpConfig(f)}`];
}

// ---- rtcp-fb nack (RFC 4585 §4.2) ----

export function writeNackLine(pt: NackFeedback): string {
  if (pt !== '*') checkWrite(Number.isInteger(pt) && pt >= 0 && pt <= 127, 'rtcp-fb', `payload type ${pt} out of range`);
  return `a=rtcp-fb:${pt} nack`;
}

/**
 * The value of an `a=rtcp-fb:` attribute: the payload type (or '*') when it is the generic NACK,
 * undefined when it is another feedback type (`nack pli`, `ccm fir`, `trr-int`, ...).
 */
export function parseRtcpFbValue(value: string): NackFeedback | undefined {
  const words = value.trim().split(/\s+/);
  const [pt, type, param] = words;
  if (pt === undefined || pt === '' || type === undefined) {
    throw new RecoveryAttrError('rtcp-fb', `rtcp-fb "${value}" needs a payload type and a feedback type`);
  }
  const which: NackFeedback = pt === '*' ? '*' : payloadType(pt, 'rtcp-fb', 'rtcp-fb payload type');
  return type.toLowerCase() === 'nack' && param === undefined ? which : undefined;
}

// ---- DUP groupings (RFC 7104) ----

export function writeDupGroupLine(mids: readonly string[]): string {
  checkWrite(mids.length >= 2, 'group', 'a DUP group needs at least two streams (RFC 7104 §3.2)');
  for (const m of mids) checkWrite(TOKEN_RE.test(m), 'group', `"${m}" is not an identification tag`);
  return `a=group:DUP ${mids.join(' ')}`;
}

export function writeSsrcDupGroupLine(ssrcs: readonly number[]): string {
  checkWrite(ssrcs.length >= 2, 'ssrc-group', 'an ssrc-group:DUP needs at least two SSRCs (RFC 7104 §3.1)');
  for (const s of ssrcs) checkWrite(Number.isInteger(s) && s >= 0 && s <= 0xffff_ffff, 'ssrc-group', `SSRC ${s} out of range`);
  return `a=ssrc-group:DUP ${ssrcs.join(' ')}`;
}

/** The mids of an `a=group:` value when its semantics is DUP, else undefined. */
export function parseGroupValue(value: string): string[] | undefined {
  const [semantics, ...tags] = value.trim().split(/\s+/);
  if (semantics !== 'DUP') return undefined;
  if (tags.length < 2) throw new RecoveryAttrError('group', 'a DUP group needs at least two identification tags');
  for (const t of tags) if (!TOKEN_RE.test(t)) throw new RecoveryAttrError('group', `"${t}" is not an identification tag`);
  return tags;
}

/** The SSRCs of an `a=ssrc-group:` value when its semantics is DUP, else undefined. */
export function parseSsrcGroupValue(value: string): number[] | undefined {
  const [semantics, ...ssrcs] = value.trim().split(/\s+/);
  if (semantics !== 'DUP') return undefined;
  if (ssrcs.length < 2) throw new RecoveryAttrError('ssrc-group', 'an ssrc-group:DUP needs at least two SSRCs');
  return ssrcs.map((s) => uint(s, 0xffff_ffff, 'ssrc-group', 'SSRC'));
}

// ---- reading a whole attribute list ----

/** All lines for `attrs`, in a stable order: RED, RTX, NACK, DUP groups. */
export function writeRecoveryAttributes(attrs: Partial<RecoveryAttributes>): string[] {
  return [
    ...(attrs.red ?? []).flatMap(writeRedLines),
    ...(attrs.rtx ?? []).flatMap(writeRtxLines),
    ...(attrs.nack ?? []).map(writeNackLine),
    ...(attrs.dupGroups ?? []).map(writeDupGroupLine),
    ...(attrs.dupSsrcGroups ?? []).map(writeSsrcDupGroupLine),
  ];
}

const RTPMAP_RE = /^(\S+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?$/;

/**
 * Read the recovery attributes out of a list of attribute lines (a media section's, plus the
 * session's for `a=group:`). Lines of other attributes are ignored; malformed recovery lines go to
 * `invalid` with the reason instead of throwing. A RED or RTX rtpmap without its fmtp is invalid
 * (RTX: apt is required, §8.1; RED: the block list is how the receiver knows the copies' codec).
 */
export function readRecoveryAttributes(lines: readonly string[]): { attrs: RecoveryAttributes; invalid: { line: string; reason: string }[] } {
  const attrs: RecoveryAttributes = { red: [], rtx: [], nack: [], dupGroups: [], dupSsrcGroups: [] };
  const invalid: { line: string; reason: string }[] = [];
  const rtpmaps = new Map<number, { encoding: 'red' | 'rtx'; clockRate: number; channels: number; line: string }>();
  const fmtps = new Map<number, { config: string; line: string }>();
  for (const line of lines) {
    const { name, value } = splitAttribute(line);
    try {
      switch (name) {
        case 'rtpmap': {
          const m = RTPMAP_RE.exec(value.trim());
          if (!m) {
            // Someone else's malformed rtpmap is not ours to report; one naming red or rtx is.
            if (!/\s(?:red|rtx)\//i.test(value)) break;
            throw new RecoveryAttrError('rtpmap', `rtpmap "${value}" does not read <pt> <encoding>/<rate>[/<channels>]`);
          }
          const encoding = (m[2] as string).toLowerCase();
          if (encoding !== 'red' && encoding !== 'rtx') break;
          const pt = payloadType(m[1] as string, 'rtpmap', 'rtpmap payload type');
          const clockRate = uint(m[3] as string, 0xffff_ffff, 'rtpmap', 'clock rate');
          if (clockRate === 0) throw new RecoveryAttrError('rtpmap', 'clock rate 0');
          const channels = m[4] === undefined ? 1 : uint(m[4], 255, 'rtpmap', 'channels');
          if (encoding === 'rtx' && m[4] !== undefined) throw new RecoveryAttrError('rtpmap', 'rtx takes no channel count (RFC 4588 §8.1)');
          rtpmaps.set(pt, { encoding, clockRate, channels, line });
          break;
        }
        case 'fmtp': {
          const v = value.trim();
          const sp = v.search(/\s/);
          // An fmtp without config, or with a payload type that is not a number, is not one we
          // can pair with a red/rtx rtpmap: ignore it (it is the codec layer's to report).
          const pt = sp < 0 ? undefined : Number(v.slice(0, sp));
          if (pt === undefined || !PT_RE.test(v.slice(0, sp)) || pt > 127) break;
          fmtps.set(pt, { config: v.slice(sp + 1).trim(), line });
          break;
        }
        case 'rtcp-fb': {
          const fb = parseRtcpFbValue(value);
          if (fb !== undefined && !attrs.nack.includes(fb)) attrs.nack.push(fb);
          break;
        }
        case 'group': {
          const mids = parseGroupValue(value);
          if (mids) attrs.dupGroups.push(mids);
          break;
        }
        case 'ssrc-group': {
          const ssrcs = parseSsrcGroupValue(value);
          if (ssrcs) attrs.dupSsrcGroups.push(ssrcs);
          break;
        }
        default:
          break;
      }
    } catch (err) {
      if (!(err instanceof RecoveryAttrError)) throw err;
      invalid.push({ line, reason: err.message });
    }
  }
  for (const [pt, map] of rtpmaps) {
    const fmtp = fmtps.get(pt);
    try {
      if (!fmtp) throw new RecoveryAttrError('fmtp', `${map.encoding} payload type ${pt} has no a=fmtp`);
      if (map.encoding === 'red') {
        attrs.red.push({ payloadType: pt, clockRate: map.clockRate, channels: map.channels, blockPayloadTypes: parseRedFmtpConfig(fmtp.config) });
      } else {
        attrs.rtx.push({ payloadType: pt, clockRate: map.clockRate, ...parseRtxFmtpConfig(fmtp.config) });
      }
    } catch (err) {
      if (!(err instanceof RecoveryAttrError)) throw err;
      invalid.push({ line: fmtp?.line ?? map.line, reason: err.message });
    }
  }
  return { attrs, invalid };
}
