/**
 * Shapes of the REST bodies the panel reads. Link, alarm and registration shapes come straight from
 * the server's own types (type-only imports, so the panel and the service never drift).
 */
import type { LinkSnapshot, RegistrationStatus, Alarm } from '../../../server/links/link-types.js';
import type { Profile } from '../../../server/config/profile-schema.js';
import type { CallRecord } from '../../../server/store/call-history.js';
import type { PhonebookEntry } from '../../../server/store/phonebook.js';

export type { LinkSnapshot, RegistrationStatus, Alarm, Profile, CallRecord, PhonebookEntry };

export type Role = 'admin' | 'viewer' | 'open';

export interface Listening {
  sip: string[];
  http: string | undefined | null;
}

export interface HealthBody {
  status: string;
  version: string;
  uptimeSeconds: number;
  listening: Listening;
}

export interface StatusBody {
  version: string;
  listening: Listening;
  registration: RegistrationStatus | null;
  links: { total: number; byState: Record<string, number> };
  role: Role;
}

export interface Reachability {
  reachable: boolean | null;
  rttMs: number | null;
  status: number | null;
  checkedAt: string | null;
}

export interface PhonebookRow extends PhonebookEntry {
  reachability?: Reachability;
  asr?: { attempts: number; answered: number; asr: number | null };
}

export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string;
}

/** Reachability as a word and a tone: never colour alone. */
export function reachabilityView(r: Reachability | undefined): { word: string; tone: 'ok' | 'bad' | 'off' } {
  if (!r || r.reachable === null) return { word: 'not probed', tone: 'off' };
  if (r.reachable) return { word: r.rttMs !== null ? `reachable, ${Math.round(r.rttMs)} ms` : 'reachable', tone: 'ok' };
  return { word: r.status ? `unreachable (${r.status})` : 'unreachable', tone: 'bad' };
}
