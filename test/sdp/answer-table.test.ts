/**
 * Every real-world offer in test/fixtures/sdp against every shipped profile: which codec we answer
 * with (and with which payload type, the offerer's: RFC 3264 §6.1), or which 488 and why.
 */
import { describe, expect, it } from 'vitest';
import { answerOffer, type AnswerResult } from '../../server/sdp/offer-answer.js';
import { readSdp } from '../../server/sdp/sdp-model.js';
import { fixture, profile, profileNames } from './helpers.js';

type Expect = string; // 'CODEC/PT' or '488 CODE'

const NO = '488 SDP_NO_COMMON_CODEC';
const SRTP = '488 SDP_SRTP_UNSUPPORTED';
const NOAUDIO = '488 SDP_NO_AUDIO';

// Columns: the eight shipped profiles.
const P = ['ebu-3326-interop', 'g711-telephone', 'g722-voice', 'l16-stereo-48k', 'l24-stereo-48k', 'opus-low-delay-5ms', 'opus-music-128k', 'opus-voice-64k'] as const;

const table: Array<[string, [Expect, Expect, Expect, Expect, Expect, Expect, Expect, Expect]]> = [
  //                                      interop      g711      g722      l16        l24       opus-ld   opus-music opus-voice
  ['baresip-offer-default.sdp', ['opus/96', 'PCMA/8', 'G722/9', 'L16/97', NO, 'opus/96', 'opus/96', 'opus/96']],
  ['baresip-offer-ebuacip.sdp', ['opus/96', 'PCMA/8', 'G722/9', 'L16/97', NO, 'opus/96', 'opus/96', 'opus/96']],
  ['baresip-offer-ebuacip-fixed.sdp', ['PCMA/8', 'PCMA/8', 'PCMA/8', NO, NO, NO, NO, NO]],
  ['baresip-offer-mpa.sdp', ['G722/9', NO, 'G722/9', NO, NO, NO, NO, NO]],
  ['baresip-offer-srtp.sdp', [SRTP, SRTP, SRTP, SRTP, SRTP, SRTP, SRTP, SRTP]],
  ['sipp-uac-offer.sdp', ['PCMU/0', 'PCMU/0', 'PCMU/0', NO, NO, NO, NO, NO]],
  ['comrex-style-offer.sdp', ['L24/97', 'PCMA/8', 'G722/9', 'L16/98', 'L24/97', NO, NO, NO]],
  ['tieline-style-offer.sdp', ['L24/96', 'PCMA/8', 'G722/9', NO, 'L24/96', NO, NO, NO]],
  ['mpa-only-offer.sdp', [NO, NO, NO, NO, NO, NO, NO, NO]],
  ['webrtc-gateway-opus-avpf-offer.sdp', ['opus/111', 'PCMA/8', 'G722/9', NO, NO, 'opus/111', 'opus/111', 'opus/111']],
  ['webrtc-chrome-dtls-offer.sdp', [SRTP, SRTP, SRTP, SRTP, SRTP, SRTP, SRTP, SRTP]],
  ['savp-and-avp-offer.sdp', ['G722/9', 'PCMA/8', 'G722/9', NO, NO, NO, NO, NO]],
  ['video-and-audio-offer.sdp', ['PCMA/8', 'PCMA/8', 'PCMA/8', NO, NO, NO, NO, NO]],
  ['video-only-offer.sdp', [NOAUDIO, NOAUDIO, NOAUDIO, NOAUDIO, NOAUDIO, NOAUDIO, NOAUDIO, NOAUDIO]],
  ['sendonly-offer.sdp', ['G722/9', 'PCMA/8', 'G722/9', NO, NO, NO, NO, NO]],
  ['recvonly-offer.sdp', ['G722/9', 'PCMA/8', 'G722/9', NO, NO, NO, NO, NO]],
  ['inactive-offer.sdp', ['G722/9', 'PCMA/8', 'G722/9', NO, NO, NO, NO, NO]],
  ['legacy-hold-offer.sdp', ['G722/9', 'PCMA/8', 'G722/9', NO, NO, NO, NO, NO]],
  ['static-pt-no-rtpmap-offer.sdp', ['PCMA/8', 'PCMA/8', 'PCMA/8', NO, NO, NO, NO, NO]],
];

function outcome(r: AnswerResult): Expect {
  return r.ok ? `${r.negotiated.codecId}/${r.negotiated.payloadType}` : `${r.status} ${r.code}`;
}

const rows = table.flatMap(([file, expected]) => P.map((p, i) => [file, p, expected[i] as Expect] as const));

describe('answering real-world offers with each shipped profile', () => {
  it('covers every shipped profile', () => {
    expect([...P].sort()).toEqual(profileNames);
  });

  it.each(rows)('%s answered with profile %s gives %s', (file, profileName, expected) => {
    const offer = fixture(file);
    const r = answerOffer(offer, { profile: profile(profileName), localAddress: '192.0.2.200', rtpPort: 20000, sessionId: '5', sessionVersion: '1' });
    expect(outcome(r)).toBe(expected);
    if (!r.ok) {
      // RFC 3261 §20.43: a 3xx warn-code, and the reason as the warn-text (the SIP layer quotes it).
      expect(r.warning.code).toBeGreaterThanOrEqual(300);
      expect(r.warning.code).toBeLessThanOrEqual(399);
      expect(r.warning.text).toBe(r.reason);
      return;
    }
    // The answer is valid SDP with as many m-lines as the offer, in the same order (RFC 3264 §6).
    const answer = readSdp(r.sdp);
    const offered = readSdp(offer);
    expect(answer.media.map((m) => m.type)).toEqual(offered.media.map((m) => m.type));
    const accepted = answer.media.filter((m) => m.port !== 0);
    expect(accepted).toHaveLength(1);
    const a = accepted[0];
    if (!a) throw new Error('unreachable');
    expect(a.port).toBe(20000);
    // Exactly one codec, under the offerer's payload type number.
    expect(a.formats.map((f) => f.payloadType)).toEqual([r.negotiated.payloadType]);
    const sameInOffer = offered.media[a.index]?.formats.find((f) => f.payloadType === r.negotiated.payloadType);
    expect(a.formats[0]?.encodingName?.toLowerCase()).toBe(sameInOffer?.encodingName?.toLowerCase());
    expect(a.formats[0]?.clockRate).toBe(sameInOffer?.clockRate);
    // Our own ebuacip lines are always there.
    expect(a.ebuacip.slice(0, 3)).toEqual(['version 0', 'jb 0', expect.stringMatching(/^jbdef 0 /)]);
    // The remote end is what the offer's (media, else session) c= and m= say.
    expect(r.negotiated.remote.rtpPort).toBe(offered.media[a.index]?.port);
  });
});
