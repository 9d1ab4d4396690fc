/**
 * Schemas compile on a route's first request, once per schema, and /docs is built on its first
 * request: what routes accept and send, and what /docs answers, stay as with eager compiling.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { lazyBuilder, lazySerializer, lazyValidator, type Builder, type RouteSchema, type Serialize, type Validate } from '../../server/api/lazy-compilers.js';
import { makeApp } from './memory-links.js';

/** A stand-in for fastify's compiler builder that records what it compiled. */
function countingBuilder<F>(make: (route: RouteSchema) => F): { load: () => Builder<F>; compiled: RouteSchema[]; loads: number } {
  const state = {
    compiled: [] as RouteSchema[],
    loads: 0,
    load: (): Builder<F> => {
      state.loads++;
      return () => (route) => {
        state.compiled.push(route);
        return make(route);
      };
    },
  };
  return state;
}

describe('lazy schema compilers', () => {
  it('compiles nothing until a serializer is first called, then compiles it once', () => {
    const b = countingBuilder<Serialize>(() => (data) => JSON.stringify(data));
    const serialize = lazyBuilder(b.load, lazySerializer)({}, {})({ schema: { type: 'object' } });
    expect(b.loads).toBe(0);
    expect(b.compiled).toHaveLength(0);
    expect(serialize({ a: 1 })).toBe('{"a":1}');
    expect(serialize({ a: 2 })).toBe('{"a":2}');
    expect(b.compiled).toHaveLength(1);
  });

  it('compiles a schema shared by several routes once', () => {
    const b = countingBuilder<Serialize>(() => (data) => JSON.stringify(data));
    const compile = lazyBuilder(b.load, lazySerializer)({}, {});
    const shared = { type: 'object' };
    const [get, head, other] = [compile({ schema: shared, url: '/a', method: 'GET' }), compile({ schema: shared, url: '/a', method: 'HEAD' }), compile({ schema: shared, url: '/b' })];
    for (const f of [get, head, other]) f({});
    expect(b.compiled).toHaveLength(1);
    expect(b.loads).toBe(1);
  });

  it('compiles a schema again for another part of the request', () => {
    const b = countingBuilder<Validate>(() => () => true);
    const compile = lazyBuilder(b.load, lazyValidator)({}, {});
    const shared = { type: 'object' };
    compile({ schema: shared, httpPart: 'body' })({});
    compile({ schema: shared, httpPart: 'querystring' })({});
    compile({ schema: shared, httpPart: 'body' })({});
    expect(b.compiled.map((r) => r.httpPart)).toEqual(['body', 'querystring']);
  });

  it('passes the errors of a failed validation on, as fastify reads them off the validator', () => {
    const errors = [{ instancePath: '/to', message: 'must match pattern' }];
    const validate = lazyBuilder(() => () => () => Object.assign((data: unknown) => data === 'ok', { errors }), lazyValidator)({}, {})({ schema: {} });
    expect(validate('bad')).toBe(false);
    expect(validate.errors).toBe(errors);
  });
});

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const AUTH = { authorization: `Basic ${Buffer.from('x:admin-password').toString('base64')}` };

describe('/docs, built on its first request', () => {
  it.each([
    ['the Swagger UI page', '/docs', 200, 'text/html'],
    ['the OpenAPI document', '/docs/json', 200, 'application/json'],
    ['the OpenAPI document as YAML', '/docs/yaml', 200, 'application/x-yaml'],
    ['the UI initializer', '/docs/static/swagger-initializer.js', 200, 'application/javascript'],
    ['a UI asset', '/docs/static/swagger-ui.css', 200, 'text/css'],
  ])('serves %s', async (_name, url, status, type) => {
    const t = await makeApp();
    app = t.app;
    const res = await t.app.inject({ url });
    expect(res.statusCode).toBe(status);
    expect(String(res.headers['content-type'])).toContain(type);
    expect(res.body.length).toBeGreaterThan(0);
  });

  it.each([['/docs/nothing'], ['/docs/static/nothing.js'], ['/docs/uiConfig']])('answers %s with the app\'s not-found body', async (url) => {
    const t = await makeApp();
    app = t.app;
    const res = await t.app.inject({ url });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 'NOT_FOUND', message: `no route GET ${url}` });
  });

  it('answers HEAD /docs/json with the length of the document and no body', async () => {
    const t = await makeApp();
    app = t.app;
    const doc = await t.app.inject({ url: '/docs/json' });
    const head = await t.app.inject({ method: 'HEAD', url: '/docs/json' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBe(doc.rawPayload.length);
  });

  it('still asks for credentials at /docs when a password is set', async () => {
    const t = await makeApp({ host: '0.0.0.0', password: 'admin-password' });
    app = t.app;
    expect((await t.app.inject({ url: '/docs/json' })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/docs/json', headers: AUTH })).statusCode).toBe(200);
  });

  it('answers the same document on every request', async () => {
    const t = await makeApp();
    app = t.app;
    const [a, b] = [await t.app.inject({ url: '/docs/json' }), await t.app.inject({ url: '/docs/json' })];
    expect(b.body).toBe(a.body);
    expect(Object.keys((a.json() as { paths: object }).paths)).toContain('/api/links/{id}');
  });
});
