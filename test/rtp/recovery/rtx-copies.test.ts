/**
 * Sending a retransmission more than once (RFC 4588 allows it) and a request more than once, so
 * that one loss burst on the way cannot take them all: the sender's copies of an early answer
 * (rtx.ts, `RtxCopyPolicy`), the receiver's echo of a first NACK (nack-scheduler.ts,
 * `echoSpacingMs`), and the answer-time rule that keeps a copy of a lost answer from passing for a
 * slow answer. All on explicit times (the fake clock's), no sockets.
 */
import { describe, expect, it } from 'vitest';
import { NackScheduler, type NackSchedulerOptions } from '../../../server/rtp/recovery/nack-scheduler.js';
import { RecoveryError } from '../../../server/rtp/recovery/recovery-error.js';
import type { RtpPacket } from '../../../server/rtp/rtp-packet.js';
import { RTX_MAX_PENDING_COPIES, RtxHistory, unwrapRtx, type RtxCopyPolicy } from '../../../server/rtp/rtx.js';
import { seqDiff } from '../../../server/rtp/seq.js';
import { FakeClock } from '../../../server/util/clock.js';

const ORIGINAL = { payloadType: 111, ssrc: 0x0a0b0c0d };
const RTX_PT = 112;
const RTT_MS = 40;

function packet(seq: number): RtpPacket {
  return { version: 2, padding: 0, marker: false, payloadType: ORIGINAL.payloadType, sequenceNumber: seq, timestamp: seq * 960, ssrc: ORIGINAL.ssrc, csrcs: [], extension: undefined, payload: Buffer.from([seq & 0xff]) };
}

function history(copy: RtxCopyPolicy | undefined, capacityMs = 1000): RtxHistory {
  return new RtxHistory({
    capacityPackets: 100,
    capacityMs,
    rtxSsrc: 0x01020304,
    rtxPayloadTypes: new Map([[ORIGINAL.payloadType, RTX_PT]]),
    initialRtxSeq: 65535,
    rttMs: () => RTT_MS,
    ...(copy ? { copy } : {}),
  });
}

const ONE_COPY: RtxCopyPolicy = { count: 1, spacingMs: 20, earlyMs: 30 };

/**
 * The original is sent at 0 and asked for at `askMs`; the sender's clock then calls `dueCopies`
 * every `tickMs` (its frame clock) until 200 ms. Returns when each copy left.
 */
function copyTimes(copy: RtxCopyPolicy | undefined, askMs: number, tickMs = 20): { answers: number; copiesAt: number[]; h: RtxHistory } {
  const clock = new FakeClock();
  const h = history(copy);
  h.record(packet(7), clock.now());
  const copiesAt: number[] = [];
  let answers = 0;
  clock.setTimer(askMs, () => {
    answers += h.onNack([7], clock.now()).packets.length;
  });
  for (let t = tickMs; t <= 200; t += tickMs) {
    clock.setTimer(t, () => {
      for (const p of h.dueCopies(clock.now())) {
        expect(unwrapRtx(p, ORIGINAL)?.sequenceNumber).toBe(7);
        copiesAt.push(clock.now());
      }
    });
  }
  clock.advance(200);
  return { answers, copiesAt, h };
}

