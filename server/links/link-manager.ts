/**
 * The link manager owns every link and the runtime state around them: inbound call policy, the link
 * limit, registration at a registrar, reachability probes of the phonebook, alarms and call history.
 * It publishes link snapshots through a typed emitter (the WebSocket feed and metrics read them) and is
 * the `LinksPort` the API talks to.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../util/clock.js';
import { AcipError } from '../util/errors.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type { AcipConfig } from '../config/schema.js';
import type { Profile } from '../config/profile-schema.js';
import { warningHeader } from '../sip/ua/uas-policy.js';
import { parseUri } from '../sip/grammar/uri.js';
import { parseInputSpec, parseOutputSpec } from '../media/audio-spec.js';
import { isAcipError } from '../util/errors.js';
import { validateSipUri, type Phonebook } from '../store/phonebook.js';
import type { CallHistory, CallRecord } from '../store/call-history.js';
import { Link, type LinkDeps } from './link.js';
import type { LinkMediaEvent } from './link-media.js';
import type { LinkLogger } from './link-logger.js';
import type { LinkIncomingCall, LinkManagerUa, LinkRegistration } from './call-port.js';
import type { DialRequest, LinksEvents, LinksPort } from './links-port.js';
import type { Alarm, LinkMeters, LinkSnapshot, RegistrationStatus } from './link-types.js';
import { DEFAULT_BACKOFF } from '../util/backoff.js';
import type { MediaSessionOpener } from '../media/worker/media-session-like.js';
import type { MediaSessionStats } from '../media/session-types.js';
import type { OverloadGuard, OverloadStatus } from './overload-guard.js';

export interface LinkManagerDeps {
  /** The SIP user agent (`SipUserAgent`), through the calls, registration and probes links need. */
  ua: LinkManagerUa;
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

interface Reachability {
  reachable: boolean | null;
  rttMs: number | null;
  status: number | null;
  checkedAt: string | null;
}

