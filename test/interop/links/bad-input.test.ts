/**
 * Acceptance: bad API input (unknown profile, malformed URI, wrong types) gets a 400 that
 * names the offending field, and nothing persisted is corrupted: the phonebook file on disk keeps
 * the same bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLtAcip, type LtAcip } from './harness.js';

describe('bad API input against the real service', () => {
  let acip: LtAcip;
  let entryId: string;
  let before: Buffer;
  const file = () => join(acip.dataDir, 'phonebook.json');
  beforeAll(async () => {
    acip = await startLtAcip();
    const r = await acip.api('POST', '/api/phonebook', { name: 'Studio 2', uri: 'sip:studio2@127.0.0.1:5999', profile: 'opus-music-128k', notes: 'kept', probe: false });
    expect(r.status).toBe(201);
    entryId = r.body.id;
    before = readFileSync(file());
  }, 30_000);
  afterAll(async () => {
    await acip?.close();
  });

  const cases: { what: string; method: string; path: () => string; body: unknown; field: string }[] = [
    { what: 'dial with an unknown profile', method: 'POST', path: () => '/api/links', body: { to: 'sip:x@127.0.0.1', profile: 'no-such-profile' }, field: 'profile' },
    { what: 'dial a malformed URI', method: 'POST', path: () => '/api/links', body: { to: 'not a uri' }, field: 'to' },
    { what: 'dial an http: URI', method: 'POST', path: () => '/api/links', body: { to: 'http://example.net/' }, field: 'to' },
    { what: 'dial with a number as URI', method: 'POST', path: () => '/api/links', body: { to: 42 }, field: 'to' },
    { what: 'dial with a string as permanent', method: 'POST', path: () => '/api/links', body: { to: 'sip:x@127.0.0.1', permanent: 'yes' }, field: 'permanent' },
    { what: 'dial with a bad input spec', method: 'POST', path: () => '/api/links', body: { to: 'sip:x@127.0.0.1', input: 'tone:abc' }, field: 'input' },
    { what: 'dial without a URI', method: 'POST', path: () => '/api/links', body: { profile: 'opus-music-128k' }, field: 'to' },
    { what: 'a phonebook entry with a malformed URI', method: 'POST', path: () => '/api/phonebook', body: { name: 'Bad', uri: 'garbage uri' }, field: 'uri' },
    { what: 'a phonebook entry with an unknown profile', method: 'POST', path: () => '/api/phonebook', body: { name: 'Bad', uri: 'sip:b@127.0.0.1', profile: 'nope' }, field: 'profile' },
    { what: 'a phonebook entry with a number as name', method: 'POST', path: () => '/api/phonebook', body: { name: 5, uri: 'sip:b@127.0.0.1' }, field: 'name' },
    { what: 'a phonebook update with a malformed URI', method: 'PUT', path: () => `/api/phonebook/${entryId}`, body: { name: 'Studio 2', uri: 'sip:' }, field: 'uri' },
    { what: 'a phonebook update with a wrong type', method: 'PUT', path: () => `/api/phonebook/${entryId}`, body: { name: 'Studio 2', uri: 'sip:studio2@127.0.0.1:5999', probe: 'sometimes' }, field: 'probe' },
  ];

  for (const c of cases) {
    it(`${c.what} → 400 naming ${c.field}, phonebook file unchanged`, async () => {
      const r = await acip.api(c.method, c.path(), c.body);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(typeof r.body.code).toBe('string');
      expect(r.body.field, JSON.stringify(r.body)).toBe(c.field);
      expect(r.body.message).toContain(c.field);
      expect(readFileSync(file()).equals(before)).toBe(true);
    });
  }

  it('malformed JSON → 400, phonebook unchanged, and the entry still reads back whole', async () => {
    const r = await acip.api('POST', '/api/phonebook', '{"name": "x", "uri": ');
    expect(r.status).toBe(400);
    expect(readFileSync(file()).equals(before)).toBe(true);
    const e = await acip.api('GET', `/api/phonebook/${entryId}`);
    expect(e.body).toMatchObject({ name: 'Studio 2', uri: 'sip:studio2@127.0.0.1:5999', profile: 'opus-music-128k', notes: 'kept' });
    // Nothing was dialled by the refused requests.
    expect((await acip.api('GET', '/api/links')).body.links).toEqual([]);
  });
});
