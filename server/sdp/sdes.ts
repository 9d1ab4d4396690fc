/**
 * SDP Security Descriptions for media streams (SDES, RFC 4568): the `a=crypto` attribute that
 * carries SRTP master keys in the offer and answer (which is why SDES needs the signalling itself
 * protected, e.g. SIP over TLS: RFC 4568 sends the keys in clear inside the SDP).
 *
 *   a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]                      (§9.1)
 *   key-params = key-param *(";" key-param);  key-param = "inline:" <key-info>
 *   key-info   = <base64 of master key || master salt> ["|" lifetime] ["|" MKI ":" length]  (§9.2)
 *   lifetime   = ["2^"] 1*DIGIT;   session-param e.g. KDR=, UNENCRYPTED_SRTCP, WSH=     (§6.3)
 *
 * Each side's a=crypto carries the key IT sends with (RFC 4568 §6.1): the receiving SRTP context
 * of a link is keyed from the peer's line, the sending context from ours.
 *
 * Pure and paranoid: `parseCryptoAttribute` returns a plain value or throws SdesError (code
 * SDP_MALFORMED, `reason` saying what was wrong). Base64 must be canonical; key||salt must be
 * exactly the suite's length. A suite we do not know is kept as `unknown` with its key parameters
 * unparsed (its key syntax is its own), never an error, so an offer listing it still negotiates.
 * `collectCryptoAttributes` never throws on peer input: bad lines land in `invalid` with the reason.
 */
import { randomBytes } from 'node:crypto';
import { isSrtpSuiteName, SRTP_SUITE_PREFERENCE, SRTP_SUITES, type SrtpSuiteName } from '../rtp/srtp/srtp-suite.js';
import { AcipError } from '../util/errors.js';

export type SdesErrorReason =
  | 'syntax'
  | 'tag'
  | 'suite'
  | 'key-method'
  | 'base64'
  | 'key-length'
  | 'lifetime'
  | 'mki'
  | 'session-param'
  | 'duplicate-tag';

export class SdesError extends AcipError {
  readonly reason: SdesErrorReason;

  constructor(reason: SdesErrorReason, message: string) {
    super('SDP_MALFORMED', message, 'crypto');
    this.name = 'SdesError';
    this.reason = reason;
  }
}

/** One `inline:` key of an SRTP suite (RFC 4568 §6.1, §9.2). */
export interface SdesKeyParam {
  /** Master key followed by master salt. */
  keySalt: Buffer;
  /** Packets the key may protect (`2^20` is 1048576); absent when not given. */
  lifetime?: number;
  /** Master key identifier carried in each packet, and its length in octets (1–128). */
  mki?: { value: number; length: number };
}

/** Session parameters (RFC 4568 §6.3) as written, plus the ones we read. */
export interface SdesSessionParams {
  raw: string[];
  /** KDR=n: key derivation rate 2^n (§6.3). */
  kdr?: number;
  unencryptedSrtcp: boolean;
  unencryptedSrtp: boolean;
  unauthenticatedSrtp: boolean;
  /** WSH=n: the sender's replay window size hint in packets (§6.3). */
  windowSizeHint?: number;
  /** Parameters we have no support for (FEC_KEY, unknown names). */
  unsupported: string[];
}

export interface SdesCryptoKnown {
  kind: 'srtp';
  tag: number;
  suite: SrtpSuiteName;
  keyParams: SdesKeyParam[];
  sessionParams: SdesSessionParams;
}

export interface SdesCryptoUnknown {
  kind: 'unknown';
  tag: number;
  /** The suite name as written (F8_128_HMAC_SHA1_80, AES_256_CM_HMAC_SHA1_80, …). */
  suite: string;
  /** Key parameters left as written: their syntax belongs to the suite. */
  rawKeyParams: string;
  sessionParams: SdesSessionParams;
}

export type SdesCrypto = SdesCryptoKnown | SdesCryptoUnknown;

const TAG = /^\d{1,9}$/;
const SUITE = /^[A-Za-z0-9_]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const LIFETIME = /^(2\^)?(\d{1,15})$/;
const MKI = /^(\d{1,15}):(\d{1,3})$/;
const DECIMAL = /^\d{1,9}$/;
/** RFC 3711 §9.2: at most 2^48 SRTP packets per master key. */
const MAX_LIFETIME = 2 ** 48;
const MAX_LIFETIME_EXPONENT = 48;
const MAX_MKI_LENGTH = 128;
const MAX_KDR = 24;
const MIN_WSH = 64;

