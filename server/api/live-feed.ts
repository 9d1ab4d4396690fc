/**
 * The WebSocket feed `/api/live` (the messages are `LiveMessage` in the API contract).
 *
 * Feed 1 (default): on connect a `hello` with the full state, then link state changes as they
 * happen, every link's full snapshot at 1 Hz, every link's meters at 10 Hz, alarms and registration.
 * Feed 2 (`?feed=2`): the same `hello`, then per client only what changed since the last message to
 * that client (a `LinkDeltaTracker` per client remembers what it was sent), levels as compact rows,
 * and a fresh `hello` when the client sends `{"type":"resync"}`. Both feeds pass on text messages (`message`) and the presence of watched phonebook entries (`presence`). Most of a snapshot (SDP, codec,
 * profile) never changes during a call, so with 100 links feed 2 sends a fraction of feed 1's bytes.
 *
 * Timers run only while someone is listening. A slow client whose socket buffer passes a bound is
 * skipped for periodic updates (state changes still queue) rather than growing memory; on feed 2 a
 * skipped tick is not lost, since the next delta is taken against what the client was actually sent.
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { LinksPort } from '../links/links-port.js';
import {
  ErrorBody,
  LIVE_FEED_VERSION,
  LiveMessage,
  LiveQuery,
  type LevelRow,
  type LinkMeterFrame,
  type LinkPatch,
  type LinkSnapshot,
  type LiveHello,
  type Message,
  type PeerPresence,
} from './contract/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';

export interface LiveFeedOptions {
  links: LinksPort;
  version: string;
  clock: Clock;
  statsIntervalMs: number;
  metersIntervalMs: number;
  /** Skip periodic messages to a client with more than this many bytes unsent. */
  maxBufferedBytes: number;
  /** Text messages to pass on as `message` (both feeds); absent: none. */
  messages?: { on(event: 'message', fn: (m: Message) => void): () => void } | undefined;
  /** Presence changes of watched phonebook entries, passed on as `presence` (both feeds); absent: none. */
  presence?: { on(event: 'presence', fn: (phonebookId: string, presence: PeerPresence) => void): () => void } | undefined;
}

/** A snapshot's fields as JSON text, keyed by name: what a patch compares. `id` and `meters` are not in it. */
export type SnapshotFields = Map<string, string>;

export function snapshotFields(link: LinkSnapshot): SnapshotFields {
  const fields: SnapshotFields = new Map();
  for (const [key, value] of Object.entries(link)) {
    if (key === 'id' || key === 'meters' || value === undefined) continue;
    fields.set(key, JSON.stringify(value));
  }
  return fields;
}

/** A link with its fields computed once per tick, shared by every feed-2 client. */
export interface FieldedLink {
  link: LinkSnapshot;
  fields: SnapshotFields;
}

export const withFields = (link: LinkSnapshot): FieldedLink => ({ link, fields: snapshotFields(link) });

/**
 * What one feed-2 client was last sent, and the patches that bring it up to date. Every method that
 * returns something to send records it as sent, so call it only when the message will go out.
 */
export class LinkDeltaTracker {
  private readonly sent = new Map<string, SnapshotFields>();
  private readonly metersSent = new Map<string, string>();

  /** The client is about to get the full state in `links` (a hello). */
  reset(links: readonly FieldedLink[]): void {
    this.sent.clear();
    this.metersSent.clear();
    for (const l of links) {
      this.sent.set(l.link.id, l.fields);
      if (l.link.meters) this.metersSent.set(l.link.id, JSON.stringify(l.link.meters));
    }
  }

  knows(id: string): boolean {
    return this.sent.has(id);
  }

  /** The fields of `l` that differ from what the client has (all of them for a link it does not know), or null. */
  patch(l: FieldedLink): LinkPatch | null {
    const before = this.sent.get(l.link.id);
    const out: Record<string, unknown> = { id: l.link.id };
    let changed = false;
    for (const [key, json] of l.fields) {
      if (before?.get(key) === json) continue;
      out[key] = (l.link as unknown as Record<string, unknown>)[key];
      changed = true;
    }
    const unset = before ? [...before.keys()].filter((k) => !l.fields.has(k)) : [];
    if (unset.length) {
      out.unset = unset;
      changed = true;
    }
    if (!changed) return null;
    this.sent.set(l.link.id, l.fields);
    return out as LinkPatch;
  }

