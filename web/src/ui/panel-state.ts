/**
 * What the panel's views render from, and what they may ask for. The controller owns one
 * `PanelState` and implements `PanelActions`; every view is a function of (state, actions) to a
 * lit-html template, so a view renders in node from a fixed state with stub actions. No DOM here.
 */
import type { HistoryRecord, HealthBody, LinkSnapshot, PhonebookEntry, ProfileSummary, Role, StatusBody } from '../model/api-types.js';
import { emptyLinkFilter, type BoardMode, type LinkFilter } from '../model/link-filter.js';
import type { LiveState } from '../model/live-connection.js';
import { MessageBook } from '../model/message-book.js';
import { PanelStore } from '../model/panel-store.js';
import { HANGUP_CONFIRM, TwoStepConfirm } from '../model/two-step-confirm.js';
import { emptyDuplicateRemote, type DuplicateRemoteDraft } from './views/phonebook-form.js';

export type View = 'links' | 'phonebook' | 'history' | 'profiles' | 'alarms';

export const VIEWS: readonly { id: View; label: string }[] = [
  { id: 'links', label: 'Links' },
  { id: 'phonebook', label: 'Phonebook' },
  { id: 'history', label: 'History' },
  { id: 'profiles', label: 'Profiles' },
  { id: 'alarms', label: 'Alarms' },
];

export function isView(id: string): id is View {
  return VIEWS.some((v) => v.id === id);
}

export interface DialForm {
  phonebookId: string;
  to: string;
  profile: string;
  input: string;
  output: string;
  permanent: boolean;
}

export interface EntryForm extends DuplicateRemoteDraft {
  /** The entry being edited, or null for a new one. */
  id: string | null;
  name: string;
  uri: string;
  profile: string;
  notes: string;
  probe: boolean;
  /** Verify the studio's TLS certificate when dialling it over TLS (off for a self-signed one). */
  tlsVerify: boolean;
  /** Subscribe to the studio's presence (SIP SUBSCRIBE) and show it beside its reachability. */
  watchPresence: boolean;
  /** Digest user name the studio authenticates as when it calls us ('' = none). */
  authUser: string;
  /** A new password for it ('' keeps the stored one: the service never returns it). */
  authPassword: string;
  /** The service holds a password for this entry. */
  authHasPassword: boolean;
}

export interface HistoryFilter {
  remote: string;
  direction: string;
}

/** The query string for /api/history and /api/history.csv: the filter, and a row limit if given. */
export function historyQuery(f: HistoryFilter, limit?: number): string {
  const q = new URLSearchParams();
  if (f.remote) q.set('remote', f.remote);
  if (f.direction) q.set('direction', f.direction);
  if (limit) q.set('limit', String(limit));
  return q.toString();
}

export interface Notice {
  text: string;
  kind: 'info' | 'error';
}

export const emptyDial = (): DialForm => ({ phonebookId: '', to: '', profile: '', input: '', output: '', permanent: false });
export const emptyEntry = (): EntryForm => ({ id: null, name: '', uri: '', profile: '', notes: '', probe: true, tlsVerify: true, watchPresence: false, authUser: '', authPassword: '', authHasPassword: false, ...emptyDuplicateRemote() });

export interface PanelState {
  view: View;
  /** Local monotonic time (ms) of this render: ticking durations, reconnect countdown, hang-up arming. */
  nowMs: number;
  /** Links, meters, alarms and registration as the live feed reported them. */
  store: PanelStore;
  liveState: LiveState;
  /** Monotonic time of the next reconnect attempt, while reconnecting. */
  retryAtMs: number | null;
  role: Role | null;
  needLogin: boolean;
  loginError: string;
  status: StatusBody | null;
  health: HealthBody | null;
  profiles: ProfileSummary[];
  phonebook: PhonebookEntry[];
  history: HistoryRecord[];
  historyFilter: HistoryFilter;
  dial: DialForm;
  /** Field name → message, from the service's validation errors (`body.to` → `to`). */
  dialErrors: Record<string, string>;
  entry: EntryForm;
  entryErrors: Record<string, string>;
  notice: Notice | null;
  /** Keys of actions in flight (`dial`, `hangup:<id>`, `ack:<id>`, …): their buttons are disabled. */
  busy: Set<string>;
  /** Link ids whose graphs are open. */
  graphsOpen: Set<string>;
  /** Hang-up is two presses: the first arms it for a few seconds (one accidental click never drops a link). */
  hangupConfirm: TwoStepConfirm;
  /** Profile picked in a connected card's "Change profile" select, until applied. */
  profilePick: Map<string, string>;
  /** Compact rows or full cards, as the operator chose ('auto': compact above a few links); remembered by the browser. */
  boardMode: BoardMode;
  linkFilter: LinkFilter;
  /** The link whose full card is open over the compact board. */
  openLinkId: string | null;
  /** Text messages (SIP MESSAGE) with every peer, from the REST API and the live feed. */
  messages: MessageBook;
  /** Unsent text per chat, by thread key (`threadKey` of the peer's URI). */
  chatDrafts: Map<string, string>;
  /** The phonebook entry whose chat is open under the phonebook. */
  chatEntryId: string | null;
  /** Phonebook entry picked in a connected card's "Hand over to" select, until transferred. */
  transferPick: Map<string, string>;
}

