/** Phonebook entries: what a client sends to create or edit one, and what the API shows of one. */
import { Type, type Static } from '@sinclair/typebox';
import { IsoTime, Nullable } from './common.js';

export const PhonebookInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'Studio name shown on the panel' }),
    uri: Type.String({ minLength: 5, maxLength: 512, description: 'SIP URI, e.g. sip:studio2@192.0.2.10' }),
    profile: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Profile to dial with' })),
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
    probe: Type.Optional(Type.Boolean({ default: true, description: 'Probe reachability with OPTIONS' })),
    tlsVerify: Type.Optional(
      Type.Boolean({ default: true, description: 'TLS (sips:) only: false accepts a certificate that fails verification (self-signed, wrong name)' }),
    ),
  },
  { additionalProperties: false },
);
export type PhonebookInput = Static<typeof PhonebookInput>;

/** The last OPTIONS probe of an entry (RFC 3261 §11); all null until one has been answered or timed out. */
export const Reachability = Type.Object(
  {
    reachable: Nullable(Type.Boolean()),
    rttMs: Nullable(Type.Number()),
    status: Nullable(Type.Number({ description: 'SIP status of the OPTIONS response' })),
    checkedAt: Nullable(IsoTime()),
  },
  { additionalProperties: false },
);
export type Reachability = Static<typeof Reachability>;

/** Answer/seizure ratio of the calls placed to an entry. */
export const AnswerSeizure = Type.Object(
  { attempts: Type.Number(), answered: Type.Number(), asr: Nullable(Type.Number({ description: 'answered / attempts, 0..1' })) },
  { additionalProperties: false },
);
export type AnswerSeizure = Static<typeof AnswerSeizure>;

export const PhonebookEntry = Type.Object(
  {
    ...PhonebookInput.properties,
    id: Type.String(),
    createdAt: IsoTime(),
    updatedAt: IsoTime(),
    reachability: Reachability,
    asr: AnswerSeizure,
  },
  { additionalProperties: false },
);
export type PhonebookEntry = Static<typeof PhonebookEntry>;

export const PhonebookList = Type.Object({ entries: Type.Array(PhonebookEntry) }, { additionalProperties: false });
export type PhonebookList = Static<typeof PhonebookList>;
