/**
 * Text messages: the history (newest first, by peer) and sending one. The routes talk to a
 * `MessagingPort`, which the service implements over the UA (MESSAGE, RFC 3428) and the message
 * history store; `send` resolves once the MESSAGE transaction has ended, with the delivery status.
 */
import type { FastifyInstance } from 'fastify';
import { Message, MessageList, MessageQuery, SendMessageBody } from '../contract/index.js';
import { responses } from '../responses.js';

export interface MessagingQuery {
  remote?: string;
  limit?: number;
}

export interface MessagingPort {
  /** Newest first. */
  list(query: MessagingQuery): readonly Message[];
  /**
   * Send `text` to a phonebook entry id or a SIP/SIPS URI. Rejects with an AcipError: NOT_FOUND
   * (field `to`) for an unknown entry, VALIDATION (field `to`) for an address that is neither.
   * Resolves with the kept message: delivered or failed (with the SIP status), never pending.
   */
  send(to: string, text: string): Promise<Message>;
  /** New messages and delivery status changes (the live feed's `message`); absent: the feed carries none. */
  readonly events?: { on(event: 'message', fn: (m: Message) => void): () => void };
}

export function registerMessageRoutes(app: FastifyInstance, port: MessagingPort): void {
  app.get<{ Querystring: MessageQuery; Reply: MessageList }>(
    '/api/messages',
    { schema: { tags: ['messages'], summary: 'Text messages, newest first, optionally with one peer', querystring: MessageQuery, response: responses({ 200: MessageList }) } },
    async (req) => {
      const q: MessagingQuery = {};
      if (req.query.remote !== undefined) q.remote = req.query.remote;
      if (req.query.limit !== undefined) q.limit = Number(req.query.limit);
      return { messages: [...port.list(q)] };
    },
  );
  app.post<{ Body: SendMessageBody; Reply: Message }>(
    '/api/messages',
    {
      schema: {
        tags: ['messages'],
        summary: 'Send a text message (SIP MESSAGE); answers once delivered or failed',
        body: SendMessageBody,
        response: responses({ 201: Message }),
      },
    },
    async (req, reply) => {
      await reply.code(201).send(await port.send(req.body.to, req.body.text));
    },
  );
}
