/**
 * The link manager owns every link and the runtime state around them: inbound call policy, the link
 * limit, registration at a registrar, reachability probes of the phonebook, alarms and call history.
 * It publishes link snapshots through a typed emitter (the WebSocket feed and metrics read them), a
 * cheap `state` event on every state change, and is the `LinksPort` the API talks to. It knows
 * which SIP call each link holds (`callOf`), and lets an INVITE with Replaces take a link's call
 * over (RFC 3891 attended transfer).
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { AcipError } from '../util/errors.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type { AcipConfig } from '../config/schema.js';
import type { Profile } from '../config/profile-schema.js';
import { warningHeader } from '../sip/ua/uas-policy.js';
import { parseInputSpec, parseOutputSpec } from '../media/audio-spec.js';
import { isAcipError } from '../util/errors.js';
import { validateSipUri, type Phonebook } from '../store/phonebook.js';
import type { CallHistory, CallRecord } from '../store/call-history.js';
import { Link, type LinkDeps, type LinkInit } from './link.js';
import type { LinkLogger } from './link-logger.js';
import type { LinkManagerUa, LinkRegistration } from './call-port.js';
import type { DialRequest, LinksPort } from './links-port.js';
import { duplicatePathFor } from './link-media.js';
import type { Alarm, LinkMeters, LinkSnapshot, RegistrationStatus } from './link-types.js';
import { DEFAULT_BACKOFF } from '../util/backoff.js';
import type { MediaSessionOpener } from '../media/worker/media-session-like.js';
import type { OverloadGuard, OverloadStatus } from './overload-guard.js';
import type { LinkState } from './link-state.js';
import { AlarmBoard, type SystemAlarmKind } from './alarm-board.js';
import { LinkHealthAlarms } from './link-health-alarms.js';
import { PhonebookProber, type Reachability } from './phonebook-prober.js';
import { startLinkRegistration } from './link-registration.js';
import { allowedCaller, packetSource } from './inbound-policy.js';
import { LinkCalls, type HeaderInviteUa, type LinkCallInfo, type ReplacingIncomingCall } from './link-calls.js';
import type { LinkManagerEvents } from './link-events.js';
import { RefusalLog } from './refusal-log.js';

export type { LinkStateChange, LinkManagerEvents } from './link-events.js';
export type { LinkCallInfo } from './link-calls.js';

export interface LinkManagerDeps {
  /**
   * The SIP user agent (`SipUserAgent`), through the calls, registration and probes links need;
   * it places an INVITE with extra headers (Replaces) for an attended transfer.
   */
  ua: HeaderInviteUa & LinkManagerUa;
  clock: Clock;
  config: AcipConfig;
  profiles: () => ReadonlyMap<string, Profile>;
  phonebook: Pick<Phonebook, 'get' | 'findByUri' | 'list'> & Partial<Pick<Phonebook, 'findByInboundUser'>>;
  history: Pick<CallHistory, 'add'>;
  log: LinkLogger;
  /** RTP port range, parsed from config. */
  portRange: { min: number; max: number };
  /** Address for our SDP c= line towards a remote host. */
  mediaAddressFor: (remoteHost: string | undefined) => string;
  /** Outbound call set-up time (INVITE → 200 OK), for the histogram. */
  onCallSetup?: (seconds: number) => void;
  /** How long ended links stay visible on the board (at most `links.keepEnded` of them). */
  keepEndedMs?: number;
  /** Media sessions' opener (a MediaWorkerPool's opener()); default: in this thread on `clock`. */
  openMedia?: MediaSessionOpener;
  /** Admission control (an OverloadMonitor's guard): new links are refused while it says overloaded. */
  overload?: Pick<OverloadGuard, 'admit' | 'status' | 'onChange'>;
}

/** How long an ended link stays on the board when the caller does not say. */
const KEEP_ENDED_MS = 10 * 60_000;

/** Sizes of the manager's collections, for leak checks: each stays bounded however many calls pass. */
export interface LinkManagerCounts {
  links: number;
  ended: number;
  lossWindows: number;
  openAlarms: number;
  alarms: number;
}

