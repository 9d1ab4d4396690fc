/**
 * The one table from acip error codes to HTTP statuses: errors carry stable codes inside the
 * service and are mapped here, at the edge. Bodies are always the contract's `ErrorBody`.
 */
import { isAcipError, type AcipErrorCode } from '../util/errors.js';
import type { ErrorBody } from './contract/index.js';

/**
 * Codes a client can cause or fix. Every other code means the service failed, not the request:
 * 500, with the code and message in the body so an operator can find it in the log.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Partial<Record<AcipErrorCode, number>>> = {
  CONFIG_INVALID: 400,
  AUDIO_SPEC_INVALID: 400,
  VALIDATION: 400,
  AUTH_REQUIRED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  LINK_ILLEGAL_TRANSITION: 409,
  LINK_LIMIT: 503,
  OVERLOADED: 503,
};

export function httpStatusOf(code: AcipErrorCode): number {
  return HTTP_STATUS_BY_CODE[code] ?? 500;
}

export function toHttpError(err: unknown): { status: number; body: ErrorBody } {
  if (isAcipError(err)) {
    const body: ErrorBody = { code: err.code, message: err.message };
    if (err.field) body.field = err.field;
    return { status: httpStatusOf(err.code), body };
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
