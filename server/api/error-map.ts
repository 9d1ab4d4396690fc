/**
 * The one table from acip error codes to HTTP statuses (STYLE.md: errors carry stable codes and
 * are mapped at the edge). Bodies are always `{code, message, field?}`.
 */
import { isAcipError } from '../util/errors.js';

const HTTP_STATUS_BY_CODE: ReadonlyMap<string, number> = new Map([
  ['CONFIG_INVALID', 400],
  ['AUDIO_SPEC_INVALID', 400],
  ['VALIDATION', 400],
  ['AUTH_REQUIRED', 401],
  ['FORBIDDEN', 403],
  ['NOT_FOUND', 404],
  ['CONFLICT', 409],
  ['LINK_LIMIT', 503],
  ['LINK_ILLEGAL_TRANSITION', 409],
]);

export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string;
}

export function toHttpError(err: unknown): { status: number; body: ApiErrorBody } {
  if (isAcipError(err)) {
    const body: ApiErrorBody = { code: err.code, message: err.message };
    if (err.field) body.field = err.field;
    return { status: HTTP_STATUS_BY_CODE.get(err.code) ?? 500, body };
  }
  // fastify's own errors (schema validation, bad JSON, 404) carry statusCode and an FST_ code.
  const e = err as {
    statusCode?: number;
    code?: string;
    message?: string;
    validation?: { instancePath?: string; message?: string; params?: { missingProperty?: string; additionalProperty?: string } }[];
  };
  if (e && typeof e.statusCode === 'number' && e.statusCode < 500) {
    const v = e.validation?.[0];
    if (v) {
      const base = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
      const leaf = v.params?.missingProperty ?? v.params?.additionalProperty;
      const field = [base, leaf].filter(Boolean).join('.') || 'body';
      const what = v.params?.additionalProperty ? 'unknown field' : (v.message ?? 'invalid');
      return { status: 400, body: { code: 'VALIDATION', message: `${field}: ${what}`, field } };
    }
    return { status: e.statusCode, body: { code: e.code ?? 'BAD_REQUEST', message: e.message ?? 'bad request' } };
  }
  return { status: 500, body: { code: 'INTERNAL', message: 'internal error' } };
}
