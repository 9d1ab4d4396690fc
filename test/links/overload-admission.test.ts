/**
 * The link manager under admission control: while the guard says overloaded, an INVITE gets 503 with
 * Retry-After (RFC 3261 §21.5.4), a dial a typed error, and the 'overload' system alarm is open; links
 * already carried are not touched.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../server/util/clock.js';
import { OverloadGuard, type LoadSample } from '../../server/links/overload-guard.js';
import { isAcipError } from '../../server/util/errors.js';
import { flush, header } from './fakes.js';
import { dialAndAnswer, invite, setup } from './manager-env.js';

const HOT: LoadSample = { eventLoopLagS: 0.005, workers: [{ index: 0, loadRatio: 0.97 }, { index: 1, loadRatio: 0.9 }] };
const CALM: LoadSample = { eventLoopLagS: 0.005, workers: [{ index: 0, loadRatio: 0.3 }, { index: 1, loadRatio: 0.3 }] };

function overloaded() {
  const guardClock = new FakeClock();
  const guard = new OverloadGuard(guardClock);
  const env = setup({ overload: guard, config: { sip: { maxLinks: 10 } } });
  return { env, guard, guardClock };
}

describe('admission control in the link manager', () => {
  it('answers an INVITE with 503 and Retry-After while overloaded, and creates no link', async () => {
    const { env, guard } = overloaded();
    guard.observe(HOT);
    const call = await invite(env);
    const res = call.responses[0];
    expect([res?.status, header(res, 'Retry-After'), header(res, 'Warning')]).toEqual([503, '5', '399 studio-b "overloaded: new links refused"']);
    expect(env.manager.list()).toEqual([]);
  });

  it('refuses a dial with a typed error that names the cause while overloaded', () => {
    const { env, guard } = overloaded();
    guard.observe(HOT);
    let err: unknown;
    try {
      env.manager.dial({ to: 'sip:far@192.0.2.9' });
    } catch (e) {
      err = e;
    }
    expect(isAcipError(err) && [err.code, err.message]).toEqual(['OVERLOADED', 'the service is overloaded (media workers 94 % busy (refuse at 85 %)); try again in 5 s']);
    expect(env.manager.list()).toEqual([]);
  });

  it('keeps carrying links it already has while it refuses new ones', async () => {
    const { env, guard } = overloaded();
    const carried = await dialAndAnswer(env);
    guard.observe(HOT);
    await invite(env);
    expect(env.manager.list().map((l) => [l.id, l.state])).toEqual([[carried.id, 'connected']]);
  });

  it('raises the overload alarm once when it starts refusing and clears it when it accepts again', async () => {
    const { env, guard, guardClock } = overloaded();
    guard.observe(HOT);
    guard.observe(HOT);
    expect(env.manager.alarms().map((a) => [a.kind, a.clearedAt === undefined])).toEqual([['overload', true]]);
    guard.observe(CALM);
    guardClock.advance(2000);
    guard.observe(CALM);
    expect(env.manager.alarms().map((a) => [a.kind, a.clearedAt === undefined])).toEqual([['overload', false]]);
    const call = await invite(env);
    expect(call.responses.map((r) => r.status)).toEqual([200]);
  });

  it('shows the load and the refusals through the port', async () => {
    const { env, guard } = overloaded();
    guard.observe(HOT);
    await invite(env);
    expect(env.manager.load()).toMatchObject({ state: 'overloaded', mediaLoadRatio: 0.935, refused: 1 });
  });

  it('reports no load without admission control', () => {
    expect(setup().manager.load()).toBeNull();
  });
});

describe('link counts for the status page', () => {
  it('counts links per state as list() does, without snapshots', async () => {
    const env = setup({ config: { sip: { maxLinks: 10 }, links: { answerPolicy: 'manual' } } });
    await dialAndAnswer(env);
    await invite(env);
    const fromList: Record<string, number> = {};
    for (const l of env.manager.list()) fromList[l.state] = (fromList[l.state] ?? 0) + 1;
    expect(env.manager.stateCounts()).toEqual({ total: 2, byState: fromList });
    expect(fromList).toEqual({ connected: 1, offered: 1 });
  });
});

describe('the link limit counts links that are still ending', () => {
  it('refuses an INVITE while a hung-up link waits for its BYE to complete, and accepts once it has ended', async () => {
    const env = setup({ config: { sip: { maxLinks: 1 } } });
    const snap = await dialAndAnswer(env);
    const call = env.ua.lastInvite;
    let byeDone!: () => void;
    call.bye = () => new Promise<void>((resolve) => (byeDone = resolve));
    env.manager.hangup(snap.id);
    await flush();
    expect(env.manager.get(snap.id)?.state).toBe('ending');
    expect((await invite(env)).responses.map((r) => r.status)).toEqual([486]);
    byeDone();
    await flush();
    expect(env.manager.get(snap.id)?.state).toBe('ended');
    expect((await invite(env, 'sip:next@192.0.2.7')).responses.map((r) => r.status)).toEqual([200]);
  });
});
