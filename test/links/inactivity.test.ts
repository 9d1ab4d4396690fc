/**
 * Inactivity: a connected link whose far end sends neither RTP nor RTCP for `inactivityTimeoutMs`
 * hangs up with BYE (a permanent one redials), whatever its direction. RTCP is activity: RFC 3264
 * §5.1 keeps RTCP flowing on held (sendonly/inactive) and receive-only streams. The fake media
 * session reports the last packet times the real one does; the fake clock runs the watch.
 */
import { describe, expect, it } from 'vitest';
import { flush, peerOffer } from './fakes.js';
import { connectInbound, connectOutbound, inbound, setup, type Env } from './link-env.js';
import { setup as managerSetup, invite } from './manager-env.js';

const TIMEOUT_MS = 30_000;

/** The far end sends one RTP packet (or RTCP packet) now. */
function rtp(env: Env): void {
  env.media.last.lastRxMs = env.clock.now();
}
function rtcp(env: Env): void {
  env.media.last.lastRtcpRxMs = env.clock.now();
}

/** Advance in steps of `stepMs` for `totalMs`, calling `each` after every step. */
async function run(env: Env, totalMs: number, stepMs: number, each: () => void = () => undefined): Promise<void> {
  for (let t = 0; t < totalMs; t += stepMs) {
    env.clock.advance(stepMs);
    each();
    await flush();
  }
}

/** The far end's offer with its direction attribute replaced (a re-INVITE putting the call on hold). */
function offerWithDirection(direction: 'sendonly' | 'recvonly' | 'inactive'): string {
  return peerOffer('ebu-3326-interop').replace('a=sendrecv', `a=${direction}`);
}

describe('a connected link whose far end goes silent', () => {
  it('hangs up with BYE exactly the timeout after the last RTP packet and records a network end', async () => {
    const env = setup();
    await connectOutbound(env);
    await run(env, 5000, 20, () => rtp(env));
    const lastPacketAt = env.clock.now();
    env.clock.advance(TIMEOUT_MS - 1);
    await flush();
    expect(env.link.state).toBe('connected');
    expect(env.ua.lastInvite.byes).toBe(0);

    env.clock.advance(1);
    await flush();
    expect(env.clock.now() - lastPacketAt).toBe(TIMEOUT_MS);
    expect(env.ua.lastInvite.byes).toBe(1);
    expect(env.states).toEqual(['dialling', 'ringing', 'connected', 'ending', 'ended']);
    expect(env.records).toHaveLength(1);
    expect(env.records[0]!.endReason).toEqual({ by: 'network', reason: 'no media for 30 s' });
    expect(env.link.snapshot().endReason).toEqual({ by: 'network', reason: 'no media for 30 s' });
    expect(env.mediaEvents).toEqual(['inactive']);
    expect(env.mediaDetails[0]).toMatchObject({ silentForMs: TIMEOUT_MS, timeoutS: 30, redials: false });
    expect(env.media.openSessions).toEqual([]);
  });

  it('hangs up an answered call that never sent a packet, the timeout after it connected', async () => {
    const env = setup(inbound);
    const call = await connectInbound(env);
    env.clock.advance(TIMEOUT_MS - 1);
    await flush();
    expect(env.link.state).toBe('connected');
    env.clock.advance(1);
    await flush();
    expect(call.byes).toBe(1);
    expect(env.link.state).toBe('ended');
    expect(env.records[0]!.endReason).toEqual({ by: 'network', reason: 'no media for 30 s' });
  });

  it('stays up while only RTCP arrives, and hangs up the timeout after the last RTCP packet', async () => {
    const env = setup();
    await connectOutbound(env);
    await run(env, 120_000, 5000, () => rtcp(env));
    expect(env.link.state).toBe('connected');
    expect(env.ua.lastInvite.byes).toBe(0);
    const lastReportAt = env.clock.now();
    await run(env, TIMEOUT_MS - 1000, 1000);
    expect(env.link.state).toBe('connected');
    await run(env, 1000, 1000);
    expect(env.clock.now() - lastReportAt).toBe(TIMEOUT_MS);
    expect(env.link.state).toBe('ended');
  });

  it.each(['recvonly', 'inactive'] as const)('stays up on hold (far end %s: no RTP for us) while RTCP arrives', async (direction) => {
    const env = setup();
    await connectOutbound(env);
    const reply = env.ua.lastInvite.remoteReinvite(offerWithDirection(direction));
    await flush();
    expect(reply.accepted).toBeDefined();
    expect(env.media.last.params.receive).toBe(false);
    expect(env.link.snapshot().mediaDirection).toBe(direction === 'recvonly' ? 'sendonly' : 'inactive');
    await run(env, 10 * 60_000, 5000, () => rtcp(env));
    expect(env.link.state).toBe('connected');
    expect(env.ua.lastInvite.byes).toBe(0);
  });

  it('restarts the window when the far end renegotiates', async () => {
    const env = setup();
    await connectOutbound(env);
    env.clock.advance(20_000);
    env.ua.lastInvite.remoteReinvite(offerWithDirection('recvonly'));
    await flush();
    env.clock.advance(TIMEOUT_MS - 1);
    await flush();
    expect(env.link.state).toBe('connected');
    env.clock.advance(1);
    await flush();
    expect(env.link.state).toBe('ended');
  });

  it('never hangs up when the timeout is 0', async () => {
    const env = setup({}, { inactivityTimeoutMs: 0 });
    await connectOutbound(env);
    const timersWhenConnected = env.clock.pending();
    await run(env, 10 * 60_000, 10_000);
    expect(env.link.state).toBe('connected');
    expect(env.ua.lastInvite.byes).toBe(0);
    expect(env.clock.pending()).toBe(timersWhenConnected);
  });

  it('hangs up and redials a permanent link, recording the inactivity as the reason', async () => {
    const env = setup({ permanent: true });
    await connectOutbound(env);
    const first = env.ua.lastInvite;
    env.clock.advance(TIMEOUT_MS);
    await flush();
    expect(first.byes).toBe(1);
    expect(env.link.state).toBe('redialling');
    expect(env.records[0]!.endReason).toEqual({ by: 'network', reason: 'no media for 30 s' });
    expect(env.mediaDetails[0]).toMatchObject({ redials: true });
    env.clock.advance(1000);
    await flush();
    expect(env.ua.invites).toHaveLength(2);
  });

  it('leaves no inactivity timer behind once the link has ended', async () => {
    const env = setup();
    await connectOutbound(env);
    await env.link.hangup();
    await flush();
    expect(env.clock.pending()).toBe(0);
    env.clock.advance(TIMEOUT_MS);
    await flush();
    expect(env.records).toHaveLength(1);
    expect(env.records[0]!.endReason.reason).toBe('hung up');
  });
});

