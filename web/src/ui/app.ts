/**
 * The panel application: owns the store, the REST client and the live feed, and renders every view
 * with lit-html. All caller-supplied text (display names, URIs, reason phrases, SDP) goes through
 * lit's text bindings, which set text, never markup; this file never uses unsafeHTML or innerHTML.
 */
import { html, nothing, render, type TemplateResult } from 'lit';
import { ApiClient, ApiError, describeError } from '../model/api-client.js';
import type { Alarm, CallRecord, HealthBody, LinkSnapshot, PhonebookRow, Profile, Role, StatusBody } from '../model/api-types.js';
import { reachabilityView } from '../model/api-types.js';
import { LiveConnection, type LiveState } from '../model/live-connection.js';
import { PanelStore, parseLiveMessage, type LinkEntry } from '../model/panel-store.js';
import {
  DASH,
  formatCodec,
  formatDuration,
  formatEndReason,
  formatJitterBuffer,
  formatMs,
  formatPct,
  formatPpm,
  formatTime,
  liveDurationS,
} from '../model/format.js';
import { stateView } from '../model/link-state-view.js';
import { HANGUP_CONFIRM, TwoStepConfirm } from '../model/two-step-confirm.js';
import { setMeterSource } from './meter-element.js';
import { refreshAllGraphs } from './graphs-element.js';

type View = 'links' | 'phonebook' | 'history' | 'profiles' | 'alarms';
const VIEWS: { id: View; label: string }[] = [
  { id: 'links', label: 'Links' },
  { id: 'phonebook', label: 'Phonebook' },
  { id: 'history', label: 'History' },
  { id: 'profiles', label: 'Profiles' },
  { id: 'alarms', label: 'Alarms' },
];

interface DialForm {
  phonebookId: string;
  to: string;
  profile: string;
  input: string;
  output: string;
  permanent: boolean;
}

interface EntryForm {
  id: string | null;
  name: string;
  uri: string;
  profile: string;
  notes: string;
  probe: boolean;
}

const emptyEntry = (): EntryForm => ({ id: null, name: '', uri: '', profile: '', notes: '', probe: true });

export class PanelApp {
  readonly store = new PanelStore();
  readonly api: ApiClient;
  private readonly live: LiveConnection;
  private view: View = 'links';
  private liveState: LiveState = 'connecting';
  private retryAtMs: number | null = null;
  private role: Role | null = null;
  private needLogin = false;
  private loginError = '';
  private status: StatusBody | null = null;
  private health: HealthBody | null = null;
  private profiles: Profile[] = [];
  private phonebook: PhonebookRow[] = [];
  private history: CallRecord[] = [];
  private historyFilter = { remote: '', direction: '' };
  private dial: DialForm = { phonebookId: '', to: '', profile: '', input: '', output: '', permanent: false };
  private dialErrors: Record<string, string> = {};
  private entry: EntryForm = emptyEntry();
  private entryErrors: Record<string, string> = {};
  private notice: { text: string; kind: 'info' | 'error' } | null = null;
  private busy = new Set<string>();
  private graphsOpen = new Set<string>();
  /** Hang-up is two presses: the first arms it for a few seconds (one accidental click never drops a link). */
  private readonly hangupConfirm = new TwoStepConfirm(HANGUP_CONFIRM);
  /** Profile picked in a connected card's "Change profile" select, until applied. */
  private profilePick = new Map<string, string>();
  private renderQueued = false;
  private timers: number[] = [];

  constructor(private readonly root: HTMLElement) {
    this.api = new ApiClient({ fetch: (u, i) => fetch(u, i), onUnauthorized: () => this.showLogin() });
    setMeterSource((id) => this.store.meters.get(id));
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.live = new LiveConnection({
      url: `${proto}//${location.host}/api/live`,
      createSocket: (url) => new WebSocket(url) as never,
      setTimer: (fn, ms) => window.setTimeout(fn, ms),
      clearTimer: (h) => window.clearTimeout(h as number),
      onMessage: (text) => this.onLiveMessage(text),
      onState: (state, info) => this.onLiveState(state, info),
    });
  }

  start(): void {
    const hash = location.hash.replace('#', '') as View;
    if (VIEWS.some((v) => v.id === hash)) this.view = hash;
    window.addEventListener('hashchange', () => {
      const h = location.hash.replace('#', '') as View;
      if (VIEWS.some((v) => v.id === h) && h !== this.view) this.go(h);
    });
    this.render();
    void this.loadAll().then(() => {
      if (!this.needLogin) this.live.start();
    });
    // Reachability and listening addresses change slowly; a 10 s poll is plenty.
    this.timers.push(
      window.setInterval(() => {
        if (this.needLogin) return;
        void this.loadStatus();
        void this.loadPhonebook();
      }, 10_000),
      // The duration clock on connected cards ticks every second even between stats messages.
      window.setInterval(() => {
        if (this.view === 'links' && [...this.store.links.values()].some((e) => e.snapshot.state === 'connected')) this.scheduleRender();
        if (this.liveState === 'reconnecting') this.scheduleRender();
      }, 1000),
    );
  }

  get canControl(): boolean {
    return this.role !== null && this.role !== 'viewer';
  }

  // ---------------------------------------------------------------- data

  private async loadAll(): Promise<void> {
    await this.loadStatus();
    if (this.needLogin) return;
    await Promise.all([this.loadProfiles(), this.loadPhonebook(), this.loadAlarms()]);
    if (this.view === 'history') await this.loadHistory();
  }

