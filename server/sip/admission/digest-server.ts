/**
 * Server side of SIP digest authentication (RFC 3261 §22.1/§22.4, RFC 7616, RFC 8760):
 * stateless nonces, the parser of a client's Authorization value, and the check of its response.
 *
 * Nonce (RFC 7616 §3.3, "nonce … may include a timestamp … and a hash"): `TIME.MAC`, TIME the
 * issue time in ms (base 36) on the injected monotonic clock and MAC an HMAC-SHA-256 over
 * TIME, the realm and the packet source, under a secret drawn at start-up. Issuing one keeps no
 * state; a nonce is ours when its MAC verifies, fresh while TIME is younger than the lifetime,
 * and bound to the address it was issued to. Only used nonces are remembered, with the highest
 * nonce count seen (RFC 7616 §3.4: a repeated nc is a replay), in a bounded map.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../util/clock.js';
import { computeDigestResponse, type DigestAlgorithm, type DigestChallenge } from '../grammar/digest.js';
import { splitHeaderList } from '../grammar/headers.js';
import { isToken, quote, scanToken, trimWsp, unquote } from '../grammar/lex.js';
import { BoundedMap } from './bounded-map.js';

/** Algorithms we challenge with (RFC 8760 §2.2: SHA-256 and MD5; the -sess forms are not offered). */
export type ServerDigestAlgorithm = Extract<DigestAlgorithm, 'SHA-256' | 'MD5'>;
export const SERVER_DIGEST_ALGORITHMS: readonly ServerDigestAlgorithm[] = ['SHA-256', 'MD5'];

/** A parsed Authorization / Proxy-Authorization value (RFC 3261 §25.1 credentials, RFC 7616 §3.4). */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

/** Parse one Digest credentials value; undefined for another scheme or anything malformed. */
export function parseCredentials(value: string): DigestCredentials | undefined {
  const v = trimWsp(value);
  const schemeEnd = scanToken(v, 0);
  if (v.slice(0, schemeEnd).toLowerCase() !== 'digest') return undefined;
  const params = new Map<string, string>();
  let parts: string[];
  try {
    parts = splitHeaderList(v.slice(schemeEnd), 'Authorization');
  } catch {
    return undefined;
  }
  for (const part of parts) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const name = trimWsp(part.slice(0, eq)).toLowerCase();
    const raw = trimWsp(part.slice(eq + 1));
    if (!isToken(name) || raw === '' || params.has(name)) return undefined;
    if (raw.startsWith('"') ? raw.length < 2 || !raw.endsWith('"') : !isToken(raw)) return undefined;
    params.set(name, unquote(raw));
  }
  const username = params.get('username');
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  const uri = params.get('uri');
  const response = params.get('response');
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) return undefined;
  const out: DigestCredentials = { username, realm, nonce, uri, response, algorithm: params.get('algorithm') ?? 'MD5' };
  for (const k of ['qop', 'nc', 'cnonce', 'opaque'] as const) {
    const p = params.get(k);
    if (p !== undefined) out[k] = p;
  }
  return out;
}

export interface DigestServerOptions {
  realm: string;
  /** Challenge order, most preferred first (RFC 7616 §3.7, RFC 8760 §2.4). */
  algorithms: readonly ServerDigestAlgorithm[];
  /** How long a nonce may be used, ms. */
  nonceLifetimeMs: number;
  /** Used nonces remembered for the replay check. */
  maxNonces: number;
  /** HMAC key; default 32 random bytes (nonces do not survive a restart). */
  secret?: Buffer;
}

export type NonceState = 'fresh' | 'stale' | 'foreign';

/**
 * What checking credentials found: `ok`; `stale` (our nonce, the right password, but the nonce
 * expired or its count was replayed: challenge again with stale=true, RFC 7616 §3.3); `foreign`
 * (not a nonce we issued to this source, or another realm: challenge again); `bad` (wrong
 * password, unknown user, or credentials that do not fit the request).
 */
export type DigestCheck = 'ok' | 'stale' | 'foreign' | 'bad';

const NC_PATTERN = /^[0-9a-fA-F]{8}$/;

