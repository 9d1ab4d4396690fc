/**
 * The receiver's NACK schedule (nack-scheduler.ts) against the sender's resend interval (rtx.ts),
 * on the fake clock: acip's deliberate late repeat must always be answered, whatever the RTT, and
 * whether or not the receiver knows the RTT from RTCP (a receive-only session does not).
 */
import { describe, expect, it } from 'vitest';
import { NackScheduler } from '../../../server/rtp/recovery/nack-scheduler.js';
import type { RtpPacket } from '../../../server/rtp/rtp-packet.js';
import { RtxHistory } from '../../../server/rtp/rtx.js';
import { FakeClock } from '../../../server/util/clock.js';

const PTIME_MS = 20;
const TICK_MS = 5;
const PT = 111;
const RTX_PT = 112;

function packet(seq: number): RtpPacket {
  return { version: 2, padding: 0, marker: false, payloadType: PT, sequenceNumber: seq, timestamp: seq * 960, ssrc: 1, csrcs: [], extension: undefined, payload: Buffer.from([seq]) };
}

interface Run {
  rttMs: number;
  /** The RTT the receiver is given: the true one, or the 50 ms default of a session without one. */
  receiverRttMs: number;
  /** Originals lost, and retransmissions lost (by original sequence number, first copy only). */
  lost: readonly number[];
  firstRtxLost: readonly number[];
}

/** Sends 30 packets one way, the receiver NACKs on arrivals and on 5 ms ticks, the sender answers from its history. */
function run(r: Run): { history: RtxHistory; scheduler: NackScheduler; requestsFor: Map<number, number> } {
  const clock = new FakeClock();
  const oneWay = r.rttMs / 2;
  // Big enough for a request and its repeat: gap detection, two answers, the margins, a tick.
  const bufferMs = 2 * r.rttMs + 60;
  const history = new RtxHistory({ capacityPackets: 100, capacityMs: 1000, rtxSsrc: 2, rtxPayloadTypes: new Map([[PT, RTX_PT]]), initialRtxSeq: 0, rttMs: () => r.rttMs });
  const scheduler = new NackScheduler({
    deadlineOf: (seq) => seq * PTIME_MS + oneWay + bufferMs,
    rttMs: () => r.receiverRttMs,
    retryMarginMs: 10,
    lateRetryWindowMs: 7.5,
    guardMs: () => 1,
  });
  const requestsFor = new Map<number, number>();
  const rtxDropped = new Set<number>();
  const request = (): void => {
    const seqs = scheduler.due(clock.now());
    if (seqs.length === 0) return;
    for (const s of seqs) requestsFor.set(s, (requestsFor.get(s) ?? 0) + 1);
    clock.setTimer(oneWay, () => {
      for (const rtx of history.onNack(seqs, clock.now()).packets) {
        const osn = rtx.payload.readUInt16BE(0);
        if (r.firstRtxLost.includes(osn) && !rtxDropped.has(osn)) {
          rtxDropped.add(osn);
          continue;
        }
        clock.setTimer(oneWay, () => arrive(osn));
      }
    });
  };
  const arrive = (seq: number): void => {
    scheduler.onArrival(seq, clock.now());
    request();
  };
  for (let k = 0; k < 30; k++) {
    clock.setTimer(k * PTIME_MS, () => {
      history.record(packet(k), clock.now());
      if (!r.lost.includes(k)) clock.setTimer(oneWay, () => arrive(k));
    });
  }
  for (let t = TICK_MS / 2; t < 30 * PTIME_MS + bufferMs; t += TICK_MS) clock.setTimer(t, request);
  clock.advance(30 * PTIME_MS + 2 * bufferMs);
  return { history, scheduler, requestsFor };
}

describe("the sender's resend interval against acip's own NACK schedule", () => {
  it.each([
    { rttMs: 2, receiverRttMs: 2 },
    { rttMs: 10, receiverRttMs: 10 },
    { rttMs: 40, receiverRttMs: 40 },
    { rttMs: 40, receiverRttMs: 50 },
    { rttMs: 100, receiverRttMs: 100 },
    { rttMs: 100, receiverRttMs: 50 },
  ])('with an RTT of $rttMs ms (the receiver told $receiverRttMs) the late repeat after a lost retransmission is answered', ({ rttMs, receiverRttMs }) => {
    // 3 is recovered at the first request (the answer time is measured there); 10's first retransmission is lost.
    const { history, scheduler, requestsFor } = run({ rttMs, receiverRttMs, lost: [3, 10], firstRtxLost: [10] });
    expect(requestsFor.get(10)).toBe(2);
    expect(history.stats).toMatchObject({ resent: 3, suppressed: 0 });
    expect(scheduler.stats).toMatchObject({ recovered: 2, late: 0, abandoned: 0 });
  });

  it('answers a lost packet once when every retransmission gets through', () => {
    const { history, scheduler, requestsFor } = run({ rttMs: 40, receiverRttMs: 40, lost: [5, 6, 7], firstRtxLost: [] });
    expect([...requestsFor.values()]).toEqual([1, 1, 1]);
    expect(history.stats).toMatchObject({ resent: 3, suppressed: 0 });
    expect(scheduler.stats.recovered).toBe(3);
  });
});
