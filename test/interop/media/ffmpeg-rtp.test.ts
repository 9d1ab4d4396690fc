/**
 * Interop with ffmpeg's RTP stack: ffmpeg decodes acip's Opus and L24 RTP streams from an
 * SDP file into a WAV that holds the tone, and acip decodes ffmpeg's Opus and L24 streams (lavfi sine,
 * 1 kHz at its fixed amplitude 1/8 = -18.06 dBFS peak) into a recording that holds it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allocatePortPair } from '../../../server/rtp/port-pair.js';
import { MediaSession } from '../../../server/media/media-session.js';
import { readWav } from '../../../server/media/wav.js';
import { systemClock } from '../../../server/util/clock.js';
import { rmsDbfs } from '../../helpers/audio-measure.js';
import { requireProgram } from '../../helpers/require-program.js';
import { CODEC_CASES, channelSlice, medianFrequency, offset, onset, sessionParams, sleep, type CodecCase } from '../../media/session/session-harness.js';

const hasFfmpeg = requireProgram('ffmpeg');
const dir = mkdtempSync(join(tmpdir(), 'acip-ffrtp-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const opus = CODEC_CASES[0]!;
const l24: CodecCase = { name: 'L24 5 ms', codecId: 'L24', payloadType: 98, params: { sampleRate: 48000, channels: 2, ptimeMs: 5 } };

/** A free even/odd port pair for ffmpeg (bound then released: a small race we accept in tests). */
async function freePair(): Promise<number> {
  const p = await allocatePortPair({ min: 30000, max: 60999 }, '127.0.0.1');
  await Promise.all([new Promise<void>((r) => p.rtp.close(() => r())), new Promise<void>((r) => p.rtcp.close(() => r()))]);
  return p.rtpPort;
}

function runFfmpeg(args: string[], timeoutMs: number): { done: Promise<{ code: number | null; stderr: string }>; child: ChildProcess } {
  const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      children.delete(child);
      resolve({ code, stderr });
    });
  });
  return { done, child };
}

function checkTone(path: string, expectedPeakDbfs: number, why: string): void {
  const rec = readWav(path);
  const start = onset(rec.samples, rec.channels);
  expect(start, why).toBeGreaterThanOrEqual(0);
  const from = start + Math.round(0.2 * rec.sampleRate);
  // The far end stops first: leave out the fade of the last concealed frames.
  const to = offset(rec.samples, rec.channels) - Math.round(0.15 * rec.sampleRate);
  expect(to - from, why).toBeGreaterThan(rec.sampleRate / 2);
  for (let ch = 0; ch < rec.channels; ch++) {
    const x = channelSlice(rec.samples, rec.channels, ch, from, to);
    expect(Math.abs(rmsDbfs(x) - (expectedPeakDbfs - 3.0103)), why).toBeLessThanOrEqual(0.5);
    expect(Math.abs(medianFrequency(x, rec.sampleRate) - 1000), why).toBeLessThanOrEqual(5);
  }
}

describe('ffmpeg receives acip RTP', () => {
  const rtpmap: Record<string, string> = { opus: 'opus/48000/2', L24: 'L24/48000/2' };
  const fmtp: Record<string, string> = { opus: 'stereo=1;sprop-stereo=1', L24: '' };
  for (const c of [opus, l24]) {
    it.skipIf(!hasFfmpeg)(`decodes acip's ${c.name} stream from an SDP file into a WAV holding the tone`, async () => {
      const port = await freePair();
      const sdp = [
        'v=0',
        'o=- 0 0 IN IP4 127.0.0.1',
        's=acip',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        `m=audio ${port} RTP/AVP ${c.payloadType}`,
        `a=rtpmap:${c.payloadType} ${rtpmap[c.codecId]}`,
        ...(fmtp[c.codecId] ? [`a=fmtp:${c.payloadType} ${fmtp[c.codecId]}`] : []),
        `a=ptime:${c.params.ptimeMs}`,
        '',
      ].join('\r\n');
      const sdpPath = join(dir, `acip-${c.codecId}.sdp`);
      const out = join(dir, `ffmpeg-rx-${c.codecId}.wav`);
      writeFileSync(sdpPath, sdp);
      const ff = runFfmpeg(['-protocol_whitelist', 'file,udp,rtp', '-reorder_queue_size', '64', '-i', sdpPath, '-t', '2', '-y', out], 20_000);
      // Give ffmpeg time to bind before we send (it waits for the first packet anyway).
      await sleep(700);
      const a = await MediaSession.open(
        sessionParams(c, { linkId: 'to-ffmpeg', receive: false, input: 'tone:1000:-18', remote: { address: '127.0.0.1', rtpPort: port, rtcpPort: port + 1 } }),
        { clock: systemClock },
      );
      let res: { code: number | null; stderr: string };
      try {
        res = await ff.done;
      } finally {
        await a.close();
      }
      expect(res.code, res.stderr).toBe(0);
      checkTone(out, -18, `ffmpeg: ${res.stderr}`);
    });
  }
});

describe('acip receives ffmpeg RTP', () => {
  const encode: Record<string, string[]> = {
    // pan copies the mono sine to both channels at full level (-ac 2 would put it 3 dB down on each).
    opus: ['-af', 'pan=stereo|c0=c0|c1=c0', '-c:a', 'libopus', '-b:a', '128000', '-application', 'audio', '-frame_duration', '20'],
    L24: ['-af', 'pan=stereo|c0=c0|c1=c0,asetnsamples=n=240:p=0', '-c:a', 'pcm_s24be'],
  };
  for (const c of [opus, l24]) {
    it.skipIf(!hasFfmpeg)(`decodes ffmpeg's ${c.name} stream into a recording holding the tone`, async () => {
      const out = join(dir, `acip-rx-${c.codecId}.wav`);
      const b = await MediaSession.open(sessionParams(c, { linkId: 'from-ffmpeg', send: false, output: `file:${out}` }), { clock: systemClock });
      let res: { code: number | null; stderr: string };
      try {
        const ff = runFfmpeg(
          [
            '-re',
            '-f', 'lavfi',
            '-i', 'sine=frequency=1000:sample_rate=48000:duration=2.5',
            ...encode[c.codecId]!,
            '-f', 'rtp',
            '-payload_type', String(c.payloadType),
            `rtp://127.0.0.1:${b.localRtpPort}?rtcpport=${b.localRtcpPort}&pkt_size=1472`,
          ],
          20_000,
        );
        res = await ff.done;
        await sleep(200);
      } finally {
        var stats = b.stats();
        await b.close();
      }
      const why = `ffmpeg: ${res.stderr} jb: ${JSON.stringify(stats.jitterBuffer)} rtp wrongPt ${stats.rtp.rx.wrongPt}`;
      expect(res.code, why).toBe(0);
      expect(stats.rtp.rx.packets, why).toBeGreaterThan(100);
      expect(stats.playout.decodeErrors, why).toBe(0);
      // lavfi's sine has amplitude 1/8: -18.06 dBFS peak.
      checkTone(out, 20 * Math.log10(1 / 8), why);
    });
  }
});
