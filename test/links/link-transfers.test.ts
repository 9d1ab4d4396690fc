/**
 * Transfer of links keyed by their calls (RFC 3515, RFC 3891): REFERs received are matched to the
 * link by the call they arrived in, attended transfers name the other link's dialog in Replaces and
 * follow the NOTIFYs, and bad requests name the field. Fakes and the fake clock.
 */
import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../server/util/typed-emitter.js';
import { LinkTransfers } from '../../server/links/link-transfers.js';
import type { IncomingRefer } from '../../server/sip/ua/call-transfer.js';
import { MemoryPhonebook, entry, invite, setup, dialAndAnswer } from './manager-env.js';
import { flush, peerAnswer } from './fakes.js';

function make() {
  const env = setup({ config: { sip: { maxLinks: 4 } } });
  const referrals = new TypedEmitter<{ refer: [object, IncomingRefer] }>();
  const transfers = new LinkTransfers({
    clock: env.clock,
    links: env.manager,
    ua: referrals,
    phonebook: new MemoryPhonebook([entry('desk', 'Desk', 'sip:desk@192.0.2.20')]),
    log: env.log,
    timeoutMs: 2_000,
  });
  /** A REFER arrives in `call`: what its NOTIFYs report. */
  const refer = (call: object, target: string, replaces?: string) => {
    const reports: number[] = [];
    referrals.emit('refer', call, { target, ...(replaces !== undefined ? { replaces } : {}), report: (s) => void reports.push(s) });
    return reports;
  };
  return { env, transfers, refer };
}

/** Two connected inbound links from the same studio, each with its own dialog. */
async function twoLinks(env: ReturnType<typeof setup>) {
  const a = (await invite(env, 'sip:studio@192.0.2.7')).withDialog({ callId: 'ca', localTag: 'la', remoteTag: 'ra', remoteTarget: 'sip:studio@192.0.2.7:5060' });
  const b = (await invite(env, 'sip:studio@192.0.2.7')).withDialog({ callId: 'cb', localTag: 'lb', remoteTag: 'rb', remoteTarget: 'sip:studio@192.0.2.7:5062' });
  const [la, lb] = env.manager.list().map((l) => l.id) as [string, string];
  return { a, b, la, lb };
}

describe('a REFER received in a link', () => {
  it('is followed for the link whose call it arrived in, not another link to the same peer', async () => {
    const { env, refer } = make();
    const { b, la, lb } = await twoLinks(env);
    const reports = refer(b, 'sip:studio3@192.0.2.3');
    await flush();
    const call = env.ua.lastInvite;
    call.answer(peerAnswer(call.offer, 'ebu-3326-interop'));
    await flush();
    expect(reports).toEqual([200]);
    expect(env.manager.get(lb)?.state).toBe('ended');
    expect(env.manager.get(la)?.state).toBe('connected');
  });

  it('is declined (603) when its call is no link’s', () => {
    const { refer } = make();
    expect(refer({}, 'sip:studio3@192.0.2.3')).toEqual([603]);
  });

  it('with Replaces in its Refer-To dials the target with that Replaces header (acip is the transferee)', async () => {
    const { env, refer } = make();
    const { a } = await twoLinks(env);
    refer(a, 'sip:bob@192.0.2.4', 'abc@192.0.2.1;to-tag=bobs;from-tag=alices');
    await flush();
    expect(env.ua.lastInvite.target).toBe('sip:bob@192.0.2.4');
    expect(env.ua.inviteOptions.at(-1)).toEqual({ headers: [['Replaces', 'abc@192.0.2.1;to-tag=bobs;from-tag=alices']] });
  });
});

describe('an attended transfer from the API (RFC 3891 §7.1)', () => {
  it("sends a REFER naming the other link's far end with a Replaces of its dialog, and ends both links on a 2xx NOTIFY", async () => {
    const { env, transfers } = make();
    const { a, la, lb } = await twoLinks(env);
    const res = await transfers.attendedTransfer(la, lb);
    const target = 'sip:studio@192.0.2.7:5062?Replaces=cb%3Bto-tag%3Drb%3Bfrom-tag%3Dlb';
    expect(res).toEqual({ accepted: true, status: 202, reason: 'Accepted', target });
    expect(a.refers).toEqual([target]);
    a.notify(100, 'Trying');
    await flush();
    expect(env.manager.list().map((l) => l.state)).toEqual(['connected', 'connected']);
    a.notify(200, 'OK');
    await flush();
    expect([env.manager.get(la)?.state, env.manager.get(lb)?.state]).toEqual(['ended', 'ended']);
  });

  it('keeps both links when the far end reports a failure, or nothing before the timeout', async () => {
    const { env, transfers } = make();
    const { a, la, lb } = await twoLinks(env);
    await transfers.attendedTransfer(la, lb);
    a.notify(486, 'Busy Here');
    await transfers.attendedTransfer(la, lb);
    env.clock.advance(2_000);
    a.notify(200, 'OK'); // after the timeout: no longer followed
    await flush();
    expect(env.manager.list().map((l) => l.state)).toEqual(['connected', 'connected']);
  });

  it('keeps both links when the far end refuses the REFER', async () => {
    const { env, transfers } = make();
    const { a, la, lb } = await twoLinks(env);
    a.referReply = { status: 603, reason: 'Decline' };
    expect(await transfers.attendedTransfer(la, lb)).toMatchObject({ accepted: false, status: 603 });
    a.notify(200, 'OK');
    await flush();
    expect(env.manager.list().map((l) => l.state)).toEqual(['connected', 'connected']);
  });

  const bad: [string, (ids: { la: string; lb: string; lc: string }) => [string, string], string, string][] = [
    ['the link itself', ({ la }) => [la, la], 'VALIDATION', 'replacesLink'],
    ['an unknown link to transfer', ({ lb }) => ['nosuch', lb], 'NOT_FOUND', 'id'],
    ['an unknown other link', ({ la }) => [la, 'nosuch'], 'NOT_FOUND', 'replacesLink'],
    ['another link without a dialog', ({ la, lc }) => [la, lc], 'CONFLICT', 'replacesLink'],
    ['a link to transfer without a dialog', ({ la, lc }) => [lc, la], 'CONFLICT', 'id'],
  ];
  it.each(bad)('refuses %s, naming the field', async (_name, pick, code, field) => {
    const { env, transfers } = make();
    const { la, lb } = await twoLinks(env);
    const lc = (await dialAndAnswer(env)).id;
    const [id, other] = pick({ la, lb, lc });
    await expect(transfers.attendedTransfer(id, other)).rejects.toMatchObject({ code, field });
  });
});

describe('a blind transfer from the API', () => {
  it("sends the REFER in the link's own call, to a phonebook entry's URI", async () => {
    const { env, transfers } = make();
    const { a, b, lb } = await twoLinks(env);
    expect(await transfers.transfer(lb, 'desk')).toMatchObject({ accepted: true, status: 202, target: 'sip:desk@192.0.2.20' });
    expect([a.refers, b.refers]).toEqual([[], ['sip:desk@192.0.2.20']]);
  });

  it('refuses an unknown phonebook entry naming to', async () => {
    const { env, transfers } = make();
    const { la } = await twoLinks(env);
    await expect(transfers.transfer(la, 'nobody')).rejects.toMatchObject({ code: 'NOT_FOUND', field: 'to' });
  });
});
