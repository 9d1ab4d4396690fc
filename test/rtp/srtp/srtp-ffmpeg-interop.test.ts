/**
 * ffmpeg as the far end of our SRTP sender: acip protects a G.711 A-law tone whose sequence numbers
 * cross 65535 → 0 (so the ROC goes to 1 mid-stream), ffmpeg reads the SDP with our a=crypto line,
 * authenticates and decrypts with its own SRTP code, and writes a WAV that must hold the tone. Run
 * for each suite ffmpeg 5.1 knows (AES_CM_128_HMAC_SHA1_80 and _32; it has no GCM).
 *
 * ffmpeg's receiver starts its ROC at 0 on the first packet it sees, so it must be listening before
 * the first packet: we wait for its "setting jitter buffer size" debug line (printed once both UDP
 * sockets are bound) rather than for a fixed time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pcmaCodec } from '../../../server/codecs/g711.js';
import { readWav } from '../../../server/media/wav.js';
import { allocatePortPair } from '../../../server/rtp/port-pair.js';
import { SrtpContext } from '../../../server/rtp/srtp/srtp-context.js';
import { formatCryptoAttribute, offerCrypto, srtpKeysOf } from '../../../server/sdp/sdes.js';
import type { SrtpSuiteName } from '../../../server/rtp/srtp/srtp-suite.js';
import { estimateFrequency, rmsDbfs, sine } from '../../helpers/audio-measure.js';
import { requireProgram } from '../../helpers/require-program.js';

const hasFfmpeg = requireProgram('ffmpeg');
const dir = mkdtempSync(join(tmpdir(), 'acip-srtp-ff-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const PT = 8;
const FIRST_SEQ = 65_500;
const PACKETS = 100; // 2 s of 20 ms packets; ffmpeg keeps the first second
const TONE_HZ = 440;
const TONE_PEAK_DBFS = -10;

/** A free even/odd port pair for ffmpeg (bound then released: a small race we accept in tests). */
async function freePort(): Promise<number> {
  const p = await allocatePortPair({ min: 30000, max: 60999 }, '127.0.0.1');
  await Promise.all([new Promise<void>((r) => p.rtp.close(() => r())), new Promise<void>((r) => p.rtcp.close(() => r()))]);
  return p.rtpPort;
}

describe.each(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as SrtpSuiteName[])('ffmpeg receives our %s', (suite) => {
  it.skipIf(!hasFfmpeg)('decrypts a tone across the sequence wrap into a WAV holding it', async () => {
    const [crypto] = offerCrypto([suite]);
    if (!crypto) throw new Error('no crypto line');
    const port = await freePort();
    const sdpPath = join(dir, `${suite}.sdp`);
    const out = join(dir, `${suite}.wav`);
    writeFileSync(
      sdpPath,
      ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=acip', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/SAVP ${PT}`, `a=rtpmap:${PT} PCMA/8000`, `a=crypto:${formatCryptoAttribute(crypto)}`, ''].join('\r\n'),
    );
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'debug', '-protocol_whitelist', 'file,udp,rtp,srtp', '-i', sdpPath, '-t', '1', '-y', out], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.add(child);
    let stderr = '';
    const ready = new Promise<void>((resolve) => {
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('setting jitter buffer size')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (code) => {
        clearTimeout(t);
        children.delete(child);
        resolve(code);
      });
    });
    await Promise.race([ready, exited]);

    const tx = new SrtpContext(srtpKeysOf(crypto));
    const enc = pcmaCodec.createEncoder({ sampleRate: 8000, channels: 1, ptimeMs: 20 });
    const sock = dgram.createSocket('udp4');
    try {
      for (let i = 0; i < PACKETS; i++) {
        const payload = enc.encode(sine(8000, TONE_HZ, TONE_PEAK_DBFS, 160, 1, 160 * i));
        const rtp = Buffer.alloc(12 + payload.length);
        rtp[0] = 0x80;
        rtp[1] = PT;
        rtp.writeUInt16BE((FIRST_SEQ + i) & 0xffff, 2);
        rtp.writeUInt32BE(160 * i, 4);
        rtp.writeUInt32BE(0x5eca_1ab5, 8);
        payload.copy(rtp, 12);
        await new Promise<void>((r) => sock.send(tx.protectRtp(rtp), port, '127.0.0.1', () => r()));
      }
      expect(tx.rolloverCounter(0x5eca_1ab5, 'send')).toBe(1);
      const code = await exited;
      expect(code, stderr.split('\n').filter((l) => /srtp|hmac|auth|error/i.test(l)).join('\n')).toBe(0);
    } finally {
      sock.close();
      enc.close();
    }
    const wav = readWav(out);
    expect(wav.frames).toBeGreaterThanOrEqual(8000 * 0.9);
    const tail = wav.samples.subarray(800); // past any start-up edge
    expect(Math.abs(estimateFrequency(tail, 8000) - TONE_HZ)).toBeLessThanOrEqual(5);
    expect(Math.abs(rmsDbfs(tail) - (TONE_PEAK_DBFS - 3.01))).toBeLessThanOrEqual(0.5);
  });
});