  private async loadStatus(): Promise<void> {
    try {
      this.status = await this.api.get<StatusBody>('/api/status');
      this.role = this.status.role;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      // A service without /api/status yet: fall back to /api/health (which needs no login).
      if (err instanceof ApiError && err.status === 404) this.role ??= 'open';
    }
    try {
      this.health = await this.api.get<HealthBody>('/api/health');
    } catch {
      /* shown by the connection state */
    }
    this.scheduleRender();
  }

  private async loadProfiles(): Promise<void> {
    try {
      this.profiles = (await this.api.get<{ profiles: Profile[] }>('/api/profiles')).profiles;
    } catch (err) {
      this.reportLoadError('Loading profiles', err);
    }
    this.scheduleRender();
  }

  private async loadPhonebook(): Promise<void> {
    try {
      this.phonebook = (await this.api.get<{ entries: PhonebookRow[] }>('/api/phonebook')).entries;
    } catch (err) {
      this.reportLoadError('Loading the phonebook', err);
    }
    this.scheduleRender();
  }

  private async loadAlarms(): Promise<void> {
    try {
      this.store.alarms = (await this.api.get<{ alarms: Alarm[] }>('/api/alarms')).alarms;
    } catch (err) {
      this.reportLoadError('Loading alarms', err);
    }
    this.scheduleRender();
  }

  private async loadHistory(): Promise<void> {
    try {
      this.history = (await this.api.get<{ calls: CallRecord[] }>(`/api/history?${this.historyQuery(200)}`)).calls;
    } catch (err) {
      this.reportLoadError('Loading history', err);
    }
    this.scheduleRender();
  }

  private historyQuery(limit?: number): string {
    const q = new URLSearchParams();
    if (this.historyFilter.remote) q.set('remote', this.historyFilter.remote);
    if (this.historyFilter.direction) q.set('direction', this.historyFilter.direction);
    if (limit) q.set('limit', String(limit));
    return q.toString();
  }

  private reportLoadError(what: string, err: unknown): void {
    if (err instanceof ApiError && (err.status === 401 || err.status === 0)) return; // login form / connection state say it
    this.notice = { text: describeError(what, err), kind: 'error' };
  }

  // ---------------------------------------------------------------- live feed

  private onLiveMessage(text: string): void {
    const msg = parseLiveMessage(text);
    if (!msg) return;
    const changed = this.store.apply(msg, performance.now(), Date.now());
    if (msg.type === 'hello') void this.loadStatus();
    if (msg.type === 'link' && (msg.link.state === 'ended' || msg.link.state === 'failed') && this.view === 'history') void this.loadHistory();
    if (msg.type === 'link-removed' && this.view === 'history') void this.loadHistory();
    if (changed) this.scheduleRender();
    if (msg.type === 'stats') refreshAllGraphs(this.root);
  }

  private onLiveState(state: LiveState, info: { retryInMs?: number }): void {
    this.liveState = state;
    this.retryAtMs = info.retryInMs !== undefined ? performance.now() + info.retryInMs : null;
    // The WebSocket API hides the HTTP status of a refused upgrade: ask the REST API whether it is a login matter.
    if (state === 'reconnecting' && info.retryInMs !== undefined) void this.loadStatus();
    this.scheduleRender();
  }

  // ---------------------------------------------------------------- login

  private showLogin(): void {
    if (this.needLogin) return;
    this.needLogin = true;
    this.role = null;
    this.live.stop();
    this.scheduleRender();
  }

  private async login(ev: Event): Promise<void> {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    const password = (form.elements.namedItem('password') as HTMLInputElement).value;
    this.loginError = '';
    try {
      const r = await this.api.post<{ role: Role }>('/api/login', { password });
      this.role = r.role;
      this.needLogin = false;
      form.reset();
      await this.loadAll();
      this.live.reconnectNow();
    } catch (err) {
      this.loginError = err instanceof ApiError && err.status === 401 ? 'Wrong password.' : describeError('Login', err);
    }
    this.scheduleRender();
  }

  private async logout(): Promise<void> {
    try {
      await this.api.post('/api/logout');
    } catch {
      /* the session is gone either way */
    }
    this.store.links.clear();
    this.showLogin();
  }

  // ---------------------------------------------------------------- actions

  private async act(key: string, label: string, fn: () => Promise<void>): Promise<void> {
    if (this.busy.has(key)) return;
    this.busy.add(key);
    this.scheduleRender();
    try {
      await fn();
    } catch (err) {
      this.notice = { text: describeError(label, err), kind: 'error' };
    } finally {
      this.busy.delete(key);
      this.scheduleRender();
    }
  }

  private async submitDial(ev: Event): Promise<void> {
    ev.preventDefault();
    this.dialErrors = {};
    const d = this.dial;
    const to = d.to.trim();
    if (!to) {
      this.dialErrors.to = 'Type a SIP URI or pick a phonebook entry.';
      this.scheduleRender();
      return;
    }
    const body: Record<string, unknown> = { to };
    if (d.profile) body.profile = d.profile;
    if (d.input.trim()) body.input = d.input.trim();
    if (d.output.trim()) body.output = d.output.trim();
    if (d.permanent) body.permanent = true;
    if (d.phonebookId) body.phonebookId = d.phonebookId;
    await this.act('dial', 'Dial', async () => {
      try {
        const link = await this.api.post<LinkSnapshot>('/api/links', body);
        this.store.noteLink(link, performance.now());
        this.info(`Dialling ${link.remoteName ?? link.remote}`);
      } catch (err) {
        if (err instanceof ApiError && err.field) {
          this.dialErrors[err.field.replace(/^body\./, '')] = err.message;
          this.notice = null;
          return;
        }
        throw err;
      }
    });
  }

