/**
 * RTCP transmission interval (RFC 3550 §6.2, §6.3.1, Appendix A.7). Pure: the random source is
 * injected, so a test can fix it.
 *
 * The control traffic is held to a fraction (5 %, §6.2) of the session bandwidth; a quarter of it
 * goes to senders when they are few (≤ 25 % of members). The deterministic interval is
 *   Td = max(Tmin, n · avg_rtcp_size / rtcp_bw)
 * and the interval actually used is Td · U(0.5, 1.5) / (e − 3/2), the divisor compensating
 * for the timer-reconsideration algorithm's bias toward shorter intervals (§6.3.1).
 */

/** §6.2: the recommended minimum interval. */
export const RTCP_MIN_TIME_S = 5;
/** §6.2: the RTCP share of the session bandwidth. */
export const RTCP_BANDWIDTH_FRACTION = 0.05;
/** §6.2 / A.7: the senders' share of the RTCP bandwidth when senders are ≤ 25 % of members. */
export const RTCP_SENDER_BW_FRACTION = 0.25;
export const RTCP_RCVR_BW_FRACTION = 1 - RTCP_SENDER_BW_FRACTION;
/** §6.3.1 / A.7: e − 3/2. */
export const RTCP_COMPENSATION = Math.E - 1.5;

/** Lower-layer header overhead to add to an RTCP packet's size for avg_rtcp_size (§6.2: "including UDP and IP"). */
export const UDP_IPV4_OVERHEAD = 28;
export const UDP_IPV6_OVERHEAD = 48;

export interface RtcpIntervalInput {
  /** Current members of the session, ourselves included. */
  members: number;
  /** Members that sent RTP recently, ourselves included if we did. */
  senders: number;
  /** RTCP bandwidth in octets per second (typically 5 % of the session bandwidth). */
  rtcpBandwidth: number;
  /** We sent RTP since the second-previous report (§6.3.8 we_sent). */
  weSent: boolean;
  /** Average compound RTCP packet size in octets, lower-layer headers included. */
  avgRtcpSize: number;
  /** Before the first RTCP packet: the minimum is halved (§6.2, A.7 `initial`). */
  initial: boolean;
  /** Minimum interval in seconds; RTCP_MIN_TIME_S unless the reduced minimum applies. */
  minIntervalS?: number;
}

/** RTCP bandwidth in octets/s for a session bandwidth in kbit/s (§6.2, 5 %). */
export function rtcpBandwidthOctets(sessionKbps: number, fraction = RTCP_BANDWIDTH_FRACTION): number {
  return (sessionKbps * 1000 * fraction) / 8;
}

/**
 * §6.2: "the minimum [may be] scaled ... 360 divided by the session bandwidth in kilobits/second",
 * e.g. 2.8 s at 128 kbit/s; we never go above the 5 s default with it.
 */
export function reducedMinimumS(sessionKbps: number): number {
  if (!(sessionKbps > 0)) return RTCP_MIN_TIME_S;
  return Math.min(RTCP_MIN_TIME_S, 360 / sessionKbps);
}

/** The deterministic interval Td in seconds (A.7 before randomisation). */
export function rtcpDeterministicIntervalS(p: RtcpIntervalInput): number {
  let minTime = p.minIntervalS ?? RTCP_MIN_TIME_S;
  if (p.initial) minTime /= 2;
  let n = Math.max(1, p.members);
  let bw = p.rtcpBandwidth;
  // A.7: "Dedicate a fraction of the RTCP bandwidth to senders unless the number of senders is
  // large enough that their share is more than that fraction."
  if (p.senders <= p.members * RTCP_SENDER_BW_FRACTION) {
    if (p.weSent) {
      bw *= RTCP_SENDER_BW_FRACTION;
      n = Math.max(1, p.senders);
    } else {
      bw *= RTCP_RCVR_BW_FRACTION;
      n = Math.max(1, n - p.senders);
    }
  }
  // A zero RTCP bandwidth would mean "no RTCP" (§6.2); callers that still report get the minimum.
  const t = bw > 0 ? (p.avgRtcpSize * n) / bw : minTime;
  return Math.max(t, minTime);
}

/**
 * The randomised interval in seconds (A.7 `rtcp_interval`): Td · (random + 0.5) / (e − 3/2).
 * `random` returns values in [0, 1) like drand48().
 */
export function rtcpIntervalS(p: RtcpIntervalInput, random: () => number = Math.random): number {
  const td = rtcpDeterministicIntervalS(p);
  return (td * (random() + 0.5)) / RTCP_COMPENSATION;
}

/** §6.3.3: avg_rtcp_size = 1/16 · packet_size + 15/16 · avg_rtcp_size. */
export function updateAvgRtcpSize(avg: number, packetSize: number): number {
  return packetSize / 16 + (15 / 16) * avg;
}
