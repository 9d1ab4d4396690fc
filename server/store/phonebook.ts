/**
 * The phonebook of remote studios: name, SIP URI, profile, notes, optionally the second address of
 * a duplicated stream (RFC 7198) for studios whose SDP does not name one, and optionally the digest
 * credentials a caller from there authenticates with (the password is write-only: no method here
 * returns it except `inboundPassword`, which admission uses). Persisted as one JSON file under
 * the data dir with atomic writes (a kill -9 at any moment leaves the old or the new file, whole).
 * A file that cannot be read as a phonebook is moved aside (never overwritten) and reported.
 */
import { randomUUID } from 'node:crypto';
import { renameSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AcipError } from '../util/errors.js';
import { parseUri } from '../sip/grammar/uri.js';
import { InboundAuthView, PhonebookInput as ContractPhonebookInput, type DuplicateRemote } from '../api/contract/phonebook.js';
import { readJsonFile, writeFileAtomic } from './atomic-file.js';

// What a client may send is defined once, in the API contract (a leaf module that imports nothing
// from the service), so the store validates exactly what the API documents.
export const PhonebookInputSchema = ContractPhonebookInput;
export type PhonebookInput = Static<typeof PhonebookInputSchema>;

/** Inbound credentials as stored: the password is kept (digest needs it) but never leaves the store. */
const StoredInboundAuth = Type.Object({ user: Type.String({ minLength: 1 }), password: Type.String({ minLength: 1 }) }, { additionalProperties: false });
type StoredInboundAuth = Static<typeof StoredInboundAuth>;

const StoredEntrySchema = Type.Object(
  { ...PhonebookInputSchema.properties, inboundAuth: Type.Optional(StoredInboundAuth), id: Type.String(), createdAt: Type.String(), updatedAt: Type.String() },
  { additionalProperties: false },
);
type StoredEntry = Omit<PhonebookInput, 'inboundAuth'> & { inboundAuth?: StoredInboundAuth; id: string; createdAt: string; updatedAt: string };

/** An entry as the rest of the service and the API see it: inbound credentials without the password. */
export type PhonebookEntry = Omit<PhonebookInput, 'inboundAuth'> & {
  inboundAuth?: { user: string; hasPassword: boolean };
  id: string;
  createdAt: string;
  updatedAt: string;
};
export const PhonebookEntrySchema = Type.Object(
  { ...StoredEntrySchema.properties, inboundAuth: Type.Optional(InboundAuthView) },
  { additionalProperties: false },
);

const FileSchema = Type.Object({ version: Type.Literal(1), entries: Type.Array(StoredEntrySchema) });

/** The public view of a stored entry (write-only password). */
function view(e: StoredEntry): PhonebookEntry {
  const { inboundAuth, ...rest } = e;
  return inboundAuth ? { ...rest, inboundAuth: { user: inboundAuth.user, hasPassword: inboundAuth.password !== '' } } : rest;
}

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

/**
 * A phonebook entry's second remote, checked: an IP address the media can send to (not the
 * unspecified address), and RTCP on another port than RTP. Throws AcipError('VALIDATION') naming
 * the field (`duplicateRemote.address`, `duplicateRemote.rtcpPort`).
 */
export function validateDuplicateRemote(r: DuplicateRemote): DuplicateRemote {
  const address = r.address.trim().replace(/^\[(.*)\]$/, '$1');
  const family = isIP(address);
  if (family === 0) throw new AcipError('VALIDATION', `duplicateRemote.address: ${JSON.stringify(r.address.slice(0, 64))} is not an IP address`, 'duplicateRemote.address');
  if (address === '0.0.0.0' || address === '::' || /^0+:(0*:)*0*$/.test(address)) {
    throw new AcipError('VALIDATION', 'duplicateRemote.address: the unspecified address cannot be sent to', 'duplicateRemote.address');
  }
  if (r.rtcpPort !== undefined && r.rtcpPort === r.rtpPort) {
    throw new AcipError('VALIDATION', 'duplicateRemote.rtcpPort: must differ from rtpPort (RFC 3550 §11)', 'duplicateRemote.rtcpPort');
  }
  return { address, rtpPort: r.rtpPort, ...(r.rtcpPort !== undefined ? { rtcpPort: r.rtcpPort } : {}) };
}

export interface PhonebookOptions {
  dataDir: string;
  /** Known profile names, to reject a typo before it is saved. */
  profileExists: (name: string) => boolean;
  wallNow: () => number;
  onWarning?: (msg: string) => void;
}

