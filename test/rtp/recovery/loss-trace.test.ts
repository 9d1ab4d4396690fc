import { describe, expect, it } from 'vitest';
import { formatLossTrace, LossTrace, percentiles } from './loss-trace.js';

describe('the per-loss NACK/RTX timeline of the recovery benches', () => {
  it('follows each lost original through its requests and retransmissions to in time, late or never', () => {
    const t = new LossTrace();
    // Sent every 20 ms; 2, 4 and 6 lost; played 120 ms after the send.
    for (let k = 0; k < 8; k++) t.original(k, k * 20, [2, 4, 6].includes(k));
    // 2: asked at 70, retransmission lost; asked again at 100, answered, arrives at 140 (≤ 160: in time).
    t.request([2], 70, false);
    t.retransmission(2, 90, true);
    t.request([2], 100, false);
    t.retransmission(2, 120, false);
    t.retransmissionArrived(2, 140);
    // 4: asked at 110 (with 5, which was not lost), the request lost; never answered.
    t.request([4, 5], 110, true);
    // 6: asked at 150, answered late at 260 (> 240).
    t.request([6], 150, false);
    t.retransmission(6, 170, false);
    t.retransmissionArrived(6, 260);
    const s = t.summary(120);
    expect(s).toMatchObject({
      lost: 3,
      requestedFirst: 3,
      requestedRepeat: 1,
      requestedNotLost: 1,
      requestsLost: 2,
      neverRequested: 0,
      noRequestArrived: 1,
      rtxSent: 3,
      rtxLost: 1,
      rtxInTime: 1,
      rtxLate: 1,
      rtxNever: 1,
    });
    expect(s.firstRequestAfterSendMs).toMatchObject({ n: 3, p50: 30 });
    expect(s.repeatAfterFirstMs).toMatchObject({ n: 1, p50: 30 });
    expect(s.rtxSlackMs).toMatchObject({ n: 2, p10: -20, p90: 20 });
    expect(formatLossTrace(s)).toContain('lost 3: asked 3');
  });

  it('summarises only the losses sent inside the window', () => {
    const t = new LossTrace();
    t.original(1, 10, true);
    t.original(2, 50, true);
    expect(t.summary(100, 20, 60).lost).toBe(1);
  });

  it('takes percentiles by rank, NaN when there is nothing', () => {
    expect(percentiles([5, 1, 4, 2, 3])).toEqual({ n: 5, p10: 1, p50: 3, p90: 5 });
    expect(percentiles([]).p50).toBeNaN();
  });
});