describe('the manager and inactivity (rtp.inactivityTimeoutS)', () => {
  it('raises an alarm, publishes the end and writes the network reason to history', async () => {
    const env = managerSetup({ config: { rtp: { inactivityTimeoutS: 3 } } });
    const call = await invite(env);
    const snap = env.manager.list()[0]!;
    expect(snap.state).toBe('connected');
    env.clock.advance(3000);
    await flush();
    expect(call.byes).toBe(1);
    expect(env.manager.get(snap.id)).toMatchObject({ state: 'ended', endReason: { by: 'network', reason: 'no media for 3 s' } });
    expect(env.records).toHaveLength(1);
    expect(env.records[0]).toMatchObject({ linkId: snap.id, answered: true, endReason: { by: 'network', reason: 'no media for 3 s' } });
    expect(env.manager.alarms()).toMatchObject([{ kind: 'link-down', linkId: snap.id, acknowledged: false }]);
    expect(env.manager.alarms()[0]!.message).toContain('nothing from it for 3 s');
    expect(env.manager.alarms()[0]!.clearedAt).toBeUndefined();
    expect(env.log.lines.some((l) => l.level === 'warn' && l.msg.includes('hanging up'))).toBe(true);
  });

  it('uses 30 s when the configuration does not say', async () => {
    const env = managerSetup();
    await invite(env);
    env.clock.advance(29_999);
    await flush();
    expect(env.manager.list()[0]!.state).toBe('connected');
    env.clock.advance(1);
    await flush();
    expect(env.manager.list()[0]!.state).toBe('ended');
  });

  it('keeps links up when rtp.inactivityTimeoutS is 0', async () => {
    const env = managerSetup({ config: { rtp: { inactivityTimeoutS: 0 } } });
    await invite(env);
    env.clock.advance(5 * 60_000);
    await flush();
    expect(env.manager.list()[0]!.state).toBe('connected');
  });
});
