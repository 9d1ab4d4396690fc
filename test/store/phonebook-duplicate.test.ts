/**
 * A phonebook entry's second remote (`duplicateRemote`): where the copy of a duplicated stream
 * (RFC 7198) goes when the studio's SDP names no second address. Stored, validated with the field
 * named in the error, and served by the API as the contract says.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Phonebook } from '../../server/store/phonebook.js';
import { isAcipError } from '../../server/util/errors.js';

const make = (dir: string) => new Phonebook({ dataDir: dir, profileExists: () => true, wallNow: () => 1_700_000_000_000 });
const tmp = () => mkdtempSync(join(tmpdir(), 'acip-pb-dup-'));
const BASE = { name: 'Studio 2', uri: 'sip:studio2@192.0.2.10' };

describe('a phonebook entry’s second remote', () => {
  it('is stored, kept across a restart, and dropped by an edit that leaves it out', () => {
    const dir = tmp();
    const pb = make(dir);
    const e = pb.create({ ...BASE, duplicateRemote: { address: '203.0.113.10', rtpPort: 30002 } });
    expect(make(dir).get(e.id)?.duplicateRemote).toEqual({ address: '203.0.113.10', rtpPort: 30002 });
    pb.update(e.id, BASE);
    expect(make(dir).get(e.id)?.duplicateRemote).toBeUndefined();
  });

  it.each<[string, string, number | undefined, string]>([
    ['2001:db8::10', '2001:db8::10', undefined, 'an IPv6 address'],
    ['[2001:db8::10]', '2001:db8::10', 30003, 'a bracketed IPv6 address (stored without brackets)'],
    [' 203.0.113.10 ', '203.0.113.10', 31000, 'an address with spaces around it'],
  ])('accepts %j as %s', (address, stored, rtcpPort, _what) => {
    const pb = make(tmp());
    const e = pb.create({ ...BASE, duplicateRemote: { address, rtpPort: 30002, ...(rtcpPort !== undefined ? { rtcpPort } : {}) } });
    expect(e.duplicateRemote).toEqual({ address: stored, rtpPort: 30002, ...(rtcpPort !== undefined ? { rtcpPort } : {}) });
  });

  // The input, the field the error names.
  const refused: [string, unknown, string][] = [
    ['a host name', { address: 'studio2.example', rtpPort: 30002 }, 'duplicateRemote.address'],
    ['the unspecified IPv4 address', { address: '0.0.0.0', rtpPort: 30002 }, 'duplicateRemote.address'],
    ['the unspecified IPv6 address', { address: '::', rtpPort: 30002 }, 'duplicateRemote.address'],
    ['an empty address', { address: '', rtpPort: 30002 }, 'duplicateRemote.address'],
    ['port 0', { address: '203.0.113.10', rtpPort: 0 }, 'duplicateRemote.rtpPort'],
    ['port 65536', { address: '203.0.113.10', rtpPort: 65536 }, 'duplicateRemote.rtpPort'],
    ['a port that is not a whole number', { address: '203.0.113.10', rtpPort: 30002.5 }, 'duplicateRemote.rtpPort'],
    ['a port that is not a number (an empty form field)', { address: '203.0.113.10', rtpPort: null }, 'duplicateRemote.rtpPort'],
    ['no RTP port', { address: '203.0.113.10' }, 'duplicateRemote.rtpPort'],
    ['RTCP on the RTP port', { address: '203.0.113.10', rtpPort: 30002, rtcpPort: 30002 }, 'duplicateRemote.rtcpPort'],
    ['an unknown key', { address: '203.0.113.10', rtpPort: 30002, via: 'x' }, 'duplicateRemote.via'],
  ];

  it.each(refused)('refuses %s and names %s', (_what, duplicateRemote, field) => {
    const pb = make(tmp());
    let err: unknown;
    try {
      pb.create({ ...BASE, duplicateRemote } as never);
    } catch (e) {
      err = e;
    }
    expect(isAcipError(err) && err.code).toBe('VALIDATION');
    expect(isAcipError(err) && err.field).toBe(field);
    expect(pb.list()).toEqual([]);
  });
});

describe('a phonebook entry’s second remote through the API', () => {
  it('is accepted on POST, shown on GET, and refused with the field named for an address that is not one', async () => {
    const { makeApp } = await import('../api/memory-links.js');
    const { app } = await makeApp();
    try {
      const res = await app.inject({ method: 'POST', url: '/api/phonebook', payload: { ...BASE, duplicateRemote: { address: '203.0.113.10', rtpPort: 30002 } } });
      expect(res.statusCode).toBe(201);
      expect(res.json().duplicateRemote).toEqual({ address: '203.0.113.10', rtpPort: 30002 });
      expect((await app.inject({ url: '/api/phonebook' })).json().entries[0].duplicateRemote).toEqual({ address: '203.0.113.10', rtpPort: 30002 });
      const bad = await app.inject({ method: 'POST', url: '/api/phonebook', payload: { ...BASE, name: 'Studio 3', duplicateRemote: { address: 'studio3.example', rtpPort: 30002 } } });
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toContain('duplicateRemote.address');
    } finally {
      await app.close();
    }
  });
});
