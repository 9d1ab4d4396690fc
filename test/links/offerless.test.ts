/**
 * INVITE and re-INVITE without an offer (RFC 3261 §13.2.1, RFC 3264 §4, §8): the link offers in
 * its 2xx, from the profile as when it dials, and puts the answer from the ACK into effect as it
 * does an answer in a 200 OK. No answer, or one it cannot use, ends the call with BYE and a reason.
 */
import { describe, expect, it } from 'vitest';
import { AcipError } from '../../server/util/errors.js';
import { RETRY_AFTER_S } from '../../server/links/link-setup.js';
import { FakeIncomingCall, PEER_ADDRESS, flush, header, peerAnswer } from './fakes.js';
import { AGENT, OUR_ADDRESS, connectInbound, connectOutbound, inbound, setup, type Env } from './link-env.js';

/** An INVITE without an offer, auto-answered (or left ringing with `autoAnswer` false). */
async function offerless(env: Env, autoAnswer = true): Promise<FakeIncomingCall> {
  const call = new FakeIncomingCall(undefined);
  await env.link.acceptIncoming(call, autoAnswer);
  await flush();
  return call;
}

const originOf = (sdp: string | undefined) => /^o=.*$/m.exec(sdp ?? '')?.[0];

describe('an INVITE without an offer', () => {
  it('is answered with our offer from the profile, carrying its media port, and connects', async () => {
    const env = setup(inbound);
    const call = await offerless(env);
    expect(call.responses.map((r) => r.status)).toEqual([200]);
    const offer = call.localSdp ?? '';
    expect(offer).toContain(`m=audio ${env.media.last.localRtpPort} RTP/AVP`);
    expect(offer).toContain(`c=IN IP4 ${OUR_ADDRESS}`);
    for (const codec of ['opus/48000/2', 'L24/48000/2', 'L16/48000/2', 'G722/8000', 'PCMA/8000', 'PCMU/8000']) expect(offer).toContain(codec);
    expect(env.states).toEqual(['connected']);
    // Nothing is sent or received before the answer.
    expect(env.media.last.updates).toEqual([]);
    expect(env.link.snapshot()).toMatchObject({ state: 'connected', codec: null });
  });

  it.each([
    { peer: 'ebu-3326-interop', codecId: 'opus', rtpmap: 'opus/48000/2' },
    { peer: 'l16-stereo-48k', codecId: 'L16', rtpmap: 'L16/48000/2' },
    { peer: 'g722-voice', codecId: 'G722', rtpmap: 'G722/8000' },
    { peer: 'g711-telephone', codecId: 'PCMA', rtpmap: 'PCMA/8000' },
  ])('starts the media on the answer in the ACK from a $peer peer ($codecId), as after a 200 OK to our INVITE', async ({ peer, codecId, rtpmap }) => {
    const env = setup(inbound);
    const call = await offerless(env);
    call.ack(peerAnswer(call.localSdp!, peer, 4020));
    await flush();
    expect(env.media.last.params).toMatchObject({ codecId, send: true, receive: true, remote: { address: PEER_ADDRESS, rtpPort: 4020 } });
    expect(env.link.snapshot()).toMatchObject({ state: 'connected', codec: { name: codecId } });
    expect(env.link.snapshot().remoteSdp).toContain(rtpmap);
    expect(call.byes).toBe(0);
    expect(env.states).toEqual(['connected']);
  });

  it.each([
    { what: 'an ACK without an answer', answer: undefined, reason: 'the ACK carried no SDP answer' },
    { what: 'an answer it cannot read', answer: 'v=0\r\n', reason: 'unusable SDP answer in the ACK: ' },
    {
      what: 'an answer naming a codec it did not offer',
      answer: ['v=0', 'o=- 1 1 IN IP4 192.0.2.7', 's=-', 'c=IN IP4 192.0.2.7', 't=0 0', 'm=audio 4000 RTP/AVP 18', 'a=rtpmap:18 G729/8000', ''].join('\r\n'),
      reason: 'unusable SDP answer in the ACK: ',
    },
  ])('hangs up with BYE after $what, and records why', async ({ answer, reason }) => {
    const env = setup(inbound);
    const call = await offerless(env);
    call.ack(answer);
    await flush();
    expect(call.byes).toBe(1);
    expect(env.states).toEqual(['connected', 'ending', 'ended']);
    expect(env.records).toHaveLength(1);
    expect(env.records[0]!.endReason.by).toBe('error');
    expect(env.records[0]!.endReason.reason.startsWith(reason)).toBe(true);
    expect(env.link.snapshot().endReason).toEqual(env.records[0]!.endReason);
    expect(env.media.openSessions).toEqual([]);
  });

  it('hangs up with BYE when the media cannot start on the answer, naming the media error', async () => {
    const env = setup(inbound);
    const call = await offerless(env);
    env.media.last.failNextUpdate = new AcipError('ALSA_PLAYBACK_FAILED', 'alsa: device busy');
    call.ack(peerAnswer(call.localSdp!, 'ebu-3326-interop'));
    await flush();
    expect(call.byes).toBe(1);
    expect(env.records[0]!.endReason).toEqual({ by: 'error', reason: 'media: alsa: device busy' });
    expect(env.media.openSessions).toEqual([]);
  });

  it('ends with the reason of the user agent when no ACK comes (RFC 3261 §13.3.1.4)', async () => {
    const env = setup(inbound);
    const call = await offerless(env);
    call.noAck();
    await flush();
    expect(env.link.state).toBe('ended');
    expect(env.records[0]!.endReason).toEqual({ by: 'local', sipStatus: 408, reason: 'no ACK for our 2xx within 64·T1' });
    expect(env.media.openSessions).toEqual([]);
  });

  it('rings, and offers on the manual answer', async () => {
    const env = setup(inbound);
    const call = await offerless(env, false);
    expect(call.responses.map((r) => r.status)).toEqual([180]);
    expect(env.link.state).toBe('offered');
    await env.link.answerIncoming();
    call.ack(peerAnswer(call.localSdp!, 'ebu-3326-interop'));
    await flush();
    expect(call.responses.map((r) => r.status)).toEqual([180, 200]);
    expect(env.states).toEqual(['offered', 'connected']);
    expect(env.link.snapshot().codec?.name).toBe('opus');
  });

  it('answers 503 with Retry-After when it has no media port to offer', async () => {
    const env = setup(inbound);
    env.media.failNextOpen = new AcipError('RTP_NO_PORTS', 'no free RTP/RTCP port pair in 6000-6999 on 0.0.0.0');
    const call = await offerless(env);
    expect(call.responses.map((r) => r.status)).toEqual([503]);
    expect(header(call.final, 'Retry-After')).toBe(String(RETRY_AFTER_S));
    expect(header(call.final, 'Warning')).toBe(`399 ${AGENT} "media: no free RTP/RTCP port pair in 6000-6999 on 0.0.0.0"`);
    expect(env.records[0]!.endReason).toEqual({ by: 'error', sipStatus: 503, reason: 'media: no free RTP/RTCP port pair in 6000-6999 on 0.0.0.0' });
  });

  it('ignores an answer that arrives after a hang-up', async () => {
    const env = setup(inbound);
    const call = await offerless(env);
    await env.link.hangup();
    call.ack(peerAnswer(call.localSdp!, 'ebu-3326-interop'));
    await flush();
    expect(env.link.state).toBe('ended');
    expect(env.records).toHaveLength(1);
    expect(env.records[0]!.endReason).toEqual({ by: 'local', reason: 'hung up' });
    expect(env.media.sessions.flatMap((s) => s.updates)).toEqual([]);
  });
});

