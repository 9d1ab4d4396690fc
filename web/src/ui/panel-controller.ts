/**
 * The panel's controller: owns the state, the REST client and the live feed; loads data, keeps it
 * fresh, carries out what the views ask for (PanelActions) and re-renders. All markup lives in the
 * shell and the views, which bind caller-supplied text (display names, URIs, reason phrases, SDP)
 * through lit's text bindings only; nothing here or there uses unsafeHTML or innerHTML.
 */
import { render } from 'lit';
import { ApiClient, ApiError, describeError } from '../model/api-client.js';
import type {
  AlarmList,
  ChangeProfileBody,
  DialBody,
  HealthBody,
  HistoryList,
  LinkSnapshot,
  LoginResult,
  Message,
  MessageList,
  PhonebookEntry,
  PhonebookInput,
  PhonebookList,
  ProfileList,
  StatusBody,
  TransferResult,
} from '../model/api-types.js';
import { formatCodec } from '../model/format.js';
import { parseBoardMode, type BoardMode, type LinkFilter } from '../model/link-filter.js';
import { LiveConnection, type LiveState } from '../model/live-connection.js';
import { parseLiveMessage } from '../model/panel-store.js';
import { threadKey } from '../model/message-book.js';
import { refreshAllGraphs } from './graphs-element.js';
import { setMeterSource } from './meter-element.js';
import {
  initialPanelState,
  emptyEntry,
  historyQuery,
  isView,
  type DialForm,
  type EntryForm,
  type HistoryFilter,
  type PanelActions,
  type PanelState,
  type View,
} from './panel-state.js';
import { panelTemplate } from './shell.js';
import { duplicateRemoteBody, duplicateRemoteDraft } from './views/phonebook-form.js';

/** Reachability and listening addresses change slowly: polled this often. */
const STATUS_POLL_MS = 10_000;
/** Connected cards' duration clocks and the reconnect countdown tick this often between messages. */
const CLOCK_TICK_MS = 1000;
/** How long a passing confirmation stays (errors stay until dismissed). */
const INFO_NOTICE_MS = 5000;
/** Rows of history fetched per load. */
const HISTORY_ROWS = 200;
/** Where the browser remembers the operator's board layout. */
const BOARD_MODE_KEY = 'acip.boardMode';

/** localStorage may be missing or refuse (private windows, storage off): the panel works without it. */
function remembered(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function remember(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    /* not remembered, still applied */
  }
}

export class PanelController implements PanelActions {
  readonly api: ApiClient;
  readonly state: PanelState = initialPanelState();
  private readonly live: LiveConnection;
  private renderQueued = false;

  constructor(private readonly root: HTMLElement) {
    this.api = new ApiClient({ fetch: (u, i) => fetch(u, i), onUnauthorized: () => this.showLogin() });
    setMeterSource((id) => this.state.store.meters.get(id));
    this.state.boardMode = parseBoardMode(remembered(BOARD_MODE_KEY));
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.live = new LiveConnection({
      // Feed 2: only what changed since the last message (an older service ignores the query and sends feed 1).
      url: `${proto}//${location.host}/api/live?feed=2`,
      createSocket: (url) => new WebSocket(url) as never,
      setTimer: (fn, ms) => window.setTimeout(fn, ms),
      clearTimer: (h) => window.clearTimeout(h as number),
      onMessage: (text) => this.onLiveMessage(text),
      onState: (state, info) => this.onLiveState(state, info),
    });
  }

  start(): void {
    const hash = location.hash.replace('#', '');
    if (isView(hash)) this.state.view = hash;
    window.addEventListener('hashchange', () => {
      const h = location.hash.replace('#', '');
      if (isView(h) && h !== this.state.view) this.go(h);
    });
    this.render();
    void this.loadAll().then(() => {
      if (!this.state.needLogin) this.live.start();
    });
    window.setInterval(() => {
      if (this.state.needLogin) return;
      void this.loadStatus();
      void this.loadPhonebook();
    }, STATUS_POLL_MS);
    window.setInterval(() => {
      const s = this.state;
      if (s.view === 'links' && [...s.store.links.values()].some((e) => e.snapshot.state === 'connected')) this.scheduleRender();
      if (s.liveState === 'reconnecting') this.scheduleRender();
    }, CLOCK_TICK_MS);
  }

