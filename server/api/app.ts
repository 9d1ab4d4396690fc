/**
 * The HTTP surface: REST under /api, Prometheus at /metrics, the panel at /.
 * `buildApp` wires routes to the service's parts; it opens no socket itself, so tests use
 * `app.inject()` and the service calls `listen`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import type { AcipConfig } from '../config/schema.js';
import type { Profile } from '../config/profile-schema.js';
import type { AcipMetrics } from '../metrics/metrics.js';
import { makeAuthHook } from './auth.js';
import { toHttpError } from './error-map.js';

export interface AppDeps {
  config: AcipConfig;
  version: string;
  metrics: AcipMetrics;
  profiles: () => ReadonlyMap<string, Profile & { source: string }>;
  /** Monotonic ms, for uptime. */
  nowMs: () => number;
  startedAtMs: number;
  /** What the service listens on, for /api/health. */
  listening: () => { sip: string[]; http: string | undefined };
  webRoot: string;
  logger?: FastifyBaseLogger | boolean;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: typeof deps.logger === 'object' ? deps.logger : undefined,
    logger: typeof deps.logger === 'boolean' ? deps.logger : undefined,
    bodyLimit: 256 * 1024,
    // Per-request lines would drown the log of a 24/7 service; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
  } as never) as unknown as FastifyInstance;

  app.addHook('onRequest', makeAuthHook(deps.config.http.password));
  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.httpRequests.inc({ route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  app.setErrorHandler(async (err, _req, reply) => {
    const { status, body } = toHttpError(err);
    if (status >= 500) app.log.error({ err }, 'request failed');
    await reply.code(status).send(body);
  });
  app.setNotFoundHandler(async (req, reply) => {
    await reply.code(404).send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  app.get('/api/health', async () => ({
    status: 'ok',
    version: deps.version,
    uptimeSeconds: Math.round((deps.nowMs() - deps.startedAtMs) / 100) / 10,
    listening: deps.listening(),
  }));

  app.get('/metrics', async (_req, reply) => {
    const text = await deps.metrics.registry.metrics();
    await reply.header('Content-Type', deps.metrics.registry.contentType).send(text);
  });

  app.get('/api/profiles', async () => ({
    profiles: [...deps.profiles().values()].map(({ source: _source, ...p }) => p),
  }));

  app.get('/api/profiles/:name', async (req) => {
    const { name } = req.params as { name: string };
    const p = deps.profiles().get(name);
    if (!p) {
      const { AcipError } = await import('../util/errors.js');
      throw new AcipError('NOT_FOUND', `no profile named ${JSON.stringify(name)}`, 'name');
    }
    const { source: _source, ...rest } = p;
    return rest;
  });

  app.get('/', async (_req, reply) => {
    const html = await readFile(join(deps.webRoot, 'index.html'), 'utf8');
    await reply.type('text/html; charset=utf-8').send(html);
  });

  return app;
}