  private hangup(id: string): Promise<void> {
    return this.act(`hangup:${id}`, 'Hang up', async () => {
      await this.api.del<LinkSnapshot>(`/api/links/${encodeURIComponent(id)}`);
    });
  }

  /** A press of a card's hang-up button: arms it, confirms it (hangs up), or is a double-click to ignore. */
  private pressHangup(id: string): void {
    if (this.busy.has(`hangup:${id}`)) return;
    const result = this.hangupConfirm.press(id, performance.now());
    if (result === 'confirmed') void this.hangup(id);
    if (result === 'armed') this.followConfirm(id);
    this.scheduleRender();
  }

  /** Re-render when the armed hang-up changes by itself (guard over, window closed). */
  private followConfirm(id: string): void {
    const at = this.hangupConfirm.nextChangeAt(id, performance.now());
    if (at === null) return;
    window.setTimeout(() => {
      this.scheduleRender();
      this.followConfirm(id);
    }, Math.max(0, at - performance.now()) + 10);
  }

  private changeProfile(l: LinkSnapshot): Promise<void> {
    const profile = this.profilePick.get(l.id);
    if (!profile || profile === l.profile) return Promise.resolve();
    return this.act(`profile:${l.id}`, 'Change profile', async () => {
      const updated = await this.api.post<LinkSnapshot>(`/api/links/${encodeURIComponent(l.id)}/profile`, { profile });
      this.profilePick.delete(l.id);
      this.store.apply({ type: 'link', link: updated }, performance.now(), Date.now());
      this.info(`${updated.remoteName || updated.remote}: now ${updated.profile} · ${formatCodec(updated.codec)}`);
    });
  }

  private answer(id: string, yes: boolean): Promise<void> {
    return this.act(`answer:${id}`, yes ? 'Answer' : 'Reject', async () => {
      await this.api.post<LinkSnapshot>(`/api/links/${encodeURIComponent(id)}/${yes ? 'answer' : 'reject'}`);
    });
  }

  private ackAlarm(id: string): Promise<void> {
    return this.act(`ack:${id}`, 'Acknowledge', async () => {
      await this.api.post(`/api/alarms/${encodeURIComponent(id)}/ack`);
      this.store.markAcknowledged(id);
    });
  }

  private async saveEntry(ev: Event): Promise<void> {
    ev.preventDefault();
    this.entryErrors = {};
    const e = this.entry;
    const body: Record<string, unknown> = { name: e.name.trim(), uri: e.uri.trim(), probe: e.probe };
    if (e.profile) body.profile = e.profile;
    if (e.notes.trim()) body.notes = e.notes.trim();
    await this.act('entry', 'Saving the entry', async () => {
      try {
        if (e.id) await this.api.put(`/api/phonebook/${encodeURIComponent(e.id)}`, body);
        else await this.api.post('/api/phonebook', body);
        this.info(`Saved ${e.name.trim()}`);
        this.entry = emptyEntry();
        await this.loadPhonebook();
      } catch (err) {
        if (err instanceof ApiError && err.field) {
          this.entryErrors[err.field.replace(/^body\./, '')] = err.message;
          return;
        }
        throw err;
      }
    });
  }

  private deleteEntry(row: PhonebookRow): Promise<void> {
    if (!window.confirm(`Delete ${row.name} from the phonebook?`)) return Promise.resolve();
    return this.act(`del:${row.id}`, 'Delete', async () => {
      await this.api.del(`/api/phonebook/${encodeURIComponent(row.id)}`);
      if (this.entry.id === row.id) this.entry = emptyEntry();
      await this.loadPhonebook();
    });
  }

  /** A passing confirmation: shown for a few seconds (errors stay until dismissed). */
  private info(text: string): void {
    const notice = { text, kind: 'info' as const };
    this.notice = notice;
    window.setTimeout(() => {
      if (this.notice === notice) {
        this.notice = null;
        this.scheduleRender();
      }
    }, 5000);
  }

  private go(view: View): void {
    this.view = view;
    if (location.hash !== `#${view}`) history.replaceState(null, '', `#${view}`);
    if (view === 'history') void this.loadHistory();
    if (view === 'phonebook') void this.loadPhonebook();
    if (view === 'alarms') void this.loadAlarms();
    this.scheduleRender();
    // Move focus to the view's heading so keyboard and screen-reader users land in the new content.
    requestAnimationFrame(() => this.root.querySelector<HTMLElement>('#view-heading')?.focus());
  }

  // ---------------------------------------------------------------- rendering

  scheduleRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  render(): void {
    render(this.template(), this.root);
  }

  private template(): TemplateResult {
    return html`
      ${this.statusBar()}
      ${this.needLogin
        ? this.loginView()
        : html`
            ${this.navBar()} ${this.offeredPrompts()}
            <div class="notice-area">
              ${this.notice
                ? html`<p class="notice ${this.notice.kind}" role=${this.notice.kind === 'error' ? 'alert' : 'status'}>
                    <span>${this.notice.text}</span>
                    <button type="button" class="small" aria-label="Dismiss message" @click=${() => ((this.notice = null), this.scheduleRender())}>×</button>
                  </p>`
                : nothing}
            </div>
            <main>${this.viewTemplate()}</main>
          `}
    `;
  }

