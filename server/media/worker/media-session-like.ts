/**
 * What the link layer needs from a media session, whether it runs in this thread (`MediaSession`) or
 * in a worker thread (`RemoteMediaSession`, through `MediaWorkerPool`). Both classes satisfy it; the
 * link takes a `MediaSessionOpener` by injection and never names either class.
 *
 * Differences a caller must know (see remote-media-session.ts):
 * - `stats()` of a remote session is the latest snapshot the worker pushed (at most one push
 *   interval old, 100 ms by default), not a fresh read.
 * - A remote session can end without `close()`: when its worker dies it emits 'closed'
 *   `{ reason: 'worker-exit' }` once and `isClosed` turns true. A local session never does.
 */
import { MediaSession, type MediaSessionDeps } from '../media-session.js';
import type { MediaSessionEvents, MediaSessionParams, MediaSessionStats } from '../session-types.js';

export interface MediaSessionLike {
  readonly linkId: string;
  readonly localRtpPort: number;
  readonly localRtcpPort: number;
  readonly isClosed: boolean;
  /** The parameters in force (a copy). */
  currentParams(): MediaSessionParams;
  update(next: MediaSessionParams): Promise<void>;
  /** A plain, JSON-serialisable snapshot. */
  stats(): MediaSessionStats;
  /** Idempotent. */
  close(reason?: string): Promise<void>;
  on<K extends keyof MediaSessionEvents>(event: K, fn: (...args: MediaSessionEvents[K]) => void): () => void;
  once<K extends keyof MediaSessionEvents>(event: K, fn: (...args: MediaSessionEvents[K]) => void): () => void;
  off<K extends keyof MediaSessionEvents>(event: K, fn: (...args: MediaSessionEvents[K]) => void): void;
}

/** How the link layer opens its media: injected, so it can be in-process or a worker pool. */
export type MediaSessionOpener = (params: MediaSessionParams) => Promise<MediaSessionLike>;

/** The in-process opener (one thread: tests, small installations). */
export function inProcessMediaOpener(deps: MediaSessionDeps): MediaSessionOpener {
  return (params) => MediaSession.open(params, deps);
}

/** Every event a media session emits: the worker forwards exactly these. */
export const MEDIA_SESSION_EVENT_NAMES = [
  'no-media',
  'media-restored',
  'silence',
  'silence-cleared',
  'bye',
  'latched',
  'error',
  'closed',
] as const satisfies ReadonlyArray<keyof MediaSessionEvents>;

// Compile-time proof that the event list is complete (adding an event to MediaSessionEvents without
// listing it here fails tsc).
type MissingEvents = Exclude<keyof MediaSessionEvents, (typeof MEDIA_SESSION_EVENT_NAMES)[number]>;
const noMissingEvents: [MissingEvents] extends [never] ? true : MissingEvents = true;
void noMissingEvents;
