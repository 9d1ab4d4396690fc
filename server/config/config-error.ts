import { AcipError } from '../util/errors.js';

/** Bad configuration: names the field (dotted path or flag) and the offending value. Start-up exits 2. */
export class ConfigError extends AcipError {
  readonly value: unknown;
  constructor(field: string, value: unknown, message: string) {
    super('CONFIG_INVALID', `${field}: ${message} (got ${describe(value)})`, field);
    this.name = 'ConfigError';
    this.value = value;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
