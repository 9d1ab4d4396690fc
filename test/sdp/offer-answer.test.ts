import { describe, expect, it } from 'vitest';
import {
  answerOffer,
  applyAnswer,
  buildOffer,
  buildReoffer,
  directionOf,
  type AnswerOk,
  type AnswerResult,
  type Direction,
  type NegotiatedMedia,
} from '../../server/sdp/offer-answer.js';
import { readSdp } from '../../server/sdp/sdp-model.js';
import { attributes, audioOffer, fixture, profile, profileNames } from './helpers.js';

const LOCAL = { localAddress: '192.0.2.200', rtpPort: 20000 };

function ok(r: AnswerResult): AnswerOk {
  if (!r.ok) throw new Error(`expected an answer, got ${r.status} ${r.warning.code} ${r.warning.text}`);
  return r;
}

function answer(offer: string, profileName: string, extra: Partial<Parameters<typeof answerOffer>[1]> = {}): AnswerResult {
  return answerOffer(offer, { profile: profile(profileName), ...LOCAL, sessionId: '77', sessionVersion: '1', ...extra });
}

describe('building an offer from a profile', () => {
  it('writes the EBU 3326 interop profile as one audio m-line in profile order with per-codec packet lengths', () => {
    const { sdp, offered } = buildOffer({ profile: profile('ebu-3326-interop'), localAddress: '127.0.0.1', rtpPort: 40000, sessionId: '4611686018427387904', sessionVersion: '1' });
    // The file is what was sent to baresip to capture baresip-answer-ebu-3326-interop.sdp.
    expect(sdp).toBe(fixture('acip-offer-ebu-3326-interop.sdp'));
    expect(sdp.split('\r\n').slice(0, 6)).toEqual([
      'v=0',
      'o=- 4611686018427387904 1 IN IP4 127.0.0.1',
      's=acip',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      'm=audio 40000 RTP/AVP 96 97 98 9 8 0',
    ]);
    const a = attributes(sdp);
    expect(a.filter((l) => l.startsWith('rtpmap:'))).toEqual([
      'rtpmap:96 opus/48000/2',
      'rtpmap:97 L24/48000/2',
      'rtpmap:98 L16/48000/2',
      'rtpmap:9 G722/8000',
      'rtpmap:8 PCMA/8000',
      'rtpmap:0 PCMU/8000',
    ]);
    const fmtp = a.find((l) => l.startsWith('fmtp:96 '));
    expect(fmtp).toMatch(/(^|;| )stereo=1(;|$)/);
    expect(fmtp).toMatch(/sprop-stereo=1/);
    expect(fmtp).toMatch(/maxaveragebitrate=128000/);
    expect(a).toContain('ptime:20');
    expect(a).toContain('sendrecv');
    expect(a.filter((l) => l.startsWith('ebuacip:'))).toEqual([
      'ebuacip:version 0',
      'ebuacip:jb 0',
      'ebuacip:jbdef 0 auto 20-160',
      'ebuacip:plength 97 5',
      'ebuacip:plength 98 4',
    ]);
    // b=TIAS for the most demanding codec: L24 48 kHz stereo = 2 304 000 bit/s; b=AS adds 200
    // packets/s of 40 bytes of IPv4/UDP/RTP headers: ceil((2304000 + 64000) / 1000) = 2368.
    expect(sdp).toContain('\r\nb=AS:2368\r\nb=TIAS:2304000\r\n');
    expect(offered.codecs.map((c) => [c.payloadType, c.codecId, c.params.ptimeMs])).toEqual([
      [96, 'opus', 20],
      [97, 'L24', 5],
      [98, 'L16', 4],
      [9, 'G722', 20],
      [8, 'PCMA', 20],
      [0, 'PCMU', 20],
    ]);
  });

  it('uses c=IN IP6 and o=... IP6 for an IPv6 address, a=rtcp when RTCP is not on the next port, and qosrec when asked', () => {
    const { sdp } = buildOffer({ profile: profile('g722-voice'), localAddress: '2001:db8::5', rtpPort: 5004, rtcpPort: 5009, sessionId: '1', qosrec: '46' });
    expect(sdp).toContain('\r\no=- 1 1 IN IP6 2001:db8::5\r\n');
    expect(sdp).toContain('\r\nc=IN IP6 2001:db8::5\r\n');
    expect(attributes(sdp)).toContain('rtcp:5009');
    expect(attributes(sdp)).toContain('ebuacip:qosrec 46');
    // IPv6 headers are 40 bytes: G.722 at 20 ms = 64000 + 50 * 60 * 8 = 88 kbit/s.
    expect(sdp).toContain('\r\nb=AS:88\r\nb=TIAS:64000\r\n');
  });

  it('writes a 20-digit session version exactly (sdp-transform alone would round it)', () => {
    const { sdp } = buildOffer({ profile: profile('g711-telephone'), ...LOCAL, sessionId: '12345678901234567890', sessionVersion: '98765432109876543210' });
    expect(sdp).toContain('\r\no=- 12345678901234567890 98765432109876543210 IN IP4 192.0.2.200\r\n');
  });

  it('picks a fresh random session id when none is given', () => {
    const a = buildOffer({ profile: profile('g711-telephone'), ...LOCAL }).offered.origin.sessionId;
    const b = buildOffer({ profile: profile('g711-telephone'), ...LOCAL }).offered.origin.sessionId;
    expect(a).toMatch(/^\d+$/);
    expect(a).not.toBe(b);
  });

  it('refuses a profile whose explicit packet time the codec cannot carry', () => {
    const p = profile('l24-stereo-48k');
    p.codecs[0] = { ...p.codecs[0], codec: 'L24', ptimeMs: 20 };
    expect(() => buildOffer({ profile: p, ...LOCAL })).toThrow(expect.objectContaining({ code: 'SDP_BAD_PROFILE', field: 'codecs[0].ptimeMs' }));
  });
});

