/**
 * Link state → what the card shows: always a word AND a colour, never colour alone (colour-blind operators, monochrome screens).
 * `tone` selects the CSS colour class; the word is what screen readers and tests read.
 */
import type { LinkState } from './api-types.js';

export type StateTone = 'ok' | 'progress' | 'warn' | 'bad' | 'off';

export interface StateView {
  word: string;
  tone: StateTone;
  /** Whether the link still holds (or is getting) a call, so "Hang up" applies. */
  active: boolean;
}

const VIEWS: Readonly<Record<LinkState, StateView>> = {
  idle: { word: 'Idle', tone: 'off', active: true },
  offered: { word: 'Incoming', tone: 'progress', active: true },
  dialling: { word: 'Connecting', tone: 'progress', active: true },
  ringing: { word: 'Ringing', tone: 'progress', active: true },
  connected: { word: 'Connected', tone: 'ok', active: true },
  ending: { word: 'Hanging up', tone: 'warn', active: false },
  ended: { word: 'Ended', tone: 'off', active: false },
  failed: { word: 'Failed', tone: 'bad', active: false },
  redialling: { word: 'Redialling', tone: 'warn', active: true },
};

export function stateView(state: LinkState | string): StateView {
  return (VIEWS as Record<string, StateView>)[state] ?? { word: String(state), tone: 'warn', active: true };
}

/** Board order: calls waiting for an answer first, then trouble, then live links, then the finished. */
const ORDER: Readonly<Record<StateTone, number>> = { progress: 1, bad: 2, warn: 3, ok: 4, off: 5 };

export function boardRank(state: LinkState | string): number {
  if (state === 'offered') return 0;
  return ORDER[stateView(state).tone];
}
