/**
 * The link manager's events: those of `LinksPort` (snapshots for the feed), plus `state`, a cheap
 * event sent on every state change of every link (no snapshot is built for it), for glue code that
 * only needs to know where a link is (transfer, presence).
 */
import type { LinksEvents } from './links-port.js';
import type { LinkState } from './link-state.js';

export interface LinkStateChange {
  id: string;
  state: LinkState;
  /** The state before; null when the link has just been created. */
  previous: LinkState | null;
}

export type LinkManagerEvents = LinksEvents;
