/**
 * The link state machine on its own: a fake user agent plays the far end, a fake media opener plays
 * the media engine, and the fake clock runs ring timeouts and redial backoff. Offers and answers are
 * real SDP from the real offer/answer code.
 */
import { describe, expect, it } from 'vitest';
import { AcipError } from '../../server/util/errors.js';
import { RETRY_AFTER_S } from '../../server/links/link-setup.js';
import { answerOffer, buildOffer } from '../../server/sdp/offer-answer.js';
import { FakeIncomingCall, PEER_ADDRESS, flush, header, peerAnswer, peerOffer, profile } from './fakes.js';
import { AGENT, OUR_ADDRESS, REMOTE, connectInbound, connectOutbound, inbound, setup } from './link-env.js';

describe('an outbound link', () => {
  it('opens its media first, offers its ports, rings on 180 and connects on the answer', async () => {
    const env = setup();
    await connectOutbound(env);
    const call = env.ua.lastInvite;
    expect(call.target).toBe(REMOTE);
    expect(call.offer).toContain(`m=audio ${env.media.last.localRtpPort} RTP/AVP`);
    expect(call.offer).toContain(`c=IN IP4 ${OUR_ADDRESS}`);
    expect(env.states).toEqual(['dialling', 'ringing', 'connected']);
    const applied = env.media.last.params;
    expect(applied).toMatchObject({ codecId: 'opus', send: true, receive: true, remote: { address: PEER_ADDRESS, rtpPort: 4000 } });
    expect(env.link.snapshot()).toMatchObject({ state: 'connected', codec: { name: 'opus' }, mediaDirection: 'sendrecv' });
  });

  it('cancels after the ring timeout and records a 408', async () => {
    const env = setup();
    env.link.dial();
    await flush();
    env.ua.lastInvite.progress();
    env.clock.advance(59_999);
    expect(env.link.state).toBe('ringing');
    env.clock.advance(1);
    await flush();
    expect(env.ua.lastInvite.cancels).toBe(1);
    expect(env.states).toEqual(['dialling', 'ringing', 'failed', 'ended']);
    expect(env.records).toHaveLength(1);
    expect(env.records[0]!.endReason).toEqual({ by: 'local', sipStatus: 408, reason: 'no answer (ring timeout)' });
    expect(env.media.openSessions).toEqual([]);
  });

  it('fails with the status of a final non-2xx response', async () => {
    const env = setup();
    env.link.dial();
    await flush();
    env.ua.lastInvite.fail(486, 'Busy Here');
    await flush();
    expect(env.states).toEqual(['dialling', 'failed', 'ended']);
    expect(env.records[0]).toMatchObject({ answered: false, endReason: { by: 'remote', sipStatus: 486, reason: 'Busy Here' } });
    expect(env.media.openSessions).toEqual([]);
  });

  it.each([
    ['no SDP at all', undefined, 'the 200 OK carried no SDP answer'],
    ['an answer it cannot use', 'v=0\r\n', 'unusable SDP answer'],
  ])('hangs up a 2xx carrying %s', async (_what, answer, reason) => {
    const env = setup();
    env.link.dial();
    await flush();
    env.ua.lastInvite.answer(answer);
    await flush();
    expect(env.ua.lastInvite.byes).toBe(1);
    expect(env.link.state).toBe('ended');
    expect(env.records[0]!.endReason.reason).toContain(reason);
  });

  it('ends when the far end hangs up, recording the connected time', async () => {
    const env = setup();
    await connectOutbound(env);
    env.clock.advance(12_300);
    env.ua.lastInvite.remoteBye();
    await flush();
    expect(env.states).toEqual(['dialling', 'ringing', 'connected', 'ending', 'ended']);
    expect(env.records).toHaveLength(1);
    expect(env.records[0]).toMatchObject({ answered: true, durationS: 12.3, endReason: { by: 'remote', reason: 'far end hung up' }, codec: { name: 'opus' } });
    expect(env.media.last.closeCount).toBe(1);
  });

  it('sends BYE on a user hang-up and CANCEL while still ringing', async () => {
    const connected = setup();
    await connectOutbound(connected);
    await connected.link.hangup();
    expect(connected.ua.lastInvite.byes).toBe(1);
    expect(connected.link.state).toBe('ended');
    expect(connected.records[0]!.endReason).toEqual({ by: 'local', reason: 'hung up' });

    const ringing = setup();
    ringing.link.dial();
    await flush();
    ringing.ua.lastInvite.progress();
    await ringing.link.hangup();
    await flush();
    expect(ringing.ua.lastInvite.cancels).toBe(1);
    expect(ringing.link.state).toBe('ended');
    expect(ringing.records[0]!.endReason).toEqual({ by: 'local', reason: 'cancelled' });
    expect(ringing.media.openSessions).toEqual([]);
  });

  it('sends no INVITE when hung up while its media is still opening', async () => {
    const env = setup();
    env.link.dial();
    await env.link.hangup();
    await flush();
    expect(env.ua.invites).toEqual([]);
    expect(env.link.state).toBe('ended');
    expect(env.media.openSessions).toEqual([]);
  });

  it('fails without sending an INVITE when its media cannot be opened', async () => {
    const env = setup();
    env.media.failNextOpen = new AcipError('RTP_NO_PORTS', 'no free RTP/RTCP port pair');
    env.link.dial();
    await flush();
    expect(env.ua.invites).toEqual([]);
    expect(env.states).toEqual(['dialling', 'failed', 'ended']);
    expect(env.records[0]!.endReason).toEqual({ by: 'error', reason: 'no free RTP/RTCP port pair' });
  });
});