describe('our offer through our own answerer (round trips)', () => {
  it.each(profileNames)('profile %s: both sides agree on the first codec, payload type and packet time', (name) => {
    const p = profile(name);
    const offer = buildOffer({ profile: p, localAddress: '192.0.2.1', rtpPort: 5004, sessionId: '1' });
    const ans = ok(answerOffer(offer.sdp, { profile: p, localAddress: '192.0.2.2', rtpPort: 6000, sessionId: '2' }));
    const applied = applyAnswer(offer.offered, ans.sdp);
    if (!applied.ok) throw new Error(applied.reason);
    const uac = applied.negotiated;
    const uas = ans.negotiated;
    expect(uas.codecId).toBe(p.codecs[0]?.codec);
    expect(uac.codecId).toBe(uas.codecId);
    expect(uac.payloadType).toBe(uas.payloadType);
    expect(uac.payloadType).toBe(offer.offered.codecs[0]?.payloadType);
    expect(uac.ptimeMs).toBe(uas.ptimeMs);
    expect(uac.ptimeMs).toBe(offer.offered.codecs[0]?.params.ptimeMs);
    expect(uac.channels).toBe(uas.channels);
    expect(uac.codecParams.channels).toBe(uas.codecParams.channels);
    expect([uac.remote.address, uac.remote.rtpPort, uac.remote.rtcpPort]).toEqual(['192.0.2.2', 6000, 6001]);
    expect([uas.remote.address, uas.remote.rtpPort, uas.remote.rtcpPort]).toEqual(['192.0.2.1', 5004, 5005]);
    expect([uac.direction, uas.direction]).toEqual(['sendrecv', 'sendrecv']);
    // Each side applies the other's jbdef, which is the same profile's buffer here. (`stretch` is a
    // local choice, not signalled in a=ebuacip, so it does not come back from the peer.)
    const { stretch: _stretch, ...signalled } = p.jitterBuffer as typeof p.jitterBuffer & { stretch?: boolean };
    expect(uac.jitterBuffer).toEqual({ ...signalled, source: 'peer' });
    expect(ans.remoteOrigin.sessionId).toBe('1');
    expect(applied.remoteOrigin.sessionId).toBe('2');
  });

  const crossTable: Array<[string, string, number, number]> = [
    // answering profile, codec, payload type, ptime (the offer's plength for PCM, else 20)
    ['ebu-3326-interop', 'opus', 96, 20],
    ['g711-telephone', 'PCMA', 8, 20],
    ['g722-voice', 'G722', 9, 20],
    ['l16-stereo-48k', 'L16', 98, 4],
    ['l24-stereo-48k', 'L24', 97, 5],
    ['opus-low-delay-5ms', 'opus', 96, 20],
    ['opus-music-128k', 'opus', 96, 20],
    ['opus-voice-64k', 'opus', 96, 20],
  ];
  it.each(crossTable)('the EBU 3326 interop offer answered with %s gives %s/%i at %i ms', (name, codec, pt, ptime) => {
    const offer = buildOffer({ profile: profile('ebu-3326-interop'), localAddress: '192.0.2.1', rtpPort: 5004 });
    const ans = ok(answerOffer(offer.sdp, { profile: profile(name), localAddress: '192.0.2.2', rtpPort: 6000 }));
    expect([ans.negotiated.codecId, ans.negotiated.payloadType, ans.negotiated.ptimeMs]).toEqual([codec, pt, ptime]);
    const applied = applyAnswer(offer.offered, ans.sdp);
    if (!applied.ok) throw new Error(applied.reason);
    expect([applied.negotiated.codecId, applied.negotiated.payloadType, applied.negotiated.ptimeMs]).toEqual([codec, pt, ptime]);
  });

  it('a low-delay Opus offer at 5 ms is answered at 5 ms by a 20 ms Opus profile (the offerer says what it wants to receive)', () => {
    const offer = buildOffer({ profile: profile('opus-low-delay-5ms'), localAddress: '192.0.2.1', rtpPort: 5004 });
    const ans = ok(answerOffer(offer.sdp, { profile: profile('opus-music-128k'), localAddress: '192.0.2.2', rtpPort: 6000 }));
    expect(ans.negotiated.ptimeMs).toBe(5);
    expect(attributes(ans.sdp)).toContain('ptime:5');
  });
});

