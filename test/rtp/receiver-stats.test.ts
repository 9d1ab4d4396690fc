import { describe, expect, it } from 'vitest';
import {
  clampCumulativeLost,
  fractionLostField,
  ReceiverStats,
  type SeqVerdict,
} from '../../server/rtp/receiver-stats.js';

/** Feed sequence numbers (timestamps 160 apart per step, arrivals 20 ms apart) and collect verdicts. */
function feed(seqs: number[], clockRate = 8000): { stats: ReceiverStats; verdicts: SeqVerdict[] } {
  const first = seqs[0] ?? 0;
  const stats = new ReceiverStats(0xabcd, clockRate, first);
  const verdicts = seqs.map((s, i) => stats.update(s, (s - first) * 160, i * 20));
  return { stats, verdicts };
}

function range(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (from + i) % 65536);
}

describe('RFC 3550 Appendix A.1/A.3 reception statistics', () => {
  it.each([
    {
      name: 'in-order packets',
      seqs: range(100, 10),
      want: { received: 10, expected: 10, lost: 0, duplicates: 0, reordered: 0, cycles: 0, extendedHighestSeq: 109 },
    },
    {
      name: 'two packets lost',
      seqs: [100, 101, 102, 103, 106, 107, 108, 109],
      want: { received: 8, expected: 10, lost: 2, duplicates: 0, reordered: 0 },
    },
    {
      name: 'one packet reordered',
      seqs: [1, 2, 4, 3, 5, 6],
      want: { received: 6, expected: 6, lost: 0, duplicates: 0, reordered: 1 },
    },
    {
      name: 'a duplicate (A.3 lets it offset losses: lost goes negative)',
      seqs: [1, 2, 3, 3, 4],
      want: { received: 5, expected: 4, lost: -1, duplicates: 1, reordered: 0 },
    },
    {
      name: 'a duplicate of an old packet',
      seqs: [1, 2, 3, 4, 2, 5],
      want: { received: 6, expected: 5, lost: -1, duplicates: 1, reordered: 0 },
    },
    {
      name: 'the wrap at 65535',
      seqs: [65533, 65534, 65535, 0, 1, 2],
      want: { received: 6, expected: 6, lost: 0, cycles: 1, extendedHighestSeq: 65536 + 2 },
    },
    {
      name: 'reordering across the wrap',
      seqs: [65534, 65535, 1, 0, 2],
      want: { received: 5, expected: 5, lost: 0, reordered: 1, cycles: 1, extendedHighestSeq: 65536 + 2 },
    },
    {
      name: 'loss across the wrap',
      seqs: [65533, 65534, 1, 2],
      want: { received: 4, expected: 6, lost: 2, cycles: 1 },
    },
  ])('counts $name', ({ seqs, want }) => {
    const { stats } = feed(seqs);
    expect(stats.snapshot()).toMatchObject({ valid: true, ...want });
  });

  it('holds a new source on probation until MIN_SEQUENTIAL packets arrive in sequence', () => {
    const { stats, verdicts } = feed([10, 12, 13, 14]);
    expect(verdicts).toEqual(['probation', 'probation', 'ok', 'ok']);
    // The validating pair (12, 13) counts, then 14.
    expect(stats.snapshot()).toMatchObject({ valid: true, received: 3, expected: 3, lost: 0 });
  });

  it('reports nothing while the source is on probation', () => {
    const stats = new ReceiverStats(1, 8000, 500);
    expect(stats.update(500, 0, 0)).toBe('probation');
    expect(stats.snapshot()).toMatchObject({ valid: false, received: 0, expected: 0 });
  });

  it('drops a single large jump as bad_seq and re-syncs on a second sequential one (source restart)', () => {
    const { stats, verdicts } = feed([...range(1000, 10), 30000, 30001, 30002]);
    expect(verdicts.slice(10)).toEqual(['bad', 'restart', 'ok']);
    // A.1: after the restart the counters start over at the new sequence.
    expect(stats.snapshot()).toMatchObject({ restarts: 1, badSeq: 1, received: 2, expected: 2, lost: 0, extendedHighestSeq: 30002 });
  });

  it('does not restart on one stray packet', () => {
    const { stats, verdicts } = feed([...range(1000, 5), 40000, 1005, 1006]);
    expect(verdicts.slice(5)).toEqual(['bad', 'ok', 'ok']);
    expect(stats.snapshot()).toMatchObject({ restarts: 0, badSeq: 1, received: 7, expected: 7 });
  });

  it('treats a packet more than MAX_MISORDER late as bad', () => {
    const { verdicts } = feed([...range(1, 300), 50]);
    expect(verdicts.at(-1)).toBe('bad');
  });

  it('computes the fraction lost per reporting interval and cumulative loss (A.3)', () => {
    const stats = new ReceiverStats(7, 8000, 0);
    const arrive = (seqs: number[]): void => {
      for (const s of seqs) stats.update(s, s * 160, s * 20);
    };
    arrive(range(0, 10)); // no loss
    const r1 = stats.makeReportBlock(1000);
    expect(r1).toMatchObject({ ssrc: 7, fractionLost: 0, cumulativeLost: 0, highestSeq: 9, lsr: 0, dlsr: 0 });
    arrive([10, 11, 14, 15, 16, 17, 18, 19]); // 2 of 10 lost in this interval
    const r2 = stats.makeReportBlock(2000);
    expect(r2.fractionLost).toBe(Math.floor((2 * 256) / 10));
    expect(r2.cumulativeLost).toBe(2);
    expect(stats.snapshot().lastFractionLost).toBeCloseTo(51 / 256, 10);
    arrive([20, 21, 13]); // a late one arrives: this interval received more than expected
    const r3 = stats.makeReportBlock(3000);
    expect(r3.fractionLost).toBe(0);
    expect(r3.cumulativeLost).toBe(1);
  });

  it('fills LSR and DLSR from the last SR of the source (§6.4.1)', () => {
    const stats = new ReceiverStats(7, 8000, 0);
    stats.update(0, 0, 0);
    stats.update(1, 160, 20);
    stats.onSenderReport(0xd15bc624, 1000);
    const r = stats.makeReportBlock(2500);
    expect(r.lsr).toBe(0xd15bc624);
    expect(r.dlsr).toBe(0x18000); // 1.5 s in 1/65536 s
  });

  it('clamps cumulative loss to signed 24 bits and computes the 8-bit fraction', () => {
    expect(clampCumulativeLost(9_000_000)).toBe(0x7fffff);
    expect(clampCumulativeLost(-9_000_000)).toBe(-0x800000);
    expect(clampCumulativeLost(-5)).toBe(-5);
    expect(fractionLostField(0, 0)).toBe(0);
    expect(fractionLostField(4, 5)).toBe(0);
    expect(fractionLostField(4, 3)).toBe(64);
    expect(fractionLostField(1, 0)).toBe(255);
  });
});

