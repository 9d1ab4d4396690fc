/**
 * When an RTP session sends its RTCP reports (RFC 3550 §6.3): one timer on the injected clock,
 * re-armed after every report with the §6.3.1 randomised interval computed from the session's
 * current members/senders and the running average compound size (§6.3.3). What goes into a
 * report is the session's business; this only says when.
 *
 * Not here: timer reconsideration for large groups (§6.3.3–§6.3.7): a two-party session gains
 * nothing from it.
 */
import { isIPv6 } from 'node:net';
import type { Clock, TimerHandle } from '../util/clock.js';
import {
  reducedMinimumS,
  rtcpBandwidthOctets,
  rtcpIntervalS,
  RTCP_MIN_TIME_S,
  UDP_IPV4_OVERHEAD,
  UDP_IPV6_OVERHEAD,
  updateAvgRtcpSize,
} from './rtcp-interval.js';

export interface RtcpSchedulerOptions {
  clock: Clock;
  /** The local address: decides the IP + UDP overhead counted in avg_rtcp_size (§6.2). */
  localHost: string;
  /** Our SDES CNAME: sizes the first report for the initial avg_rtcp_size (§6.3.2). */
  cname: string;
  /** Session bandwidth in kbit/s (§6.2); default 128. */
  sessionBandwidthKbps?: number;
  /** Use the §6.2 reduced minimum interval 360/kbps instead of 5 s. */
  rtcpReducedMinimum?: boolean;
  /** Override the minimum interval in seconds. */
  rtcpMinIntervalS?: number;
  /** Random source in [0,1) for the interval (A.7 drand48). */
  random: () => number;
}

/** What the interval depends on at the moment it is computed (§6.3.1). */
export interface RtcpRoundState {
  /** Members of the session, us included. */
  members: number;
  /** Members that sent RTP since the last report. */
  senders: number;
  /** Whether we sent RTP since the last report. */
  weSent: boolean;
}

export class RtcpScheduler {
  private readonly clock: Clock;
  private readonly reducedMinimum: boolean;
  private sessionKbps = 0;
  private minIntervalS = 0;
  private readonly ipOverhead: number;
  private readonly random: () => number;
  private avgRtcpSize: number;
  private initial = true;
  private timer: TimerHandle | null = null;
  private stopped = false;

  /**
   * `round` is asked for the session state each time an interval is computed; `onDue` sends a
   * report (and must call `sent()` with its size when it does).
   */
  constructor(
    opts: RtcpSchedulerOptions,
    private readonly round: () => RtcpRoundState,
    private readonly onDue: () => void,
  ) {
    this.clock = opts.clock;
    this.random = opts.random;
    this.reducedMinimum = opts.rtcpReducedMinimum ?? false;
    this.setBandwidth(opts.sessionBandwidthKbps, opts.rtcpMinIntervalS);
    this.ipOverhead = isIPv6(opts.localHost) ? UDP_IPV6_OVERHEAD : UDP_IPV4_OVERHEAD;
    // §6.3.2: avg_rtcp_size starts at the probable size of the first compound packet (RR + SDES).
    this.avgRtcpSize = this.ipOverhead + 8 + 24 + 4 + 4 + 2 + Buffer.byteLength(opts.cname) + 4;
  }

  /** Arm the first report's timer (§6.3.2: the initial interval is halved). */
  start(): void {
    this.schedule();
  }

  /** A compound packet of `octets` (RTCP octets, no IP/UDP header) went out: update avg_rtcp_size (§6.3.3). */
  sent(octets: number): void {
    this.avgRtcpSize = updateAvgRtcpSize(this.avgRtcpSize, octets + this.ipOverhead);
  }

  /**
   * The session bandwidth (§6.2; default 128 kbit/s) and the minimum interval (default 5 s, or the
   * reduced minimum) changed, e.g. with the codec: the next interval is computed with them; the
   * report already scheduled keeps its time.
   */
  setBandwidth(sessionBandwidthKbps: number | undefined, minIntervalS?: number): void {
    this.sessionKbps = sessionBandwidthKbps ?? 128;
    this.minIntervalS = minIntervalS ?? (this.reducedMinimum ? reducedMinimumS(this.sessionKbps) : RTCP_MIN_TIME_S);
  }

  /** Idempotent: no more reports. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    const r = this.round();
    const intervalS = rtcpIntervalS(
      {
        members: r.members,
        senders: r.senders,
        rtcpBandwidth: rtcpBandwidthOctets(this.sessionKbps),
        weSent: r.weSent,
        avgRtcpSize: this.avgRtcpSize,
        initial: this.initial,
        minIntervalS: this.minIntervalS,
      },
      this.random,
    );
    this.timer = this.clock.setTimer(intervalS * 1000, () => {
      this.timer = null;
      this.initial = false;
      this.onDue();
      this.schedule();
    });
  }
}
