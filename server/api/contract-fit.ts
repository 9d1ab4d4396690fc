/**
 * Compile-time checks that the service's own types fit the API contract. The domain modules keep
 * their types (the link manager's snapshot, the stores' records, the loaded profile); the contract
 * re-states them as schemas for clients. These checks fail `tsc` when the two drift apart:
 *
 * - `Fits<Domain, Contract>`: every value the service produces is a valid contract value;
 * - `NoExtraKeys<Domain, Contract>`: the domain type has no property the contract lacks, since
 *   fastify's response serializer silently drops properties a response schema does not name.
 *
 * This file holds types only: it emits nothing and nothing imports it.
 */
import type { LinkMeters as DomainLinkMeters, LinkSnapshot as DomainLinkSnapshot, Alarm as DomainAlarm, RegistrationStatus as DomainRegistration } from '../links/link-types.js';
import type { LinkState as DomainLinkState } from '../links/link-state.js';
import type { DialRequest, LinksPort } from '../links/links-port.js';
import type { PhonebookEntry as StoredPhonebookEntry, PhonebookInput as StorePhonebookInput } from '../store/phonebook.js';
import type { CallRecord } from '../store/call-history.js';
import type { MessageRecord } from '../store/message-log.js';
import type { Profile } from '../config/profile-schema.js';
import type { AppDeps } from './app.js';
import type {
  Alarm,
  AnswerSeizure,
  DialBody,
  LinkMeterFrame,
  LinkSnapshot,
  LinkState,
  Listening,
  PhonebookEntry,
  PhonebookInput,
  ProfileSummary,
  Reachability,
  RegistrationStatus,
  HistoryRecord,
  Message,
} from './contract/index.js';

/** Compiles only when D is assignable to C. */
type Fits<D extends C, C> = D;
/** Compiles only when A and B are assignable both ways. */
type Same<A extends B, B extends C, C = A> = [A, B];

type AllKeys<T> = T extends unknown ? keyof T : never;
type PropOf<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;
type ElementOf<T> = T extends readonly (infer E)[] ? E : never;
/** Property names of D, at any depth, that C does not declare at the same place (never when none). */
type ExtraKeys<D, C> = D extends readonly (infer E)[]
  ? ExtraKeys<E, ElementOf<NonNullable<C>>>
  : D extends object
    ? Exclude<keyof D, AllKeys<NonNullable<C>>> | { [K in keyof D]-?: ExtraKeys<D[K], PropOf<NonNullable<C>, K>> }[keyof D]
    : never;
/** Compiles only when `ExtraKeys` is never; otherwise the error names the extra property. */
type NoExtraKeys<D, C, Extra = ExtraKeys<D, C>> = [Extra] extends [never] ? true : { extraProperty: Extra };
type True<T extends true> = T;

type PhonebookRow = StoredPhonebookEntry & { reachability: ReturnType<LinksPort['reachability']>; asr: AnswerSeizure };

export type ContractFits = [
  Same<DomainLinkState, LinkState>,
  Fits<DomainLinkSnapshot, LinkSnapshot>,
  True<NoExtraKeys<DomainLinkSnapshot, LinkSnapshot>>,
  Fits<{ id: string; meters: DomainLinkMeters }, LinkMeterFrame>,
  Fits<DomainAlarm, Alarm>,
  True<NoExtraKeys<DomainAlarm, Alarm>>,
  Fits<DomainRegistration, RegistrationStatus>,
  True<NoExtraKeys<DomainRegistration, RegistrationStatus>>,
  Fits<ReturnType<LinksPort['reachability']>, Reachability>,
  True<NoExtraKeys<ReturnType<LinksPort['reachability']>, Reachability>>,
  Fits<PhonebookRow, PhonebookEntry>,
  True<NoExtraKeys<PhonebookRow, PhonebookEntry>>,
  Same<StorePhonebookInput, PhonebookInput>,
  Fits<CallRecord, HistoryRecord>,
  True<NoExtraKeys<CallRecord, HistoryRecord>>,
  Fits<Profile, ProfileSummary>,
  True<NoExtraKeys<Profile, ProfileSummary>>,
  Fits<ReturnType<AppDeps['listening']>, Listening>,
  Fits<MessageRecord, Message>,
  True<NoExtraKeys<MessageRecord, Message>>,
  // Request bodies go to the link manager as they are.
  Fits<DialBody, DialRequest>,
];
