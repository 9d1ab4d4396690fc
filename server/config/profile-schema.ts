/**
 * Profiles (EBU Tech 3368 style): named codec/packet/buffer settings, one YAML file each in `profiles/`.
 * The codec list is ordered: EBU Tech 3326 lets the user set the priority, and offers follow it.
 */
import { Type, type Static } from '@sinclair/typebox';

export const CodecChoiceSchema = Type.Object(
  {
    codec: Type.String({ minLength: 1, description: 'Codec id from the registry: opus, L16, L24, PCMA, PCMU, G722' }),
    sampleRate: Type.Optional(Type.Integer({ minimum: 8000, maximum: 96000, description: 'Audio rate, Hz (PCM: 48000, 44100, 32000)' })),
    channels: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 })),
    ptimeMs: Type.Optional(Type.Number({ minimum: 1, maximum: 120, description: 'Packet time for this codec (overrides the profile)' })),
    bitrate: Type.Optional(Type.Integer({ minimum: 6000, maximum: 510000, description: 'Opus target bit rate, bit/s' })),
    complexity: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
    application: Type.Optional(Type.Union([Type.Literal('audio'), Type.Literal('restricted-lowdelay'), Type.Literal('voip')])),
    fec: Type.Optional(Type.Boolean({ description: 'Opus in-band FEC (useinbandfec)' })),
    dtx: Type.Optional(Type.Boolean({ description: 'Opus discontinuous transmission (usedtx)' })),
  },
  { additionalProperties: false },
);

/**
 * Whether the receive buffer may stretch or shrink decoded audio by a few samples to follow its target
 * and cancel clock drift (default true). false keeps decoded audio untouched (PCM bit-exact end to end);
 * drift and delay changes are then absorbed by whole frames (a concealed or dropped frame).
 */
const StretchSchema = Type.Boolean({ description: 'Let the buffer stretch decoded audio for drift and delay control (false: bit-exact PCM)' });

export const JitterBufferSettingsSchema = Type.Union([
  Type.Object(
    {
      mode: Type.Literal('adaptive'),
      minMs: Type.Integer({ minimum: 0, maximum: 5000 }),
      maxMs: Type.Integer({ minimum: 1, maximum: 10000 }),
      stretch: Type.Optional(StretchSchema),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      mode: Type.Literal('fixed'),
      delayMs: Type.Integer({ minimum: 0, maximum: 10000 }),
      stretch: Type.Optional(StretchSchema),
    },
    { additionalProperties: false },
  ),
]);

/**
 * Loss recovery (RFC 2198 RED, RFC 4585/4588 NACK + RTX, RFC 7198 duplication). Each tool is offered
 * in SDP and used only when the peer's answer accepts it: a plain peer gets plain RTP.
 */
export const RedundancySettingsSchema = Type.Object(
  {
    red: Type.Optional(
      Type.Object(
        {
          depth: Type.Union([Type.Literal(1), Type.Literal(2)], { description: 'Earlier frames carried in each packet (RFC 2198)' }),
          distance: Type.Integer({ minimum: 1, maximum: 3, description: 'How many packets back each copy reaches (spreads the copies past a burst)' }),
        },
        { additionalProperties: false },
      ),
    ),
    rtx: Type.Optional(Type.Boolean({ description: 'Generic NACK (RFC 4585) answered by RTX retransmissions (RFC 4588)' })),
    duplicate: Type.Optional(Type.Boolean({ description: 'Send the stream twice over two paths and merge by sequence number (RFC 7198)' })),
  },
  { additionalProperties: false },
);

export const ProfileSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'Identifier used by the API and phonebook' }),
    title: Type.String({ minLength: 1, maxLength: 120 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    codecs: Type.Array(CodecChoiceSchema, { minItems: 1, maxItems: 16 }),
    ptimeMs: Type.Number({ minimum: 1, maximum: 120, description: 'Default packet time, ms' }),
    jitterBuffer: JitterBufferSettingsSchema,
    acceptPeerJbdef: Type.Boolean({ default: true, description: "Apply the peer's a=ebuacip:jbdef to our receive buffer" }),
    direction: Type.Union([Type.Literal('sendrecv'), Type.Literal('sendonly'), Type.Literal('recvonly'), Type.Literal('inactive')], {
      default: 'sendrecv',
    }),
    srtp: Type.Optional(
      Type.Union([Type.Literal('off'), Type.Literal('optional'), Type.Literal('mandatory')], {
        description: 'SRTP keyed by SDES a=crypto (RFC 4568): off (default), optional (best effort, RTP/AVP with a=crypto) or mandatory (RTP/SAVP only)',
      }),
    ),
    allowSdesWithoutTls: Type.Optional(
      Type.Boolean({ description: 'Send and accept SRTP keys over clear (non-TLS) signalling: anyone on the path can read them (default false)' }),
    ),
    redundancy: Type.Optional(RedundancySettingsSchema),
    srtpSuites: Type.Optional(
      Type.Array(Type.Union([Type.Literal('AES_CM_128_HMAC_SHA1_80'), Type.Literal('AES_CM_128_HMAC_SHA1_32'), Type.Literal('AEAD_AES_128_GCM')]), {
        minItems: 1,
        maxItems: 3,
        uniqueItems: true,
        description: 'SRTP suites we offer, in order of preference (default AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32)',
      }),
    ),
  },
  { additionalProperties: false },
);

export type CodecChoice = Static<typeof CodecChoiceSchema>;
export type JitterBufferSettings = Static<typeof JitterBufferSettingsSchema>;
export type Profile = Static<typeof ProfileSchema>;
export type RedundancySettings = Static<typeof RedundancySettingsSchema>;
