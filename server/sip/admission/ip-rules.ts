/**
 * Source address rules: single addresses and CIDR prefixes, IPv4 and IPv6, matched against the
 * address a packet came from. Every address is held as 16 bytes; an IPv4 address is its
 * IPv4-mapped IPv6 form (RFC 4291 §2.5.5.2, ::ffff:a.b.c.d) and an IPv4 prefix /n becomes /(96+n),
 * so `10.0.0.0/8` matches both `10.1.2.3` and `::ffff:10.1.2.3` (what a dual-stack socket
 * reports for an IPv4 peer) with one comparison.
 */
import { isIP } from 'node:net';
import { AcipError } from '../../util/errors.js';
import { MemoCache } from '../../util/memo-cache.js';

export interface IpRule {
  /** The rule as written, for messages. */
  text: string;
  bytes: Uint8Array;
  /** Prefix length over the 128-bit form. */
  bits: number;
}

/** A rule that is not an address or range (configuration: the loader names the field). */
export class IpRuleError extends AcipError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
    this.name = 'IpRuleError';
  }
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseV4(text: string): number[] | undefined {
  if (isIP(text) !== 4) return undefined;
  return text.split('.').map(Number);
}

/** 16 bytes of an IPv6 address (RFC 4291 §2.2 text forms, an IPv4 tail included); undefined if not one. */
function parseV6(text: string): number[] | undefined {
  if (isIP(text) !== 6) return undefined;
  let head = text;
  let tail: number[] = [];
  const lastColon = head.lastIndexOf(':');
  if (head.slice(lastColon + 1).includes('.')) {
    const v4 = parseV4(head.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = v4;
    head = `${head.slice(0, lastColon + 1)}0:0`; // two placeholder groups, replaced below
  }
  const halves = head.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = groups(halves[0] ?? '');
  const right = halves.length > 1 ? groups(halves[1] ?? '') : [];
  const fill = 8 - left.length - right.length;
  const all = halves.length > 1 ? [...left, ...new Array<number>(fill).fill(0), ...right] : left;
  if (all.length !== 8) return undefined;
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** An address as 16 bytes (IPv4 mapped); a zone index (`fe80::1%eth0`) is ignored. Undefined when not an address. */
export function addressBytes(address: string): Uint8Array | undefined {
  const text = address.trim().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const v4 = parseV4(text);
  if (v4) return Uint8Array.from([...V4_MAPPED_PREFIX, ...v4]);
  const v6 = parseV6(text);
  return v6 ? Uint8Array.from(v6) : undefined;
}

/**
 * The canonical text of a source address: lower case, and an IPv4-mapped IPv6 address as plain
 * IPv4, so that one peer has one key whichever socket family it arrived on.
 */
export function normalizeSource(address: string): string {
  return address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/** Parse `ADDRESS` or `ADDRESS/PREFIX`; throws IpRuleError saying what is wrong. */
export function parseIpRule(text: string): IpRule {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text.trim() : text.slice(0, slash).trim();
  const isV4 = parseV4(addr) !== undefined;
  const bytes = addressBytes(addr);
  if (!bytes || addr.includes('%')) throw new IpRuleError(`${JSON.stringify(text)} is not an IP address or CIDR range`);
  const max = isV4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new IpRuleError(`${JSON.stringify(text)}: the prefix length must be 0-${max}`);
    bits = Number(p);
  }
  return { text, bytes, bits: isV4 ? bits + 96 : bits };
}

export function ruleMatches(rule: IpRule, addr: Uint8Array): boolean {
  let bits = rule.bits;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((rule.bytes[i]! & mask) !== (addr[i]! & mask)) return false;
  }
  return true;
}

/** Verdicts an IpRuleSet remembers; emptied when full, so a flood from many sources costs bounded memory. */
export const IP_VERDICT_CACHE_MAX = 1024;

/**
 * A list of rules; `matches` is true when any rule covers the address. Every new request asks, and a
 * peer sends many from one address: the verdict of an address is worked out once (the rules never
 * change) instead of parsing the address text again for each request.
 */
export class IpRuleSet {
  readonly rules: readonly IpRule[];
  private readonly verdicts = new MemoCache<string, boolean>(IP_VERDICT_CACHE_MAX, (address) => {
    const bytes = addressBytes(address);
    return bytes !== undefined && this.rules.some((r) => ruleMatches(r, bytes));
  });

  constructor(texts: readonly string[]) {
    this.rules = texts.map(parseIpRule);
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  matches(address: string): boolean {
    if (this.rules.length === 0) return false;
    return this.verdicts.get(address);
  }
}
