/** Small shapes shared by several areas of the API. */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** `:id` in a route path (links, phonebook entries, alarms). */
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export type IdParams = Static<typeof IdParams>;

/** An ISO 8601 wall-clock time (kept a plain string: no format keyword to register). */
export const IsoTime = (description = 'ISO 8601 time') => Type.String({ description });

/** A value or JSON null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Direction = Type.Union([Type.Literal('outbound'), Type.Literal('inbound')]);
export type Direction = Static<typeof Direction>;

/** How a call ended: who ended it, the SIP status when there was one, and why. */
export const EndReason = Type.Object(
  {
    by: Type.Union([Type.Literal('local'), Type.Literal('remote'), Type.Literal('network'), Type.Literal('error')]),
    sipStatus: Type.Optional(Type.Number()),
    reason: Type.String(),
  },
  { additionalProperties: false },
);
export type EndReason = Static<typeof EndReason>;
