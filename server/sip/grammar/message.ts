/**
 * SIP message model (RFC 3261 §7). This file is the seam between the grammar
 * (parser/serializer, pure) and the layers above (transport, transaction, dialog, UA).
 *
 * Headers keep their order and raw values. Names are matched case-insensitively
 * and compact forms (§7.3.3) are expanded to their long form by `canonicalHeaderName`.
 * Header storage is a Map/array, never a plain object keyed by network input
 * (a header named `__proto__` must stay a header).
 */

export interface SipHeader {
  /** Canonical long name, e.g. `Via`, `Call-ID`, `Content-Length` (compact forms expanded). */
  name: string;
  /** The raw value with folding (§7.3.1) collapsed to single spaces, surrounding whitespace trimmed. */
  value: string;
}

const COMPACT: ReadonlyMap<string, string> = new Map([
  ['i', 'Call-ID'],
  ['m', 'Contact'],
  ['e', 'Content-Encoding'],
  ['l', 'Content-Length'],
  ['c', 'Content-Type'],
  ['f', 'From'],
  ['s', 'Subject'],
  ['k', 'Supported'],
  ['t', 'To'],
  ['v', 'Via'],
  ['o', 'Event'],
  ['r', 'Refer-To'],
  ['u', 'Allow-Events'],
  ['x', 'Session-Expires'],
]);

const KNOWN: ReadonlyMap<string, string> = new Map(
  [
    'Accept', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Authentication-Info',
    'Authorization', 'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition', 'Content-Encoding',
    'Content-Language', 'Content-Length', 'Content-Type', 'CSeq', 'Date', 'Error-Info', 'Expires',
    'From', 'In-Reply-To', 'Max-Forwards', 'MIME-Version', 'Min-Expires', 'Organization', 'Priority',
    'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'Record-Route', 'Reply-To',
    'Require', 'Retry-After', 'Route', 'Server', 'Subject', 'Supported', 'Timestamp', 'To',
    'Unsupported', 'User-Agent', 'Via', 'Warning', 'WWW-Authenticate', 'Event', 'Allow-Events',
    'Refer-To', 'Session-Expires', 'Min-SE', 'P-Asserted-Identity',
  ].map((n) => [n.toLowerCase(), n]),
);

/** Expand compact forms and give known headers their conventional spelling; others keep theirs. */
export function canonicalHeaderName(raw: string): string {
  const lower = raw.toLowerCase();
  return COMPACT.get(lower) ?? KNOWN.get(lower) ?? raw;
}

/** Ordered, case-insensitive header list. */
export class SipHeaders {
  private list: SipHeader[] = [];

  constructor(init?: Iterable<SipHeader>) {
    if (init) for (const h of init) this.append(h.name, h.value);
  }

  append(name: string, value: string): void {
    this.list.push({ name: canonicalHeaderName(name), value });
  }

  /** Replace every header of that name with one value (or remove them with `undefined`). */
  set(name: string, value: string | undefined): void {
    const canon = canonicalHeaderName(name).toLowerCase();
    const idx = this.list.findIndex((h) => h.name.toLowerCase() === canon);
    this.list = this.list.filter((h) => h.name.toLowerCase() !== canon);
    if (value !== undefined) {
      const h = { name: canonicalHeaderName(name), value };
      if (idx >= 0) this.list.splice(idx, 0, h);
      else this.list.push(h);
    }
  }

  /** First value of the header, or undefined. */
  get(name: string): string | undefined {
    const canon = canonicalHeaderName(name).toLowerCase();
    return this.list.find((h) => h.name.toLowerCase() === canon)?.value;
  }

  /** Every header line's value of that name, in order (not split on commas). */
  getAll(name: string): string[] {
    const canon = canonicalHeaderName(name).toLowerCase();
    return this.list.filter((h) => h.name.toLowerCase() === canon).map((h) => h.value);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  delete(name: string): void {
    this.set(name, undefined);
  }

  /** Put a header at the top (e.g. a new Via). */
  prepend(name: string, value: string): void {
    this.list.unshift({ name: canonicalHeaderName(name), value });
  }

  /** Remove only the first occurrence (e.g. the top Via when a response goes upstream). */
  removeFirst(name: string): void {
    const canon = canonicalHeaderName(name).toLowerCase();
    const idx = this.list.findIndex((h) => h.name.toLowerCase() === canon);
    if (idx >= 0) this.list.splice(idx, 1);
  }

  entries(): readonly SipHeader[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  clone(): SipHeaders {
    return new SipHeaders(this.list);
  }
}

export interface SipRequest {
  kind: 'request';
  method: string;
  /** Request-URI as text; parse with the URI grammar when needed. */
  uri: string;
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  version: string;
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/** RFC 3261 §8.1.1.7: branch IDs from compliant elements start with this. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';
