/**
 * Digest access authentication, client side: RFC 7616 (MD5, SHA-256, -sess variants, qop=auth
 * and auth-int), RFC 8760 (its use in SIP), and the RFC 2617 form without qop for legacy servers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SipParseError, excerpt } from './parse-error.js';
import { isToken, quote, scanToken, trimWsp, unquote } from './lex.js';
import { splitHeaderList } from './headers.js';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';
export type DigestQop = 'auth' | 'auth-int';

export interface DigestChallenge {
  scheme: 'Digest';
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: DigestAlgorithm;
  /** qop options offered (lower-cased); empty means the RFC 2617 no-qop form. */
  qop: string[];
  stale: boolean;
  /** RFC 7616 §3.4.4: the server wants the username hashed. */
  userhash: boolean;
  /** Every auth-param, names lower-cased, values unquoted. */
  params: Map<string, string>;
}

const ALGORITHMS: ReadonlyMap<string, DigestAlgorithm> = new Map([
  ['md5', 'MD5'],
  ['md5-sess', 'MD5-sess'],
  ['sha-256', 'SHA-256'],
  ['sha-256-sess', 'SHA-256-sess'],
]);

function bad(msg: string): SipParseError {
  return new SipParseError('SIP_BAD_CHALLENGE', `Bad digest challenge: ${msg}`, 'WWW-Authenticate');
}

/** Parse one WWW-Authenticate / Proxy-Authenticate value (RFC 3261 §25.1 challenge; RFC 7616 §3.3). */
export function parseChallenge(headerValue: string): DigestChallenge {
  const v = trimWsp(headerValue);
  const schemeEnd = scanToken(v, 0);
  const scheme = v.slice(0, schemeEnd);
  if (scheme.toLowerCase() !== 'digest') throw bad(`unsupported scheme ${excerpt(scheme, 20)}`);
  const params = new Map<string, string>();
  for (const part of splitHeaderList(v.slice(schemeEnd), 'WWW-Authenticate')) {
    if (part === '') continue; // #rule allows empty elements
    const eq = part.indexOf('=');
    if (eq <= 0) throw bad(`parameter without value ${excerpt(part, 20)}`);
    const name = trimWsp(part.slice(0, eq)).toLowerCase();
    if (!isToken(name)) throw bad(`bad parameter name ${excerpt(name, 20)}`);
    const raw = trimWsp(part.slice(eq + 1));
    if (raw.length === 0) throw bad(`empty value for ${name}`);
    if (raw.startsWith('"')) {
      if (raw.length < 2 || !raw.endsWith('"')) throw bad(`bad quoted value for ${name}`);
    } else if (!isToken(raw)) throw bad(`bad value for ${name}`);
    if (params.has(name)) throw bad(`duplicate parameter ${name}`);
    params.set(name, unquote(raw));
  }
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined) throw bad('missing realm');
  if (nonce === undefined) throw bad('missing nonce');
  const algText = params.get('algorithm') ?? 'MD5';
  const algorithm = ALGORITHMS.get(algText.toLowerCase());
  if (algorithm === undefined) {
    throw new SipParseError('SIP_UNSUPPORTED_DIGEST_ALGORITHM', `Unsupported digest algorithm ${excerpt(algText, 20)}`, 'WWW-Authenticate');
  }
  const qopText = params.get('qop');
  const qop = qopText === undefined ? [] : qopText.split(',').map((q) => trimWsp(q).toLowerCase()).filter((q) => q !== '');
  const ch: DigestChallenge = {
    scheme: 'Digest',
    realm,
    nonce,
    algorithm,
    qop,
    stale: (params.get('stale') ?? '').toLowerCase() === 'true',
    userhash: (params.get('userhash') ?? '').toLowerCase() === 'true',
    params,
  };
  const opaque = params.get('opaque');
  if (opaque !== undefined) ch.opaque = opaque;
  return ch;
}

/**
 * RFC 8760 §2.4 / RFC 7616 §3.7: a server may send several challenges in preference order; use the
 * first one we support. Returns undefined when none is usable.
 */
