/**
 * SRTP through the whole media path against ffmpeg's own SRTP code (RFC 3711): a media session keyed
 * from an a=crypto line as the link keys it (we send with our line, receive with the peer's).
 * ffmpeg decodes acip's SRTP L24 tone (keyed from our a=crypto line in the SDP it reads) into a WAV
 * that holds it; acip decodes ffmpeg's SRTP stream (`-srtp_out_suite`,
 * `-srtp_out_params`) into a recording that holds the tone, with no packet dropped by SRTP.
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
import { formatCryptoAttribute, offerCrypto, srtpKeysOf, type SdesCryptoKnown } from '../../../server/sdp/sdes.js';
import type { SrtpSuiteName } from '../../../server/rtp/srtp/srtp-suite.js';
import { rmsDbfs } from '../../helpers/audio-measure.js';
import { requireProgram } from '../../helpers/require-program.js';
import { channelSlice, medianFrequency, offset, onset, sessionParams, type CodecCase } from '../../media/session/session-harness.js';

const hasFfmpeg = requireProgram('ffmpeg');
const dir = mkdtempSync(join(tmpdir(), 'acip-srtp-media-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const l24: CodecCase = { name: 'L24 5 ms', codecId: 'L24', payloadType: 98, params: { sampleRate: 48000, channels: 2, ptimeMs: 5 } };
const SUITES: SrtpSuiteName[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

function line(suite: SrtpSuiteName): SdesCryptoKnown {
  const [c] = offerCrypto([suite]);
  if (!c) throw new Error('no crypto line');
  return c;
}

async function freePair(): Promise<number> {
  const p = await allocatePortPair({ min: 30000, max: 60999 }, '127.0.0.1');
  await Promise.all([new Promise<void>((r) => p.rtp.close(() => r())), new Promise<void>((r) => p.rtcp.close(() => r()))]);
  return p.rtpPort;
}

/** ffmpeg with a kill timer; `readyOn`: resolve `ready` when stderr shows this text. */
function runFfmpeg(args: string[], timeoutMs: number, readyOn?: string) {
  const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (readyOn !== undefined && stderr.includes(readyOn)) onReady();
  });
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      children.delete(child);
      onReady();
      resolve({ code, stderr });
    });
  });
  return { ready, done };
}

function checkTone(path: string, expectedPeakDbfs: number, hz: number, why: string): void {
  const rec = readWav(path);
  const start = onset(rec.samples, rec.channels);
  expect(start, why).toBeGreaterThanOrEqual(0);
  const from = start + Math.round(0.2 * rec.sampleRate);
  const to = offset(rec.samples, rec.channels) - Math.round(0.15 * rec.sampleRate);
  expect(to - from, why).toBeGreaterThan(rec.sampleRate / 2);
  for (let ch = 0; ch < rec.channels; ch++) {
    const x = channelSlice(rec.samples, rec.channels, ch, from, to);
    expect(Math.abs(rmsDbfs(x) - (expectedPeakDbfs - 3.0103)), why).toBeLessThanOrEqual(0.5);
    expect(Math.abs(medianFrequency(x, rec.sampleRate) - hz), why).toBeLessThanOrEqual(5);
  }
}

describe.each(SUITES)('SRTP %s between acip media sessions and ffmpeg', (suite) => {
  it.skipIf(!hasFfmpeg)('ffmpeg decrypts and decodes the L24 tone acip sends', async () => {
    const ours = line(suite);
    const port = await freePair();
    const out = join(dir, `ffmpeg-rx-${suite}.wav`);
    // ffmpeg reads our a=crypto line from the SDP (its SDP demuxer keys -srtp_in_* from it).
    const sdpPath = join(dir, `acip-${suite}.sdp`);
    writeFileSync(
      sdpPath,
      ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=acip', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/SAVP ${l24.payloadType}`, `a=rtpmap:${l24.payloadType} L24/48000/2`, 'a=ptime:5', `a=crypto:${formatCryptoAttribute(ours)}`, ''].join('\r\n'),
    );
    // ffmpeg's SRTP receiver starts its ROC at the first packet it sees: start sending once it has bound.
    const ff = runFfmpeg(
      ['-loglevel', 'debug', '-protocol_whitelist', 'file,udp,rtp,srtp', '-reorder_queue_size', '64', '-i', sdpPath, '-t', '2', '-y', out],
      20_000,
      'setting jitter buffer size',
    );
    await ff.ready;
    const a = await MediaSession.open(
      sessionParams(l24, {
        linkId: 'srtp-to-ffmpeg',
        receive: false,
        input: 'tone:1000:-18',
        remote: { address: '127.0.0.1', rtpPort: port, rtcpPort: port + 1 },
        srtp: { send: srtpKeysOf(ours), receive: null },
      }),
      { clock: systemClock },
    );
    let res: { code: number | null; stderr: string };
    try {
      res = await ff.done;
    } finally {
      var stats = a.stats();
      await a.close();
    }
    const why = `ffmpeg: ${res.stderr.split('\n').filter((l) => /error|srtp|hmac/i.test(l)).slice(0, 20).join('\n')}`;
    expect(res.code, why).toBe(0);
    expect(stats.rtp.srtp).toMatchObject({ suite, sendKeyed: true, sendFailed: 0 });
    checkTone(out, -18, 1000, why);
  });

  it.skipIf(!hasFfmpeg)('acip decrypts and decodes the tone ffmpeg sends as SRTP', async () => {
    const theirs = line(suite);
    const out = join(dir, `acip-rx-${suite}.wav`);
    const b = await MediaSession.open(
      sessionParams(l24, { linkId: 'srtp-from-ffmpeg', send: false, output: `file:${out}`, srtp: { send: srtpKeysOf(line(suite)), receive: srtpKeysOf(theirs) } }),
      { clock: systemClock },
    );
    let res: { code: number | null; stderr: string };
    try {
      const ff = runFfmpeg(
        [
          '-loglevel', 'error',
          '-re',
          '-f', 'lavfi',
          '-i', 'sine=frequency=1000:sample_rate=48000:duration=2.5',
          '-af', 'pan=stereo|c0=c0|c1=c0,asetnsamples=n=240:p=0',
          '-c:a', 'pcm_s24be',
          '-f', 'rtp',
          '-payload_type', String(l24.payloadType),
          '-srtp_out_suite', suite,
          '-srtp_out_params', theirs.keyParams[0]!.keySalt.toString('base64'),
          `srtp://127.0.0.1:${b.localRtpPort}?rtcpport=${b.localRtcpPort}&pkt_size=1472`,
        ],
        20_000,
      );
      res = await ff.done;
      // Let the jitter buffer play out what arrived last (bounded: one receive path drain).
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      var stats = b.stats();
      await b.close();
    }
    const why = `ffmpeg: ${res.stderr} srtp: ${JSON.stringify(stats.rtp.srtp)}`;
    expect(res.code, why).toBe(0);
    expect(stats.rtp.rx.packets, why).toBeGreaterThan(100);
    expect(stats.rtp.srtp?.dropped, why).toBe(0);
    expect(stats.playout.decodeErrors, why).toBe(0);
    checkTone(out, 20 * Math.log10(1 / 8), 1000, why);
  });
});
