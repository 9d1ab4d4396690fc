/**
 * A link with a second path (RFC 7198) signalled in SDP (RFC 7104 §3): the offer or answer carries
 * the second socket pair's port as a grouped m-line, and the media session is given the peer's
 * second address when both sides grouped the lines; else a phonebook entry's second remote; else a
 * single path. Fake user agent, fake media engine, fake clock.
 */
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../server/config/profile-schema.js';
import { duplicatePathFor, type DuplicatePath } from '../../server/links/link-media.js';
import type { LinkDeps } from '../../server/links/link.js';
import type { MediaSessionParams, MediaSessionStats } from '../../server/media/session-types.js';
import type { MediaSessionOpener } from '../../server/media/worker/media-session-like.js';
import { answerOffer, buildOffer } from '../../server/sdp/offer-answer.js';
import { FakeIncomingCall, FakeMediaSession, flush, PEER_ADDRESS, peerAnswer, profile } from './fakes.js';
import { OUR_ADDRESS, setup } from './link-env.js';

const SECOND_HOST = '198.51.100.9';
const PEER_SECOND = { address: '203.0.113.7', rtpPort: 4100 };

/** A fake session that also reports its second path's port, as a real one does in its recovery stats. */
class DualFakeSession extends FakeMediaSession {
  constructor(
    params: MediaSessionParams,
    port: number,
    private readonly secondPort: number,
  ) {
    super(params, port);
  }

  override stats(): MediaSessionStats {
    const s = super.stats();
    const dup = this.params.recovery?.duplicate;
    if (!dup) return s;
    const path = (localRtpPort: number) => ({ received: 0, lost: 0, jitterMs: 0, firstCopies: 0, relativeDelayMs: null, localRtpPort, remote: null });
    return { ...s, recovery: { duplicate: true, paths: [path(this.localRtpPort), path(dup.ports?.rtp ?? this.secondPort)] } } as unknown as MediaSessionStats;
  }
}

function dualOpener(): { open: MediaSessionOpener; sessions: DualFakeSession[] } {
  const sessions: DualFakeSession[] = [];
  let port = 6000;
  return {
    sessions,
    open: async (params) => {
      const s = new DualFakeSession(structuredClone(params), port, port + 1000);
      port += 2;
      sessions.push(s);
      return s;
    },
  };
}

function dupProfile(name = 'ebu-3326-interop'): Profile {
  return { ...profile(name), redundancy: { duplicate: true } };
}

function dualSetup(path: DuplicatePath | null = { localHost: SECOND_HOST }, direction: 'outbound' | 'inbound' = 'outbound') {
  const opener = dualOpener();
  const overrides: Partial<LinkDeps> = { openMedia: opener.open, ...(path ? { duplicatePath: path } : {}) };
  const env = setup({ profile: dupProfile(), direction }, overrides);
  return { ...env, opener, session: () => opener.sessions[opener.sessions.length - 1]! };
}

/** A peer that duplicates too, listening for the second path on PEER_SECOND. */
function groupingAnswer(offer: string): string {
  const r = answerOffer(offer, { profile: dupProfile(), localAddress: PEER_ADDRESS, rtpPort: 4000, secondPath: PEER_SECOND });
  if (!r.ok) throw new Error(r.reason);
  return r.sdp;
}

function mPorts(sdp: string | undefined): number[] {
  return (sdp ?? '').split('\r\n').filter((l) => l.startsWith('m=')).map((l) => Number(l.split(' ')[1]));
}