describe('a permanent outbound link', () => {
  it('redials after the capped exponential backoff while every attempt fails', async () => {
    const env = setup({ permanent: true });
    env.link.dial();
    await flush();
    const delays = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000];
    for (const [i, delay] of delays.entries()) {
      env.ua.lastInvite.fail(503, 'Service Unavailable');
      await flush();
      expect(env.link.state).toBe('redialling');
      env.clock.advance(delay - 1);
      await flush();
      expect(env.ua.invites).toHaveLength(i + 1);
      env.clock.advance(1);
      await flush();
      expect(env.ua.invites).toHaveLength(i + 2);
    }
    expect(env.link.snapshot().redials).toBe(delays.length);
    expect(env.records).toHaveLength(delays.length);
  });

  it('redials when the far end hangs up, and a hang-up while waiting ends it', async () => {
    const env = setup({ permanent: true });
    await connectOutbound(env);
    env.ua.lastInvite.remoteBye();
    await flush();
    expect(env.link.state).toBe('redialling');
    expect(env.media.openSessions).toEqual([]);
    env.clock.advance(1000);
    await flush();
    expect(env.ua.invites).toHaveLength(2);
    expect(env.link.state).toBe('dialling');
    env.ua.lastInvite.fail(480, 'Temporarily Unavailable');
    await flush();
    await env.link.hangup();
    env.clock.advance(60_000);
    await flush();
    expect(env.link.state).toBe('ended');
    expect(env.ua.invites).toHaveLength(2);
  });

  it('redials when the user agent loses the far end, and records the loss as a network one', async () => {
    const env = setup({ permanent: true });
    await connectOutbound(env);
    env.ua.lastInvite.networkLoss('session timer expired after 1800 s');
    await flush();
    expect(env.link.state).toBe('redialling');
    expect(env.records[0]!.endReason).toEqual({ by: 'network', reason: 'session timer expired after 1800 s' });
  });

  it('hangs up and redials when media stops, recording the no-media timeout as the reason', async () => {
    const env = setup({ permanent: true });
    await connectOutbound(env);
    const call = env.ua.lastInvite;
    env.media.last.emit('no-media', { sinceMs: 0, silentForMs: 5000 });
    await flush();
    expect(env.mediaEvents).toEqual(['no-media']);
    expect(call.byes).toBe(1);
    expect(env.link.state).toBe('redialling');
    expect(env.records).toHaveLength(1);
    expect(env.records[0]!.endReason).toEqual({ by: 'network', reason: 'no media for 5 s' });
  });
});

