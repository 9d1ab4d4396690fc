/**
 * Generic NACK (RFC 4585 §6.2.1) and RTX (RFC 4588, SSRC-multiplexed, §5.2) against GStreamer 1.22's
 * `rtpbin` with `rtprtxsend` / `rtprtxreceive` attached as its aux sender / receiver, through the
 * seeded impairment relay (5 % random loss of the media payload type only, 20 ms): the retransmissions
 * and the RTCP carrying the NACKs are not lost, so every recovery is the tool's doing.
 *
 * gst-launch-1.0 cannot attach aux elements to rtpbin, so the GStreamer side is a small Python
 * program (test/helpers/gst-rtx-peer.py, python3-gi). L16 stereo 48 kHz in 5 ms packets is the
 * payload both ends share without a codec in the way, so a tone's level checks the audio exactly.
 * As in gstreamer-red.test.ts there is no SIP: both ends get the same static parameters (the values
 * an SDP would carry: L16/48000/2 on 97, rtx/48000 on 99 with apt=97, a=rtcp-fb:97 nack).
 *
 *   (i)  GStreamer sends, acip NACKs, GStreamer retransmits:
 *        gst RTP+RTX ──▶ relay (drops pt 97) ──▶ acip        acip RTCP (NACK) ──▶ gst RTCP socket
 *   (ii) acip sends, GStreamer's jitter buffer NACKs, acip retransmits:
 *        acip RTP+RTX ──▶ relay (drops pt 97) ──▶ gst        gst RTCP (NACK) ──▶ acip RTCP socket
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaSession, type MediaRecoveryParams, type MediaSessionParams } from '../../../server/media/media-session.js';
import { systemClock } from '../../../server/util/clock.js';
import { ImpairRelay, type Impairment } from '../../helpers/impair-relay.js';
import { requireProgram } from '../../helpers/require-program.js';
import { GROUP_LEADER, stopProcess, trackProcess } from '../../helpers/stop-process.js';
import { sessionParams, sleep } from '../../media/session/session-harness.js';
import { measureTone, readWavFile } from '../links/harness.js';

/** Debian's python3-gi is built for the system interpreter, not for one on PATH (pyenv, venv). */
const PYTHON = '/usr/bin/python3';
const PEER = fileURLToPath(new URL('../../helpers/gst-rtx-peer.py', import.meta.url));

