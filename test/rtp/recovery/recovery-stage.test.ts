/**
 * The media session's loss-recovery stage on the simulated link (link-sim.ts: virtual time, seeded
 * loss, a real jitter buffer): what each tool recovers, that it never plays wrong audio, and that
 * it leaves the stream alone when nothing is negotiated.
 */
import { describe, expect, it } from 'vitest';
import { RecoveryStage } from '../../../server/media/recovery-stage.js';
import type { MediaRecoveryParams } from '../../../server/media/session-types.js';
import { buildGenericNacks } from '../../../server/rtp/rtcp/feedback.js';
import type { RtpPacket } from '../../../server/rtp/rtp-packet.js';
import { gilbertElliottFor } from './gilbert-elliott.js';
import { simulate, type SimOptions } from './link-sim.js';

const RED1: MediaRecoveryParams['red'] = { payloadType: 63, depth: 1, distance: 1 };
const RTX: MediaRecoveryParams['rtx'] = { payloadType: 112, rtxTimeMs: 1000 };
const BASE: Omit<SimOptions, 'recovery'> = { frames: 1000, ptimeMs: 20, clockRate: 48000, frameBytes: 320, rttMs: 40, bufferMs: 100, loss: null, seed: 1 };

/** Loses every `every`-th packet (from `from`), in runs of `run`; the last 20 packets arrive (they carry the copies). */
function periodic(every: number, run = 1, from = 50): boolean[] {
  return Array.from({ length: BASE.frames }, (_, i) => i >= from && i < BASE.frames - 20 && (i - from) % every < run);
}

describe('recovery on a link with a fixed loss pattern', () => {
  const CASES: [what: string, recovery: MediaRecoveryParams, pattern: boolean[], by: 'recoveredByRed' | 'recoveredByRtx' | null][] = [
    ['RTX recovers every single loss that has time (40 ms RTT, 100 ms buffer)', { rtx: RTX }, periodic(25), 'recoveredByRtx'],
    ['RTX recovers every packet of a two-packet burst in time', { rtx: RTX }, periodic(40, 2), 'recoveredByRtx'],
    ['RED depth 1 recovers every isolated loss', { red: RED1 }, periodic(10), 'recoveredByRed'],
    ['RED depth 2 recovers every burst of two', { red: { payloadType: 63, depth: 2, distance: 1 } }, periodic(10, 2), 'recoveredByRed'],
    ['RED depth 1 at distance 3 recovers every burst of three', { red: { payloadType: 63, depth: 1, distance: 3 } }, periodic(12, 3), 'recoveredByRed'],
  ];

  it.each(CASES)('%s', (_what, recovery, pattern, by) => {
    const r = simulate({ ...BASE, recovery, pattern0: pattern });
    const lost = pattern.filter(Boolean).length;
    expect(r.lostOnPath0).toBe(lost);
    expect(r.concealed).toBe(0);
    expect(r.wrongContent).toBe(0);
    if (by) expect(r.stats[by]).toBe(lost);
    expect(r.stats.stillLost).toBe(0);
  });

  it('RED depth 1 cannot recover the first packet of a burst of two, and conceals exactly those', () => {
    const pattern = periodic(10, 2);
    const r = simulate({ ...BASE, recovery: { red: RED1 }, pattern0: pattern });
    const bursts = pattern.filter((x, i) => x && pattern[i + 1]).length;
    expect(r.concealed).toBe(bursts);
    expect(r.stats.recoveredByRed).toBe(bursts);
    expect(r.wrongContent).toBe(0);
  });

  it('asks for nothing when no retransmission could beat the playout time (200 ms RTT, 60 ms buffer)', () => {
    const r = simulate({ ...BASE, recovery: { rtx: RTX }, pattern0: periodic(25), rttMs: 200, bufferMs: 60 });
    expect(r.stats.nackRequests).toBe(0);
    expect(r.stats.recoveredByRtx).toBe(0);
    expect(r.concealed).toBe(periodic(25).filter(Boolean).length);
  });

  it('the second path delivers every packet the first lost, and only packets lost on both are concealed', () => {
    const p0 = periodic(7);
    const p1 = periodic(11, 1, 53);
    const r = simulate({ ...BASE, recovery: { duplicate: { remote: null } }, pattern0: p0, pattern1: p1 });
    const both = p0.filter((x, i) => x && p1[i]).length;
    expect(both).toBeGreaterThan(0);
    expect(r.concealed).toBe(both);
    expect(r.wrongContent).toBe(0);
    expect(r.stats.recoveredByPath).toBe(p0.filter((x, i) => x && !p1[i]).length);
  });

  it('with no tool negotiated the stream passes untouched and nothing is recovered', () => {
    const pattern = periodic(25);
    const r = simulate({ ...BASE, recovery: {}, pattern0: pattern });
    expect(r.concealed).toBe(pattern.filter(Boolean).length);
    expect(r.stats).toMatchObject({ recoveredByRed: 0, recoveredByRtx: 0, recoveredByPath: 0, nackRequests: 0 });
  });
});

