import { describe, expect, it } from 'vitest';
import { NackScheduler, type NackSchedulerOptions } from '../../../server/rtp/recovery/nack-scheduler.js';
import { RecoveryError } from '../../../server/rtp/recovery/recovery-error.js';
import { seqDiff } from '../../../server/rtp/seq.js';

/** Packets every 20 ms from seq 65530 at t=0; each one's deadline is 100 ms after it was due. */
const FIRST = 65530;
function dueAt(seq: number): number {
  return seqDiff(seq, FIRST) * 20;
}

function scheduler(options: Partial<NackSchedulerOptions> = {}, rtt = 40): NackScheduler {
  return new NackScheduler({ deadlineOf: (seq) => dueAt(seq) + 100, rttMs: () => rtt, ...options });
}

describe('the NACK scheduler requests missing packets while they can still be played', () => {
  it('requests a packet as soon as the gap is seen, across 65535→0', () => {
    const s = scheduler();
    s.onArrival(65535, dueAt(65535));
    s.onArrival(2, dueAt(2));
    expect(s.due(dueAt(2))).toEqual([0, 1]);
    expect(s.stats.requested).toBe(2);
  });

  it.each([
    // [time of the due() call, what it returns]: first request at 40, retry at 40 + rtt 20 + margin 10.
    { rtt: 20, calls: [[40, [65531]], [60, []], [70, [65531]], [200, []]] as const, requested: 2 },
    // With rtt 40 the retry (40 + 50 = 90) could not arrive before the deadline (20 + 100); given
    // up once the deadline has passed.
    { rtt: 40, calls: [[40, [65531]], [89, []], [90, []], [121, []]] as const, requested: 1 },
  ])('with an RTT of $rtt ms it asks again once, only if the answer can beat the deadline', ({ rtt, calls, requested }) => {
    const s = scheduler({}, rtt);
    s.onArrival(65530, 0);
    s.onArrival(65532, 40);
    for (const [now, expected] of calls) expect(s.due(now)).toEqual(expected);
    expect(s.stats.requested).toBe(requested);
    expect(s.stats.abandoned).toBe(1);
  });

  it('never asks when the retransmission could not arrive before the deadline', () => {
    const s = scheduler({}, 200);
    s.onArrival(65530, 0);
    s.onArrival(65532, 40);
    expect(s.due(40)).toEqual([]);
    expect(s.stats.abandoned).toBe(0);
    expect(s.due(121)).toEqual([]);
    expect(s.stats).toMatchObject({ requested: 0, abandoned: 1 });
    s.onArrival(65531, 130);
    expect(s.stats.late).toBe(1);
  });

  it('asks without a deadline check when the deadline is unknown, still at most twice', () => {
    const s = scheduler({ deadlineOf: () => undefined });
    s.onArrival(1, 0);
    s.onArrival(3, 40);
    expect(s.due(40)).toEqual([2]);
    expect(s.due(90)).toEqual([2]);
    expect(s.due(1000)).toEqual([]);
    expect(s.stats).toMatchObject({ requested: 2, abandoned: 1 });
  });

  it('counts a requested packet that arrives in time as recovered, even after it stopped being re-requested', () => {
    const s = scheduler({}, 40);
    s.onArrival(65530, 0);
    s.onArrival(65532, 40);
    expect(s.due(40)).toEqual([65531]);
    expect(s.due(100)).toEqual([]); // too late to ask again, but the first answer is due at 80
    s.onArrival(65531, 110);
    expect(s.stats).toMatchObject({ recovered: 1, late: 0, abandoned: 0 });
  });

  it('counts a requested packet that arrives in time as recovered, and one after its deadline as late', () => {
    const s = scheduler({}, 20);
    s.onArrival(65530, 0);
    s.onArrival(65533, 60);
    expect(s.due(60)).toEqual([65531, 65532]);
    s.onArrival(65531, 80);
    s.onArrival(65532, 200);
    expect(s.stats).toMatchObject({ recovered: 1, late: 1 });
    expect(s.pending()).toEqual([]);
  });

  it('counts a missing packet that turns up before any request as reordered', () => {
    const s = scheduler();
    s.onArrival(10, 0);
    s.onArrival(12, 1);
    s.onArrival(11, 2);
    expect(s.due(3)).toEqual([]);
    expect(s.stats.reordered).toBe(1);
  });

  it('does not chase a gap of more than maxMissing numbers', () => {
    const s = scheduler({ maxMissing: 256, deadlineOf: () => undefined });
    s.onArrival(65000, 0);
    s.onArrival(65002, 1); // 65001 missing
    s.onArrival(65002 + 258, 2); // 257 missing: too many
    expect(s.due(2)).toEqual([]);
    expect(s.stats.gapsTooLarge).toBe(1);
    expect(s.stats.abandoned).toBe(1);
  });

  it('keeps at most maxMissing packets, giving up the oldest', () => {
    const s = scheduler({ maxMissing: 4, deadlineOf: () => undefined });
    s.onArrival(0, 0);
    s.onArrival(4, 1); // 1, 2, 3
    s.onArrival(7, 2); // 5, 6: 1 is pushed out
    expect(s.pending()).toEqual([2, 3, 5, 6]);
    expect(s.stats.abandoned).toBe(1);
  });

  it('ignores duplicates and numbers older than anything tracked', () => {
    const s = scheduler();
    s.onArrival(100, 0);
    s.onArrival(100, 1);
    s.onArrival(90, 2);
    expect(s.due(3)).toEqual([]);
    expect(s.stats).toMatchObject({ requested: 0, recovered: 0, late: 0, reordered: 0 });
  });

  it('follows a sender that restarts far behind once two consecutive numbers confirm it (RFC 3550 A.1)', () => {
    const s = scheduler({ deadlineOf: () => undefined });
    s.onArrival(30000, 0);
    s.onArrival(30002, 1); // 30001 missing
    s.onArrival(5, 2);
    s.onArrival(6, 3); // restart confirmed: 30001 given up
    s.onArrival(8, 4); // 7 missing in the new numbering
    expect(s.due(4)).toEqual([7]);
    expect(s.stats.abandoned).toBe(1);
  });

  it('says when it next has something to do', () => {
    const s = scheduler({ deadlineOf: () => undefined, retryMarginMs: 5 }, 30);
    expect(s.nextDueMs()).toBeUndefined();
    s.onArrival(1, 0);
    s.onArrival(3, 20);
    expect(s.nextDueMs()).toBe(20);
    s.due(25);
    expect(s.nextDueMs()).toBe(60);
  });

  it.each([
    { options: { maxRequests: 0 }, field: 'maxRequests' },
    { options: { maxMissing: 0 }, field: 'maxMissing' },
    { options: { retryMarginMs: -1 }, field: 'retryMarginMs' },
  ])('rejects $field out of range with RECOVERY_BAD_OPTION', ({ options, field }) => {
    try {
      scheduler(options);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RecoveryError);
      expect((err as RecoveryError).field).toBe(field);
    }
  });
});