describe("applying baresip's real answers to our offers", () => {
  const cases: Array<[string, string, number, number, number]> = [
    // profile, codec, payload type, ptime, baresip's RTP port in the capture
    ['ebu-3326-interop', 'opus', 96, 20, 19598],
    ['l16-stereo-48k', 'L16', 96, 4, 16900],
    ['g722-voice', 'G722', 9, 20, 3166],
  ];
  it.each(cases)('profile %s: %s/%i at %i ms towards port %i', (name, codec, pt, ptime, port) => {
    const offer = buildOffer({ profile: profile(name), localAddress: '127.0.0.1', rtpPort: 40000, sessionId: '4611686018427387904', sessionVersion: '1' });
    expect(offer.sdp).toBe(fixture(`acip-offer-${name}.sdp`));
    const r = applyAnswer(offer.offered, fixture(`baresip-answer-${name}.sdp`));
    if (!r.ok) throw new Error(r.reason);
    expect([r.negotiated.codecId, r.negotiated.payloadType, r.negotiated.ptimeMs]).toEqual([codec, pt, ptime]);
    expect(r.negotiated.remote).toEqual({ address: '127.0.0.1', rtpPort: port, rtcpPort: port + 1 });
    expect(r.negotiated.direction).toBe('sendrecv');
    // baresip sends no ebuacip in answers: our own buffer settings apply.
    expect(r.negotiated.jitterBuffer.source).toBe('profile');
  });

  it("reads baresip's Opus answer as stereo both ways (stereo=1;sprop-stereo=1)", () => {
    const offer = buildOffer({ profile: profile('ebu-3326-interop'), localAddress: '127.0.0.1', rtpPort: 40000, sessionId: '4611686018427387904' });
    const r = applyAnswer(offer.offered, fixture('baresip-answer-ebu-3326-interop.sdp'));
    if (!r.ok) throw new Error(r.reason);
    expect(r.negotiated.channels).toBe(2);
    expect(r.negotiated.codecParams.channels).toBe(2);
    expect(r.negotiated.codecParams.bitrate).toBe(128000);
    expect(r.negotiated.fmtp.theirs).toBe('stereo=1;sprop-stereo=1;maxaveragebitrate=128000');
  });
});

describe('what applyAnswer refuses', () => {
  const offer = buildOffer({ profile: profile('g722-voice'), localAddress: '192.0.2.1', rtpPort: 5004, sessionId: '1' });
  const base = (m: string, lines: string[] = []) => ['v=0', 'o=- 9 9 IN IP4 192.0.2.9', 's=-', 'c=IN IP4 192.0.2.9', 't=0 0', m, ...lines, ''].join('\r\n');
  const rows: Array<[string, string, string]> = [
    ['a rejected stream (port 0)', base('m=audio 0 RTP/AVP 9'), 'SDP_NO_COMMON_CODEC'],
    ['a payload type we did not offer', base('m=audio 7000 RTP/AVP 97', ['a=rtpmap:97 L16/48000/2']), 'SDP_ANSWER_MISMATCH'],
    ['a payload type with another meaning', base('m=audio 7000 RTP/AVP 9', ['a=rtpmap:9 L16/48000/2']), 'SDP_ANSWER_MISMATCH'],
    ['two m-lines for our one', base('m=audio 7000 RTP/AVP 9', ['m=audio 7002 RTP/AVP 8']), 'SDP_ANSWER_MISMATCH'],
    ['an SRTP profile', base('m=audio 7000 RTP/SAVP 9'), 'SDP_ANSWER_MISMATCH'],
    ['not SDP at all', 'hello', 'SDP_MALFORMED'],
  ];
  it.each(rows)('%s', (_what, sdp, code) => {
    const r = applyAnswer(offer.offered, sdp);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code);
  });

  it('takes the first answered format that we offered, skipping telephone-event', () => {
    const r = applyAnswer(offer.offered, base('m=audio 7000 RTP/AVP 101 8 9', ['a=rtpmap:101 telephone-event/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:9 G722/8000']));
    if (!r.ok) throw new Error(r.reason);
    expect([r.negotiated.codecId, r.negotiated.payloadType]).toEqual(['PCMA', 8]);
  });
});