/** Parses the value of one a=crypto attribute (`a=` and `crypto:` prefixes are optional). */
export function parseCryptoAttribute(line: string): SdesCrypto {
  const value = line.trim().replace(/^a=/i, '').replace(/^crypto:/i, '');
  const tokens = value.split(/[ \t]+/).filter((t) => t.length > 0);
  const [tagText, suiteText, keyParamsText, ...sessionTokens] = tokens;
  if (tagText === undefined || suiteText === undefined || keyParamsText === undefined) {
    throw new SdesError('syntax', `a=crypto needs <tag> <suite> <key-params>, got "${value}"`);
  }
  if (!TAG.test(tagText)) throw new SdesError('tag', `a=crypto tag must be 1 to 9 digits, got "${tagText}"`);
  if (!SUITE.test(suiteText)) throw new SdesError('suite', `a=crypto suite "${suiteText}" is not a suite name`);
  const tag = Number(tagText);
  const sessionParams = parseSessionParams(sessionTokens);
  if (!isSrtpSuiteName(suiteText)) {
    return { kind: 'unknown', tag, suite: suiteText, rawKeyParams: keyParamsText, sessionParams };
  }
  const keyParams = keyParamsText.split(';').map((kp) => parseKeyParam(kp, suiteText));
  return { kind: 'srtp', tag, suite: suiteText, keyParams, sessionParams };
}

function parseKeyParam(text: string, suite: SrtpSuiteName): SdesKeyParam {
  const colon = text.indexOf(':');
  if (colon < 0 || text.slice(0, colon).toLowerCase() !== 'inline') {
    // Never echo key material into an error (it ends up in logs): name the method only.
    throw new SdesError('key-method', `a=crypto key method "${colon < 0 ? '' : text.slice(0, colon)}" is not inline`);
  }
  const parts = text.slice(colon + 1).split('|');
  if (parts.length > 3) throw new SdesError('syntax', `a=crypto key has ${parts.length} |-separated parts (key, lifetime, MKI at most)`);
  const [keyText = '', ...rest] = parts;
  const keySalt = decodeBase64(keyText);
  const s = SRTP_SUITES[suite];
  if (keySalt.length !== s.keyLength + s.saltLength) {
    throw new SdesError('key-length', `${suite} needs ${s.keyLength + s.saltLength} octets of key and salt, got ${keySalt.length}`);
  }
  const out: SdesKeyParam = { keySalt };
  for (const part of rest) {
    // RFC 4568 §6.1: lifetime and MKI are told apart by the MKI's colon.
    if (part.includes(':')) {
      if (out.mki) throw new SdesError('mki', `a=crypto key has two MKIs`);
      out.mki = parseMki(part);
    } else {
      if (out.lifetime !== undefined || out.mki) throw new SdesError('lifetime', `a=crypto lifetime "${part}" is repeated or after the MKI`);
      out.lifetime = parseLifetime(part);
    }
  }
  return out;
}

/** RFC 4568 §9.2: key and salt concatenated, base64 (RFC 3548). Canonical only; padding may be left out. */
function decodeBase64(text: string): Buffer {
  if (!BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new SdesError('base64', `a=crypto key of ${text.length} characters is not base64`);
  }
  const decoded = Buffer.from(text, 'base64');
  const padded = text.padEnd(Math.ceil(text.length / 4) * 4, '=');
  if (decoded.toString('base64') !== padded) throw new SdesError('base64', `a=crypto key of ${text.length} characters is not canonical base64`);
  return decoded;
}

function parseLifetime(text: string): number {
  const m = LIFETIME.exec(text);
  if (!m) throw new SdesError('lifetime', `a=crypto lifetime "${text}" is not ["2^"]digits`);
  const n = Number(m[2]);
  const lifetime = m[1] ? (n <= MAX_LIFETIME_EXPONENT ? 2 ** n : Infinity) : n;
  if (lifetime < 1 || lifetime > MAX_LIFETIME) throw new SdesError('lifetime', `a=crypto lifetime "${text}" is outside 1..2^48`);
  return lifetime;
}

