/**
 * Schema compilers that compile on first use. Fastify compiles a validator and a serializer for every
 * route (and again for each route's automatic HEAD twin) when the app starts, and keeps the generated
 * code for the life of the process: several megabytes for a surface of which an idle codec answers
 * only /api/health. These wrap fastify's own default compilers (the ones it would pick itself, with
 * the same options), so what a route accepts and sends is unchanged; only the moment of compiling
 * moves to the first request. A response schema shared by several routes, or by a GET and its HEAD,
 * is compiled once.
 */
import { createRequire } from 'node:module';
import { serializerSchema } from './serializer-schema.js';

export type Validate = ((data: unknown) => unknown) & { errors?: unknown };
export type Serialize = (data: unknown) => string;
export interface RouteSchema {
  schema: unknown;
  [key: string]: unknown;
}
export type Builder<F> = (externalSchemas: unknown, options: unknown) => (route: RouteSchema) => F;

/** Fastify's default compiler builders, resolved from fastify itself so they are its own versions. */
function fastifyDefault<F>(name: '@fastify/ajv-compiler' | '@fastify/fast-json-stringify-compiler'): () => Builder<F> {
  // Loaded now, not on the first request: loading ajv and fast-json-stringify takes tens of ms (more
  // under tsx), and the first request may arrive while media runs on this thread.
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  const selector = fromFastify(name) as () => Builder<F>;
  return () => selector();
}

const defaultValidatorBuilder = fastifyDefault<Validate>('@fastify/ajv-compiler');
const defaultSerializerBuilder = fastifyDefault<Serialize>('@fastify/fast-json-stringify-compiler');

/** A builder whose compilers return a stand-in that compiles the real function on its first call. */
export function lazyBuilder<F>(load: () => Builder<F>, stub: (compile: () => F) => F): Builder<F> {
  return (externalSchemas, options) => {
    let compiler: ((route: RouteSchema) => F) | undefined;
    // By schema object, then by part (a validator may depend on whether it checks a body or a query).
    const compiled = new WeakMap<object, Map<unknown, F>>();
    const compileFor = (route: RouteSchema): F => {
      const key = typeof route.schema === 'object' && route.schema !== null ? route.schema : undefined;
      const byPart = key && (compiled.get(key) ?? compiled.set(key, new Map()).get(key)!);
      const cached = byPart?.get(route.httpPart);
      if (cached) return cached;
      compiler ??= load()(externalSchemas, options);
      const fn = compiler(route);
      byPart?.set(route.httpPart, fn);
      return fn;
    };
    return (route) => stub(() => compileFor(route));
  };
}

export const lazySerializer = (compile: () => Serialize): Serialize => {
  let fn: Serialize | undefined;
  return (data) => (fn ??= compile())(data);
};

/** Fastify reads `.errors` off the validator after a `false` result, as ajv reports them. */
export const lazyValidator = (compile: () => Validate): Validate => {
  let fn: Validate | undefined;
  const validate: Validate = (data) => {
    fn ??= compile();
    const result = fn(data);
    validate.errors = fn.errors;
    return result;
  };
  return validate;
};

/** Hands the serializer compiler the rewritten response schema (serializer-schema.ts), not the contract's. */
function withSerializerSchemas(load: () => Builder<Serialize>): () => Builder<Serialize> {
  return () => {
    const base = load();
    return (externalSchemas, options) => {
      const compile = base(externalSchemas, options);
      return (route) => compile({ ...route, schema: serializerSchema(route.schema) });
    };
  };
}

/** For fastify's `schemaController.compilersFactory` server option. */
export function lazyCompilersFactory(): { buildValidator: Builder<Validate>; buildSerializer: Builder<Serialize> } {
  return {
    buildValidator: lazyBuilder(defaultValidatorBuilder, lazyValidator),
    buildSerializer: lazyBuilder(withSerializerSchemas(defaultSerializerBuilder), lazySerializer),
  };
}