  /** Forget a link; whether the client knew it (and so needs to hear that it went). */
  remove(id: string): boolean {
    this.metersSent.delete(id);
    return this.sent.delete(id);
  }

  /** The 1 Hz tick: patches for links that changed or appeared, ids of links the client knows that are gone. */
  delta(links: readonly FieldedLink[]): { links: LinkPatch[]; removed: string[] } {
    const patches: LinkPatch[] = [];
    const present = new Set<string>();
    for (const l of links) {
      present.add(l.link.id);
      const p = this.patch(l);
      if (p) patches.push(p);
    }
    const removed = [...this.sent.keys()].filter((id) => !present.has(id));
    for (const id of removed) this.remove(id);
    return { links: patches, removed };
  }

  /** The 10 Hz meters: only frames whose levels differ from the last ones sent. */
  meters(frames: readonly { frame: LinkMeterFrame; json: string }[]): LinkMeterFrame[] {
    const out: LinkMeterFrame[] = [];
    for (const { frame, json } of frames) {
      if (this.metersSent.get(frame.id) === json) continue;
      this.metersSent.set(frame.id, json);
      out.push(frame);
    }
    return out;
  }
}

/** A link's meters as a `levels` row (feed 2). */
export function levelRow(f: LinkMeterFrame): LevelRow {
  const { input: i, output: o } = f.meters;
  return [f.id, i.peak, i.rms, i.clips, o.peak, o.rms, o.clips];
}

interface Client {
  ws: WebSocket;
  /** Feed version this connection speaks. */
  feed: number;
  /** Feed 2 only. */
  tracker: LinkDeltaTracker | null;
}

/** The feed version to speak for a requested one: 1 when absent or not a number, at most the newest. */
export function negotiateFeed(requested: unknown): number {
  const n = typeof requested === 'string' ? Number(requested) : typeof requested === 'number' ? requested : NaN;
  if (!Number.isInteger(n) || n < 1) return 1;
  return Math.min(n, LIVE_FEED_VERSION);
}

/** Whether a frame a client sent asks for a resync (anything else is ignored). */
export function isResync(data: unknown): boolean {
  try {
    const v = JSON.parse(String(data)) as unknown;
    return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'resync';
  } catch {
    return false;
  }
}