describe('RFC 3550 Appendix A.8 interarrival jitter', () => {
  it('matches a hand-computed sequence', () => {
    // 8 kHz, 20 ms packets (160 ticks). Arrivals 0, 20, 45, 60, 80 ms → D = 0, +40, −40, 0 ticks.
    // J: 0 → 0 → 40/16 = 2.5 → 2.5 + (40 − 2.5)/16 = 4.84375 → 4.84375 · 15/16 = 4.541015625
    const stats = new ReceiverStats(1, 8000, 0);
    const arrivals = [0, 20, 45, 60, 80];
    arrivals.forEach((a, i) => stats.update(i, 1000 + i * 160, a));
    const snap = stats.snapshot();
    expect(snap.jitter).toBeCloseTo(4.541015625, 12);
    expect(snap.jitterMs).toBeCloseTo(4.541015625 / 8, 12);
    expect(stats.makeReportBlock(100).jitter).toBe(4);
  });

  it('is zero for perfectly paced packets across a timestamp wrap', () => {
    const stats = new ReceiverStats(1, 48000, 0);
    for (let i = 0; i < 50; i++) stats.update(i, (0xffff_f000 + i * 960) % 0x1_0000_0000, i * 20);
    expect(stats.snapshot().jitter).toBe(0);
  });
});