export class LinkManager implements LinksPort {
  /**
   * The port's events and `state`. One emitter seen as both (a TypedEmitter of more events is not
   * assignable to one of fewer, because of its private listener map; every `LinksEvents` listener
   * gets exactly what that type promises).
   */
  readonly events = new TypedEmitter<LinkManagerEvents>();
  private readonly links = new Map<string, Link>();
  /** The last state each link was published in (the `previous` of its next `state` event). */
  private readonly lastState = new Map<string, LinkState>();
  /** Ended links by id, oldest first (a Map keeps insertion order): when each ended. */
  private readonly endedAt = new Map<string, number>();
  /**
   * Active inbound links per packet source, kept as links start and end so that admitting an INVITE
   * does not walk every link on the board (nothing leaves `ended`, so each link counts down once).
   */
  private readonly activeBySource = new Map<string, number>();
  /** Concealed frames of each connected link at the last 1 Hz sample (rebuilt every sample, so bounded). */
  private lastConcealed = new Map<string, number>();
  private concealingNow = 0;
  private readonly alarmBoard: AlarmBoard;
  /** Refused inbound calls, logged at most once a second per kind (see refusal-log.ts). */
  private readonly refusals: RefusalLog;
  private readonly prober: PhonebookProber;
  private readonly calls = new LinkCalls();
  private readonly health: LinkHealthAlarms;
  private registrationValue: RegistrationStatus | null = null;
  private registrationHandle: LinkRegistration | undefined;
  private sampler: TimerHandle | undefined;
  private closed = false;
  private readonly linkDeps: LinkDeps;

  constructor(private readonly deps: LinkManagerDeps) {
    const cfg = deps.config;
    this.events.onListenerError = (event, err) => deps.log.error({ event, err: String(err) }, 'link event listener threw');
    this.refusals = new RefusalLog(deps.clock, deps.log);
    this.alarmBoard = new AlarmBoard({ clock: deps.clock, log: deps.log, publish: (a) => this.events.emit('alarm', a) });
    this.health = new LinkHealthAlarms(this.alarmBoard, cfg.links.lossAlarmPct);
    this.prober = new PhonebookProber({ ua: deps.ua, clock: deps.clock, phonebook: deps.phonebook, intervalS: cfg.links.probeIntervalS });
    this.linkDeps = {
      ua: deps.ua,
      clock: deps.clock,
      log: deps.log,
      mediaAddressFor: deps.mediaAddressFor,
      mediaBindHost: cfg.rtp.host,
      portRange: deps.portRange,
      noMediaTimeoutMs: cfg.rtp.noMediaTimeoutS * 1000,
      inactivityTimeoutMs: (cfg.rtp.inactivityTimeoutS ?? 30) * 1000,
      ringTimeoutMs: cfg.links.ringTimeoutS * 1000,
      backoff: { ...DEFAULT_BACKOFF, initialMs: cfg.links.redialInitialS * 1000, maxMs: cfg.links.redialMaxS * 1000 },
      silence: { thresholdDbfs: cfg.links.silenceThresholdDbfs, durationMs: cfg.links.silenceDurationS * 1000 },
      onChange: (link) => this.onLinkChange(link),
      onCallRecord: (r) => this.onCallRecord(r),
      onMediaEvent: (link, event, detail) => this.health.onMediaEvent(link, event, detail),
      ...(deps.openMedia ? { openMedia: deps.openMedia } : {}),
      ...(cfg.rtp.duplicatePath ? { duplicatePath: cfg.rtp.duplicatePath } : {}),
    };
    deps.ua.on('incomingCall', (call) => void (call.replaces ? this.onReplacing(call, call.replaces) : this.onIncoming(call)));
    if (deps.overload) {
      deps.overload.onChange = (state, reason) => {
        if (state === 'overloaded') this.raiseSystemAlarm('overload', 'admission', `overloaded, new links refused: ${reason ?? ''}`);
        else this.clearSystemAlarm('overload', 'admission');
      };
    }
  }

  start(): void {
    this.sampler = this.deps.clock.setTimer(1000, () => this.sample());
    this.prober.start();
    const reg = this.deps.config.sip.registration;
    if (reg) {
      this.registrationHandle = startLinkRegistration(reg, {
        ua: this.deps.ua,
        clock: this.deps.clock,
        log: this.deps.log,
        alarms: this.alarmBoard,
        onStatus: (status) => {
          this.registrationValue = status;
          this.events.emit('registration', status);
        },
      });
    }
  }

  // ---- LinksPort ------------------------------------------------------------------------------

  list(): LinkSnapshot[] {
    return [...this.links.values()].map((l) => l.snapshot());
  }

  get(id: string): LinkSnapshot | undefined {
    return this.links.get(id)?.snapshot();
  }

