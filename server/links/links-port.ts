/**
 * What the API (and the CLI, and the panel through the API) may ask of the link manager.
 * The API depends on this interface only, so its routes are testable without SIP or media.
 */
import type { LinkStateChange } from './link-events.js';
import type { TypedEmitter } from '../util/typed-emitter.js';
import type { Alarm, LinkMeters, LinkSnapshot, RegistrationStatus } from './link-types.js';
import type { OverloadStatus } from './overload-guard.js';

export interface DialRequest {
  to: string;
  profile?: string;
  input?: string;
  output?: string;
  permanent?: boolean;
  phonebookId?: string;
}

export type LinksEvents = {
  /** A link appeared or changed state. */
  link: [LinkSnapshot];
  removed: [string];
  alarm: [Alarm];
  registration: [RegistrationStatus];
  /** Every state change of every link, without a snapshot (cheap: glue code that only needs where a link is). */
  state: [LinkStateChange];
};

export interface LinksPort {
  readonly events: TypedEmitter<LinksEvents>;
  list(): LinkSnapshot[];
  get(id: string): LinkSnapshot | undefined;
  /** Meters of every link that has media (the 10 Hz feed): cheaper than list(). */
  meters(): { id: string; meters: LinkMeters }[];
  /** Validates (throws AcipError VALIDATION naming the field) and starts dialling. */
  dial(req: DialRequest): LinkSnapshot;
  hangup(id: string): LinkSnapshot;
  answer(id: string): LinkSnapshot;
  /** Mid-call codec change (EBU Tech 3326): re-INVITE with the profile's offer; resolves once answered. */
  changeProfile(id: string, profile: string): Promise<LinkSnapshot>;
  reject(id: string): LinkSnapshot;
  registration(): RegistrationStatus | null;
  alarms(): Alarm[];
  ackAlarm(id: string): Alarm;
  /** OPTIONS reachability per phonebook entry id. */
  reachability(phonebookId: string): { reachable: boolean | null; rttMs: number | null; status: number | null; checkedAt: string | null };
  /** Link count per state, cheaper than list() (no snapshots); absent on ports that do not offer it. */
  stateCounts?(): { total: number; byState: Record<string, number> };
  /** Load and admission state (`/api/status`, metrics); null or absent without admission control. */
  load?(): OverloadStatus | null;
}