  private statusBar(): TemplateResult {
    const s = this.status;
    const h = this.health;
    const version = s?.version ?? h?.version ?? this.store.version;
    const listening = s?.listening ?? h?.listening;
    const reg = this.store.registration ?? s?.registration ?? null;
    const links = [...this.store.links.values()];
    const connected = links.filter((e) => e.snapshot.state === 'connected').length;
    const liveWord =
      this.liveState === 'open'
        ? 'Live'
        : this.liveState === 'connecting'
          ? 'Connecting to service…'
          : this.liveState === 'closed'
            ? 'Not connected'
            : `Service unreachable — reconnecting${this.retryAtMs !== null ? ` in ${Math.max(0, Math.ceil((this.retryAtMs - performance.now()) / 1000))} s` : '…'}`;
    const liveTone = this.liveState === 'open' ? 'ok' : this.liveState === 'reconnecting' ? 'bad' : 'warn';
    const regTone = !reg ? 'off' : reg.state === 'registered' ? 'ok' : reg.state === 'failed' ? 'bad' : 'warn';
    return html`
      <header class="statusbar" role="banner">
        <h1>acip</h1>
        <span class="stat" aria-label="Connection to the service"><span class="dot tone-${liveTone}" aria-hidden="true"></span><span class="conn">${liveWord}</span></span>
        <span class="stat" aria-label="SIP registration" title=${reg?.lastError ?? ''}>
          <span class="dot tone-${regTone}" aria-hidden="true"></span>
          ${reg ? html`Registration: ${reg.state} ${reg.aor}` : html`Registration: none configured`}
        </span>
        <span class="stat" aria-label="Links">Links: ${links.length}${links.length ? html` (${connected} connected)` : nothing}</span>
        <span class="stat listening" aria-label="Listening addresses">
          ${listening ? html`SIP ${listening.sip.length ? listening.sip.join(', ') : DASH} · HTTP ${listening.http ?? DASH}` : DASH}
        </span>
        <span class="stat" aria-label="Version">${version ? `acip ${version}` : DASH}</span>
        ${this.role && this.role !== 'open'
          ? html`<span class="stat role">${this.role === 'viewer' ? 'Viewer (watch only)' : 'Admin'}</span>
              <button type="button" class="small" @click=${() => void this.logout()}>Log out</button>`
          : nothing}
      </header>
    `;
  }

  private navBar(): TemplateResult {
    const unack = this.store.unacknowledgedCount();
    return html`
      <nav aria-label="Sections">
        ${VIEWS.map(
          (v) => html`<a href="#${v.id}" aria-current=${this.view === v.id ? 'page' : 'false'} @click=${(e: Event) => (e.preventDefault(), this.go(v.id))}
            >${v.label}${v.id === 'alarms' && unack ? html` <span class="badge" aria-label="${unack} unacknowledged">${unack}</span>` : nothing}</a
          >`,
        )}
      </nav>
    `;
  }

  private loginView(): TemplateResult {
    return html`
      <main class="login">
        <form @submit=${(e: Event) => void this.login(e)} aria-labelledby="login-heading">
          <h2 id="login-heading">Log in to acip</h2>
          <p>This acip service requires a password.</p>
          <input type="text" name="username" autocomplete="username" value="acip" hidden />
          <label for="login-password">Password</label>
          <input id="login-password" name="password" type="password" autocomplete="current-password" required autofocus />
          ${this.loginError ? html`<p class="field-error" role="alert">${this.loginError}</p>` : nothing}
          <button type="submit" class="primary">Log in</button>
        </form>
      </main>
    `;
  }

  private offeredPrompts(): TemplateResult | typeof nothing {
    const offered = this.store.offeredLinks();
    if (!offered.length) return nothing;
    return html`
      <section class="prompts" aria-label="Incoming calls">
        ${offered.map((l) => {
          const who = l.remoteName ? `${l.remoteName} <${l.remote}>` : l.remote;
          return html`
            <div class="prompt" role="group" aria-label="Incoming call from ${who}">
              <p role="alert"><strong>Incoming call</strong> from <span class="caller">${who}</span> · profile ${l.profile}</p>
              ${this.canControl
                ? html`<button type="button" class="primary" ?disabled=${this.busy.has(`answer:${l.id}`)} @click=${() => void this.answer(l.id, true)}>Answer</button>
                    <button type="button" class="danger" ?disabled=${this.busy.has(`answer:${l.id}`)} @click=${() => void this.answer(l.id, false)}>Reject</button>`
                : html`<p>Waiting for an operator to answer.</p>`}
            </div>
          `;
        })}
      </section>
    `;
  }

  private viewTemplate(): TemplateResult {
    switch (this.view) {
      case 'links':
        return this.linksView();
      case 'phonebook':
        return this.phonebookView();
      case 'history':
        return this.historyView();
      case 'profiles':
        return this.profilesView();
      case 'alarms':
        return this.alarmsView();
    }
  }

  // ---- links board

  private linksView(): TemplateResult {
    const entries = this.store.boardLinks();
    const active = this.store.alarms.filter((a) => !a.clearedAt && !a.acknowledged);
    return html`
      <div class="links-layout">
        <section class="board" aria-labelledby="view-heading">
          <h2 id="view-heading" tabindex="-1">Links</h2>
          ${entries.length
            ? html`<div class="cards">${entries.map((e) => this.card(e))}</div>`
            : html`<p class="empty">No links. Dial a studio to start one.</p>`}
        </section>
        <aside class="side">
          ${this.canControl
            ? this.dialForm()
            : this.role === 'viewer'
              ? html`<p class="viewer-note">Signed in as a viewer: you can watch links but not dial, answer or hang up.</p>`
              : nothing}
          ${active.length
            ? html`<section aria-label="Active alarms" class="side-alarms">
                <h2>Alarms</h2>
                <ul>${active.map((a) => html`<li class="alarm ${a.kind}"><span class="dot tone-bad" aria-hidden="true"></span>${a.message}</li>`)}</ul>
              </section>`
            : nothing}
        </aside>
      </div>
    `;
  }

