/** Text messages (SIP MESSAGE, RFC 3428): one message as the history keeps it, the filter, and what a client sends. */
import { Type, type Static } from '@sinclair/typebox';
import { IsoTime } from './common.js';

/** Longest text a client may send: RFC 3428 §7 keeps MESSAGE well under the path MTU (1300 bytes) when UDP may carry it. */
export const MESSAGE_TEXT_MAX = 1000;

export const MessageDirection = Type.Union([Type.Literal('in'), Type.Literal('out')]);
export type MessageDirection = Static<typeof MessageDirection>;

export const MessageStatus = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')], {
  description: 'pending until the MESSAGE transaction ends; delivered on a 2xx; failed on any other final response or a timeout',
});
export type MessageStatus = Static<typeof MessageStatus>;

export const Message = Type.Object(
  {
    id: Type.String(),
    at: IsoTime('When the message was sent or received (ISO 8601)'),
    direction: MessageDirection,
    remote: Type.String({ description: "The peer's SIP URI" }),
    linkId: Type.Optional(Type.String({ description: 'The live link the message belongs to, if any' })),
    text: Type.String(),
    status: MessageStatus,
    statusCode: Type.Optional(Type.Number({ description: 'Final SIP status of an outgoing MESSAGE' })),
    reason: Type.Optional(Type.String({ description: 'Reason phrase, or why it failed' })),
  },
  { additionalProperties: false },
);
export type Message = Static<typeof Message>;

export const MessageQuery = Type.Object(
  {
    remote: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: "Only messages with this peer (its SIP URI)" })),
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$', description: '1-99999' })),
  },
  { additionalProperties: false },
);
export type MessageQuery = Static<typeof MessageQuery>;

export const SendMessageBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 512, description: 'A phonebook entry id or a sip:/sips: URI' }),
    text: Type.String({ minLength: 1, maxLength: MESSAGE_TEXT_MAX, description: 'Plain text (sent as text/plain; charset=UTF-8)' }),
  },
  { additionalProperties: false },
);
export type SendMessageBody = Static<typeof SendMessageBody>;

export const MessageList = Type.Object({ messages: Type.Array(Message) }, { additionalProperties: false });
export type MessageList = Static<typeof MessageList>;
