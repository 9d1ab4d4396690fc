/**
 * acip's own presence, derived from what the link manager knows, and its PIDF rendering
 * (RFC 3863 with RFC 4480 activities). One table maps each state to its document and back, so the
 * notifier, PUBLISH and the subscriber read the same definition.
 *
 *   not ready (starting, stopping, no registration)  → closed
 *   ready, a free link                                → open
 *   ready, every link in use                          → busy ("on air")
 */
import { buildPidf, type ParsedPidf, type PidfBasic } from './pidf.js';

export type PresenceState = 'open' | 'closed' | 'busy';

export interface PresenceInput {
  /** The service can take calls (started, SIP transport up; registered when a registrar is configured). */
  ready: boolean;
  linksInUse: number;
  maxLinks: number;
}

export function presenceOf(input: PresenceInput): PresenceState {
  if (!input.ready || input.maxLinks <= 0) return 'closed';
  return input.linksInUse >= input.maxLinks ? 'busy' : 'open';
}

interface PresenceDocumentShape {
  basic: PidfBasic;
  activities: string[];
  note: string;
}

/** RFC 4480 §3.2: on-the-phone says the person is in a call; busy that they are occupied. */
export const PRESENCE_DOCUMENTS: Readonly<Record<PresenceState, PresenceDocumentShape>> = {
  open: { basic: 'open', activities: [], note: 'Available' },
  busy: { basic: 'open', activities: ['on-the-phone'], note: 'On air' },
  closed: { basic: 'closed', activities: [], note: 'Offline' },
};

/** Activities that mean "cannot take another call" when a peer sends them (RFC 4480 §3.2). */
const BUSY_ACTIVITIES: ReadonlySet<string> = new Set(['on-the-phone', 'busy', 'performance', 'presentation', 'meeting']);

export function presenceDocument(state: PresenceState, entity: string, contact?: string): string {
  const shape = PRESENCE_DOCUMENTS[state];
  return buildPidf({ entity, basic: shape.basic, note: shape.note, activities: shape.activities, ...(contact !== undefined ? { contact } : {}) });
}

/** What a peer's PIDF says, in acip's three states; 'unknown' when it carries no basic status. */
export function presenceFromPidf(doc: ParsedPidf): PresenceState | 'unknown' {
  if (doc.basic === undefined) return 'unknown';
  if (doc.basic === 'closed') return 'closed';
  return doc.activities.some((a) => BUSY_ACTIVITIES.has(a)) ? 'busy' : 'open';
}
