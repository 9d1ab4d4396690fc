/**
 * Access control for the API and panel. On a loopback host no password is needed; on any other
 * host the service refuses to start without one (config), and every request must present it as
 * HTTP Basic credentials (any user name). Comparison is constant-time.
 * The panel's login/session cookie and the read-only viewer role build on this (web panel issue).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

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

export function makeAuthHook(password: string | undefined) {
  return async function authHook(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!password) return;
    const presented = basicPassword(req.headers.authorization);
    if (presented !== undefined && passwordMatches(password, presented)) return;
    await reply
      .code(401)
      .header('WWW-Authenticate', 'Basic realm="acip", charset="UTF-8"')
      .send({ code: 'AUTH_REQUIRED', message: 'this acip requires a password (HTTP Basic, any user name)' });
  };
}
