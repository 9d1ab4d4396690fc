/**
 * Inactivity of a connected link: nothing at all from the far end, neither RTP nor RTCP, for the
 * timeout. RTCP counts because it flows whatever the stream's direction: RFC 3264 §5.1 keeps RTCP
 * sent and received on sendonly, recvonly and inactive streams, so a peer that holds the call, or
 * only receives, still shows it is there; a peer that sends neither has gone (its host died, a NAT
 * binding closed, or it answered and then never sent anything) and the call is over even though
 * no BYE came.
 *
 * One timer, armed for the earliest moment the timeout can be reached: when it fires, the latest
 * activity decides: still silent for the whole timeout → inactive; otherwise re-armed for the
 * timeout after that activity. So the link ends exactly `timeoutMs` after the last packet, with
 * no polling. A timeout of 0 turns the watch off.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { MediaSessionStats } from '../media/session-types.js';

/** The last RTP or RTCP packet from the far end in a session's stats, null if none (or no session). */
export function lastPeerActivity(s: MediaSessionStats | undefined): number | null {
  const last = Math.max(s?.lastRxMs ?? Number.NEGATIVE_INFINITY, s?.lastRtcpRxMs ?? Number.NEGATIVE_INFINITY);
  return Number.isFinite(last) ? last : null;
}

export interface InactivityWatchDeps {
  clock: Clock;
  timeoutMs: number;
  /** `clock.now()` of the last RTP or RTCP packet from the far end, null if none arrived (or no media). */
  lastActivity: () => number | null;
  /** Called once per start, when the far end has been silent for the timeout. */
  onInactive: (silentForMs: number) => void;
}

export class InactivityWatch {
  private timer: TimerHandle | undefined;
  /** Start of the current window: the watch's start or the last renegotiation. */
  private since = 0;

  constructor(private readonly deps: InactivityWatchDeps) {}

  get enabled(): boolean {
    return this.deps.timeoutMs > 0;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Start (or restart) watching from now. */
  start(): void {
    this.stop();
    if (!this.enabled) return;
    this.since = this.deps.clock.now();
    this.arm(this.deps.timeoutMs);
  }

  /**
   * The media was renegotiated (a re-INVITE): a new window starts now, since the media session
   * may have restarted its RTP statistics.
   */
  touch(): void {
    if (this.running) this.since = Math.max(this.since, this.deps.clock.now());
  }

  /** Idempotent. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = this.deps.clock.setTimer(ms, () => this.check());
  }

  private check(): void {
    this.timer = undefined;
    const now = this.deps.clock.now();
    const last = Math.max(this.since, this.deps.lastActivity() ?? Number.NEGATIVE_INFINITY);
    const silentFor = now - last;
    if (silentFor >= this.deps.timeoutMs) {
      this.deps.onInactive(silentFor);
      return;
    }
    this.arm(this.deps.timeoutMs - silentFor);
  }
}
