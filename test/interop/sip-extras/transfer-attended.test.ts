/**
 * Attended transfer end to end (RFC 3891 §7.1, RFC 3515) with three real services on loopback UDP,
 * each playing one role: C, the transferor, holds a link to A and a link to B and asks from its API
 * (`replacesLink`) that A take over C's call with B. C sends A a REFER whose Refer-To names B with
 * a Replaces of the C–B dialog; A (the transferee) dials B with that Replaces; B (the target)
 * answers A and hangs up its call with C saying it was replaced; A reports success in its NOTIFY
 * and hangs up its link with C, and C ends both its links. A's tone then arrives at B.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from '../links/harness.js';

type LinkRow = { id: string; remote: string; direction: string; state: string; endReason: { reason: string } | null };
const TONE = { hz: 440, peakDbfs: -12 } as const;

describe('attended transfer between three acips', () => {
  let a: LtAcip;
  let b: LtAcip;
  let c: LtAcip;
  beforeAll(async () => {
    // Three services share the cores: G.711 keeps the media cheap, so admission control does not
    // refuse the transferred link as overload.
    const start = (input: string) => startLtAcip({ config: 'defaultProfile: g711-telephone\n', args: ['--input', input] });
    [a, b, c] = await Promise.all([start(`tone:${TONE.hz}:${TONE.peakDbfs}`), start('silence'), start('silence')]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), c?.close()]);
  });

  const links = async (x: LtAcip) => (await x.api('GET', '/api/links')).body.links as LinkRow[];

  it('hands C’s call with B over to A: A and B talk, every link of C ends, and B’s replaced link says so', async () => {
    const ca = await c.api('POST', '/api/links', { to: `sip:acip@127.0.0.1:${a.sipPort}` });
    const cb = await c.api('POST', '/api/links', { to: `sip:acip@127.0.0.1:${b.sipPort}` });
    expect([ca.status, cb.status], JSON.stringify([ca.body, cb.body])).toEqual([201, 201]);
    await waitForLinkState(c, ca.body.id, 'connected', 10_000);
    await waitForLinkState(c, cb.body.id, 'connected', 10_000);
    const [bc] = await links(b);
    const res = await c.api('POST', `/api/links/${ca.body.id}/transfer`, { replacesLink: cb.body.id });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ accepted: true, status: 202 });
    expect(res.body.target).toMatch(new RegExp(`^sip:acip@127\\.0\\.0\\.1:${b.sipPort}\\?Replaces=`));
    // A's new link to B connects; B's link from C ends as replaced.
    const ab = await waitFor(async () => (await links(a)).find((l) => l.direction === 'outbound' && l.state === 'connected'), 10_000);
    expect(ab, JSON.stringify({ a: await links(a), b: await links(b) })).toBeTruthy();
    const replaced = await waitForLinkState(b, bc!.id, 'ended', 5000);
    expect(replaced.endReason?.reason).toMatch(/^replaced by /);
    await waitForLinkState(c, ca.body.id, ['ended', 'failed'], 8000);
    await waitForLinkState(c, cb.body.id, ['ended', 'failed'], 8000);
    const ba = (await links(b)).find((l) => l.id !== bc!.id && l.state === 'connected');
    expect(ba).toBeTruthy();
    expect((await links(a)).filter((l) => l.state === 'connected')).toHaveLength(1);
    await sleep(3000);
    await a.api('DELETE', `/api/links/${ab!.id}`);
    await waitForLinkState(b, ba!.id, ['ended', 'failed'], 8000);
    await sleep(300);
    const tone = measureTone(readWavFile(join(b.recDir, `acip-${ba!.id}.wav`)), TONE.hz, 1, 1.5);
    for (let ch = 0; ch < tone.channels; ch++) expect(Math.abs(tone.peakEquivDbfs[ch]! - TONE.peakDbfs), JSON.stringify(tone)).toBeLessThanOrEqual(1.5);
  }, 90_000);

  it('refuses an attended transfer naming an unknown link, naming the field', async () => {
    const ca = await c.api('POST', '/api/links', { to: `sip:acip@127.0.0.1:${a.sipPort}` });
    await waitForLinkState(c, ca.body.id, 'connected', 10_000);
    const res = await c.api('POST', `/api/links/${ca.body.id}/transfer`, { replacesLink: 'nosuch' });
    expect(res.status).toBe(404);
    expect(res.body.field).toBe('replacesLink');
    await c.api('DELETE', `/api/links/${ca.body.id}`);
  }, 40_000);
});
