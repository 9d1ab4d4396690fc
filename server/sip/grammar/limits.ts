/**
 * Size limits applied to network input before anything is allocated for it. RFC 3261 §18.1.1
 * mentions messages up to 65,535 bytes; larger datagrams cannot exist and larger stream messages
 * are refused (the connection is closed).
 */
export interface SipLimits {
  /** Whole message: start line, headers and body. */
  maxMessageBytes: number;
  /** Start line plus headers, up to and including the empty line. */
  maxHeaderSectionBytes: number;
  /** Number of header fields (after unfolding). */
  maxHeaders: number;
  /** One header field after unfolding (name, colon and value). */
  maxHeaderLineBytes: number;
  /** The request or status line. */
  maxStartLineBytes: number;
}

export const DEFAULT_SIP_LIMITS: Readonly<SipLimits> = Object.freeze({
  maxMessageBytes: 65536,
  maxHeaderSectionBytes: 65536,
  maxHeaders: 200,
  maxHeaderLineBytes: 16384,
  maxStartLineBytes: 8192,
});

export function resolveLimits(limits?: Partial<SipLimits>): SipLimits {
  if (!limits) return DEFAULT_SIP_LIMITS;
  const out = { ...DEFAULT_SIP_LIMITS };
  for (const k of Object.keys(DEFAULT_SIP_LIMITS) as (keyof SipLimits)[]) {
    const v = limits[k];
    if (v !== undefined) {
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`SipLimits.${k} must be a positive integer`);
      out[k] = v;
    }
  }
  return out;
}