  meters(): { id: string; meters: LinkMeters }[] {
    const out: { id: string; meters: LinkMeters }[] = [];
    for (const l of this.links.values()) {
      const m = l.meters();
      if (m) out.push({ id: l.id, meters: m });
    }
    return out;
  }

  /** Links per state without building snapshots (`/api/status`, metrics): O(links), no allocation per link. */
  stateCounts(): { total: number; byState: Record<string, number> } {
    const byState: Record<string, number> = {};
    for (const l of this.links.values()) byState[l.state] = (byState[l.state] ?? 0) + 1;
    return { total: this.links.size, byState };
  }

  /** The load the admission decision reads, null without admission control. */
  load(): OverloadStatus | null {
    return this.deps.overload?.status() ?? null;
  }

  /** Links not ended: every link on the board but the ended ones (`endedAt` holds exactly those). */
  private activeCount(): number {
    return this.links.size - this.endedAt.size;
  }

  /** Active inbound links whose INVITE came from `source` (outbound links count against no source). */
  private sourceCount(source: string): number {
    return this.activeBySource.get(source) ?? 0;
  }

  /** A link of `source` ended (or was never set up): it no longer counts against the source. */
  private releaseSource(source: string | undefined): void {
    if (source === undefined) return;
    const n = (this.activeBySource.get(source) ?? 0) - 1;
    if (n > 0) this.activeBySource.set(source, n);
    else this.activeBySource.delete(source);
  }

  /**
   * Connected links whose playout concealed audio between the last two 1 Hz samples: the admission
   * guard's evidence that a saturated machine is hurting the links it carries.
   */
  concealingLinks(): number {
    return this.concealingNow;
  }

  /** Sizes of the internal collections (leak checks in tests, diagnostics). */
  debugCounts(): LinkManagerCounts {
    return { links: this.links.size, ended: this.endedAt.size, lossWindows: this.health.windows, openAlarms: this.alarmBoard.openCount, alarms: this.alarmBoard.size };
  }

  /**
   * The link's SIP call and its dialog identifiers (Call-ID, our tag, the peer's tag: what a
   * Replaces header names, RFC 3891 §6.1) while the link holds a live call with a dialog; else
   * undefined.
   */
  callOf(linkId: string): LinkCallInfo | undefined {
    return this.links.has(linkId) ? this.calls.callOf(linkId) : undefined;
  }

  /** The link whose current call is `call` (a call the user agent reports an event of, e.g. a REFER). */
  linkOfCall(call: object): string | undefined {
    return this.calls.linkOfCall(call);
  }

  /** A new link, on the board and in the `state` feed; `headers` go in its first INVITE. */
  private addLink(init: LinkInit, headers?: [string, string][]): Link {
    let id = '';
    const entry = init.phonebookId !== undefined ? this.deps.phonebook.get(init.phonebookId) : undefined;
    const duplicatePath = duplicatePathFor(this.deps.config.rtp.duplicatePath, entry?.duplicateRemote, this.deps.config.rtp.host);
    const link = new Link({ ...this.linkDeps, ...(duplicatePath ? { duplicatePath } : {}), ua: this.calls.portFor(this.deps.ua, () => id, headers) }, init);
    id = link.id;
    this.links.set(link.id, link);
    if (init.source !== undefined) this.activeBySource.set(init.source, (this.activeBySource.get(init.source) ?? 0) + 1);
    this.lastState.set(link.id, link.state);
    this.events.emit('state', { id: link.id, state: link.state, previous: null });
    return link;
  }

  private profileOrThrow(name: string | undefined, field: string): Profile {
    const wanted = name ?? this.deps.config.defaultProfile;
    const p = this.deps.profiles().get(wanted);
    if (!p) throw new AcipError('VALIDATION', `${field}: no profile named ${JSON.stringify(wanted)}`, field);
    return p;
  }