describe('media loss on a connected link', () => {
  it('reports no-media but keeps a non-permanent link connected', async () => {
    const env = setup();
    await connectOutbound(env);
    env.media.last.emit('no-media', { sinceMs: 0, silentForMs: 5000 });
    env.media.last.emit('media-restored', { outageMs: 7000 });
    await flush();
    expect(env.mediaEvents).toEqual(['no-media', 'media-restored']);
    expect(env.link.state).toBe('connected');
    expect(env.ua.lastInvite.byes).toBe(0);
  });

  it('hangs up a non-permanent link whose media worker died', async () => {
    const env = setup();
    await connectOutbound(env);
    env.media.last.loseWorker();
    await flush();
    expect(env.ua.lastInvite.byes).toBe(1);
    expect(env.link.state).toBe('ended');
    expect(env.records[0]!.endReason).toEqual({ by: 'error', reason: 'media engine failed (worker exited)' });
  });

  it('redials a permanent link whose media worker died, on a new session', async () => {
    const env = setup({ permanent: true });
    await connectOutbound(env);
    env.media.last.loseWorker();
    await flush();
    expect(env.ua.lastInvite.byes).toBe(1);
    expect(env.link.state).toBe('redialling');
    env.clock.advance(1000);
    await flush();
    expect(env.media.sessions).toHaveLength(2);
    expect(env.ua.lastInvite.offer).toContain(`m=audio ${env.media.sessions[1]!.localRtpPort} `);
  });

  it('ignores a worker loss of a session it has already closed', async () => {
    const env = setup();
    await connectOutbound(env);
    const first = env.media.last;
    await env.link.hangup();
    first.loseWorker();
    await flush();
    expect(env.records).toHaveLength(1);
    expect(env.records[0]!.endReason.reason).toBe('hung up');
  });
});

