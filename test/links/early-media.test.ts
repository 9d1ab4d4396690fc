/**
 * Early media on an outbound link (RFC 3960 §3, RFC 3262 §5): a provisional response with SDP opens
 * the media while the link rings; the 2xx then continues it, updates it, or a failure closes it.
 * The far end and the media engine are fakes; the fake clock runs the ring timeout.
 */
import { describe, expect, it } from 'vitest';
import { flush, peerAnswer } from './fakes.js';
import { setup, type Env } from './link-env.js';
import { finalAnswerStep, sdpOrigin } from '../../server/links/early-media.js';

/** Dial, and let the far end send 183 Session Progress with its answer (port 4000). */
async function earlyMedia(env: Env, toTag = 'fork-a'): Promise<string> {
  env.link.dial();
  await flush();
  const call = env.ua.lastInvite;
  const sdp = peerAnswer(call.offer, 'ebu-3326-interop', 4000);
  call.progress(183, 'Session Progress', sdp, toTag);
  await flush();
  return sdp;
}

/** The same answer as a new description: o= version + 1, media on `port`. */
function revised(sdp: string, port: number): string {
  return sdp.replace(/^(o=\S+ \S+ )(\d+)/m, (_m, head: string, v: string) => `${head}${Number(v) + 1}`).replace(/^m=audio \d+/m, `m=audio ${port}`);
}

describe('early media on an outbound link', () => {
  it('opens the media on the SDP of a 183 while the link is still ringing', async () => {
    const env = setup();
    await earlyMedia(env);
    expect(env.link.state).toBe('ringing');
    const session = env.media.last;
    expect(session.updates).toHaveLength(1);
    expect(session.params).toMatchObject({ send: true, receive: true, remote: { address: '192.0.2.7', rtpPort: 4000 } });
    const snap = env.link.snapshot();
    expect(snap).toMatchObject({ state: 'ringing', mediaDirection: 'sendrecv', durationS: 0 });
    expect(snap.codec).not.toBeNull();
    expect(snap.rx).not.toBeNull();
    expect(snap.connectedAt).toBeUndefined();
    expect(snap.remoteSdp).toContain('m=audio 4000');
  });

  it('publishes the link once the early media runs, so the panel shows it while ringing', async () => {
    let published = 0;
    const env = setup({}, { onChange: () => published++ });
    env.link.dial();
    await flush();
    const call = env.ua.lastInvite;
    call.progress(183, 'Session Progress');
    const before = published;
    call.progress(183, 'Session Progress', peerAnswer(call.offer, 'ebu-3326-interop'), 'fork-a');
    await flush();
    expect(published).toBe(before + 1);
  });

  it('continues the same session without an update when the 200 OK repeats the early SDP', async () => {
    const env = setup();
    const sdp = await earlyMedia(env);
    env.ua.lastInvite.answer(sdp, { toTag: 'fork-a', earlySdp: sdp });
    await flush();
    expect(env.link.state).toBe('connected');
    expect(env.media.sessions).toHaveLength(1);
    expect(env.media.last.updates).toHaveLength(1);
    expect(env.media.last.closeCount).toBe(0);
    expect(env.link.answerDelayMs).toBe(0);
  });

  it('continues the same session when the 200 OK carries no SDP after a reliable 183', async () => {
    const env = setup();
    const sdp = await earlyMedia(env);
    env.ua.lastInvite.answer(undefined, { toTag: 'fork-a', earlySdp: sdp });
    await flush();
    expect(env.link.state).toBe('connected');
    expect(env.media.last.updates).toHaveLength(1);
  });

  it('updates the open session when the 200 OK carries a different SDP', async () => {
    const env = setup();
    const sdp = await earlyMedia(env);
    env.ua.lastInvite.answer(revised(sdp, 4010), { toTag: 'fork-a', earlySdp: sdp });
    await flush();
    expect(env.link.state).toBe('connected');
    expect(env.media.sessions).toHaveLength(1);
    expect(env.media.last.updates).toHaveLength(2);
    expect(env.media.last.params.remote).toMatchObject({ rtpPort: 4010 });
  });

  it('uses the first early SDP of several forks, and the answer of the fork that sends the 2xx', async () => {
    const env = setup();
    await earlyMedia(env, 'fork-a');
    const call = env.ua.lastInvite;
    const other = peerAnswer(call.offer, 'ebu-3326-interop', 4020);
    call.progress(183, 'Session Progress', other, 'fork-b');
    await flush();
    expect(env.media.last.updates).toHaveLength(1);
    expect(env.media.last.params.remote).toMatchObject({ rtpPort: 4000 });
    call.answer(undefined, { toTag: 'fork-b', earlySdp: other });
    await flush();
    expect(env.link.state).toBe('connected');
    expect(env.media.last.updates).toHaveLength(2);
    expect(env.media.last.params.remote).toMatchObject({ rtpPort: 4020 });
  });

  it('ignores a repeated 183 of the same dialog', async () => {
    const env = setup();
    const sdp = await earlyMedia(env);
    env.ua.lastInvite.progress(183, 'Session Progress', sdp, 'fork-a');
    await flush();
    expect(env.media.last.updates).toHaveLength(1);
  });

  it('closes the early media and fails the link when a 486 follows the 183', async () => {
    const env = setup();
    await earlyMedia(env);
    env.ua.lastInvite.fail(486, 'Busy Here');
    await flush();
    expect(env.states).toEqual(['dialling', 'ringing', 'failed', 'ended']);
    expect(env.media.openSessions).toHaveLength(0);
    expect(env.link.snapshot()).toMatchObject({ rx: null, endReason: { by: 'remote', sipStatus: 486 } });
    expect(env.records).toHaveLength(1);
    expect(env.records[0]).toMatchObject({ answered: false, endReason: { sipStatus: 486 } });
  });

  it('cancels the INVITE and closes the early media when the user hangs up while it plays', async () => {
    const env = setup();
    await earlyMedia(env);
    await env.link.hangup();
    await flush();
    expect(env.ua.lastInvite.cancels).toBe(1);
    expect(env.link.state).toBe('ended');
    expect(env.media.openSessions).toHaveLength(0);
  });

  it('cancels and closes the early media when nobody answers within the ring timeout', async () => {
    const env = setup();
    await earlyMedia(env);
    env.clock.advance(env.deps.ringTimeoutMs);
    await flush();
    expect(env.ua.lastInvite.cancels).toBe(1);
    expect(env.link.snapshot()).toMatchObject({ state: 'ended', endReason: { sipStatus: 408 } });
    expect(env.media.openSessions).toHaveLength(0);
  });

  it('keeps ringing without media when the early SDP cannot be used, and connects on a usable 200 OK', async () => {
    const env = setup();
    env.link.dial();
    await flush();
    const call = env.ua.lastInvite;
    call.progress(183, 'Session Progress', 'v=0\r\nnot an answer\r\n', 'fork-a');
    await flush();
    expect(env.link.state).toBe('ringing');
    expect(env.media.last.updates).toHaveLength(0);
    expect(env.link.snapshot().mediaDirection).toBeNull();
    expect(env.log.lines.some((l) => l.level === 'warn' && /early media ignored/.test(l.msg))).toBe(true);
    call.answer(peerAnswer(call.offer, 'ebu-3326-interop'), { toTag: 'fork-a' });
    await flush();
    expect(env.link.state).toBe('connected');
    expect(env.media.last.updates).toHaveLength(1);
  });

  it('puts the 200 OK into effect when the early media could not be started', async () => {
    const env = setup();
    env.link.dial();
    await flush();
    const call = env.ua.lastInvite;
    env.media.last.failNextUpdate = new Error('device busy');
    const sdp = peerAnswer(call.offer, 'ebu-3326-interop');
    call.progress(183, 'Session Progress', sdp, 'fork-a');
    await flush();
    expect(env.link.state).toBe('ringing');
    call.answer(sdp, { toTag: 'fork-a', earlySdp: sdp });
    await flush();
    expect(env.link.state).toBe('connected');
    expect(env.media.last.updates).toHaveLength(1);
  });

  it('opens no media for a 180 without SDP', async () => {
    const env = setup();
    env.link.dial();
    await flush();
    env.ua.lastInvite.progress(180, 'Ringing');
    await flush();
    expect(env.link.snapshot()).toMatchObject({ state: 'ringing', mediaDirection: null, codec: null });
    expect(env.media.last.updates).toHaveLength(0);
  });
});