describe('Opus parameters (RFC 7587 §6.1, §7.1)', () => {
  it('sends mono to a peer that did not ask for stereo, and still asks for stereo itself', () => {
    const r = ok(answer(fixture('webrtc-gateway-opus-avpf-offer.sdp'), 'opus-music-128k'));
    expect(r.negotiated.channels).toBe(2);
    expect(r.negotiated.codecParams.channels).toBe(1);
    expect(r.negotiated.decoderParams.channels).toBe(2);
    expect(r.negotiated.fmtp.ours).toMatch(/(^|;)stereo=1(;|$)/);
    // The peer can use FEC (useinbandfec=1) and the profile wants it.
    expect(r.negotiated.codecParams.fec).toBe(true);
    // RTP/AVPF is answered as RTP/AVPF.
    expect(readSdp(r.sdp).media[0]?.protocol).toBe('RTP/AVPF');
  });

  it('sends stereo to baresip, which asks for it (stereo=1)', () => {
    const r = ok(answer(fixture('baresip-offer-ebuacip.sdp'), 'opus-music-128k'));
    expect(r.negotiated.codecParams.channels).toBe(2);
    expect(r.negotiated.codecParams.bitrate).toBe(128000);
  });

  it("caps our bit rate at the peer's maxaveragebitrate and at its b=TIAS", () => {
    const fmtpCap = ok(answer(audioOffer(['a=rtpmap:96 opus/48000/2', 'a=fmtp:96 stereo=1;maxaveragebitrate=64000'], { fmts: '96' }), 'opus-music-128k'));
    expect(fmtpCap.negotiated.codecParams.bitrate).toBe(64000);
    const tiasCap = ok(answer(audioOffer(['b=TIAS:32000', 'a=rtpmap:96 opus/48000/2'], { fmts: '96' }), 'opus-music-128k'));
    expect(tiasCap.negotiated.codecParams.bitrate).toBe(32000);
    expect(tiasCap.negotiated.peerBandwidth).toEqual({ tiasBps: 32000 });
  });

  it('sends mono from a mono profile even to a stereo peer', () => {
    const r = ok(answer(fixture('baresip-offer-ebuacip.sdp'), 'opus-voice-64k'));
    expect([r.negotiated.channels, r.negotiated.codecParams.channels]).toEqual([1, 1]);
    expect(r.negotiated.fmtp.ours).toMatch(/(^|;)stereo=0(;|$)/);
  });

  it('ignores a malformed peer fmtp with a note instead of refusing the call', () => {
    const r = ok(answer(audioOffer(['a=rtpmap:96 opus/48000/2', 'a=fmtp:96 stereo=7;x-vendor=1'], { fmts: '96' }), 'opus-music-128k'));
    expect(r.negotiated.codecParams.channels).toBe(1);
    expect(r.negotiated.notes.join('\n')).toMatch(/ignored the peer's fmtp "stereo=7;x-vendor=1"/);
  });

  it('does not take an Opus rtpmap without the mandatory /2 (RFC 7587 §7)', () => {
    const r = answer(audioOffer(['a=rtpmap:96 opus/48000'], { fmts: '96' }), 'opus-music-128k');
    expect(r.ok).toBe(false);
  });
});

describe('packet times (a=ptime, a=maxptime, a=ebuacip:plength)', () => {
  const g722 = (lines: string[]) => audioOffer(['a=rtpmap:9 G722/8000', ...lines], { fmts: '9' });
  const rows: Array<[string, string, string, number]> = [
    ['no ptime: our profile', g722([]), 'g722-voice', 20],
    ['the offer asks for 40 ms', g722(['a=ptime:40']), 'g722-voice', 40],
    ['ptime 20 but maxptime 10', g722(['a=ptime:20', 'a=maxptime:10']), 'g722-voice', 10],
    ['plength for the payload type wins over a=ptime', g722(['a=ptime:20', 'a=ebuacip:plength 9 30']), 'g722-voice', 30],
    ['an Opus ptime Opus does not allow (30 ms): our 20 ms', audioOffer(['a=rtpmap:96 opus/48000/2', 'a=ptime:30'], { fmts: '96' }), 'opus-music-128k', 20],
    ['an Opus maxptime of 10 ms', audioOffer(['a=rtpmap:96 opus/48000/2', 'a=maxptime:10'], { fmts: '96' }), 'opus-music-128k', 10],
  ];
  it.each(rows)('%s', (_what, offer, name, expected) => {
    const r = ok(answer(offer, name));
    expect(r.negotiated.ptimeMs).toBe(expected);
    expect(attributes(r.sdp)).toContain(`ptime:${expected}`);
  });

  it("keeps L16 stereo within the MTU when baresip asks for 20 ms without plength, and says so", () => {
    const r = ok(answer(fixture('baresip-offer-default.sdp'), 'l16-stereo-48k'));
    expect(r.negotiated.ptimeMs).toBe(4);
    expect(r.negotiated.notes.join('\n')).toMatch(/peer asked for 20 ms packets of L16\/48000\/2; sending 4 ms/);
  });

  it("follows baresip's plength for L16 (4 ms) without a note", () => {
    const r = ok(answer(fixture('baresip-offer-ebuacip.sdp'), 'l16-stereo-48k'));
    expect(r.negotiated.ptimeMs).toBe(4);
    expect(r.negotiated.notes).toEqual([]);
  });

  it('takes the L24 packet length from the Tieline-style plength (5 ms) over its a=ptime:20', () => {
    const r = ok(answer(fixture('tieline-style-offer.sdp'), 'ebu-3326-interop'));
    expect([r.negotiated.codecId, r.negotiated.ptimeMs]).toEqual(['L24', 5]);
  });
});

describe('directions (RFC 3264 §6.1; one-way links, EBU Tech 3368 §2.1)', () => {
  const dirs: Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];
  // offered direction, our profile's direction -> answer direction
  const expected: Record<Direction, Record<Direction, Direction>> = {
    sendrecv: { sendrecv: 'sendrecv', sendonly: 'sendonly', recvonly: 'recvonly', inactive: 'inactive' },
    sendonly: { sendrecv: 'recvonly', sendonly: 'inactive', recvonly: 'recvonly', inactive: 'inactive' },
    recvonly: { sendrecv: 'sendonly', sendonly: 'sendonly', recvonly: 'inactive', inactive: 'inactive' },
    inactive: { sendrecv: 'inactive', sendonly: 'inactive', recvonly: 'inactive', inactive: 'inactive' },
  };
  const rows = dirs.flatMap((offered) => dirs.map((ours) => [offered, ours, expected[offered][ours]] as const));

  it.each(rows)('offer %s, our profile %s: answer %s', (offered, ours, want) => {
    const p = profile('g722-voice');
    p.direction = ours;
    const r = ok(answerOffer(audioOffer(['a=rtpmap:9 G722/8000', `a=${offered}`], { fmts: '9' }), { profile: p, ...LOCAL }));
    expect(attributes(r.sdp)).toContain(want);
    expect(r.negotiated.direction).toBe(want);
    expect(r.negotiated.localSends).toBe(want === 'sendrecv' || want === 'sendonly');
    expect(r.negotiated.localReceives).toBe(want === 'sendrecv' || want === 'recvonly');
  });

  it.each(rows)('our offer %s, their answer %s: we end up %s', (ourOffer, theirAnswer) => {
    const p = profile('g722-voice');
    p.direction = ourOffer;
    const offer = buildOffer({ profile: p, ...LOCAL });
    expect(attributes(offer.sdp)).toContain(ourOffer);
    const r = applyAnswer(offer.offered, audioOffer(['a=rtpmap:9 G722/8000', `a=${theirAnswer}`], { fmts: '9' }));
    if (!r.ok) throw new Error(r.reason);
    const sends = (ourOffer === 'sendrecv' || ourOffer === 'sendonly') && (theirAnswer === 'sendrecv' || theirAnswer === 'recvonly');
    const receives = (ourOffer === 'sendrecv' || ourOffer === 'recvonly') && (theirAnswer === 'sendrecv' || theirAnswer === 'sendonly');
    expect([r.negotiated.localSends, r.negotiated.localReceives]).toEqual([sends, receives]);
    expect(r.negotiated.direction).toBe(directionOf(sends, receives));
  });

  it('reads a session-level a=inactive', () => {
    const r = ok(answer(fixture('inactive-offer.sdp'), 'g722-voice'));
    expect(r.negotiated.direction).toBe('inactive');
  });

  it('does not send to c=0.0.0.0 (RFC 3264 §8.4 hold) and says why', () => {
    const r = ok(answer(fixture('legacy-hold-offer.sdp'), 'g722-voice'));
    expect([r.negotiated.localSends, r.negotiated.localReceives, r.negotiated.direction]).toEqual([false, true, 'recvonly']);
    expect(r.negotiated.notes.join('\n')).toMatch(/0\.0\.0\.0/);
  });
});