function parseMki(text: string): { value: number; length: number } {
  const m = MKI.exec(text);
  if (!m) throw new SdesError('mki', `a=crypto MKI "${text}" is not <value>:<length>`);
  const value = Number(m[1]);
  const length = Number(m[2]);
  if (length < 1 || length > MAX_MKI_LENGTH) throw new SdesError('mki', `a=crypto MKI length ${length} is outside 1..128`);
  if (length < 7 && value >= 2 ** (8 * length)) throw new SdesError('mki', `a=crypto MKI ${value} does not fit in ${length} octets`);
  return { value, length };
}

function parseSessionParams(tokens: string[]): SdesSessionParams {
  const p: SdesSessionParams = { raw: tokens, unencryptedSrtcp: false, unencryptedSrtp: false, unauthenticatedSrtp: false, unsupported: [] };
  for (const t of tokens) {
    const eq = t.indexOf('=');
    const name = (eq < 0 ? t : t.slice(0, eq)).toUpperCase();
    const arg = eq < 0 ? undefined : t.slice(eq + 1);
    switch (name) {
      case 'UNENCRYPTED_SRTCP':
        p.unencryptedSrtcp = true;
        break;
      case 'UNENCRYPTED_SRTP':
        p.unencryptedSrtp = true;
        break;
      case 'UNAUTHENTICATED_SRTP':
        p.unauthenticatedSrtp = true;
        break;
      case 'KDR':
        p.kdr = decimalParam(t, arg, 0, MAX_KDR);
        break;
      case 'WSH':
        p.windowSizeHint = decimalParam(t, arg, MIN_WSH, 999_999_999);
        break;
      default:
        p.unsupported.push(t);
    }
  }
  return p;
}

function decimalParam(token: string, arg: string | undefined, min: number, max: number): number {
  const n = arg !== undefined && DECIMAL.test(arg) ? Number(arg) : NaN;
  if (!(n >= min && n <= max)) throw new SdesError('session-param', `a=crypto session parameter "${token}" is not a number in ${min}..${max}`);
  return n;
}

/** Formats the value of an a=crypto attribute (what follows `a=crypto:`). */
export function formatCryptoAttribute(c: SdesCrypto): string {
  const keyParams = c.kind === 'unknown' ? c.rawKeyParams : c.keyParams.map(formatKeyParam).join(';');
  return [String(c.tag), c.suite, keyParams, ...c.sessionParams.raw].join(' ');
}

function formatKeyParam(k: SdesKeyParam): string {
  let s = `inline:${k.keySalt.toString('base64')}`;
  if (k.lifetime !== undefined) {
    const exp = Math.log2(k.lifetime);
    s += `|${Number.isInteger(exp) ? `2^${exp}` : String(k.lifetime)}`;
  }
  if (k.mki) s += `|${k.mki.value}:${k.mki.length}`;
  return s;
}

/** The sdp-transform shape of media.crypto entries, read back into our value. */
export function cryptoFromSdpTransform(entry: { id: number; suite: string; config: string; sessionConfig?: string }): SdesCrypto {
  return parseCryptoAttribute(`${entry.id} ${entry.suite} ${entry.config}${entry.sessionConfig ? ` ${entry.sessionConfig}` : ''}`);
}

export interface CollectedCrypto {
  crypto: SdesCrypto[];
  invalid: { line: string; reason: SdesErrorReason; message: string }[];
}

/** Reads every a=crypto line of one m-line; never throws. Tags must be unique (RFC 4568 §9.1). */
export function collectCryptoAttributes(lines: readonly string[]): CollectedCrypto {
  const out: CollectedCrypto = { crypto: [], invalid: [] };
  const tags = new Set<number>();
  for (const line of lines) {
    try {
      const c = parseCryptoAttribute(line);
      if (tags.has(c.tag)) throw new SdesError('duplicate-tag', `a=crypto tag ${c.tag} appears twice`);
      tags.add(c.tag);
      out.crypto.push(c);
    } catch (e) {
      if (!(e instanceof SdesError)) throw e;
      out.invalid.push({ line, reason: e.reason, message: e.message });
    }
  }
  return out;
}

/**
 * Why we cannot use a crypto line, or undefined when we can. The SRTP core has one master key per
 * context, no MKI, key derivation rate 0, and always encrypts and authenticates SRTP.
 */