  private card(e: LinkEntry): TemplateResult {
    const l = e.snapshot;
    const sv = stateView(l.state);
    const title = l.remoteName || l.remote;
    const rx = l.rx;
    const dur = liveDurationS(l.durationS, e.receivedAtMs, performance.now(), l.state === 'connected');
    const failed = (l.state === 'failed' || l.state === 'ended' || l.state === 'redialling') && l.endReason;
    const graphsOpen = this.graphsOpen.has(l.id);
    return html`
      <article class="card tone-${sv.tone}" aria-label="Link ${title}" data-link-id=${l.id} data-state=${l.state}>
        <header>
          <span class="state tone-${sv.tone}" role="status"><span class="dot" aria-hidden="true"></span>${sv.word}</span>
          <span class="duration" aria-label="Duration">${formatDuration(dur)}</span>
          <h3 class="remote-name">${title}</h3>
          ${l.remoteName ? html`<p class="uri">${l.remote}</p>` : nothing}
        </header>
        <div class="card-cols">
          <div class="card-main">
            <dl class="facts">
              <div><dt>Direction</dt><dd>${l.direction === 'outbound' ? '→ outbound' : '← inbound'}${l.permanent ? ' · permanent' : ''}${l.redials ? ` · ${l.redials} redials` : ''}</dd></div>
              <div><dt>Profile</dt><dd>${l.profile}</dd></div>
              <div><dt>Codec</dt><dd>${formatCodec(l.codec)}${l.mediaDirection && l.mediaDirection !== 'sendrecv' ? ` · ${l.mediaDirection}` : ''}</dd></div>
              <div><dt>Jitter buffer</dt><dd>${formatJitterBuffer(l.ebuacip)}</dd></div>
            </dl>
            <div class="meters">
              <div class="meter-row"><span class="meter-label">In</span><acip-meter .linkId=${l.id} .which=${'input'}></acip-meter></div>
              <div class="meter-row"><span class="meter-label">Out</span><acip-meter .linkId=${l.id} .which=${'output'}></acip-meter></div>
            </div>
            <dl class="stats">
              <div><dt>Buffer</dt><dd>${figure(rx ? formatMs(rx.bufferMs, 0) : DASH)}</dd></div>
              <div><dt>Jitter</dt><dd>${figure(formatMs(rx?.jitterMs))}</dd></div>
              <div><dt>Loss</dt><dd>${figure(formatPct(rx?.lossPct))}</dd></div>
              <div><dt>Concealed</dt><dd>${figure(formatPct(rx?.concealedPct))}</dd></div>
              <div><dt>RTT</dt><dd>${figure(formatMs(l.rttMs))}</dd></div>
              <div><dt>Drift</dt><dd>${figure(formatPpm(rx?.driftPpm))}</dd></div>
            </dl>
            ${failed ? html`<p class="failure"><strong>${l.state === 'redialling' ? 'Last call ended' : sv.word}:</strong> <span class="reason">${formatEndReason(l.endReason)}</span></p>` : nothing}
            ${l.localSdp || l.remoteSdp || l.ebuacip
              ? html`<details class="sdp">
                  <summary>SDP and EBU ACIP</summary>
                  ${l.ebuacip?.theirs.length ? html`<h4>Peer's a=ebuacip</h4><pre>${l.ebuacip.theirs.join('\n')}</pre>` : nothing}
                  ${l.remoteSdp ? html`<h4>Remote SDP</h4><pre>${l.remoteSdp}</pre>` : nothing}
                  ${l.localSdp ? html`<h4>Local SDP</h4><pre>${l.localSdp}</pre>` : nothing}
                </details>`
              : nothing}
          </div>
          <details
            class="graphs"
            ?open=${graphsOpen}
            @toggle=${(ev: Event) => {
              const open = (ev.target as HTMLDetailsElement).open;
              if (open) this.graphsOpen.add(l.id);
              else this.graphsOpen.delete(l.id);
              this.scheduleRender();
            }}
          >
            <summary>Graphs (last 10 minutes)</summary>
            ${graphsOpen ? html`<acip-graphs .series=${e.series}></acip-graphs>` : nothing}
          </details>
        </div>
        ${this.canControl && sv.active && l.state !== 'offered'
          ? html`<footer>
              ${l.state === 'connected' ? this.profileControl(l) : nothing}
              ${this.hangupControl(l)}
            </footer>`
          : nothing}
      </article>
    `;
  }

  /**
   * "Hang up", and after one press "Confirm hang up" for a few seconds. The button element stays the
   * same across both states, so keyboard focus stays on it; Escape disarms. While the double-click
   * guard runs the button is aria-disabled (not `disabled`, which would drop the focus).
   */
  private hangupControl(l: LinkSnapshot): TemplateResult {
    const state = this.hangupConfirm.state(l.id, performance.now());
    const armed = state !== 'idle';
    const hintId = `hangup-hint-${l.id}`;
    return html`<div class="hangup">
      <span id=${hintId} class="hangup-hint" aria-live="polite">${armed ? 'Press again to hang up · Esc cancels' : ''}</span>
      <button
        type="button"
        class="danger ${armed ? 'armed' : ''}"
        ?disabled=${this.busy.has(`hangup:${l.id}`)}
        aria-disabled=${state === 'guard' ? 'true' : 'false'}
        aria-describedby=${armed ? hintId : ''}
        @click=${() => this.pressHangup(l.id)}
        @keydown=${(ev: KeyboardEvent) => {
          if (ev.key === 'Escape' && this.hangupConfirm.state(l.id, performance.now()) !== 'idle') {
            ev.preventDefault();
            this.hangupConfirm.cancel(l.id);
            this.scheduleRender();
          }
        }}
      >${armed ? 'Confirm hang up' : 'Hang up'}</button>
    </div>`;
  }