describe('jitter buffer from the peer (a=ebuacip:jbdef)', () => {
  it("applies baresip's jbdef 0 auto 20-160 to our receive buffer", () => {
    const r = ok(answer(fixture('baresip-offer-ebuacip.sdp'), 'g722-voice'));
    expect(r.negotiated.jitterBuffer).toEqual({ mode: 'adaptive', minMs: 20, maxMs: 160, source: 'peer' });
    expect(r.negotiated.ebuacip.theirs.qosrec).toEqual(['46']);
    expect(r.negotiated.ebuacip.ours.jbdefs).toEqual([{ kind: 'jbdef', option: 0, mode: 'auto', minMs: 20, maxMs: 200 }]);
  });

  it("applies baresip's jbdef 0 fixed 20", () => {
    const r = ok(answer(fixture('baresip-offer-ebuacip-fixed.sdp'), 'g711-telephone'));
    expect(r.negotiated.jitterBuffer).toEqual({ mode: 'fixed', delayMs: 20, source: 'peer' });
  });

  it('takes the option that a=ebuacip:jb names (Tieline-style jb 1)', () => {
    const r = ok(answer(fixture('tieline-style-offer.sdp'), 'l24-stereo-48k'));
    expect(r.negotiated.jitterBuffer).toEqual({ mode: 'adaptive', minMs: 40, maxMs: 400, source: 'peer' });
    expect(r.negotiated.ebuacip.theirs.unknown).toEqual([{ name: 'fec', value: '0' }]);
  });

  it('keeps the profile buffer when the profile does not accept the peer jbdef', () => {
    const p = profile('g722-voice');
    p.acceptPeerJbdef = false;
    const r = ok(answerOffer(fixture('baresip-offer-ebuacip.sdp'), { profile: p, ...LOCAL }));
    expect(r.negotiated.jitterBuffer).toEqual({ ...p.jitterBuffer, source: 'profile' });
  });

  it('keeps the profile buffer when the peer sends no jbdef, and notes a malformed one', () => {
    const r = ok(answer(audioOffer(['a=rtpmap:9 G722/8000', 'a=ebuacip:jbdef 0 auto 90-10'], { fmts: '9' }), 'g722-voice'));
    expect(r.negotiated.jitterBuffer.source).toBe('profile');
    expect(r.negotiated.notes.join('\n')).toMatch(/ignored a=ebuacip:jbdef 0 auto 90-10/);
  });
});

