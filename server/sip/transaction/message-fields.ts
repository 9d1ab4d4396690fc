/**
 * The few header fields the transaction layer matches on (§17.1.3, §17.2.3), read through the
 * grammar modules. Malformed fields read as undefined: matching then simply fails.
 */
import type { SipMessage } from '../grammar/message.js';
import { getTag, parseCSeq, splitHeaderList } from '../grammar/headers.js';
import { parseVia, type Via } from '../grammar/via.js';

export interface TopVia {
  /** Raw text of the first Via element (the RFC 2543 match compares it whole). */
  raw: string;
  via: Via;
  branch: string | undefined;
  /** host[:port], lower-cased. */
  sentBy: string;
}

/**
 * The top Via of each message as last parsed, with the header value it was parsed from: a request is
 * matched, keyed, stamped and answered through its top Via several times (§17.2.3, §18.2.1, §18.2.2),
 * and a parse costs far more than a lookup. The value is compared on each read, so a message whose
 * Via changed (stampReceived adds `received`) is parsed again.
 */
const topViaCache = new WeakMap<SipMessage, { value: string; top: TopVia | undefined }>();

export function topVia(msg: SipMessage): TopVia | undefined {
  const v = msg.headers.get('Via');
  if (v === undefined) return undefined;
  const cached = topViaCache.get(msg);
  if (cached !== undefined && cached.value === v) return cached.top;
  const top = parseTopVia(v);
  topViaCache.set(msg, { value: v, top });
  return top;
}

function parseTopVia(v: string): TopVia | undefined {
  try {
    const raw = splitHeaderList(v, 'Via')[0] ?? '';
    const via = parseVia(raw)[0];
    if (!via) return undefined;
    const sentBy = `${via.host.toLowerCase()}${via.port !== undefined ? `:${via.port}` : ''}`;
    return { raw, via, branch: via.branch, sentBy };
  } catch {
    return undefined;
  }
}

export function cseqOf(msg: SipMessage): { seq: number; method: string } | undefined {
  const v = msg.headers.get('CSeq');
  if (v === undefined) return undefined;
  try {
    return parseCSeq(v);
  } catch {
    return undefined;
  }
}

export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return getTag(value); // cached by value in the grammar layer
  } catch {
    return undefined;
  }
}
