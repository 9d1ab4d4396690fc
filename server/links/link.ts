/**
 * A contribution link: one call to or from a remote studio, with its profile, audio input and output,
 * and policy (permanent or not). This is the only place where SIP and media meet: it passes plain
 * values between the call (through `CallPort`), the offer/answer (sdp/) and the media session
 * (through `LinkMedia`). Every state change goes through `transition`, is logged and published.
 */
import { randomUUID } from 'node:crypto';
import type { TimerHandle } from '../util/clock.js';
import { AcipError } from '../util/errors.js';
import type { Profile } from '../config/profile-schema.js';
import type { CallEndInfo, ReinviteOffer } from '../sip/ua/call.js';
import type { LocalOffer, LocalSession, NegotiatedMedia, Signalling } from '../sdp/offer-answer.js';
import type { MediaSessionLike } from '../media/worker/media-session-like.js';
import type { MediaSessionClosed, MediaSessionStats } from '../media/session-types.js';
import { backoffDelay, type BackoffOptions } from '../util/backoff.js';
import type { CallRecord } from '../store/call-history.js';
import { assertTransition, type LinkState } from './link-state.js';
import type { LinkEndReason, LinkMeters, LinkSnapshot } from './link-types.js';
import type { CallPort, DialOptions, LinkCall, LinkIncomingCall, LinkOutgoingCall } from './call-port.js';
import { LinkMedia, type LinkMediaConfig, type LinkMediaEvent } from './link-media.js';
import { InactivityWatch, lastPeerActivity } from './inactivity-watch.js';
import { answerReoffer, answerWithMedia, applyAnswerInAck, hostOfUri, offerForInvite, offerWithMedia, readPeerAnswer, reofferProfile, signallingOfInvite, signallingOfTarget } from './link-setup.js';
import type { AnswerOutcome, FailureResponse, OfferedInAnswer, SetupContext } from './link-setup.js';
import { buildSnapshot, metersOf, type LinkFacts } from './link-record.js';
import { CallAttempt } from './call-attempt.js';
import { EarlyMedia, type FinalAnswer } from './early-media.js';

export type { LinkLogger } from './link-logger.js';

export interface LinkDeps extends LinkMediaConfig {
  ua: CallPort;
  /** Address written into our SDP (c=) for a given remote host. */
  mediaAddressFor: (remoteHost: string | undefined) => string;
  ringTimeoutMs: number;
  /** A connected link with no RTP and no RTCP from the far end for this long is over (0: never). */
  inactivityTimeoutMs: number;
  backoff: BackoffOptions;
  /** Published on every state change (and once when the link is created). */
  onChange: (link: Link) => void;
  /** One call attempt ended: its history record. */
  onCallRecord: (record: CallRecord) => void;
  onMediaEvent: (link: Link, event: LinkMediaEvent, detail: Record<string, unknown>) => void;
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
  /** Inbound: the packet source address of the INVITE (the per-source link limit counts it). */
  source?: string;
  /** Outbound: per-call choices for the user agent (a phonebook entry's `tlsVerify: false`). */
  dial?: DialOptions;
}

/** The states in which a call is being set up, under the ring timeout. */
const RING_STATES: ReadonlySet<LinkState> = new Set(['dialling', 'ringing', 'offered']);

/**
 * The states that close a call attempt: their change is a call's one info line (with why it ended);
 * the steps before it go at debug (at hundreds of calls a second a line per step costs a log write each).
 */
const ATTEMPT_END_STATES: ReadonlySet<LinkState> = new Set(['ended', 'redialling']);

export class Link {
  readonly id = randomUUID().slice(0, 8);
  readonly direction: 'outbound' | 'inbound';
  readonly remote: string;
  readonly remoteName: string | undefined;
  readonly phonebookId: string | undefined;
  readonly permanent: boolean;
  readonly source: string | undefined;
  readonly createdAtWall: number;
  profile: Profile;
  input: string;
  output: string;
  private stateValue: LinkState = 'idle';
  private call: LinkCall | undefined;
  private readonly media: LinkMedia;
  private readonly inactivity: InactivityWatch;
  private negotiated: NegotiatedMedia | undefined;
  private local: LocalSession | LocalOffer | undefined;
  /** Our offer in a 2xx to an INVITE or re-INVITE that had none, until the ACK answers it (RFC 3264 §4, §8). */
  private offerInAck: LocalOffer | undefined;
  /** Outbound: the early answer (183 with SDP) the media runs on while ringing. */
  private readonly early: EarlyMedia;
  private endReason: LinkEndReason | null = null;
  private redials = 0;
  private redialTimer: TimerHandle | undefined;
  private ringTimer: TimerHandle | undefined;
  private userHungUp = false;
  /** An inbound call is answered at most once (a second answer from the API is a conflict). */
  private answerStarted = false;
  private readonly attempt: CallAttempt;

