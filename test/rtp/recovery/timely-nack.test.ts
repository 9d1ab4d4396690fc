/**
 * When the receiving recovery stage NACKs (RFC 4585 §6.2.1, RFC 4588): on virtual time, packets of
 * 20 ms arriving 20 ms after they are sent, receive ticks every 5 ms, and each NACK recorded with
 * its time. Nothing answers the NACKs here, so every request and repeat shows.
 */
import { describe, expect, it } from 'vitest';
import { RecoveryStage, type RecoveryStageIo } from '../../../server/media/recovery-stage.js';
import type { MediaRecoveryParams } from '../../../server/media/session-types.js';
import type { RtcpPacket } from '../../../server/rtp/rtcp/compound.js';
import { nackFciToSeqs } from '../../../server/rtp/rtcp/feedback.js';
import type { RtpPacket } from '../../../server/rtp/rtp-packet.js';
import { seqAdd, seqDiff } from '../../../server/rtp/seq.js';

const RTX: MediaRecoveryParams['rtx'] = { payloadType: 112, rtxTimeMs: 1000 };
const RED1: MediaRecoveryParams['red'] = { payloadType: 63, depth: 1, distance: 1 };
const PT = 111;
const PTIME = 20;
const UNITS = 960;
const FIRST_SEQ = 65_500; // the runs cross 65535 → 0
const seqOf = (k: number): number => seqAdd(FIRST_SEQ, k);
const kOf = (seq: number): number => seqDiff(seq, FIRST_SEQ);
/** When packet k is due: sent at 20k, 20 ms one way. */
const expectedAt = (k: number): number => k * PTIME + 20;

interface Run {
  recovery?: MediaRecoveryParams;
  frames?: number;
  lost?: (k: number) => boolean;
  /** Extra delay of packet k (ms). */
  jitter?: (k: number) => number;
  /** When packet k is sent, if not at 20k (a sender pause). */
  sentAt?: (k: number) => number;
  rttMs?: number;
  bufferMs?: number;
}

interface Nack {
  at: number;
  k: number;
}

function run(o: Run): { nacks: Nack[]; stage: RecoveryStage } {
  const frames = o.frames ?? 400;
  const recovery = o.recovery ?? { rtx: RTX };
  const nacks: Nack[] = [];
  let now = 0;
  const io = (feedback: (p: RtcpPacket[]) => void): RecoveryStageIo => ({
    push: () => undefined,
    bufferDelayMs: () => o.bufferMs ?? 100,
    rttMs: () => o.rttMs ?? 40,
    remoteSsrc: () => 0x1234,
    sendRtx: () => undefined,
    sendFeedback: feedback,
  });
  const options = { params: recovery, primaryPt: PT, ourSsrc: 0x99, rtpClockRate: 48000, receivePtimeMs: PTIME, random: () => 0.5 };
  const stage = new RecoveryStage(options, io((packets) => {
    for (const p of packets) if (p.type === 'nack') for (const s of nackFciToSeqs(p.fci)) nacks.push({ at: now, k: kOf(s) });
  }));
  const sender = new RecoveryStage(options, io(() => undefined));
  const events: Array<{ t: number; order: number; run: () => void }> = [];
  for (let k = 0; k < frames; k++) {
    const out = sender.outgoing(Buffer.from([k & 0xff, k >> 8]), k * UNITS);
    if (o.lost?.(k)) continue;
    const pkt: RtpPacket = {
      version: 2, padding: 0, marker: false, payloadType: out.payloadType, sequenceNumber: seqOf(k), timestamp: k * UNITS,
      ssrc: 0x1234, csrcs: [], extension: undefined, payload: out.payload,
    };
    const t = (o.sentAt?.(k) ?? k * PTIME) + 20 + (o.jitter?.(k) ?? 0);
    events.push({ t, order: 0, run: () => stage.onRtp(pkt, t) });
  }
  // Ticks until the last arrival: after it the stream ends, which is a pause like any other.
  const end = Math.max(...events.map((e) => e.t));
  for (let t = 2.5; t < end; t += 5) events.push({ t, order: 1, run: () => stage.poll(t) });
  events.sort((a, b) => a.t - b.t || a.order - b.order);
  for (const e of events) {
    now = e.t;
    e.run();
  }
  return { nacks, stage };
}

const requestsOf = (nacks: Nack[], k: number): number[] => nacks.filter((n) => n.k === k).map((n) => n.at);

