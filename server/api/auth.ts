/**
 * Access control for the API, the live feed and the panel.
 *
 * - On a loopback host with no password configured, everyone is `open` (full control).
 * - Otherwise every request needs credentials: HTTP Basic (any user name; for scripts, curl and
 *   Prometheus) or the `acip_session` cookie that `POST /api/login` sets (for the panel).
 *   `http.password` gives role `admin`; `http.viewerPassword` gives role `viewer`, which may read
 *   but not change anything (403).
 * - CSRF: a cookie-authenticated request that changes state must carry `X-Acip-CSRF` (a custom header
 *   a cross-site form cannot send), and any request whose Origin names another host is refused.
 * Password comparison is constant-time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AcipErrorCode } from '../util/errors.js';
import type { ErrorBody, Role } from './contract/index.js';

export type { Role };

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export function passwordMatches(expected: string, presented: string): boolean {
  return timingSafeEqual(digest(expected), digest(presented));
}

/** Extract the password from an `Authorization: Basic …` header, or undefined. */
export function basicPassword(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,4096})\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export const SESSION_COOKIE = 'acip_session';
const SESSION_TTL_MS = 12 * 3600_000;
const MAX_SESSIONS = 1000;

declare module 'fastify' {
  interface FastifyRequest {
    acipRole?: Role;
    acipViaCookie?: boolean;
  }
}

export interface AuthOptions {
  password: string | undefined;
  viewerPassword: string | undefined;
  nowMs: () => number;
}

export class Auth {
  private sessions = new Map<string, { role: Exclude<Role, 'open'>; expiresMs: number }>();
  constructor(private readonly opts: AuthOptions) {}

  get required(): boolean {
    return this.opts.password !== undefined;
  }

  roleForPassword(presented: string): Exclude<Role, 'open'> | undefined {
    if (this.opts.password !== undefined && passwordMatches(this.opts.password, presented)) return 'admin';
    if (this.opts.viewerPassword !== undefined && passwordMatches(this.opts.viewerPassword, presented)) return 'viewer';
    return undefined;
  }

  createSession(role: Exclude<Role, 'open'>): string {
    const now = this.opts.nowMs();
    if (this.sessions.size >= MAX_SESSIONS) {
      for (const [k, v] of this.sessions) if (v.expiresMs <= now) this.sessions.delete(k);
      if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    }
    const token = randomBytes(32).toString('base64url');
    this.sessions.set(token, { role, expiresMs: now + SESSION_TTL_MS });
    return token;
  }

  endSession(token: string | undefined): void {
    if (token) this.sessions.delete(token);
  }

  /** Who is asking: a role, or undefined when credentials are missing or wrong. */
  identify(req: FastifyRequest): { role: Role; viaCookie: boolean } | undefined {
    if (!this.required) return { role: 'open', viaCookie: false };
    const basic = basicPassword(req.headers.authorization);
    if (basic !== undefined) {
      const role = this.roleForPassword(basic);
      return role ? { role, viaCookie: false } : undefined;
    }
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    const s = token ? this.sessions.get(token) : undefined;
    if (!s) return undefined;
    if (s.expiresMs <= this.opts.nowMs()) {
      this.sessions.delete(token!);
      return undefined;
    }
    return { role: s.role, viaCookie: true };
  }
}

const PUBLIC_ROUTES = new Set(['/api/login', '/api/logout']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Origin must name the host the request was sent to (browsers send Origin on cross-site writes and WebSockets). */
export function originAllowed(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function errorBody(code: AcipErrorCode, message: string): ErrorBody {
  return { code, message };
}

export function makeAuthHook(auth: Auth) {
  return async function authHook(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const path = req.url.split('?')[0] ?? '';
    const writes = !SAFE_METHODS.has(req.method);
    if ((writes || path === '/api/live') && !originAllowed(req)) {
      await reply.code(403).send(errorBody('FORBIDDEN', 'cross-origin request refused'));
      return;
    }
    const who = auth.identify(req);
    // The panel's page and assets load without credentials so the login form can show; all data needs them.
    const isPanelAsset = req.method === 'GET' && !path.startsWith('/api/') && path !== '/metrics' && path !== '/docs' && !path.startsWith('/docs/');
    if (!who) {
      if (PUBLIC_ROUTES.has(path) || isPanelAsset) return;
      // The panel (which sends X-Acip-CSRF) shows its own login form: no Basic challenge, or the
      // browser would hold the request for its password dialog. Scripts and curl get the challenge.
      if (req.headers['x-acip-csrf'] === undefined) reply.header('WWW-Authenticate', 'Basic realm="acip", charset="UTF-8"');
      await reply
        .code(401)
        .send(errorBody('AUTH_REQUIRED', 'this acip requires a password (log in, or HTTP Basic with any user name)'));
      return;
    }
    req.acipRole = who.role;
    req.acipViaCookie = who.viaCookie;
    if (writes && !PUBLIC_ROUTES.has(path)) {
      if (who.role === 'viewer') {
        await reply.code(403).send(errorBody('FORBIDDEN', 'the viewer role can watch but not change anything'));
        return;
      }
      if (who.viaCookie && req.headers['x-acip-csrf'] === undefined) {
        await reply.code(403).send(errorBody('FORBIDDEN', 'missing X-Acip-CSRF header'));
        return;
      }
    }
  };
}
