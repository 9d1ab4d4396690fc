/**
 * The WebSocket feed `/api/live`: on connect a `hello` with the full state, then link state changes as
 * they happen, stats at 1 Hz, meters at 10 Hz, alarms and registration changes (`LiveMessage` in the
 * API contract). Timers run only while someone is listening. A slow client whose socket buffer
 * passes a bound is skipped for periodic updates (state changes still queue) rather than growing memory.
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { LinksPort } from '../links/links-port.js';
import { ErrorBody, LiveMessage } from './contract/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';

export interface LiveFeedOptions {
  links: LinksPort;
  version: string;
  clock: Clock;
  statsIntervalMs: number;
  metersIntervalMs: number;
  /** Skip periodic messages to a client with more than this many bytes unsent. */
  maxBufferedBytes: number;
}

export function registerLiveFeed(app: FastifyInstance, partial: Partial<LiveFeedOptions> & { links: LinksPort; version: string }): void {
  const opts: LiveFeedOptions = { clock: systemClock, statsIntervalMs: 1000, metersIntervalMs: 100, maxBufferedBytes: 1 << 20, ...partial };
  const clients = new Set<WebSocket>();
  let statsTimer: TimerHandle | undefined;
  let metersTimer: TimerHandle | undefined;

  const send = (ws: WebSocket, msg: LiveMessage, periodic: boolean) => {
    if (ws.readyState !== 1) return;
    if (periodic && ws.bufferedAmount > opts.maxBufferedBytes) return;
    ws.send(JSON.stringify(msg));
  };
  const broadcast = (msg: LiveMessage, periodic = false) => {
    if (clients.size === 0) return;
    for (const ws of clients) send(ws, msg, periodic);
  };

  const tickStats = () => {
    broadcast({ type: 'stats', links: opts.links.list() }, true);
    statsTimer = opts.clock.setTimer(opts.statsIntervalMs, tickStats);
  };
  const tickMeters = () => {
    const meters = opts.links.meters();
    if (meters.length) broadcast({ type: 'meters', meters }, true);
    metersTimer = opts.clock.setTimer(opts.metersIntervalMs, tickMeters);
  };
  const startTimers = () => {
    statsTimer ??= opts.clock.setTimer(opts.statsIntervalMs, tickStats);
    metersTimer ??= opts.clock.setTimer(opts.metersIntervalMs, tickMeters);
  };
  const stopTimers = () => {
    statsTimer?.cancel();
    metersTimer?.cancel();
    statsTimer = metersTimer = undefined;
  };

  const offs = [
    opts.links.events.on('link', (link) => broadcast({ type: 'link', link })),
    opts.links.events.on('removed', (id) => broadcast({ type: 'link-removed', id })),
    opts.links.events.on('alarm', (alarm) => broadcast({ type: 'alarm', alarm })),
    opts.links.events.on('registration', (registration) => broadcast({ type: 'registration', registration })),
  ];

  app.addHook('onClose', async () => {
    for (const off of offs) off();
    stopTimers();
    for (const ws of clients) ws.close(1001, 'service stopping');
    clients.clear();
  });

  const schema = {
    tags: ['live'],
    summary: 'WebSocket feed of link states, stats (1 Hz), meters (10 Hz) and alarms',
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
  app.get('/api/live', { websocket: true, schema, config: { swaggerTransform } }, (socket) => {
    clients.add(socket);
    startTimers();
    send(socket, { type: 'hello', version: opts.version, links: opts.links.list(), registration: opts.links.registration(), alarms: opts.links.alarms() }, false);
    // The feed is one-way; anything a client sends is ignored (bounded by maxPayload).
    socket.on('message', () => undefined);
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      clients.delete(socket);
      if (clients.size === 0) stopTimers();
    });
  });
}
