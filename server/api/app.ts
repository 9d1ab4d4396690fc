/**
 * The HTTP surface: REST under /api, the live WebSocket feed at /api/live, OpenAPI at /docs,
 * Prometheus at /metrics, the panel at /. `buildApp` wires routes to the service's parts and opens
 * no socket itself, so tests use `app.inject()` and the service calls `listen`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import fastifyStatic from '@fastify/static';
import type { AcipConfig } from '../config/schema.js';
import type { Profile } from '../config/profile-schema.js';
import type { AcipMetrics } from '../metrics/metrics.js';
import type { LinksPort } from '../links/links-port.js';
import type { Phonebook } from '../store/phonebook.js';
import type { CallHistory } from '../store/call-history.js';
import { AcipError } from '../util/errors.js';
import { Auth, makeAuthHook } from './auth.js';
import { toHttpError } from './error-map.js';
import { registerSessionRoutes } from './routes/session.js';
import { registerLinkRoutes } from './routes/links.js';
import { registerPhonebookRoutes } from './routes/phonebook.js';
import { registerHistoryRoutes } from './routes/history.js';
import { registerMessageRoutes, type MessagingPort } from './routes/messages.js';
import { registerTransferRoutes, type TransferPort } from './routes/transfer.js';
import { registerLiveFeed, type LiveFeedOptions } from './live-feed.js';
import { responses, textBody } from './responses.js';
import { registerLazyDocs } from './docs.js';
import { lazyCompilersFactory } from './lazy-compilers.js';
import { HealthBody, ProfileList, ProfileNameParams, ProfileSummary, StatusBody, type ErrorBody, type PeerPresence, type ServiceLoad } from './contract/index.js';

export interface AppDeps {
  config: AcipConfig;
  version: string;
  metrics: AcipMetrics;
  profiles: () => ReadonlyMap<string, Profile & { source: string }>;
  /** Monotonic ms, for uptime and sessions. */
  nowMs: () => number;
  startedAtMs: number;
  /** What the service listens on, for /api/health. */
  listening: () => { sip: string[]; http: string | undefined };
  webRoot: string;
  links?: LinksPort;
  phonebook?: Phonebook;
  history?: CallHistory;
  /** Text messages (SIP MESSAGE); the routes exist only when the service provides it. */
  messaging?: MessagingPort;
  /** Presence of watched phonebook entries (RFC 3856): on each entry and on the live feed. */
  peerPresence?: PeerPresencePort;
  /** Call transfer of a link (REFER); the route exists only when the service provides it. */
  transfer?: TransferPort;
  live?: Partial<LiveFeedOptions>;
  logger?: FastifyBaseLogger | boolean;
}