describe('a link with a second path, dialling', () => {
  it('offers the second socket pair as a grouped m-line and sends the copy to the second address the answer gives', async () => {
    const env = dualSetup();
    env.link.dial();
    await flush();
    const call = env.ua.lastInvite;
    expect(mPorts(call.offer)).toEqual([6000, 7000]);
    expect(call.offer).toMatch(/^a=group:DUP 1 2$/m);
    expect(call.offer).toContain(`c=IN IP4 ${SECOND_HOST}`);
    // Before the answer the second path only listens.
    expect(env.session().params.recovery?.duplicate).toEqual({ localHost: SECOND_HOST, remote: null });
    call.answer(groupingAnswer(call.offer));
    await flush();
    expect(env.link.state).toBe('connected');
    expect(env.session().params.recovery?.duplicate).toEqual({ localHost: SECOND_HOST, ports: { rtp: 7000, rtcp: 7001 }, remote: { ...PEER_SECOND, rtpPort: 4100, rtcpPort: 4101 } });
    expect(env.session().params.remote).toMatchObject({ address: PEER_ADDRESS, rtpPort: 4000 });
  });

  it('runs a single path when the answer ignores the grouping, and sends no copy', async () => {
    const env = dualSetup();
    env.link.dial();
    await flush();
    const call = env.ua.lastInvite;
    call.answer(peerAnswer(call.offer, 'ebu-3326-interop'));
    await flush();
    expect(env.link.state).toBe('connected');
    expect(env.session().params.recovery?.duplicate).toBeUndefined();
  });

  it('sends the copy to a phonebook entry’s second remote when the answer names none', async () => {
    const entryRemote = { address: '203.0.113.50', rtpPort: 5100 };
    const env = dualSetup(duplicatePathFor({ localHost: SECOND_HOST }, entryRemote, '0.0.0.0') ?? null);
    env.link.dial();
    await flush();
    const call = env.ua.lastInvite;
    call.answer(peerAnswer(call.offer, 'ebu-3326-interop'));
    await flush();
    expect(env.session().params.recovery?.duplicate).toEqual({ localHost: SECOND_HOST, remote: entryRemote });
  });

  it('prefers the second address the answer signals over a phonebook entry’s', async () => {
    const env = dualSetup(duplicatePathFor(undefined, { address: '203.0.113.50', rtpPort: 5100 }, '192.0.2.99') ?? null);
    env.link.dial();
    await flush();
    const call = env.ua.lastInvite;
    call.answer(groupingAnswer(call.offer));
    await flush();
    expect(env.session().params.recovery?.duplicate).toMatchObject({ localHost: '192.0.2.99', remote: { address: PEER_SECOND.address, rtpPort: 4100 } });
  });

  it('keeps both lines on their ports in a mid-call codec change, and drops the copy when the new profile does not duplicate (RFC 3264 §8)', async () => {
    const env = dualSetup();
    env.link.dial();
    await flush();
    const call = env.ua.lastInvite;
    call.answer(groupingAnswer(call.offer));
    await flush();
    call.reinviteReply = (offer) => ({ status: 200, reason: 'OK', sdp: groupingAnswer(offer) });
    await env.link.changeProfile(dupProfile('g722-voice'));
    expect(mPorts(call.reinvitesSent[0])).toEqual([6000, 7000]);
    expect(call.reinvitesSent[0]).toMatch(/^a=group:DUP 1 2$/m);
    expect(env.session().params.recovery?.duplicate).toMatchObject({ ports: { rtp: 7000 }, remote: { rtpPort: 4100 } });
    call.reinviteReply = (offer) => ({ status: 200, reason: 'OK', sdp: peerAnswer(offer, 'g722-voice') });
    await env.link.changeProfile(profile('g722-voice'));
    // The second line stays, disabled with port 0 (§8.2); the copy stops.
    expect(mPorts(call.reinvitesSent[1])).toEqual([6000, 0]);
    expect(env.session().params.recovery?.duplicate).toBeUndefined();
  });

  it('offers one m-line without a second path, as before', async () => {
    const env = dualSetup(null);
    env.link.dial();
    await flush();
    expect(mPorts(env.ua.lastInvite.offer)).toEqual([6000]);
    expect(env.session().params.recovery).toBeUndefined();
  });
});

