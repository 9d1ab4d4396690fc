/**
 * The one schema for acip's configuration. It is the source of truth for:
 *  - the YAML config file (`--config FILE`): its shape, types and defaults;
 *  - the command-line flags and their `ACIP_*` environment equivalents: every leaf that
 *    carries `flag` metadata below becomes a flag (see cli.ts, which walks this schema);
 *  - the embedded defaults, so `npm start` works with no file at all.
 *
 * Changing a key here changes a public surface (config files in the field use it): do it deliberately.
 */
import { availableParallelism } from 'node:os';
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** One media worker per core: the codecs of many links spread over every core, off the SIP/API thread. */
const DEFAULT_MEDIA_WORKERS = Math.min(64, Math.max(1, availableParallelism()));

/** Metadata that turns a schema leaf into a command-line flag. */
export interface FlagMeta {
  /** Long flag name without dashes, e.g. `sip-port`. The env name is derived: ACIP_SIP_PORT. */
  flag: string;
  /** Placeholder shown in --help, e.g. `N`, `HOST`, `A-B`. */
  arg: string;
}

function flag<T extends TSchema>(schema: T, meta: FlagMeta): T {
  return { ...schema, 'x-flag': meta } as T;
}

const Port = (description: string, def: number) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: def, description: `${description}; 0 picks a free port` });

export const PORT_RANGE_PATTERN = '^[0-9]{1,5}-[0-9]{1,5}$';

export const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
  { default: 'info', description: 'Log level (pino).' },
);

export const RegistrationSchema = Type.Object(
  {
    registrar: Type.String({ minLength: 1, description: 'Registrar URI, e.g. sip:registrar.example.net' }),
    aor: Type.String({ minLength: 1, description: 'Address of record, e.g. sip:studio1@example.net' }),
    username: Type.Optional(Type.String({ description: 'Digest user name (defaults to the AOR user part)' })),
    password: Type.Optional(Type.String({ description: 'Digest password' })),
    expires: Type.Integer({ minimum: 30, maximum: 86400, default: 600, description: 'Requested registration lifetime, s' }),
  },
  { additionalProperties: false },
);

/** A sip: or sips: URI (the URI grammar itself is checked where it is used). */
const SIP_URI_PATTERN = '^sips?:[^\\s<>"]+$';

/**
 * A presence server (RFC 3856 presence agent, RFC 3903 state agent), e.g. Kamailio with its presence
 * modules. Absent: acip answers SUBSCRIBE for its own presence and subscribes to peers directly.
 */