  constructor(
    private readonly deps: LinkDeps,
    private readonly init: LinkInit,
  ) {
    this.direction = init.direction;
    this.remote = init.remote;
    this.remoteName = init.remoteName;
    this.phonebookId = init.phonebookId;
    this.profile = init.profile;
    this.input = init.input;
    this.output = init.output;
    this.permanent = init.permanent;
    this.source = init.source;
    this.createdAtWall = deps.clock.wallNow();
    this.attempt = new CallAttempt(deps.clock, deps.onCallRecord);
    this.media = new LinkMedia(this.id, deps, {
      event: (event, detail) => {
        this.deps.onMediaEvent(this, event, detail);
        if (event === 'no-media') this.onNoMedia();
      },
      lost: (info) => this.onMediaEngineLost(info),
    });
    this.early = new EarlyMedia(this.id, this.media, deps.log);
    this.inactivity = new InactivityWatch({
      clock: deps.clock,
      timeoutMs: deps.inactivityTimeoutMs,
      lastActivity: () => lastPeerActivity(this.media.openStats()),
      onInactive: (silentForMs) => this.onInactive(silentForMs),
    });
  }

  get state(): LinkState {
    return this.stateValue;
  }

  get mediaSession(): MediaSessionLike | undefined {
    return this.media.session;
  }

  /** Holds a call or will get one again (counts against the link limit). */
  get active(): boolean {
    return this.stateValue !== 'ended';
  }

  /** A permanent outbound link redials instead of ending. */
  private get redialsOnLoss(): boolean {
    return this.permanent && this.direction === 'outbound';
  }

  private get outgoingCall(): LinkOutgoingCall | undefined {
    return this.direction === 'outbound' ? (this.call as LinkOutgoingCall | undefined) : undefined;
  }

  private get incomingCall(): LinkIncomingCall | undefined {
    return this.direction === 'inbound' ? (this.call as LinkIncomingCall | undefined) : undefined;
  }