  /** Mid-call codec change (re-INVITE with another profile): connected links, operators only. */
  private profileControl(l: LinkSnapshot): TemplateResult {
    const picked = this.profilePick.get(l.id) ?? l.profile;
    const busy = this.busy.has(`profile:${l.id}`);
    const selectId = `change-profile-${l.id}`;
    return html`<form class="change-profile" @submit=${(ev: Event) => (ev.preventDefault(), void this.changeProfile(l))}>
      <label for=${selectId}>Change profile</label>
      <select
        id=${selectId}
        .value=${picked}
        ?disabled=${busy}
        @change=${(ev: Event) => {
          this.profilePick.set(l.id, (ev.target as HTMLSelectElement).value);
          this.scheduleRender();
        }}
      >
        ${this.profiles.some((p) => p.name === l.profile) ? nothing : html`<option value=${l.profile} ?selected=${picked === l.profile}>${l.profile} (current)</option>`}
        ${this.profiles.map((p) => html`<option value=${p.name} title=${p.title} ?selected=${picked === p.name}>${p.name}${p.name === l.profile ? ' (current)' : ''}</option>`)}
      </select>
      <button type="submit" ?disabled=${busy || picked === l.profile} aria-busy=${busy ? 'true' : 'false'}>Apply</button>
      ${busy ? html`<span class="pending" aria-live="polite">Re-inviting…</span>` : nothing}
    </form>`;
  }

  private dialForm(): TemplateResult {
    const d = this.dial;
    const sel = this.phonebook.find((p) => p.id === d.phonebookId);
    const rv = sel ? reachabilityView(sel.reachability) : null;
    const err = (f: string) => (this.dialErrors[f] ? html`<p class="field-error" id="dial-${f}-error" role="alert">${this.dialErrors[f]}</p>` : nothing);
    return html`
      <form class="dial" aria-labelledby="dial-heading" @submit=${(e: Event) => void this.submitDial(e)}>
        <h2 id="dial-heading">Dial</h2>
        <div class="field">
          <label for="dial-phonebook">Phonebook entry</label>
          <select
            id="dial-phonebook"
            .value=${d.phonebookId}
            @change=${(e: Event) => {
              const id = (e.target as HTMLSelectElement).value;
              const p = this.phonebook.find((x) => x.id === id);
              this.dial = { ...this.dial, phonebookId: id, to: p ? p.uri : this.dial.to, profile: p?.profile ?? this.dial.profile };
              this.scheduleRender();
            }}
          >
            <option value="" ?selected=${d.phonebookId === ''}>— none: type a SIP URI —</option>
            ${this.phonebook.map((p) => {
              const r = reachabilityView(p.reachability);
              return html`<option value=${p.id} ?selected=${d.phonebookId === p.id}>${p.reachability?.reachable ? '●' : '○'} ${p.name} — ${r.word}</option>`;
            })}
          </select>
          ${rv ? html`<p class="reach"><span class="dot tone-${rv.tone}" aria-hidden="true"></span>${sel!.name}: ${rv.word}</p>` : nothing}
        </div>
        <div class="field">
          <label for="dial-to">SIP URI</label>
          <input
            id="dial-to"
            type="text"
            inputmode="url"
            autocomplete="off"
            spellcheck="false"
            placeholder="sip:studio@host"
            aria-invalid=${this.dialErrors.to ? 'true' : 'false'}
            aria-describedby=${this.dialErrors.to ? 'dial-to-error' : ''}
            .value=${d.to}
            @input=${(e: Event) => {
              const v = (e.target as HTMLInputElement).value;
              const p = this.phonebook.find((x) => x.id === this.dial.phonebookId);
              this.dial = { ...this.dial, to: v, phonebookId: p && p.uri === v ? p.id : '' };
              this.scheduleRender();
            }}
          />
          ${err('to')}
        </div>
        <div class="field">
          <label for="dial-profile">Profile</label>
          <select id="dial-profile" .value=${d.profile} @change=${(e: Event) => ((this.dial = { ...this.dial, profile: (e.target as HTMLSelectElement).value }), this.scheduleRender())}>
            <option value="" ?selected=${d.profile === ''}>Service default</option>
            ${this.profiles.map((p) => html`<option value=${p.name} ?selected=${d.profile === p.name}>${p.title} (${p.name})</option>`)}
          </select>
          ${err('profile')}
        </div>
        <div class="field two">
          <div>
            <label for="dial-input">Input</label>
            <input id="dial-input" type="text" autocomplete="off" spellcheck="false" placeholder="default" .value=${d.input}
              @input=${(e: Event) => (this.dial = { ...this.dial, input: (e.target as HTMLInputElement).value })} />
            ${err('input')}
          </div>
          <div>
            <label for="dial-output">Output</label>
            <input id="dial-output" type="text" autocomplete="off" spellcheck="false" placeholder="default" .value=${d.output}
              @input=${(e: Event) => (this.dial = { ...this.dial, output: (e.target as HTMLInputElement).value })} />
            ${err('output')}
          </div>
        </div>
        <label class="check"><input type="checkbox" .checked=${d.permanent}
          @change=${(e: Event) => (this.dial = { ...this.dial, permanent: (e.target as HTMLInputElement).checked })} /> Permanent (redial automatically)</label>
        <button type="submit" class="primary" ?disabled=${this.busy.has('dial')}>Dial</button>
      </form>
    `;
  }

  // ---- phonebook

