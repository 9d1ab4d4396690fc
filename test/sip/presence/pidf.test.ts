import { describe, expect, it } from 'vitest';
import { buildPidf, parsePidf, MAX_PIDF_BYTES } from '../../../server/sip/presence/pidf.js';
import { presenceDocument, presenceFromPidf, presenceOf, type PresenceState } from '../../../server/sip/presence/presence-state.js';

describe('PIDF documents (RFC 3863, RFC 4480)', () => {
  it('builds a document that reads back with its basic status, note and activities', () => {
    const xml = buildPidf({ entity: 'sip:studio1@example.org', basic: 'open', note: 'On air & <live>', activities: ['on-the-phone'], contact: 'sip:studio1@192.0.2.1' });
    expect(xml).toContain('<basic>open</basic>');
    expect(xml).toContain('<rpid:on-the-phone/>');
    expect(parsePidf(xml)).toEqual({ entity: 'sip:studio1@example.org', basic: 'open', notes: ['On air & <live>'], activities: ['on-the-phone'] });
  });

  it('drops activity names that are not XML names', () => {
    const xml = buildPidf({ entity: 'sip:a@b', basic: 'open', activities: ['busy', '"/><evil'] });
    expect(parsePidf(xml).activities).toEqual(['busy']);
  });

  // Documents as other presence agents write them: prefixes, namespaces and layouts vary.
  const documents: [string, string, Record<string, unknown>][] = [
    [
      'RFC 3863 §4.1 example with a default namespace',
      `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:someone@example.com">
  <tuple id="sg89ae"><status><basic>open</basic></status><contact priority="0.8">tel:+09012345678</contact></tuple>
</presence>`,
      { entity: 'pres:someone@example.com', basic: 'open', notes: [], activities: [] },
    ],
    [
      'a prefixed PIDF with RPID activities in a person element (RFC 4480 §3.2)',
      `<p:presence xmlns:p='urn:ietf:params:xml:ns:pidf' xmlns:r='urn:ietf:params:xml:ns:pidf:rpid' xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model' entity='sip:bob@example.com'>
 <p:tuple id='a'><p:status><p:basic> Open </p:basic></p:status><p:note xml:lang="en">In a meeting &amp; busy</p:note></p:tuple>
 <dm:person id='p'><r:activities><r:meeting/><r:busy></r:busy></r:activities></dm:person>
</p:presence>`,
      { entity: 'sip:bob@example.com', basic: 'open', notes: ['In a meeting & busy'], activities: ['meeting', 'busy'] },
    ],
    [
      'two tuples, one open: the presentity is open',
      `<presence entity="sip:x@y"><tuple id="1"><status><basic>closed</basic></status></tuple><tuple id="2"><status><basic>open</basic></status></tuple></presence>`,
      { entity: 'sip:x@y', basic: 'open', notes: [], activities: [] },
    ],
    ['no status at all', `<presence entity="sip:x@y"/>`, { entity: 'sip:x@y', basic: undefined, notes: [], activities: [] }],
    ['not XML', 'hello', { entity: undefined, basic: undefined, notes: [], activities: [] }],
    ['character references in a note', `<presence entity="sip:x@y"><tuple><note>caf&#233; &#x263A; &bogus;</note></tuple></presence>`, { entity: 'sip:x@y', basic: undefined, notes: ['café ☺ &bogus;'], activities: [] }],
  ];
  it.each(documents)('reads %s', (_name, xml, want) => {
    expect(parsePidf(Buffer.from(xml))).toEqual(want);
  });

  it('reads a huge document only as far as its bound, without throwing', () => {
    const big = `<presence entity="sip:x@y"><tuple><status><basic>closed</basic></status></tuple>${'<x/>'.repeat(MAX_PIDF_BYTES)}</presence>`;
    expect(parsePidf(big).basic).toBe('closed');
    expect(() => parsePidf('<'.repeat(MAX_PIDF_BYTES * 2))).not.toThrow();
  });
});

describe("acip's presence state", () => {
  const rows: [{ ready: boolean; linksInUse: number; maxLinks: number }, PresenceState][] = [
    [{ ready: false, linksInUse: 0, maxLinks: 4 }, 'closed'],
    [{ ready: true, linksInUse: 0, maxLinks: 4 }, 'open'],
    [{ ready: true, linksInUse: 3, maxLinks: 4 }, 'open'],
    [{ ready: true, linksInUse: 4, maxLinks: 4 }, 'busy'],
    [{ ready: true, linksInUse: 5, maxLinks: 4 }, 'busy'],
    [{ ready: true, linksInUse: 0, maxLinks: 0 }, 'closed'],
    [{ ready: false, linksInUse: 4, maxLinks: 4 }, 'closed'],
  ];
  it.each(rows)('is, for %j, %s', (input, want) => {
    expect(presenceOf(input)).toBe(want);
  });

  it.each(['open', 'busy', 'closed'] as const)('reads its own %s document back as the same state', (state) => {
    expect(presenceFromPidf(parsePidf(presenceDocument(state, 'sip:acip@example.org')))).toBe(state);
  });

  it.each([
    ['open with on-the-phone', { basic: 'open', activities: ['on-the-phone'] }, 'busy'],
    ['open with busy', { basic: 'open', activities: ['busy'] }, 'busy'],
    ['open with away', { basic: 'open', activities: ['away'] }, 'open'],
    ['closed with on-the-phone', { basic: 'closed', activities: ['on-the-phone'] }, 'closed'],
    ['no basic', { basic: undefined, activities: [] }, 'unknown'],
  ] as const)("reads a peer's %s as %s", (_name, doc, want) => {
    expect(presenceFromPidf({ entity: 'sip:x@y', notes: [], ...doc, activities: [...doc.activities] })).toBe(want);
  });
});
