/**
 * The phonebook of remote studios: name, SIP URI, profile, notes. Persisted as one JSON file under
 * the data dir with atomic writes (a kill -9 at any moment leaves the old or the new file, whole).
 * A file that cannot be read as a phonebook is moved aside (never overwritten) and reported.
 */
import { randomUUID } from 'node:crypto';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AcipError } from '../util/errors.js';
import { parseUri } from '../sip/grammar/uri.js';
import { PhonebookInput as ContractPhonebookInput } from '../api/contract/phonebook.js';
import { readJsonFile, writeFileAtomic } from './atomic-file.js';

// What a client may send is defined once, in the API contract (a leaf module that imports nothing
// from the service), so the store validates exactly what the API documents.
export const PhonebookInputSchema = ContractPhonebookInput;
export type PhonebookInput = Static<typeof PhonebookInputSchema>;

export const PhonebookEntrySchema = Type.Object(
  { ...PhonebookInputSchema.properties, id: Type.String(), createdAt: Type.String(), updatedAt: Type.String() },
  { additionalProperties: false },
);
export type PhonebookEntry = PhonebookInput & { id: string; createdAt: string; updatedAt: string };

const FileSchema = Type.Object({ version: Type.Literal(1), entries: Type.Array(PhonebookEntrySchema) });

/** Throws AcipError('VALIDATION', …, 'uri') when the text is not a sip:/sips: URI with a host. */
export function validateSipUri(text: string, field = 'uri'): void {
  let scheme: string;
  let host: string;
  try {
    const u = parseUri(text.trim());
    scheme = u.scheme;
    host = u.host;
  } catch (err) {
    throw new AcipError('VALIDATION', `${field}: not a SIP URI (${(err as Error).message})`, field);
  }
  if (scheme !== 'sip' && scheme !== 'sips') throw new AcipError('VALIDATION', `${field}: only sip: and sips: URIs can be dialled`, field);
  if (!host) throw new AcipError('VALIDATION', `${field}: the URI has no host`, field);
}

export interface PhonebookOptions {
  dataDir: string;
  /** Known profile names, to reject a typo before it is saved. */
  profileExists: (name: string) => boolean;
  wallNow: () => number;
  onWarning?: (msg: string) => void;
}

export class Phonebook {
  private entries = new Map<string, PhonebookEntry>();
  readonly path: string;

  constructor(private readonly opts: PhonebookOptions) {
    this.path = join(opts.dataDir, 'phonebook.json');
    this.load();
  }

  private load(): void {
    let doc: unknown;
    try {
      doc = readJsonFile(this.path);
    } catch (err) {
      this.quarantine(`unreadable (${(err as Error).message})`);
      return;
    }
    if (doc === undefined) return;
    if (!Value.Check(FileSchema, doc)) {
      const first = Value.Errors(FileSchema, doc).First();
      this.quarantine(`does not match the phonebook schema at ${first?.path ?? '?'}: ${first?.message ?? ''}`);
      return;
    }
    for (const e of doc.entries) this.entries.set(e.id, e as PhonebookEntry);
  }

  /** Keep the user's file: move it aside under a new name and start empty. */
  private quarantine(why: string): void {
    const aside = `${this.path}.corrupt-${this.opts.wallNow()}`;
    try {
      renameSync(this.path, aside);
    } catch {
      /* nothing to move */
    }
    this.opts.onWarning?.(`phonebook ${this.path} ${why}; kept as ${aside}, starting with an empty phonebook`);
  }

  private save(): void {
    const doc = { version: 1 as const, entries: [...this.entries.values()] };
    writeFileAtomic(this.path, `${JSON.stringify(doc, null, 2)}\n`);
  }

  private check(input: PhonebookInput): PhonebookInput {
    const clean = Value.Default(PhonebookInputSchema, Value.Clone(input)) as PhonebookInput;
    const first = Value.Errors(PhonebookInputSchema, clean).First();
    if (first) {
      const field = first.path.replace(/^\//, '').replace(/\//g, '.') || 'body';
      throw new AcipError('VALIDATION', `${field}: ${first.message}`, field);
    }
    validateSipUri(clean.uri);
    clean.uri = clean.uri.trim();
    if (clean.profile !== undefined && !this.opts.profileExists(clean.profile)) {
      throw new AcipError('VALIDATION', `profile: no profile named ${JSON.stringify(clean.profile)}`, 'profile');
    }
    return clean;
  }

  list(): PhonebookEntry[] {
    return [...this.entries.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(id: string): PhonebookEntry | undefined {
    return this.entries.get(id);
  }

  /** Find the entry whose URI matches (for naming inbound callers and per-entry statistics). */
  findByUri(uri: string): PhonebookEntry | undefined {
    const norm = (u: string) => u.trim().toLowerCase().replace(/^sips?:/, '').replace(/;.*$/, '');
    const want = norm(uri);
    return [...this.entries.values()].find((e) => norm(e.uri) === want);
  }

  create(input: PhonebookInput): PhonebookEntry {
    const clean = this.check(input);
    const now = new Date(this.opts.wallNow()).toISOString();
    const entry: PhonebookEntry = { ...clean, id: randomUUID(), createdAt: now, updatedAt: now };
    this.entries.set(entry.id, entry);
    this.save();
    return entry;
  }

  update(id: string, input: PhonebookInput): PhonebookEntry {
    const old = this.entries.get(id);
    if (!old) throw new AcipError('NOT_FOUND', `no phonebook entry ${JSON.stringify(id)}`, 'id');
    const clean = this.check(input);
    const entry: PhonebookEntry = { ...clean, id, createdAt: old.createdAt, updatedAt: new Date(this.opts.wallNow()).toISOString() };
    this.entries.set(id, entry);
    this.save();
    return entry;
  }

  remove(id: string): void {
    if (!this.entries.delete(id)) throw new AcipError('NOT_FOUND', `no phonebook entry ${JSON.stringify(id)}`, 'id');
    this.save();
  }
}
