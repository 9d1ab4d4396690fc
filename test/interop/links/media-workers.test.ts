/**
 * `--media-workers N`: media sessions run in worker threads. A call from an in-process acip to one
 * whose media runs in 2 workers carries the tone both ways, its stats reach the API, and hanging up and
 * stopping the service leave nothing behind (exit 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from './harness.js';

describe('media sessions in worker threads', () => {
  let a: LtAcip;
  let b: LtAcip;
  beforeAll(async () => {
    [a, b] = await Promise.all([startLtAcip(), startLtAcip({ args: ['--media-workers', '2', '--input', 'tone:440:-12'] })]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('carry an Opus call both ways with live stats, and stop cleanly', async () => {
    expect(b.logs.some((l) => String(l.msg).includes('2 worker thread(s)'))).toBe(true);
    const dial = await a.api('POST', '/api/links', { to: `sip:acip@127.0.0.1:${b.sipPort}`, profile: 'opus-music-128k' });
    await waitForLinkState(a, dial.body.id, 'connected', 8000);
    const bLink = await waitFor(async () => ((await b.api('GET', '/api/links')).body.links as { id: string; state: string }[]).find((l) => l.state === 'connected'), 5000);
    // Stats from the worker reach the API.
    const live = await waitFor(async () => {
      const l = (await b.api('GET', `/api/links/${bLink!.id}`)).body;
      return l.rx && l.rx.packets > 100 ? l : undefined;
    }, 8000);
    expect(live.meters.input.peak[0]).toBeCloseTo(-12, 0);
    await sleep(2000);
    await a.api('DELETE', `/api/links/${dial.body.id}`);
    await waitForLinkState(b, bLink!.id, 'ended', 5000);

    const recB = readWavFile(join(b.recDir, readdirSync(b.recDir).find((f) => f.includes(bLink!.id))!));
    const mB = measureTone(recB, 1000, 0.8, 1.5);
    expect(Math.abs(mB.frequencyHz[0]! - 1000)).toBeLessThan(5);
    expect(Math.abs(mB.peakEquivDbfs[0]! + 18)).toBeLessThan(1);
    const recA = readWavFile(join(a.recDir, readdirSync(a.recDir).find((f) => f.includes(dial.body.id))!));
    const mA = measureTone(recA, 440, 0.8, 1.5);
    expect(Math.abs(mA.frequencyHz[0]! - 440)).toBeLessThan(5);
    expect(Math.abs(mA.peakEquivDbfs[0]! + 12)).toBeLessThan(1);

    const r = await b.stop('SIGTERM');
    expect(r).toEqual({ code: 0, signal: null });
  });
});
