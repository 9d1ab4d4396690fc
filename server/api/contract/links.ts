/**
 * A link as the REST API and the live feed show it, and the bodies that create and change one.
 * The service's own snapshot type lives with the link manager; the api layer checks at compile time
 * that it fits these schemas, so the two cannot drift apart silently.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Direction, EndReason, IsoTime, Nullable } from './common.js';

export const LinkState = Type.Union([
  Type.Literal('idle'),
  Type.Literal('offered'),
  Type.Literal('dialling'),
  Type.Literal('ringing'),
  Type.Literal('connected'),
  Type.Literal('ending'),
  Type.Literal('ended'),
  Type.Literal('failed'),
  Type.Literal('redialling'),
]);
export type LinkState = Static<typeof LinkState>;

export const LinkCodecInfo = Type.Object(
  {
    name: Type.String(),
    clockRate: Type.Number(),
    channels: Type.Number(),
    ptimeMs: Type.Number(),
    payloadType: Type.Number(),
    params: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
      description: 'Codec parameters as negotiated (bitrate, fec, stereo, …)',
    }),
  },
  { additionalProperties: false },
);
export type LinkCodecInfo = Static<typeof LinkCodecInfo>;

export const LinkRxStats = Type.Object(
  {
    packets: Type.Number(),
    lost: Type.Number(),
    late: Type.Number(),
    duplicates: Type.Number(),
    reordered: Type.Number(),
    lossPct: Type.Number({ description: 'Lost / expected over the whole call, %' }),
    concealedMs: Type.Number(),
    concealedPct: Type.Number(),
    jitterMs: Type.Number({ description: 'RFC 3550 §6.4.1 interarrival jitter, ms' }),
    bufferMs: Type.Number({ description: 'Current jitter-buffer delay, ms' }),
    targetBufferMs: Type.Number({ description: 'What the jitter buffer aims for, ms' }),
    driftPpm: Type.Number(),
    underruns: Type.Number(),
    malformed: Type.Number(),
    foreignSource: Type.Number(),
  },
  { additionalProperties: false },
);
export type LinkRxStats = Static<typeof LinkRxStats>;

export const LinkTxStats = Type.Object(
  {
    packets: Type.Number(),
    bitrateKbps: Type.Number(),
    remoteLossPct: Nullable(Type.Number({ description: "From the far end's RTCP receiver reports" })),
    remoteJitterMs: Nullable(Type.Number()),
  },
  { additionalProperties: false },
);
export type LinkTxStats = Static<typeof LinkTxStats>;

/** dBFS per channel; silence (-Infinity) is null. */
const Levels = Type.Object(
  { peak: Type.Array(Nullable(Type.Number())), rms: Type.Array(Nullable(Type.Number())), clips: Type.Number() },
  { additionalProperties: false },
);

export const LinkMeters = Type.Object({ input: Levels, output: Levels }, { additionalProperties: false });
export type LinkMeters = Static<typeof LinkMeters>;

