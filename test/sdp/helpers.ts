import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadProfiles } from '../../server/config/load-profiles.js';
import type { Profile } from '../../server/config/profile-schema.js';
import { codecRegistry } from '../../server/codecs/registry.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export function fixture(name: string): string {
  return readFileSync(`${root}test/fixtures/sdp/${name}`, 'utf8');
}

const shipped = loadProfiles([`${root}profiles`], new Set(codecRegistry.all().map((c) => c.id)));
if (shipped.errors.length > 0) throw new Error(`shipped profiles failed to load: ${JSON.stringify(shipped.errors)}`);

export const profileNames = [...shipped.profiles.keys()].sort();

export function profile(name: string): Profile {
  const p = shipped.profiles.get(name);
  if (!p) throw new Error(`no shipped profile ${name}`);
  const { source: _source, ...rest } = p;
  return structuredClone(rest);
}

/** A minimal audio offer with the given media-level lines. */
export function audioOffer(lines: string[], opts: { port?: number; proto?: string; fmts?: string; session?: string[] } = {}): string {
  return [
    'v=0',
    'o=- 100 200 IN IP4 192.0.2.10',
    's=-',
    'c=IN IP4 192.0.2.10',
    't=0 0',
    ...(opts.session ?? []),
    `m=audio ${opts.port ?? 7000} ${opts.proto ?? 'RTP/AVP'} ${opts.fmts ?? '9 8'}`,
    ...lines,
    '',
  ].join('\r\n');
}

/** The `a=` lines of an SDP body (without `a=`). */
export function attributes(sdp: string): string[] {
  return sdp
    .split(/\r\n/)
    .filter((l) => l.startsWith('a='))
    .map((l) => l.slice(2));
}
