/**
 * A contribution link: one call to or from a remote studio, with its profile, audio input and output,
 * and policy (permanent or not). This is the only place where SIP and media meet (ARCHITECTURE.md):
 * it passes plain values between the SIP call (sip/ua), the offer/answer (sdp/) and the media session
 * (media/). Every state change goes through `transition`, is logged and published.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../util/clock.js';
import { AcipError } from '../util/errors.js';
import type { Profile } from '../config/profile-schema.js';
import type { SipUserAgent } from '../sip/ua/user-agent.js';
import type { OutgoingCall } from '../sip/ua/outgoing-call.js';
import type { IncomingCall } from '../sip/ua/incoming-call.js';
import type { SipCall, CallEndInfo, ReinviteOffer } from '../sip/ua/call.js';
import { answerOffer, applyAnswer, buildOffer, buildReoffer, type LocalOffer, type LocalSession, type NegotiatedMedia } from '../sdp/offer-answer.js';
import { ebuAcipSetToValues } from '../sdp/ebuacip.js';
import { resolveProfile } from '../sdp/codec-match.js';
import { codecRegistry } from '../codecs/registry.js';
import { parseUri } from '../sip/uri.js';
import { inProcessMediaOpener, type MediaSessionLike, type MediaSessionOpener } from '../media/worker/media-session-like.js';
import { MEDIA_WORKER_EXIT } from '../media/worker/remote-media-session.js';
import type { MediaSessionParams, MediaSessionStats } from '../media/session-types.js';
import { assertTransition, type LinkState } from './link-state.js';
import { backoffDelay, type BackoffOptions } from '../util/backoff.js';
import type { LinkEndReason, LinkMeters, LinkSnapshot } from './link-types.js';
import type { CallQuality, CallRecord } from '../store/call-history.js';

export interface LinkLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface LinkDeps {
  ua: SipUserAgent;
  clock: Clock;
  log: LinkLogger;
  /** Address written into our SDP (c=) for a given remote host. */
  mediaAddressFor: (remoteHost: string | undefined) => string;
  /** Address RTP sockets bind to. */
  mediaBindHost: string;
  portRange: { min: number; max: number };
  noMediaTimeoutMs: number;
  ringTimeoutMs: number;
  backoff: BackoffOptions;
  silence: { thresholdDbfs: number; durationMs: number };
  /** Published on every state change (and once when the link is created). */
  onChange: (link: Link) => void;
  /** One call attempt ended: its history record. */
  onCallRecord: (record: CallRecord) => void;
  onMediaEvent: (link: Link, event: 'silence' | 'silence-cleared' | 'no-media' | 'media-restored', detail: Record<string, unknown>) => void;
  /** Opens media sessions: a MediaWorkerPool's opener(), or in this thread (default, on `clock`). */
  openMedia?: MediaSessionOpener;
}

export interface LinkInit {
  direction: 'outbound' | 'inbound';
  remote: string;
  remoteName?: string;
  phonebookId?: string;
  profile: Profile;
  input: string;
  output: string;
  permanent: boolean;
}

/** Per-call quality accumulators (history summary), sampled at 1 Hz by the manager. */
interface QualityAcc {
  maxJitterMs: number;
  bufferSum: number;
  bufferCount: number;
  maxBufferMs: number;
}

function dbOrNull(v: number | undefined): number | null {
  return v === undefined || !Number.isFinite(v) || v <= -120 ? null : Math.round(v * 10) / 10;
}

function meterOf(m: MediaSessionStats['input'] | MediaSessionStats['output']): LinkMeters['input'] {
  return {
    peak: m.meter.channels.map((c) => dbOrNull(c.peakDbfs)),
    rms: m.meter.channels.map((c) => dbOrNull(c.rmsDbfs)),
    clips: m.meter.clipEvents,
  };
}

function metersOf(s: MediaSessionStats): LinkMeters {
  return { input: meterOf(s.input), output: meterOf(s.output) };
}

