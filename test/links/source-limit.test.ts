/**
 * The per-source link limit (links.maxPerSource): one remote source, counted by the packet source
 * address of its INVITEs (never the From header, which the caller writes), holds at most that many
 * links; over it, 486 Busy Here with a Warning (RFC 3261 §20.43). Outbound links count against no
 * source, and the global sip.maxLinks still applies.
 */
import { describe, expect, it } from 'vitest';
import { FakeIncomingCall, flush, header, peerAnswer, peerOffer } from './fakes.js';
import { AGENT, setup, type Env } from './manager-env.js';

const A = '192.0.2.10';
const B = '198.51.100.20';

/** An INVITE from packet source `source` with From `from`; its final status. */
async function call(env: Env, source: string, from = `sip:codec@${source}`): Promise<FakeIncomingCall> {
  const c = new FakeIncomingCall(peerOffer('ebu-3326-interop'), { uri: from }, source);
  env.ua.incoming(c);
  await flush();
  return c;
}

async function dial(env: Env, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    env.manager.dial({ to: `sip:far${i}@${A}` });
    await flush();
    const out = env.ua.lastInvite;
    out.answer(peerAnswer(out.offer, 'ebu-3326-interop'));
    await flush();
  }
}

interface Row {
  name: string;
  maxLinks?: number;
  maxPerSource?: number;
  /** Outbound links dialled first (to a host at source A). */
  dialled?: number;
  /** INVITEs in order: [packet source, From URI or undefined]. */
  invites: [string, string?][];
  statuses: number[];
}

const rows: Row[] = [
  { name: '4 from one source are answered and the 5th gets 486', invites: [[A], [A], [A], [A], [A]], statuses: [200, 200, 200, 200, 486] },
  { name: 'another source is answered while the first is full', invites: [[A], [A], [A], [A], [A], [B]], statuses: [200, 200, 200, 200, 486, 200] },
  {
    name: 'a From naming another host does not get round the limit',
    invites: [[A, 'sip:a@x.example'], [A, 'sip:b@y.example'], [A, 'sip:c@z.example'], [A, 'sip:d@w.example'], [A, `sip:e@${B}`]],
    statuses: [200, 200, 200, 200, 486],
  },
  {
    name: 'the same From from another source is answered',
    invites: [[A, 'sip:studio@x.example'], [A, 'sip:studio@x.example'], [A, 'sip:studio@x.example'], [A, 'sip:studio@x.example'], [B, 'sip:studio@x.example']],
    statuses: [200, 200, 200, 200, 200],
  },
  { name: 'outbound links to that source do not count against it', dialled: 3, invites: [[A], [A], [A], [A], [A]], statuses: [200, 200, 200, 200, 486] },
  { name: 'an IPv4-mapped IPv6 source is the same source', invites: [[A], [A], [`::ffff:${A}`], [A], [`::FFFF:${A}`]], statuses: [200, 200, 200, 200, 486] },
  { name: 'a configured limit of 1 refuses the 2nd', maxPerSource: 1, invites: [[A], [A], [B]], statuses: [200, 486, 200] },
  { name: 'the global link limit still applies below the per-source one', maxLinks: 3, invites: [[A], [B], [A], [B]], statuses: [200, 200, 200, 486] },
];

describe('the per-source link limit (links.maxPerSource)', () => {
  it.each(rows)('$name', async (row) => {
    const env = setup({ config: { sip: { maxLinks: row.maxLinks ?? 16 }, links: row.maxPerSource !== undefined ? { maxPerSource: row.maxPerSource } : {} } });
    await dial(env, row.dialled ?? 0);
    const statuses: number[] = [];
    for (const [source, from] of row.invites) statuses.push((await call(env, source, from)).final!.status);
    expect(statuses).toEqual(row.statuses);
  });

  it('refuses with a Warning naming our agent and the source, and logs it, without creating a link', async () => {
    const env = setup({ config: { sip: { maxLinks: 16 } } });
    for (let i = 0; i < 4; i++) await call(env, A);
    const before = env.manager.list().length;
    const refused = await call(env, A);
    expect(refused.final).toMatchObject({ status: 486, reason: 'Busy Here' });
    expect(header(refused.final, 'Warning')).toBe(`399 ${AGENT} "too many links from ${A} (limit 4)"`);
    expect(env.manager.list()).toHaveLength(before);
    expect(env.records).toEqual([]); // a refusal before any link is not a call attempt
    const line = env.log.lines.find((l) => l.level === 'warn' && l.msg.includes('links.maxPerSource'));
    expect(line?.obj).toMatchObject({ source: A });
  });

  it('frees a place when one of the source’s links ends', async () => {
    const env = setup({ config: { sip: { maxLinks: 16 } } });
    const calls: FakeIncomingCall[] = [];
    for (let i = 0; i < 4; i++) calls.push(await call(env, A));
    expect((await call(env, A)).final!.status).toBe(486);
    calls[1]!.remoteBye();
    await flush();
    expect((await call(env, A)).final!.status).toBe(200);
    expect((await call(env, A)).final!.status).toBe(486);
  });
});
