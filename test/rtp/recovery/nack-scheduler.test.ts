import { describe, expect, it } from 'vitest';
import { ANSWER_MARGIN_FLOOR_MS, NackScheduler, type NackSchedulerOptions } from '../../../server/rtp/recovery/nack-scheduler.js';
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
    { options: { lateFirstWindowMs: -1 }, field: 'lateFirstWindowMs' },
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

describe('the NACK scheduler with numbers deemed lost by time, holds, a cap and late repeats', () => {
  it('chases numbers deemed lost ahead of the highest, and a later gap keeps their requests', () => {
    const s = scheduler();
    s.onArrival(65530, 0);
    s.onOverdue([65531, 65532], 45);
    expect(s.due(45)).toEqual([65531, 65532]);
    s.onArrival(65534, 80); // the gap 65531..65533 shows: 65533 is new, the others keep their request
    expect(s.due(80)).toEqual([65533]);
    expect(s.stats).toMatchObject({ overdue: 2, requested: 3 });
  });

  it('ignores numbers at or behind the highest, already tracked, or beyond maxMissing', () => {
    const s = scheduler({ maxMissing: 4 });
    s.onArrival(100, 0);
    s.onOverdue([99, 100, 101, 101, 110], 25);
    expect(s.pending()).toEqual([101]);
  });

  it('settles a number deemed lost that arrives after all as recovered, or reordered if never asked for', () => {
    const s = scheduler({ holdUntil: (seq) => (seq === 65532 ? 1000 : undefined) });
    s.onArrival(65530, 0);
    s.onOverdue([65531, 65532], 45);
    expect(s.due(45)).toEqual([65531]);
    s.onArrival(65531, 50);
    s.onArrival(65532, 60);
    expect(s.stats).toMatchObject({ recovered: 1, reordered: 1, held: 1 });
    expect(s.pending()).toEqual([]);
  });

  it('holds a first request until holdUntil, but not a number whose hold has passed', () => {
    const s = scheduler({ holdUntil: () => 70 });
    s.onArrival(65530, 0);
    s.onArrival(65532, 40);
    expect(s.due(40)).toEqual([]);
    expect(s.due(69)).toEqual([]);
    expect(s.due(70)).toEqual([65531]);
    expect(s.stats.held).toBe(1);
  });

  it('makes at most maxPerRtt requests in any RTT, oldest first', () => {
    const s = scheduler({ maxPerRtt: 3, deadlineOf: () => undefined }, 40);
    s.onArrival(0, 0);
    s.onArrival(7, 1); // 1..6 missing
    expect(s.due(1)).toEqual([1, 2, 3]);
    expect(s.due(20)).toEqual([]);
    expect(s.due(41)).toEqual([4, 5, 6]);
    expect(s.stats.capped).toBeGreaterThan(0);
  });

  it.each([
    // The deadline of 65531 is 120 and the RTT 20: the answer to the request at 40 is overdue at
    // 70 (RTT + 10 ms margin); the last useful moment is 100. With a 7.5 ms window the repeat waits
    // until now + 20 + 7.5 > 120.
    { window: undefined, calls: [[40, [65531]], [70, [65531]]] as const },
    { window: 7.5, calls: [[40, [65531]], [70, []], [92.5, []], [95, [65531]]] as const },
  ])('with a late-retry window of $window ms repeats as late as is still useful', ({ window, calls }) => {
    const s = scheduler({ ...(window !== undefined ? { lateRetryWindowMs: window } : {}) }, 20);
    s.onArrival(65530, 0);
    s.onArrival(65532, 40);
    for (const [now, expected] of calls) expect(s.due(now)).toEqual(expected);
    expect(s.stats.requested).toBe(2);
  });

  it('counts the guard with the RTT: no request that would arrive within the guard of the deadline', () => {
    const s = scheduler({ guardMs: () => 10 }, 40);
    s.onArrival(65530, 0);
    s.onArrival(65532, 40);
    expect(s.due(71)).toEqual([]); // 71 + 40 + 10 > 120
    expect(s.stats.requested).toBe(0);
  });
});

