/**
 * Which links the board shows and how: the filter (text, state group, problems only), what counts
 * as a problem, the compact board's order, and when the board goes compact by itself. Pure data and
 * functions over link snapshots, no DOM.
 */
import type { Alarm, LinkSnapshot, LinkState } from './api-types.js';
import { boardRank } from './link-state-view.js';

export type StateFilter = 'all' | 'connected' | 'ringing' | 'failed' | 'ended';

/** The state groups an operator filters by, and the link states in each. */
export const STATE_FILTERS: readonly { id: StateFilter; label: string; states: readonly LinkState[] }[] = [
  { id: 'all', label: 'All states', states: [] },
  { id: 'connected', label: 'Connected', states: ['connected'] },
  { id: 'ringing', label: 'Ringing', states: ['idle', 'offered', 'dialling', 'ringing'] },
  { id: 'failed', label: 'Failed', states: ['failed', 'redialling'] },
  { id: 'ended', label: 'Ended', states: ['ending', 'ended'] },
];

export function isStateFilter(v: string): v is StateFilter {
  return STATE_FILTERS.some((f) => f.id === v);
}

export interface LinkFilter {
  /** Matched, case-insensitively, against the remote URI, the remote's name and the link id. */
  text: string;
  state: StateFilter;
  problemsOnly: boolean;
}

export const emptyLinkFilter = (): LinkFilter => ({ text: '', state: 'all', problemsOnly: false });

export function isFiltering(f: LinkFilter): boolean {
  return f.text.trim() !== '' || f.state !== 'all' || f.problemsOnly;
}

/** Above these a link has a problem even without an alarm (whole-call figures, %). */
export const PROBLEM_THRESHOLDS = { lossPct: 0.5, concealedPct: 0.5 } as const;

/** States that are a problem by themselves. */
const TROUBLE_STATES: ReadonlySet<string> = new Set<LinkState>(['failed', 'redialling']);

/** Why a link needs attention, as short words ("alarm", "loss 1.2 %"); empty when it is fine. */
export function linkProblems(l: LinkSnapshot, alarms: readonly Alarm[]): string[] {
  const out: string[] = [];
  if (TROUBLE_STATES.has(l.state)) out.push(l.state);
  if (alarms.some((a) => a.linkId === l.id && !a.clearedAt)) out.push('alarm');
  if (l.rx && l.rx.lossPct >= PROBLEM_THRESHOLDS.lossPct) out.push(`loss ${l.rx.lossPct.toFixed(1)} %`);
  if (l.rx && l.rx.concealedPct >= PROBLEM_THRESHOLDS.concealedPct) out.push(`concealed ${l.rx.concealedPct.toFixed(1)} %`);
  return out;
}

export function matchesFilter(l: LinkSnapshot, f: LinkFilter, alarms: readonly Alarm[]): boolean {
  const group = STATE_FILTERS.find((g) => g.id === f.state);
  if (group && group.states.length && !group.states.includes(l.state)) return false;
  const text = f.text.trim().toLowerCase();
  if (text && ![l.remote, l.remoteName ?? '', l.id].some((field) => field.toLowerCase().includes(text))) return false;
  if (f.problemsOnly && linkProblems(l, alarms).length === 0) return false;
  return true;
}

/** Compact board order: by state (waiting calls, trouble, live, finished), then by who, then by id. */
export function compareByStateThenRemote(a: LinkSnapshot, b: LinkSnapshot): number {
  const who = (l: LinkSnapshot) => (l.remoteName || l.remote).toLowerCase();
  return boardRank(a.state) - boardRank(b.state) || who(a).localeCompare(who(b)) || a.id.localeCompare(b.id);
}

/** How the board shows links: chosen by the operator, or compact by itself above COMPACT_ABOVE links. */
export type BoardMode = 'auto' | 'compact' | 'cards';

export const COMPACT_ABOVE = 8;

export function effectiveBoardMode(mode: BoardMode, linkCount: number): 'compact' | 'cards' {
  if (mode !== 'auto') return mode;
  return linkCount > COMPACT_ABOVE ? 'compact' : 'cards';
}

/** A remembered mode (localStorage holds text): anything unknown is 'auto'. */
export function parseBoardMode(stored: string | null | undefined): BoardMode {
  return stored === 'compact' || stored === 'cards' ? stored : 'auto';
}