export class Link {
  readonly id = randomUUID().slice(0, 8);
  readonly direction: 'outbound' | 'inbound';
  readonly remote: string;
  readonly remoteName: string | undefined;
  readonly phonebookId: string | undefined;
  readonly permanent: boolean;
  readonly createdAtWall: number;
  profile: Profile;
  input: string;
  output: string;
  private stateValue: LinkState = 'idle';
  private call: SipCall | undefined;
  private media: MediaSessionLike | undefined;
  private negotiated: NegotiatedMedia | undefined;
  private local: LocalSession | LocalOffer | undefined;
  private endReason: LinkEndReason | null = null;
  private redials = 0;
  private redialTimer: TimerHandle | undefined;
  private ringTimer: TimerHandle | undefined;
  private userHungUp = false;
  /** Times of the current call attempt (monotonic ms for durations, wall ms for records). */
  private attempt = { startMono: 0, startWall: 0, answerMono: undefined as number | undefined, answerWall: undefined as number | undefined };
  private quality: QualityAcc = { maxJitterMs: 0, bufferSum: 0, bufferCount: 0, maxBufferMs: 0 };
  private lastStats: MediaSessionStats | undefined;
  /** Serialises media operations (open/update/close) so a hang-up during set-up cannot leak a session. */
  private mediaChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: LinkDeps,
    init: LinkInit,
  ) {
    this.direction = init.direction;
    this.remote = init.remote;
    this.remoteName = init.remoteName;
    this.phonebookId = init.phonebookId;
    this.profile = init.profile;
    this.input = init.input;
    this.output = init.output;
    this.permanent = init.permanent;
    this.createdAtWall = deps.clock.wallNow();
  }

  get state(): LinkState {
    return this.stateValue;
  }

  get mediaSession(): MediaSessionLike | undefined {
    return this.media;
  }

  /** Holds a call or will get one again (counts against the link limit). */
  get active(): boolean {
    return this.stateValue !== 'ended';
  }

  private transition(to: LinkState, why: string): void {
    const from = this.stateValue;
    if (from === to) return;
    assertTransition(from, to);
    this.stateValue = to;
    this.deps.log.info({ link: this.id, from, to, remote: this.remote }, `link ${this.id}: ${from} → ${to} (${why})`);
    if (from === 'ringing' || from === 'dialling' || from === 'offered') {
      this.ringTimer?.cancel();
      this.ringTimer = undefined;
    }
    this.deps.onChange(this);
  }

  // ---- outbound ---------------------------------------------------------------------------

  /** Start (or restart, for a permanent link) an outbound call. Errors end in `failed`, never throw. */
  dial(): void {
    this.userHungUp = false;
    this.endReason = null;
    this.startAttempt();
    this.transition('dialling', this.redials > 0 ? `redial ${this.redials}` : 'dial');
    this.ringTimer = this.deps.clock.setTimer(this.deps.ringTimeoutMs, () => {
      if (this.stateValue === 'dialling' || this.stateValue === 'ringing') {
        this.deps.log.warn({ link: this.id }, `link ${this.id}: no answer within ${this.deps.ringTimeoutMs / 1000} s, cancelling`);
        (this.call as OutgoingCall | undefined)?.cancel();
        this.callFailed({ by: 'local', sipStatus: 408, reason: 'no answer (ring timeout)' });
      }
    });
    void this.withMedia(async () => {
      const media = await this.openProvisionalMedia();
      if (this.stateValue !== 'dialling') return; // hung up meanwhile
      const remoteHost = this.remoteHost();
      const { sdp, offered } = buildOffer({
        profile: this.profile,
        localAddress: this.deps.mediaAddressFor(remoteHost),
        rtpPort: media.localRtpPort,
        rtcpPort: media.localRtcpPort,
      });
      this.local = offered;
      const call = this.deps.ua.invite(this.remote, { sdp });
      this.bindCall(call);
      call.on('progress', (p) => {
        if (p.status >= 180 && this.stateValue === 'dialling') this.transition('ringing', `${p.status} ${p.reason}`);
      });
      call.on('answered', ({ sdp: answer }) => void this.onAnswered(answer));
      call.on('failed', (f) => this.callFailed({ by: 'remote', sipStatus: f.status, reason: f.reason }));
    }).catch((err: unknown) => this.callFailed({ by: 'error', reason: (err as Error).message }));
  }

  private async onAnswered(answerSdp: string | undefined): Promise<void> {
    const offered = this.local as LocalOffer | undefined;
    if (!answerSdp || !offered || !('codecs' in offered)) {
      await this.hangupCall();
      this.callFailed({ by: 'error', reason: 'the 200 OK carried no SDP answer' });
      return;
    }
    const res = applyAnswer(offered, answerSdp);
    if (!res.ok) {
      await this.hangupCall();
      this.callFailed({ by: 'error', reason: `unusable SDP answer: ${res.reason}` });
      return;
    }
    this.negotiated = res.negotiated;
    this.markAnswered();
    try {
      await this.withMedia(() => this.applyNegotiated(res.negotiated));
    } catch (err) {
      await this.hangupCall();
      this.callFailed({ by: 'error', reason: `media: ${(err as Error).message}` });
      return;
    }
    if (this.stateValue === 'dialling' || this.stateValue === 'ringing') this.transition('connected', 'answered');
  }

  // ---- inbound ----------------------------------------------------------------------------

  /**
   * Take an incoming INVITE. Returns false (having rejected it) when its offer is unusable.
   * With `autoAnswer` the call is answered at once; otherwise the link waits in `offered`.
   */
  async acceptIncoming(call: IncomingCall, autoAnswer: boolean): Promise<void> {
    this.startAttempt();
    this.bindCall(call);
    if (!call.offerSdp) {
      call.reject(488, 'Not Acceptable Here', [['Warning', '399 acip "an INVITE without an SDP offer is not supported"']]);
      this.finishAttempt({ by: 'error', sipStatus: 488, reason: 'INVITE without SDP offer' });
      this.transition('ended', 'rejected');
      return;
    }
    if (!autoAnswer) {
      call.ringing();
      this.transition('offered', 'waiting for a manual answer');
      this.ringTimer = this.deps.clock.setTimer(this.deps.ringTimeoutMs, () => {
        if (this.stateValue === 'offered') this.reject(480, 'Temporarily Unavailable');
      });
      return;
    }
    await this.answerIncoming();
  }

  /** Answer an inbound call (auto-answer, or the manual answer from the panel/API). */
  async answerIncoming(): Promise<void> {
    const call = this.call as IncomingCall | undefined;
    if (!call || call.ended) throw new AcipError('CONFLICT', `link ${this.id} has no call to answer`, 'id');
    try {
      await this.withMedia(async () => {
        const media = await this.openProvisionalMedia();
        const res = answerOffer(call.offerSdp ?? '', {
          profile: this.profile,
          localAddress: this.deps.mediaAddressFor(call.remoteAddress.address),
          rtpPort: media.localRtpPort,
          rtcpPort: media.localRtcpPort,
        });
        if (!res.ok) {
          call.reject(res.status, res.status === 488 ? 'Not Acceptable Here' : 'Bad Request', [['Warning', res.warning]]);
          this.deps.log.warn({ link: this.id, warning: res.warning }, `link ${this.id}: offer rejected: ${res.reason}`);
          throw new AcipError('SDP_REJECTED', res.reason);
        }
        this.local = res.local;
        this.negotiated = res.negotiated;
        await this.applyNegotiated(res.negotiated);
        call.accept(res.sdp);
      });
    } catch (err) {
      this.finishAttempt({ by: 'error', sipStatus: 488, reason: (err as Error).message });
      await this.closeMedia();
      if (this.stateValue !== 'ended') this.transition('ended', 'offer rejected');
      return;
    }
    this.markAnswered();
    if (this.stateValue === 'idle' || this.stateValue === 'offered') this.transition('connected', 'answered');
  }

  reject(status = 603, reason = 'Decline'): void {
    const call = this.call as IncomingCall | undefined;
    if (this.stateValue !== 'offered' || !call) throw new AcipError('CONFLICT', `link ${this.id} is ${this.stateValue}, not waiting for an answer`, 'id');
    call.reject(status, reason);
    this.userHungUp = true;
    this.finishAttempt({ by: 'local', sipStatus: status, reason: `rejected (${reason})` });
    this.transition('ended', 'rejected');
  }

  // ---- shared call handling -----------------------------------------------------------------

  private bindCall(call: SipCall): void {
    this.call = call;
    call.on('ended', (info) => this.onCallEnded(call, info));
    call.on('reinvite', (offer) => void this.onReinvite(offer));
  }

  private onCallEnded(call: SipCall, info: CallEndInfo): void {
    if (call !== this.call) return;
    if (this.stateValue === 'ended' || this.stateValue === 'failed' || this.stateValue === 'redialling') return;
    const reason: LinkEndReason = {
      by: info.by === 'local' ? 'local' : 'remote',
      ...(info.status !== undefined ? { sipStatus: info.status } : {}),
      reason: info.reason ?? (info.by === 'remote' ? 'far end hung up' : 'hung up'),
    };
    if (this.stateValue === 'offered' || this.stateValue === 'dialling' || this.stateValue === 'ringing') {
      this.callFailed(reason);
      return;
    }
    this.callOver(reason);
  }

  /** A connected call is over: record it, then end or redial. */
  private callOver(reason: LinkEndReason): void {
    this.finishAttempt(reason);
    void this.closeMedia();
    if (this.permanent && !this.userHungUp && this.direction === 'outbound') {
      this.transition('redialling', reason.reason);
      this.scheduleRedial();
    } else {
      if (this.stateValue === 'connected') this.transition('ending', reason.reason);
      this.transition('ended', reason.reason);
    }
  }

  /** An attempt that never connected (or a set-up error). */
  private callFailed(reason: LinkEndReason): void {
    if (this.stateValue === 'ended' || this.stateValue === 'failed' || this.stateValue === 'redialling') return;
    this.finishAttempt(reason);
    void this.closeMedia();
    if (this.userHungUp) {
      this.transition('ended', reason.reason);
      return;
    }
    this.transition('failed', reason.reason);
    if (this.permanent && this.direction === 'outbound') {
      this.transition('redialling', 'permanent link');
      this.scheduleRedial();
    } else {
      this.transition('ended', reason.reason);
    }
  }

  private scheduleRedial(): void {
    const delay = backoffDelay(this.redials, this.deps.backoff);
    this.redials++;
    this.deps.log.info({ link: this.id, delayMs: delay, attempt: this.redials }, `link ${this.id}: redialling in ${(delay / 1000).toFixed(1)} s`);
    this.redialTimer = this.deps.clock.setTimer(delay, () => {
      this.redialTimer = undefined;
      if (this.stateValue === 'redialling') this.dial();
    });
  }

  /** Media has been dead for the no-media timeout: a permanent link hangs up and redials. */
  onNoMedia(): void {
    if (this.stateValue !== 'connected') return;
    if (this.permanent && this.direction === 'outbound') {
      // Record the reason first: the BYE ends the call, and its 'ended' event must not be what the
      // history remembers (it would read "local: hung up" instead of the no-media timeout).
      const call = this.call;
      this.callOver({ by: 'network', reason: `no media for ${this.deps.noMediaTimeoutMs / 1000} s` });
      void this.hangupCall(call);
    }
  }

  private onMediaEngineLost(): void {
    if (this.stateValue !== 'connected') return;
    if (this.permanent && this.direction === 'outbound') {
      this.onNoMedia();
      return;
    }
    void this.hangupCall();
    this.callOver({ by: 'error', reason: 'media engine failed (worker exited)' });
  }

  /** User hang-up: BYE, CANCEL while ringing, or stop redialling. Idempotent. */
  async hangup(): Promise<void> {
    this.userHungUp = true;
    switch (this.stateValue) {
      case 'redialling':
        this.redialTimer?.cancel();
        this.redialTimer = undefined;
        this.transition('ended', 'hung up while waiting to redial');
        return;
      case 'offered':
        this.reject(486, 'Busy Here');
        return;
      case 'dialling':
      case 'ringing': {
        const call = this.call as OutgoingCall | undefined;
        call?.cancel();
        this.finishAttempt({ by: 'local', reason: 'cancelled' });
        void this.closeMedia();
        this.transition('ended', 'cancelled');
        return;
      }
      case 'connected': {
        this.transition('ending', 'hang-up');
        await this.hangupCall();
        this.finishAttempt({ by: 'local', reason: 'hung up' });
        await this.closeMedia();
        this.transition('ended', 'hung up');
        return;
      }
      case 'idle':
        this.transition('ended', 'hung up');
        return;
      default:
        return;
    }
  }

  private async hangupCall(call: SipCall | undefined = this.call): Promise<void> {
    if (!call || call.ended) return;
    try {
      await call.bye();
    } catch (err) {
      this.deps.log.warn({ link: this.id, err: String(err) }, `link ${this.id}: BYE failed`);
    }
  }

  // ---- re-INVITE (mid-call codec change, EBU Tech 3326) ---------------------------------------

  private async onReinvite(offer: ReinviteOffer): Promise<void> {
    if (!offer.offerSdp || !this.media) {
      offer.reject(488, 'Not Acceptable Here', [['Warning', '399 acip "re-INVITE without an offer is not supported"']]);
      return;
    }
    const res = answerOffer(offer.offerSdp, {
      profile: this.profile,
      localAddress: this.local?.localAddress ?? this.deps.mediaAddressFor(undefined),
      rtpPort: this.media.localRtpPort,
      rtcpPort: this.media.localRtcpPort,
      ...(this.local ? { previous: this.local } : {}),
    });
    if (!res.ok) {
      offer.reject(res.status, 'Not Acceptable Here', [['Warning', res.warning]]);
      return;
    }
    try {
      await this.withMedia(() => this.applyNegotiated(res.negotiated));
    } catch (err) {
      offer.reject(488, 'Not Acceptable Here', [['Warning', `399 acip "media: ${(err as Error).message.replace(/"/g, "'")}"`]]);
      return;
    }
    this.local = res.local;
    this.negotiated = res.negotiated;
    offer.accept(res.sdp);
    this.deps.log.info({ link: this.id, codec: res.negotiated.codecId }, `link ${this.id}: re-INVITE accepted, now ${res.negotiated.encodingName}`);
    this.deps.onChange(this);
  }

  /** Change profile mid-call by sending a re-INVITE. */
  async changeProfile(profile: Profile): Promise<void> {
    if (this.stateValue !== 'connected' || !this.call || !this.local || !this.media) {
      throw new AcipError('CONFLICT', `link ${this.id} is ${this.stateValue}; only a connected link can change codec`, 'id');
    }
    const { sdp, offered } = buildReoffer(this.local, profile);
    const result = await this.call.reinvite(sdp);
    if (result.status < 200 || result.status >= 300 || !result.sdp) {
      throw new AcipError('CONFLICT', `the far end refused the codec change (${result.status} ${result.reason})`);
    }
    const res = applyAnswer(offered, result.sdp);
    if (!res.ok) throw new AcipError('CONFLICT', `unusable answer to the codec change: ${res.reason}`);
    await this.withMedia(() => this.applyNegotiated(res.negotiated));
    this.profile = profile;
    this.local = offered;
    this.negotiated = res.negotiated;
    this.deps.onChange(this);
  }

  // ---- media -------------------------------------------------------------------------------

  private withMedia<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.mediaChain.then(fn, fn);
    this.mediaChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Open the media session before the SDP is built, so the offer or answer can carry its ports:
   * provisional parameters from the profile's first codec, nothing sent or received yet.
   */
  private async openProvisionalMedia(): Promise<MediaSessionLike> {
    if (this.media && !this.media.isClosed) return this.media;
    const first = resolveProfile(this.profile, codecRegistry)[0]!;
    const params: MediaSessionParams = {
      linkId: this.id,
      codecId: first.record.id,
      payloadType: first.record.staticPayloadType ?? 96,
      codecParams: first.params,
      localHost: this.deps.mediaBindHost,
      portRange: this.deps.portRange,
      remote: null,
      send: false,
      receive: false,
      jitterBuffer: this.jitterParams(undefined),
      input: this.input,
      output: this.output,
      noMediaTimeoutMs: this.deps.noMediaTimeoutMs,
      silence: this.deps.silence,
      cname: `acip-${this.id}`,
    };
    const open = this.deps.openMedia ?? inProcessMediaOpener({ clock: this.deps.clock, logger: this.deps.log });
    const media = await open(params);
    this.media = media;
    media.on('no-media', (d) => {
      this.deps.onMediaEvent(this, 'no-media', d);
      this.onNoMedia();
    });
    media.on('media-restored', (d) => this.deps.onMediaEvent(this, 'media-restored', d));
    media.on('silence', (d) => this.deps.onMediaEvent(this, 'silence', d as unknown as Record<string, unknown>));
    media.on('silence-cleared', (d) => this.deps.onMediaEvent(this, 'silence-cleared', d as unknown as Record<string, unknown>));
    media.on('error', (e) => {
      this.deps.log.warn({ link: this.id, ...e }, `link ${this.id}: media ${e.where}: ${e.message}`);
      // The worker running this session died: the session is gone. A permanent link redials; any
      // other connected link is hung up with the reason, rather than left connected without audio.
      if (e.code === MEDIA_WORKER_EXIT && this.media === media) this.onMediaEngineLost();
    });
    return media;
  }

  private jitterParams(n: NegotiatedMedia | undefined): MediaSessionParams['jitterBuffer'] {
    const jb = n?.jitterBuffer ?? this.profile.jitterBuffer;
    // Stretching is our own choice (the profile's), whoever set the delay (a peer's jbdef may).
    const stretch = this.profile.jitterBuffer.stretch;
    const extra = stretch === undefined ? {} : { stretch };
    return jb.mode === 'fixed' ? { mode: 'fixed', delayMs: jb.delayMs, ...extra } : { mode: 'adaptive', minMs: jb.minMs, maxMs: jb.maxMs, ...extra };
  }

  private async applyNegotiated(n: NegotiatedMedia): Promise<void> {
    const media = this.media;
    if (!media || media.isClosed) throw new AcipError('MEDIA_SESSION_CLOSED', 'media session closed during set-up');
    const current = media.currentParams();
    await media.update({
      ...current,
      codecId: n.codecId,
      payloadType: n.payloadType,
      codecParams: n.codecParams,
      receivePtimeMs: n.ptimeMs,
      remote: { address: n.remote.address, rtpPort: n.remote.rtpPort, rtcpPort: n.remote.rtcpPort },
      send: n.localSends,
      receive: n.localReceives,
      jitterBuffer: this.jitterParams(n),
    });
  }

  private closeMedia(): Promise<void> {
    return this.withMedia(async () => {
      const media = this.media;
      if (!media) return;
      this.media = undefined;
      await media.close('hang-up');
      // After close: the final snapshot (a worker session's stats() is otherwise up to 100 ms old).
      this.lastStats = media.stats();
    });
  }

  /** Wait for pending media work (tests, shutdown). */
  settled(): Promise<void> {
    return this.mediaChain;
  }

  // ---- bookkeeping -------------------------------------------------------------------------

  private remoteHost(): string | undefined {
    try {
      return parseUri(this.remote).host || undefined;
    } catch {
      return undefined;
    }
  }

  private startAttempt(): void {
    this.attempt = { startMono: this.deps.clock.now(), startWall: this.deps.clock.wallNow(), answerMono: undefined, answerWall: undefined };
    this.quality = { maxJitterMs: 0, bufferSum: 0, bufferCount: 0, maxBufferMs: 0 };
    this.lastStats = undefined;
  }

  private markAnswered(): void {
    this.attempt.answerMono = this.deps.clock.now();
    this.attempt.answerWall = this.deps.clock.wallNow();
  }

  /** INVITE → 200 OK, ms, when answered. */
  get answerDelayMs(): number | undefined {
    return this.attempt.answerMono === undefined ? undefined : this.attempt.answerMono - this.attempt.startMono;
  }

  /** Called at 1 Hz by the manager while connected: feeds the quality summary; returns the stats it read. */
  sample(): MediaSessionStats | undefined {
    const s = this.media?.stats();
    if (!s || !s.jitterBuffer) return s;
    this.lastStats = s;
    this.quality.maxJitterMs = Math.max(this.quality.maxJitterMs, s.rtp.rx.jitterMs);
    this.quality.bufferSum += s.jitterBuffer.currentDelayMs;
    this.quality.bufferCount++;
    this.quality.maxBufferMs = Math.max(this.quality.maxBufferMs, s.jitterBuffer.currentDelayMs);
    return s;
  }

  private qualitySummary(s: MediaSessionStats | undefined): CallQuality {
    const rx = s?.rtp.rx;
    const expected = rx ? rx.expected : 0;
    const r2 = (v: number) => Math.round(v * 100) / 100;
    return {
      lossPct: rx && expected > 0 ? r2((Math.max(0, rx.lost) / expected) * 100) : null,
      concealedPct: s?.jitterBuffer ? r2(s.jitterBuffer.concealedPct) : null,
      maxJitterMs: this.quality.bufferCount > 0 ? r2(this.quality.maxJitterMs) : null,
      meanBufferMs: this.quality.bufferCount > 0 ? r2(this.quality.bufferSum / this.quality.bufferCount) : null,
      maxBufferMs: this.quality.bufferCount > 0 ? r2(this.quality.maxBufferMs) : null,
      rttMs: s?.rttMs ?? null,
      redials: this.redials,
    };
  }

  /** Close the attempt: write its history record once. */
  private finishAttempt(reason: LinkEndReason): void {
    if (this.attempt.startMono < 0) return;
    this.endReason = reason;
    const stats = this.media?.stats() ?? this.lastStats;
    const now = this.deps.clock.now();
    const answered = this.attempt.answerMono !== undefined;
    const codec = this.codecInfo();
    const record: CallRecord = {
      id: randomUUID(),
      linkId: this.id,
      direction: this.direction,
      remote: this.remote,
      ...(this.remoteName ? { remoteName: this.remoteName } : {}),
      ...(this.phonebookId ? { phonebookId: this.phonebookId } : {}),
      profile: this.profile.name,
      startedAt: new Date(this.attempt.startWall).toISOString(),
      ...(this.attempt.answerWall !== undefined ? { answeredAt: new Date(this.attempt.answerWall).toISOString() } : {}),
      endedAt: new Date(this.deps.clock.wallNow()).toISOString(),
      ...(this.answerDelayMs !== undefined ? { answerDelayMs: Math.round(this.answerDelayMs) } : {}),
      durationS: answered ? Math.round((now - this.attempt.answerMono!) / 100) / 10 : 0,
      answered,
      endReason: reason,
      ...(codec ? { codec: { name: codec.name, clockRate: codec.clockRate, channels: codec.channels, ptimeMs: codec.ptimeMs } } : {}),
      quality: this.qualitySummary(stats),
    };
    this.attempt.startMono = -1;
    this.deps.onCallRecord(record);
  }

  private codecInfo(): LinkSnapshot['codec'] {
    const n = this.negotiated;
    if (!n) return null;
    const params: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(n.codecParams)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') params[k] = v;
    return { name: n.encodingName, clockRate: n.rtpClockRate, channels: n.channels, ptimeMs: n.ptimeMs, payloadType: n.payloadType, params };
  }

  /** Just the meters (the 10 Hz feed), without building the whole snapshot. */
  meters(): LinkMeters | null {
    return this.media && !this.media.isClosed ? metersOf(this.media.stats()) : null;
  }

  snapshot(): LinkSnapshot {
    const s = this.media && !this.media.isClosed ? this.media.stats() : undefined;
    const n = this.negotiated;
    const connected = this.stateValue === 'connected' && this.attempt.answerMono !== undefined;
    const rx = s?.rtp.rx;
    const jb = s?.jitterBuffer;
    return {
      id: this.id,
      state: this.stateValue,
      direction: this.direction,
      remote: this.remote,
      ...(this.remoteName ? { remoteName: this.remoteName } : {}),
      ...(this.phonebookId ? { phonebookId: this.phonebookId } : {}),
      profile: this.profile.name,
      permanent: this.permanent,
      input: this.input,
      output: this.output,
      createdAt: new Date(this.createdAtWall).toISOString(),
      ...(connected && this.attempt.answerWall !== undefined ? { connectedAt: new Date(this.attempt.answerWall).toISOString() } : {}),
      durationS: connected ? Math.round((this.deps.clock.now() - this.attempt.answerMono!) / 100) / 10 : 0,
      redials: this.redials,
      codec: this.codecInfo(),
      mediaDirection: n ? n.direction : null,
      rx:
        s && rx
          ? {
              packets: rx.packets,
              lost: Math.max(0, rx.lost),
              late: jb?.late ?? 0,
              duplicates: rx.duplicates,
              reordered: rx.reordered,
              lossPct: Math.round(rx.lossFraction * 10000) / 100,
              concealedMs: Math.round(jb?.concealedMs ?? 0),
              concealedPct: Math.round((jb?.concealedPct ?? 0) * 100) / 100,
              jitterMs: Math.round(rx.jitterMs * 100) / 100,
              bufferMs: Math.round((jb?.currentDelayMs ?? 0) * 10) / 10,
              targetBufferMs: Math.round((jb?.targetDelayMs ?? 0) * 10) / 10,
              driftPpm: Math.round((jb?.driftPpm ?? 0) * 10) / 10,
              underruns: jb?.underruns ?? 0,
              malformed: rx.malformed,
              foreignSource: rx.foreignSource,
            }
          : null,
      tx: s
        ? {
            packets: s.rtp.tx.packets,
            bitrateKbps: Math.round(s.txBitrateBps / 100) / 10,
            remoteLossPct: s.rtp.remoteReport ? Math.round(s.rtp.remoteReport.fractionLost * 10000) / 100 : null,
            remoteJitterMs: s.rtp.remoteReport ? Math.round(s.rtp.remoteReport.jitterMs * 100) / 100 : null,
          }
        : null,
      rttMs: s?.rttMs ?? null,
      meters: s ? metersOf(s) : null,
      ebuacip: n
        ? {
            applied: { ...(n.jitterBuffer.mode === 'fixed' ? { mode: 'fixed' as const, delayMs: n.jitterBuffer.delayMs } : { mode: 'adaptive' as const, minMs: n.jitterBuffer.minMs, maxMs: n.jitterBuffer.maxMs }), source: n.jitterBuffer.source },
            ours: ebuAcipSetToValues(n.ebuacip.ours),
            theirs: ebuAcipSetToValues(n.ebuacip.theirs),
          }
        : null,
      localSdp: this.call?.localSdp ?? null,
      remoteSdp: this.call?.remoteSdp ?? null,
      endReason: this.endReason,
    };
  }

  /** Close everything without signalling (service shutdown after BYEs were attempted). */
  async close(): Promise<void> {
    this.redialTimer?.cancel();
    this.ringTimer?.cancel();
    if (this.stateValue === 'connected' || this.stateValue === 'dialling' || this.stateValue === 'ringing' || this.stateValue === 'offered') {
      await this.hangup().catch(() => undefined);
    }
    await this.closeMedia();
    if (this.stateValue === 'redialling' || this.stateValue === 'failed') this.transition('ended', 'service stopping');
  }
}
