import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Phonebook } from '../../server/store/phonebook.js';

const make = (dir: string) => new Phonebook({ dataDir: dir, profileExists: () => true, wallNow: () => 1_700_000_000_000 });
const tmp = () => mkdtempSync(join(tmpdir(), 'acip-pb-auth-'));

describe('phonebook inbound credentials', () => {
  it('stores the password but never returns it, and keeps it across a restart', () => {
    const dir = tmp();
    const pb = make(dir);
    const e = pb.create({ name: 'Studio 2', uri: 'sip:studio2@192.0.2.10', inboundAuth: { user: 'studio2', password: 'secret-pw' } });
    expect(e.inboundAuth).toEqual({ user: 'studio2', hasPassword: true });
    expect(JSON.stringify(pb.list())).not.toContain('secret-pw');
    expect(JSON.stringify(pb.get(e.id))).not.toContain('secret-pw');
    expect(JSON.stringify(pb.findByUri('sip:studio2@192.0.2.10'))).not.toContain('secret-pw');
    const again = make(dir);
    expect(again.inboundPassword('studio2')).toBe('secret-pw');
    expect(again.hasInboundCredentials()).toBe(true);
    expect(again.findByInboundUser('studio2')?.id).toBe(e.id);
    expect(again.inboundPassword('nobody')).toBeUndefined();
  });

  it('keeps the stored password when an edit leaves it out, and replaces it when one is given', () => {
    const dir = tmp();
    const pb = make(dir);
    const e = pb.create({ name: 'Studio 2', uri: 'sip:studio2@192.0.2.10', inboundAuth: { user: 'studio2', password: 'secret-pw' } });
    pb.update(e.id, { name: 'Studio Two', uri: 'sip:studio2@192.0.2.10', inboundAuth: { user: 'studio2b' } });
    expect(pb.inboundPassword('studio2b')).toBe('secret-pw');
    pb.update(e.id, { name: 'Studio Two', uri: 'sip:studio2@192.0.2.10', inboundAuth: { user: 'studio2b', password: 'other-pw-1' } });
    expect(make(dir).inboundPassword('studio2b')).toBe('other-pw-1');
    pb.update(e.id, { name: 'Studio Two', uri: 'sip:studio2@192.0.2.10' });
    expect(pb.hasInboundCredentials()).toBe(false);
    expect(JSON.parse(readFileSync(pb.path, 'utf8')).entries[0].inboundAuth).toBeUndefined();
  });

  const bad: [what: string, input: Parameters<Phonebook['create']>[0], field: string][] = [
    ['a new entry without a password', { name: 'A', uri: 'sip:a@192.0.2.1', inboundAuth: { user: 'a' } }, 'inboundAuth.password'],
    ['a password shorter than 8 characters', { name: 'A', uri: 'sip:a@192.0.2.1', inboundAuth: { user: 'a', password: 'short' } }, 'inboundAuth.password'],
    ['an empty user', { name: 'A', uri: 'sip:a@192.0.2.1', inboundAuth: { user: '', password: 'secret-pw' } }, 'inboundAuth.user'],
  ];
  it.each(bad)('refuses %s and names the field', (_what, input, field) => {
    expect(() => make(tmp()).create(input)).toThrow(expect.objectContaining({ code: 'VALIDATION', field }));
  });

  it('refuses a user name another entry already uses', () => {
    const pb = make(tmp());
    pb.create({ name: 'A', uri: 'sip:a@192.0.2.1', inboundAuth: { user: 'same', password: 'secret-pw' } });
    expect(() => pb.create({ name: 'B', uri: 'sip:b@192.0.2.1', inboundAuth: { user: 'same', password: 'secret-pw' } })).toThrow(
      expect.objectContaining({ code: 'VALIDATION', field: 'inboundAuth.user' }),
    );
  });
});

describe('phonebook inbound credentials through the API', () => {
  it('accepts a password on POST, answers with hasPassword and never with the password', async () => {
    const { makeApp } = await import('../api/memory-links.js');
    const { app, phonebook } = await makeApp();
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/api/phonebook',
        payload: { name: 'Studio 2', uri: 'sip:studio2@192.0.2.10', inboundAuth: { user: 'studio2', password: 'secret-pw' } },
      });
      expect(res.statusCode).toBe(201);
      expect(res.body).not.toContain('secret-pw');
      expect(res.json().inboundAuth).toEqual({ user: 'studio2', hasPassword: true });
      const list = await app.inject({ url: '/api/phonebook' });
      expect(list.body).not.toContain('secret-pw');
      expect(list.json().entries[0].inboundAuth).toEqual({ user: 'studio2', hasPassword: true });
      const id = res.json().id as string;
      const put = await app.inject({ method: 'PUT', url: `/api/phonebook/${id}`, payload: { name: 'Studio 2', uri: 'sip:studio2@192.0.2.10', inboundAuth: { user: 'studio2' } } });
      expect(put.statusCode).toBe(200);
      expect(phonebook.inboundPassword('studio2')).toBe('secret-pw');
    } finally {
      await app.close();
    }
  });
});