describe('remote addresses and vendor quirks', () => {
  it('uses the session-level c= when the media has none (Tieline-style), media-level otherwise', () => {
    expect(ok(answer(fixture('tieline-style-offer.sdp'), 'g722-voice')).negotiated.remote.address).toBe('198.51.100.7');
    expect(ok(answer(fixture('webrtc-gateway-opus-avpf-offer.sdp'), 'g722-voice')).negotiated.remote.address).toBe('203.0.113.20');
  });

  it('honours RFC 3605 a=rtcp (port and address), else RTP port + 1', () => {
    const v6 = ok(answer(fixture('video-and-audio-offer.sdp'), 'g711-telephone')).negotiated.remote;
    expect(v6).toEqual({ address: '2001:db8::1', rtpPort: 49170, rtcpPort: 53020, rtcpAddress: '2001:db8::2' });
    expect(ok(answer(fixture('sipp-uac-offer.sdp'), 'g711-telephone')).negotiated.remote).toEqual({ address: '127.0.0.1', rtpPort: 6000, rtcpPort: 6001 });
  });

  it('answers every m-line: the chosen one with our port, the others with port 0 and their formats', () => {
    const r = ok(answer(fixture('video-and-audio-offer.sdp'), 'g711-telephone'));
    expect(r.sdp).toContain('\r\nm=audio 0 RTP/AVP 0\r\nm=video 0 RTP/AVP 99\r\nm=audio 20000 RTP/AVP 8\r\n');
    const s = ok(answer(fixture('savp-and-avp-offer.sdp'), 'g722-voice'));
    expect(s.sdp).toContain('\r\nm=audio 0 RTP/SAVP 9 8\r\nm=audio 20000 RTP/AVP 9\r\n');
    expect(s.negotiated.remote.rtpPort).toBe(7002);
  });

  it("tolerates MPA fmtp keys, vendor attributes and 20-digit o= ids (Comrex-style), keeping the ids as strings", () => {
    const r = ok(answer(fixture('comrex-style-offer.sdp'), 'ebu-3326-interop'));
    expect(r.remoteOrigin.sessionId).toBe('18446744073709551615');
    expect(r.remoteOrigin.sessionVersion).toBe('18446744073709551614');
    const view = readSdp(fixture('comrex-style-offer.sdp'));
    expect(view.media[0]?.otherAttributes).toEqual(['x-comrex-profile:EBU3326', 'x-comrex-fec:off']);
    expect(view.media[0]?.formats[0]).toEqual({ payloadType: 14, encodingName: 'MPA', clockRate: 90000, fmtp: 'layer=2;bitrate=256000;mode=stereo;samplerate=48000', fromStaticTable: false });
  });

  it('reads static payload types without rtpmap from the RFC 3551 table', () => {
    const r = ok(answer(fixture('static-pt-no-rtpmap-offer.sdp'), 'g711-telephone'));
    expect([r.negotiated.codecId, r.negotiated.payloadType]).toEqual(['PCMA', 8]);
    expect(attributes(r.sdp)).toContain('rtpmap:8 PCMA/8000');
  });

  it('answers G.722 with rtpmap G722/8000 while the audio runs at 16 kHz (RFC 3551 §4.5.2)', () => {
    const r = ok(answer(fixture('baresip-offer-mpa.sdp'), 'g722-voice'));
    expect([r.negotiated.rtpClockRate, r.negotiated.audioSampleRate]).toEqual([8000, 16000]);
    expect(attributes(r.sdp)).toContain('rtpmap:9 G722/8000');
  });

  it('ignores telephone-event in the choice', () => {
    const r = answer(audioOffer(['a=rtpmap:101 telephone-event/8000', 'a=rtpmap:8 PCMA/8000'], { fmts: '101 8' }), 'g711-telephone');
    expect(r.ok && r.negotiated.payloadType).toBe(8);
  });
});