  private phonebookView(): TemplateResult {
    const e = this.entry;
    const err = (f: string) => (this.entryErrors[f] ? html`<p class="field-error" role="alert">${this.entryErrors[f]}</p>` : nothing);
    return html`
      <section aria-labelledby="view-heading">
        <h2 id="view-heading" tabindex="-1">Phonebook</h2>
        <div class="table-wrap">
          <table class="phonebook">
            <caption class="sr-only">Remote studios</caption>
            <thead><tr><th scope="col">Reachability</th><th scope="col">Name</th><th scope="col">SIP URI</th><th scope="col">Profile</th><th scope="col">Answered / attempts</th><th scope="col">Notes</th>${this.canControl ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : nothing}</tr></thead>
            <tbody>
              ${this.phonebook.length === 0 ? html`<tr><td colspan="7" class="empty">The phonebook is empty.</td></tr>` : nothing}
              ${this.phonebook.map((p) => {
                const r = reachabilityView(p.reachability);
                return html`<tr>
                  <td><span class="dot tone-${r.tone}" aria-hidden="true"></span>${r.word}</td>
                  <td>${p.name}</td>
                  <td class="mono uri-cell">${p.uri}</td>
                  <td>${p.profile ?? DASH}</td>
                  <td>${p.asr ? `${p.asr.answered} / ${p.asr.attempts}${p.asr.asr !== null ? ` (${Math.round(p.asr.asr * 100)} %)` : ''}` : DASH}</td>
                  <td>${p.notes ?? ''}</td>
                  ${this.canControl
                    ? html`<td class="actions">
                        <button type="button" class="small" aria-label="Edit ${p.name}" @click=${() => ((this.entry = { id: p.id, name: p.name, uri: p.uri, profile: p.profile ?? '', notes: p.notes ?? '', probe: p.probe !== false }), (this.entryErrors = {}), this.scheduleRender())}>Edit</button>
                        <button type="button" class="small danger" aria-label="Delete ${p.name}" @click=${() => void this.deleteEntry(p)}>Delete</button>
                      </td>`
                    : nothing}
                </tr>`;
              })}
            </tbody>
          </table>
        </div>
        ${this.canControl
          ? html`<form class="entry" aria-labelledby="entry-heading" @submit=${(ev: Event) => void this.saveEntry(ev)}>
              <h3 id="entry-heading">${e.id ? `Edit ${e.name}` : 'New entry'}</h3>
              <label for="entry-name">Name</label>
              <input id="entry-name" type="text" required maxlength="100" .value=${e.name} @input=${(ev: Event) => (this.entry = { ...this.entry, name: (ev.target as HTMLInputElement).value })} />
              ${err('name')}
              <label for="entry-uri">Studio SIP URI</label>
              <input id="entry-uri" type="text" required spellcheck="false" autocomplete="off" placeholder="sip:studio@host" .value=${e.uri} @input=${(ev: Event) => (this.entry = { ...this.entry, uri: (ev.target as HTMLInputElement).value })} />
              ${err('uri')}
              <label for="entry-profile">Entry profile</label>
              <select id="entry-profile" .value=${e.profile} @change=${(ev: Event) => (this.entry = { ...this.entry, profile: (ev.target as HTMLSelectElement).value })}>
                <option value="" ?selected=${e.profile === ''}>Service default</option>
                ${this.profiles.map((p) => html`<option value=${p.name} ?selected=${e.profile === p.name}>${p.title} (${p.name})</option>`)}
              </select>
              ${err('profile')}
              <label for="entry-notes">Notes</label>
              <textarea id="entry-notes" rows="2" maxlength="2000" .value=${e.notes} @input=${(ev: Event) => (this.entry = { ...this.entry, notes: (ev.target as HTMLTextAreaElement).value })}></textarea>
              <label class="check"><input type="checkbox" .checked=${e.probe} @change=${(ev: Event) => (this.entry = { ...this.entry, probe: (ev.target as HTMLInputElement).checked })} /> Probe reachability (OPTIONS)</label>
              <div class="buttons">
                <button type="submit" class="primary" ?disabled=${this.busy.has('entry')}>Save entry</button>
                ${e.id ? html`<button type="button" @click=${() => ((this.entry = emptyEntry()), this.scheduleRender())}>Cancel</button>` : nothing}
              </div>
            </form>`
          : nothing}
      </section>
    `;
  }

  // ---- history