describe('what the 2xx does to early media', () => {
  const A = 'v=0\r\no=far 7 1 IN IP4 192.0.2.7\r\ns=-\r\n';
  const A2 = 'v=0\r\no=far 7 2 IN IP4 192.0.2.7\r\ns=-\r\n';
  const early = { toTag: 'a', origin: 'far 7 1 IN IP4 192.0.2.7' };
  const rows: [string, Parameters<typeof finalAnswerStep>[0], Parameters<typeof finalAnswerStep>[1], ReturnType<typeof finalAnswerStep>][] = [
    ['the same o= line in the same dialog continues', early, { sdp: A, toTag: 'a' }, { continues: true }],
    ['no SDP in the 2xx of the early dialog continues', early, { sdp: undefined, toTag: 'a', earlySdp: A }, { continues: true }],
    ['no SDP at all in the early dialog continues', early, { sdp: undefined, toTag: 'a' }, { continues: true }],
    ['a new o= version is applied', early, { sdp: A2, toTag: 'a' }, { continues: false, sdp: A2 }],
    ['another dialog is applied, even with the same o= line', early, { sdp: A, toTag: 'b' }, { continues: false, sdp: A }],
    ["another dialog's early SDP stands for a 2xx without one", early, { sdp: undefined, toTag: 'b', earlySdp: A2 }, { continues: false, sdp: A2 }],
    ['another dialog without any SDP has no answer', early, { sdp: undefined, toTag: 'b' }, { continues: false, sdp: undefined }],
    ['without early media the 2xx answer is applied', undefined, { sdp: A }, { continues: false, sdp: A }],
    ['without early media a 2xx without SDP has no answer', undefined, { sdp: undefined }, { continues: false, sdp: undefined }],
  ];
  it.each(rows)('%s', (_name, e, final, step) => {
    expect(finalAnswerStep(e, final)).toEqual(step);
  });

  it('reads the o= line of an SDP body, and nothing from a body without one', () => {
    expect(sdpOrigin(A)).toBe('far 7 1 IN IP4 192.0.2.7');
    expect(sdpOrigin('v=0\r\ns=-\r\n')).toBeUndefined();
  });
});