describe('rejections (488 with a Warning, RFC 3261 §20.43)', () => {
  it('says what was offered and what we support when nothing is in common', () => {
    const r = answer(fixture('mpa-only-offer.sdp'), 'opus-music-128k');
    expect(r).toEqual({
      ok: false,
      status: 488,
      code: 'SDP_NO_COMMON_CODEC',
      reason: 'Incompatible media format: offered MPA/90000, mpa-robust/90000; we support opus/48000/2',
      warning: { code: 305, text: 'Incompatible media format: offered MPA/90000, mpa-robust/90000; we support opus/48000/2' },
    });
  });

  it("lists the interop profile's codecs in its order and leaves telephone-event out of what was offered", () => {
    const r = answerOffer(fixture('sipp-uac-offer.sdp'), { profile: profile('l24-stereo-48k'), ...LOCAL });
    if (r.ok) throw new Error('expected 488');
    expect(r.warning).toEqual({ code: 305, text: 'Incompatible media format: offered PCMU/8000; we support L24/48000/2' });
    const i = answer(fixture('baresip-offer-mpa.sdp'), 'opus-music-128k');
    if (i.ok) throw new Error('expected 488');
    expect(i.reason).toBe('Incompatible media format: offered MPA/90000, G722/8000; we support opus/48000/2');
  });

  it('refuses SRTP-only offers and says SRTP is not supported', () => {
    for (const f of ['baresip-offer-srtp.sdp', 'webrtc-chrome-dtls-offer.sdp']) {
      const r = answer(fixture(f), 'ebu-3326-interop');
      if (r.ok) throw new Error('expected 488');
      expect([r.status, r.code]).toEqual([488, 'SDP_SRTP_UNSUPPORTED']);
      expect(r.warning.code).toBe(302);
      expect(r.warning.text).toMatch(/^Incompatible transport protocol: .*SAVP.* \(SRTP\) is not supported; offer RTP\/AVP or RTP\/AVPF$/);
    }
  });

  it('refuses an offer without audio (warn-code 304)', () => {
    const r = answer(fixture('video-only-offer.sdp'), 'g711-telephone');
    if (r.ok) throw new Error('expected 488');
    expect(r.warning).toEqual({ code: 304, text: 'Media type not available: no audio stream offered (offered video)' });
  });

  it('refuses other transports (warn-code 302)', () => {
    const r = answer(audioOffer(['a=rtpmap:9 G722/8000'], { fmts: '9', proto: 'udp' }), 'g722-voice');
    if (r.ok) throw new Error('expected 488');
    expect([r.code, r.warning]).toEqual(['SDP_UNSUPPORTED_TRANSPORT', { code: 302, text: 'Incompatible transport protocol: udp; we support RTP/AVP, RTP/AVPF' }]);
  });

  const malformed: Array<[string, string, RegExp]> = [
    ['an empty body', '', /empty session description/],
    ['text that is not SDP', 'hello world\r\n', /v=0/],
    ['no o= line', 'v=0\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n', /o=/],
    ['an m= line with a port range', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5004/2 RTP/AVP 0\r\n', /m-line 0/],
    ['an m= line without formats', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5004 RTP/AVP\r\n', /no formats/],
    ['no c= anywhere', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n', /no c= line/],
    ['a body over 64 KiB', audioOffer(['a=x:' + 'y'.repeat(70000)]), /larger than/],
  ];
  it.each(malformed)('answers %s with 400 and a 399 warning', (_what, sdp, reason) => {
    const r = answer(sdp, 'g711-telephone');
    if (r.ok) throw new Error('expected a rejection');
    expect([r.status, r.code]).toEqual([400, 'SDP_MALFORMED']);
    expect(r.reason).toMatch(reason);
    expect(r.warning.code).toBe(399);
    expect(r.warning.text.startsWith('Malformed SDP: ')).toBe(true);
  });
});

describe('mid-call changes (RFC 3264 §8)', () => {
  function call(): { uac: ReturnType<typeof buildOffer>; uas: AnswerOk; negotiated: NegotiatedMedia } {
    const uac = buildOffer({ profile: profile('ebu-3326-interop'), localAddress: '192.0.2.1', rtpPort: 5004, sessionId: '12345678901234567890', sessionVersion: '98765432109876543210' });
    const uas = ok(answerOffer(uac.sdp, { profile: profile('ebu-3326-interop'), localAddress: '192.0.2.2', rtpPort: 6000, sessionId: '555', sessionVersion: '7' }));
    const applied = applyAnswer(uac.offered, uas.sdp);
    if (!applied.ok) throw new Error(applied.reason);
    return { uac, uas, negotiated: applied.negotiated };
  }

  it('changes codec by re-offer: same session id, version + 1 (exact on 20 digits), new codec on both sides', () => {
    const { uac, uas, negotiated } = call();
    expect(negotiated.codecId).toBe('opus');
    const re = buildReoffer(uac.offered, profile('g722-voice'));
    expect(re.sdp).toContain('\r\no=- 12345678901234567890 98765432109876543211 IN IP4 192.0.2.1\r\n');
    expect(re.sdp).toContain('\r\nm=audio 5004 RTP/AVP 9 8 0\r\n');
    // The answerer keeps its profile (which includes G.722) and its own o= id, version + 1.
    const reAnswer = ok(answerOffer(re.sdp, { profile: profile('ebu-3326-interop'), localAddress: '192.0.2.2', rtpPort: 6000, previous: uas.local }));
    expect(reAnswer.sdp).toContain('\r\no=- 555 8 IN IP4 192.0.2.2\r\n');
    expect(reAnswer.remoteOrigin.sessionVersion).toBe('98765432109876543211');
    expect(reAnswer.negotiated.codecId).toBe('G722');
    const applied = applyAnswer(re.offered, reAnswer.sdp);
    if (!applied.ok) throw new Error(applied.reason);
    expect([applied.negotiated.codecId, applied.negotiated.payloadType, applied.negotiated.audioSampleRate]).toEqual(['G722', 9, 16000]);
  });

  it('puts the call on hold by re-offer with sendonly and takes it back with sendrecv', () => {
    const { uac, uas } = call();
    const hold = buildReoffer(uac.offered, undefined, { direction: 'sendonly' });
    expect(attributes(hold.sdp)).toContain('sendonly');
    const held = ok(answerOffer(hold.sdp, { profile: profile('ebu-3326-interop'), localAddress: '192.0.2.2', rtpPort: 6000, previous: uas.local }));
    expect(held.negotiated.direction).toBe('recvonly');
    const resume = buildReoffer(hold.offered);
    expect(resume.offered.origin.sessionVersion).toBe('98765432109876543212');
    expect(attributes(resume.sdp)).toContain('sendrecv');
  });

  it('keeps the o= version when a re-offer or re-answer describes the same session (a refresh)', () => {
    const { uac, uas } = call();
    const refresh = buildReoffer(uac.offered);
    expect(refresh.offered.origin.sessionVersion).toBe('98765432109876543210');
    expect(refresh.sdp).toBe(uac.sdp);
    const reAnswer = ok(answerOffer(refresh.sdp, { profile: profile('ebu-3326-interop'), localAddress: '192.0.2.2', rtpPort: 6000, previous: uas.local }));
    expect(reAnswer.local.origin).toEqual(uas.local.origin);
    expect(reAnswer.sdp).toBe(uas.sdp);
    // The UAS may re-offer itself from its answer state: a different description, so version + 1.
    const uasOffer = buildReoffer(uas.local);
    expect(uasOffer.sdp).toContain('\r\no=- 555 8 IN IP4 192.0.2.2\r\n');
  });

  it('moves to another port in a re-offer and drops an a=rtcp that belonged to the old one', () => {
    const first = buildOffer({ profile: profile('g711-telephone'), localAddress: '192.0.2.1', rtpPort: 5004, rtcpPort: 5011 });
    expect(attributes(first.sdp)).toContain('rtcp:5011');
    const moved = buildReoffer(first.offered, undefined, { rtpPort: 7000 });
    expect(moved.sdp).toContain('\r\nm=audio 7000 ');
    expect(attributes(moved.sdp).some((a) => a.startsWith('rtcp:'))).toBe(false);
  });
});

describe('NegotiatedMedia is plain data', () => {
  it('survives structuredClone and JSON unchanged (it crosses to a worker thread)', () => {
    const r = ok(answer(fixture('baresip-offer-ebuacip.sdp'), 'ebu-3326-interop'));
    expect(structuredClone(r.negotiated)).toEqual(r.negotiated);
    expect(JSON.parse(JSON.stringify(r.negotiated))).toEqual(r.negotiated);
  });
});

describe('resolving a profile more than once', () => {
  it('gives each caller its own parameters, equal to the first resolution', async () => {
    const { resolveProfile } = await import('../../server/sdp/codec-match.js');
    const { codecRegistry } = await import('../../server/codecs/registry.js');
    const p = profile(profileNames[0]!);
    const a = resolveProfile(p, codecRegistry);
    const b = resolveProfile(p, codecRegistry);
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
    a[0]!.params.ptimeMs = 999;
    expect(resolveProfile(p, codecRegistry)[0]!.params.ptimeMs).not.toBe(999);
  });
});
