/**
 * The logging seam shared by the SIP layers. pino's logger satisfies it; tests pass `silentSipLogger`.
 * Signature follows pino: an optional context object first, then the message.
 */
export interface SipLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};
export const silentSipLogger: SipLogger = { debug: noop, info: noop, warn: noop, error: noop };