export function registerLiveFeed(app: FastifyInstance, partial: Partial<LiveFeedOptions> & { links: LinksPort; version: string }): void {
  const opts: LiveFeedOptions = { clock: systemClock, statsIntervalMs: 1000, metersIntervalMs: 100, maxBufferedBytes: 1 << 20, ...partial };
  const clients = new Set<Client>();
  let statsTimer: TimerHandle | undefined;
  let metersTimer: TimerHandle | undefined;

  const open = (c: Client, periodic: boolean) => c.ws.readyState === 1 && !(periodic && c.ws.bufferedAmount > opts.maxBufferedBytes);
  const sendText = (c: Client, text: string, periodic: boolean) => {
    if (open(c, periodic)) c.ws.send(text);
  };
  const send = (c: Client, msg: LiveMessage, periodic: boolean) => sendText(c, JSON.stringify(msg), periodic);
  /** One message to every client of feed 1, serialized once. */
  const broadcastV1 = (msg: LiveMessage, periodic = false) => {
    let text: string | undefined;
    for (const c of clients) if (c.feed === 1) sendText(c, (text ??= JSON.stringify(msg)), periodic);
  };
  const deltaClients = () => [...clients].filter((c): c is Client & { tracker: LinkDeltaTracker } => c.tracker !== null);

  const sendHello = (c: Client) => {
    if (!open(c, false)) return;
    const links = opts.links.list();
    c.tracker?.reset(links.map(withFields));
    const hello: LiveHello = { type: 'hello', version: opts.version, links, registration: opts.links.registration(), alarms: opts.links.alarms() };
    if (c.feed > 1) hello.feed = c.feed;
    send(c, hello, false);
  };

  const tickStats = () => {
    const links = opts.links.list();
    broadcastV1({ type: 'stats', links }, true);
    const delta = deltaClients();
    if (delta.length) {
      const fielded = links.map(withFields);
      for (const c of delta) if (open(c, true)) send(c, { type: 'stats-delta', ...c.tracker.delta(fielded) }, true);
    }
    statsTimer = opts.clock.setTimer(opts.statsIntervalMs, tickStats);
  };
  const tickMeters = () => {
    const meters = opts.links.meters();
    if (meters.length) broadcastV1({ type: 'meters', meters }, true);
    const delta = deltaClients();
    if (delta.length && meters.length) {
      const frames = meters.map((frame) => ({ frame, json: JSON.stringify(frame.meters) }));
      for (const c of delta) {
        if (!open(c, true)) continue;
        const changed = c.tracker.meters(frames);
        if (changed.length) send(c, { type: 'levels', links: changed.map(levelRow) }, true);
      }
    }
    metersTimer = opts.clock.setTimer(opts.metersIntervalMs, tickMeters);
  };
  // Link changes are listened to only while a client is connected: the link manager builds a snapshot
  // per state change only when someone listens, which matters under a call flood with no panel open.
  let offLink: (() => void) | undefined;
  const startTimers = () => {
    statsTimer ??= opts.clock.setTimer(opts.statsIntervalMs, tickStats);
    metersTimer ??= opts.clock.setTimer(opts.metersIntervalMs, tickMeters);
    offLink ??= opts.links.events.on('link', (link) => onLink(link));
  };
  const stopTimers = () => {
    statsTimer?.cancel();
    metersTimer?.cancel();
    statsTimer = metersTimer = undefined;
    offLink?.();
    offLink = undefined;
  };

  const onLink = (link: LinkSnapshot) => {
    broadcastV1({ type: 'link', link });
    const delta = deltaClients();
    if (!delta.length) return;
    const fielded = withFields(link);
    for (const c of delta) {
      if (!open(c, false)) continue;
      const patch = c.tracker.patch(fielded);
      if (patch) send(c, { type: 'link-patch', link: patch }, false);
    }
  };
  const onRemoved = (id: string) => {
    const msg: LiveMessage = { type: 'link-removed', id };
    for (const c of clients) if (c.tracker === null || c.tracker.remove(id)) send(c, msg, false);
  };
  const toAll = (msg: LiveMessage) => {
    const text = JSON.stringify(msg);
    for (const c of clients) sendText(c, text, false);
  };

  const offs = [
    opts.links.events.on('removed', onRemoved),
    opts.links.events.on('alarm', (alarm) => toAll({ type: 'alarm', alarm })),
    opts.links.events.on('registration', (registration) => toAll({ type: 'registration', registration })),
  ];
  if (opts.messages) offs.push(opts.messages.on('message', (message) => toAll({ type: 'message', message })));
  if (opts.presence) offs.push(opts.presence.on('presence', (phonebookId, presence) => toAll({ type: 'presence', phonebookId, presence })));

  app.addHook('onClose', async () => {
    for (const off of offs) off();
    stopTimers();
    for (const c of clients) c.ws.close(1001, 'service stopping');
    clients.clear();
  });

  const schema = {
    tags: ['live'],
    summary: 'WebSocket feed of link states, stats (1 Hz), meters (10 Hz) and alarms; ?feed=2 sends only what changed',
    querystring: LiveQuery,
    response: {
      101: {
        description: 'Switching to the WebSocket feed: every message, server to client, is one JSON LiveMessage',
        content: { 'application/json': { schema: LiveMessage } },
      },
      '4xx': ErrorBody,
    },
  };
  // @fastify/websocket hides WebSocket routes from the OpenAPI document; this one is documented.
  const swaggerTransform = ({ schema: s, url }: { schema: object; url: string }) => ({ schema: { ...s, hide: false }, url });
  app.get('/api/live', { websocket: true, schema, config: { swaggerTransform } }, (socket, req) => {
    const feed = negotiateFeed((req.query as { feed?: unknown } | undefined)?.feed);
    const client: Client = { ws: socket, feed, tracker: feed >= 2 ? new LinkDeltaTracker() : null };
    clients.add(client);
    startTimers();
    sendHello(client);
    // Feed 1 is one-way: anything its client sends is ignored. A feed-2 client may ask for the full
    // state again; a client that has not read what it was sent already waits (bounded by maxPayload).
    socket.on('message', (data) => {
      if (client.tracker !== null && isResync(data) && open(client, true)) sendHello(client);
    });
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      clients.delete(client);
      if (clients.size === 0) stopTimers();
    });
  });
}
