/**
 * Presence Information Data Format (PIDF, RFC 3863) with the RPID activities of RFC 4480 §3.2,
 * built for acip's own presence and read, tolerantly, from whatever a peer or presence server sends.
 *
 * acip publishes one tuple (its basic status and a note) and, when it is busy, a person element
 * with `<rpid:activities><rpid:on-the-phone/></rpid:activities>` (RFC 4480 §3.2: the person is on
 * a call), which is how broadcast codecs say "on air".
 *
 * The reader is not a validating XML parser (no new dependency for three elements): one linear pass
 * lists the tags, which are matched by local name whatever their namespace prefix; it decodes the
 * five predefined entities and character references, bounds its input and never throws: a
 * document it cannot read yields `basic: undefined`.
 */

export type PidfBasic = 'open' | 'closed';

export const PIDF_CONTENT_TYPE = 'application/pidf+xml';
/** A presence document from a codec is a few hundred bytes; a larger one is read only this far. */
export const MAX_PIDF_BYTES = 64 * 1024;

const NS_PIDF = 'urn:ietf:params:xml:ns:pidf';
const NS_DM = 'urn:ietf:params:xml:ns:pidf:data-model';
const NS_RPID = 'urn:ietf:params:xml:ns:pidf:rpid';

export interface PidfDocument {
  /** The presentity URI (RFC 3863 §4.1.2 `entity`). */
  entity: string;
  basic: PidfBasic;
  note?: string;
  /** RPID activity element names (RFC 4480 §3.2), e.g. 'on-the-phone', 'busy'. */
  activities?: string[];
  /** Contact URI of the tuple (RFC 3863 §4.1.5). */
  contact?: string;
  /** Tuple id; stable across documents so a watcher sees one tuple changing. */
  tupleId?: string;
}

export interface ParsedPidf {
  entity: string | undefined;
  /** `open` when any tuple is open (a presentity is reachable through any of its tuples), else `closed`; undefined when there is no status. */
  basic: PidfBasic | undefined;
  notes: string[];
  activities: string[];
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** RFC 4480 §3.2 activity names are XML element names: keep only NCName characters. */
function isActivityName(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(s);
}

export function buildPidf(doc: PidfDocument): string {
  const tupleId = doc.tupleId ?? 'acip';
  const activities = (doc.activities ?? []).filter(isActivityName);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<presence xmlns="${NS_PIDF}" xmlns:dm="${NS_DM}" xmlns:rpid="${NS_RPID}" entity="${escapeXml(doc.entity)}">`,
    `  <tuple id="${escapeXml(tupleId)}">`,
    `    <status><basic>${doc.basic}</basic></status>`,
  ];
  if (doc.contact !== undefined) lines.push(`    <contact>${escapeXml(doc.contact)}</contact>`);
  if (doc.note !== undefined) lines.push(`    <note>${escapeXml(doc.note)}</note>`);
  lines.push('  </tuple>');
  if (activities.length > 0) {
    lines.push(`  <dm:person id="${escapeXml(tupleId)}-person">`);
    lines.push(`    <rpid:activities>${activities.map((a) => `<rpid:${a}/>`).join('')}</rpid:activities>`);
    lines.push('  </dm:person>');
  }
  lines.push('</presence>', '');
  return lines.join('\r\n');
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXml(s: string): string {
  return s.replace(/&(#x[0-9A-Fa-f]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : '';
    }
    return Object.hasOwn(ENTITIES, ref) ? ENTITIES[ref]! : whole;
  });
}

interface Tag {
  /** Local name (prefix dropped), as written. */
  name: string;
  kind: 'open' | 'close' | 'empty';
  /** Raw attribute text of an open or empty tag. */
  attrs: string;
  /** Index just past the tag's '>'. */
  end: number;
}

/**
 * Every tag of the document in order, by one left-to-right pass: each character is looked at a
 * bounded number of times, so hostile input (a thousand unclosed '<') costs linear time.
 * Comments, processing instructions and declarations are skipped; CDATA is not read.
 */
function scanTags(xml: string): Tag[] {
  const tags: Tag[] = [];
  let i = xml.indexOf('<');
  while (i >= 0 && i < xml.length) {
    const close = xml.indexOf('>', i + 1);
    if (close < 0) break;
    const inner = xml.slice(i + 1, close);
    const c0 = inner.charCodeAt(0);
    if (c0 !== 0x21 /* ! */ && c0 !== 0x3f /* ? */) {
      const isClose = c0 === 0x2f; /* / */
      const body = isClose ? inner.slice(1) : inner;
      const isEmpty = !isClose && body.endsWith('/');
      const text = isEmpty ? body.slice(0, -1) : body;
      let n = 0;
      while (n < text.length && !/[\s/]/.test(text[n]!)) n++;
      const qname = text.slice(0, n);
      const colon = qname.indexOf(':');
      tags.push({ name: colon >= 0 ? qname.slice(colon + 1) : qname, kind: isClose ? 'close' : isEmpty ? 'empty' : 'open', attrs: text.slice(n), end: close + 1 });
    }
    i = xml.indexOf('<', close + 1);
  }
  return tags;
}

/** The text between an open tag and the next tag. */
function textAfter(xml: string, tag: Tag): string {
  const next = xml.indexOf('<', tag.end);
  return decodeXml(xml.slice(tag.end, next < 0 ? xml.length : next)).trim();
}

function attribute(attrs: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attrs);
  return m ? decodeXml(m[1] ?? m[2] ?? '') : undefined;
}

export function parsePidf(body: Buffer | string): ParsedPidf {
  const raw = typeof body === 'string' ? body : body.subarray(0, MAX_PIDF_BYTES).toString('utf8');
  const xml = raw.length > MAX_PIDF_BYTES ? raw.slice(0, MAX_PIDF_BYTES) : raw;
  const tags = scanTags(xml);
  let entity: string | undefined;
  const basics: string[] = [];
  const notes: string[] = [];
  const activities: string[] = [];
  /** Depth inside an <activities> element (0: outside). */
  let inActivities = 0;
  for (const tag of tags) {
    if (inActivities > 0) {
      if (tag.kind === 'close') {
        inActivities--;
        continue;
      }
      // RFC 4480 §3.2: each child element of <activities> is one activity.
      if (inActivities === 1 && tag.name !== '' && !activities.includes(tag.name)) activities.push(tag.name);
      if (tag.kind === 'open') inActivities++;
      continue;
    }
    if (tag.kind === 'close') continue;
    if (tag.name === 'presence' && entity === undefined) entity = attribute(tag.attrs, 'entity');
    else if (tag.name === 'activities' && tag.kind === 'open') inActivities = 1;
    else if (tag.name === 'basic' && tag.kind === 'open') basics.push(textAfter(xml, tag).toLowerCase());
    else if (tag.name === 'note' && tag.kind === 'open') {
      const note = textAfter(xml, tag);
      if (note.length > 0) notes.push(note);
    }
  }
  const basic: PidfBasic | undefined = basics.includes('open') ? 'open' : basics.includes('closed') ? 'closed' : undefined;
  return { entity, basic, notes, activities };
}