  private historyView(): TemplateResult {
    const q = this.historyQuery();
    return html`
      <section aria-labelledby="view-heading">
        <h2 id="view-heading" tabindex="-1">Call history</h2>
        <form class="filters" @submit=${(ev: Event) => (ev.preventDefault(), void this.loadHistory())}>
          <label for="hist-remote">Remote contains</label>
          <input id="hist-remote" type="search" .value=${this.historyFilter.remote} @input=${(ev: Event) => (this.historyFilter = { ...this.historyFilter, remote: (ev.target as HTMLInputElement).value })} />
          <label for="hist-direction">Direction</label>
          <select id="hist-direction" .value=${this.historyFilter.direction} @change=${(ev: Event) => ((this.historyFilter = { ...this.historyFilter, direction: (ev.target as HTMLSelectElement).value }), void this.loadHistory())}>
            <option value="">Both</option><option value="outbound">Outbound</option><option value="inbound">Inbound</option>
          </select>
          <button type="submit">Refresh</button>
          <a class="button" href="/api/history.csv${q ? `?${q}` : ''}" download="acip-history.csv">Export CSV</a>
        </form>
        <div class="table-wrap">
          <table aria-label="Calls">
            <thead>
              <tr>
                <th scope="col">Start</th><th scope="col">Direction</th><th scope="col">Remote</th><th scope="col">Codec</th><th scope="col">Duration</th>
                <th scope="col">Answer delay</th><th scope="col">End</th><th scope="col">Loss</th><th scope="col">Concealed</th><th scope="col">Max jitter</th>
                <th scope="col">Buffer mean / max</th><th scope="col">RTT</th><th scope="col">Redials</th>
              </tr>
            </thead>
            <tbody>
              ${this.history.length === 0 ? html`<tr><td colspan="13" class="empty">No calls yet.</td></tr>` : nothing}
              ${this.history.map(
                (c) => html`<tr>
                  <td>${formatTime(c.startedAt)}</td>
                  <td>${c.direction}</td>
                  <td>${c.remoteName ? html`${c.remoteName}<br /><span class="mono small">${c.remote}</span>` : html`<span class="mono">${c.remote}</span>`}</td>
                  <td>${c.codec ? `${c.codec.name} ${c.codec.clockRate / 1000} kHz ${c.codec.channels} ch` : DASH}</td>
                  <td>${c.answered ? formatDuration(c.durationS) : 'not answered'}</td>
                  <td>${c.answerDelayMs !== undefined ? formatMs(c.answerDelayMs, 0) : DASH}</td>
                  <td>${formatEndReason(c.endReason)}</td>
                  <td>${formatPct(c.quality.lossPct)}</td>
                  <td>${formatPct(c.quality.concealedPct)}</td>
                  <td>${formatMs(c.quality.maxJitterMs)}</td>
                  <td>${formatMs(c.quality.meanBufferMs, 0)} / ${formatMs(c.quality.maxBufferMs, 0)}</td>
                  <td>${formatMs(c.quality.rttMs)}</td>
                  <td>${c.quality.redials}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
      </section>
    `;
  }

  // ---- profiles

  private profilesView(): TemplateResult {
    return html`
      <section aria-labelledby="view-heading">
        <h2 id="view-heading" tabindex="-1">Profiles</h2>
        <div class="profiles">
          ${this.profiles.map((p) => {
            const jb = p.jitterBuffer.mode === 'fixed' ? `fixed ${p.jitterBuffer.delayMs} ms` : `adaptive ${p.jitterBuffer.minMs}–${p.jitterBuffer.maxMs} ms`;
            return html`<article class="profile" aria-label="Profile ${p.name}">
              <h3>${p.title} <span class="mono small">${p.name}</span></h3>
              ${p.description ? html`<p>${p.description}</p>` : nothing}
              <p class="small">Packet time ${p.ptimeMs} ms · jitter buffer ${jb}${p.acceptPeerJbdef ? ' · accepts peer jbdef' : ''} · ${p.direction ?? 'sendrecv'}</p>
              <ol aria-label="Codecs offered, in order">
                ${p.codecs.map((c) => html`<li>${codecChoiceText(c, p.ptimeMs)}</li>`)}
              </ol>
            </article>`;
          })}
        </div>
      </section>
    `;
  }

  // ---- alarms

  private alarmsView(): TemplateResult {
    const alarms = [...this.store.alarms].sort((a, b) => Number(!!a.clearedAt) - Number(!!b.clearedAt) || b.raisedAt.localeCompare(a.raisedAt));
    return html`
      <section aria-labelledby="view-heading">
        <h2 id="view-heading" tabindex="-1">Alarms</h2>
        <table aria-label="Alarms list">
          <thead><tr><th scope="col">State</th><th scope="col">Kind</th><th scope="col">Message</th><th scope="col">Raised</th><th scope="col">Cleared</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>
            ${alarms.length === 0 ? html`<tr><td colspan="6" class="empty">No alarms.</td></tr>` : nothing}
            ${alarms.map(
              (a) => html`<tr class=${a.clearedAt ? 'cleared' : 'active'}>
                <td><span class="dot tone-${a.clearedAt ? 'off' : a.acknowledged ? 'warn' : 'bad'}" aria-hidden="true"></span>${a.clearedAt ? 'cleared' : 'active'}${a.acknowledged ? ', acknowledged' : ''}</td>
                <td>${alarmKindWord(a.kind)}</td>
                <td>${a.message}</td>
                <td>${formatTime(a.raisedAt)}</td>
                <td>${formatTime(a.clearedAt)}</td>
                <td>${!a.acknowledged && this.canControl
                  ? html`<button type="button" class="small" ?disabled=${this.busy.has(`ack:${a.id}`)} @click=${() => void this.ackAlarm(a.id)}>Acknowledge</button>`
                  : nothing}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </section>
    `;
  }
}

/** A live figure: the number big, its unit ("ms", "%", "ppm") small, so six fit across a narrow card. */
function figure(text: string): TemplateResult {
  const i = text.lastIndexOf(' ');
  return i > 0 ? html`${text.slice(0, i)}<span class="unit">${text.slice(i)}</span>` : html`${text}`;
}

function alarmKindWord(kind: Alarm['kind']): string {
  return { silence: 'Silence', loss: 'Packet loss', 'link-down': 'Link down', 'registration-lost': 'Registration lost' }[kind] ?? kind;
}

function codecChoiceText(c: Profile['codecs'][number], ptimeMs: number): string {
  const parts: string[] = [c.codec];
  if (c.sampleRate) parts.push(`${c.sampleRate / 1000} kHz`);
  if (c.channels) parts.push(c.channels === 2 ? 'stereo' : 'mono');
  if (c.bitrate) parts.push(`${Math.round(c.bitrate / 1000)} kbit/s`);
  parts.push(`${c.ptimeMs ?? ptimeMs} ms`);
  if (c.application) parts.push(c.application);
  if (c.fec) parts.push('FEC');
  if (c.dtx) parts.push('DTX');
  return parts.join(' · ');
}
