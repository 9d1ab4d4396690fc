/** Alarms raised by links and registration, until cleared and acknowledged. */
import { Type, type Static } from '@sinclair/typebox';
import { IsoTime } from './common.js';

export const AlarmKind = Type.Union([
  Type.Literal('silence'),
  Type.Literal('loss'),
  Type.Literal('link-down'),
  Type.Literal('registration-lost'),
  Type.Literal('source-blocked'),
  Type.Literal('insecure-config'),
  Type.Literal('overload'),
]);
export type AlarmKind = Static<typeof AlarmKind>;

export const Alarm = Type.Object(
  {
    id: Type.String(),
    kind: AlarmKind,
    linkId: Type.Optional(Type.String()),
    message: Type.String(),
    raisedAt: IsoTime(),
    clearedAt: Type.Optional(IsoTime()),
    acknowledged: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type Alarm = Static<typeof Alarm>;

export const AlarmList = Type.Object({ alarms: Type.Array(Alarm) }, { additionalProperties: false });
export type AlarmList = Static<typeof AlarmList>;