export function chooseChallenge(headerValues: readonly string[]): DigestChallenge | undefined {
  for (const v of headerValues) {
    try {
      const ch = parseChallenge(v);
      if (ch.qop.length === 0 || ch.qop.includes('auth') || ch.qop.includes('auth-int')) return ch;
    } catch {
      // not usable: try the next one
    }
  }
  return undefined;
}

export interface AuthorizationInput {
  challenge: DigestChallenge;
  method: string;
  /** The digest-uri: the Request-URI of the request being authorized. */
  uri: string;
  username: string;
  password: string;
  /** Nonce count for this nonce, starting at 1 (written as 8 hex digits). */
  nc?: number;
  /** Client nonce; required when qop is used or the algorithm is -sess (see `makeCnonce`). */
  cnonce?: string;
  /** Entity body, for qop=auth-int. */
  body?: Buffer;
}

function hasher(alg: DigestAlgorithm): (s: string | Buffer) => string {
  const name = alg.startsWith('SHA-256') ? 'sha256' : 'md5';
  return (s) => createHash(name).update(s).digest('hex');
}

export function makeCnonce(): string {
  return randomBytes(12).toString('hex');
}

/** The `response` value (RFC 7616 §3.4.1; RFC 2617 §3.2.2.1 without qop). */
export function computeDigestResponse(input: AuthorizationInput, qop: DigestQop | undefined): string {
  const { challenge: ch } = input;
  const H = hasher(ch.algorithm);
  const ncText = formatNc(input.nc ?? 1);
  let ha1 = H(`${input.username}:${ch.realm}:${input.password}`);
  if (ch.algorithm.endsWith('-sess')) {
    if (input.cnonce === undefined) throw new RangeError('digest: cnonce is required for -sess algorithms');
    ha1 = H(`${ha1}:${ch.nonce}:${input.cnonce}`);
  }
  const ha2 = qop === 'auth-int' ? H(`${input.method}:${input.uri}:${H(input.body ?? Buffer.alloc(0))}`) : H(`${input.method}:${input.uri}`);
  if (qop === undefined) return H(`${ha1}:${ch.nonce}:${ha2}`);
  if (input.cnonce === undefined) throw new RangeError('digest: cnonce is required with qop');
  return H(`${ha1}:${ch.nonce}:${ncText}:${input.cnonce}:${qop}:${ha2}`);
}

function formatNc(nc: number): string {
  if (!Number.isInteger(nc) || nc < 1 || nc > 0xffffffff) throw new RangeError(`digest: nonce count ${nc} out of range`);
  return nc.toString(16).padStart(8, '0');
}

/**
 * Build the Authorization / Proxy-Authorization value. qop=auth is used when offered, else
 * auth-int, else the RFC 2617 form without qop, nc and cnonce.
 */
export function buildAuthorization(input: AuthorizationInput): string {
  const { challenge: ch } = input;
  const qop: DigestQop | undefined = ch.qop.includes('auth') ? 'auth' : ch.qop.includes('auth-int') ? 'auth-int' : undefined;
  const response = computeDigestResponse(input, qop);
  const username = ch.userhash ? hasher(ch.algorithm)(`${input.username}:${ch.realm}`) : input.username;
  const parts = [
    `username=${quote(username)}`,
    `realm=${quote(ch.realm)}`,
    `nonce=${quote(ch.nonce)}`,
    `uri=${quote(input.uri)}`,
    `response="${response}"`,
    `algorithm=${ch.algorithm}`,
  ];
  if (qop !== undefined) {
    parts.push(`cnonce=${quote(input.cnonce!)}`, `qop=${qop}`, `nc=${formatNc(input.nc ?? 1)}`);
  } else if (ch.algorithm.endsWith('-sess')) {
    parts.push(`cnonce=${quote(input.cnonce!)}`);
  }
  if (ch.opaque !== undefined) parts.push(`opaque=${quote(ch.opaque)}`);
  if (ch.userhash) parts.push('userhash=true');
  return `Digest ${parts.join(', ')}`;
}

