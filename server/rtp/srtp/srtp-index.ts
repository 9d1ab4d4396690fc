/**
 * The SRTP packet index (RFC 3711 §3.3.1): i = 2^16 · ROC + SEQ, a 48-bit number the sender never
 * reuses. The 32-bit rollover counter (ROC) is not on the wire; the receiver estimates it from the
 * highest sequence number s_l it has authenticated, following Appendix A:
 *
 *     if s_l < 2^15:  v = ROC − 1 if SEQ − s_l > 2^15, else ROC
 *     else:           v = ROC + 1 if s_l − 2^15 > SEQ, else ROC
 *     i = SEQ + v · 2^16
 *
 * expressed here on the highest accepted index, so ROC and s_l are never stored apart.
 */
const SEQ_SPAN = 0x1_0000;
const HALF_SEQ = 0x8000;
/** 2^48: the index space of one master key (RFC 3711 §3.3.1). */
export const SRTP_INDEX_LIMIT = 2 ** 48;

/**
 * Estimated index of a packet with sequence number `seq`, given the highest accepted index
 * (−1 before the first packet, which then gets ROC 0). May return a negative number for a packet
 * from before the first one of the stream (ROC would be −1): callers treat it as too old.
 */
export function estimateSrtpIndex(highestIndex: number, seq: number): number {
  if (highestIndex < 0) return seq;
  const roc = Math.floor(highestIndex / SEQ_SPAN);
  const sL = highestIndex % SEQ_SPAN;
  let v = roc;
  if (sL < HALF_SEQ) {
    if (seq - sL > HALF_SEQ) v = roc - 1;
  } else if (sL - HALF_SEQ > seq) {
    v = roc + 1;
  }
  return v * SEQ_SPAN + seq;
}

/** The rollover counter part of an index, as the 32-bit value that goes into the tag or IV. */
export function rocOf(index: number): number {
  return Math.floor(index / SEQ_SPAN) >>> 0;
}
