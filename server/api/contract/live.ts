/**
 * Messages of the WebSocket feed `/api/live`, server → client: a `hello` with the full state on
 * connect, then link changes as they happen, stats at 1 Hz, meters at 10 Hz, alarms and registration.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';
import { LinkMeterFrame, LinkSnapshot } from './links.js';
import { Alarm } from './alarms.js';
import { RegistrationStatus } from './status.js';

export const LiveHello = Type.Object(
  {
    type: Type.Literal('hello'),
    version: Type.String(),
    links: Type.Array(LinkSnapshot),
    registration: Nullable(RegistrationStatus),
    alarms: Type.Array(Alarm),
  },
  { additionalProperties: false, description: 'First message: the full state' },
);
export const LiveLink = Type.Object({ type: Type.Literal('link'), link: LinkSnapshot }, { additionalProperties: false, description: 'A link appeared or changed state' });
export const LiveLinkRemoved = Type.Object({ type: Type.Literal('link-removed'), id: Type.String() }, { additionalProperties: false });
export const LiveStats = Type.Object({ type: Type.Literal('stats'), links: Type.Array(LinkSnapshot) }, { additionalProperties: false, description: 'Every link, 1 Hz' });
export const LiveMeters = Type.Object(
  { type: Type.Literal('meters'), meters: Type.Array(LinkMeterFrame) },
  { additionalProperties: false, description: 'Levels of every link with media, 10 Hz' },
);
export const LiveAlarm = Type.Object({ type: Type.Literal('alarm'), alarm: Alarm }, { additionalProperties: false });
export const LiveRegistration = Type.Object({ type: Type.Literal('registration'), registration: RegistrationStatus }, { additionalProperties: false });

export const LiveMessage = Type.Union([LiveHello, LiveLink, LiveLinkRemoved, LiveStats, LiveMeters, LiveAlarm, LiveRegistration]);
export type LiveMessage = Static<typeof LiveMessage>;
export type LiveHello = Static<typeof LiveHello>;
export type LiveLink = Static<typeof LiveLink>;
export type LiveLinkRemoved = Static<typeof LiveLinkRemoved>;
export type LiveStats = Static<typeof LiveStats>;
export type LiveMeters = Static<typeof LiveMeters>;
export type LiveAlarm = Static<typeof LiveAlarm>;
export type LiveRegistration = Static<typeof LiveRegistration>;
export type LiveMessageType = LiveMessage['type'];
