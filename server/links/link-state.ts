/**
 * The states of a contribution link and the only edges allowed between them. A permanent link
 * cycles through `redialling` instead of ending when the far end hangs up, the call fails, or
 * media stops; nothing leaves `ended`.
 *
 *   idle ─▶ dialling ─▶ ringing ─▶ connected ─▶ ending ─▶ ended
 *     │        │           │           │                    ▲
 *     │        └───────────┴───────────┴──▶ failed ─────────┘ (terminal unless permanent)
 *     └─▶ offered (inbound, waiting for a manual answer) ─▶ connected
 *   connected / failed ─▶ redialling ─▶ dialling     (permanent links only)
 */
import { AcipError } from '../util/errors.js';

export type LinkState = 'idle' | 'offered' | 'dialling' | 'ringing' | 'connected' | 'ending' | 'ended' | 'failed' | 'redialling';

export const LINK_STATES: readonly LinkState[] = ['idle', 'offered', 'dialling', 'ringing', 'connected', 'ending', 'ended', 'failed', 'redialling'];

const EDGES: Readonly<Record<LinkState, readonly LinkState[]>> = {
  idle: ['dialling', 'offered', 'connected', 'ended'],
  offered: ['connected', 'ending', 'ended', 'failed'],
  dialling: ['ringing', 'connected', 'ending', 'failed', 'ended', 'redialling'],
  ringing: ['connected', 'ending', 'failed', 'ended', 'redialling'],
  connected: ['ending', 'ended', 'failed', 'redialling'],
  ending: ['ended', 'failed'],
  failed: ['redialling', 'ended'],
  ended: [],
  redialling: ['dialling', 'ended'],
};

export function canTransition(from: LinkState, to: LinkState): boolean {
  return EDGES[from].includes(to);
}

export function assertTransition(from: LinkState, to: LinkState): void {
  if (!canTransition(from, to)) throw new AcipError('LINK_ILLEGAL_TRANSITION', `illegal link transition ${from} → ${to}`);
}