  /** `opts.headers` go in the INVITE (a Replaces, when acip follows an attended transfer, RFC 3891 §7.1). */
  dial(req: DialRequest, opts: { headers?: [string, string][] } = {}): LinkSnapshot {
    if (this.closed) throw new AcipError('CONFLICT', 'the service is stopping');
    validateSipUri(req.to, 'to');
    const entry = req.phonebookId !== undefined ? this.deps.phonebook.get(req.phonebookId) : this.deps.phonebook.findByUri(req.to);
    if (req.phonebookId !== undefined && !entry) throw new AcipError('VALIDATION', `phonebookId: no phonebook entry ${JSON.stringify(req.phonebookId)}`, 'phonebookId');
    const profile = this.profileOrThrow(req.profile ?? entry?.profile, 'profile');
    const input = req.input ?? this.deps.config.audio.input;
    const output = req.output ?? this.deps.config.audio.output;
    for (const [field, fn, v] of [
      ['input', parseInputSpec, input],
      ['output', parseOutputSpec, output],
    ] as const) {
      try {
        fn(v, field);
      } catch (err) {
        if (isAcipError(err)) throw new AcipError('VALIDATION', err.message, field);
        throw err;
      }
    }
    if (this.activeCount() >= this.deps.config.sip.maxLinks) {
      throw new AcipError('LINK_LIMIT', `the link limit (${this.deps.config.sip.maxLinks}) is reached; hang up a link first`);
    }
    const admission = this.deps.overload?.admit();
    if (admission && !admission.ok) {
      throw new AcipError('OVERLOADED', `the service is overloaded (${admission.reason}); try again in ${admission.retryAfterS} s`);
    }
    const link = this.addLink(
      {
        direction: 'outbound',
        remote: req.to.trim(),
        ...(entry ? { remoteName: entry.name, phonebookId: entry.id } : {}),
        ...(entry?.tlsVerify === false ? { dial: { tlsVerify: false } } : {}),
        profile,
        input,
        output,
        permanent: req.permanent ?? false,
      },
      opts.headers,
    );
    link.dial();
    return link.snapshot();
  }

  private linkOrThrow(id: string): Link {
    const l = this.links.get(id);
    if (!l) throw new AcipError('NOT_FOUND', `no link ${JSON.stringify(id)}`, 'id');
    return l;
  }

  hangup(id: string): LinkSnapshot {
    const l = this.linkOrThrow(id);
    void l.hangup().catch((err: unknown) => this.deps.log.error({ link: id, err: String(err) }, 'hang-up failed'));
    return l.snapshot();
  }

  answer(id: string): LinkSnapshot {
    const l = this.linkOrThrow(id);
    if (l.state !== 'offered') throw new AcipError('CONFLICT', `link ${id} is ${l.state}, not waiting for an answer`, 'id');
    void l.answerIncoming().catch((err: unknown) => this.deps.log.error({ link: id, err: String(err) }, 'answer failed'));
    return l.snapshot();
  }

  async changeProfile(id: string, profileName: string): Promise<LinkSnapshot> {
    const l = this.linkOrThrow(id);
    const profile = this.profileOrThrow(profileName, 'profile');
    await l.changeProfile(profile);
    return l.snapshot();
  }

  reject(id: string): LinkSnapshot {
    const l = this.linkOrThrow(id);
    l.reject();
    return l.snapshot();
  }

  registration(): RegistrationStatus | null {
    return this.registrationValue;
  }

  alarms(): Alarm[] {
    return this.alarmBoard.all();
  }

  ackAlarm(id: string): Alarm {
    return this.alarmBoard.ack(id);
  }

  reachability(phonebookId: string): Reachability {
    return this.prober.get(phonebookId);
  }

  // ---- inbound ---------------------------------------------------------------------------------