const MAX_ALARMS = 500;
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
  readonly events = new TypedEmitter<LinksEvents>();
  private readonly links = new Map<string, Link>();
  /** Ended links by id, oldest first (a Map keeps insertion order): when each ended. */
  private readonly endedAt = new Map<string, number>();
  private readonly alarmList: Alarm[] = [];
  /** Open alarms by key (kind + link), to clear them when the condition goes away. */
  private readonly openAlarms = new Map<string, Alarm>();
  private readonly reach = new Map<string, Reachability>();
  private readonly lossWindow = new Map<string, { expected: number; lost: number }[]>();
  private registrationValue: RegistrationStatus | null = null;
  private registrationHandle: LinkRegistration | undefined;
  private sampler: TimerHandle | undefined;
  private prober: TimerHandle | undefined;
  private closed = false;
  private readonly linkDeps: LinkDeps;

  constructor(private readonly deps: LinkManagerDeps) {
    const cfg = deps.config;
    this.events.onListenerError = (event, err) => deps.log.error({ event, err: String(err) }, 'link event listener threw');
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
      onMediaEvent: (link, event, detail) => this.onMediaEvent(link, event, detail),
      ...(deps.openMedia ? { openMedia: deps.openMedia } : {}),
      ...(cfg.rtp.duplicatePath ? { duplicatePath: cfg.rtp.duplicatePath } : {}),
    };
    deps.ua.on('incomingCall', (call) => void this.onIncoming(call));
    if (deps.overload) {
      deps.overload.onChange = (state, reason) => {
        if (state === 'overloaded') this.raiseSystemAlarm('overload', 'admission', `overloaded, new links refused: ${reason ?? ''}`);
        else this.clearSystemAlarm('overload', 'admission');
      };
    }
  }

  start(): void {
    this.sampler = this.deps.clock.setTimer(1000, () => this.sample());
    if (this.deps.config.links.probeIntervalS > 0) this.prober = this.deps.clock.setTimer(1000, () => void this.probe());
    const reg = this.deps.config.sip.registration;
    if (reg) this.startRegistration(reg);
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

  private activeCount(): number {
    let n = 0;
    for (const l of this.links.values()) if (l.active) n++;
    return n;
  }

  /** Active inbound links whose INVITE came from `source` (outbound links count against no source). */
  private sourceCount(source: string): number {
    let n = 0;
    for (const l of this.links.values()) if (l.active && l.source === source) n++;
    return n;
  }

  /** Sizes of the internal collections (leak checks in tests, diagnostics). */
  debugCounts(): LinkManagerCounts {
    return { links: this.links.size, ended: this.endedAt.size, lossWindows: this.lossWindow.size, openAlarms: this.openAlarms.size, alarms: this.alarmList.length };
  }

  private profileOrThrow(name: string | undefined, field: string): Profile {
    const wanted = name ?? this.deps.config.defaultProfile;
    const p = this.deps.profiles().get(wanted);
    if (!p) throw new AcipError('VALIDATION', `${field}: no profile named ${JSON.stringify(wanted)}`, field);
    return p;
  }

  dial(req: DialRequest): LinkSnapshot {
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
    const link = new Link(this.linkDeps, {
      direction: 'outbound',
      remote: req.to.trim(),
      ...(entry ? { remoteName: entry.name, phonebookId: entry.id } : {}),
      ...(entry?.tlsVerify === false ? { dial: { tlsVerify: false } } : {}),
      profile,
      input,
      output,
      permanent: req.permanent ?? false,
    });
    this.links.set(link.id, link);
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
    return [...this.alarmList].reverse();
  }

  ackAlarm(id: string): Alarm {
    const a = this.alarmList.find((x) => x.id === id);
    if (!a) throw new AcipError('NOT_FOUND', `no alarm ${JSON.stringify(id)}`, 'id');
    a.acknowledged = true;
    this.events.emit('alarm', a);
    return a;
  }

  reachability(phonebookId: string): Reachability {
    return this.reach.get(phonebookId) ?? { reachable: null, rttMs: null, status: null, checkedAt: null };
  }

  // ---- inbound ---------------------------------------------------------------------------------

  private allowed(uri: string): boolean {
    if (this.deps.phonebook.findByUri(uri)) return true;
    let user = '';
    let host = '';
    try {
      const u = parseUri(uri);
      user = (u.user ?? '').toLowerCase();
      host = u.host.toLowerCase();
    } catch {
      return false;
    }
    return this.deps.config.links.allowList.some((rule) => {
      const r = rule.toLowerCase().replace(/^sips?:/, '');
      if (r.startsWith('@')) return r.slice(1) === host;
      return r === `${user}@${host}`;
    });
  }

  private async onIncoming(call: LinkIncomingCall): Promise<void> {
    const from = call.from.uri;
    const policy = this.deps.config.links.answerPolicy;
    if (this.closed) {
      call.reject(503, 'Service Unavailable');
      return;
    }
    if (this.activeCount() >= this.deps.config.sip.maxLinks) {
      this.deps.log.warn({ from }, `inbound call from ${from} refused: link limit ${this.deps.config.sip.maxLinks} reached`);
      call.reject(486, 'Busy Here');
      return;
    }
    // Keyed by the packet source, never a header: From is whatever the caller writes. An IPv4 peer
    // on a dual-stack socket shows as ::ffff:a.b.c.d; it is the same source as a.b.c.d.
    const source = call.remoteAddress.address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
    const perSource = this.deps.config.links.maxPerSource ?? 4;
    if (this.sourceCount(source) >= perSource) {
      this.deps.log.warn({ from, source }, `inbound call from ${from} refused: ${source} already holds ${perSource} links (links.maxPerSource)`);
      call.reject(486, 'Busy Here', [['Warning', warningHeader(this.deps.ua.userAgentName, 399, `too many links from ${source} (limit ${perSource})`)]]);
      return;
    }
    // A caller that passed the digest challenge is the phonebook entry holding those credentials,
    // whatever its From says; without one, the From URI names the entry (a claim, not proof).
    const authEntry = call.authenticatedUser !== undefined ? this.deps.phonebook.findByInboundUser?.(call.authenticatedUser) : undefined;
    if (policy === 'allow-list' && !authEntry && !this.allowed(from)) {
      this.deps.log.warn({ from }, `inbound call from ${from} refused: not on the allow-list`);
      call.reject(403, 'Forbidden');
      return;
    }
    const admission = this.deps.overload?.admit();
    if (admission && !admission.ok) {
      this.deps.log.warn({ from }, `inbound call from ${from} refused: overloaded (${admission.reason})`);
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
    const link = new Link(this.linkDeps, {
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
    this.links.set(link.id, link);
    this.onLinkChange(link);
    try {
      await link.acceptIncoming(call, policy !== 'manual');
    } catch (err) {
      this.deps.log.error({ link: link.id, err: String(err) }, 'inbound call set-up failed');
    }
  }

  // ---- publishing, history, alarms -------------------------------------------------------------

  private onLinkChange(link: Link): void {
    // A link already dropped from the board stays dropped (its last steps may still report).
    if (this.links.get(link.id) !== link) return;
    const state = link.state;
    if (state === 'connected') this.clearAlarm('link-down', link.id);
    else this.lossWindow.delete(link.id); // a new call starts a new window
    if ((state === 'failed' || state === 'redialling') && link.permanent) {
      const reason = link.snapshot().endReason?.reason ?? state;
      this.raiseAlarm('link-down', link.id, `permanent link to ${link.remoteName ?? link.remote} is down: ${reason}`);
    }
    // A snapshot costs more than the rest of a state change: built only when someone listens.
    if (this.events.listenerCount('link') > 0) this.events.emit('link', link.snapshot());
    if (state === 'ended') {
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
    this.endedAt.delete(id);
    this.lossWindow.delete(id);
    // Its alarms stay in the alarm list; only the index of open ones lets go of them.
    for (const [k, a] of this.openAlarms) if (a.linkId === id) this.openAlarms.delete(k);
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

  private onMediaEvent(link: Link, event: LinkMediaEvent, detail: Record<string, unknown>): void {
    const who = link.remoteName ?? link.remote;
    switch (event) {
      case 'silence': {
        const dir = detail.direction === 'input' ? 'sent' : 'received';
        this.raiseAlarm(`silence-${String(detail.direction)}` as 'silence', link.id, `silence on the ${dir} audio of ${who}`, 'silence');
        break;
      }
      case 'silence-cleared':
        this.clearAlarm(`silence-${String(detail.direction)}`, link.id);
        break;
      case 'no-media':
        this.raiseAlarm('link-down', link.id, `no media from ${who}`);
        break;
      case 'media-restored':
        this.clearAlarm('link-down', link.id);
        break;
      case 'inactive':
        // A permanent link redials, and its redialling raises the link-down alarm with the same reason.
        if (detail.redials !== true) this.raiseAlarm('inactive', link.id, `link to ${who} hung up: nothing from it for ${String(detail.timeoutS)} s (no RTP, no RTCP)`, 'link-down');
        break;
    }
  }

  /**
   * An alarm that belongs to no link (a blocked source, an unsafe configuration, overload), keyed so the
   * same condition is raised once until it is cleared.
   */
  raiseSystemAlarm(kind: 'source-blocked' | 'insecure-config' | 'overload', key: string, message: string): void {
    this.raiseAlarm(`${kind}/${key}`, undefined, message, kind);
  }

  clearSystemAlarm(kind: 'source-blocked' | 'insecure-config' | 'overload', key: string): void {
    this.clearAlarm(`${kind}/${key}`, undefined);
  }

  private raiseAlarm(key: string, linkId: string | undefined, message: string, kind?: Alarm['kind']): void {
    const k = `${key}:${linkId ?? ''}`;
    if (this.openAlarms.has(k)) return;
    const alarm: Alarm = {
      id: randomUUID().slice(0, 8),
      kind: kind ?? (key as Alarm['kind']),
      ...(linkId ? { linkId } : {}),
      message,
      raisedAt: new Date(this.deps.clock.wallNow()).toISOString(),
      acknowledged: false,
    };
    this.openAlarms.set(k, alarm);
    this.alarmList.push(alarm);
    if (this.alarmList.length > MAX_ALARMS) this.alarmList.shift();
    this.deps.log.warn({ alarm: alarm.kind, link: linkId }, `alarm: ${message}`);
    this.events.emit('alarm', alarm);
  }

  private clearAlarm(key: string, linkId: string | undefined): void {
    const k = `${key}:${linkId ?? ''}`;
    const a = this.openAlarms.get(k);
    if (!a) return;
    this.openAlarms.delete(k);
    a.clearedAt = new Date(this.deps.clock.wallNow()).toISOString();
    this.deps.log.info({ alarm: a.kind, link: linkId }, `alarm cleared: ${a.message}`);
    this.events.emit('alarm', a);
  }

  /** 1 Hz: quality sampling, loss alarms, and forgetting old ended links. */
  private sample(): void {
    if (this.closed) return;
    const now = this.deps.clock.now();
    const keep = this.deps.keepEndedMs ?? KEEP_ENDED_MS;
    for (const link of this.links.values()) {
      if (link.state !== 'connected') continue;
      const s = link.sample();
      if (s) this.checkLoss(link, s);
    }
    for (const [id, ended] of this.endedAt) {
      if (now - ended <= keep) break; // oldest first: the rest ended later
      this.forget(id);
    }
    this.sampler = this.deps.clock.setTimer(1000, () => this.sample());
  }

  /** Loss over the last 10 s against the configured threshold. */
  private checkLoss(link: Link, s: MediaSessionStats): void {
    if (!s.receive) return;
    const w = this.lossWindow.get(link.id) ?? [];
    w.push({ expected: s.rtp.rx.expected, lost: Math.max(0, s.rtp.rx.lost) });
    if (w.length > 11) w.shift();
    this.lossWindow.set(link.id, w);
    if (w.length < 2) return;
    const first = w[0]!;
    const last = w[w.length - 1]!;
    const expected = last.expected - first.expected;
    if (expected < 50) return;
    const pct = ((last.lost - first.lost) / expected) * 100;
    const threshold = this.deps.config.links.lossAlarmPct;
    if (pct > threshold) this.raiseAlarm('loss', link.id, `packet loss ${pct.toFixed(1)} % from ${link.remoteName ?? link.remote} (threshold ${threshold} %)`);
    else if (pct < threshold / 2) this.clearAlarm('loss', link.id);
  }

  // ---- registration and probes -----------------------------------------------------------------

  private startRegistration(reg: NonNullable<AcipConfig['sip']['registration']>): void {
    const username = reg.username ?? (() => {
      try {
        return parseUri(reg.aor).user;
      } catch {
        return undefined;
      }
    })();
    const set = (state: RegistrationStatus['state'], extra: Partial<RegistrationStatus> = {}) => {
      const was = this.registrationValue?.state;
      this.registrationValue = { state, aor: reg.aor, registrar: reg.registrar, ...extra };
      this.events.emit('registration', this.registrationValue);
      if (state === 'registered') this.clearAlarm('registration-lost', undefined);
      else if (state === 'failed' && (was === 'registered' || was === 'registering')) {
        this.raiseAlarm('registration-lost', undefined, `registration of ${reg.aor} at ${reg.registrar} failed: ${extra.lastError ?? ''}`);
      }
    };
    set('registering');
    const r = this.deps.ua.register({
      registrar: reg.registrar,
      aor: reg.aor,
      ...(username !== undefined ? { username } : {}),
      ...(reg.password !== undefined ? { password: reg.password } : {}),
      expires: reg.expires,
    });
    this.registrationHandle = r;
    r.on('registered', ({ expires }) => {
      this.deps.log.info({ aor: reg.aor, expires }, `registered ${reg.aor} at ${reg.registrar} for ${expires} s`);
      set('registered', { expiresAt: new Date(this.deps.clock.wallNow() + expires * 1000).toISOString() });
    });
    r.on('failed', (f) => {
      const retry = f.retryInSeconds !== undefined ? `; retrying in ${Math.round(f.retryInSeconds)} s` : '';
      this.deps.log.warn({ aor: reg.aor, status: f.status }, `registration of ${reg.aor} failed: ${f.status} ${f.reason}${retry}`);
      set('failed', {
        lastError: `${f.status} ${f.reason}`,
        ...(f.retryInSeconds !== undefined ? { nextRetryAt: new Date(this.deps.clock.wallNow() + f.retryInSeconds * 1000).toISOString() } : {}),
      });
    });
    r.on('unregistered', () => set('unregistered'));
  }

  private async probe(): Promise<void> {
    if (this.closed) return;
    const entries = this.deps.phonebook.list().filter((e) => e.probe !== false);
    await Promise.all(
      entries.map(async (e) => {
        const checkedAt = new Date(this.deps.clock.wallNow()).toISOString();
        try {
          // A phonebook entry that accepts an unverifiable certificate is probed the same way.
          const { status, rttMs } = await (e.tlsVerify === false ? this.deps.ua.options(e.uri, { tlsVerify: false }) : this.deps.ua.options(e.uri));
          // Any final response proves the far end is there; 2xx means it also accepts OPTIONS.
          this.reach.set(e.id, { reachable: status < 500 || status === 501, rttMs: Math.round(rttMs * 10) / 10, status, checkedAt });
        } catch {
          this.reach.set(e.id, { reachable: false, rttMs: null, status: null, checkedAt });
        }
      }),
    );
    if (!this.closed) this.prober = this.deps.clock.setTimer(this.deps.config.links.probeIntervalS * 1000, () => void this.probe());
  }

  /** Hang up every link (BYE/CANCEL), unregister, stop timers. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sampler?.cancel();
    this.prober?.cancel();
    await Promise.all([...this.links.values()].map((l) => l.close().catch(() => undefined)));
    if (this.registrationHandle) {
      await Promise.race([this.registrationHandle.unregister().catch(() => undefined), new Promise((r) => this.deps.clock.setTimer(500, () => r(undefined)))]);
      this.registrationHandle.close();
    }
    this.events.removeAllListeners();
  }
}
