/**
 * Attended transfer, receiving side (RFC 3891 §3), between the real service and two sipps on
 * loopback UDP: `replaces-old-uac.xml` calls acip (a PCMA link); `replaces-new-uac.xml` then
 * sends an INVITE whose Replaces names that call (Call-ID, acip's tag, the old caller's tag) and
 * streams a 1 kHz A-law tone. acip must answer the new call (200 listing replaces in Supported),
 * send the old caller BYE, end the old link saying it was replaced, and record the new caller's
 * tone at its level. An INVITE whose Replaces names no call gets 481.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { sippSuite } from '../../helpers/sipp-scenario.js';
import { measureTone, readWavFile, sleep, waitFor, waitForLinkState } from '../links/harness.js';

const HAVE_SIPP = requireProgram('sipp');
const HAVE_SOX = requireProgram('sox');
const TONE = { hz: 1000, peakDbfs: -12 } as const;

/** The link's remote is at `port` exactly (':5060' must not match ':50601'). */
const atPort = (l: { remote: string }, port: number): boolean => new RegExp(`:${port}(?![0-9])`).test(l.remote);

type LinkRow = { id: string; remote: string; state: string; profile: string; endReason: { reason: string } | null };

describe.runIf(HAVE_SIPP && HAVE_SOX)('an INVITE with Replaces (RFC 3891) from sipp', () => {
  // sipp's rtp_stream plays tone.al from the suite's working folder; the old caller writes acip-tag.txt there.
  const suite = sippSuite({ tone: TONE });

  const links = async () => (await suite.acip.api('GET', '/api/links')).body.links as LinkRow[];

  it('answers the new caller, sends the replaced caller BYE, ends the old link as replaced, and records the new tone', async () => {
    const { acip } = suite;
    const old = await suite.start({ scenario: 'replaces-old-uac.xml', role: 'uac', timeoutS: 40, extra: ['-cid_str', 'replaced-%u@127.0.0.1'] });
    const oldLink = await waitFor(async () => (await links()).find((l) => atPort(l, old.port) && l.state === 'connected'), 10_000);
    expect(oldLink, old.output.slice(-1500)).toBeTruthy();
    const tagFile = join(suite.dir, 'acip-tag.txt');
    await waitFor(async () => existsSync(tagFile) && readFileSync(tagFile, 'utf8').trim() !== '', 5000);
    const acipTag = readFileSync(tagFile, 'utf8').trim();
    const next = await suite.start({
      scenario: 'replaces-new-uac.xml', role: 'uac', timeoutS: 30,
      keys: { replaces: `replaced-1@127.0.0.1;to-tag=${acipTag};from-tag=replaced-1` }, extra: ['-d', '4000'],
    });
    expect(await old.exit(15_000), old.trace()).toBe(0);
    const newLink = await waitFor(async () => (await links()).find((l) => atPort(l, next.port)), 5000);
    expect(newLink, next.trace()).toBeTruthy();
    expect(newLink!.profile).toBe(oldLink!.profile);
    await waitForLinkState(acip, oldLink!.id, 'ended', 5000);
    const ended = (await acip.api('GET', `/api/links/${oldLink!.id}`)).body as LinkRow;
    expect(ended.endReason?.reason).toMatch(/^replaced by /);
    expect(await next.exit(20_000), next.trace()).toBe(0);
    await waitForLinkState(acip, newLink!.id, ['ended', 'failed'], 8000);
    await sleep(300);
    const tone = measureTone(readWavFile(join(acip.recDir, `acip-${newLink!.id}.wav`)), TONE.hz, 1, 2);
    for (let ch = 0; ch < tone.channels; ch++) expect(Math.abs(tone.peakEquivDbfs[ch]! - TONE.peakDbfs), JSON.stringify(tone)).toBeLessThanOrEqual(1.5);
  }, 90_000);

  it('refuses an INVITE whose Replaces names no call with 481', async () => {
    // Links already on the board (the first test's ended ones stay listed): none may be added.
    const before = new Set((await links()).map((l) => l.id));
    const res = await suite.run({
      scenario: 'replaces-new-uac.xml', role: 'uac', timeoutS: 15, traceMessages: true,
      keys: { replaces: 'nosuch@127.0.0.1;to-tag=x;from-tag=y' },
    });
    // The scenario expects a 200: sipp fails the call on the 481, which its message log shows.
    expect(res.code).not.toBe(0);
    expect(res.messages(), res.stdout.slice(-1500)).toMatch(/^SIP\/2\.0 481 /m);
    expect((await links()).filter((l) => !before.has(l.id))).toEqual([]);
  }, 40_000);
});