  private async onIncoming(call: ReplacingIncomingCall): Promise<void> {
    const from = call.from.uri;
    const policy = this.deps.config.links.answerPolicy;
    if (this.closed) {
      call.reject(503, 'Service Unavailable');
      return;
    }
    if (this.activeCount() >= this.deps.config.sip.maxLinks) {
      this.refusals.warn('link-limit', { from }, `inbound call from ${from} refused: link limit ${this.deps.config.sip.maxLinks} reached`);
      call.reject(486, 'Busy Here');
      return;
    }
    const source = packetSource(call.remoteAddress.address);
    const perSource = this.deps.config.links.maxPerSource ?? 4;
    if (this.sourceCount(source) >= perSource) {
      this.refusals.warn('source-limit', { from, source }, `inbound call from ${from} refused: ${source} already holds ${perSource} links (links.maxPerSource)`);
      call.reject(486, 'Busy Here', [['Warning', warningHeader(this.deps.ua.userAgentName, 399, `too many links from ${source} (limit ${perSource})`)]]);
      return;
    }
    // A caller that passed the digest challenge is the phonebook entry holding those credentials,
    // whatever its From says; without one, the From URI names the entry (a claim, not proof).
    const authEntry = call.authenticatedUser !== undefined ? this.deps.phonebook.findByInboundUser?.(call.authenticatedUser) : undefined;
    if (policy === 'allow-list' && !authEntry && !allowedCaller(from, this.deps.config.links.allowList, this.deps.phonebook)) {
      this.deps.log.warn({ from }, `inbound call from ${from} refused: not on the allow-list`);
      call.reject(403, 'Forbidden');
      return;
    }
    const admission = this.deps.overload?.admit();
    if (admission && !admission.ok) {
      this.refusals.warn('overload', { from }, `inbound call from ${from} refused: overloaded (${admission.reason})`);
      // RFC 3261 §21.5.4: 503 with Retry-After tells the caller when to try again, not to give up.
      call.reject(503, 'Service Unavailable', [
        ['Retry-After', String(admission.retryAfterS)],
        ['Warning', warningHeader(this.deps.ua.userAgentName, 399, 'overloaded: new links refused')],
      ]);
      return;
    }
    const entry = authEntry ?? this.deps.phonebook.findByUri(from);
    let profile: Profile;
    try {
      profile = this.profileOrThrow(entry?.profile, 'profile');
    } catch {
      call.reject(500, 'Server Internal Error', [['Warning', warningHeader(this.deps.ua.userAgentName, 399, 'no default profile loaded')]]);
      return;
    }
    const remoteName = entry?.name ?? call.from.displayName;
    const link = this.addLink({
      direction: 'inbound',
      remote: from,
      ...(remoteName ? { remoteName } : {}),
      ...(entry ? { phonebookId: entry.id } : {}),
      profile,
      input: this.deps.config.audio.input,
      output: this.deps.config.audio.output,
      permanent: false,
      source,
    });
    this.calls.set(link.id, call);
    this.onLinkChange(link);
    try {
      await link.acceptIncoming(call, policy !== 'manual');
    } catch (err) {
      this.deps.log.error({ link: link.id, err: String(err) }, 'inbound call set-up failed');
    }
  }

  /**
   * RFC 3891 §3: an INVITE whose Replaces the core matched to a confirmed dialog (or an early one
   * we initiated) takes that call over. The new call gets the replaced link's profile, input and
   * output and is answered whatever the answer policy (admission has passed; it takes a link's
   * place, so no limit counts it); once it is connected, the replaced link ends with BYE (CANCEL
   * while still ringing). A dialog that belongs to no live link → 481.
   */
  private async onReplacing(call: ReplacingIncomingCall, replaces: NonNullable<ReplacingIncomingCall['replaces']>): Promise<void> {
    const from = call.from.uri;
    const oldId = this.calls.linkOfDialog({ callId: replaces.callId, localTag: replaces.toTag, remoteTag: replaces.fromTag });
    const old = oldId === undefined ? undefined : this.links.get(oldId);
    if (this.closed || !old || !old.active) {
      call.reject(481, 'Call/Transaction Does Not Exist');
      return;
    }
    const entry = this.deps.phonebook.findByUri(from);
    const remoteName = entry?.name ?? call.from.displayName;
    const link = this.addLink({
      direction: 'inbound',
      remote: from,
      ...(remoteName ? { remoteName } : {}),
      ...(entry ? { phonebookId: entry.id } : {}),
      profile: old.profile,
      input: old.input,
      output: old.output,
      permanent: false,
      source: packetSource(call.remoteAddress.address),
    });
    this.calls.set(link.id, call);
    this.deps.log.info({ link: link.id, replaces: old.id, from }, `link ${link.id} from ${from} replaces link ${old.id} (RFC 3891)`);
    const off = this.events.on('state', (c) => {
      if (c.id !== link.id) return;
      if (c.state === 'connected') this.endReplaced(old, `replaced by ${remoteName ?? from}`);
      if (c.state === 'connected' || c.state === 'ended' || c.state === 'failed') off();
    });
    this.onLinkChange(link);
    try {
      await link.acceptIncoming(call, true);
    } catch (err) {
      this.deps.log.error({ link: link.id, err: String(err) }, 'replacing call set-up failed');
    }
  }

  /** End a link whose call another took over: BYE saying why, and no redial for a permanent link. */
  private endReplaced(old: Link, reason: string): void {
    const c = this.calls.callOf(old.id);
    if (old.state === 'connected' && c) void c.call.bye(reason).catch(() => undefined);
    if (old.active) void old.hangup().catch((err: unknown) => this.deps.log.error({ link: old.id, err: String(err) }, 'hang-up failed'));
  }

