/**
 * The OpenAPI document (/docs/json, /docs/yaml) and its Swagger UI (/docs), loaded on the first request
 * under /docs. @fastify/swagger and @fastify/swagger-ui, with their dependencies and the per-route
 * bookkeeping, would otherwise sit in memory for the life of a codec whose API documentation is
 * rarely opened. The app records its routes as they are added; the first /docs request builds a
 * documentation-only fastify instance from those records, with the same plugins and options, and
 * every /docs request is answered by it. Its copies of the app's routes never run and compile no
 * schemas.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';

export interface DocsOptions {
  /** The `openapi` option of @fastify/swagger. */
  openapi: Record<string, unknown>;
  error: (err: Error, req: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

const DOCS_PREFIX = '/docs';
/**
 * The routes @fastify/swagger-ui adds under the prefix with these options, mirrored here so that each
 * request matches (and is counted under) the same route as when the plugin sits in the app itself.
 */
const DOCS_ROUTES = ['/', '/json', '/yaml', '/static/index.html', '/static/swagger-initializer.js', '/static/*'];
/** Answer headers the main app sets itself for its own connection. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date']);
/** Marks an answer of the documentation instance's not-found handler, for the app to answer with its own. */
const NOT_FOUND_MARK = 'x-acip-docs-not-found';
const noHandler = async (): Promise<never> => {
  throw new Error('documentation-only route');
};

/**
 * Starts recording routes: call before any documented route is added, after the hooks that must run
 * on /docs requests. Registers the /docs routes (GET, with their HEAD), answered by the
 * documentation instance.
 */
export function registerLazyDocs(app: FastifyInstance, opts: DocsOptions): void {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    // HEAD twins are re-created by the documentation instance from their GET, as here.
    const isDocs = route.url === DOCS_PREFIX || route.url?.startsWith(`${DOCS_PREFIX}/`);
    if (route.method !== 'HEAD' && !isDocs) routes.push(route);
  });

  let docs: Promise<FastifyInstance> | undefined;
  const build = async (): Promise<FastifyInstance> => {
    const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([import('@fastify/swagger'), import('@fastify/swagger-ui')]);
    const d = Fastify({ logger: false });
    d.setValidatorCompiler(() => () => true);
    d.setSerializerCompiler(() => (data) => JSON.stringify(data));
    d.setNotFoundHandler(async (_req, reply) => {
      await reply.code(404).header(NOT_FOUND_MARK, '1').send();
    });
    d.setErrorHandler(opts.error);
    for (const schema of Object.values(app.getSchemas())) d.addSchema(schema);
    await d.register(swagger, { openapi: opts.openapi });
    await d.register(swaggerUi, { routePrefix: DOCS_PREFIX });
    // The recorded options objects, as every onRoute hook of the app left them (the WebSocket
    // plugin hides its routes by marking their schema).
    for (const r of routes) d.route({ method: r.method, url: r.url, schema: r.schema, config: r.config, handler: noHandler });
    await d.ready();
    return d;
  };

  const answer = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    docs ??= build().catch((err: unknown) => {
      docs = undefined;
      throw err;
    });
    // Asked as a GET: for a HEAD the app itself drops the body and keeps its length.
    const res = await (await docs).inject({ method: 'GET', url: req.url, headers: req.headers });
    if (res.headers[NOT_FOUND_MARK] !== undefined) return reply.callNotFound();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined && !NOT_FORWARDED.has(name)) void reply.header(name, value);
    }
    await reply.code(res.statusCode).send(res.rawPayload.length > 0 ? res.rawPayload : undefined);
  };
  app.addHook('onClose', async () => {
    await (await docs?.catch(() => undefined))?.close();
  });
  void app.register(
    async (scope) => {
      for (const url of DOCS_ROUTES) scope.get(url, answer);
    },
    { prefix: DOCS_PREFIX },
  );
}