describe('the RTX sender copies an early answer (RFC 4588 allows retransmitting a packet more than once)', () => {
  it.each([
    // The request reaches the sender 48 ms after the original's send: RTT 40 + 8, early.
    { name: 'no copy policy', copy: undefined, askMs: 48, copiesAt: [] },
    { name: 'one copy, on the first frame tick 20 ms after the answer', copy: ONE_COPY, askMs: 48, copiesAt: [80] },
    { name: 'two copies, each 20 ms after the one before', copy: { ...ONE_COPY, count: 2 }, askMs: 48, copiesAt: [80, 100] },
    // RTT 40 + earlyMs 30 = 70: a request at 70 is still early, one at 71 was timed by the receiver.
    { name: 'one copy of an answer to a request 70 ms after the send', copy: ONE_COPY, askMs: 70, copiesAt: [100] },
    { name: 'no copy of an answer to a request 71 ms after the send', copy: ONE_COPY, askMs: 71, copiesAt: [] },
  ])('$name', ({ copy, askMs, copiesAt }) => {
    const r = copyTimes(copy, askMs);
    expect(r.answers).toBe(1);
    expect(r.copiesAt).toEqual(copiesAt);
    expect(r.h.stats).toMatchObject({ resent: 1, copies: copiesAt.length, copiesDropped: 0 });
  });

  it('numbers each copy as a retransmission of its own (RFC 4588 §4: one higher than the previous)', () => {
    const h = history({ ...ONE_COPY, count: 2 });
    h.record(packet(7), 0);
    h.record(packet(8), 20);
    const answer = h.onNack([7, 8], 50).packets;
    const copies = [...h.dueCopies(70), ...h.dueCopies(90)];
    expect([...answer, ...copies].map((p) => p.sequenceNumber)).toEqual([65535, 0, 1, 2, 3, 4]);
    expect(copies.map((p) => unwrapRtx(p, ORIGINAL)?.sequenceNumber)).toEqual([7, 8, 7, 8]);
    expect(h.nextCopyMs()).toBeUndefined();
  });

  it('copies only the first answer: a repeated request was timed by the receiver', () => {
    const h = history(ONE_COPY);
    h.record(packet(7), 0);
    h.onNack([7], 48);
    expect(h.dueCopies(68)).toHaveLength(1);
    expect(h.onNack([7], 100).packets).toHaveLength(1);
    expect(h.nextCopyMs()).toBeUndefined();
    expect(h.stats).toMatchObject({ resent: 2, copies: 1 });
  });

  it('answers no request while copies of the answer are still queued, even on a round trip shorter than the spacing', () => {
    // RTT 10 ms: the resend interval is 7.5 ms, shorter than the receiver's 20 ms echo of its request.
    const h = new RtxHistory({ capacityPackets: 100, capacityMs: 1000, rtxSsrc: 1, rtxPayloadTypes: new Map([[ORIGINAL.payloadType, RTX_PT]]), initialRtxSeq: 0, rttMs: () => 10, copy: { ...ONE_COPY, count: 2 } });
    h.record(packet(7), 0);
    expect(h.onNack([7], 12).packets).toHaveLength(1);
    expect(h.dueCopies(32)).toHaveLength(1);
    const echo = h.onNack([7], 32);
    expect(echo.packets).toHaveLength(0);
    expect(echo.suppressed).toEqual([7]);
    expect(h.dueCopies(52)).toHaveLength(1);
    // The copies are out (the last one at 52): a later request is answered again.
    expect(h.onNack([7], 60).packets).toHaveLength(1);
    expect(h.stats).toMatchObject({ resent: 2, copies: 2, suppressed: 1 });
  });

  it.each([
    { name: 'the sender was not scheduled for more than the spacing past the copy\'s time', nowMs: 68 + 20.5, capacityMs: 1000 },
    { name: 'the original left the history meanwhile', nowMs: 70, capacityMs: 60 },
  ])('drops a copy when $name', ({ nowMs, capacityMs }) => {
    const h = history(ONE_COPY, capacityMs);
    h.record(packet(7), 0);
    h.onNack([7], 48);
    expect(h.dueCopies(nowMs)).toEqual([]);
    expect(h.stats).toMatchObject({ copies: 0, copiesDropped: 1 });
  });

  it(`keeps at most ${RTX_MAX_PENDING_COPIES} copies waiting, however many numbers are asked for at once`, () => {
    const h = new RtxHistory({ capacityPackets: 1000, capacityMs: 10_000, rtxSsrc: 1, rtxPayloadTypes: new Map([[ORIGINAL.payloadType, RTX_PT]]), initialRtxSeq: 0, rttMs: () => RTT_MS, copy: ONE_COPY });
    const seqs = Array.from({ length: 300 }, (_, i) => i);
    for (const s of seqs) h.record(packet(s), 0);
    expect(h.onNack(seqs, 40).packets).toHaveLength(300);
    expect(h.dueCopies(60)).toHaveLength(RTX_MAX_PENDING_COPIES);
    expect(h.stats).toMatchObject({ copies: RTX_MAX_PENDING_COPIES, copiesDropped: 300 - RTX_MAX_PENDING_COPIES });
  });

  it.each([
    { copy: { count: 0, spacingMs: 20, earlyMs: 30 }, field: 'copy.count' },
    { copy: { count: 5, spacingMs: 20, earlyMs: 30 }, field: 'copy.count' },
    { copy: { count: 1, spacingMs: -1, earlyMs: 30 }, field: 'copy.spacingMs' },
    { copy: { count: 1, spacingMs: 20, earlyMs: Number.NaN }, field: 'copy.earlyMs' },
  ])('rejects a copy policy with a bad $field', ({ copy, field }) => {
    expect(() => history(copy)).toThrow(RecoveryError);
    expect(() => history(copy)).toThrow(field);
  });
});

/** Packets every 20 ms from seq 100 at t=0, each played 120 ms after it was due. */
function dueAt(seq: number): number {
  return seqDiff(seq, 100) * 20;
}

function scheduler(options: Partial<NackSchedulerOptions> = {}): NackScheduler {
  return new NackScheduler({ deadlineOf: (seq) => dueAt(seq) + 120, rttMs: () => RTT_MS, retryMarginMs: 10, ...options });
}