/** What the API reads of the presence of watched phonebook entries. */
export interface PeerPresencePort {
  of(phonebookId: string): PeerPresence | undefined;
  readonly events: { on(event: 'presence', fn: (phonebookId: string, presence: PeerPresence) => void): () => void };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: typeof deps.logger === 'object' ? deps.logger : undefined,
    logger: typeof deps.logger === 'boolean' ? deps.logger : undefined,
    bodyLimit: 256 * 1024,
    // Per-request lines would drown the log of a 24/7 service; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Wrong types and unknown fields are errors that name the field, never silently fixed.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Responses are serialized from the contract's schemas. A non-finite number (a silent meter's
    // -Infinity dBFS) goes out as null, as JSON.stringify sends it, instead of matching no branch of
    // a `number | null` schema and failing the whole reply.
    serializerOpts: { ajv: { strictNumbers: false } },
    // Validators and serializers compile on a route's first request, not all at start-up.
    schemaController: { compilersFactory: lazyCompilersFactory() },
  } as never) as unknown as FastifyInstance;

  const auth = new Auth({ password: deps.config.http.password, viewerPassword: deps.config.http.viewerPassword, nowMs: deps.nowMs });
  app.decorate('acipAuth', auth);

  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });

  app.addHook('onRequest', makeAuthHook(auth));
  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.httpRequests.inc({ route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  const onError = async (err: Error, _req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const { status, body } = toHttpError(err);
    if (status >= 500) app.log.error({ err }, 'request failed');
    await reply.code(status).send(body);
  };
  const onNotFound = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const body: ErrorBody = { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` };
    await reply.code(404).send(body);
  };
  app.setErrorHandler(onError);
  app.setNotFoundHandler(onNotFound);
  registerLazyDocs(app, {
    openapi: {
      info: { title: 'acip API', version: deps.version, description: 'Links, phonebook, history, messages, profiles and status of an acip codec.' },
      components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' } } },
    },
    error: onError,
  });

  app.get<{ Reply: HealthBody }>(
    '/api/health',
    { schema: { tags: ['status'], summary: 'Liveness: ok, version, uptime', response: responses({ 200: HealthBody }) } },
    async () => ({
      status: 'ok' as const,
      version: deps.version,
      uptimeSeconds: Math.round((deps.nowMs() - deps.startedAtMs) / 100) / 10,
      listening: deps.listening(),
    }),
  );

  app.get<{ Reply: StatusBody }>(
    '/api/status',
    { schema: { tags: ['status'], summary: 'Registration, listening sockets, link counts, your role', response: responses({ 200: StatusBody }) } },
    async (req) => {
      return {
        version: deps.version,
        listening: deps.listening(),
        registration: deps.links?.registration() ?? null,
        links: linkCounts(deps.links),
        load: serviceLoad(deps.links),
        role: req.acipRole ?? 'open',
      };
    },
  );

  app.get('/metrics', { schema: { hide: true, response: { 200: textBody('text/plain', 'Prometheus text format 0.0.4') } } }, async (_req, reply) => {
    const text = await deps.metrics.registry.metrics();
    await reply.header('Content-Type', deps.metrics.registry.contentType).send(text);
  });

  const withoutSource = ({ source: _source, ...p }: Profile & { source: string }): ProfileSummary => p;
  app.get<{ Reply: ProfileList }>(
    '/api/profiles',
    { schema: { tags: ['profiles'], summary: 'Loaded profiles, codecs in the order offered', response: responses({ 200: ProfileList }) } },
    async () => ({ profiles: [...deps.profiles().values()].map(withoutSource) }),
  );

  app.get<{ Params: ProfileNameParams; Reply: ProfileSummary }>(
    '/api/profiles/:name',
    { schema: { tags: ['profiles'], summary: 'One profile', params: ProfileNameParams, response: responses({ 200: ProfileSummary }) } },
    async (req) => {
      const p = deps.profiles().get(req.params.name);
      if (!p) throw new AcipError('NOT_FOUND', `no profile named ${JSON.stringify(req.params.name)}`, 'name');
      return withoutSource(p);
    },
  );

  registerSessionRoutes(app, auth);
  if (deps.links) {
    registerLinkRoutes(app, deps.links);
    if (deps.transfer) registerTransferRoutes(app, deps.transfer);
    registerLiveFeed(app, { links: deps.links, version: deps.version, messages: deps.messaging?.events, presence: deps.peerPresence?.events, ...deps.live });
  }
  if (deps.phonebook) registerPhonebookRoutes(app, deps.phonebook, deps.links, deps.history, deps.peerPresence ? (id) => deps.peerPresence!.of(id) : undefined);
  if (deps.history) registerHistoryRoutes(app, deps.history);
  if (deps.messaging) registerMessageRoutes(app, deps.messaging);

  // The panel: the Vite build in web/dist when present, else the source page (no build step needed to look).
  const dist = join(deps.webRoot, 'dist');
  if (existsSync(join(dist, 'index.html'))) {
    await app.register(fastifyStatic, { root: dist, prefix: '/', wildcard: false, index: ['index.html'] });
  } else {
    app.get('/', { schema: { hide: true, response: { 200: textBody('text/html', 'The panel') } } }, async (_req, reply) => {
      const html = await readFile(join(deps.webRoot, 'index.html'), 'utf8');
      await reply.type('text/html; charset=utf-8').send(html);
    });
  }

  return app;
}

/** Link counts per state, without a snapshot of every link when the port can count (it is polled under load). */
function linkCounts(links: LinksPort | undefined): { total: number; byState: Record<string, number> } {
  if (!links) return { total: 0, byState: {} };
  if (links.stateCounts) return links.stateCounts();
  const byState: Record<string, number> = {};
  const all = links.list();
  for (const l of all) byState[l.state] = (byState[l.state] ?? 0) + 1;
  return { total: all.length, byState };
}

function serviceLoad(links: LinksPort | undefined): ServiceLoad | null {
  const l = links?.load?.();
  return l ? { ...l, workers: [...l.workers] } : null;
}
