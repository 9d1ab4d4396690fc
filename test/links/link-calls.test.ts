/**
 * The link manager's cheap `state` event, `callOf` (a link's SIP call and dialog identifiers), and
 * an INVITE with Replaces taking a link's call over (RFC 3891 §3), on fakes and the fake clock.
 */
import { describe, expect, it } from 'vitest';
import type { LinkStateChange } from '../../server/links/link-manager.js';
import { FakeIncomingCall, flush, peerAnswer, peerOffer } from './fakes.js';
import { dialAndAnswer, invite, setup } from './manager-env.js';

const DIALOG = { callId: 'c1@192.0.2.9', localTag: 'ours', remoteTag: 'theirs' };

function recordStates(env: ReturnType<typeof setup>): LinkStateChange[] {
  const out: LinkStateChange[] = [];
  env.manager.events.on('state', (c) => out.push(c));
  return out;
}

describe('the state event', () => {
  it('is sent for every state change of an outbound link, from its creation on, with the state before', async () => {
    const env = setup();
    const states = recordStates(env);
    const snap = env.manager.dial({ to: 'sip:far@192.0.2.9' });
    await flush();
    env.ua.lastInvite.progress(180, 'Ringing');
    env.ua.lastInvite.answer(peerAnswer(env.ua.lastInvite.offer, 'ebu-3326-interop'));
    await flush();
    env.manager.hangup(snap.id);
    await flush();
    expect(states.map((s) => [s.state, s.previous])).toEqual([
      ['idle', null],
      ['dialling', 'idle'],
      ['ringing', 'dialling'],
      ['connected', 'ringing'],
      ['ending', 'connected'],
      ['ended', 'ending'],
    ]);
    expect(new Set(states.map((s) => s.id))).toEqual(new Set([snap.id]));
  });

  it('is sent without anyone listening to snapshots, and builds none', async () => {
    const env = setup();
    const states = recordStates(env);
    env.manager.events.removeAllListeners();
    env.manager.events.on('state', (c) => states.push(c));
    let snapshots = 0;
    const get = env.manager.get.bind(env.manager);
    env.manager.get = (id) => {
      snapshots++;
      return get(id);
    };
    await invite(env);
    expect(states.map((s) => s.state)).toEqual(['idle', 'connected']);
    expect(snapshots).toBe(0);
  });

  it('is not sent again when a link reports the state it is already in', async () => {
    const env = setup({ config: { links: { answerPolicy: 'manual' } } });
    const states = recordStates(env);
    await invite(env);
    expect(states.map((s) => [s.state, s.previous])).toEqual([
      ['idle', null],
      ['offered', 'idle'],
    ]);
  });
});

describe('callOf', () => {
  it("gives a connected link's call and its dialog identifiers", async () => {
    const env = setup();
    const snap = env.manager.dial({ to: 'sip:far@192.0.2.9' });
    await flush();
    const call = env.ua.lastInvite.withDialog({ ...DIALOG, locallyInitiated: true });
    call.answer(peerAnswer(call.offer, 'ebu-3326-interop'));
    await flush();
    expect(env.manager.callOf(snap.id)).toMatchObject({ ...DIALOG, phase: 'confirmed', locallyInitiated: true, call });
    expect(env.manager.linkOfCall(call)).toBe(snap.id);
  });

  it('tells two links to the same peer apart by their calls', async () => {
    const env = setup();
    const a = await invite(env, 'sip:studio@192.0.2.7');
    const b = await invite(env, 'sip:studio@192.0.2.7');
    const [la, lb] = env.manager.list().map((l) => l.id);
    expect(env.manager.linkOfCall(a)).toBe(la);
    expect(env.manager.linkOfCall(b)).toBe(lb);
  });

  const none: [string, (env: ReturnType<typeof setup>) => Promise<string>][] = [
    ['an unknown link', async () => 'nosuch'],
    ['a call without a dialog yet', async (env) => {
      const snap = env.manager.dial({ to: 'sip:far@192.0.2.9' });
      await flush();
      return snap.id;
    }],
    ['an ended call', async (env) => {
      const call = (await invite(env)).withDialog(DIALOG);
      call.remoteBye();
      await flush();
      return env.manager.list()[0]!.id;
    }],
  ];
  it.each(none)('is undefined for %s', async (_name, make) => {
    const env = setup();
    expect(env.manager.callOf(await make(env))).toBeUndefined();
  });
});

