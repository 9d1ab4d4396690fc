import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadProfiles, parseProfile } from '../../server/config/load-profiles.js';
import { knownCodecIds } from '../../server/codecs/known-codecs.js';
import { ROOT_DIR } from '../../server/version.js';

const known = knownCodecIds();
const BASE = 'name: x\ntitle: t\ncodecs: [{codec: opus}]\nptimeMs: 20\njitterBuffer: {mode: fixed, delayMs: 40}\n';

describe('shipped profiles', () => {
  const set = loadProfiles([join(ROOT_DIR, 'profiles')], known);

  it('all load without errors', () => {
    expect(set.errors).toEqual([]);
  });

  it.each([
    ['opus-music-128k', ['opus'], 20],
    ['opus-low-delay-5ms', ['opus'], 5],
    ['opus-voice-64k', ['opus'], 20],
    ['l24-stereo-48k', ['L24'], 5],
    ['l16-stereo-48k', ['L16'], 4],
    ['g722-voice', ['G722', 'PCMA', 'PCMU'], 20],
    ['g711-telephone', ['PCMA', 'PCMU'], 20],
    ['ebu-3326-interop', ['opus', 'L24', 'L16', 'G722', 'PCMA', 'PCMU'], 20],
  ])('%s offers %j in that order with %d ms packets', (name, codecs, ptime) => {
    const p = set.profiles.get(name);
    expect(p).toBeDefined();
    expect(p!.codecs.map((c) => c.codec)).toEqual(codecs);
    expect(p!.ptimeMs).toBe(ptime);
  });

  it('opus low delay uses the restricted low-delay application and stereo music 128 kbit/s', () => {
    expect(set.profiles.get('opus-low-delay-5ms')!.codecs[0]!.application).toBe('restricted-lowdelay');
    expect(set.profiles.get('opus-music-128k')!.codecs[0]).toMatchObject({ channels: 2, bitrate: 128000 });
    expect(set.profiles.get('opus-voice-64k')!.codecs[0]).toMatchObject({ channels: 1, bitrate: 64000 });
  });
});

describe('profile loading', () => {
  it('reports a broken profile by file and field and still loads the others', () => {
    const set = loadProfiles([join(import.meta.dirname, '../fixtures/profiles-mixed')], known);
    expect([...set.profiles.keys()].sort()).toEqual(['g711-telephone', 'opus-music-128k']);
    const byFile = Object.fromEntries(set.errors.map((e) => [e.file.split('/').pop(), e]));
    expect(byFile['bad-codec.yaml']).toMatchObject({ field: 'codecs[0].codec' });
    expect(byFile['bad-codec.yaml']!.message).toMatch(/unknown codec "mp3pro"/);
    expect(byFile['bad-jb.yaml']!.field).toMatch(/^jitterBuffer/);
  });

  it('lets a later folder override a profile by name', () => {
    const set = loadProfiles([join(ROOT_DIR, 'profiles'), join(import.meta.dirname, '../fixtures/profiles-mixed')], known);
    expect(set.profiles.get('opus-music-128k')!.source).toContain('profiles-mixed');
  });

  it('skips a folder that does not exist', () => {
    const set = loadProfiles(['/nonexistent/profiles'], known);
    expect(set.profiles.size).toBe(0);
    expect(set.errors).toEqual([]);
  });

  it.each([
    ['name: X\ntitle: t\ncodecs: [{codec: opus}]\nptimeMs: 20\njitterBuffer: {mode: fixed, delayMs: 40}\n', 'name'],
    ['name: x\ntitle: t\ncodecs: []\nptimeMs: 20\njitterBuffer: {mode: fixed, delayMs: 40}\n', 'codecs'],
    ['name: x\ntitle: t\ncodecs: [{codec: opus, bitrate: 1}]\nptimeMs: 20\njitterBuffer: {mode: fixed, delayMs: 40}\n', 'codecs[0].bitrate'],
    ['name: x\ntitle: t\ncodecs: [{codec: opus}]\nptimeMs: 20\njitterBuffer: {mode: adaptive, minMs: 90, maxMs: 40}\n', 'jitterBuffer.minMs'],
    ['name: x\ntitle: t\ncodecs: [{codec: opus}]\nptimeMs: 20\njitterBuffer: {mode: fixed, delayMs: 40}\nextra: 1\n', 'extra'],
    ['- just\n- a list\n', '(file)'],
    [`${BASE}srtp: maybe\n`, 'srtp'],
    [`${BASE}srtp: true\n`, 'srtp'],
    [`${BASE}srtp: mandatory\nallowSdesWithoutTls: sometimes\n`, 'allowSdesWithoutTls'],
    [`${BASE}srtp: mandatory\nsrtpSuites: [AES_256_CM_HMAC_SHA1_80]\n`, 'srtpSuites[0]'],
    [`${BASE}srtp: mandatory\nsrtpSuites: []\n`, 'srtpSuites'],
    [`${BASE}redundancy: { red: { depth: 3, distance: 1 } }\n`, 'redundancy.red.depth'],
    [`${BASE}redundancy: { red: { depth: 1, distance: 4 } }\n`, 'redundancy.red.distance'],
    [`${BASE}redundancy: { rtx: yes please }\n`, 'redundancy.rtx'],
    [`${BASE}redundancy: { fec: true }\n`, 'redundancy.fec'],
  ])('rejects a profile naming field %#', (text, field) => {
    const r = parseProfile(text, 'p.yaml', known);
    expect('field' in r && r.field).toBe(field);
  });

  it.each(['off', 'optional', 'mandatory'])('loads a profile with srtp: %s, and leaves srtp unset (off) when absent', (policy) => {
    const r = parseProfile(`${BASE}srtp: ${policy}\nsrtpSuites: [AES_CM_128_HMAC_SHA1_32]\n`, 'p.yaml', known);
    expect(r).toMatchObject({ srtp: policy, srtpSuites: ['AES_CM_128_HMAC_SHA1_32'] });
    expect(parseProfile(BASE, 'p.yaml', known)).not.toHaveProperty('srtp');
  });

  it('loads loss recovery settings (RED depth and distance, RTX, a duplicated stream) and leaves them unset when absent', () => {
    const r = parseProfile(`${BASE}redundancy: { red: { depth: 2, distance: 3 }, rtx: true, duplicate: true }\n`, 'p.yaml', known);
    expect(r).toMatchObject({ redundancy: { red: { depth: 2, distance: 3 }, rtx: true, duplicate: true } });
    expect(parseProfile(BASE, 'p.yaml', known)).not.toHaveProperty('redundancy');
  });
});
