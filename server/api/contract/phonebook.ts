/** Phonebook entries: what a client sends to create or edit one, and what the API shows of one. */
import { Type, type Static } from '@sinclair/typebox';
import { IsoTime, Nullable } from './common.js';

/**
 * Credentials a caller from this entry authenticates with (digest, RFC 3261 §22). Write-only: the
 * password is never shown again; leave it out when editing to keep the stored one.
 */
export const InboundAuthInput = Type.Object(
  {
    user: Type.String({ minLength: 1, maxLength: 128, description: 'Digest user name the caller authenticates as' }),
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 256, description: 'Its password; omit to keep the stored one' })),
  },
  { additionalProperties: false },
);
export type InboundAuthInput = Static<typeof InboundAuthInput>;

/** What the API shows of inbound credentials: the user name, never the password. */
export const InboundAuthView = Type.Object(
  { user: Type.String(), hasPassword: Type.Boolean({ description: 'A password is stored (it is never returned)' }) },
  { additionalProperties: false },
);
export type InboundAuthView = Static<typeof InboundAuthView>;

/**
 * Where the copy of a duplicated stream (RFC 7198) goes when the studio does not say so in its SDP
 * (RFC 7104 a=group:DUP): hardware codecs and static peers that listen on two addresses without
 * grouping. Used with a profile that has `redundancy.duplicate`; a studio that signals its second
 * path is sent to the address it signals.
 */
export const DuplicateRemote = Type.Object(
  {
    address: Type.String({ minLength: 2, maxLength: 45, description: "IP address of the studio's second path (IPv4 or IPv6)" }),
    rtpPort: Type.Integer({ minimum: 1, maximum: 65535, description: 'RTP port of the second path' }),
    rtcpPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'RTCP port of the second path (default: RTP port + 1)' })),
  },
  { additionalProperties: false, description: "The studio's second address for a duplicated stream, used when its SDP names none" },
);
export type DuplicateRemote = Static<typeof DuplicateRemote>;

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
    inboundAuth: Type.Optional(InboundAuthInput),
    watchPresence: Type.Optional(
      Type.Boolean({ default: false, description: "Subscribe to the studio's presence (SIP SUBSCRIBE, RFC 3856) and show it as `presence`" }),
    ),
    duplicateRemote: Type.Optional(DuplicateRemote),
  },
  { additionalProperties: false },
);
export type PhonebookInput = Static<typeof PhonebookInput>;

/** A watched studio's presence (RFC 3856): busy is "on air" (every link in use); unknown while no subscription stands. */
export const PeerPresence = Type.Union([Type.Literal('open'), Type.Literal('busy'), Type.Literal('closed'), Type.Literal('unknown')], {
  description: "The studio's presence as its NOTIFYs said: open, busy (on air), closed; unknown while there is no subscription",
});
export type PeerPresence = Static<typeof PeerPresence>;

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
    inboundAuth: Type.Optional(InboundAuthView),
    id: Type.String(),
    createdAt: IsoTime(),
    updatedAt: IsoTime(),
    reachability: Reachability,
    asr: AnswerSeizure,
    presence: Type.Optional(PeerPresence),
  },
  { additionalProperties: false },
);
export type PhonebookEntry = Static<typeof PhonebookEntry>;

export const PhonebookList = Type.Object({ entries: Type.Array(PhonebookEntry) }, { additionalProperties: false });
export type PhonebookList = Static<typeof PhonebookList>;
