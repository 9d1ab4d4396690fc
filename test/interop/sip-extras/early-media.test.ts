/**
 * Early media (RFC 3960 §3 gateway model) between the real service and sipp as UAS on loopback UDP.
 * acip dials over the API with a G.711 profile; `early-media-uas.xml` answers with 183 Session
 * Progress carrying a PCMA answer and streams a 1 kHz A-law tone while acip rings, then 200 OK with
 * the same SDP, then BYE. The link must show received packets while still `ringing`, and its
 * recording's first second must hold the tone at its level. `early-media-uas-busy.xml` sends the
 * 183 and its tone, then 486: the link fails and its media session is closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { PeerProcess, freePort, runProgram } from '../../helpers/sip-peer-process.js';
import { ROOT_DIR } from '../../../server/version.js';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from '../links/harness.js';

const HAVE_SIPP = requireProgram('sipp');
const HAVE_SOX = requireProgram('sox');
const TONE = { hz: 1000, peakDbfs: -12 } as const;

type LinkRow = { id: string; state: string; mediaDirection: string | null; rx: { packets: number } | null; meters: unknown; endReason: { sipStatus?: number; reason: string } | null };

function exitOf(p: PeerProcess, ms: number): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null) return resolve(p.child.exitCode);
    const t = setTimeout(() => resolve(null), ms);
    p.child.on('close', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

describe.runIf(HAVE_SIPP && HAVE_SOX)('early media from sipp as UAS (183 Session Progress with SDP)', () => {
  let acip: LtAcip;
  let dir: string;
  beforeAll(async () => {
    acip = await startLtAcip();
    dir = mkdtempSync(join(tmpdir(), 'acip-early-'));
    // 1 kHz at -12 dBFS peak, raw A-law at 8 kHz: what sipp's rtp_stream sends as PCMA.
    const sox = await runProgram('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', '-t', 'raw', join(dir, 'tone.al'), 'synth', '10', 'sine', String(TONE.hz), 'vol', '0.2512'], 15_000);
    expect(sox.code, sox.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await acip?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Start sipp with `scenario`, then dial it from the API; returns sipp and the new link's id. */
  async function dialSipp(scenario: string): Promise<{ sipp: PeerProcess; id: string }> {
    const port = await freePort();
    const mediaPort = await freePort();
    const sipp = PeerProcess.start('sipp', [
      '-sf', join(ROOT_DIR, 'test/fixtures/sipp', scenario), '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort), '-m', '1', '-timeout', '30',
    ], dir);
    await sleep(500);
    const dial = await acip.api('POST', '/api/links', { to: `sip:sipp@127.0.0.1:${port}`, profile: 'g711-telephone' });
    expect(dial.status, JSON.stringify(dial.body)).toBe(201);
    return { sipp, id: dial.body.id as string };
  }

  /** Poll the link until a snapshot shows it ringing with packets received (bounded). */
  async function ringingWithMedia(id: string): Promise<LinkRow | undefined> {
    return waitFor(async () => {
      const l = (await acip.api('GET', `/api/links/${id}`)).body as LinkRow;
      return l.state === 'ringing' && (l.rx?.packets ?? 0) > 0 ? l : undefined;
    }, 5000, 50);
  }

  it('plays the early tone while ringing, then continues the same session after the 200 OK', async () => {
    const { sipp, id } = await dialSipp('early-media-uas.xml');
    try {
      const early = await ringingWithMedia(id);
      expect(early, sipp.output.slice(-2500)).toBeTruthy();
      expect(early!.mediaDirection).toBe('sendrecv');
      await waitForLinkState(acip, id, 'connected', 5000);
      expect(await exitOf(sipp, 15_000), sipp.output.slice(-2500)).toBe(0);
      const ended = await waitForLinkState(acip, id, 'ended', 5000);
      expect(ended.endReason?.by, JSON.stringify(ended.endReason)).toBe('remote');
      await sleep(300);
      // The first second of the recording is early media: the 200 OK came 2 s after the 183.
      const tone = measureTone(readWavFile(join(acip.recDir, `acip-${id}.wav`)), TONE.hz, 0.25, 1);
      for (let ch = 0; ch < tone.channels; ch++) {
        expect(Math.abs(tone.peakEquivDbfs[ch]! - TONE.peakDbfs), JSON.stringify(tone)).toBeLessThanOrEqual(1.5);
        expect(Math.abs(tone.frequencyHz[ch]! - TONE.hz), JSON.stringify(tone)).toBeLessThanOrEqual(20);
      }
    } finally {
      await sipp.stop();
    }
  }, 60_000);

  it('fails the link and closes its early media session when a 486 follows the 183', async () => {
    const { sipp, id } = await dialSipp('early-media-uas-busy.xml');
    try {
      const early = await ringingWithMedia(id);
      expect(early, sipp.output.slice(-2500)).toBeTruthy();
      expect(early!.mediaDirection).toBe('sendrecv');
      const ended = (await waitForLinkState(acip, id, 'ended', 8000)) as LinkRow;
      expect(ended.endReason, JSON.stringify(ended)).toMatchObject({ by: 'remote', sipStatus: 486 });
      // No media session stays open: no receive statistics and no meters any more.
      expect(ended.rx).toBeNull();
      expect(ended.meters).toBeNull();
      expect(await exitOf(sipp, 10_000), sipp.output.slice(-2500)).toBe(0);
    } finally {
      await sipp.stop();
    }
  }, 60_000);
});