export function unusableReason(c: SdesCrypto, supported: readonly SrtpSuiteName[] = SRTP_SUITE_PREFERENCE): string | undefined {
  if (c.kind === 'unknown') return `unknown suite ${c.suite}`;
  if (!supported.includes(c.suite)) return `suite ${c.suite} not enabled`;
  if (c.keyParams.length !== 1) return `${c.keyParams.length} master keys (one supported)`;
  if (c.keyParams[0]?.mki) return 'MKI not supported';
  const sp = c.sessionParams;
  if (sp.kdr !== undefined) return 'KDR (key re-derivation) not supported';
  if (sp.unencryptedSrtp || sp.unauthenticatedSrtp) return 'unencrypted or unauthenticated SRTP not supported';
  // Names only: FEC_KEY carries key material, which must not reach a log.
  if (sp.unsupported.length > 0) return `session parameters not supported: ${sp.unsupported.map((t) => t.split('=')[0]).join(' ')}`;
  return undefined;
}

/**
 * RFC 4568 §7.1.2 (answerer, unicast): the offerer lists a=crypto in its order of preference; the
 * answerer takes the first one it can use. Undefined when none is usable (the stream is refused).
 */
export function selectOfferedCrypto(offered: readonly SdesCrypto[], supported: readonly SrtpSuiteName[] = SRTP_SUITE_PREFERENCE): SdesCryptoKnown | undefined {
  for (const c of offered) if (c.kind === 'srtp' && unusableReason(c, supported) === undefined) return c;
  return undefined;
}

export type RandomBytes = (n: number) => Buffer;

/** A fresh key||salt for a suite, from a cryptographic source (injected in tests). */
export function newKeySalt(suite: SrtpSuiteName, random: RandomBytes = randomBytes): Buffer {
  const s = SRTP_SUITES[suite];
  return random(s.keyLength + s.saltLength);
}

/**
 * Our answer line to a chosen offered line (RFC 4568 §7.1.2): the same tag and suite, our own key.
 * UNENCRYPTED_SRTCP is echoed: we then send SRTCP with E = 0 as well.
 */
export function answerCrypto(chosen: SdesCryptoKnown, random: RandomBytes = randomBytes): SdesCryptoKnown {
  const raw = chosen.sessionParams.unencryptedSrtcp ? ['UNENCRYPTED_SRTCP'] : [];
  return {
    kind: 'srtp',
    tag: chosen.tag,
    suite: chosen.suite,
    keyParams: [{ keySalt: newKeySalt(chosen.suite, random) }],
    sessionParams: { raw, unencryptedSrtcp: chosen.sessionParams.unencryptedSrtcp, unencryptedSrtp: false, unauthenticatedSrtp: false, unsupported: [] },
  };
}

/** Our offer: one a=crypto per enabled suite, tags 1, 2, … in our order of preference. */
export function offerCrypto(suites: readonly SrtpSuiteName[] = SRTP_SUITE_PREFERENCE, random: RandomBytes = randomBytes): SdesCryptoKnown[] {
  return suites.map((suite, i) => ({
    kind: 'srtp' as const,
    tag: i + 1,
    suite,
    keyParams: [{ keySalt: newKeySalt(suite, random) }],
    sessionParams: { raw: [], unencryptedSrtcp: false, unencryptedSrtp: false, unauthenticatedSrtp: false, unsupported: [] },
  }));
}

/** Splits a usable line into what an SRTP context takes (master key, master salt). */
export function srtpKeysOf(c: SdesCryptoKnown): { suite: SrtpSuiteName; masterKey: Buffer; masterSalt: Buffer; encryptRtcp: boolean } {
  const key = c.keyParams[0];
  if (!key) throw new SdesError('syntax', 'a=crypto line without a key');
  const s = SRTP_SUITES[c.suite];
  return {
    suite: c.suite,
    masterKey: key.keySalt.subarray(0, s.keyLength),
    masterSalt: key.keySalt.subarray(s.keyLength, s.keyLength + s.saltLength),
    encryptRtcp: !c.sessionParams.unencryptedSrtcp,
  };
}

/**
 * The SDP text with the key material of every a=crypto line replaced (key||salt, lifetime and MKI
 * of each inline: key), for showing and logging a description: SDES keys are secrets.
 */
export function redactCryptoKeys(sdp: string): string {
  return sdp.replace(/^(a=crypto:[^\r\n]*)$/gim, (line) => line.replace(/inline:[^;\s]*/gi, 'inline:(redacted)'));
}
