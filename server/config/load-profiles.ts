/**
 * Load every `*.yaml` profile from the given folders. A profile that fails the schema is
 * reported by file and field and left out; the others still load. Later folders override
 * earlier ones by profile name (the data dir's profiles override the shipped ones).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { ProfileSchema, type Profile } from './profile-schema.js';

export interface ProfileLoadError {
  file: string;
  field: string;
  message: string;
}

export interface ProfileSet {
  profiles: Map<string, Profile & { source: string }>;
  errors: ProfileLoadError[];
}

/** Semantic checks the schema cannot express. `knownCodecs` comes from the codec registry. */
export function checkProfile(p: Profile, knownCodecs: ReadonlySet<string>): { field: string; message: string } | null {
  for (const [i, c] of p.codecs.entries()) {
    if (!knownCodecs.has(c.codec)) {
      return { field: `codecs[${i}].codec`, message: `unknown codec ${JSON.stringify(c.codec)} (known: ${[...knownCodecs].join(', ')})` };
    }
  }
  if (p.jitterBuffer.mode === 'adaptive' && p.jitterBuffer.minMs > p.jitterBuffer.maxMs) {
    return { field: 'jitterBuffer.minMs', message: `min ${p.jitterBuffer.minMs} ms exceeds max ${p.jitterBuffer.maxMs} ms` };
  }
  return null;
}

export function parseProfile(text: string, file: string, knownCodecs: ReadonlySet<string>): Profile | ProfileLoadError {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    return { file, field: '(file)', message: `not valid YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { file, field: '(file)', message: 'expected a mapping' };
  const value = Value.Default(ProfileSchema, Value.Clone(doc));
  const first = Value.Errors(ProfileSchema, value).First();
  if (first) {
    const field = first.path.replace(/^\//, '').replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.') || '(top level)';
    return { file, field, message: `${first.message} (got ${JSON.stringify(first.value) ?? 'nothing'})` };
  }
  const profile = value as Profile;
  const bad = checkProfile(profile, knownCodecs);
  if (bad) return { file, ...bad };
  return profile;
}

export function loadProfiles(dirs: readonly string[], knownCodecs: ReadonlySet<string>): ProfileSet {
  const set: ProfileSet = { profiles: new Map(), errors: [] };
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      set.errors.push({ file: dir, field: '(folder)', message: (err as Error).message });
      continue;
    }
    for (const name of names) {
      const file = join(dir, name);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        set.errors.push({ file, field: '(file)', message: `cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
        continue;
      }
      const result = parseProfile(text, file, knownCodecs);
      if ('codecs' in result) set.profiles.set(result.name, { ...result, source: file });
      else set.errors.push(result);
    }
  }
  return set;
}