describe('the NACK scheduler spaces the only request there is time for past the burst', () => {
  /** Packets from 65520 (t = −200) to 65530 (t = 0), 65521 lost and answered `answerMs` after its request. */
  function measured(s: NackScheduler, answerMs: number): void {
    for (let k = 0; k <= 10; k++) {
      if (k === 1) continue;
      s.onArrival(65520 + k, -200 + 20 * k);
      if (k === 2) expect(s.due(-160)).toEqual([65521]);
    }
    s.onArrival(65521, -160 + answerMs, true);
    expect(s.answerTimeMs).toBe(answerMs);
  }

  it.each([
    // 65531 is due at 20 and played at 120; the gap shows at 40. With answers in 40 ms a repeat
    // could not follow a request at 40 (40 + 40 + 10 margin + 40 > 120): the one request waits
    // until it is within the window of the last moment its answer, answer time plus margin, beats
    // 120: 70. Until an answer is measured it goes out at once.
    { name: 'no window', rtt: 40, answer: true, window: undefined, calls: [[40, [65531]]] as const, spaced: 0 },
    { name: 'a 7.5 ms window', rtt: 40, answer: true, window: 7.5, calls: [[40, []], [60, []], [62.5, []], [65, [65531]], [200, []]] as const, spaced: 1 },
    { name: 'a 7.5 ms window, no answer measured yet', rtt: 40, answer: false, window: 7.5, calls: [[40, [65531]]] as const, spaced: 0 },
    // With answers in 20 ms a repeat still fits after a request at 40 (40 + 20 + 10 + 20 ≤ 120): ask at once.
    { name: 'room for a repeat', rtt: 20, answer: true, window: 7.5, calls: [[40, [65531]]] as const, spaced: 0 },
  ])('with $name (RTT $rtt ms) the first request goes out as the table says', ({ rtt, answer, window, calls, spaced }) => {
    const s = scheduler({ ...(window !== undefined ? { lateFirstWindowMs: window } : {}) }, rtt);
    if (answer) measured(s, rtt);
    else s.onArrival(65530, 0);
    s.onArrival(65532, 40);
    for (const [now, expected] of calls) expect(s.due(now)).toEqual(expected);
    expect(s.stats).toMatchObject({ requested: answer ? 2 : 1, spaced });
  });

  it.each([
    // The window opens once now + 40 + 10 margin + 7.5 > 120 (62.5). A tick that comes late (a
    // stalled receiver) still asks while the answer time alone fits (now + 40 ≤ 120), not after.
    { late: 75, asked: [65531] },
    { late: 80, asked: [65531] },
    { late: 81, asked: [] },
  ])('a spaced request whose window a stalled tick missed still goes out at $late ms while the answer time fits', ({ late, asked }) => {
    const s = scheduler({ lateFirstWindowMs: 7.5, guardMs: () => 10 }, 40);
    measured(s, 40);
    s.onArrival(65532, 40);
    expect(s.due(40)).toEqual([]);
    expect(s.due(late)).toEqual(asked);
    expect(s.stats.spaced).toBe(1);
  });

  it('still counts the guard for a first request that was never spaced', () => {
    // Seen missing only at 75: 75 + 40 + 10 > 120, so no request.
    const s = scheduler({ guardMs: () => 10 }, 40);
    s.onArrival(65530, 0);
    s.onArrival(65532, 75);
    expect(s.due(75)).toEqual([]);
    expect(s.stats.requested).toBe(0);
  });
});