  // ---- publishing, history, alarms -------------------------------------------------------------

  private onLinkChange(link: Link): void {
    // A link already dropped from the board stays dropped (its last steps may still report).
    if (this.links.get(link.id) !== link) return;
    const state = link.state;
    const previous = this.lastState.get(link.id) ?? null;
    if (previous !== state) {
      this.lastState.set(link.id, state);
      this.events.emit('state', { id: link.id, state, previous });
    }
    if (state === 'connected') this.clearAlarm('link-down', link.id);
    else this.health.resetLoss(link.id); // a new call starts a new window
    if ((state === 'failed' || state === 'redialling') && link.permanent) {
      const reason = link.snapshot().endReason?.reason ?? state;
      this.raiseAlarm('link-down', link.id, `permanent link to ${link.remoteName ?? link.remote} is down: ${reason}`);
    }
    // A snapshot costs more than the rest of a state change: built only when someone listens.
    if (this.events.listenerCount('link') > 0) this.events.emit('link', link.snapshot());
    if (state === 'ended') {
      if (!this.endedAt.has(link.id)) this.releaseSource(link.source);
      this.endedAt.set(link.id, this.deps.clock.now());
      const keep = this.deps.config.links.keepEnded ?? 50;
      for (const id of this.endedAt.keys()) {
        if (this.endedAt.size <= keep) break;
        this.forget(id);
      }
    }
  }

  /** Drop an ended link from memory and the board (its history record is on disk). */
  private forget(id: string): void {
    this.links.delete(id);
    this.lastState.delete(id);
    this.calls.delete(id);
    this.endedAt.delete(id);
    this.health.resetLoss(id);
    this.alarmBoard.forgetLink(id);
    this.events.emit('removed', id);
  }

  private onCallRecord(r: CallRecord): void {
    try {
      this.deps.history.add(r);
    } catch (err) {
      this.deps.log.error({ err: String(err) }, 'could not write call history');
    }
    if (r.direction === 'outbound' && r.answerDelayMs !== undefined) this.deps.onCallSetup?.(r.answerDelayMs / 1000);
  }

  /**
   * An alarm that belongs to no link (a blocked source, an unsafe configuration, overload), keyed so the
   * same condition is raised once until it is cleared.
   */
  raiseSystemAlarm(kind: SystemAlarmKind, key: string, message: string): void {
    this.alarmBoard.raiseSystem(kind, key, message);
  }

  clearSystemAlarm(kind: SystemAlarmKind, key: string): void {
    this.alarmBoard.clearSystem(kind, key);
  }

  private raiseAlarm(key: string, linkId: string | undefined, message: string, kind?: Alarm['kind']): void {
    this.alarmBoard.raise(key, linkId, message, kind);
  }

  private clearAlarm(key: string, linkId: string | undefined): void {
    this.alarmBoard.clear(key, linkId);
  }

  /** 1 Hz: quality sampling, loss alarms, and forgetting old ended links. */
  private sample(): void {
    if (this.closed) return;
    const now = this.deps.clock.now();
    const keep = this.deps.keepEndedMs ?? KEEP_ENDED_MS;
    const concealed = new Map<string, number>();
    let concealing = 0;
    for (const link of this.links.values()) {
      if (link.state !== 'connected') continue;
      const s = link.sample();
      if (!s) continue;
      this.health.checkLoss(link, s);
      const frames = s.jitterBuffer?.concealedFrames;
      if (frames === undefined) continue;
      concealed.set(link.id, frames);
      if (frames > (this.lastConcealed.get(link.id) ?? frames)) concealing++;
    }
    this.lastConcealed = concealed;
    this.concealingNow = concealing;
    for (const [id, ended] of this.endedAt) {
      if (now - ended <= keep) break; // oldest first: the rest ended later
      this.forget(id);
    }
    this.sampler = this.deps.clock.setTimer(1000, () => this.sample());
  }

  /** Hang up every link (BYE/CANCEL), unregister, stop timers. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sampler?.cancel();
    this.prober.close();
    await Promise.all([...this.links.values()].map((l) => l.close().catch(() => undefined)));
    if (this.registrationHandle) {
      await Promise.race([this.registrationHandle.unregister().catch(() => undefined), new Promise((r) => this.deps.clock.setTimer(500, () => r(undefined)))]);
      this.registrationHandle.close();
    }
    this.events.removeAllListeners();
  }
}
