/** Call history: the filter a client may send and one record per call. */
import { Type, type Static } from '@sinclair/typebox';
import { Direction, EndReason, IsoTime, Nullable } from './common.js';

export const HistoryQuery = Type.Object(
  {
    remote: Type.Optional(Type.String({ maxLength: 512 })),
    direction: Type.Optional(Direction),
    phonebookId: Type.Optional(Type.String({ maxLength: 64 })),
    since: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601' })),
    until: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601' })),
    answered: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$', description: '1-99999' })),
  },
  { additionalProperties: false },
);
export type HistoryQuery = Static<typeof HistoryQuery>;

export const CallQuality = Type.Object(
  {
    lossPct: Nullable(Type.Number()),
    concealedPct: Nullable(Type.Number()),
    maxJitterMs: Nullable(Type.Number()),
    meanBufferMs: Nullable(Type.Number()),
    maxBufferMs: Nullable(Type.Number()),
    rttMs: Nullable(Type.Number()),
    redials: Type.Number(),
  },
  { additionalProperties: false },
);
export type CallQuality = Static<typeof CallQuality>;

export const HistoryRecord = Type.Object(
  {
    id: Type.String(),
    linkId: Type.String(),
    direction: Direction,
    remote: Type.String(),
    remoteName: Type.Optional(Type.String()),
    phonebookId: Type.Optional(Type.String()),
    profile: Type.Optional(Type.String()),
    startedAt: IsoTime(),
    answeredAt: Type.Optional(IsoTime()),
    endedAt: IsoTime(),
    answerDelayMs: Type.Optional(Type.Number({ description: 'INVITE sent/received → 200 OK, ms; absent when never answered' })),
    durationS: Type.Number({ description: 'Connected time, s (0 when never answered)' }),
    answered: Type.Boolean(),
    endReason: EndReason,
    codec: Type.Optional(
      Type.Object(
        { name: Type.String(), clockRate: Type.Number(), channels: Type.Number(), ptimeMs: Type.Number() },
        { additionalProperties: false },
      ),
    ),
    quality: CallQuality,
  },
  { additionalProperties: false },
);
export type HistoryRecord = Static<typeof HistoryRecord>;

export const HistoryList = Type.Object({ calls: Type.Array(HistoryRecord) }, { additionalProperties: false });
export type HistoryList = Static<typeof HistoryList>;
