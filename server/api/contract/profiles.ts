/**
 * Profiles as the API shows them: named codec, packet and buffer settings, codecs in the order offered
 * (EBU Tech 3326 lets the user set the priority). The config loader validates profile files with its
 * own stricter schema; the api layer checks at compile time that a loaded profile fits this one.
 */
import { Type, type Static } from '@sinclair/typebox';

export const CodecChoice = Type.Object(
  {
    codec: Type.String({ description: 'Codec id: opus, L16, L24, PCMA, PCMU, G722' }),
    sampleRate: Type.Optional(Type.Integer({ description: 'Audio rate, Hz' })),
    channels: Type.Optional(Type.Integer()),
    ptimeMs: Type.Optional(Type.Number({ description: 'Packet time for this codec (overrides the profile)' })),
    bitrate: Type.Optional(Type.Integer({ description: 'Opus target bit rate, bit/s' })),
    complexity: Type.Optional(Type.Integer()),
    application: Type.Optional(Type.Union([Type.Literal('audio'), Type.Literal('restricted-lowdelay'), Type.Literal('voip')])),
    fec: Type.Optional(Type.Boolean({ description: 'Opus in-band FEC (useinbandfec)' })),
    dtx: Type.Optional(Type.Boolean({ description: 'Opus discontinuous transmission (usedtx)' })),
  },
  { additionalProperties: false },
);
export type CodecChoice = Static<typeof CodecChoice>;

export const JitterBufferSettings = Type.Union([
  Type.Object(
    { mode: Type.Literal('adaptive'), minMs: Type.Integer(), maxMs: Type.Integer(), stretch: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
  Type.Object({ mode: Type.Literal('fixed'), delayMs: Type.Integer(), stretch: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
]);
export type JitterBufferSettings = Static<typeof JitterBufferSettings>;

export const ProfileSummary = Type.Object(
  {
    name: Type.String({ description: 'Identifier used by the API and phonebook' }),
    title: Type.String(),
    description: Type.Optional(Type.String()),
    codecs: Type.Array(CodecChoice),
    ptimeMs: Type.Number({ description: 'Default packet time, ms' }),
    jitterBuffer: JitterBufferSettings,
    acceptPeerJbdef: Type.Boolean({ description: "Apply the peer's a=ebuacip:jbdef to our receive buffer" }),
    direction: Type.Union([Type.Literal('sendrecv'), Type.Literal('sendonly'), Type.Literal('recvonly'), Type.Literal('inactive')]),
    srtp: Type.Optional(
      Type.Union([Type.Literal('off'), Type.Literal('optional'), Type.Literal('mandatory')], { description: 'SRTP keyed by SDES a=crypto (RFC 4568)' }),
    ),
    allowSdesWithoutTls: Type.Optional(Type.Boolean({ description: 'SRTP keys may travel over clear signalling' })),
    srtpSuites: Type.Optional(Type.Array(Type.String(), { description: 'SRTP suites offered, in order of preference' })),
    redundancy: Type.Optional(
      Type.Object(
        {
          red: Type.Optional(
            Type.Object({ depth: Type.Union([Type.Literal(1), Type.Literal(2)]), distance: Type.Integer() }, { additionalProperties: false }),
          ),
          rtx: Type.Optional(Type.Boolean({ description: 'Generic NACK answered by RTX retransmissions (RFC 4585, RFC 4588)' })),
          duplicate: Type.Optional(Type.Boolean({ description: 'The stream sent twice over two paths (RFC 7198)' })),
        },
        { additionalProperties: false, description: 'Loss recovery offered in SDP; used when the peer accepts it' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ProfileSummary = Static<typeof ProfileSummary>;

export const ProfileList = Type.Object({ profiles: Type.Array(ProfileSummary) }, { additionalProperties: false });
export type ProfileList = Static<typeof ProfileList>;

export const ProfileNameParams = Type.Object({ name: Type.String({ description: 'Profile name' }) });
export type ProfileNameParams = Static<typeof ProfileNameParams>;
