/**
 * Messages of the WebSocket feed `/api/live`.
 *
 * Feed 1 (the default, what `/api/live` always sent): a `hello` with the full state on connect, then
 * link changes as they happen (`link`, `link-removed`), every link's full snapshot at 1 Hz (`stats`),
 * every link's meters at 10 Hz (`meters`), alarms and registration.
 *
 * Feed 2 (`/api/live?feed=2`): the same `hello` (saying `feed: 2`), then only what changed since the
 * last message to this client: a state change is a `link-patch` carrying the fields that changed,
 * the 1 Hz tick is a `stats-delta` with one patch per changed link and the ids of links that went
 * away, and the 10 Hz `levels` carries only the links whose levels changed, one compact row each
 * (half the bytes of a `meters` frame: with 100 links on air the levels are most of the feed). A
 * patch never carries `meters`: levels travel in `levels` messages only. The client may send
 * `{"type":"resync"}` at any time to get a fresh `hello` with the full state. A service that knows
 * no feed 2 ignores the query and speaks feed 1, so a feed-2 client must still understand `link`,
 * `stats` and `meters`; a client asking for a feed newer than the service knows gets the newest the
 * service has (`hello.feed`).
 *
 * Both feeds carry `message` when a text message (SIP MESSAGE, RFC 3428) arrives, is sent, or its
 * delivery status changes (the same id again, with the new status), and `presence` when a watched
 * phonebook entry's presence changes.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';
import { LinkMeterFrame, LinkSnapshot } from './links.js';
import { Alarm } from './alarms.js';
import { RegistrationStatus } from './status.js';
import { Message } from './messages.js';
import { PeerPresence } from './phonebook.js';

/** The newest feed version this service speaks. */
export const LIVE_FEED_VERSION = 2;

export const LiveQuery = Type.Object(
  {
    feed: Type.Optional(
      Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: 'Feed version the client speaks (1 when absent; 2 sends only changes; a newer one gets the newest the service has)' }),
    ),
  },
  { additionalProperties: false },
);
export type LiveQuery = Static<typeof LiveQuery>;

export const LiveHello = Type.Object(
  {
    type: Type.Literal('hello'),
    version: Type.String(),
    feed: Type.Optional(Type.Integer({ minimum: 1, description: 'Feed version of this connection (absent: 1)' })),
    links: Type.Array(LinkSnapshot),
    registration: Nullable(RegistrationStatus),
    alarms: Type.Array(Alarm),
  },
  { additionalProperties: false, description: 'First message, and the answer to a resync: the full state' },
);
export const LiveLink = Type.Object({ type: Type.Literal('link'), link: LinkSnapshot }, { additionalProperties: false, description: 'A link appeared or changed state' });
export const LiveLinkRemoved = Type.Object({ type: Type.Literal('link-removed'), id: Type.String() }, { additionalProperties: false });
export const LiveStats = Type.Object({ type: Type.Literal('stats'), links: Type.Array(LinkSnapshot) }, { additionalProperties: false, description: 'Every link, 1 Hz (feed 1)' });
export const LiveMeters = Type.Object(
  { type: Type.Literal('meters'), meters: Type.Array(LinkMeterFrame) },
  { additionalProperties: false, description: 'Levels of every link with media, 10 Hz (feed 1)' },
);
export const LiveAlarm = Type.Object({ type: Type.Literal('alarm'), alarm: Alarm }, { additionalProperties: false });
export const LiveRegistration = Type.Object({ type: Type.Literal('registration'), registration: RegistrationStatus }, { additionalProperties: false });

/**
 * The fields of a link snapshot that changed, with its id. The first patch of a link the client does
 * not know yet carries every field but `meters`; a client that gets a partial patch for an unknown
 * link has lost track and should ask for a resync.
 */