export class DigestServer {
  private readonly secret: Buffer;
  private readonly used: BoundedMap<string, number>;
  /** A password no user has, so an unknown user costs the same hashing as a known one. */
  private readonly decoy = randomBytes(16).toString('hex');

  constructor(
    private readonly clock: Clock,
    readonly opts: DigestServerOptions,
  ) {
    if (opts.algorithms.length === 0) throw new RangeError('digest: at least one algorithm');
    this.secret = opts.secret ?? randomBytes(32);
    this.used = new BoundedMap(opts.maxNonces);
  }

  private mac(time: string, source: string): string {
    return createHmac('sha256', this.secret).update(`${time}:${this.opts.realm}:${source}`).digest('base64url').slice(0, 32);
  }

  /** A new nonce for `source`. */
  nonce(source: string): string {
    const time = Math.floor(this.clock.now()).toString(36);
    return `${time}.${this.mac(time, source)}`;
  }

  nonceState(nonce: string, source: string): NonceState {
    const dot = nonce.indexOf('.');
    if (dot <= 0) return 'foreign';
    const time = nonce.slice(0, dot);
    const mac = Buffer.from(nonce.slice(dot + 1));
    const want = Buffer.from(this.mac(time, source));
    if (mac.length !== want.length || !timingSafeEqual(mac, want)) return 'foreign';
    const age = this.clock.now() - parseInt(time, 36);
    return age >= 0 && age <= this.opts.nonceLifetimeMs ? 'fresh' : 'stale';
  }

  /** WWW-Authenticate values (RFC 3261 §22.1, §20.44), one per algorithm in preference order. */
  challenges(source: string, stale = false): string[] {
    const nonce = this.nonce(source);
    return this.opts.algorithms.map(
      (alg) => `Digest realm=${quote(this.opts.realm)}, nonce=${quote(nonce)}, algorithm=${alg}, qop="auth"${stale ? ', stale=true' : ''}`,
    );
  }

  /**
   * Check credentials for a request with `method` from `source`; `password` is the
   * user's (undefined: no such user, checked against a decoy so the answer and the work are the
   * same). qop=auth is required (RFC 7616 §3.4 makes qop mandatory; the RFC 2069 form has no
   * nonce count and so no replay check).
   */
  check(cred: DigestCredentials, method: string, source: string, password: string | undefined): DigestCheck {
    if (cred.realm !== this.opts.realm) return 'foreign';
    const algorithm = this.opts.algorithms.find((a) => a.toLowerCase() === cred.algorithm.toLowerCase());
    const state = this.nonceState(cred.nonce, source);
    if (state === 'foreign') return 'foreign';
    if (algorithm === undefined || cred.qop?.toLowerCase() !== 'auth' || cred.nc === undefined || !NC_PATTERN.test(cred.nc) || cred.cnonce === undefined) return 'bad';
    // Deliberate deviation from RFC 7616 §3.4.6 (the digest-uri should equal the Request-URI): a
    // proxy or registrar in front of us rewrites the Request-URI (RFC 3261 §16.5) after the caller
    // hashed its own, so we hash the digest-uri it sent. A captured answer still cannot be reused:
    // the nonce is bound to the source and expires, and its count must grow.
    const nc = parseInt(cred.nc, 16);
    if (nc < 1) return 'bad';
    const challenge: DigestChallenge = { scheme: 'Digest', realm: this.opts.realm, nonce: cred.nonce, algorithm, qop: ['auth'], stale: false, userhash: false, params: new Map() };
    const expected = computeDigestResponse(
      { challenge, method, uri: cred.uri, username: cred.username, password: password ?? this.decoy, nc, cnonce: cred.cnonce },
      'auth',
    );
    const got = createHash('sha256').update(cred.response.toLowerCase()).digest();
    const want = createHash('sha256').update(expected).digest();
    if (!timingSafeEqual(got, want) || password === undefined) return 'bad';
    if (state === 'stale') return 'stale';
    // RFC 7616 §3.4: the nonce count must grow with each request on a nonce; a repeat is a replay.
    const last = this.used.get(cred.nonce) ?? 0;
    if (nc <= last) return 'stale';
    this.used.set(cred.nonce, nc);
    return 'ok';
  }
}