describe('the NACK scheduler measures how long an answer takes', () => {
  it('takes the answer time from a number asked for once, and repeats after it plus a margin (RFC 6298 shape)', () => {
    // The caller's RTT (50) is what a receive-only session falls back on; the answers take 30.
    const s = scheduler({ deadlineOf: () => undefined, retryMarginMs: 10 }, 50);
    s.onArrival(1, 0);
    s.onArrival(3, 20);
    expect(s.due(20)).toEqual([2]);
    s.onArrival(2, 50); // answered after 30 ms
    expect(s.answerTimeMs).toBe(30);
    expect(s.stats.answers).toBe(1);
    s.onArrival(5, 60);
    expect(s.due(60)).toEqual([4]);
    // First sample: RTTVAR is a quarter of retryMarginMs, so the margin is still 10 ms: 60 + 30 + 10.
    expect(s.due(99)).toEqual([]);
    expect(s.due(100)).toEqual([4]);
  });

  it('narrows the margin to the answers\' variation, down to ANSWER_MARGIN_FLOOR_MS', () => {
    const s = scheduler({ deadlineOf: () => undefined, retryMarginMs: 10 }, 50);
    s.onArrival(0, 0);
    let t = 0;
    // Twenty numbers lost one at a time, each answered exactly 30 ms after its request.
    for (let k = 1; k <= 20; k++) {
      t += 100;
      s.onArrival(2 * k, t);
      expect(s.due(t)).toEqual([2 * k - 1]);
      s.onArrival(2 * k - 1, t + 30);
    }
    t += 100;
    s.onArrival(42, t);
    expect(s.due(t)).toEqual([41]);
    expect(s.due(t + 30 + ANSWER_MARGIN_FLOOR_MS - 0.5)).toEqual([]);
    expect(s.due(t + 30 + ANSWER_MARGIN_FLOOR_MS)).toEqual([41]);
  });

  it.each([
    // [holdUntil given (copies may come), what the caller says of the arrival, whether it is an answer]
    { copies: false, retransmission: undefined, answers: 1 },
    { copies: false, retransmission: false, answers: 0 },
    { copies: true, retransmission: undefined, answers: 0 },
    { copies: true, retransmission: true, answers: 1 },
  ])('with copies possible: $copies, an arrival marked retransmission: $retransmission makes $answers answer sample', ({ copies, retransmission, answers }) => {
    const s = scheduler({ deadlineOf: () => undefined, ...(copies ? { holdUntil: () => undefined } : {}) }, 50);
    s.onArrival(1, 0);
    s.onArrival(3, 20);
    expect(s.due(20)).toEqual([2]);
    s.onArrival(2, 35, retransmission);
    expect(s.stats).toMatchObject({ answers, recovered: 1 });
    expect(s.answerTimeMs).toBe(answers === 1 ? 15 : undefined);
  });

  it('takes no answer time from a number asked for twice (Karn): either request may have been answered', () => {
    const s = scheduler({ deadlineOf: () => undefined }, 20);
    s.onArrival(1, 0);
    s.onArrival(3, 20);
    expect(s.due(20)).toEqual([2]);
    expect(s.due(50)).toEqual([2]);
    s.onArrival(2, 55);
    expect(s.answerTimeMs).toBeUndefined();
    expect(s.stats).toMatchObject({ answers: 0, recovered: 1 });
  });

  it('still makes first requests after slow answers, judging them by the shorter of the answer time and the RTT', () => {
    // Answers 200 ms late (a session starting up) must not rule out every later request: without
    // requests the answer time could never be measured again. Deadlines 300 ms after due.
    const s = scheduler({ deadlineOf: (seq) => dueAt(seq) + 300 }, 20);
    s.onArrival(65530, 0);
    s.onArrival(65532, 40);
    expect(s.due(40)).toEqual([65531]);
    s.onArrival(65531, 240);
    expect(s.answerTimeMs).toBe(40); // 200, counted as twice the RTT of 20
    s.onArrival(65534, 325);
    // 65533 is played at 360: 325 + 40 would miss it, 325 + the RTT of 20 would not.
    expect(s.due(325)).toEqual([65533]);
    s.onArrival(65533, 525);
    // 200 again, counted as twice 40: slower answers for good raise the answer time step by step.
    expect(s.answerTimeMs).toBe(40 + (80 - 40) / 8);
  });

  it.each([
    // 65531 is asked for at 40 with an RTT of 40: an answer after 70 ms counts whole, one after
    // 400 ms (a stalled receiver, a session starting up) as twice the RTT.
    { arrival: 110, answerTimeMs: 70, late: 0 },
    { arrival: 440, answerTimeMs: 80, late: 1 },
  ])('takes an answer arriving at $arrival ms as a sample of at most twice the answer time so far', ({ arrival, answerTimeMs, late }) => {
    const s = scheduler({}, 40);
    s.onArrival(65530, 0);
    s.onArrival(65532, 40);
    expect(s.due(40)).toEqual([65531]);
    s.onArrival(65531, arrival, true);
    expect(s.stats).toMatchObject({ answers: 1, late });
    expect(s.answerTimeMs).toBe(answerTimeMs);
  });

  it('repeats where the RTT it was given would not let it: a receive-only session knows no RTT', () => {
    // Deadlines 100 ms after each packet is due; the caller's RTT is the 50 ms default, the answers take 30.
    const s = scheduler({ lateRetryWindowMs: 7.5, retryMarginMs: 10 }, 50);
    s.onArrival(65530, 0);
    s.onArrival(65532, 40);
    expect(s.due(40)).toEqual([65531]);
    s.onArrival(65531, 70);
    s.onArrival(65534, 80);
    expect(s.due(80)).toEqual([65533]);
    // 65533 is played at 160: a repeat must go by 160 − 30 − guard; the first answer is overdue at 120.
    expect(s.due(115)).toEqual([]);
    expect(s.due(125)).toEqual([65533]);
    expect(s.stats.requested).toBe(3);
  });
});