describe('an inbound link', () => {
  it('auto-answers with 200 OK whose answer carries its media port', async () => {
    const env = setup(inbound);
    const call = await connectInbound(env);
    expect(call.responses.map((r) => r.status)).toEqual([200]);
    expect(call.localSdp).toContain(`m=audio ${env.media.last.localRtpPort} RTP/AVP`);
    expect(call.localSdp).toContain(`c=IN IP4 ${OUR_ADDRESS}`);
    expect(env.states).toEqual(['connected']);
    expect(env.media.last.params).toMatchObject({ codecId: 'opus', send: true, receive: true, remote: { address: PEER_ADDRESS, rtpPort: 4000 } });
  });

  it('rings and waits for a manual answer', async () => {
    const env = setup(inbound);
    const call = new FakeIncomingCall(peerOffer('g711-telephone'));
    await env.link.acceptIncoming(call, false);
    expect(call.responses.map((r) => r.status)).toEqual([180]);
    expect(env.link.state).toBe('offered');
    expect(env.media.sessions).toEqual([]);
    await env.link.answerIncoming();
    expect(call.responses.map((r) => r.status)).toEqual([180, 200]);
    expect(env.states).toEqual(['offered', 'connected']);
    expect(env.link.snapshot().codec?.name).toBe('PCMA');
    await expect(env.link.answerIncoming()).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('answers an unanswered call with 480 after the ring timeout', async () => {
    const env = setup(inbound);
    const call = new FakeIncomingCall(peerOffer('ebu-3326-interop'));
    await env.link.acceptIncoming(call, false);
    env.clock.advance(60_000);
    expect(call.final?.status).toBe(480);
    expect(env.link.state).toBe('ended');
    expect(env.records[0]!.endReason).toMatchObject({ by: 'local', sipStatus: 480 });
  });

  it('rejects on request with 603 Decline and records it', async () => {
    const env = setup(inbound);
    const call = new FakeIncomingCall(peerOffer('ebu-3326-interop'));
    await env.link.acceptIncoming(call, false);
    env.link.reject();
    expect(call.final).toMatchObject({ status: 603, reason: 'Decline' });
    expect(env.states).toEqual(['offered', 'ended']);
    expect(env.records[0]).toMatchObject({ answered: false, endReason: { by: 'local', sipStatus: 603, reason: 'rejected (Decline)' } });
    expect(() => env.link.reject()).toThrow(/not waiting for an answer/);
  });

  it('ends when the caller cancels before the manual answer', async () => {
    const env = setup(inbound);
    const call = new FakeIncomingCall(peerOffer('ebu-3326-interop'));
    await env.link.acceptIncoming(call, false);
    call.remoteCancel();
    expect(env.states).toEqual(['offered', 'failed', 'ended']);
    expect(env.records[0]!.endReason).toMatchObject({ by: 'remote', sipStatus: 487 });
  });

  it('rejects an offer with no common codec with 488 and closes the media it opened', async () => {
    const env = setup({ ...inbound, profile: profile('opus-voice-64k') });
    const call = new FakeIncomingCall(peerOffer('g711-telephone'));
    await env.link.acceptIncoming(call, true);
    expect(call.final?.status).toBe(488);
    expect(header(call.final, 'Warning')).toMatch(new RegExp(`^3\\d\\d ${AGENT} "`));
    expect(env.records[0]!.endReason).toMatchObject({ by: 'error', sipStatus: 488 });
    expect(env.link.state).toBe('ended');
    expect(env.media.openSessions).toEqual([]);
  });

  it.each([
    { what: 'no free RTP port pair', err: new AcipError('RTP_NO_PORTS', 'no free RTP/RTCP port pair in 6000-6999 on 0.0.0.0'), status: 503 },
    { what: 'no media worker running', err: new AcipError('MEDIA_WORKER_EXIT', 'media worker 0 is not running'), status: 503 },
    { what: 'the media pool closing', err: new AcipError('MEDIA_POOL_CLOSED', 'media worker pool is closed'), status: 503 },
    { what: 'an output it cannot open', err: new AcipError('ALSA_PLAYBACK_FAILED', 'alsa: no such device'), status: 500 },
    { what: 'a bug', err: new TypeError('x is undefined'), status: 500 },
  ])('answers $status when opening its media fails for $what, and records the status it sent', async ({ err, status }) => {
    const env = setup(inbound);
    env.media.failNextOpen = err;
    const call = new FakeIncomingCall(peerOffer('ebu-3326-interop'));
    await env.link.acceptIncoming(call, true);
    expect(call.responses.map((r) => r.status)).toEqual([status]);
    expect(header(call.final, 'Retry-After')).toBe(status === 503 ? String(RETRY_AFTER_S) : undefined);
    expect(header(call.final, 'Warning')).toBe(`399 ${AGENT} "media: ${err.message}"`);
    expect(env.records).toHaveLength(1);
    expect(env.records[0]!.endReason).toEqual({ by: 'error', sipStatus: status, reason: `media: ${err.message}` });
    expect(env.link.state).toBe('ended');
  });

  it('answers 500 when the media cannot start after the offer was answered, and closes it', async () => {
    const env = setup(inbound);
    const call = new FakeIncomingCall(peerOffer('ebu-3326-interop'));
    await env.link.acceptIncoming(call, false);
    env.media.onOpen = (s) => {
      s.failNextUpdate = new AcipError('ALSA_PLAYBACK_FAILED', 'alsa: device busy');
    };
    await env.link.answerIncoming();
    expect(call.responses.map((r) => r.status)).toEqual([180, 500]);
    expect(env.records[0]!.endReason).toEqual({ by: 'error', sipStatus: 500, reason: 'media: alsa: device busy' });
    expect(env.media.openSessions).toEqual([]);
    expect(env.states).toEqual(['offered', 'ended']);
  });

  it('refuses with 486 when hung up while its media is still opening, and leaves no media open', async () => {
    const env = setup(inbound);
    const release = env.media.hold();
    const call = new FakeIncomingCall(peerOffer('ebu-3326-interop'));
    const answering = env.link.acceptIncoming(call, true);
    await flush();
    expect(env.link.state).toBe('idle');
    const hangup = env.link.hangup();
    release();
    await Promise.all([answering, hangup]);
    await flush();
    expect(call.responses.map((r) => r.status)).toEqual([486]);
    expect(env.states).toEqual(['ended']);
    expect(env.records).toHaveLength(1);
    expect(env.records[0]!.endReason).toEqual({ by: 'local', sipStatus: 486, reason: 'hung up while answering' });
    expect(env.media.openSessions).toEqual([]);
  });

  it('sends nothing more when the caller cancels while its media is still opening', async () => {
    const env = setup(inbound);
    const release = env.media.hold();
    const call = new FakeIncomingCall(peerOffer('ebu-3326-interop'));
    const answering = env.link.acceptIncoming(call, true);
    await flush();
    call.remoteCancel();
    release();
    await answering;
    await flush();
    expect(call.responses.map((r) => r.status)).toEqual([487]);
    expect(env.link.state).toBe('ended');
    expect(env.records).toHaveLength(1);
    expect(env.records[0]!.endReason).toMatchObject({ by: 'remote', sipStatus: 487 });
    expect(env.media.openSessions).toEqual([]);
  });

  it('ends when the far end hangs up a connected call', async () => {
    const env = setup(inbound);
    const call = await connectInbound(env);
    env.clock.advance(3000);
    call.remoteBye();
    await flush();
    expect(env.states).toEqual(['connected', 'ending', 'ended']);
    expect(env.records[0]).toMatchObject({ direction: 'inbound', answered: true, durationS: 3, endReason: { by: 'remote' } });
    expect(env.media.openSessions).toEqual([]);
  });
});

describe('re-INVITE', () => {
  it('accepts a new offer from the far end and switches the media to it', async () => {
    const env = setup(inbound);
    const call = await connectInbound(env);
    const changes = env.states.length;
    const reply = call.remoteReinvite(peerOffer('l16-stereo-48k', 4010));
    await flush();
    expect(reply.accepted).toContain('L16/48000/2');
    expect(env.media.last.params).toMatchObject({ codecId: 'L16', remote: { address: PEER_ADDRESS, rtpPort: 4010 } });
    expect(env.link.snapshot().codec?.name).toBe('L16');
    expect(env.states).toHaveLength(changes);
    expect(env.link.state).toBe('connected');
  });

  it('rejects an unacceptable re-offer and keeps the session as it was', async () => {
    const env = setup({ ...inbound, profile: profile('opus-voice-64k') });
    const call = await connectInbound(env);
    const updates = env.media.last.updates.length;
    const reply = call.remoteReinvite(peerOffer('g711-telephone'));
    await flush();
    expect(reply.rejected?.status).toBe(488);
    expect(header(reply.rejected, 'Warning')).toMatch(new RegExp(`^3\\d\\d ${AGENT} "`));
    expect(env.media.last.updates).toHaveLength(updates);
    expect(env.link.snapshot().codec?.name).toBe('opus');
  });

  it('rejects a re-offer its media cannot apply with 488 naming the media error', async () => {
    const env = setup(inbound);
    const call = await connectInbound(env);
    env.media.last.failNextUpdate = new Error('encoder refused');
    const reply = call.remoteReinvite(peerOffer('l16-stereo-48k'));
    await flush();
    expect(reply.rejected?.status).toBe(488);
    expect(header(reply.rejected, 'Warning')).toBe(`399 ${AGENT} "media: encoder refused"`);
    expect(env.link.snapshot().codec?.name).toBe('opus');
  });

  it('changes profile by re-INVITE when the far end accepts', async () => {
    const env = setup();
    await connectOutbound(env);
    const call = env.ua.lastInvite;
    call.reinviteReply = (offer) => ({ status: 200, reason: 'OK', sdp: peerAnswer(offer, 'ebu-3326-interop', 4020) });
    await env.link.changeProfile(profile('l16-stereo-48k'));
    expect(call.reinvitesSent).toHaveLength(1);
    expect(env.link.profile.name).toBe('l16-stereo-48k');
    expect(env.media.last.params).toMatchObject({ codecId: 'L16', remote: { rtpPort: 4020 } });
  });

  it('keeps its profile when the far end refuses the change', async () => {
    const env = setup();
    await connectOutbound(env);
    env.ua.lastInvite.reinviteReply = { status: 488, reason: 'Not Acceptable Here' };
    await expect(env.link.changeProfile(profile('l16-stereo-48k'))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(env.link.profile.name).toBe('ebu-3326-interop');
    expect(env.media.last.params.codecId).toBe('opus');
  });

  it('refuses a profile change unless connected', async () => {
    const env = setup();
    await expect(env.link.changeProfile(profile('l16-stereo-48k'))).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('the history record and the snapshot', () => {
  it('records the answer delay, the connected time, the codec and the quality summary', async () => {
    const env = setup();
    env.link.dial();
    await flush();
    env.clock.advance(250);
    env.ua.lastInvite.answer(peerAnswer(env.ua.lastInvite.offer, 'ebu-3326-interop'));
    await flush();
    env.media.last.rx = { expected: 1000, lost: 10 };
    env.clock.advance(1000);
    env.link.sample();
    env.clock.advance(1000);
    await env.link.hangup();
    const r = env.records[0]!;
    expect(r).toMatchObject({
      direction: 'outbound',
      remote: REMOTE,
      profile: 'ebu-3326-interop',
      answered: true,
      answerDelayMs: 250,
      durationS: 2,
      startedAt: new Date(1_700_000_000_000).toISOString(),
      answeredAt: new Date(1_700_000_000_250).toISOString(),
      codec: { name: 'opus', clockRate: 48000, channels: 2, ptimeMs: 20 },
      quality: { lossPct: 1, maxJitterMs: 1.5, meanBufferMs: 40, maxBufferMs: 40, rttMs: 12, redials: 0 },
    });
  });

  it('shows meters and statistics only while media is open', async () => {
    const env = setup();
    expect(env.link.meters()).toBeNull();
    await connectOutbound(env);
    expect(env.link.meters()).toEqual({ input: { peak: [-18, -18], rms: [-21, -21], clips: 0 }, output: { peak: [-18, -18], rms: [-21, -21], clips: 0 } });
    expect(env.link.snapshot()).toMatchObject({ rttMs: 12, tx: { packets: 100, bitrateKbps: 128 }, localSdp: env.ua.lastInvite.offer });
    await env.link.hangup();
    expect(env.link.meters()).toBeNull();
    expect(env.link.snapshot()).toMatchObject({ state: 'ended', rx: null, tx: null, meters: null, endReason: { by: 'local', reason: 'hung up' } });
  });
});

describe('a link whose profile makes SRTP mandatory', () => {
  const srtpProfile = () => ({ ...profile('g711-telephone'), srtp: 'mandatory' as const });
  const viaOver = (transport: string) => ({ headers: new Map([['via', `SIP/2.0/${transport} 192.0.2.7:5061;branch=z9hG4bK-1`]]) });
  const secureOffer = () => buildOffer({ profile: srtpProfile(), localAddress: PEER_ADDRESS, rtpPort: 4000, signalling: 'tls' });
  const keyOf = (sdp: string) => /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]+)/.exec(sdp)?.[1];

  it('answers an RTP/SAVP offer that came over TLS with its own key, and keys its media crosswise', async () => {
    const env = setup({ ...inbound, profile: srtpProfile() });
    const offer = secureOffer();
    const call = new FakeIncomingCall(offer.sdp);
    Object.assign(call, { request: { headers: { get: (n: string) => viaOver('TLS').headers.get(n.toLowerCase()) } } });
    await env.link.acceptIncoming(call, true);
    await flush();
    expect(env.link.state).toBe('connected');
    const answer = call.localSdp!;
    expect(answer).toMatch(/^m=audio \d+ RTP\/SAVP 8/m);
    const ours = keyOf(answer)!;
    expect(ours).not.toBe(keyOf(offer.sdp));
    const srtp = env.media.last.params.srtp!;
    // We receive with the key the peer sent, and send with ours (RFC 4568 §6.1).
    expect(Buffer.from(srtp.receive!.masterKey).equals(Buffer.from(keyOf(offer.sdp)!, 'base64').subarray(0, 16))).toBe(true);
    expect(Buffer.from(srtp.send!.masterKey).equals(Buffer.from(ours, 'base64').subarray(0, 16))).toBe(true);
    const snap = env.link.snapshot();
    expect(snap.security).toEqual({ signalling: 'tls', media: 'srtp', suite: 'AES_CM_128_HMAC_SHA1_80', encrypted: true, reason: '' });
    expect(`${snap.localSdp}${snap.remoteSdp}`).not.toContain(ours);
  });

  it.each([
    ['UDP', viaOver('UDP')],
    ['an unknown transport (no request)', undefined],
  ])('refuses the same offer over %s with 488: the keys would have travelled in clear', async (_what, request) => {
    const env = setup({ ...inbound, profile: srtpProfile() });
    const call = new FakeIncomingCall(secureOffer().sdp);
    if (request) Object.assign(call, { request: { headers: { get: (n: string) => request.headers.get(n.toLowerCase()) } } });
    await env.link.acceptIncoming(call, true);
    expect(call.final?.status).toBe(488);
    expect(header(call.final, 'Warning')).toMatch(/TLS/);
    expect(env.media.openSessions).toEqual([]);
  });

  it('dials a sips: target with an RTP/SAVP offer and keys its media from the answer', async () => {
    const env = setup({ profile: srtpProfile(), remote: 'sips:studio@192.0.2.7' });
    env.link.dial();
    await flush();
    const call = env.ua.lastInvite;
    expect(call.offer).toMatch(/^m=audio \d+ RTP\/SAVP 8/m);
    // Before the answer the provisional session drops everything: no keys yet.
    expect(env.media.last.params.srtp).toEqual({ send: null, receive: null });
    const res = answerOffer(call.offer, { profile: srtpProfile(), localAddress: PEER_ADDRESS, rtpPort: 4000, signalling: 'tls' });
    if (!res.ok) throw new Error(res.reason);
    call.answer(res.sdp);
    await flush();
    expect(env.link.state).toBe('connected');
    expect(env.media.last.params.srtp?.send?.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(env.link.snapshot().security).toMatchObject({ signalling: 'tls', media: 'srtp', encrypted: true });
  });

  it('does not dial a plain sip: target: the offer would carry the keys in clear', async () => {
    const env = setup({ profile: srtpProfile() });
    env.link.dial();
    await flush();
    expect(env.ua.invites).toHaveLength(0);
    expect(env.records[0]!.endReason).toMatchObject({ by: 'error' });
    expect(env.records[0]!.endReason.reason).toMatch(/requires SRTP, but the signalling is not TLS/);
    expect(env.media.openSessions).toEqual([]);
  });
});

describe('a link whose profile asks for loss recovery', () => {
  const recoveryProfile = () => ({ ...profile('opus-music-128k'), redundancy: { red: { depth: 1 as const, distance: 2 }, rtx: true } });

  it('puts the RED and NACK/RTX the peer accepted into its media session', async () => {
    const env = setup({ profile: recoveryProfile() });
    env.link.dial();
    await flush();
    const call = env.ua.lastInvite;
    expect(call.offer).toMatch(/^a=rtpmap:\d+ red\/48000\/2$/m);
    expect(env.media.last.params.recovery).toBeUndefined();
    const res = answerOffer(call.offer, { profile: recoveryProfile(), localAddress: PEER_ADDRESS, rtpPort: 4000 });
    if (!res.ok) throw new Error(res.reason);
    call.answer(res.sdp);
    await flush();
    expect(env.link.state).toBe('connected');
    const r = env.media.last.params.recovery!;
    expect(r.red).toMatchObject({ depth: 1, distance: 2 });
    expect(r.rtx).toMatchObject({ rtxTimeMs: 1000 });
    expect(r.duplicate).toBeUndefined();
  });

  it('runs plain RTP with a peer that answers without them', async () => {
    const env = setup({ profile: recoveryProfile() });
    await connectOutbound(env, 'opus-music-128k');
    expect(env.media.last.params.recovery).toBeUndefined();
    expect(env.link.snapshot().recovery).toBeUndefined();
  });
});

describe('the recovery part of a link snapshot', () => {
  it('shows what each tool recovered and each path as address:port with its loss in percent', async () => {
    const { recoveryOf } = await import('../../server/links/link-record.js');
    const path = (received: number, lost: number, port: number) => ({ received, lost, jitterMs: 1.234, firstCopies: received, relativeDelayMs: port === 4000 ? -12.3456 : 12.3456, localRtpPort: 5004, remote: { address: '192.0.2.7', rtpPort: port } });
    const recovery = {
      red: true, rtx: true, duplicate: true, recoveredByRed: 4, recoveredByRtx: 5, recoveredByPath: 6, stillLost: 1, nackRequests: 8, nacksSent: 3, rtxLate: 0,
      peerRequests: 2, rtxSent: 2, rtxMissing: 0, rtxSuppressed: 7, rtxCopies: 3, redMalformed: 0, paths: [path(990, 10, 4000), path(800, 200, 4002)] as [ReturnType<typeof path>, ReturnType<typeof path>],
    };
    expect(recoveryOf(undefined)).toBeUndefined();
    expect(recoveryOf({ recovery } as never)).toEqual({
      red: true, rtx: true, duplicate: true, recoveredByRed: 4, recoveredByRtx: 5, recoveredByPath: 6, stillLost: 1, nackRequests: 8, rtxSent: 2, rtxSuppressed: 7, rtxCopies: 3,
      paths: [
        { received: 990, lost: 10, lossPct: 1, jitterMs: 1.23, relativeDelayMs: -12.35, remote: '192.0.2.7:4000' },
        { received: 800, lost: 200, lossPct: 20, jitterMs: 1.23, relativeDelayMs: 12.35, remote: '192.0.2.7:4002' },
      ],
    });
  });
});
