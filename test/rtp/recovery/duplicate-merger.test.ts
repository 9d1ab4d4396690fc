import { describe, expect, it } from 'vitest';
import { DuplicateMerger, type PathIndex } from '../../../server/rtp/recovery/duplicate-merger.js';
import { RecoveryError } from '../../../server/rtp/recovery/recovery-error.js';
import { seqAdd, tsAdd } from '../../../server/rtp/seq.js';

/** 20 ms packets at 48 kHz from seq 65533, timestamps starting just below 2^32. */
function pkt(i: number): { sequenceNumber: number; timestamp: number } {
  return { sequenceNumber: seqAdd(65533, i), timestamp: tsAdd(0xffff_f000, 960 * i) };
}

describe('merging a stream duplicated over two paths (RFC 7198)', () => {
  it('passes each sequence number on once, the first copy winning, across 65535→0', () => {
    const m = new DuplicateMerger({ clockRate: 48000 });
    // [path, packet index, arrival ms, passed on?]
    const rows: [PathIndex, number, number, boolean][] = [
      [0, 0, 20, true],
      [1, 0, 35, false],
      [1, 1, 55, true], // path 0 lost it, path 1 delivers it
      [0, 2, 60, true],
      [1, 2, 75, false],
      [1, 3, 95, true], // path 1 wins the race (crosses 65535→0)
      [0, 3, 100, false],
      [0, 3, 101, false], // path 0's own duplicate
      [0, 4, 100, true],
    ];
    for (const [path, i, at, passed] of rows) expect(m.push(path, pkt(i), at)).toBe(passed);
    expect(m.stats()).toMatchObject({ delivered: 5, duplicates: 4, lost: 0, stale: 0, bothPaths: 3 });
    expect(m.pathStats(0)).toMatchObject({ received: 4, lost: 1, duplicates: 1, firstCopies: 3 });
    expect(m.pathStats(1)).toMatchObject({ received: 4, lost: 0, duplicates: 0, firstCopies: 2 });
  });

  it('measures the delay of path 1 relative to path 0 over numbers that came both ways', () => {
    const m = new DuplicateMerger({ clockRate: 48000 });
    for (let i = 0; i < 50; i++) {
      m.push(0, pkt(i), i * 20 + 10);
      m.push(1, pkt(i), i * 20 + 25);
    }
    expect(m.stats().relativeDelayMs).toBeCloseTo(15, 6);
    const n = new DuplicateMerger({ clockRate: 48000 });
    n.push(1, pkt(0), 5);
    n.push(0, pkt(0), 30);
    expect(n.stats().relativeDelayMs).toBe(-25);
  });

  it('computes per-path jitter as RFC 3550 A.8: zero for constant delay, growing with variation', () => {
    const m = new DuplicateMerger({ clockRate: 48000 });
    for (let i = 0; i < 100; i++) {
      m.push(0, pkt(i), i * 20 + 30);
      m.push(1, pkt(i), i * 20 + 30 + (i % 2 === 0 ? 0 : 4));
    }
    expect(m.pathStats(0).jitter).toBe(0);
    // |D| is 4 ms = 192 units on every packet: J converges to 192.
    expect(m.pathStats(1).jitter).toBeGreaterThan(190);
    expect(m.pathStats(1).jitter).toBeLessThanOrEqual(192);
    expect(m.pathStats(1).jitterMs).toBeCloseTo(m.pathStats(1).jitter / 48, 9);
  });

  it('counts a sequence number lost on both paths as lost in the merged stream', () => {
    const m = new DuplicateMerger({ clockRate: 8000 });
    for (let i = 0; i < 10; i++) {
      if (i !== 3 && i !== 6) m.push(0, pkt(i), i * 20);
      if (i !== 3 && i !== 7) m.push(1, pkt(i), i * 20 + 1);
    }
    expect(m.stats().lost).toBe(1);
    expect(m.pathStats(0).lost).toBe(2);
    expect(m.pathStats(1).lost).toBe(2);
  });

  it('drops packets too far behind the remembered window as stale', () => {
    const m = new DuplicateMerger({ clockRate: 48000, window: 32 });
    m.push(0, { sequenceNumber: 1000, timestamp: 0 }, 0);
    expect(m.push(1, { sequenceNumber: 900, timestamp: 0 }, 1)).toBe(false);
    expect(m.stats().stale).toBe(1);
  });

  it('rejects a clock rate of 0 with RECOVERY_BAD_OPTION', () => {
    expect(() => new DuplicateMerger({ clockRate: 0 })).toThrow(RecoveryError);
  });
});
