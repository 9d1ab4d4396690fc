/** RFC 3711 Appendix A: estimating the packet index (ROC and SEQ) from the highest index received. */
import { describe, expect, it } from 'vitest';
import { estimateSrtpIndex, rocOf } from '../../../server/rtp/srtp/srtp-index.js';

const ROC = 0x1_0000;

describe('estimateSrtpIndex', () => {
  it.each([
    { why: 'the first packet of a stream gets ROC 0', highest: -1, seq: 40000, index: 40000 },
    { why: 'the next packet keeps the ROC', highest: 5 * ROC + 100, seq: 101, index: 5 * ROC + 101 },
    { why: 'a late packet keeps the ROC', highest: 5 * ROC + 100, seq: 90, index: 5 * ROC + 90 },
    { why: 'a packet after the wrap takes ROC + 1 (s_l ≥ 2^15)', highest: 5 * ROC + 65535, seq: 0, index: 6 * ROC },
    { why: 'a packet well after the wrap still takes ROC + 1', highest: 5 * ROC + 60000, seq: 20000, index: 6 * ROC + 20000 },
    { why: 'a late packet from before the wrap takes ROC − 1 (s_l < 2^15)', highest: 6 * ROC + 2, seq: 65534, index: 5 * ROC + 65534 },
    { why: 'exactly half the space ahead keeps the ROC (s_l < 2^15)', highest: 2 * ROC + 0, seq: 32768, index: 2 * ROC + 32768 },
    { why: 'just past half the space ahead is taken as late (s_l < 2^15)', highest: 2 * ROC + 0, seq: 32769, index: 1 * ROC + 32769 },
    { why: 'a packet from before the stream start is negative (too old)', highest: 3, seq: 65000, index: -ROC + 65000 },
  ])('$why', ({ highest, seq, index }) => {
    expect(estimateSrtpIndex(highest, seq)).toBe(index);
  });

  it('reads the ROC as the upper 32 bits of the 48-bit index', () => {
    expect(rocOf(0)).toBe(0);
    expect(rocOf(7 * ROC + 123)).toBe(7);
    expect(rocOf(0xffff_ffff * ROC + 0xffff)).toBe(0xffff_ffff);
  });
});