describe('a link with a second path, answering', () => {
  const groupedOffer = () => buildOffer({ profile: dupProfile(), localAddress: PEER_ADDRESS, rtpPort: 4000, secondPath: PEER_SECOND }).sdp;

  it('answers a grouped offer with both lines and sends the copy to the offer’s second line', async () => {
    const env = dualSetup(undefined, 'inbound');
    const call = new FakeIncomingCall(groupedOffer());
    await env.link.acceptIncoming(call, true);
    await flush();
    expect(env.link.state).toBe('connected');
    expect(mPorts(call.localSdp)).toEqual([6000, 7000]);
    expect(call.localSdp).toMatch(/^a=group:DUP 1 2$/m);
    expect(env.session().params.recovery?.duplicate).toMatchObject({ ports: { rtp: 7000 }, remote: { address: PEER_SECOND.address, rtpPort: 4100, rtcpPort: 4101 } });
  });

  it('keeps both lines on the same ports in the answer to a re-INVITE (RFC 3264 §8)', async () => {
    const env = dualSetup(undefined, 'inbound');
    const offer = groupedOffer();
    const call = new FakeIncomingCall(offer);
    await env.link.acceptIncoming(call, true);
    await flush();
    const first = call.localSdp;
    const reply = call.remoteReinvite(offer);
    await flush();
    expect(mPorts(reply.accepted)).toEqual(mPorts(first));
    expect(reply.accepted).toMatch(/^a=group:DUP 1 2$/m);
    expect(env.session().params.recovery?.duplicate).toMatchObject({ ports: { rtp: 7000 }, remote: { rtpPort: 4100 } });
  });

  it('keeps the second line’s port across a re-INVITE that drops the group and one that brings it back', async () => {
    const env = dualSetup(undefined, 'inbound');
    const call = new FakeIncomingCall(groupedOffer());
    await env.link.acceptIncoming(call, true);
    await flush();
    const single = call.remoteReinvite(buildOffer({ profile: dupProfile(), localAddress: PEER_ADDRESS, rtpPort: 4000 }).sdp);
    await flush();
    expect(mPorts(single.accepted)).toEqual([6000]);
    expect(env.session().params.recovery?.duplicate).toBeUndefined();
    const again = call.remoteReinvite(groupedOffer());
    await flush();
    expect(mPorts(again.accepted)).toEqual([6000, 7000]);
    expect(env.session().params.recovery?.duplicate).toMatchObject({ ports: { rtp: 7000 }, remote: { rtpPort: 4100 } });
  });

  it('logs a malformed group, answers the first line alone, and never refuses the call', async () => {
    const env = dualSetup(undefined, 'inbound');
    const call = new FakeIncomingCall(groupedOffer().replace('a=group:DUP 1 2', 'a=group:DUP 1'));
    await env.link.acceptIncoming(call, true);
    await flush();
    expect(env.link.state).toBe('connected');
    expect(mPorts(call.localSdp)).toEqual([6000, 0]);
    expect(env.session().params.recovery?.duplicate).toBeUndefined();
    expect(env.log.lines.some((l) => l.level === 'warn' && /a=group:DUP was ignored/.test(l.msg))).toBe(true);
  });
});

describe('duplicatePathFor', () => {
  it.each<[string, DuplicatePath | undefined, DuplicatePath['remote'], DuplicatePath | undefined]>([
    ['no second path, no entry remote', undefined, undefined, undefined],
    ['a configured path alone', { localHost: '10.0.0.2', remote: { address: '10.9.9.9', rtpPort: 1000 } }, undefined, { localHost: '10.0.0.2', remote: { address: '10.9.9.9', rtpPort: 1000 } }],
    ['an entry remote over the configured one', { localHost: '10.0.0.2', remote: { address: '10.9.9.9', rtpPort: 1000 } }, { address: '10.8.8.8', rtpPort: 2000 }, { localHost: '10.0.0.2', remote: { address: '10.8.8.8', rtpPort: 2000 } }],
    ['an entry remote without a configured path (sent from the media address)', undefined, { address: '10.8.8.8', rtpPort: 2000 }, { localHost: OUR_ADDRESS, remote: { address: '10.8.8.8', rtpPort: 2000 } }],
  ])('gives the link its second path from %s', (_what, configured, entry, expected) => {
    expect(duplicatePathFor(configured, entry, OUR_ADDRESS)).toEqual(expected);
  });
});
