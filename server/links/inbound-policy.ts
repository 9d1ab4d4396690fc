/**
 * Who may call in when the answer policy is the allow-list, and how the source of an INVITE is
 * named for the per-source limit. Pure functions.
 */
import { parseUri } from '../sip/grammar/uri.js';
import type { Phonebook } from '../store/phonebook.js';

/**
 * A caller is allowed when its From URI is a phonebook entry's, or matches an allow-list rule:
 * `user@host`, or `@host` for every user at that host (schemes and case ignored).
 */
export function allowedCaller(uri: string, allowList: readonly string[], phonebook: Pick<Phonebook, 'findByUri'>): boolean {
  if (phonebook.findByUri(uri)) return true;
  let user = '';
  let host = '';
  try {
    const u = parseUri(uri);
    user = (u.user ?? '').toLowerCase();
    host = u.host.toLowerCase();
  } catch {
    return false;
  }
  return allowList.some((rule) => {
    const r = rule.toLowerCase().replace(/^sips?:/, '');
    if (r.startsWith('@')) return r.slice(1) === host;
    return r === `${user}@${host}`;
  });
}

/**
 * The packet source of an INVITE, never a header (From is whatever the caller writes). An IPv4
 * peer on a dual-stack socket shows as ::ffff:a.b.c.d; it is the same source as a.b.c.d.
 */
export function packetSource(address: string): string {
  return address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}