  // ---------------------------------------------------------------- data

  private async loadAll(): Promise<void> {
    await this.loadStatus();
    if (this.state.needLogin) return;
    await Promise.all([this.loadProfiles(), this.loadPhonebook(), this.loadAlarms(), this.loadMessages()]);
    if (this.state.view === 'history') await this.loadHistoryNow();
  }

  private async loadStatus(): Promise<void> {
    const s = this.state;
    try {
      s.status = await this.api.get<StatusBody>('/api/status');
      s.role = s.status.role;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      // A service without /api/status yet: fall back to /api/health (which needs no login).
      if (err instanceof ApiError && err.status === 404) s.role ??= 'open';
    }
    try {
      s.health = await this.api.get<HealthBody>('/api/health');
    } catch {
      /* shown by the connection state */
    }
    this.scheduleRender();
  }

  private async load(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      // A 401 brings the login form and a network error the connection state: both say it already.
      if (!(err instanceof ApiError && (err.status === 401 || err.status === 0))) this.state.notice = { text: describeError(what, err), kind: 'error' };
    }
    this.scheduleRender();
  }

  private loadProfiles(): Promise<void> {
    return this.load('Loading profiles', async () => {
      this.state.profiles = (await this.api.get<ProfileList>('/api/profiles')).profiles;
    });
  }

  private loadPhonebook(): Promise<void> {
    return this.load('Loading the phonebook', async () => {
      this.state.phonebook = (await this.api.get<PhonebookList>('/api/phonebook')).entries;
    });
  }

  private loadAlarms(): Promise<void> {
    return this.load('Loading alarms', async () => {
      this.state.store.alarms = (await this.api.get<AlarmList>('/api/alarms')).alarms;
    });
  }

  /** Text messages: the newest few hundred; the live feed brings the rest as they come. A service without them (404) has none. */
  private async loadMessages(): Promise<void> {
    try {
      this.state.messages.load((await this.api.get<MessageList>('/api/messages?limit=500')).messages);
      this.scheduleRender();
    } catch {
      /* no messaging on this service, or not reachable: the chat stays empty */
    }
  }

  private loadHistoryNow(): Promise<void> {
    return this.load('Loading history', async () => {
      this.state.history = (await this.api.get<HistoryList>(`/api/history?${historyQuery(this.state.historyFilter, HISTORY_ROWS)}`)).calls;
    });
  }

  // ---------------------------------------------------------------- live feed

  private onLiveMessage(text: string): void {
    const msg = parseLiveMessage(text);
    if (!msg) return;
    if (msg.type === 'message') {
      this.state.messages.apply(msg.message);
      this.scheduleRender();
      return;
    }
    if (msg.type === 'presence') {
      this.state.phonebook = this.state.phonebook.map((e) => (e.id === msg.phonebookId ? { ...e, presence: msg.presence } : e));
      this.scheduleRender();
      return;
    }
    const onHistory = this.state.view === 'history';
    const changed = this.state.store.apply(msg, performance.now(), Date.now());
    if (msg.type === 'hello') void this.loadStatus();
    if (this.state.store.takeResyncRequest()) this.live.send(JSON.stringify({ type: 'resync' }));
    // A full card whose link went away closes (and does not come back if the id is reused).
    if (this.state.openLinkId !== null && !this.state.store.links.has(this.state.openLinkId)) this.state.openLinkId = null;
    const ended = (state: string | undefined) => state === 'ended' || state === 'failed';
    if (msg.type === 'link' && ended(msg.link.state) && onHistory) void this.loadHistoryNow();
    if (msg.type === 'link-patch' && ended(msg.link.state) && onHistory) void this.loadHistoryNow();
    if (msg.type === 'link-removed' && onHistory) void this.loadHistoryNow();
    if (changed) this.scheduleRender();
    if (msg.type === 'stats' || msg.type === 'stats-delta') refreshAllGraphs(this.root);
  }

  private onLiveState(state: LiveState, info: { retryInMs?: number }): void {
    this.state.liveState = state;
    this.state.retryAtMs = info.retryInMs !== undefined ? performance.now() + info.retryInMs : null;
    // The WebSocket API hides the HTTP status of a refused upgrade: ask the REST API whether it is a login matter.
    if (state === 'reconnecting' && info.retryInMs !== undefined) void this.loadStatus();
    this.scheduleRender();
  }

  // ---------------------------------------------------------------- login

  private showLogin(): void {
    if (this.state.needLogin) return;
    this.state.needLogin = true;
    this.state.role = null;
    this.live.stop();
    this.scheduleRender();
  }

  async login(password: string): Promise<boolean> {
    const s = this.state;
    s.loginError = '';
    let ok = false;
    try {
      const r = await this.api.post<LoginResult>('/api/login', { password });
      s.role = r.role;
      s.needLogin = false;
      ok = true;
      await this.loadAll();
      this.live.reconnectNow();
    } catch (err) {
      s.loginError = err instanceof ApiError && err.status === 401 ? 'Wrong password.' : describeError('Login', err);
    }
    this.scheduleRender();
    return ok;
  }

  logout(): void {
    void (async () => {
      try {
        await this.api.post('/api/logout');
      } catch {
        /* the session is gone either way */
      }
      this.state.store.links.clear();
      this.showLogin();
    })();
  }

  // ---------------------------------------------------------------- actions

  /** Runs one REST action at a time per key; its buttons are disabled meanwhile and a failure becomes the notice. */
  private async act(key: string, label: string, fn: () => Promise<void>): Promise<void> {
    const busy = this.state.busy;
    if (busy.has(key)) return;
    busy.add(key);
    this.scheduleRender();
    try {
      await fn();
    } catch (err) {
      this.state.notice = { text: describeError(label, err), kind: 'error' };
    } finally {
      busy.delete(key);
      this.scheduleRender();
    }
  }

  /** Runs a form's REST call; a validation error naming a field (`body.uri`) goes under that field instead of the notice. */
  private async withFieldErrors(errors: Record<string, string>, fn: () => Promise<void>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.field) {
        errors[err.field.replace(/^body\./, '')] = err.message;
        return false;
      }
      throw err;
    }
  }

  pickDialEntry(phonebookId: string): void {
    const d = this.state.dial;
    const p = this.state.phonebook.find((x) => x.id === phonebookId);
    this.state.dial = { ...d, phonebookId, to: p ? p.uri : d.to, profile: p?.profile ?? d.profile };
    this.scheduleRender();
  }

  typeDialUri(uri: string): void {
    const d = this.state.dial;
    const p = this.state.phonebook.find((x) => x.id === d.phonebookId);
    this.state.dial = { ...d, to: uri, phonebookId: p && p.uri === uri ? p.id : '' };
    this.scheduleRender();
  }

  editDial(patch: Partial<DialForm>): void {
    this.state.dial = { ...this.state.dial, ...patch };
  }

  submitDial(): void {
    const s = this.state;
    s.dialErrors = {};
    const d = s.dial;
    const to = d.to.trim();
    if (!to) {
      s.dialErrors.to = 'Type a SIP URI or pick a phonebook entry.';
      this.scheduleRender();
      return;
    }
    const body: DialBody = { to };
    if (d.profile) body.profile = d.profile;
    if (d.input.trim()) body.input = d.input.trim();
    if (d.output.trim()) body.output = d.output.trim();
    if (d.permanent) body.permanent = true;
    if (d.phonebookId) body.phonebookId = d.phonebookId;
    void this.act('dial', 'Dial', async () => {
      const ok = await this.withFieldErrors(s.dialErrors, async () => {
        const link = await this.api.post<LinkSnapshot>('/api/links', body);
        s.store.noteLink(link, performance.now());
        this.info(`Dialling ${link.remoteName ?? link.remote}`);
      });
      if (!ok) s.notice = null;
    });
  }

  pressHangup(linkId: string): void {
    if (this.state.busy.has(`hangup:${linkId}`)) return;
    const result = this.state.hangupConfirm.press(linkId, performance.now());
    if (result === 'confirmed') {
      void this.act(`hangup:${linkId}`, 'Hang up', async () => {
        await this.api.del<LinkSnapshot>(`/api/links/${encodeURIComponent(linkId)}`);
      });
    }
    if (result === 'armed') this.followConfirm(linkId);
    this.scheduleRender();
  }

  cancelHangup(linkId: string): boolean {
    const confirm = this.state.hangupConfirm;
    if (confirm.state(linkId, performance.now()) === 'idle') return false;
    confirm.cancel(linkId);
    this.scheduleRender();
    return true;
  }

  /** Re-render when the armed hang-up changes by itself (guard over, window closed). */
  private followConfirm(linkId: string): void {
    const at = this.state.hangupConfirm.nextChangeAt(linkId, performance.now());
    if (at === null) return;
    window.setTimeout(() => {
      this.scheduleRender();
      this.followConfirm(linkId);
    }, Math.max(0, at - performance.now()) + 10);
  }

  toggleGraphs(linkId: string, open: boolean): void {
    if (open) this.state.graphsOpen.add(linkId);
    else this.state.graphsOpen.delete(linkId);
    this.scheduleRender();
  }

  pickProfile(linkId: string, profile: string): void {
    this.state.profilePick.set(linkId, profile);
    this.scheduleRender();
  }

  applyProfile(l: LinkSnapshot): void {
    const profile = this.state.profilePick.get(l.id);
    if (!profile || profile === l.profile) return;
    void this.act(`profile:${l.id}`, 'Change profile', async () => {
      const updated = await this.api.post<LinkSnapshot>(`/api/links/${encodeURIComponent(l.id)}/profile`, { profile } satisfies ChangeProfileBody);
      this.state.profilePick.delete(l.id);
      this.state.store.apply({ type: 'link', link: updated }, performance.now(), Date.now());
      this.info(`${updated.remoteName || updated.remote}: now ${updated.profile} · ${formatCodec(updated.codec)}`);
    });
  }

  answer(linkId: string, yes: boolean): void {
    void this.act(`answer:${linkId}`, yes ? 'Answer' : 'Reject', async () => {
      await this.api.post<LinkSnapshot>(`/api/links/${encodeURIComponent(linkId)}/${yes ? 'answer' : 'reject'}`);
    });
  }

  ackAlarm(alarmId: string): void {
    void this.act(`ack:${alarmId}`, 'Acknowledge', async () => {
      await this.api.post(`/api/alarms/${encodeURIComponent(alarmId)}/ack`);
      this.state.store.markAcknowledged(alarmId);
    });
  }

  startEntry(row: PhonebookEntry | null): void {
    this.state.entry = row
      ? { id: row.id, name: row.name, uri: row.uri, profile: row.profile ?? '', notes: row.notes ?? '', probe: row.probe !== false, tlsVerify: row.tlsVerify !== false, watchPresence: row.watchPresence === true, authUser: row.inboundAuth?.user ?? '', authPassword: '', authHasPassword: row.inboundAuth?.hasPassword === true, ...duplicateRemoteDraft(row) }
      : emptyEntry();
    if (row) this.state.entryErrors = {};
    this.scheduleRender();
  }

  editEntry(patch: Partial<EntryForm>): void {
    this.state.entry = { ...this.state.entry, ...patch };
  }

  saveEntry(): void {
    const s = this.state;
    s.entryErrors = {};
    const e = s.entry;
    const body: PhonebookInput = { name: e.name.trim(), uri: e.uri.trim(), probe: e.probe, tlsVerify: e.tlsVerify, watchPresence: e.watchPresence };
    if (e.profile) body.profile = e.profile;
    if (e.notes.trim()) body.notes = e.notes.trim();
    // A PUT replaces the entry: the user name is sent back so its credentials survive an edit, and the
    // password only when a new one was typed (the service keeps the stored one otherwise).
    if (e.authUser.trim()) body.inboundAuth = { user: e.authUser.trim(), ...(e.authPassword ? { password: e.authPassword } : {}) };
    // Sent back whole for the same reason: a PUT without it removes the stored second remote.
    const dup = duplicateRemoteBody(e);
    if (dup) body.duplicateRemote = dup;
    void this.act('entry', 'Saving the entry', () =>
      this.withFieldErrors(s.entryErrors, async () => {
        if (e.id) await this.api.put(`/api/phonebook/${encodeURIComponent(e.id)}`, body);
        else await this.api.post('/api/phonebook', body);
        this.info(`Saved ${e.name.trim()}`);
        s.entry = emptyEntry();
        await this.loadPhonebook();
      }).then(() => undefined),
    );
  }

  deleteEntry(row: PhonebookEntry): void {
    if (!window.confirm(`Delete ${row.name} from the phonebook?`)) return;
    void this.act(`del:${row.id}`, 'Delete', async () => {
      await this.api.del(`/api/phonebook/${encodeURIComponent(row.id)}`);
      if (this.state.entry.id === row.id) this.state.entry = emptyEntry();
      await this.loadPhonebook();
    });
  }

  editHistoryFilter(patch: Partial<HistoryFilter>): void {
    this.state.historyFilter = { ...this.state.historyFilter, ...patch };
  }

  loadHistory(): void {
    void this.loadHistoryNow();
  }

  setBoardMode(mode: BoardMode): void {
    this.state.boardMode = mode;
    remember(BOARD_MODE_KEY, mode);
    this.scheduleRender();
  }

  editLinkFilter(patch: Partial<LinkFilter>): void {
    this.state.linkFilter = { ...this.state.linkFilter, ...patch };
    this.scheduleRender();
  }

  openLink(linkId: string | null): void {
    const was = this.state.openLinkId;
    this.state.openLinkId = linkId;
    this.scheduleRender();
    // Focus goes into the card when it opens, and back to its row when it closes.
    requestAnimationFrame(() => {
      if (linkId !== null) this.root.querySelector<HTMLElement>('.card-dialog')?.focus();
      else if (was !== null) this.root.querySelector<HTMLElement>(`tr.link-row[data-link-id="${CSS.escape(was)}"]`)?.focus();
    });
  }

  editMessage(remote: string, text: string): void {
    this.state.chatDrafts.set(threadKey(remote), text);
    this.scheduleRender();
  }

  sendMessage(to: string, remote: string): void {
    const key = threadKey(remote);
    const text = (this.state.chatDrafts.get(key) ?? '').trim();
    if (!text) return;
    void this.act(`message:${key}`, 'Sending the message', async () => {
      const sent = await this.api.post<Message>('/api/messages', { to, text });
      this.state.messages.apply(sent);
      this.state.chatDrafts.delete(key);
      if (sent.status === 'failed') this.state.notice = { text: `Message not delivered: ${sent.statusCode ?? ''} ${sent.reason ?? ''}`.trim(), kind: 'error' };
    });
  }

  pickTransfer(linkId: string, phonebookId: string): void {
    this.state.transferPick.set(linkId, phonebookId);
    this.scheduleRender();
  }

  transferLink(linkId: string): void {
    const to = this.state.transferPick.get(linkId);
    if (!to) return;
    const name = this.state.phonebook.find((p) => p.id === to)?.name ?? to;
    void this.act(`transfer:${linkId}`, 'Hand over', async () => {
      const r = await this.api.post<TransferResult>(`/api/links/${encodeURIComponent(linkId)}/transfer`, { to });
      this.state.transferPick.delete(linkId);
      if (r.accepted) this.info(`Handing over to ${name}: the far end is calling it`);
      else this.state.notice = { text: `Hand-over to ${name} refused: ${r.status} ${r.reason}`, kind: 'error' };
    });
  }

  openEntryChat(phonebookId: string | null): void {
    this.state.chatEntryId = phonebookId;
    this.scheduleRender();
  }

  dismissNotice(): void {
    this.state.notice = null;
    this.scheduleRender();
  }

  /** A passing confirmation: shown for a few seconds (errors stay until dismissed). */
  private info(text: string): void {
    const notice = { text, kind: 'info' as const };
    this.state.notice = notice;
    window.setTimeout(() => {
      if (this.state.notice === notice) {
        this.state.notice = null;
        this.scheduleRender();
      }
    }, INFO_NOTICE_MS);
  }

  go(view: View): void {
    this.state.view = view;
    if (location.hash !== `#${view}`) history.replaceState(null, '', `#${view}`);
    if (view === 'history') void this.loadHistoryNow();
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
    this.state.nowMs = performance.now();
    render(panelTemplate(this.state, this), this.root);
  }
}