/** python3-gi with the GStreamer typelibs (gir1.2-gstreamer-1.0); under CI a missing one fails. */
function requirePythonGst(): boolean {
  try {
    execFileSync(PYTHON, ['-c', "import gi; gi.require_version('Gst', '1.0'); from gi.repository import Gst"], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error(`CI=true but ${PYTHON} cannot import GStreamer (python3-gi, gir1.2-gstreamer-1.0)`);
    return false;
  }
}

const has = requireProgram('gst-launch-1.0') && requirePythonGst();
const dir = mkdtempSync(join(tmpdir(), 'acip-gst-rtx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOST = '127.0.0.1';
const PT = 97;
const RTX_PT = 99;
const L16 = { codecId: 'L16', payloadType: PT, params: { sampleRate: 48000, channels: 2, ptimeMs: 5 } };
const RECOVERY: MediaRecoveryParams = { rtx: { payloadType: RTX_PT, rtxTimeMs: 1000 } };
const COMMON: Partial<MediaSessionParams> = { recovery: RECOVERY, jitterBuffer: { mode: 'fixed', delayMs: 100 }, rtcp: { minIntervalS: 0.5 } };
/** 5 % random loss of the media only; RTX (pt 99) passes with the same delay. */
const LOSSY: Impairment = { delayMs: 20, loss: { p: 0, r: 1, lossGood: 0.05, lossBad: 0.05 }, onlyPayloadTypes: [PT] };
const RUN_MS = 4000;
/** Beyond the peer's own drain (EOS) deadline. */
const STOP_GRACE_MS = 5000;

interface GstPeer {
  child: ChildProcess;
  rtpPort: number;
  rtcpPort: number;
  /** The peer's `STATS` line once it has stopped (undefined if it never printed one). */
  stats: () => Record<string, unknown> | undefined;
  output: () => string;
}

/** Start the Python peer and wait (bounded) for its `READY` line with the ports it bound. */
async function startPeer(args: (string | number)[]): Promise<GstPeer> {
  const child = trackProcess(spawn(PYTHON, [PEER, ...args.map(String)], { ...GROUP_LEADER, stdio: ['ignore', 'pipe', 'pipe'] }), { group: true });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const line = (tag: string): string | undefined => out.split('\n').find((l) => l.startsWith(`${tag} `));
  const deadline = Date.now() + 10_000;
  while (!line('READY')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopProcess(child, { group: true, signal: 'SIGKILL' });
      throw new Error(`gst-rtx-peer did not start: ${out}`);
    }
    await sleep(20);
  }
  const ready = JSON.parse(line('READY')!.slice('READY '.length)) as { rtpPort: number; rtcpPort: number };
  return {
    child,
    ...ready,
    stats: () => {
      const l = line('STATS');
      return l ? (JSON.parse(l.slice('STATS '.length)) as Record<string, unknown>) : undefined;
    },
    output: () => out.slice(-2000),
  };
}

describe.skipIf(!has)('NACK/RTX with GStreamer rtpbin', () => {
  it('acip NACKs what the relay lost of GStreamer L16, plays the rtprtxsend retransmissions, and the tone arrives at its level', async () => {
    const rec = join(dir, 'acip-rx.wav');
    const b = await MediaSession.open(sessionParams(L16, { ...COMMON, linkId: 'rx', input: 'silence', output: `file:${rec}`, send: false }), { clock: systemClock });
    const relay = await ImpairRelay.open({ b: { address: HOST, port: b.localRtpPort }, aToB: LOSSY, seed: 41 });
    // volume 0.25: a −12 dBFS peak.
    const g = await startPeer(['send', '--rtp-dest', relay.sideAPort, '--rtcp-dest', b.localRtcpPort, '--pt', PT, '--rtx-pt', RTX_PT, '--freq', 440, '--volume', 0.25]);
    try {
      await b.update({ ...b.currentParams(), remote: { address: HOST, rtpPort: relay.sideBPort, rtcpPort: g.rtcpPort } });
      await sleep(RUN_MS);
    } finally {
      await stopProcess(g.child, { group: true, signal: 'SIGTERM', graceMs: STOP_GRACE_MS });
      var s = b.stats();
      await b.close();
      await relay.close();
    }
    const relayed = relay.counters().aToB;
    const gst = g.stats();
    const r = s.recovery!;
    const why = JSON.stringify({ relayed, recovery: r, jb: s.jitterBuffer && { lost: s.jitterBuffer.lost, concealed: s.jitterBuffer.concealedFrames, played: s.jitterBuffer.framesPlayed }, gst, out: gst ? '' : g.output() });
    expect(relayed.lost, why).toBeGreaterThan(1);
    // RTX packets went round the loss, not through it.
    expect(relayed.bypassed, why).toBeGreaterThan(0);
    expect(r.nackRequests, why).toBeGreaterThan(0);
    expect(gst?.['num-rtx-requests'], why).toBeGreaterThan(0);
    expect(gst?.['num-rtx-packets'], why).toBeGreaterThan(0);
    expect(r.recoveredByRtx, why).toBeGreaterThan(0);
    // Fewer frames concealed than packets lost on the way: without RTX each loss is concealed.
    expect(s.jitterBuffer!.lost, why).toBeLessThan(relayed.lost);
    // GStreamer's RTX stream (its own SSRC) never counts as a change of the sender's SSRC.
    expect(s.rtp.rx.ssrcChanges, why).toBe(0);
    const tone = measureTone(readWavFile(rec), 440, 1.0, 2);
    for (let ch = 0; ch < 2; ch++) {
      expect(Math.abs(tone.frequencyHz[ch]! - 440), `${JSON.stringify(tone)} ${why}`).toBeLessThanOrEqual(5);
      expect(Math.abs(tone.peakEquivDbfs[ch]! - -12), `${JSON.stringify(tone)} ${why}`).toBeLessThanOrEqual(1);
    }
  }, 30_000);

  it("GStreamer's jitter buffer NACKs what the relay lost of acip's L16, acip retransmits, and rtprtxreceive restores the tone", async () => {
    const out = join(dir, 'gst-rx.wav');
    const a = await MediaSession.open(sessionParams(L16, { ...COMMON, linkId: 'tx', input: 'tone:1000:-18', output: 'null', receive: false }), { clock: systemClock });
    const g = await startPeer(['recv', '--rtcp-dest', a.localRtcpPort, '--pt', PT, '--rtx-pt', RTX_PT, '--latency-ms', 200, '--out', out]);
    const relay = await ImpairRelay.open({ b: { address: HOST, port: g.rtpPort }, aToB: LOSSY, seed: 42 });
    try {
      await a.update({ ...a.currentParams(), remote: { address: HOST, rtpPort: relay.sideAPort, rtcpPort: g.rtcpPort } });
      await sleep(RUN_MS);
    } finally {
      var s = a.stats();
      await a.close();
      // Let the jitter buffer play out what it holds before the EOS.
      await sleep(300);
      await stopProcess(g.child, { group: true, signal: 'SIGTERM', graceMs: STOP_GRACE_MS });
      await relay.close();
    }
    const relayed = relay.counters().aToB;
    const gst = g.stats();
    const r = s.recovery!;
    const why = JSON.stringify({ relayed, recovery: r, gst, out: gst ? '' : g.output() });
    expect(relayed.lost, why).toBeGreaterThan(1);
    expect(r.peerRequests, why).toBeGreaterThan(0);
    // What acip_rtx_sent_total exports for the link.
    expect(r.rtxSent, why).toBeGreaterThan(0);
    expect(relayed.bypassed, why).toBeGreaterThan(0);
    // rtprtxreceive matched acip's retransmissions to the requests its jitter buffer made, and the
    // jitter buffer played them: it gave up on fewer packets than the relay dropped.
    expect(gst?.['num-rtx-assoc-packets'], why).toBeGreaterThan(0);
    const jb = gst?.['jitterbuffer0'] as { 'num-lost': number; 'rtx-success-count': number } | undefined;
    expect(jb?.['rtx-success-count'], why).toBeGreaterThan(0);
    expect(jb?.['num-lost'], why).toBeLessThan(relayed.lost);
    const tone = measureTone(readWavFile(out), 1000, 1.0, 2);
    for (let ch = 0; ch < 2; ch++) {
      expect(Math.abs(tone.frequencyHz[ch]! - 1000), `${JSON.stringify(tone)} ${why}`).toBeLessThanOrEqual(5);
      expect(Math.abs(tone.peakEquivDbfs[ch]! - -18), `${JSON.stringify(tone)} ${why}`).toBeLessThanOrEqual(1);
    }
  }, 30_000);
});