export class Phonebook {
  private entries = new Map<string, StoredEntry>();
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
    for (const e of doc.entries) this.entries.set(e.id, e as StoredEntry);
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

  /**
   * Validate an input and resolve its credentials against the entry it replaces (`old`): a
   * password left out keeps the stored one, and a user name another entry uses is refused.
   */
  private check(input: PhonebookInput, old?: StoredEntry): Omit<StoredEntry, 'id' | 'createdAt' | 'updatedAt'> {
    const clean = Value.Default(PhonebookInputSchema, Value.Clone(input)) as PhonebookInput;
    const first = Value.Errors(PhonebookInputSchema, clean).First();
    if (first) {
      const field = first.path.replace(/^\//, '').replace(/\//g, '.') || 'body';
      throw new AcipError('VALIDATION', `${field}: ${first.message}`, field);
    }
    validateSipUri(clean.uri);
    clean.uri = clean.uri.trim();
    if (clean.duplicateRemote) clean.duplicateRemote = validateDuplicateRemote(clean.duplicateRemote);
    if (clean.profile !== undefined && !this.opts.profileExists(clean.profile)) {
      throw new AcipError('VALIDATION', `profile: no profile named ${JSON.stringify(clean.profile)}`, 'profile');
    }
    const { inboundAuth, ...rest } = clean;
    if (!inboundAuth) return rest;
    const password = inboundAuth.password ?? old?.inboundAuth?.password;
    if (password === undefined) throw new AcipError('VALIDATION', 'inboundAuth.password: required when the entry has no stored password', 'inboundAuth.password');
    for (const e of this.entries.values()) {
      if (e.id !== old?.id && e.inboundAuth?.user === inboundAuth.user) {
        throw new AcipError('VALIDATION', `inboundAuth.user: ${JSON.stringify(inboundAuth.user)} is already the user of ${JSON.stringify(e.name)}`, 'inboundAuth.user');
      }
    }
    return { ...rest, inboundAuth: { user: inboundAuth.user, password } };
  }

  list(): PhonebookEntry[] {
    return [...this.entries.values()].sort((a, b) => a.name.localeCompare(b.name)).map(view);
  }

  get(id: string): PhonebookEntry | undefined {
    const e = this.entries.get(id);
    return e ? view(e) : undefined;
  }

  /** Find the entry whose URI matches (for naming inbound callers and per-entry statistics). */
  findByUri(uri: string): PhonebookEntry | undefined {
    const norm = (u: string) => u.trim().toLowerCase().replace(/^sips?:/, '').replace(/;.*$/, '');
    const want = norm(uri);
    const e = [...this.entries.values()].find((x) => norm(x.uri) === want);
    return e ? view(e) : undefined;
  }

  /** The entry a digest user name belongs to. */
  findByInboundUser(user: string): PhonebookEntry | undefined {
    for (const e of this.entries.values()) if (e.inboundAuth?.user === user) return view(e);
    return undefined;
  }

  /** The stored password of a digest user name (admission only); undefined when no entry has that user. */
  inboundPassword(user: string): string | undefined {
    for (const e of this.entries.values()) if (e.inboundAuth?.user === user) return e.inboundAuth.password;
    return undefined;
  }

  /** Whether any entry carries inbound credentials. */
  hasInboundCredentials(): boolean {
    for (const e of this.entries.values()) if (e.inboundAuth) return true;
    return false;
  }

  create(input: PhonebookInput): PhonebookEntry {
    const clean = this.check(input);
    const now = new Date(this.opts.wallNow()).toISOString();
    const entry: StoredEntry = { ...clean, id: randomUUID(), createdAt: now, updatedAt: now };
    this.entries.set(entry.id, entry);
    this.save();
    return view(entry);
  }

  update(id: string, input: PhonebookInput): PhonebookEntry {
    const old = this.entries.get(id);
    if (!old) throw new AcipError('NOT_FOUND', `no phonebook entry ${JSON.stringify(id)}`, 'id');
    const clean = this.check(input, old);
    const entry: StoredEntry = { ...clean, id, createdAt: old.createdAt, updatedAt: new Date(this.opts.wallNow()).toISOString() };
    this.entries.set(id, entry);
    this.save();
    return view(entry);
  }

  remove(id: string): void {
    if (!this.entries.delete(id)) throw new AcipError('NOT_FOUND', `no phonebook entry ${JSON.stringify(id)}`, 'id');
    this.save();
  }
}
