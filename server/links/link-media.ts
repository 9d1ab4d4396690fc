/**
 * A link's media session, through the injected opener: opened before the SDP is built (so the
 * offer or answer can carry its ports), updated with each negotiation, closed once. Every
 * operation runs in order on one chain, so a hang-up during set-up cannot leak a session.
 */
import type { Clock } from '../util/clock.js';
import { AcipError } from '../util/errors.js';
import type { Profile } from '../config/profile-schema.js';
import type { NegotiatedMedia, SecondPath } from '../sdp/offer-answer.js';
import { resolveProfile } from '../sdp/codec-match.js';
import { srtpPolicy } from '../sdp/negotiate/security.js';
import { codecRegistry } from '../codecs/registry.js';
import { inProcessMediaOpener, type MediaSessionLike, type MediaSessionOpener } from '../media/worker/media-session-like.js';
import type { MediaSessionClosed, MediaSessionParams, MediaSessionStats } from '../media/session-types.js';
import type { LinkLogger } from './link-logger.js';

/** What a link reports of its media: the session's events, and `inactive` (the link's own inactivity watch). */
export type LinkMediaEvent = 'silence' | 'silence-cleared' | 'no-media' | 'media-restored' | 'inactive';

export interface LinkMediaConfig {
  clock: Clock;
  log: LinkLogger;
  /** Address RTP sockets bind to. */
  mediaBindHost: string;
  portRange: { min: number; max: number };
  noMediaTimeoutMs: number;
  silence: { thresholdDbfs: number; durationMs: number };
  /** Opens media sessions: a MediaWorkerPool's opener(), or in this thread (default, on `clock`). */
  openMedia?: MediaSessionOpener;
  /**
   * The second path of a duplicated stream (RFC 7198), for profiles with `redundancy.duplicate`: the
   * local address its sockets bind to, and where its copy goes when the peer's SDP does not say (a
   * phonebook entry's second remote, else the configured one; see `duplicatePathFor`).
   */
  duplicatePath?: DuplicatePath;
}

/** Where a link's second path listens, and where its copy goes when the peer does not signal it. */
export interface DuplicatePath {
  localHost: string;
  remote?: { address: string; rtpPort: number; rtcpPort?: number };
}

/**
 * A link's second path: the configured one, with a phonebook entry's second remote in place of the
 * configured remote. An entry that names a second remote without a configured second path sends
 * its copy from the media address (`mediaBindHost`): the remote end's two addresses still differ.
 */
export function duplicatePathFor(configured: DuplicatePath | undefined, entryRemote: DuplicatePath['remote'] | undefined, mediaBindHost: string): DuplicatePath | undefined {
  if (!entryRemote) return configured;
  return { localHost: configured?.localHost ?? mediaBindHost, remote: { ...entryRemote } };
}

function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** What the link hears from its session. */
export interface LinkMediaHandlers {
  event(event: LinkMediaEvent, detail: Record<string, unknown>): void;
  /** The session ended without `close()` (its worker died): the link has no audio any more. */
  lost(info: MediaSessionClosed): void;
}

/** Receive buffer settings: the negotiated ones (a peer's jbdef may set them), else the profile's. */
export function jitterParams(profile: Profile, n: NegotiatedMedia | undefined): MediaSessionParams['jitterBuffer'] {
  const jb = n?.jitterBuffer ?? profile.jitterBuffer;
  // Stretching is our own choice (the profile's), whoever set the delay.
  const stretch = profile.jitterBuffer.stretch;
  const extra = stretch === undefined ? {} : { stretch };
  return jb.mode === 'fixed' ? { mode: 'fixed', delayMs: jb.delayMs, ...extra } : { mode: 'adaptive', minMs: jb.minMs, maxMs: jb.maxMs, ...extra };
}

/**
 * The second path of a session, for a profile that duplicates and a link with a second path. Before
 * negotiation it listens (the offer or answer carries its port) and sends to the configured remote
 * if any. After: to the peer's second m-line when both sides grouped the lines (RFC 7104 §3), on the
 * port our SDP gave; else to the phonebook's or configured remote; else there is none (single path).
 */
export function duplicateParams(profile: Profile, n: NegotiatedMedia | undefined, path: DuplicatePath | undefined): NonNullable<MediaSessionParams['recovery']>['duplicate'] {
  if (!profile.redundancy?.duplicate || !path) return undefined;
  const signalled = n?.dualPath?.signalled ? n.dualPath : undefined;
  if (signalled) {
    const { rtpPort, rtcpPort } = signalled.local;
    return { localHost: path.localHost, ports: { rtp: rtpPort, ...(rtcpPort !== undefined ? { rtcp: rtcpPort } : {}) }, remote: { ...signalled.remote } };
  }
  if (path.remote) return { localHost: path.localHost, remote: { ...path.remote } };
  return n === undefined ? { localHost: path.localHost, remote: null } : undefined;
}

/** The recovery parameters of a session: the negotiated RED and NACK/RTX, and the second path. */
export function recoveryParams(profile: Profile, n: NegotiatedMedia | undefined, path: LinkMediaConfig['duplicatePath']): MediaSessionParams['recovery'] {
  const duplicate = duplicateParams(profile, n, path);
  // Under SRTP the RTX stream has its own SSRC and so its own rollover and replay state under the same
  // master key (RFC 3711 §3.2.3, RFC 4588 §9).
  const rtx = n?.recovery?.rtx;
  const r = { ...(n?.recovery?.red ? { red: n.recovery.red } : {}), ...(rtx ? { rtx } : {}), ...(duplicate ? { duplicate } : {}) };
  return r.red || r.rtx || r.duplicate ? r : undefined;
}