/** A panel before anything is loaded: not logged in as anyone yet, the live feed connecting. */
export function initialPanelState(): PanelState {
  return {
    view: 'links',
    nowMs: 0,
    store: new PanelStore(),
    liveState: 'connecting',
    retryAtMs: null,
    role: null,
    needLogin: false,
    loginError: '',
    status: null,
    health: null,
    profiles: [],
    phonebook: [],
    history: [],
    historyFilter: { remote: '', direction: '' },
    dial: emptyDial(),
    dialErrors: {},
    entry: emptyEntry(),
    entryErrors: {},
    notice: null,
    busy: new Set(),
    graphsOpen: new Set(),
    hangupConfirm: new TwoStepConfirm(HANGUP_CONFIRM),
    profilePick: new Map(),
    boardMode: 'auto',
    linkFilter: emptyLinkFilter(),
    openLinkId: null,
    messages: new MessageBook(),
    chatDrafts: new Map(),
    chatEntryId: null,
    transferPick: new Map(),
  };
}

/** Operators (admin, or a service without login) may act; a viewer only watches. */
export function canControl(s: Pick<PanelState, 'role'>): boolean {
  return s.role !== null && s.role !== 'viewer';
}

/**
 * What a view may ask the controller to do. Form submissions arrive here with their default already
 * prevented; the controller validates, calls the REST API, and re-renders.
 */
export interface PanelActions {
  go(view: View): void;
  /** Resolves true when logged in. */
  login(password: string): Promise<boolean>;
  logout(): void;
  dismissNotice(): void;
  answer(linkId: string, yes: boolean): void;
  pressHangup(linkId: string): void;
  /** Disarms an armed hang-up; returns whether there was one to disarm. */
  cancelHangup(linkId: string): boolean;
  toggleGraphs(linkId: string, open: boolean): void;
  pickProfile(linkId: string, profile: string): void;
  applyProfile(link: LinkSnapshot): void;
  /** Picks a phonebook entry in the dial form: fills in its URI and profile. */
  pickDialEntry(phonebookId: string): void;
  /** Types into the dial form's URI: keeps the picked entry only while the URI is still its URI. */
  typeDialUri(uri: string): void;
  editDial(patch: Partial<DialForm>): void;
  submitDial(): void;
  /** Starts editing a phonebook row, or (null) goes back to a new, empty entry. */
  startEntry(row: PhonebookEntry | null): void;
  editEntry(patch: Partial<EntryForm>): void;
  saveEntry(): void;
  deleteEntry(row: PhonebookEntry): void;
  editHistoryFilter(patch: Partial<HistoryFilter>): void;
  loadHistory(): void;
  ackAlarm(alarmId: string): void;
  setBoardMode(mode: BoardMode): void;
  editLinkFilter(patch: Partial<LinkFilter>): void;
  /** Opens a link's full card over the compact board, or (null) closes it. */
  openLink(linkId: string | null): void;
  /** Types into the chat with `remote`. */
  editMessage(remote: string, text: string): void;
  /** Sends the chat draft for `remote` to `to` (a phonebook entry id or the URI). */
  sendMessage(to: string, remote: string): void;
  /** Opens the chat with a phonebook entry under the phonebook, or (null) closes it. */
  openEntryChat(phonebookId: string | null): void;
  /** Picks the phonebook entry a connected link would be handed over to. */
  pickTransfer(linkId: string, phonebookId: string): void;
  /** Hands the link over (REFER) to the entry picked. */
  transferLink(linkId: string): void;
}
