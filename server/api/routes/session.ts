/** Panel login: a password gives a session cookie with the role it grants (admin or viewer). */
import type { FastifyInstance } from 'fastify';
import { AcipError } from '../../util/errors.js';
import { SESSION_COOKIE, readCookie, type Auth } from '../auth.js';
import { LoginBody, LoginResult, LogoutResult } from '../contract/index.js';
import { responses } from '../responses.js';

export function registerSessionRoutes(app: FastifyInstance, auth: Auth): void {
  app.post<{ Body: LoginBody; Reply: LoginResult }>(
    '/api/login',
    { schema: { tags: ['session'], summary: 'Log in to the panel', body: LoginBody, response: responses({ 200: LoginResult }) } },
    async (req, reply) => {
      if (!auth.required) return { role: 'open' };
      const role = auth.roleForPassword(req.body.password);
      if (!role) throw new AcipError('AUTH_REQUIRED', 'wrong password', 'password');
      const token = auth.createSession(role);
      // HttpOnly: scripts can't read it; SameSite=Strict: never sent on cross-site requests.
      reply.header('Set-Cookie', `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200`);
      return { role };
    },
  );

  app.post<{ Reply: LogoutResult }>(
    '/api/logout',
    { schema: { tags: ['session'], summary: 'End the panel session', response: responses({ 200: LogoutResult }) } },
    async (req, reply) => {
      auth.endSession(readCookie(req.headers.cookie, SESSION_COOKIE));
      reply.header('Set-Cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
      return { ok: true as const };
    },
  );
}
