/**
 * The text of the session descriptions we write (RFC 4566 §5), line by line, for the fields our offers
 * and answers use. Every answered INVITE writes one; sdp-transform's general writer walks its whole
 * grammar (some sixty attribute kinds) for each m-line and formats every line through a pattern
 * string, which made writing the larger part of answering an offer.
 *
 * The output is sdp-transform's, byte for byte: the same line order (v o s c t a, then per m-line
 * c b a, attributes in its grammar order) and the same number formatting. A description holding any
 * field outside the known set is not written here (`undefined`): the caller then uses sdp-transform.
 * The o= line is the caller's (`formatOrigin`, exact for ids of any length).
 */
import type { MediaDescription, SessionDescription } from 'sdp-transform';

/** Session fields written here; any other present field sends the description to sdp-transform. */
const SESSION_FIELDS: ReadonlySet<string> = new Set(['version', 'origin', 'name', 'connection', 'timing', 'groups', 'media']);

/** m-line fields written here, in the order they appear in the text. */
const MEDIA_FIELDS: ReadonlySet<string> = new Set([
  'type', 'port', 'protocol', 'payloads', 'connection', 'bandwidth', 'rtp', 'fmtp', 'rtcp', 'rtcpFb', 'crypto', 'mid', 'ptime', 'maxptime', 'direction', 'invalid',
]);

/** A field counts as present as sdp-transform counts it: there and not null/undefined. */
const present = (v: unknown): boolean => v !== undefined && v !== null;

/** sdp-transform's %d: the value as a number. */
const d = (v: unknown): string => String(Number(v));

function knownShape(o: object, fields: ReadonlySet<string>): boolean {
  for (const k in o) if (!fields.has(k) && present((o as Record<string, unknown>)[k])) return false;
  return true;
}

function mediaLines(m: MediaDescription, out: string[]): void {
  out.push(`m=${String(m.type)} ${d(m.port)} ${String(m.protocol)} ${String(m.payloads ?? '')}`);
  if (present(m.connection)) out.push(`c=IN IP${d(m.connection!.version)} ${String(m.connection!.ip)}`);
  for (const b of m.bandwidth ?? []) out.push(`b=${String(b.type)}:${String(b.limit)}`);
  for (const r of m.rtp ?? []) {
    // RFC 4566 §6: a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
    out.push(r.encoding ? `a=rtpmap:${d(r.payload)} ${String(r.codec)}/${String(r.rate)}/${String(r.encoding)}` : r.rate ? `a=rtpmap:${d(r.payload)} ${String(r.codec)}/${String(r.rate)}` : `a=rtpmap:${d(r.payload)} ${String(r.codec)}`);
  }
  for (const f of m.fmtp ?? []) out.push(`a=fmtp:${d(f.payload)} ${String(f.config)}`);
  if (present(m.rtcp)) {
    const r = m.rtcp!;
    // RFC 3605 §2.1
    out.push(present(r.address) ? `a=rtcp:${d(r.port)} ${String(r.netType)} IP${d(r.ipVer)} ${String(r.address)}` : `a=rtcp:${d(r.port)}`);
  }
  for (const f of m.rtcpFb ?? []) out.push(present(f.subtype) ? `a=rtcp-fb:${String(f.payload)} ${String(f.type)} ${String(f.subtype)}` : `a=rtcp-fb:${String(f.payload)} ${String(f.type)}`);
  for (const c of m.crypto ?? []) {
    // RFC 4568 §9.1
    out.push(present(c.sessionConfig) ? `a=crypto:${d(c.id)} ${String(c.suite)} ${String(c.config)} ${String(c.sessionConfig)}` : `a=crypto:${d(c.id)} ${String(c.suite)} ${String(c.config)}`);
  }
  if (present(m.mid)) out.push(`a=mid:${String(m.mid)}`);
  if (present(m.ptime)) out.push(`a=ptime:${d(m.ptime)}`);
  if (present(m.maxptime)) out.push(`a=maxptime:${d(m.maxptime)}`);
  if (present(m.direction)) out.push(`a=${String(m.direction)}`);
  for (const i of m.invalid ?? []) out.push(`a=${String(i.value)}`);
}

/**
 * The description as text with `originLine` as its o= line, CRLF after every line (RFC 4566 §5);
 * undefined when it holds a field this writer does not know (write it with sdp-transform then).
 */
export function writeKnownSdp(desc: SessionDescription, originLine: string): string | undefined {
  if (!knownShape(desc, SESSION_FIELDS)) return undefined;
  const media = desc.media ?? [];
  for (const m of media) if (!knownShape(m, MEDIA_FIELDS)) return undefined;
  const out: string[] = [`v=${d(desc.version ?? 0)}`, originLine, `s=${String(desc.name ?? ' ')}`];
  if (present(desc.connection)) out.push(`c=IN IP${d(desc.connection!.version)} ${String(desc.connection!.ip)}`);
  if (present(desc.timing)) out.push(`t=${d(desc.timing!.start)} ${d(desc.timing!.stop)}`);
  // RFC 5888 §5
  for (const g of desc.groups ?? []) out.push(`a=group:${String(g.type)} ${String(g.mids)}`);
  for (const m of media) mediaLines(m, out);
  out.push('');
  return out.join('\r\n');
}
