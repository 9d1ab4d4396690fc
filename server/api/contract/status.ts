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

export const ServiceLoad = Type.Object(
  {
    state: Type.Union([Type.Literal('normal'), Type.Literal('overloaded')], { description: 'overloaded: new links are refused (SIP 503 + Retry-After, API 503 OVERLOADED)' }),
    reason: Nullable(Type.String({ description: 'The signal that tripped, while overloaded' })),
    eventLoopLagS: Type.Number({ description: 'Main-thread event-loop lag (p99 of the last sample), seconds' }),
    mediaLoadRatio: Nullable(Type.Number({ description: 'Mean event-loop utilisation of the media workers, 0..1' })),
    machineBusyRatio: Nullable(Type.Number({ description: 'Busy share of the machine CPU, all cores, over the last sample (0..1); null when the platform gives no CPU times' })),
    workers: Type.Array(Type.Object({ index: Type.Integer(), loadRatio: Type.Number() }, { additionalProperties: false })),
    refused: Type.Integer({ description: 'New links refused for overload since start' }),
  },
  { additionalProperties: false },
);
export type ServiceLoad = Static<typeof ServiceLoad>;

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
    load: Type.Optional(Nullable(ServiceLoad)),
    role: Role,
  },
  { additionalProperties: false },
);
export type StatusBody = Static<typeof StatusBody>;
