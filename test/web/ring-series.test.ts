import { describe, expect, it } from 'vitest';
import { GRAPH_WINDOW_S, LinkSeries, TimeRing, counterDelta } from '../../web/src/model/ring-series.js';
import { rxStats, snapshot } from './snapshots.js';

describe('10-minute graph ring', () => {
  it('keeps only the last 10 minutes of 1 Hz points', () => {
    const r = new TimeRing(1);
    for (let t = 0; t <= 1000; t++) r.push(t, [t * 2]);
    const [times, values] = r.columns();
    expect(times[0]).toBe(1000 - GRAPH_WINDOW_S);
    expect(times.at(-1)).toBe(1000);
    expect(times.length).toBe(GRAPH_WINDOW_S + 1);
    expect(values![0]).toBe((1000 - GRAPH_WINDOW_S) * 2);
    expect(values!.at(-1)).toBe(2000);
  });

  it('never holds more than its capacity, even when points come faster than 1 Hz', () => {
    const r = new TimeRing(1, 600, 100);
    for (let i = 0; i < 1000; i++) r.push(i / 100, [i]);
    expect(r.length).toBe(100);
    const [times, values] = r.columns();
    expect(values![0]).toBe(900);
    expect(times.at(-1)).toBeCloseTo(9.99, 10);
  });

  it('turns unknown values into gaps (null) for uPlot', () => {
    const r = new TimeRing(2);
    r.push(1, [1, null]);
    r.push(2, [NaN, 3]);
    expect(r.columns()).toEqual([[1, 2], [1, null], [null, 3]]);
  });

  it('ignores a point older than the newest one', () => {
    const r = new TimeRing(1);
    r.push(10, [1]);
    r.push(9, [2]);
    expect(r.columns()).toEqual([[10], [1]]);
  });

  it('drops everything after a gap longer than the window', () => {
    const r = new TimeRing(1);
    r.push(0, [1]);
    r.push(1, [2]);
    r.push(1 + GRAPH_WINDOW_S + 5, [3]);
    expect(r.columns()).toEqual([[1 + GRAPH_WINDOW_S + 5], [3]]);
  });
});

describe('per-link graph series', () => {
  it('differentiates cumulative counters and restarts after a counter reset', () => {
    expect(counterDelta(undefined, 10)).toBe(0);
    expect(counterDelta(10, 15)).toBe(5);
    expect(counterDelta(15, 3)).toBe(3);
  });

  it('records buffer vs jitter, packets lost/late/concealed per interval, and RTT', () => {
    const s = new LinkSeries();
    s.feed(snapshot({ rx: rxStats({ bufferMs: 40, jitterMs: 2, lost: 0, late: 0, concealedMs: 0 }), rttMs: 10 }), 100);
    s.feed(snapshot({ rx: rxStats({ bufferMs: 60, jitterMs: 5, lost: 3, late: 1, concealedMs: 80 }), rttMs: 12 }), 101);
    expect(s.buffer.columns()).toEqual([[100, 101], [40, 60], [2, 5]]);
    // 80 ms concealed at 20 ms packets = 4 packets.
    expect(s.losses.columns()).toEqual([[100, 101], [0, 3], [0, 1], [0, 4]]);
    expect(s.rtt.columns()).toEqual([[100, 101], [10, 12]]);
  });

  it('records nothing while the link is not connected and restarts the deltas after', () => {
    const s = new LinkSeries();
    s.feed(snapshot({ rx: rxStats({ lost: 5 }) }), 1);
    s.feed(snapshot({ state: 'redialling', rx: null }), 2);
    s.feed(snapshot({ rx: rxStats({ lost: 7 }) }), 3);
    expect(s.losses.columns()[1]).toEqual([0, 0]);
    expect(s.losses.columns()[0]).toEqual([1, 3]);
  });
});
