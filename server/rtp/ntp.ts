/**
 * NTP timestamps as RTCP uses them (RFC 3550 §4): 64-bit fixed point, seconds since
 * 1900-01-01 in the high word, fraction of a second (units of 2^-32 s) in the low word.
 * LSR/DLSR use the "compact" form, the middle 32 bits (16.16 fixed point, §6.4.1).
 */

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800;
const TWO_32 = 0x1_0000_0000;

export interface NtpTimestamp {
  /** Seconds since 1900, modulo 2^32 (NTP era wrap in 2036 is harmless: only differences matter). */
  seconds: number;
  /** Fraction of a second in units of 2^-32. */
  fraction: number;
}

/** NTP timestamp for a wall-clock time in Unix milliseconds. */
export function ntpFromUnixMs(ms: number): NtpTimestamp {
  const wholeS = Math.floor(ms / 1000);
  const remMs = ms - wholeS * 1000;
  let fraction = Math.round((remMs / 1000) * TWO_32);
  let seconds = wholeS + NTP_UNIX_OFFSET_S;
  if (fraction >= TWO_32) {
    fraction -= TWO_32;
    seconds += 1;
  }
  return { seconds: ((seconds % TWO_32) + TWO_32) % TWO_32, fraction };
}

/** Unix milliseconds for an NTP timestamp (assumes era 0, i.e. before 2036). */
export function unixMsFromNtp(t: NtpTimestamp): number {
  return (t.seconds - NTP_UNIX_OFFSET_S) * 1000 + (t.fraction / TWO_32) * 1000;
}

/** The middle 32 bits of a 64-bit NTP timestamp (§6.4.1 LSR): low 16 bits of seconds, high 16 of fraction. */
export function ntpMiddle32(t: NtpTimestamp): number {
  return (((t.seconds & 0xffff) << 16) | (t.fraction >>> 16)) >>> 0;
}

/** Compact NTP (16.16 fixed point seconds, as in DLSR) to milliseconds. */
export function compactNtpToMs(v: number): number {
  return (v / 65536) * 1000;
}

/** Milliseconds to compact NTP (16.16), rounded, clamped to [0, 2^32 − 1]. */
export function msToCompactNtp(ms: number): number {
  const v = Math.round((ms / 1000) * 65536);
  if (!Number.isFinite(v) || v < 0) return 0;
  return Math.min(v, TWO_32 - 1);
}