describe('NACKs go out while a burst is still going on', () => {
  it.each([3, 5, 8])('a burst of %i frames: each is asked for one tick after it is overdue, echoed a packet time later, and asked again as late as still useful', (n) => {
    const first = 100;
    const { nacks } = run({ lost: (k) => k >= first && k < first + n });
    for (let k = first; k < first + n; k++) {
      // Overdue 5 ms (the margin) after it was due; the next 5 ms tick is 7.5 ms after. The same
      // request again 20 ms later (a lost request must not lose the frame). The repeat: the
      // deadline (due + 100 ms buffer) minus the RTT, within 7.5 ms.
      expect(requestsOf(nacks, k)).toEqual([expectedAt(k) + 7.5, expectedAt(k) + 27.5, expectedAt(k) + 57.5]);
    }
    // The first frame of the burst is asked for long before the packet that ends the burst arrives.
    expect(requestsOf(nacks, first)[0]).toBeLessThan(expectedAt(first + n));
    expect(new Set(nacks.map((x) => x.k))).toEqual(new Set(Array.from({ length: n }, (_, i) => first + i)));
  });

  it.each([
    { name: 'jitter of up to 4 ms on every packet', jitter: (k: number) => (k * 7) % 5, asked: [] as number[] },
    { name: 'one packet 9 ms late', jitter: (k: number) => (k === 200 ? 9 : 0), asked: [200] },
  ])('$name: asks for $asked', ({ jitter, asked }) => {
    const { nacks } = run({ frames: 1000, jitter });
    expect([...new Set(nacks.map((x) => x.k))]).toEqual(asked);
    // The late one arrived 1.5 ms after the request: no repeat.
    for (const k of asked) expect(requestsOf(nacks, k)).toHaveLength(1);
  });

  it('a receiver that stalls now and then (packets read in batches) still asks one tick after a loss is overdue', () => {
    // Every 30 packets from 100 the receiver is not scheduled for 60 ms: s…s+3 are read together
    // when s+3 arrives. The interarrival jitter of RFC 3550 rises by several ms with each stall.
    const stallOf = (k: number): number | undefined => (k >= 100 && (k - 100) % 30 <= 3 ? k - ((k - 100) % 30) : undefined);
    const jitter = (k: number): number => {
      const s = stallOf(k);
      return s === undefined ? 0 : (s + 3 - k) * PTIME;
    };
    const { nacks } = run({ frames: 300, jitter, lost: (k) => k === 175 });
    expect(requestsOf(nacks, 175)).toEqual([expectedAt(175) + 7.5, expectedAt(175) + 27.5, expectedAt(175) + 57.5]);
  });

  it('never asks for more than 8 numbers in any RTT, however long the gap', () => {
    const { nacks } = run({ lost: (k) => k >= 200 && k < 240 });
    expect(nacks.length).toBeGreaterThan(0);
    for (const x of nacks) expect(nacks.filter((y) => y.at > x.at - 40 && y.at <= x.at).length).toBeLessThanOrEqual(8);
  });

  it.each([
    { rtt: 90, requests: 1, asks: 'once' },
    { rtt: 95, requests: 0, asks: 'never' },
  ])('with a $rtt ms RTT and a 100 ms buffer asks $asks per lost frame: never when the answer would be late', ({ rtt, requests }) => {
    const lost = new Set([100, 150, 151, 152]);
    const { nacks } = run({ lost: (k) => lost.has(k), rttMs: rtt });
    for (const k of lost) expect(requestsOf(nacks, k)).toHaveLength(requests);
    for (const x of nacks) expect(x.at + rtt).toBeLessThanOrEqual(expectedAt(x.k) + 100);
  });

  it('a sender pause of a second (DTX) costs at most 8 numbers asked for, each at most twice and echoed once', () => {
    const { nacks } = run({ frames: 300, sentAt: (k) => (k < 100 ? k * PTIME : k * PTIME + 1000) });
    const asked = new Set(nacks.map((x) => x.k));
    expect(asked.size).toBeLessThanOrEqual(8);
    expect(nacks.length).toBeLessThanOrEqual(3 * 8);
    expect(Math.min(...asked)).toBe(100);
  });
});

describe('with RED and RTX together, a NACK waits for the RED copy when waiting costs no repeat', () => {
  const every25 = (k: number): boolean => k >= 50 && k % 25 === 0;

  it('a 200 ms buffer: isolated losses are left to RED, no NACK at all', () => {
    const { nacks, stage } = run({ recovery: { red: RED1, rtx: RTX }, lost: every25, bufferMs: 200 });
    expect(nacks).toEqual([]);
    expect(stage.stats(0).recoveredByRed).toBe(14);
  });

  it('a 200 ms buffer, a burst of two: the first is asked for once the copy is overdue too; the second comes by RED', () => {
    const { nacks, stage } = run({ recovery: { red: RED1, rtx: RTX }, lost: (k) => k === 100 || k === 101, bufferMs: 200 });
    expect(requestsOf(nacks, 100)[0]).toBe(expectedAt(101) + 7.5);
    expect(requestsOf(nacks, 101)).toEqual([]);
    expect(stage.stats(0).recoveredByRed).toBe(1);
  });

  it('a 100 ms buffer: waiting for the copy would cost the repeat, so the NACK goes out at once', () => {
    const { nacks } = run({ recovery: { red: RED1, rtx: RTX }, lost: every25, bufferMs: 100 });
    expect(requestsOf(nacks, 100)).toEqual([expectedAt(100) + 7.5]);
  });
});