export const LinkPatch = Type.Composite(
  [
    Type.Object({
      id: Type.String(),
      unset: Type.Optional(Type.Array(Type.String(), { description: 'Optional fields the link no longer has (e.g. connectedAt after a redial)' })),
    }),
    Type.Partial(Type.Omit(LinkSnapshot, ['id', 'meters'])),
  ],
  { additionalProperties: false },
);
export type LinkPatch = Static<typeof LinkPatch>;

export const LiveLinkPatch = Type.Object(
  { type: Type.Literal('link-patch'), link: LinkPatch },
  { additionalProperties: false, description: 'A link appeared or changed state: the fields that changed (feed 2)' },
);
export const LiveStatsDelta = Type.Object(
  {
    type: Type.Literal('stats-delta'),
    links: Type.Array(LinkPatch, { description: 'Links whose snapshot changed since the last message to this client' }),
    removed: Type.Array(Type.String(), { description: 'Links gone since the last message to this client' }),
  },
  { additionalProperties: false, description: 'The 1 Hz tick, sent even when nothing changed (feed 2)' },
);

const Db = Type.Array(Nullable(Type.Number()), { description: 'dBFS per channel; silence is null' });

/** One link's levels in a `levels` message: the fields of `LinkMeters` in a fixed order, without their names. */
export const LevelRow = Type.Tuple([Type.String({ description: 'link id' }), Db, Db, Type.Number(), Db, Db, Type.Number()], {
  description: '[link id, input peak, input rms, input clips, output peak, output rms, output clips]',
});
export type LevelRow = Static<typeof LevelRow>;

export const LiveLevels = Type.Object(
  { type: Type.Literal('levels'), links: Type.Array(LevelRow) },
  { additionalProperties: false, description: 'Levels at 10 Hz of the links whose levels changed since the last message to this client (feed 2)' },
);

/** A text message (SIP MESSAGE) arrived, was sent, or its delivery status changed (both feeds). */
export const LiveTextMessage = Type.Object(
  { type: Type.Literal('message'), message: Message },
  { additionalProperties: false, description: 'A text message arrived or was sent, or its delivery status changed (the same id again)' },
);

/** A watched phonebook entry's presence changed (both feeds). */
export const LivePresence = Type.Object(
  { type: Type.Literal('presence'), phonebookId: Type.String(), presence: PeerPresence },
  { additionalProperties: false, description: "A watched phonebook entry's presence (RFC 3856) changed" },
);

export const LiveMessage = Type.Union([
  LiveHello,
  LiveLink,
  LiveLinkRemoved,
  LiveStats,
  LiveMeters,
  LiveAlarm,
  LiveRegistration,
  LiveLinkPatch,
  LiveStatsDelta,
  LiveLevels,
  LiveTextMessage,
  LivePresence,
]);
export type LiveMessage = Static<typeof LiveMessage>;
export type LiveHello = Static<typeof LiveHello>;
export type LiveLink = Static<typeof LiveLink>;
export type LiveLinkRemoved = Static<typeof LiveLinkRemoved>;
export type LiveStats = Static<typeof LiveStats>;
export type LiveMeters = Static<typeof LiveMeters>;
export type LiveAlarm = Static<typeof LiveAlarm>;
export type LiveRegistration = Static<typeof LiveRegistration>;
export type LiveLinkPatch = Static<typeof LiveLinkPatch>;
export type LiveStatsDelta = Static<typeof LiveStatsDelta>;
export type LiveLevels = Static<typeof LiveLevels>;
export type LiveTextMessage = Static<typeof LiveTextMessage>;
export type LivePresence = Static<typeof LivePresence>;
export type LiveMessageType = LiveMessage['type'];

/** Client → service (feed 2): ask for a fresh `hello` with the full state. Anything else is ignored. */
export const LiveResync = Type.Object({ type: Type.Literal('resync') }, { additionalProperties: false });
export const LiveClientMessage = Type.Union([LiveResync]);
export type LiveClientMessage = Static<typeof LiveClientMessage>;