describe('the NACK scheduler sends a first request once more (echoSpacingMs), as a feedback path loses requests too', () => {
  it.each([
    // 101 is missing from 20 ms (a gap at 102's arrival, 40 ms) and played at 140.
    { name: 'goes out once more 20 ms after the first', answerAtMs: undefined, polls: [40, 59, 60, 65], sent: [[101], [], [101], []] },
    { name: 'is not sent once the answer came', answerAtMs: 55, polls: [40, 60], sent: [[101], []] },
    // 101 played at 104 instead: an echo at 60 would be answered (40 ms) with the guard (5) at 105.
    { name: 'is not sent when its answer could no longer beat the deadline', answerAtMs: undefined, polls: [40, 60], sent: [[101], []], deadlineDelayMs: 60 + 5 + 40 - 20 - 1 },
  ])('an echo $name', ({ answerAtMs, polls, sent, deadlineDelayMs }) => {
    const s = scheduler({ echoSpacingMs: 20, guardMs: () => 5, ...(deadlineDelayMs !== undefined ? { deadlineOf: (seq: number) => dueAt(seq) + deadlineDelayMs } : {}) });
    s.onArrival(100, 0);
    s.onArrival(102, 40);
    const out: (readonly number[])[] = [];
    for (const t of polls) {
      if (answerAtMs !== undefined && t >= answerAtMs && s.pending().includes(101)) s.onArrival(101, answerAtMs, true);
      out.push(s.due(t));
    }
    expect(out).toEqual(sent);
    expect(s.stats.requested).toBe(1);
    expect(s.stats.echoed).toBe(sent.flat().length - 1);
  });

  it('lets echoes take only what first requests leave of maxPerRtt: a burst is asked for before earlier echoes', () => {
    const s = scheduler({ echoSpacingMs: 20, maxPerRtt: 3 });
    s.onArrival(100, 0);
    s.onArrival(102, 40);
    expect(s.due(40)).toEqual([101]);
    // 103–105 show missing at 60, when 101's echo is due: two requests left in this RTT, both for the burst.
    s.onArrival(106, 60);
    expect(s.due(60)).toEqual([103, 104]);
    // At 80 one is left (the request at 40 has aged out): 105 first; the echoes wait.
    expect(s.due(80)).toEqual([105]);
    expect(s.stats).toMatchObject({ requested: 4, echoed: 0 });
  });

  it('says when the echo is due', () => {
    const s = scheduler({ echoSpacingMs: 20 });
    s.onArrival(100, 0);
    s.onArrival(102, 40);
    expect(s.due(40)).toEqual([101]);
    expect(s.nextDueMs()).toBe(60);
  });

  it('still takes the answer time from the first request: the echo is the same request (Karn)', () => {
    const s = scheduler({ echoSpacingMs: 20 });
    s.onArrival(100, 0);
    s.onArrival(102, 40);
    s.due(40);
    s.due(60);
    s.onArrival(101, 82, true);
    expect(s.answerTimeMs).toBe(42);
  });

  it('rejects a negative echo spacing', () => {
    expect(() => scheduler({ echoSpacingMs: -1 })).toThrow('echoSpacingMs');
  });
});

describe('an overdue answer may be a copy of a lost one: the answer time takes it only after another overdue answer', () => {
  // Numbers 2k+1 lost one at a time, asked for on the gap, answered after the given delays. The
  // repeat threshold after the first 40 ms answer is 40 + 10 (retryMarginMs until measured).
  it.each([
    { name: 'an answer 20 ms late between answers in time is left out', delays: [40, 60, 40], answers: 2, unsampled: 1, answerTimeMs: 40 },
    { name: 'two overdue answers in a row: the second counts (answers slower for good)', delays: [40, 60, 60], answers: 2, unsampled: 1, answerTimeMs: 40 + (60 - 40) / 8 },
    { name: 'the first answer counts however late (nothing to judge it by), up to twice the RTT', delays: [200, 40], answers: 2, unsampled: 0, answerTimeMs: 80 + (40 - 80) / 8 },
  ])('$name', ({ delays, answers, unsampled, answerTimeMs }) => {
    const s = scheduler({ deadlineOf: () => undefined });
    s.onArrival(100, 0);
    let t = 0;
    delays.forEach((delay, i) => {
      t += 300;
      const lost = 101 + 2 * i;
      s.onArrival(lost + 1, t);
      expect(s.due(t)).toEqual([lost]);
      s.onArrival(lost, t + delay, true);
    });
    expect(s.stats).toMatchObject({ answers, overdueUnsampled: unsampled });
    expect(s.answerTimeMs).toBe(answerTimeMs);
  });
});
