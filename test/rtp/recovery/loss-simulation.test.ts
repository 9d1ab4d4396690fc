/**
 * What each recovery tool leaves lost on a bursty channel: 10 000 packets of 20 ms (Opus at
 * 48 kHz), Gilbert–Elliott loss at 2 % and 5 %, every packet built and parsed as real bytes.
 * The figures are printed; the assertions are only properties that must hold for any seed.
 */
import { describe, expect, it } from 'vitest';
import { parseRed, RedEncoder, RedRecovery } from '../../../server/rtp/red.js';
import { DuplicateMerger } from '../../../server/rtp/recovery/duplicate-merger.js';
import { NackScheduler } from '../../../server/rtp/recovery/nack-scheduler.js';
import { buildGenericNacks, nackFciToSeqs, parseGenericNack, serializeGenericNack } from '../../../server/rtp/rtcp/feedback.js';
import { parseRtp, serializeRtp, type RtpPacket } from '../../../server/rtp/rtp-packet.js';
import { RtxHistory, unwrapRtx } from '../../../server/rtp/rtx.js';
import { seqAdd, seqDiff, tsAdd } from '../../../server/rtp/seq.js';
import { gilbertElliottFor, GilbertElliottChannel, meanBurst } from './gilbert-elliott.js';

const N = 10_000;
const FRAME_MS = 20;
const FIRST_SEQ = 65_000; // the run crosses 65535→0
const FIRST_TS = 0xffff_0000;
const OPUS = 111;
const SSRC = 0x5eed_0001;
const RTX_SSRC = 0x5eed_0002;
const RTX_PT = 112;

const seqOf = (i: number): number => seqAdd(FIRST_SEQ, i);

function rtpPacket(sequenceNumber: number, timestamp: number, payloadType: number, payload: Buffer): RtpPacket {
  return { version: 2, padding: 0, marker: false, payloadType, sequenceNumber, timestamp, ssrc: SSRC, csrcs: [], extension: undefined, payload };
}

function frame(i: number): { sequenceNumber: number; timestamp: number; payloadType: number; payload: Buffer } {
  const payload = Buffer.alloc(60);
  payload.writeUInt32BE(i, 0);
  return { sequenceNumber: seqOf(i), timestamp: tsAdd(FIRST_TS, 960 * i), payloadType: OPUS, payload };
}

/** Unwrapped index of a sequence number near packet `near` (the run is longer than 65536/2). */
function indexNear(seq: number, near: number): number {
  return near + seqDiff(seq, seqOf(near));
}

function simulateRed(lost: readonly boolean[], depth: number, distance: number) {
  const enc = new RedEncoder({ depth, distance });
  const rec = new RedRecovery({ distance });
  const have = new Array<boolean>(N).fill(false);
  let recoveredNotLost = 0;
  let recoveredTwice = 0;
  for (let i = 0; i < N; i++) {
    const f = frame(i);
    const { payload } = enc.encode(f);
    if (lost[i]) continue;
    const pkt = parseRtp(serializeRtp(rtpPacket(f.sequenceNumber, f.timestamp, 63, payload)));
    have[i] = true;
    for (const r of rec.push({ sequenceNumber: pkt.sequenceNumber, timestamp: pkt.timestamp, red: parseRed(pkt.payload) }).recovered) {
      const j = indexNear(r.sequenceNumber, i);
      if (!lost[j]) recoveredNotLost++;
      if (have[j]) recoveredTwice++;
      // The copy is the right frame: its payload names its index, its timestamp matches.
      expect(r.payload.readUInt32BE(0)).toBe(j);
      expect(r.timestamp).toBe(frame(j).timestamp);
      have[j] = true;
    }
  }
  return { residual: have.filter((h) => !h).length, recoveredNotLost, recoveredTwice };
}

/**
 * NACK/RTX with a 40 ms RTT (20 ms each way) and a 100 ms playout deadline after sending. Time
 * runs in 1 ms steps. Originals are lost by the forward pattern; RTX packets are drawn on the
 * forward channel in the slot they are sent (so a retransmission into a burst is likely lost too);
 * NACKs are drawn on an independent reverse channel with the same statistics.
 */
