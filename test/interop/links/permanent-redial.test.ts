/**
 * Acceptance: a permanent link to baresip is redialled after baresip is killed (SIGKILL) and
 * restarted on the same port, and is connected again within 10 s of baresip being up.
 * Config: no-media timeout 1 s, redial backoff 0.2 s doubling to 1 s (links.redialInitialS/MaxS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { BARESIP_CODECS, startBaresip, type BaresipPeer } from '../../helpers/baresip.js';
import { sleep, startLtAcip, waitForLinkState, type LtAcip } from './harness.js';

const has = requireProgram('baresip') && requireProgram('sox');

describe.skipIf(!has)('a permanent link to baresip', () => {
  let acip: LtAcip;
  let b: BaresipPeer;
  beforeAll(async () => {
    acip = await startLtAcip({ config: 'rtp:\n  noMediaTimeoutS: 1\nlinks:\n  redialInitialS: 0.2\n  redialMaxS: 1\n  ringTimeoutS: 5\n' });
    b = await startBaresip({ codecs: [BARESIP_CODECS.PCMA] });
  }, 30_000);
  afterAll(async () => {
    await b?.stop();
    await acip?.close();
  });

  it('is redialled after baresip is killed and restarted, and is connected within 10 s of baresip being up', async () => {
    const r = await acip.api('POST', '/api/links', { to: b.uri, profile: 'g711-telephone', permanent: true });
    expect(r.status).toBe(201);
    const id = r.body.id as string;
    expect((await waitForLinkState(acip, id, 'connected', 8000)).state).toBe('connected');
    await sleep(1000);

    await b.kill();
    // No media for the timeout → hang up and redial (the link leaves 'connected').
    const down = await waitForLinkState(acip, id, ['redialling', 'dialling', 'ringing', 'failed'], 6000);
    expect(['redialling', 'dialling', 'ringing', 'failed']).toContain(down.state);
    await sleep(2000); // a couple of failed attempts while baresip is down

    await b.restart();
    const upAt = Date.now();
    const back = await waitForLinkState(acip, id, 'connected', 10_000);
    const tookMs = Date.now() - upAt;
    console.log(`permanent link back after ${tookMs} ms (redials ${back.redials}); state after the kill: ${down.state}`);
    expect(back.state).toBe('connected');
    expect(back.redials).toBeGreaterThanOrEqual(1);
    // The lost call is in the history with the no-media timeout as its end reason.
    const calls = (await acip.api('GET', '/api/history')).body.calls as any[];
    const lost = calls.find((c) => c.linkId === id && c.answered);
    expect(lost?.endReason).toMatchObject({ by: 'network', reason: 'no media for 1 s' });
    // Media flows again on the new call.
    await sleep(1500);
    const s = (await acip.api('GET', `/api/links/${id}`)).body;
    expect(s.rx.packets).toBeGreaterThan(20);

    // A user hang-up stops redialling for good.
    await acip.api('DELETE', `/api/links/${id}`);
    expect((await waitForLinkState(acip, id, 'ended', 5000)).state).toBe('ended');
    await sleep(1500);
    expect((await acip.api('GET', `/api/links/${id}`)).body.state).toBe('ended');
  }, 50_000);
});
