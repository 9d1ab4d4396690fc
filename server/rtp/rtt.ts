/**
 * Round-trip time from a reception report (RFC 3550 §6.4.1, "delay since last SR"):
 *
 *   RTT = A − LSR − DLSR
 *
 * where A is the time the report block arrived, LSR the middle 32 bits of the NTP timestamp of
 * the SR of ours the far end last received, and DLSR how long the far end held it (1/65536 s).
 * The far end's clock does not enter: LSR is our own timestamp echoed back.
 *
 * Two ways to evaluate A − LSR:
 *  - `rttFromCompactNtp`: A as compact NTP from our wall clock, exactly as written in §6.4.1;
 *    a wall-clock step between sending the SR and receiving the report corrupts it.
 *  - `SrSendLog`: we remember the monotonic time at which we sent each SR, keyed by its LSR
 *    value, and take A − (send time) on the monotonic clock. Same quantity, immune to wall-clock
 *    steps; the session uses this and falls back to the first if the SR is no longer remembered.
 */
import { compactNtpToMs } from './ntp.js';

const TWO_32 = 0x1_0000_0000;

/**
 * RTT in ms from compact-NTP values (all 16.16 fixed point, modulo 2^32).
 * Returns undefined when LSR is 0 (§6.4.1: no SR received yet) or the result is negative
 * beyond rounding (a clock anomaly or a bogus report).
 */
export function rttFromCompactNtp(arrivalCompact: number, lsr: number, dlsr: number): number | undefined {
  if (lsr === 0) return undefined;
  let d = (arrivalCompact - lsr - dlsr) % TWO_32;
  if (d < 0) d += TWO_32;
  // Interpret as signed: a "negative" RTT wraps to near 2^32.
  if (d >= TWO_32 / 2) return undefined;
  return compactNtpToMs(d);
}

/** Remembers when recent SRs were sent (monotonic ms), keyed by their LSR (middle 32 bits). */
export class SrSendLog {
  private readonly entries: Array<{ lsr: number; sentMs: number }> = [];

  constructor(private readonly capacity = 16) {}

  record(lsr: number, sentMs: number): void {
    this.entries.push({ lsr, sentMs });
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  sentAt(lsr: number): number | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (e && e.lsr === lsr) return e.sentMs;
    }
    return undefined;
  }

  /**
   * RTT in ms for a report block that arrived at monotonic `arrivalMs`, or undefined when LSR is 0,
   * unknown, or the result is negative by more than 1 ms (DLSR rounding is ±1/65536 s).
   */
  rtt(arrivalMs: number, lsr: number, dlsr: number): number | undefined {
    if (lsr === 0) return undefined;
    const sent = this.sentAt(lsr);
    if (sent === undefined) return undefined;
    const rtt = arrivalMs - sent - compactNtpToMs(dlsr);
    if (rtt < -1) return undefined;
    return Math.max(0, rtt);
  }
}