export const PresenceServerSchema = Type.Object(
  {
    server: Type.String({
      minLength: 5,
      maxLength: 512,
      pattern: SIP_URI_PATTERN,
      description: 'Presence server URI, e.g. sip:presence.example.net;transport=tcp: PUBLISH and the SUBSCRIBEs to watched phonebook entries go there',
    }),
    publish: Type.Boolean({ default: true, description: 'Publish our presence (open, busy "on air", closed) to the server (PUBLISH, RFC 3903)' }),
    expiresS: Type.Integer({ minimum: 60, maximum: 86400, default: 3600, description: 'Requested publication lifetime, s; refreshed before it runs out' }),
    aor: Type.Optional(
      Type.String({
        minLength: 5,
        maxLength: 512,
        pattern: SIP_URI_PATTERN,
        description: 'Our presentity (address of record); default sip.registration.aor, else sip:acip@ the server\'s host',
      }),
    ),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "Digest user name for the server's challenges; default sip.registration's" })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: "Digest password; default sip.registration's" })),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    sip: Type.Object(
      {
        host: flag(Type.String({ default: '0.0.0.0', description: 'Address SIP listens on (UDP, TCP and TLS)' }), { flag: 'sip-host', arg: 'HOST' }),
        port: flag(Port('SIP port, UDP and TCP (EBU Tech 3326: 5060)', 5060), { flag: 'sip-port', arg: 'N' }),
        transports: Type.Array(Type.Union([Type.Literal('udp'), Type.Literal('tcp')]), {
          default: ['udp', 'tcp'],
          minItems: 1,
          uniqueItems: true,
          description: 'SIP transports to listen on',
        }),
        publicAddress: Type.Optional(
          Type.String({ description: 'Address to put in Contact/Via/SDP when the listen address is a wildcard' }),
        ),
        userAgent: Type.String({ default: 'acip', description: 'User-Agent / Server header product name' }),
        displayName: Type.String({ default: 'acip', description: 'Display name in From' }),
        maxLinks: Type.Integer({ minimum: 1, maximum: 1000, default: 16, description: 'Concurrent links; beyond it calls get 486' }),
        sessionExpiresS: Type.Integer({
          minimum: 90,
          maximum: 86400,
          default: 1800,
          description: 'Session timer (RFC 4028): the Session-Expires we ask for, s; at least sip.minSeS',
        }),
        minSeS: Type.Integer({
          minimum: 90,
          maximum: 86400,
          default: 90,
          description: 'Smallest session interval we accept (RFC 4028 Min-SE), s; RFC 4028 §4 sets the floor at 90',
        }),
        registration: Type.Optional(RegistrationSchema),
        presence: Type.Optional(PresenceServerSchema),
        tls: Type.Object(
          {
            port: flag(Port('SIP over TLS port (RFC 3261 §19.1.2: 5061); TLS listens only when certFile and keyFile are set', 5061), {
              flag: 'sip-tls-port',
              arg: 'N',
            }),
            certFile: flag(
              Type.Optional(
                Type.String({ minLength: 1, description: 'PEM certificate (chain) for SIP over TLS; reloaded on SIGHUP' }),
              ),
              { flag: 'sip-tls-cert', arg: 'FILE' },
            ),
            keyFile: flag(
              Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of sip.tls.certFile; reloaded on SIGHUP' })),
              { flag: 'sip-tls-key', arg: 'FILE' },
            ),
            caFile: flag(
              Type.Optional(
                Type.String({
                  minLength: 1,
                  description: 'PEM CA certificates that peers\' TLS certificates are verified against; default: the system CAs',
                }),
              ),
              { flag: 'sip-tls-ca', arg: 'FILE' },
            ),
          },
          { additionalProperties: false, default: {}, description: 'SIP over TLS (sips: and ;transport=tls)' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    http: Type.Object(
      {
        host: flag(Type.String({ default: '127.0.0.1', minLength: 1, description: 'Address of the HTTP API and panel' }), {
          flag: 'http-host',
          arg: 'HOST',
        }),
        port: flag(Port('HTTP port of the API and panel', 8080), { flag: 'http-port', arg: 'N' }),
        password: flag(
          Type.Optional(
            Type.String({ minLength: 8, description: 'Password for the API and panel; required when http.host is not loopback' }),
          ),
          { flag: 'http-password', arg: 'PASSWORD' },
        ),
        viewerPassword: flag(
          Type.Optional(Type.String({ minLength: 8, description: 'Optional second password giving read-only (viewer) access' })),
          { flag: 'http-viewer-password', arg: 'PASSWORD' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    rtp: Type.Object(
      {
        ports: flag(
          Type.String({
            pattern: PORT_RANGE_PATTERN,
            default: '5004-5999',
            description: 'RTP/RTCP port range A-B: link n uses A+2n for RTP and A+2n+1 for RTCP (EBU Tech 3326: 5004/5005)',
          }),
          { flag: 'rtp-ports', arg: 'A-B' },
        ),
        host: flag(Type.String({ default: '0.0.0.0', description: 'Address RTP sockets bind to' }), { flag: 'rtp-host', arg: 'HOST' }),
        noMediaTimeoutS: Type.Number({ minimum: 1, maximum: 3600, default: 5, description: 'Seconds without media before a link counts as dead' }),
        inactivityTimeoutS: Type.Number({
          minimum: 0,
          maximum: 86400,
          default: 30,
          description: 'Hang up a connected link after this long without RTP or RTCP from the far end, s; 0 turns it off',
        }),
        duplicatePath: Type.Optional(
          Type.Object(
            {
              localHost: Type.String({ minLength: 1, maxLength: 64, description: 'Local address the second path sends from and listens on (another interface or uplink)' }),
              remote: Type.Optional(
                Type.Object(
                  {
                    address: Type.String({ minLength: 1, maxLength: 255, description: "The far end's second address" }),
                    rtpPort: Type.Integer({ minimum: 1, maximum: 65535 }),
                    rtcpPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
                  },
                  { additionalProperties: false },
                ),
              ),
            },
            {
              additionalProperties: false,
              description:
                'Dual-path streaming (RFC 7198) for profiles with redundancy.duplicate: the same RTP also sent over this second path and merged by sequence number on receipt',
            },
          ),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    audio: Type.Object(
      {
        input: flag(
          Type.String({
            default: 'tone',
            minLength: 1,
            description: 'Default input of each link: tone[:HZ[:DBFS]], silence, file:PATH.wav, alsa:DEVICE, loopback',
          }),
          { flag: 'input', arg: 'SPEC' },
        ),
        output: flag(
          Type.String({
            default: 'null',
            minLength: 1,
            description: 'Default output of each link: null, file:PATH.wav ({link} = link id), alsa:DEVICE',
          }),
          { flag: 'output', arg: 'SPEC' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    media: Type.Object(
      {
        workers: flag(
          Type.Integer({
            minimum: 0,
            maximum: 64,
            default: DEFAULT_MEDIA_WORKERS,
            description:
              'Worker threads for media sessions (0: in the main thread; default: one per core, started when the first links need them), so media never waits for SIP or the API',
          }),
          { flag: 'media-workers', arg: 'N' },
        ),
        realtimePriority: flag(
          Type.Integer({
            minimum: 0,
            maximum: 99,
            default: 0,
            description:
              'SCHED_RR priority of the media worker threads (0: normal scheduling; 10 suggested). Keeps frame clocks on time while SIP or the machine is busy; needs root, CAP_SYS_NICE or LimitRTPRIO, else the workers log why and run normally',
          }),
          { flag: 'media-realtime-priority', arg: 'N' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    links: Type.Object(
      {
        answerPolicy: flag(
          Type.Union([Type.Literal('auto'), Type.Literal('allow-list'), Type.Literal('manual')], {
            default: 'auto',
            description: 'Inbound calls: auto-answer, answer only callers in allowList (others get 403), or wait for an answer from the panel/API',
          }),
          { flag: 'answer-policy', arg: 'POLICY' },
        ),
        allowList: Type.Array(Type.String({ minLength: 1, maxLength: 512 }), {
          default: [],
          maxItems: 1000,
          description: 'Caller URIs (user@host, or @host for a whole host) answered under the allow-list policy; phonebook entries are always allowed',
        }),
        ringTimeoutS: Type.Integer({ minimum: 5, maximum: 600, default: 60, description: 'Give up an unanswered outbound call (CANCEL) after this long' }),
        redialInitialS: Type.Number({ minimum: 0.1, maximum: 600, default: 1, description: 'First redial delay of a permanent link, s' }),
        redialMaxS: Type.Number({ minimum: 1, maximum: 3600, default: 30, description: 'Redial delays double up to this, s' }),
        probeIntervalS: Type.Integer({ minimum: 0, maximum: 3600, default: 30, description: 'OPTIONS reachability probe of phonebook entries; 0 disables' }),
        lossAlarmPct: Type.Number({ minimum: 0, maximum: 100, default: 5, description: 'Raise a loss alarm when a link loses more than this over 10 s' }),
        silenceThresholdDbfs: Type.Number({ minimum: -120, maximum: 0, default: -60, description: 'Silence alarm threshold' }),
        silenceDurationS: Type.Number({ minimum: 1, maximum: 3600, default: 10, description: 'Silence alarm after this long below the threshold' }),
        maxPerSource: Type.Integer({
          minimum: 1,
          maximum: 1000,
          default: 4,
          description: 'Concurrent inbound links from one source address; beyond it calls from there are refused',
        }),
        keepEnded: Type.Integer({ minimum: 0, maximum: 10000, default: 50, description: 'How many ended links the board keeps in memory (oldest dropped first)' }),
        allowSources: flag(
          Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
            default: [],
            maxItems: 1000,
            description:
              'IP addresses and CIDR ranges (IPv4 and IPv6) allowed to send calls and other out-of-dialog requests, checked against the packet source; others are dropped unanswered. Empty: any source',
          }),
          { flag: 'allow-sources', arg: 'CIDR,...' },
        ),
        inboundAuth: Type.Object(
          {
            realm: Type.String({ minLength: 1, maxLength: 128, default: 'acip', description: 'Digest realm of our challenges (RFC 3261 §22.1)' }),
            users: Type.Array(
              Type.Object(
                {
                  user: Type.String({ minLength: 1, maxLength: 128, description: 'Digest user name a caller authenticates as' }),
                  password: Type.String({ minLength: 8, maxLength: 256, description: 'Its password' }),
                },
                { additionalProperties: false },
              ),
              { default: [], maxItems: 1000, description: 'Callers that may authenticate, besides phonebook entries with inbound credentials' },
            ),
            algorithms: Type.Array(Type.Union([Type.Literal('SHA-256'), Type.Literal('MD5')]), {
              default: ['SHA-256', 'MD5'],
              minItems: 1,
              uniqueItems: true,
              description: 'Digest algorithms offered, most preferred first (RFC 8760 §2.4); a caller that only reads the first challenge uses the first',
            }),
            nonceLifetimeS: Type.Integer({ minimum: 5, maximum: 3600, default: 60, description: 'How long a challenge nonce may be answered, s' }),
          },
          {
            additionalProperties: false,
            default: {},
            description:
              'Digest authentication of inbound calls (RFC 3261 §22, RFC 8760): required of every caller as soon as a user here or a phonebook entry carries credentials',
          },
        ),
        rateLimit: Type.Object(
          {
            requestsPerS: Type.Number({ minimum: 0.1, maximum: 100000, default: 20, description: 'Sustained SIP requests per second one source may send' }),
            burst: Type.Integer({ minimum: 1, maximum: 100000, default: 40, description: 'Requests one source may send at once before the rate applies' }),
            blockS: Type.Integer({ minimum: 1, maximum: 86400, default: 60, description: 'A source over the rate is dropped for this long after its last request, s' }),
            exempt: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
              default: ['127.0.0.0/8', '::1'],
              maxItems: 1000,
              description: 'IP addresses and CIDR ranges the rate limit does not apply to',
            }),
          },
          { additionalProperties: false, default: {}, description: 'Per-source SIP request rate limit with a temporary block' },
        ),
        authLockout: Type.Object(
          {
            maxFailures: Type.Integer({ minimum: 1, maximum: 10, default: 10, description: 'Failed authentications from one source for one user before it is locked out' }),
            lockoutS: Type.Integer({ minimum: 1, maximum: 86400, default: 300, description: 'How long a locked-out source and user get 403 without a check, s' }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    dataDir: flag(
      Type.String({ default: './acip-data', minLength: 1, description: 'Where phonebook, history and settings persist' }),
      { flag: 'data-dir', arg: 'DIR' },
    ),
    profilesDir: flag(Type.Optional(Type.String({ minLength: 1, description: 'Profiles folder (default: the profiles/ shipped with acip)' })), {
      flag: 'profiles-dir',
      arg: 'DIR',
    }),
    defaultProfile: Type.String({ default: 'ebu-3326-interop', description: 'Profile used when a call names none' }),
    log: Type.Object(
      {
        level: flag(LogLevel, { flag: 'log-level', arg: 'LEVEL' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export type AcipConfig = Static<typeof ConfigSchema>;
