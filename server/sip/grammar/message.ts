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

/** A header name as stored: its canonical spelling and the lower-case key lookups compare. */
interface CanonicalName {
  name: string;
  key: string;
}

/**
 * Names already canonicalised, by the spelling they came in. Lookups pass the same few constant
 * names thousands of times a second and parsed messages repeat the same header names, so each is
 * lower-cased once instead of on every access. Bounded: names from the network (any spelling of
 * any extension header) stop being remembered once it is full, and are then worked out each time.
 */
const CANONICAL_CACHE_MAX = 512;
const canonicalCache = new Map<string, CanonicalName>();

function canonical(raw: string): CanonicalName {
  let c = canonicalCache.get(raw);
  if (c === undefined) {
    const lower = raw.toLowerCase();
    const name = COMPACT.get(lower) ?? KNOWN.get(lower) ?? raw;
    c = { name, key: name.toLowerCase() };
    if (canonicalCache.size < CANONICAL_CACHE_MAX) canonicalCache.set(raw, c);
  }
  return c;
}

/** Expand compact forms and give known headers their conventional spelling; others keep theirs. */
export function canonicalHeaderName(raw: string): string {
  return canonical(raw).name;
}

/**
 * Ordered, case-insensitive header list. Beside each header its lower-case canonical name (`keys`,
 * index for index), so a lookup compares strings instead of lower-casing every header it passes.
 */
export class SipHeaders {
  private list: SipHeader[] = [];
  private keys: string[] = [];

  constructor(init?: Iterable<SipHeader>) {
    if (init) for (const h of init) this.append(h.name, h.value);
  }

  append(name: string, value: string): void {
    const c = canonical(name);
    this.list.push({ name: c.name, value });
    this.keys.push(c.key);
  }

  /** Replace every header of that name with one value (or remove them with `undefined`). */
  set(name: string, value: string | undefined): void {
    const c = canonical(name);
    const idx = this.keys.indexOf(c.key);
    if (idx >= 0) {
      const list: SipHeader[] = [];
      const keys: string[] = [];
      for (let i = 0; i < this.list.length; i++) {
        if (this.keys[i] === c.key) continue;
        list.push(this.list[i]!);
        keys.push(this.keys[i]!);
      }
      this.list = list;
      this.keys = keys;
    }
    if (value !== undefined) {
      const h = { name: c.name, value };
      if (idx >= 0) {
        this.list.splice(idx, 0, h);
        this.keys.splice(idx, 0, c.key);
      } else {
        this.list.push(h);
        this.keys.push(c.key);
      }
    }
  }

  /** First value of the header, or undefined. */
  get(name: string): string | undefined {
    const idx = this.keys.indexOf(canonical(name).key);
    return idx >= 0 ? this.list[idx]!.value : undefined;
  }

  /** Every header line's value of that name, in order (not split on commas). */
  getAll(name: string): string[] {
    const key = canonical(name).key;
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] === key) out.push(this.list[i]!.value);
    return out;
  }

  /** How many header lines of that name there are (without collecting their values). */
  count(name: string): number {
    const key = canonical(name).key;
    let n = 0;
    for (const k of this.keys) if (k === key) n++;
    return n;
  }

  has(name: string): boolean {
    return this.keys.includes(canonical(name).key);
  }

  delete(name: string): void {
    this.set(name, undefined);
  }

  /** Put a header at the top (e.g. a new Via). */
  prepend(name: string, value: string): void {
    const c = canonical(name);
    this.list.unshift({ name: c.name, value });
    this.keys.unshift(c.key);
  }

  /** Remove only the first occurrence (e.g. the top Via when a response goes upstream). */
  removeFirst(name: string): void {
    const idx = this.keys.indexOf(canonical(name).key);
    if (idx >= 0) {
      this.list.splice(idx, 1);
      this.keys.splice(idx, 1);
    }
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