function simulateNack(lost: readonly boolean[], forward: GilbertElliottChannel, reverse: GilbertElliottChannel) {
  const oneWay = 20;
  const deadline = (i: number) => i * FRAME_MS + 100;
  let lastArrivedIndex = 0;
  const sched = new NackScheduler({ deadlineOf: (seq) => deadline(indexNear(seq, lastArrivedIndex)), rttMs: () => 2 * oneWay });
  const history = new RtxHistory({
    capacityPackets: 512,
    capacityMs: 1000,
    rtxSsrc: RTX_SSRC,
    rtxPayloadTypes: new Map([[OPUS, RTX_PT]]),
    initialRtxSeq: 65_530,
  });
  const forwardAt = new Map<number, Buffer[]>();
  const reverseAt = new Map<number, Buffer[]>();
  const push = (m: Map<number, Buffer[]>, t: number, b: Buffer) => void (m.get(t) ?? m.set(t, []).get(t))?.push(b);
  const inTime = new Array<boolean>(N).fill(false);
  const requests = new Array<number>(N).fill(0);
  let viaRtx = 0;
  let rtxForReceived = 0;
  const end = N * FRAME_MS + 200;
  for (let now = 0; now <= end; now++) {
    // Sender: an original every 20 ms, then answers to NACKs arriving now.
    if (now % FRAME_MS === 0 && now / FRAME_MS < N) {
      const i = now / FRAME_MS;
      const f = frame(i);
      const pkt = rtpPacket(f.sequenceNumber, f.timestamp, OPUS, f.payload);
      history.record(pkt, now);
      if (!lost[i]) push(forwardAt, now + oneWay, serializeRtp(pkt));
    }
    for (const bytes of reverseAt.get(now) ?? []) {
      const nack = parseGenericNack(bytes);
      if (!nack) continue;
      for (const rtx of history.onNack(nackFciToSeqs(nack.fci), now).packets) {
        if (!forward.lose(Math.floor(now / FRAME_MS))) push(forwardAt, now + oneWay, serializeRtp(rtx));
      }
    }
    reverseAt.delete(now);
    // Receiver: arrivals, then whatever the scheduler wants requested.
    for (const bytes of forwardAt.get(now) ?? []) {
      const rtp = parseRtp(bytes);
      const original = rtp.payloadType === RTX_PT ? unwrapRtx(rtp, { payloadType: OPUS, ssrc: SSRC }) : rtp;
      if (!original) continue;
      const i = indexNear(original.sequenceNumber, lastArrivedIndex);
      if (rtp.payloadType === RTX_PT) {
        if (!lost[i]) rtxForReceived++;
        if (now <= deadline(i) && !inTime[i]) viaRtx++;
      } else {
        lastArrivedIndex = Math.max(lastArrivedIndex, i);
      }
      sched.onArrival(original.sequenceNumber, now);
      if (now <= deadline(i)) inTime[i] = true;
    }
    forwardAt.delete(now);
    const due = sched.due(now);
    if (due.length > 0) {
      for (const s of due) requests[indexNear(s, lastArrivedIndex)]! += 1;
      for (const nack of buildGenericNacks(0x5eed_0003, SSRC, due)) {
        if (!reverse.lose(Math.floor(now / FRAME_MS))) push(reverseAt, now + oneWay, serializeGenericNack(nack));
      }
    }
  }
  return { residual: inTime.filter((h) => !h).length, viaRtx, rtxForReceived, maxRequests: Math.max(...requests), stats: sched.stats };
}

