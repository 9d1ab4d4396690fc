/**
 * Two acip media sessions over real UDP sockets on loopback, through the seeded impairment relay
 * (5 % random loss on the media and on RTCP, 20 ms each way): the receiver asks for what is missing
 * with generic NACKs (RFC 4585) and plays the RTX retransmissions (RFC 4588) and RED copies (RFC 2198)
 * that come back. Proven by the receiver's recovery counters and by the 1 kHz tone at its level in
 * the recording. Timing-dependent counts are only checked for being there, never against a time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaSession, type MediaRecoveryParams, type MediaSessionParams } from '../../../server/media/media-session.js';
import { systemClock } from '../../../server/util/clock.js';
import { ImpairRelay, type Impairment } from '../../helpers/impair-relay.js';
import { CODEC_CASES, sessionParams, sleep } from '../../media/session/session-harness.js';
import { measureTone, readWavFile } from '../links/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'acip-recovery-pair-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LOSSY: Impairment = { delayMs: 20, loss: { p: 0, r: 1, lossGood: 0.05, lossBad: 0.05 } };
const RUN_MS = 4000;

const CASES: [name: string, codec: (typeof CODEC_CASES)[number], recovery: MediaRecoveryParams][] = [
  ['Opus stereo 20 ms with RED depth 1 and NACK/RTX', CODEC_CASES[0]!, { red: { payloadType: 63, depth: 1, distance: 1 }, rtx: { payloadType: 112, rtxTimeMs: 1000 } }],
  ['L24 stereo 5 ms with NACK/RTX', CODEC_CASES[3]!, { rtx: { payloadType: 112, rtxTimeMs: 1000 } }],
];

describe('loss recovery between two acip media sessions through a lossy relay', () => {
  it.each(CASES)('%s: losses are recovered and the tone plays at its level', async (name, codec, recovery) => {
    const rec = join(dir, `${name.replace(/\W+/g, '-')}.wav`);
    const common: Partial<MediaSessionParams> = { recovery, jitterBuffer: { mode: 'fixed', delayMs: 100 }, rtcp: { minIntervalS: 0.5 } };
    const a = await MediaSession.open(sessionParams(codec, { ...common, linkId: 'tx', input: 'tone:1000:-18', output: 'null', receive: false }), { clock: systemClock });
    const b = await MediaSession.open(sessionParams(codec, { ...common, linkId: 'rx', input: 'silence', output: `file:${rec}`, send: false }), { clock: systemClock });
    const rtp = await ImpairRelay.open({ a: { address: '127.0.0.1', port: a.localRtpPort }, b: { address: '127.0.0.1', port: b.localRtpPort }, aToB: LOSSY, bToA: LOSSY, seed: 7 });
    const rtcp = await ImpairRelay.open({ a: { address: '127.0.0.1', port: a.localRtcpPort }, b: { address: '127.0.0.1', port: b.localRtcpPort }, aToB: LOSSY, bToA: LOSSY, seed: 8 });
    try {
      await a.update({ ...a.currentParams(), remote: { address: '127.0.0.1', rtpPort: rtp.sideAPort, rtcpPort: rtcp.sideAPort } });
      await b.update({ ...b.currentParams(), remote: { address: '127.0.0.1', rtpPort: rtp.sideBPort, rtcpPort: rtcp.sideBPort } });
      await sleep(RUN_MS);
    } finally {
      var sa = a.stats();
      var sb = b.stats();
      await a.close();
      await b.close();
      await rtp.close();
      await rtcp.close();
    }
    const counters = rtp.counters();
    const why = JSON.stringify({ relay: counters, rx: sb.recovery, tx: sa.recovery, jb: sb.jitterBuffer && { lost: sb.jitterBuffer.lost, late: sb.jitterBuffer.late, concealed: sb.jitterBuffer.concealedFrames } });
    expect(counters.aToB.lost, why).toBeGreaterThan(1);
    const r = sb.recovery!;
    expect(r, why).toMatchObject({ rtx: true, red: recovery.red !== undefined, duplicate: false });
    expect(r.nackRequests, why).toBeGreaterThan(0);
    expect(sa.recovery!.rtxSent, why).toBeGreaterThan(0);
    expect(r.recoveredByRtx + r.recoveredByRed, why).toBeGreaterThan(0);
    if (recovery.red) expect(r.recoveredByRed, why).toBeGreaterThan(0);
    // Fewer frames concealed than packets lost on the way.
    expect(sb.jitterBuffer!.lost, why).toBeLessThan(counters.aToB.lost);
    // The RTX stream never counts as a change of the sender's SSRC.
    expect(sb.rtp.rx.ssrcChanges, why).toBe(0);
    const tone = measureTone(readWavFile(rec), 1000, 1.0, 2);
    for (let ch = 0; ch < 2; ch++) {
      expect(Math.abs(tone.frequencyHz[ch]! - 1000), JSON.stringify(tone)).toBeLessThanOrEqual(5);
      expect(Math.abs(tone.peakEquivDbfs[ch]! - -18), JSON.stringify(tone)).toBeLessThanOrEqual(1);
    }
  }, 30_000);
});

describe('a stream duplicated over two paths (RFC 7198) between two acip media sessions', () => {
  it('merges both paths, shows per-path loss, and keeps playing without a gap when the first path dies', async () => {
    const codec = CODEC_CASES[0]!;
    const rec = join(dir, 'dual-path.wav');
    const common = (over: Partial<MediaSessionParams>): MediaSessionParams =>
      sessionParams(codec, { jitterBuffer: { mode: 'fixed', delayMs: 60 }, rtcp: { minIntervalS: 0.5 }, recovery: { duplicate: { localHost: '127.0.0.1', remote: null } }, ...over });
    const a = await MediaSession.open(common({ linkId: 'tx', input: 'tone:1000:-18', output: 'null', receive: false }), { clock: systemClock });
    const b = await MediaSession.open(common({ linkId: 'rx', input: 'silence', output: `file:${rec}`, send: false }), { clock: systemClock });
    const portOf = (s: MediaSession, path: 0 | 1): number => s.stats().recovery!.paths![path].localRtpPort;
    const lossy = (seed: number): Impairment => ({ delayMs: 10, loss: { p: 0, r: 1, lossGood: 0.05, lossBad: 0.05 }, jitterMs: seed % 3 });
    const path0 = await ImpairRelay.open({ a: { address: '127.0.0.1', port: portOf(a, 0) }, b: { address: '127.0.0.1', port: portOf(b, 0) }, aToB: lossy(1), seed: 21 });
    const path1 = await ImpairRelay.open({ a: { address: '127.0.0.1', port: portOf(a, 1) }, b: { address: '127.0.0.1', port: portOf(b, 1) }, aToB: lossy(2), seed: 22 });
    let whenCut: ReturnType<MediaSession['stats']> | undefined;
    try {
      const pa = a.currentParams();
      await a.update({ ...pa, remote: { address: '127.0.0.1', rtpPort: path0.sideAPort }, recovery: { duplicate: { localHost: '127.0.0.1', remote: { address: '127.0.0.1', rtpPort: path1.sideAPort } } } });
      await sleep(2500);
      // The first path dies: only the second carries the stream from here on.
      await path0.close();
      whenCut = b.stats();
      await sleep(1500);
    } finally {
      var sb = b.stats();
      await a.close();
      await b.close();
      await path0.close();
      await path1.close();
    }
    const c0 = path0.counters().aToB;
    const c1 = path1.counters().aToB;
    const r = sb.recovery!;
    const why = JSON.stringify({ c0, c1, r, jb: sb.jitterBuffer && { lost: sb.jitterBuffer.lost, concealed: sb.jitterBuffer.concealedFrames, played: sb.jitterBuffer.framesPlayed } });
    expect(r.duplicate, why).toBe(true);
    expect(c0.lost + c1.lost, why).toBeGreaterThan(0);
    expect(r.recoveredByPath, why).toBeGreaterThan(0);
    expect(r.paths!.map((p) => p.received > 0), why).toEqual([true, true]);
    // After the cut the first path's loss grows, the merged stream's concealment does not.
    expect(r.paths![0].lost, why).toBeGreaterThan(whenCut!.recovery!.paths![0].lost + 30);
    expect(sb.jitterBuffer!.concealedFrames - whenCut!.jitterBuffer!.concealedFrames, why).toBeLessThanOrEqual(c1.lost);
    const tone = measureTone(readWavFile(rec), 1000, 1.0, 2.5);
    for (let ch = 0; ch < 2; ch++) {
      expect(Math.abs(tone.frequencyHz[ch]! - 1000), JSON.stringify(tone)).toBeLessThanOrEqual(5);
      expect(Math.abs(tone.peakEquivDbfs[ch]! - -18), JSON.stringify(tone)).toBeLessThanOrEqual(1);
    }
  }, 30_000);
});
