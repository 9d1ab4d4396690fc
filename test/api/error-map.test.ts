/** The one table from acip error codes to HTTP statuses, and the error body every failure answers with. */
import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { toHttpError } from '../../server/api/error-map.js';
import { ErrorBody } from '../../server/api/contract/index.js';
import { ACIP_ERROR_CODES, AcipError, isAcipErrorCode, type AcipErrorCode } from '../../server/util/errors.js';

describe('HTTP status of acip errors', () => {
  it.each<[AcipErrorCode, number]>([
    ['VALIDATION', 400],
    ['CONFIG_INVALID', 400],
    ['AUDIO_SPEC_INVALID', 400],
    ['AUTH_REQUIRED', 401],
    ['FORBIDDEN', 403],
    ['NOT_FOUND', 404],
    ['CONFLICT', 409],
    ['LINK_ILLEGAL_TRANSITION', 409],
    ['LINK_LIMIT', 503],
    ['SDP_NO_COMMON_CODEC', 500],
    ['MEDIA_WORKER_EXIT', 500],
  ])('answers %s with %i and the code, message and field in the body', (code, status) => {
    const out = toHttpError(new AcipError(code, 'what went wrong', 'to'));
    expect(out).toEqual({ status, body: { code, message: 'what went wrong', field: 'to' } });
    expect(Value.Check(ErrorBody, out.body)).toBe(true);
  });

  it('leaves the field out when the error names none', () => {
    expect(toHttpError(new AcipError('NOT_FOUND', 'gone')).body).toEqual({ code: 'NOT_FOUND', message: 'gone' });
  });

  it('names the field of a schema validation error', () => {
    const err = Object.assign(new Error('body/to must be string'), { statusCode: 400, validation: [{ instancePath: '/to', message: 'must be string' }] });
    expect(toHttpError(err)).toEqual({ status: 400, body: { code: 'VALIDATION', message: 'to: must be string', field: 'to' } });
  });

  it('calls an unknown property an unknown field', () => {
    const err = Object.assign(new Error('x'), { statusCode: 400, validation: [{ instancePath: '', params: { additionalProperty: 'colour' } }] });
    expect(toHttpError(err).body).toEqual({ code: 'VALIDATION', message: 'colour: unknown field', field: 'colour' });
  });

  it('keeps the status and FST_ code of fastify client errors', () => {
    const err = Object.assign(new Error('Body is not valid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    expect(toHttpError(err)).toEqual({ status: 400, body: { code: 'FST_ERR_CTP_INVALID_JSON_BODY', message: 'Body is not valid JSON' } });
  });

  it('answers anything else with 500 INTERNAL and no detail', () => {
    expect(toHttpError(new TypeError('x is undefined'))).toEqual({ status: 500, body: { code: 'INTERNAL', message: 'internal error' } });
  });
});

describe('acip error codes', () => {
  it('are unique upper-case identifiers', () => {
    expect(new Set(ACIP_ERROR_CODES).size).toBe(ACIP_ERROR_CODES.length);
    for (const c of ACIP_ERROR_CODES) expect(c).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });

  it('recognise a code that crossed a thread boundary as a plain string', () => {
    expect(isAcipErrorCode('SDP_MALFORMED')).toBe(true);
    expect(isAcipErrorCode('EADDRINUSE')).toBe(false);
  });
});