/** The same stream over two independently impaired paths: 20 ms and 35–40 ms one way. */
function simulateDual(lost0: readonly boolean[], lost1: readonly boolean[], jitterSeed: number) {
  const m = new DuplicateMerger({ clockRate: 48_000 });
  let jitter = jitterSeed >>> 0;
  const arrivals: { at: number; path: 0 | 1; i: number }[] = [];
  for (let i = 0; i < N; i++) {
    jitter = (Math.imul(jitter, 1_103_515_245) + 12_345) >>> 0;
    if (!lost0[i]) arrivals.push({ at: i * FRAME_MS + 20, path: 0, i });
    if (!lost1[i]) arrivals.push({ at: i * FRAME_MS + 35 + (jitter % 6), path: 1, i });
  }
  arrivals.sort((a, b) => a.at - b.at || a.path - b.path);
  let delivered = 0;
  for (const a of arrivals) if (m.push(a.path, frame(a.i), a.at)) delivered++;
  return { residual: N - delivered, merged: m.stats(), paths: m.allPathStats() };
}

const pct = (n: number) => `${((100 * n) / N).toFixed(2)} %`;

describe('loss left after recovery on a Gilbert–Elliott channel (10 000 packets)', () => {
  it.each([
    { loss: 0.02, seed: 2026 },
    { loss: 0.05, seed: 7104 },
  ])('at $loss mean bursty loss every tool only ever recovers lost packets, and helps', ({ loss, seed }) => {
    const params = gilbertElliottFor(loss);
    const lost = new GilbertElliottChannel(params, seed, N).pattern();
    const raw = lost.filter(Boolean).length;

    const red = [
      { depth: 1, distance: 1 },
      { depth: 2, distance: 1 },
      { depth: 1, distance: 2 },
      { depth: 2, distance: 2 },
    ].map((o) => ({ ...o, ...simulateRed(lost, o.depth, o.distance) }));
    for (const r of red) {
      expect(r.recoveredNotLost).toBe(0);
      expect(r.recoveredTwice).toBe(0);
      expect(r.residual).toBeLessThanOrEqual(raw);
    }
    // Depth 2 carries a superset of depth 1's copies at the same distance.
    expect(red[1]!.residual).toBeLessThanOrEqual(red[0]!.residual);
    expect(red[3]!.residual).toBeLessThanOrEqual(red[2]!.residual);

    const nack = simulateNack(lost, new GilbertElliottChannel(params, seed + 1, N + 20), new GilbertElliottChannel(params, seed + 2, N + 20));
    expect(nack.residual).toBeLessThanOrEqual(raw);
    expect(nack.rtxForReceived).toBe(0);
    expect(nack.maxRequests).toBeLessThanOrEqual(2);
    expect(nack.stats.recovered).toBe(nack.viaRtx);

    const lost1 = new GilbertElliottChannel(params, seed + 3, N).pattern();
    const dual = simulateDual(lost, lost1, seed);
    const raw1 = lost1.filter(Boolean).length;
    const both = lost.filter((l, i) => l && lost1[i]).length;
    expect(dual.residual).toBe(both);
    expect(dual.residual).toBeLessThanOrEqual(Math.min(raw, raw1));
    expect(dual.paths[0].received).toBe(N - raw);
    expect(dual.paths[1].received).toBe(N - raw1);
    expect(dual.merged.relativeDelayMs).toBeGreaterThan(10);

    console.log(
      [
        `Gilbert–Elliott ${(loss * 100).toFixed(0)} % (seed ${seed}): raw loss ${pct(raw)}, mean burst ${meanBurst(lost).toFixed(2)} packets`,
        ...red.map((r) => `  RED depth ${r.depth} distance ${r.distance}: ${pct(r.residual)} still lost`),
        `  NACK/RTX (RTT 40 ms, deadline 100 ms): ${pct(nack.residual)} still lost ` +
          `(requests ${nack.stats.requested}, recovered ${nack.stats.recovered}, late ${nack.stats.late}, abandoned ${nack.stats.abandoned})`,
        `  dual path (second path ${pct(raw1)} lost): ${pct(dual.residual)} still lost, ` +
          `path 1 − path 0 delay ${dual.merged.relativeDelayMs?.toFixed(1)} ms, path 1 jitter ${dual.paths[1].jitterMs.toFixed(2)} ms`,
      ].join('\n'),
    );
  });

});
