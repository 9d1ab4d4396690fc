/**
 * RED (RFC 2198) against GStreamer 1.22's `rtpredenc` / `rtpreddec`, through the seeded impairment
 * relay (5 % random loss, 10 ms): GStreamer sends Opus wrapped in RED with the previous frame as the
 * copy, and acip plays the copies of the lost packets; acip sends RED and GStreamer's `rtpreddec`
 * unwraps it. The tone is checked at the receiving end both ways.
 *
 * NACK/RTX against GStreamer needs an `rtpbin` with `rtprtxsend`/`rtprtxreceive` attached through its
 * request-aux-sender/receiver signals, which gst-launch cannot express: gstreamer-rtx.test.ts drives
 * them from a python3-gi program (test/helpers/gst-rtx-peer.py).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaSession } from '../../../server/media/media-session.js';
import { allocatePortPair } from '../../../server/rtp/port-pair.js';
import { systemClock } from '../../../server/util/clock.js';
import { ImpairRelay, type Impairment } from '../../helpers/impair-relay.js';
import { requireProgram } from '../../helpers/require-program.js';
import { GROUP_LEADER, stopProcess } from '../../helpers/stop-process.js';
import { CODEC_CASES, sessionParams, sleep } from '../../media/session/session-harness.js';
import { measureTone, readWavFile } from '../links/harness.js';

const has = requireProgram('gst-launch-1.0');
const dir = mkdtempSync(join(tmpdir(), 'acip-gst-red-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OPUS = CODEC_CASES[0]!;
const PT = 111;
const RED_PT = 63;
const LOSSY: Impairment = { delayMs: 10, loss: { p: 0, r: 1, lossGood: 0.05, lossBad: 0.05 } };
const RUN_MS = 4000;

async function freePort(): Promise<number> {
  const p = await allocatePortPair({ min: 30000, max: 60999 }, '127.0.0.1');
  await Promise.all([new Promise<void>((r) => p.rtp.close(() => r())), new Promise<void>((r) => p.rtcp.close(() => r()))]);
  return p.rtpPort;
}

function gst(pipeline: string): { child: ChildProcess; output: () => string } {
  const child = spawn('gst-launch-1.0', ['-e', '-q', ...pipeline.split(/\s+/).filter(Boolean)], { ...GROUP_LEADER, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out.slice(-2000) };
}

describe.skipIf(!has)('RED with GStreamer', () => {
  it("acip plays GStreamer's RED copies of lost packets, and the tone arrives at its level", async () => {
    const rec = join(dir, 'acip-rx.wav');
    const b = await MediaSession.open(
      sessionParams(OPUS, { payloadType: PT, linkId: 'rx', input: 'silence', output: `file:${rec}`, send: false, jitterBuffer: { mode: 'fixed', delayMs: 60 }, recovery: { red: { payloadType: RED_PT, depth: 1, distance: 1 } } }),
      { clock: systemClock },
    );
    const relay = await ImpairRelay.open({ b: { address: '127.0.0.1', port: b.localRtpPort }, aToB: LOSSY, seed: 31 });
    // volume 0.25: a −12 dBFS peak; 20 ms Opus frames at 128 kbit/s, the previous frame as the RED copy.
    const g = gst(
      `audiotestsrc is-live=true wave=sine freq=440 volume=0.25 ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! opusenc bitrate=128000 frame-size=20 ! ` +
        `rtpopuspay pt=${PT} ! rtpredenc pt=${RED_PT} distance=1 ! udpsink host=127.0.0.1 port=${relay.sideAPort}`,
    );
    try {
      await sleep(RUN_MS);
    } finally {
      await stopProcess(g.child, { group: true, signal: 'SIGINT' });
      var s = b.stats();
      await b.close();
      await relay.close();
    }
    const lost = relay.counters().aToB.lost;
    const why = JSON.stringify({ lost, recovery: s.recovery, jb: s.jitterBuffer && { lost: s.jitterBuffer.lost, played: s.jitterBuffer.framesPlayed }, gst: g.output() });
    expect(lost, why).toBeGreaterThan(1);
    expect(s.recovery!.recoveredByRed, why).toBeGreaterThan(0);
    expect(s.jitterBuffer!.lost, why).toBeLessThan(lost);
    expect(s.recovery!.redMalformed, why).toBe(0);
    const tone = measureTone(readWavFile(rec), 440, 1.0, 2);
    for (let ch = 0; ch < 2; ch++) {
      expect(Math.abs(tone.frequencyHz[ch]! - 440), JSON.stringify(tone)).toBeLessThanOrEqual(5);
      expect(Math.abs(tone.peakEquivDbfs[ch]! - -12), JSON.stringify(tone)).toBeLessThanOrEqual(1);
    }
  }, 30_000);

  it("GStreamer's rtpreddec unwraps acip's RED, and the tone arrives at its level", async () => {
    const port = await freePort();
    const out = join(dir, 'gst-rx.wav');
    const g = gst(
      `udpsrc port=${port} address=127.0.0.1 caps=application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=${PT} ! ` +
        `rtpreddec pt=${RED_PT} ! rtpjitterbuffer latency=80 ! rtpopusdepay ! opusdec ! audioconvert ! audio/x-raw,format=S16LE ! wavenc ! filesink location=${out}`,
    );
    const relay = await ImpairRelay.open({ b: { address: '127.0.0.1', port }, aToB: LOSSY, seed: 32 });
    const a = await MediaSession.open(
      sessionParams(OPUS, {
        payloadType: PT,
        linkId: 'tx',
        input: 'tone:1000:-18',
        output: 'null',
        receive: false,
        remote: { address: '127.0.0.1', rtpPort: relay.sideAPort },
        recovery: { red: { payloadType: RED_PT, depth: 1, distance: 1 } },
      }),
      { clock: systemClock },
    );
    try {
      await sleep(RUN_MS);
    } finally {
      await a.close();
      await sleep(300);
      await stopProcess(g.child, { group: true, signal: 'SIGINT' });
      await relay.close();
    }
    const why = JSON.stringify({ relay: relay.counters(), gst: g.output() });
    expect(relay.counters().aToB.lost, why).toBeGreaterThan(1);
    const tone = measureTone(readWavFile(out), 1000, 1.0, 2);
    for (let ch = 0; ch < 2; ch++) {
      expect(Math.abs(tone.frequencyHz[ch]! - 1000), `${JSON.stringify(tone)} ${why}`).toBeLessThanOrEqual(5);
      expect(Math.abs(tone.peakEquivDbfs[ch]! - -18), `${JSON.stringify(tone)} ${why}`).toBeLessThanOrEqual(1);
    }
  }, 30_000);
});