describe('recovery on a seeded bursty link (5 % loss, 40 ms RTT, 100 ms buffer)', () => {
  const loss = gilbertElliottFor(0.05);
  const run = (recovery: MediaRecoveryParams) => simulate({ ...BASE, frames: 6000, loss, seed: 3, recovery });
  const none = run({});

  it.each<[string, MediaRecoveryParams]>([
    ['RED', { red: RED1 }],
    ['RTX', { rtx: RTX }],
    ['dual path', { duplicate: { remote: null } }],
  ])('%s conceals less than plain RTP and never plays wrong audio', (_what, recovery) => {
    const r = run(recovery);
    expect(none.concealedPct).toBeGreaterThan(2);
    expect(r.concealedPct).toBeLessThan(none.concealedPct / 1.5);
    expect(r.wrongContent).toBe(0);
  });

  it('RTX asks for the frames of a burst while it goes on, so it conceals under 0.8 % (1.4 % asking only once a gap shows)', () => {
    const r = run({ rtx: RTX });
    expect(r.concealedPct).toBeLessThan(0.8);
    expect(r.wrongContent).toBe(0);
  });

  it('dual path with RTX over two independently impaired paths conceals at most 0.1 %', () => {
    const r = run({ rtx: RTX, duplicate: { remote: null } });
    expect(r.concealedPct).toBeLessThanOrEqual(0.1);
    expect(r.wrongContent).toBe(0);
  });
});