  private transition(to: LinkState, why: string): void {
    const from = this.stateValue;
    if (from === to) return;
    assertTransition(from, to);
    this.stateValue = to;
    this.deps.log[ATTEMPT_END_STATES.has(to) ? 'info' : 'debug']({ link: this.id, from, to, remote: this.remote }, `link ${this.id}: ${from} → ${to} (${why})`);
    if (RING_STATES.has(from) && !RING_STATES.has(to)) {
      this.ringTimer?.cancel();
      this.ringTimer = undefined;
    }
    if (to === 'connected') this.inactivity.start();
    else if (from === 'connected') this.inactivity.stop();
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
        this.outgoingCall?.cancel();
        this.callFailed({ by: 'local', sipStatus: 408, reason: 'no answer (ring timeout)' });
      }
    });
    void this.media
      .run(async () => {
        const { sdp, offered } = await offerWithMedia(this.setupContext(hostOfUri(this.remote), signallingOfTarget(this.remote)));
        if (this.stateValue !== 'dialling') return; // hung up meanwhile
        this.local = offered;
        const call = this.deps.ua.invite(this.remote, { ...this.init.dial, sdp });
        this.bindCall(call);
        call.on('progress', (p) => {
          if (p.status >= 180 && this.stateValue === 'dialling') this.transition('ringing', `${p.status} ${p.reason}`);
          // Early media (RFC 3960 §3): the media runs on the first early answer while ringing.
          if (p.sdp !== undefined && this.stateValue === 'ringing') this.negotiated = this.early.start(this.local, p.sdp, p.toTag, this.profile, () => this.deps.onChange(this)) ?? this.negotiated;
        });
        call.on('answered', (answer) => void this.onAnswered(answer));
        call.on('failed', (f) => this.callFailed({ by: 'remote', sipStatus: f.status, reason: f.reason }));
      })
      .catch((err: unknown) => this.callFailed({ by: 'error', reason: (err as Error).message }));
  }

  private async onAnswered(answer: FinalAnswer): Promise<void> {
    const step = await this.early.final(answer);
    if (step.continues) {
      this.markAnswered();
      if (this.stateValue === 'ringing') this.transition('connected', 'answered, early media continues');
      return;
    }
    const res = readPeerAnswer(this.local, step.sdp, '200 OK');
    if (!res.ok) {
      await this.failAndHangUp(res.reason);
      return;
    }
    this.negotiated = res.negotiated;
    this.markAnswered();
    try {
      await this.media.run(() => this.media.apply(this.profile, res.negotiated));
    } catch (err) {
      await this.failAndHangUp({ by: 'error', reason: `media: ${(err as Error).message}` });
      return;
    }
    if (this.stateValue === 'dialling' || this.stateValue === 'ringing') this.transition('connected', 'answered');
  }

  /**
   * Give up an answered call: record the reason first, then BYE. The BYE ends the call, and its
   * 'ended' event must find the link already failed (else the history would read "local: hung up").
   */
  private async failAndHangUp(reason: LinkEndReason): Promise<void> {
    const call = this.call;
    this.callFailed(reason);
    await this.hangupCall(call);
  }

  // ---- inbound ----------------------------------------------------------------------------

  /**
   * Take an incoming INVITE. With `autoAnswer` the call is answered at once; otherwise the link
   * rings and waits in `offered`.
   */
  async acceptIncoming(call: LinkIncomingCall, autoAnswer: boolean): Promise<void> {
    this.startAttempt();
    this.bindCall(call);
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

  /**
   * Answer an inbound call (auto-answer, or the manual answer from the panel/API). Every way it can
   * fail sends a final response and records the status sent: the offer's rejection (488/400), or
   * 503/500 when the media could not be opened or started. Without an offer in the INVITE ours goes
   * in the 200 (RFC 3264 §4); the media starts on the answer in the ACK (`onAnswerInAck`).
   */
  async answerIncoming(): Promise<void> {
    const call = this.incomingCall;
    if (!call || call.ended || this.answerStarted) throw new AcipError('CONFLICT', `link ${this.id} has no call to answer`, 'id');
    this.answerStarted = true;
    const ctx = this.setupContext(call.remoteAddress.address, signallingOfInvite(call));
    const offer = call.offerSdp;
    const outcome = await this.media.run<AnswerOutcome | OfferedInAnswer>(() => (offer === undefined ? offerForInvite(ctx) : answerWithMedia(offer, ctx)));
    if (!outcome.ok) {
      this.deps.log.warn({ link: this.id, status: outcome.response.status }, `link ${this.id}: not answered: ${outcome.reason.reason}`);
      this.refuse(call, outcome.response, outcome.reason);
      await this.media.close();
      return;
    }
    if ('offered' in outcome) this.local = this.offerInAck = outcome.offered;
    else [this.local, this.negotiated] = [outcome.local, outcome.negotiated];
    call.accept(outcome.sdp);
    if (call.ended) return; // the caller gave up meanwhile (CANCEL): its 'ended' did the rest
    this.markAnswered();
    if (this.stateValue === 'idle' || this.stateValue === 'offered') this.transition('connected', 'answered');
  }

  private setupContext(remoteHost: string | undefined, signalling: Signalling): SetupContext {
    const { media, profile, input, output } = this;
    return { media, profile, input, output, localAddress: this.deps.mediaAddressFor(remoteHost), agent: this.deps.ua.userAgentName, signalling };
  }

  reject(status = 603, reason = 'Decline'): void {
    const call = this.incomingCall;
    if (this.stateValue !== 'offered' || !call) throw new AcipError('CONFLICT', `link ${this.id} is ${this.stateValue}, not waiting for an answer`, 'id');
    this.userHungUp = true;
    this.refuse(call, { status, reason, headers: [] }, { by: 'local', sipStatus: status, reason: `rejected (${reason})` });
  }

  /**
   * Send a final non-2xx to the INVITE and end the link. The record and the end come first: the
   * rejection ends the call, and its 'ended' event must find the link ended. When the caller has
   * already gone (CANCEL), nothing is sent and its 'ended' event has done the rest.
   */
  private refuse(call: LinkIncomingCall, response: FailureResponse, reason: LinkEndReason): void {
    if (call.ended || this.stateValue === 'ended') return;
    this.finishAttempt(reason);
    this.transition('ended', `answered ${response.status}: ${reason.reason}`);
    call.reject(response.status, response.reason, response.headers);
  }

  // ---- shared call handling -----------------------------------------------------------------

  private bindCall(call: LinkCall): void {
    this.call = call;
    call.on('ended', (info) => this.onCallEnded(call, info));
    call.on('reinvite', (offer) => void this.onReinvite(offer));
    call.on('ack-answer', ({ sdp }) => void this.onAnswerInAck(call, sdp));
    call.on('reinvite-answer', ({ sdp }) => void this.onAnswerInAck(call, sdp));
  }

  private onCallEnded(call: LinkCall, info: CallEndInfo): void {
    if (call !== this.call) return;
    if (this.stateValue === 'ended' || this.stateValue === 'failed' || this.stateValue === 'redialling') return;
    const reason: LinkEndReason = {
      by: info.by,
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
    void this.media.close();
    if (this.redialsOnLoss && !this.userHungUp) {
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
    void this.media.close();
    if (this.userHungUp) {
      this.transition('ended', reason.reason);
      return;
    }
    this.transition('failed', reason.reason);
    if (this.redialsOnLoss) {
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
    if (this.stateValue !== 'connected' || !this.redialsOnLoss) return;
    // Record the reason first: the BYE ends the call, and its 'ended' event must not be what the
    // history remembers (it would read "local: hung up" instead of the no-media timeout).
    const call = this.call;
    this.callOver({ by: 'network', reason: `no media for ${this.deps.noMediaTimeoutMs / 1000} s` });
    void this.hangupCall(call);
  }

  /** Nothing from the far end for the inactivity timeout: hang up (a permanent link redials), reason first. */
  private onInactive(silentForMs: number): void {
    if (this.stateValue !== 'connected') return;
    const seconds = this.deps.inactivityTimeoutMs / 1000;
    this.deps.log.warn({ link: this.id, silentForMs }, `link ${this.id}: nothing from ${this.remote} for ${seconds} s, hanging up`);
    this.deps.onMediaEvent(this, 'inactive', { silentForMs, timeoutS: seconds, redials: this.redialsOnLoss });
    const call = this.call;
    this.callOver({ by: 'network', reason: `no media for ${seconds} s` });
    void this.hangupCall(call);
  }

  /**
   * The worker running this session died: the session is gone. A permanent link redials; any other
   * connected link is hung up with the reason, rather than left connected without audio.
   */
  private onMediaEngineLost(info: MediaSessionClosed): void {
    this.deps.log.warn({ link: this.id, ...info }, `link ${this.id}: media session lost: ${info.message}`);
    if (this.stateValue !== 'connected') return;
    if (this.redialsOnLoss) {
      this.onNoMedia();
      return;
    }
    const call = this.call;
    this.callOver({ by: 'error', reason: 'media engine failed (worker exited)' });
    void this.hangupCall(call);
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
      case 'ringing':
        this.outgoingCall?.cancel();
        this.finishAttempt({ by: 'local', reason: 'cancelled' });
        void this.media.close();
        this.transition('ended', 'cancelled');
        return;
      case 'connected':
        // Record first: the BYE ends the call, and its 'ended' event then finds the attempt written.
        this.finishAttempt({ by: 'local', reason: 'hung up' });
        this.transition('ending', 'hang-up');
        await this.hangupCall();
        await this.media.close();
        this.transition('ended', 'hung up');
        return;
      case 'idle': {
        // An inbound call still being auto-answered: refuse it; the answer in progress then sends nothing.
        const call = this.incomingCall;
        if (call && !call.ended) {
          this.refuse(call, { status: 486, reason: 'Busy Here', headers: [] }, { by: 'local', sipStatus: 486, reason: 'hung up while answering' });
        } else this.transition('ended', 'hung up');
        await this.media.close();
        return;
      }
      default:
        return;
    }
  }

  private async hangupCall(call: LinkCall | undefined = this.call): Promise<void> {
    if (!call || call.ended) return;
    try {
      await call.bye();
    } catch (err) {
      this.deps.log.warn({ link: this.id, err: String(err) }, `link ${this.id}: BYE failed`);
    }
  }

  // ---- re-INVITE (mid-call codec change, EBU Tech 3326) ---------------------------------------

  private async onReinvite(offer: ReinviteOffer): Promise<void> {
    const { media, profile } = this;
    const agent = this.deps.ua.userAgentName;
    const res = await answerReoffer(offer.offerSdp, { media, profile, agent, localAddress: this.deps.mediaAddressFor(undefined), previous: this.local });
    if (!res.ok) {
      offer.reject(res.response.status, res.response.reason, res.response.headers);
      return;
    }
    offer.accept(res.sdp);
    // RFC 3264 §8: without an offer in the re-INVITE, ours is in the 2xx and the ACK answers it.
    if ('offered' in res) this.offerInAck = res.offered;
    else this.adoptSession(res.local, res.negotiated, 're-INVITE accepted');
  }

  /**
   * The answer to the offer in our 2xx, from the ACK (RFC 3264 §4, §8), put into effect as an
   * answer in a 200 OK is. No answer, or one we cannot use, leaves no session: BYE, with why.
   */
  private async onAnswerInAck(call: LinkCall, answerSdp: string | undefined): Promise<void> {
    const offered = this.offerInAck;
    this.offerInAck = undefined;
    if (call !== this.call || !offered || this.stateValue !== 'connected') return;
    const res = await applyAnswerInAck(offered, answerSdp, { media: this.media, profile: this.profile });
    if (this.stateValue !== 'connected') return;
    if (res.ok) return this.adoptSession(offered, res.negotiated, 'the ACK answered our offer');
    this.deps.log.warn({ link: this.id }, `link ${this.id}: ${res.reason.reason}; hanging up`);
    this.callOver(res.reason);
    await this.hangupCall(call);
  }

  /** A new offer/answer is in effect: remember it, restart the inactivity clock, publish. */
  private adoptSession(local: LocalSession, negotiated: NegotiatedMedia, why: string): void {
    this.local = local;
    this.negotiated = negotiated;
    this.inactivity.touch();
    this.deps.log.info({ link: this.id, codec: negotiated.codecId }, `link ${this.id}: ${why}, now ${negotiated.encodingName}`);
    this.deps.onChange(this);
  }

  /** Change profile mid-call by sending a re-INVITE. */
  async changeProfile(profile: Profile): Promise<void> {
    if (this.stateValue !== 'connected' || !this.call || !this.local || !this.media.session) {
      throw new AcipError('CONFLICT', `link ${this.id} is ${this.stateValue}; only a connected link can change codec`, 'id');
    }
    const { offered, negotiated } = await reofferProfile(this.call, this.local, profile, this.media);
    this.profile = profile;
    this.adoptSession(offered, negotiated, 'codec changed');
  }

  /** Wait for pending media work (tests, shutdown). */
  settled(): Promise<void> {
    return this.media.settled();
  }

  // ---- bookkeeping -------------------------------------------------------------------------

  private startAttempt(): void {
    this.attempt.start();
    this.early.reset();
    this.media.lastStats = undefined;
  }

  private markAnswered(): void {
    this.attempt.markAnswered();
  }

  /** INVITE → 200 OK, ms, when answered. */
  get answerDelayMs(): number | undefined {
    return this.attempt.answerDelayMs;
  }

  /** Called at 1 Hz by the manager while connected: feeds the quality summary; returns the stats it read. */
  sample(): MediaSessionStats | undefined {
    const s = this.media.session?.stats();
    if (!s || !s.jitterBuffer) return s;
    this.media.lastStats = s;
    this.attempt.sample(s.rtp.rx.jitterMs, s.jitterBuffer.currentDelayMs);
    return s;
  }

  private facts(): LinkFacts {
    return {
      id: this.id,
      direction: this.direction,
      remote: this.remote,
      remoteName: this.remoteName,
      phonebookId: this.phonebookId,
      profileName: this.profile.name,
      redials: this.redials,
    };
  }

  /** Close the attempt: write its history record once. */
  private finishAttempt(reason: LinkEndReason): void {
    if (!this.attempt.open) return;
    this.endReason = reason;
    this.attempt.finish(this.facts(), reason, this.negotiated, this.media.session?.stats() ?? this.media.lastStats);
  }

  /** Just the meters (the 10 Hz feed), without building the whole snapshot. */
  meters(): LinkMeters | null {
    const s = this.media.openStats();
    return s ? metersOf(s) : null;
  }

  snapshot(): LinkSnapshot {
    return buildSnapshot({
      facts: this.facts(),
      state: this.stateValue,
      permanent: this.permanent,
      input: this.input,
      output: this.output,
      createdAtWall: this.createdAtWall,
      times: this.attempt.times,
      nowMono: this.deps.clock.now(),
      negotiated: this.negotiated,
      signalling: this.local?.signalling,
      stats: this.media.openStats(),
      localSdp: this.call?.localSdp,
      remoteSdp: this.call?.remoteSdp,
      endReason: this.endReason,
    });
  }

  /** Close everything without signalling (service shutdown after BYEs were attempted). */
  async close(): Promise<void> {
    this.redialTimer?.cancel();
    this.ringTimer?.cancel();
    this.inactivity.stop();
    if (this.stateValue === 'connected' || this.stateValue === 'dialling' || this.stateValue === 'ringing' || this.stateValue === 'offered') {
      await this.hangup().catch(() => undefined);
    }
    await this.media.close();
    if (this.stateValue === 'redialling' || this.stateValue === 'failed') this.transition('ended', 'service stopping');
  }
}
