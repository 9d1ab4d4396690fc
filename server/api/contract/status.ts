/** Liveness (`/api/health`), service status (`/api/status`) and SIP registration. */
import { Type, type Static } from '@sinclair/typebox';
import { IsoTime, Nullable } from './common.js';
import { Role } from './auth.js';

export const Listening = Type.Object(
  {
    sip: Type.Array(Type.String(), { description: 'SIP sockets, e.g. udp:0.0.0.0:5060' }),
    http: Type.Optional(Type.String({ description: 'The HTTP address, once listening' })),
  },
  { additionalProperties: false },
);
export type Listening = Static<typeof Listening>;

export const RegistrationStatus = Type.Object(
  {
    state: Type.Union([Type.Literal('unregistered'), Type.Literal('registering'), Type.Literal('registered'), Type.Literal('failed')]),
    aor: Type.String(),
    registrar: Type.String(),
    expiresAt: Type.Optional(IsoTime()),
    lastError: Type.Optional(Type.String()),
    nextRetryAt: Type.Optional(IsoTime('After a failure: when the next attempt goes out (RFC 5626 §4.5 backoff)')),
  },
  { additionalProperties: false },
);
export type RegistrationStatus = Static<typeof RegistrationStatus>;

export const HealthBody = Type.Object(
  {
    status: Type.Literal('ok'),
    version: Type.String(),
    uptimeSeconds: Type.Number(),
    listening: Listening,
  },
  { additionalProperties: false },
);
export type HealthBody = Static<typeof HealthBody>;

export const StatusBody = Type.Object(
  {
    version: Type.String(),
    listening: Listening,
    registration: Nullable(RegistrationStatus),
    links: Type.Object(
      {
        total: Type.Number(),
        byState: Type.Record(Type.String(), Type.Number(), { description: 'Link count per state; states with no link are absent' }),
      },
      { additionalProperties: false },
    ),
    role: Role,
  },
  { additionalProperties: false },
);
export type StatusBody = Static<typeof StatusBody>;
