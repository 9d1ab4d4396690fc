/**
 * Inbound answer policies, between two real acip instances: `manual` holds the call in `offered` until
 * `POST /api/links/:id/answer` (or `/reject`), and `allow-list` refuses unknown callers with 403 while
 * a listed caller is answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLtAcip, waitFor, waitForLinkState, type LtAcip } from './harness.js';

describe('inbound answer policy', () => {
  let caller: LtAcip;
  let manual: LtAcip;
  let listed: LtAcip;
  beforeAll(async () => {
    caller = await startLtAcip();
    [manual, listed] = await Promise.all([
      startLtAcip({ args: ['--answer-policy', 'manual'] }),
      startLtAcip({ config: `links:\n  answerPolicy: allow-list\n  allowList: ['nobody@127.0.0.9']\n` }),
    ]);
  }, 40_000);
  afterAll(async () => {
    await Promise.all([caller?.close(), manual?.close(), listed?.close()]);
  });

  const inbound = async (acip: LtAcip) =>
    waitFor(async () => ((await acip.api('GET', '/api/links')).body.links as { id: string; state: string; direction: string }[]).find((l) => l.direction === 'inbound' && l.state !== 'ended'), 8000);

  it('manual: rings until answered from the API, then connects; a rejected call ends with 603', async () => {
    const out = await caller.api('POST', '/api/links', { to: `sip:acip@127.0.0.1:${manual.sipPort}`, profile: 'g711-telephone' });
    const link = await inbound(manual);
    expect(link!.state).toBe('offered');
    expect((await caller.api('GET', `/api/links/${out.body.id}`)).body.state).toBe('ringing');
    expect((await manual.api('POST', `/api/links/${link!.id}/answer`)).status).toBe(200);
    await waitForLinkState(manual, link!.id, 'connected', 5000);
    await waitForLinkState(caller, out.body.id, 'connected', 5000);
    await caller.api('DELETE', `/api/links/${out.body.id}`);
    await waitForLinkState(manual, link!.id, 'ended', 5000);

    const again = await caller.api('POST', '/api/links', { to: `sip:acip@127.0.0.1:${manual.sipPort}`, profile: 'g711-telephone' });
    const offered = await inbound(manual);
    expect((await manual.api('POST', `/api/links/${offered!.id}/reject`)).status).toBe(200);
    const ended = await waitForLinkState(caller, again.body.id, 'ended', 5000);
    expect(ended.endReason).toMatchObject({ sipStatus: 603 });
    // Answering a link that is not waiting is a conflict, named.
    const late = await manual.api('POST', `/api/links/${offered!.id}/answer`);
    expect(late.status).toBe(409);
  });

  it('allow-list: an unknown caller gets 403; a caller in the phonebook is answered', async () => {
    const refused = await caller.api('POST', '/api/links', { to: `sip:acip@127.0.0.1:${listed.sipPort}`, profile: 'g711-telephone' });
    const r = await waitForLinkState(caller, refused.body.id, 'ended', 8000);
    expect(r.endReason).toMatchObject({ sipStatus: 403 });
    // The caller's From is sip:acip@127.0.0.1 (our UA's local user at its address).
    await listed.api('POST', '/api/phonebook', { name: 'Caller studio', uri: 'sip:acip@127.0.0.1', probe: false });
    const ok = await caller.api('POST', '/api/links', { to: `sip:acip@127.0.0.1:${listed.sipPort}`, profile: 'g711-telephone' });
    await waitForLinkState(caller, ok.body.id, 'connected', 8000);
    const link = await inbound(listed);
    expect(link).toMatchObject({ remoteName: 'Caller studio' });
    await caller.api('DELETE', `/api/links/${ok.body.id}`);
  });
});
