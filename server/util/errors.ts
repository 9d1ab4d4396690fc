/**
 * Errors inside acip carry a stable machine `code` (the model: fastify's FST_ERR_*).
 * The API maps codes to HTTP statuses in one table; the UA maps them to SIP statuses in one table.
 * `field` names the offending input where there is one (config key, request body path, SIP header).
 */
export class AcipError extends Error {
  readonly code: string;
  readonly field: string | undefined;

  constructor(code: string, message: string, field?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AcipError';
    this.code = code;
    this.field = field;
  }
}

export function isAcipError(e: unknown): e is AcipError {
  return e instanceof AcipError;
}
