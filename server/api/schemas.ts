/** Request-body and query schemas of the REST API (TypeBox: one schema → validation and OpenAPI). */
import { Type, type Static } from '@sinclair/typebox';

export const DialBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 512, description: 'SIP URI to call, e.g. sip:studio2@192.0.2.10' }),
    profile: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Profile name (default: the configured default)' })),
    input: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Audio input spec' })),
    output: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Audio output spec' })),
    permanent: Type.Optional(Type.Boolean({ description: 'Redial with backoff until hung up by the user' })),
    phonebookId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type DialBody = Static<typeof DialBody>;

export const ChangeProfileBody = Type.Object({ profile: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
export type ChangeProfileBody = Static<typeof ChangeProfileBody>;

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export type IdParams = Static<typeof IdParams>;

export const HistoryQuery = Type.Object(
  {
    remote: Type.Optional(Type.String({ maxLength: 512 })),
    direction: Type.Optional(Type.Union([Type.Literal('outbound'), Type.Literal('inbound')])),
    phonebookId: Type.Optional(Type.String({ maxLength: 64 })),
    since: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601' })),
    until: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601' })),
    answered: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$', description: '1-99999' })),
  },
  { additionalProperties: false },
);
export type HistoryQuery = Static<typeof HistoryQuery>;

export const LoginBody = Type.Object({ password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false });
export type LoginBody = Static<typeof LoginBody>;

export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) });