describe('the sending side', () => {
  const pkt = (seq: number, payloadType = 111): RtpPacket => ({
    version: 2, padding: 0, marker: false, payloadType, sequenceNumber: seq, timestamp: seq * 960, ssrc: 1, csrcs: [], extension: undefined, payload: Buffer.from([seq & 0xff]),
  });
  function sender(params: MediaRecoveryParams) {
    const sent: RtpPacket[] = [];
    const stage = new RecoveryStage(
      { params, primaryPt: 111, ourSsrc: 1, rtpClockRate: 48000, receivePtimeMs: 20, random: () => 0.5 },
      { push: () => undefined, bufferDelayMs: () => undefined, rttMs: () => null, remoteSsrc: () => 2, sendRtx: (p) => sent.push(p), sendFeedback: () => undefined },
    );
    return { stage, sent };
  }

  it('without RED sends the codec payload type and the payload untouched', () => {
    const { stage } = sender({ rtx: RTX });
    const payload = Buffer.from([1, 2, 3]);
    expect(stage.outgoing(payload, 0)).toEqual({ payload, payloadType: 111 });
  });

  it('answers a NACK about our SSRC with RTX of the original, and ignores one about another SSRC', () => {
    const { stage, sent } = sender({ rtx: RTX });
    for (let s = 10; s < 20; s++) stage.sent(pkt(s), Buffer.from([s]), s * 20);
    stage.onRtcp(buildGenericNacks(2, 99, [12]), 400);
    expect(sent).toHaveLength(0);
    stage.onRtcp(buildGenericNacks(2, 1, [12, 15, 500]), 400);
    expect(sent.map((p) => p.payloadType)).toEqual([112, 112]);
    // RFC 4588 §4: the OSN, then the original payload; the original timestamp.
    expect(sent.map((p) => p.payload.readUInt16BE(0))).toEqual([12, 15]);
    expect(sent[0]!.timestamp).toBe(12 * 960);
    expect(stage.stats(0)).toMatchObject({ peerRequests: 3, rtxSent: 2, rtxMissing: 1 });
  });

  it('sends an early answer once more a packet time later on its send clock, counted apart from rtxSent', () => {
    const { stage, sent } = sender({ rtx: RTX });
    for (let s = 10; s < 14; s++) stage.sent(pkt(s), Buffer.from([s]), s * 20);
    // 13 left at 260 and is asked for at 270: early (no RTT known yet: within RTX_COPY_EARLY_MS).
    stage.onRtcp(buildGenericNacks(2, 1, [13]), 270);
    stage.sent(pkt(14), Buffer.from([14]), 280);
    expect(sent).toHaveLength(1);
    stage.sent(pkt(15), Buffer.from([15]), 300);
    expect(sent.map((p) => p.payload.readUInt16BE(0))).toEqual([13, 13]);
    expect(sent[1]!.sequenceNumber).toBe((sent[0]!.sequenceNumber + 1) & 0xffff);
    expect(stage.stats(0)).toMatchObject({ peerRequests: 1, rtxSent: 1, rtxCopies: 1 });
    expect(stage.rtxStats()).toMatchObject({ resent: 1, copies: 1 });
  });

  it('keeps the primary in the RTX history when it sends RED, so a retransmission is plain', () => {
    const { stage, sent } = sender({ red: RED1, rtx: RTX });
    const out = stage.outgoing(Buffer.from([7]), 0);
    expect(out.payloadType).toBe(63);
    stage.sent({ ...pkt(40, 63), payload: out.payload }, Buffer.from([7]), 0);
    stage.onRtcp(buildGenericNacks(2, 1, [40]), 10);
    expect(sent).toHaveLength(1);
    expect([...sent[0]!.payload]).toEqual([0, 40, 7]);
  });

  it('counts no RTX copies on a stage that does not answer NACKs', () => {
    const { stage, sent } = sender({ red: RED1 });
    stage.sent(pkt(40, 63), Buffer.from([7]), 0);
    stage.onRtcp(buildGenericNacks(2, 1, [40]), 10);
    stage.sent(pkt(41, 63), Buffer.from([8]), 20);
    expect(sent).toHaveLength(0);
    expect(stage.rtxStats()).toBeUndefined();
    expect(stage.stats(0)).toMatchObject({ rtx: false, rtxSent: 0, rtxCopies: 0 });
  });
});

describe('recovery parameters of a media session', () => {
  const base = { linkId: 'l', codecId: 'opus', payloadType: 111, codecParams: { sampleRate: 48000, channels: 2, ptimeMs: 20 }, localHost: '127.0.0.1', remote: null, send: true, receive: true, jitterBuffer: { mode: 'fixed' as const, delayMs: 60 }, input: 'silence', output: 'null', cname: 'c' };
  it.each<[string, MediaRecoveryParams]>([
    ['recovery.red.payloadType', { red: { payloadType: 111, depth: 1, distance: 1 } }],
    ['recovery.red.depth', { red: { payloadType: 63, depth: 3 as 1, distance: 1 } }],
    ['recovery.red.distance', { red: { payloadType: 63, depth: 1, distance: 4 } }],
    ['recovery.rtx.payloadType', { red: RED1, rtx: { payloadType: 63, rtxTimeMs: 100 } }],
    ['recovery.rtx.rtxTimeMs', { rtx: { payloadType: 112, rtxTimeMs: 0 } }],
  ])('are refused naming %s before any socket opens', async (field, recovery) => {
    const { checkParams } = await import('../../../server/media/media-session-params.js');
    expect(() => checkParams({ ...base, recovery })).toThrow(expect.objectContaining({ code: 'MEDIA_SESSION_PARAMS', field }));
    expect(checkParams({ ...base, recovery: { red: RED1, rtx: RTX } }).id).toBe('opus');
  });
});