export const EbuAcipInfo = Type.Object(
  {
    applied: Type.Object(
      {
        mode: Type.Union([Type.Literal('fixed'), Type.Literal('adaptive')]),
        minMs: Type.Optional(Type.Number()),
        maxMs: Type.Optional(Type.Number()),
        delayMs: Type.Optional(Type.Number()),
        source: Type.Union([Type.Literal('profile'), Type.Literal('peer')]),
      },
      { additionalProperties: false, description: 'Jitter-buffer settings applied to the receive buffer, and where they came from' },
    ),
    theirs: Type.Array(Type.String(), { description: "The peer's a=ebuacip lines, raw" }),
    ours: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
export type EbuAcipInfo = Static<typeof EbuAcipInfo>;

export const MediaDirection = Type.Union([Type.Literal('sendrecv'), Type.Literal('sendonly'), Type.Literal('recvonly'), Type.Literal('inactive')]);
export type MediaDirection = Static<typeof MediaDirection>;

const SrtpDropCounts = Type.Object(
  {
    SRTP_AUTH_FAIL: Type.Number({ description: 'Authentication tag did not verify (forged, corrupted or wrongly keyed)' }),
    SRTP_REPLAY: Type.Number({ description: 'Packet index already received' }),
    SRTP_TOO_OLD: Type.Number({ description: 'Packet index left of the replay window' }),
    SRTP_MALFORMED: Type.Number({ description: 'Too short, or not RTP/RTCP version 2' }),
    SRTP_NO_KEY: Type.Number({ description: 'Arrived before the keys were negotiated' }),
    SRTP_SSRC_LIMIT: Type.Number({ description: 'A new SSRC while the receive context already tracked its maximum of live SSRCs (RFC 3711 §3.2.3 state per SSRC)' }),
  },
  { additionalProperties: false },
);

export const LinkSecurity = Type.Object(
  {
    signalling: Type.Union([Type.Literal('tls'), Type.Literal('clear')], { description: 'SIP over TLS for this call, or not' }),
    media: Type.Union([Type.Literal('srtp'), Type.Literal('rtp')], { description: 'SRTP (RFC 3711, keyed by SDES) or clear RTP' }),
    suite: Type.Optional(Type.String({ description: 'SRTP crypto suite, e.g. AES_CM_128_HMAC_SHA1_80' })),
    encrypted: Type.Boolean({ description: 'Both signalling and media are encrypted' }),
    reason: Type.String({ description: 'Why not encrypted; empty when encrypted' }),
    dropped: Type.Optional(
      Type.Object({ rtp: SrtpDropCounts, rtcp: SrtpDropCounts }, { additionalProperties: false, description: 'Inbound SRTP/SRTCP packets dropped, by reason' }),
    ),
  },
  { additionalProperties: false },
);
export type LinkSecurity = Static<typeof LinkSecurity>;

const LinkRecoveryPath = Type.Object(
  {
    received: Type.Number(),
    lost: Type.Number(),
    lossPct: Type.Number(),
    jitterMs: Type.Number(),
    relativeDelayMs: Nullable(Type.Number({ description: 'How much later this path delivers than the other, ms (negative: earlier), smoothed; null until a packet came over both' })),
    remote: Nullable(Type.String({ description: 'address:port the copy goes to' })),
  },
  { additionalProperties: false },
);

export const LinkRecovery = Type.Object(
  {
    red: Type.Boolean({ description: 'RED (RFC 2198) negotiated' }),
    rtx: Type.Boolean({ description: 'Generic NACK with RTX retransmission (RFC 4585, RFC 4588) negotiated' }),
    duplicate: Type.Boolean({ description: 'The stream runs over two paths (RFC 7198)' }),
    recoveredByRed: Type.Number({ description: 'Frames played from a RED copy' }),
    recoveredByRtx: Type.Number({ description: 'Frames played from a retransmission' }),
    recoveredByPath: Type.Number({ description: 'Packets lost on the first path, delivered by the second' }),
    stillLost: Type.Number({ description: 'Frames concealed despite recovery' }),
    nackRequests: Type.Number({ description: 'Sequence numbers we asked the peer to resend' }),
    rtxSent: Type.Number({ description: 'Retransmissions we sent the peer' }),
    rtxSuppressed: Type.Number({ description: "The peer's repeated requests for a packet resent less than about an RTT before, not answered again" }),
    rtxCopies: Type.Number({ description: 'Copies of early retransmissions sent a packet time after the answer (RFC 4588 allows more than one retransmission of a packet)' }),
    paths: Type.Optional(Type.Array(LinkRecoveryPath, { description: 'Per path of a duplicated stream' })),
  },
  { additionalProperties: false },
);
export type LinkRecovery = Static<typeof LinkRecovery>;

export const LinkSnapshot = Type.Object(
  {
    id: Type.String(),
    state: LinkState,
    direction: Direction,
    remote: Type.String({ description: "The far end's SIP URI" }),
    remoteName: Type.Optional(Type.String({ description: 'Display name or phonebook name, when known' })),
    phonebookId: Type.Optional(Type.String()),
    profile: Type.String(),
    permanent: Type.Boolean(),
    input: Type.String(),
    output: Type.String(),
    createdAt: IsoTime(),
    connectedAt: Type.Optional(IsoTime()),
    durationS: Type.Number({ description: 'Seconds connected (0 when not connected)' }),
    redials: Type.Number(),
    codec: Nullable(LinkCodecInfo),
    mediaDirection: Type.Union([MediaDirection, Type.Null()], {
      description: 'Direction of the media in effect; null until an answer is. Set while ringing: early media from a provisional response with SDP (RFC 3960)',
    }),
    rx: Nullable(LinkRxStats),
    tx: Nullable(LinkTxStats),
    rttMs: Nullable(Type.Number()),
    meters: Nullable(LinkMeters),
    ebuacip: Nullable(EbuAcipInfo),
    localSdp: Nullable(Type.String()),
    remoteSdp: Nullable(Type.String()),
    endReason: Nullable(EndReason),
    security: Type.Optional(LinkSecurity),
    recovery: Type.Optional(LinkRecovery),
  },
  { additionalProperties: false },
);
export type LinkSnapshot = Static<typeof LinkSnapshot>;

export const LinkList = Type.Object({ links: Type.Array(LinkSnapshot) }, { additionalProperties: false });
export type LinkList = Static<typeof LinkList>;

/** One link's meters in the 10 Hz feed. */
export const LinkMeterFrame = Type.Object({ id: Type.String(), meters: LinkMeters }, { additionalProperties: false });
export type LinkMeterFrame = Static<typeof LinkMeterFrame>;

export const DialBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 512, description: 'SIP URI to call, e.g. sip:studio2@192.0.2.10' }),
    profile: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Profile name (default: the configured default)' })),
    input: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Audio input spec' })),
    output: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Audio output spec' })),
    permanent: Type.Optional(Type.Boolean({ description: 'Redial with backoff until hung up by the user' })),
    phonebookId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type DialBody = Static<typeof DialBody>;

export const ChangeProfileBody = Type.Object({ profile: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
export type ChangeProfileBody = Static<typeof ChangeProfileBody>;

/**
 * Call transfer (REFER, RFC 3515): the far end is asked to call `to` instead (blind), or the far end
 * of the link `replacesLink`, taking that link's call over (attended, RFC 3891). Exactly one of the
 * two: the route names the field when neither or both are given.
 */
export const TransferBody = Type.Object(
  {
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'A phonebook entry id or a sip:/sips: URI the far end should call' })),
    replacesLink: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: "Attended transfer: the id of another live link; the far end calls that link's far end with a Replaces of its call (RFC 3891), and both links end once it has",
      }),
    ),
  },
  { additionalProperties: false },
);
export type TransferBody = Static<typeof TransferBody>;

export const TransferResult = Type.Object(
  {
    accepted: Type.Boolean({ description: 'The far end answered the REFER with a 2xx' }),
    status: Type.Number({ description: 'Final SIP status of the REFER (408 on timeout)' }),
    reason: Type.String(),
    target: Type.String({ description: 'The URI sent in Refer-To (with its Replaces header for an attended transfer)' }),
  },
  { additionalProperties: false },
);
export type TransferResult = Static<typeof TransferResult>;
