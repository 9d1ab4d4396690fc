/**
 * The UA edge of the header parsers: a parse that cannot throw. A malformed header from the network
 * becomes the 400 a UAS answers with (RFC 3261 §21.4.1: the reason phrase names the fault), carried
 * as a value, so a request handler cannot let a parse error escape by forgetting a try/catch.
 * Only `SipParseError` is turned into a result; any other error is a bug and still throws.
 */
import { SipParseError } from './parse-error.js';

export type HeaderResult<T> = { ok: true; value: T } | { ok: false; status: 400; reason: string; error: SipParseError };

export function tryHeader<T>(parse: (value: string) => T, value: string): HeaderResult<T> {
  try {
    return { ok: true, value: parse(value) };
  } catch (e) {
    if (e instanceof SipParseError) return { ok: false, status: 400, reason: e.message, error: e };
    throw e;
  }
}

/**
 * A header that must appear exactly once (RSeq in a reliable 1xx, RAck in a PRACK, Event in a
 * SUBSCRIBE or NOTIFY, Subscription-State in a NOTIFY): absent or repeated is a 400 too.
 */
export function tryRequiredHeader<T>(parse: (value: string) => T, values: readonly string[], name: string): HeaderResult<T> {
  if (values.length !== 1) {
    const what = values.length === 0 ? 'Missing' : 'Duplicate';
    const error = new SipParseError('SIP_BAD_HEADER', `${what} ${name} header`, name);
    return { ok: false, status: 400, reason: error.message, error };
  }
  return tryHeader(parse, values[0]!);
}