describe('a re-INVITE without an offer (RFC 3264 §8)', () => {
  it('gets the open session offered again: same ports and session id, the version raised because our last SDP was an answer', async () => {
    const env = setup(inbound);
    const call = await connectInbound(env);
    const answer = call.localSdp!;
    const updates = env.media.last.updates.length;
    const reply = call.remoteReinvite(undefined);
    await flush();
    const offer = reply.accepted ?? '';
    expect(offer).toContain(`m=audio ${env.media.last.localRtpPort} RTP/AVP`);
    for (const codec of ['opus/48000/2', 'L16/48000/2', 'PCMU/8000']) expect(offer).toContain(codec);
    const [before, after] = [originOf(answer)!.split(' '), originOf(offer)!.split(' ')];
    expect(after[1]).toBe(before[1]);
    expect(BigInt(after[2]!)).toBe(BigInt(before[2]!) + 1n);
    // Nothing changes until the ACK answers.
    expect(env.media.last.updates).toHaveLength(updates);
    expect(env.link.snapshot().codec?.name).toBe('opus');
  });

  it('keeps the o= version when the offer repeats the one we dialled with', async () => {
    const env = setup();
    await connectOutbound(env);
    const call = env.ua.lastInvite;
    const dialled = call.offer;
    const reply = call.remoteReinvite(undefined);
    await flush();
    expect(reply.accepted).toBe(dialled);
  });

  it('switches the media to the answer in the ACK', async () => {
    const env = setup(inbound);
    const call = await connectInbound(env);
    const changes = env.states.length;
    const reply = call.remoteReinvite(undefined);
    await flush();
    call.reinviteAck(peerAnswer(reply.accepted!, 'l16-stereo-48k', 4010));
    await flush();
    expect(env.media.last.params).toMatchObject({ codecId: 'L16', remote: { address: PEER_ADDRESS, rtpPort: 4010 } });
    expect(env.link.snapshot().codec?.name).toBe('L16');
    expect(env.states).toHaveLength(changes);
    expect(call.byes).toBe(0);
  });

  it.each([
    { what: 'an ACK without an answer', answer: undefined, reason: 'the ACK carried no SDP answer' },
    { what: 'an answer it cannot read', answer: 'v=0\r\n', reason: 'unusable SDP answer in the ACK: ' },
  ])('hangs up with BYE after $what, and records why', async ({ answer, reason }) => {
    const env = setup(inbound);
    const call = await connectInbound(env);
    call.remoteReinvite(undefined);
    await flush();
    call.reinviteAck(answer);
    await flush();
    expect(call.byes).toBe(1);
    expect(env.link.state).toBe('ended');
    expect(env.records[0]!.endReason.by).toBe('error');
    expect(env.records[0]!.endReason.reason.startsWith(reason)).toBe(true);
  });

  it('ignores a re-INVITE answer in an ACK when it offered nothing', async () => {
    const env = setup(inbound);
    const call = await connectInbound(env);
    call.reinviteAck(undefined);
    await flush();
    expect(call.byes).toBe(0);
    expect(env.link.state).toBe('connected');
  });
});
