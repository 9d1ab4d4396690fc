/**
 * RFC 3261 §14.1: after a 491 to a re-INVITE, retry after a random delay. The owner of the
 * Call-ID (the UA that generated it) waits 2.1–4 s, the other side 0–2 s, in units of 10 ms.
 */
const TEN_MS = 10;

export function glareRetryDelayMs(ownsCallId: boolean, random: () => number = Math.random): number {
  const [lo, hi] = ownsCallId ? [2100, 4000] : [0, 2000];
  const steps = Math.floor(random() * ((hi - lo) / TEN_MS + 1));
  return Math.min(hi, lo + steps * TEN_MS);
}