describe('an INVITE with Replaces (RFC 3891 §3)', () => {
  async function replacing(env: ReturnType<typeof setup>, replaces: { callId: string; toTag: string; fromTag: string }) {
    const call = new FakeIncomingCall(peerOffer('ebu-3326-interop'), { uri: 'sip:carol@192.0.2.30', displayName: 'Carol' }, '192.0.2.30');
    call.replaces = replaces;
    env.ua.incoming(call);
    await flush();
    return call;
  }

  it("is answered, whatever the answer policy, with the replaced link's profile, input and output, and the replaced link ends with BYE saying why", async () => {
    const env = setup({ config: { links: { answerPolicy: 'manual' } } });
    const old = await dialAndAnswer(env);
    const oldCall = env.ua.lastInvite.withDialog({ ...DIALOG, locallyInitiated: true });
    const before = env.manager.get(old.id)!;
    const call = await replacing(env, { callId: DIALOG.callId, toTag: DIALOG.localTag, fromTag: DIALOG.remoteTag });
    expect(call.final?.status).toBe(200);
    const next = env.manager.list().find((l) => l.id !== old.id)!;
    expect(next).toMatchObject({ state: 'connected', remote: 'sip:carol@192.0.2.30', profile: before.profile, input: before.input, output: before.output });
    expect(oldCall.byeReasons).toEqual(['replaced by Carol']);
    expect(env.manager.get(old.id)).toMatchObject({ state: 'ended', endReason: { reason: 'replaced by Carol' } });
  });

  it('ends a permanent replaced link for good, without redialling', async () => {
    const env = setup();
    const old = await dialAndAnswer(env, { to: 'sip:far@192.0.2.9', permanent: true });
    env.ua.lastInvite.withDialog(DIALOG);
    await replacing(env, { callId: DIALOG.callId, toTag: DIALOG.localTag, fromTag: DIALOG.remoteTag });
    env.clock.advance(30_000); // past every redial delay, before the ended link leaves the board
    await flush();
    expect(env.manager.get(old.id)?.state).toBe('ended');
    expect(env.ua.invites).toHaveLength(1);
  });

  const misses: [string, { callId: string; toTag: string; fromTag: string }][] = [
    ['another Call-ID', { callId: 'other@192.0.2.9', toTag: DIALOG.localTag, fromTag: DIALOG.remoteTag }],
    ['the tags swapped', { callId: DIALOG.callId, toTag: DIALOG.remoteTag, fromTag: DIALOG.localTag }],
  ];
  it.each(misses)('naming no link’s call (%s) is refused with 481 and changes nothing', async (_name, replaces) => {
    const env = setup();
    const old = await dialAndAnswer(env);
    const oldCall = env.ua.lastInvite.withDialog(DIALOG);
    const call = await replacing(env, replaces);
    expect(call.final).toMatchObject({ status: 481 });
    expect(oldCall.byes).toBe(0);
    expect(env.manager.list().map((l) => [l.id, l.state])).toEqual([[old.id, 'connected']]);
  });

  it('keeps the replaced link when the new call cannot be answered', async () => {
    const env = setup();
    const old = await dialAndAnswer(env);
    const oldCall = env.ua.lastInvite.withDialog(DIALOG);
    const call = new FakeIncomingCall('v=0\r\nnot sdp', { uri: 'sip:carol@192.0.2.30' }, '192.0.2.30');
    call.replaces = { callId: DIALOG.callId, toTag: DIALOG.localTag, fromTag: DIALOG.remoteTag };
    env.ua.incoming(call);
    await flush();
    expect(call.final?.status).not.toBe(200);
    expect(oldCall.byes).toBe(0);
    expect(env.manager.get(old.id)?.state).toBe('connected');
  });
});
