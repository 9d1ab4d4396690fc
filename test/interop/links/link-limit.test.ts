/**
 * The link limit (sip.maxLinks): beyond it an inbound call gets 486 Busy Here and an outbound dial is
 * refused by the API (503, LINK_LIMIT); after a hang-up there is room again. Two real acip instances.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLtAcip, waitForLinkState, type LtAcip } from './harness.js';

describe('the link limit', () => {
  let a: LtAcip;
  let b: LtAcip;
  beforeAll(async () => {
    [a, b] = await Promise.all([startLtAcip({ config: 'sip:\n  maxLinks: 2\n' }), startLtAcip({ config: 'sip:\n  maxLinks: 1\n' })]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('answers 486 beyond the limit, refuses to dial beyond it, and frees the slot on hang-up', async () => {
    const to = `sip:acip@127.0.0.1:${b.sipPort}`;
    const first = await a.api('POST', '/api/links', { to, profile: 'g711-telephone' });
    await waitForLinkState(a, first.body.id, 'connected', 8000);

    const second = await a.api('POST', '/api/links', { to, profile: 'g711-telephone' });
    expect(second.status).toBe(201);
    const failed = await waitForLinkState(a, second.body.id, 'ended', 8000);
    expect(failed.endReason).toMatchObject({ by: 'remote', sipStatus: 486 });

    // B is full: it refuses to dial out too, naming the limit.
    const fromB = await b.api('POST', '/api/links', { to: `sip:acip@127.0.0.1:${a.sipPort}` });
    expect(fromB.status).toBe(503);
    expect(fromB.body).toMatchObject({ code: 'LINK_LIMIT' });

    await a.api('DELETE', `/api/links/${first.body.id}`);
    await waitForLinkState(a, first.body.id, 'ended', 5000);
    const bLinks = (await b.api('GET', '/api/links')).body.links as { id: string }[];
    await waitForLinkState(b, bLinks[0]!.id, 'ended', 5000);
    const third = await a.api('POST', '/api/links', { to, profile: 'g711-telephone' });
    await waitForLinkState(a, third.body.id, 'connected', 8000);
    await a.api('DELETE', `/api/links/${third.body.id}`);
  });
});
