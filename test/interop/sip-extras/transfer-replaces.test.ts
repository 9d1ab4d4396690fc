/**
 * Attended transfer, receiving side (RFC 3891 §3), between the real service and two sipps on
 * loopback UDP: `replaces-old-uac.xml` calls acip (a PCMA link); `replaces-new-uac.xml` then
 * sends an INVITE whose Replaces names that call (Call-ID, acip's tag, the old caller's tag) and
 * streams a 1 kHz A-law tone. acip must answer the new call (200 listing replaces in Supported),
 * send the old caller BYE, end the old link saying it was replaced, and record the new caller's
 * tone at its level. An INVITE whose Replaces names no call gets 481.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { PeerProcess, freePort, runProgram } from '../../helpers/sip-peer-process.js';
import { ROOT_DIR } from '../../../server/version.js';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from '../links/harness.js';

const HAVE_SIPP = requireProgram('sipp');
const HAVE_SOX = requireProgram('sox');
const TONE = { hz: 1000, peakDbfs: -12 } as const;

/** The link's remote is at `port` exactly (':5060' must not match ':50601'). */
const atPort = (l: { remote: string }, port: number): boolean => new RegExp(`:${port}(?![0-9])`).test(l.remote);

type LinkRow = { id: string; remote: string; state: string; profile: string; endReason: { reason: string } | null };

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

describe.runIf(HAVE_SIPP && HAVE_SOX)('an INVITE with Replaces (RFC 3891) from sipp', () => {
  let acip: LtAcip;
  let dir: string;
  beforeAll(async () => {
    acip = await startLtAcip();
    dir = mkdtempSync(join(tmpdir(), 'acip-replaces-'));
    // 1 kHz at -12 dBFS peak, raw A-law at 8 kHz: what sipp's rtp_stream sends as PCMA.
    const sox = await runProgram('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', '-t', 'raw', join(dir, 'tone.al'), 'synth', '10', 'sine', String(TONE.hz), 'vol', '0.2512'], 15_000);
    expect(sox.code, sox.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await acip?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const links = async () => (await acip.api('GET', '/api/links')).body.links as LinkRow[];

  it('answers the new caller, sends the replaced caller BYE, ends the old link as replaced, and records the new tone', async () => {
    const oldPort = await freePort();
    const newPort = await freePort();
    const old = PeerProcess.start('sipp', [
      '-sf', join(ROOT_DIR, 'test/fixtures/sipp/replaces-old-uac.xml'), '-s', 'acip', '-i', '127.0.0.1', '-p', String(oldPort), '-m', '1',
      '-cid_str', 'replaced-%u@127.0.0.1', '-timeout', '40', `127.0.0.1:${acip.sipPort}`,
    ], dir);
    let next: PeerProcess | undefined;
    try {
      const oldLink = await waitFor(async () => (await links()).find((l) => atPort(l, oldPort) && l.state === 'connected'), 10_000);
      expect(oldLink, old.output.slice(-1500)).toBeTruthy();
      const tagFile = join(dir, 'acip-tag.txt');
      await waitFor(async () => existsSync(tagFile) && readFileSync(tagFile, 'utf8').trim() !== '', 5000);
      const acipTag = readFileSync(tagFile, 'utf8').trim();
      next = PeerProcess.start('sipp', [
        '-sf', join(ROOT_DIR, 'test/fixtures/sipp/replaces-new-uac.xml'), '-s', 'acip', '-i', '127.0.0.1', '-p', String(newPort), '-m', '1',
        '-key', 'replaces', `replaced-1@127.0.0.1;to-tag=${acipTag};from-tag=replaced-1`, '-d', '4000', '-timeout', '30', `127.0.0.1:${acip.sipPort}`,
      ], dir);
      expect(await exitOf(old, 15_000), old.output.slice(-2500)).toBe(0);
      const newLink = await waitFor(async () => (await links()).find((l) => atPort(l, newPort)), 5000);
      expect(newLink, next.output.slice(-2500)).toBeTruthy();
      expect(newLink!.profile).toBe(oldLink!.profile);
      await waitForLinkState(acip, oldLink!.id, 'ended', 5000);
      const ended = (await acip.api('GET', `/api/links/${oldLink!.id}`)).body as LinkRow;
      expect(ended.endReason?.reason).toMatch(/^replaced by /);
      expect(await exitOf(next, 20_000), next.output.slice(-2500)).toBe(0);
      await waitForLinkState(acip, newLink!.id, ['ended', 'failed'], 8000);
      await sleep(300);
      const tone = measureTone(readWavFile(join(acip.recDir, `acip-${newLink!.id}.wav`)), TONE.hz, 1, 2);
      for (let ch = 0; ch < tone.channels; ch++) expect(Math.abs(tone.peakEquivDbfs[ch]! - TONE.peakDbfs), JSON.stringify(tone)).toBeLessThanOrEqual(1.5);
    } finally {
      await old.stop();
      await next?.stop();
    }
  }, 90_000);

  it('refuses an INVITE whose Replaces names no call with 481', async () => {
    const port = await freePort();
    const log = join(dir, 'nosuch-messages.log');
    // Links already on the board (the first test's ended ones stay listed): none may be added.
    const before = new Set((await links()).map((l) => l.id));
    const res = await runProgram('sipp', [
      '-sf', join(ROOT_DIR, 'test/fixtures/sipp/replaces-new-uac.xml'), '-s', 'acip', '-i', '127.0.0.1', '-p', String(port), '-m', '1',
      '-key', 'replaces', 'nosuch@127.0.0.1;to-tag=x;from-tag=y', '-trace_msg', '-message_file', log, '-timeout', '15', `127.0.0.1:${acip.sipPort}`,
    ], 25_000, dir);
    // The scenario expects a 200: sipp fails the call on the 481, which its message log shows.
    expect(res.code).not.toBe(0);
    expect(readFileSync(log, 'utf8'), res.stdout.slice(-1500)).toMatch(/^SIP\/2\.0 481 /m);
    expect((await links()).filter((l) => !before.has(l.id))).toEqual([]);
  }, 40_000);
});