export class LinkMedia {
  private media: MediaSessionLike | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** The final statistics of the last closed session (history needs them after close). */
  lastStats: MediaSessionStats | undefined;
  /** The second path's RTP port in this session, once seen. */
  private secondPort: number | undefined;

  constructor(
    private readonly linkId: string,
    private readonly cfg: LinkMediaConfig,
    private readonly handlers: LinkMediaHandlers,
  ) {}

  get session(): MediaSessionLike | undefined {
    return this.media;
  }

  /**
   * Where the open session's second path listens, to put in our SDP (RFC 7104 §3): its port, and the
   * second path's address (the first line's `advertised` one when it binds to every interface).
   */
  secondPath(advertised: string): SecondPath | undefined {
    const path = this.cfg.duplicatePath;
    // Without a configured second path there is none to report (and no need to read the stats).
    if (!path) return undefined;
    const live = this.media && !this.media.isClosed ? this.media.stats().recovery?.paths?.[1]?.localRtpPort : undefined;
    // While a single path runs the second pair is closed: its port stays ours for this call, to be
    // offered or answered again and reopened on (RFC 3264 §8: a stream keeps its port).
    if (live !== undefined && live !== 0) this.secondPort = live;
    const port = this.secondPort;
    if (port === undefined) return undefined;
    // A second pair is allocated as an even RTP port and the next one for RTCP (RFC 3550 §11).
    return { address: isUnspecified(path.localHost) ? advertised : path.localHost, rtpPort: port, rtcpPort: port + 1 };
  }

  /** Stats of an open session, else undefined. */
  openStats(): MediaSessionStats | undefined {
    return this.media && !this.media.isClosed ? this.media.stats() : undefined;
  }

  /** Run `fn` after every media operation queued before it (it runs even if one of them failed). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Wait for pending media work (tests, shutdown). */
  settled(): Promise<void> {
    return this.chain;
  }

  /**
   * The open session, or a new one with provisional parameters from the profile's first codec:
   * nothing sent or received until `apply`. Call inside `run`.
   */
  async openProvisional(profile: Profile, input: string, output: string): Promise<MediaSessionLike> {
    if (this.media && !this.media.isClosed) return this.media;
    const first = resolveProfile(profile, codecRegistry)[0]!;
    const params: MediaSessionParams = {
      linkId: this.linkId,
      codecId: first.record.id,
      payloadType: first.record.staticPayloadType ?? 96,
      codecParams: first.params,
      localHost: this.cfg.mediaBindHost,
      portRange: this.cfg.portRange,
      remote: null,
      send: false,
      receive: false,
      jitterBuffer: jitterParams(profile, undefined),
      input,
      output,
      noMediaTimeoutMs: this.cfg.noMediaTimeoutMs,
      silence: this.cfg.silence,
      cname: `acip-${this.linkId}`,
      // A profile that may run SRTP drops every packet until keys are negotiated: nothing clear is
      // played or latched on before the answer says whether the media is encrypted.
      ...(srtpPolicy(profile) !== 'off' ? { srtp: { send: null, receive: null } } : {}),
    };
    const recovery = recoveryParams(profile, undefined, this.cfg.duplicatePath);
    if (recovery) params.recovery = recovery;
    const open = this.cfg.openMedia ?? inProcessMediaOpener({ clock: this.cfg.clock, logger: this.cfg.log });
    const media = await open(params);
    this.media = media;
    this.lastStats = undefined;
    this.secondPort = undefined;
    const h = this.handlers;
    media.on('no-media', (d) => h.event('no-media', d));
    media.on('media-restored', (d) => h.event('media-restored', d));
    media.on('silence', (d) => h.event('silence', { ...d }));
    media.on('silence-cleared', (d) => h.event('silence-cleared', { ...d }));
    media.on('error', (e) => this.cfg.log.warn({ link: this.linkId, ...e }, `link ${this.linkId}: media ${e.where}: ${e.message}`));
    media.on('closed', (info) => {
      if (this.media === media) h.lost(info);
    });
    return media;
  }

  /** Put a negotiation into effect. Call inside `run`. */
  async apply(profile: Profile, n: NegotiatedMedia): Promise<void> {
    const media = this.media;
    if (!media || media.isClosed) throw new AcipError('MEDIA_SESSION_CLOSED', 'media session closed during set-up');
    const { srtp: _previousKeys, recovery: _previousRecovery, ...current } = media.currentParams();
    const recovery = recoveryParams(profile, n, this.cfg.duplicatePath);
    const dual = n.dualPath;
    if (dual && !dual.signalled && dual.malformed) {
      this.cfg.log.warn({ link: this.linkId, reason: dual.reason }, `link ${this.linkId}: the peer's a=group:DUP was ignored: ${dual.reason}`);
    }
    await media.update({
      ...current,
      ...(recovery ? { recovery } : {}),
      // SRTP keys (RFC 4568 §6.1: we send with ours, receive with the peer's); absent: clear RTP.
      ...(n.srtp ? { srtp: { send: n.srtp.send, receive: n.srtp.receive } } : {}),
      codecId: n.codecId,
      payloadType: n.payloadType,
      codecParams: n.codecParams,
      receivePtimeMs: n.ptimeMs,
      remote: { address: n.remote.address, rtpPort: n.remote.rtpPort, rtcpPort: n.remote.rtcpPort },
      send: n.localSends,
      receive: n.localReceives,
      jitterBuffer: jitterParams(profile, n),
    });
  }

  /** Close the session (queued after pending work). Idempotent. */
  close(): Promise<void> {
    return this.run(async () => {
      const media = this.media;
      if (!media) return;
      this.media = undefined;
      await media.close('hang-up');
      // After close: the final snapshot (a worker session's stats() is otherwise up to 100 ms old).
      this.lastStats = media.stats();
    });
  }
}
