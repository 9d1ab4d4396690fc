/**
 * Loss recovery in offer/answer: RED (RFC 2198 §5), RTX (RFC 4588 §8) with generic NACK feedback
 * (RFC 4585 §4.2) are offered on RTP/AVP when the profile asks, answered when both sides list them
 * for the chosen codec, and never forced on a peer that does not.
 */
import { describe, expect, it } from 'vitest';
import { answerOffer, applyAnswer, buildOffer, type NegotiatedMedia } from '../../server/sdp/offer-answer.js';
import type { Profile } from '../../server/config/profile-schema.js';
import { attributes, audioOffer, profile } from './helpers.js';

function withRedundancy(base: string, redundancy: Profile['redundancy']): Profile {
  const p = profile(base);
  return redundancy ? { ...p, redundancy } : p;
}

const OPUS_WEBRTC_LIKE = [
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 stereo=1;maxaveragebitrate=128000',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:112 rtx/48000',
  'a=fmtp:112 apt=111;rtx-time=300',
  'a=rtcp-fb:111 nack',
];

const local = { localAddress: '192.0.2.1', rtpPort: 5004 };

describe('our offer', () => {
  it('adds a RED format around the preferred codec, an RTX format per codec and a NACK line each, on RTP/AVP', () => {
    const p = withRedundancy('opus-music-128k', { red: { depth: 2, distance: 1 }, rtx: true });
    const { sdp, offered } = buildOffer({ profile: p, ...local });
    const codecPt = offered.codecs[0]!.payloadType;
    expect(sdp).toMatch(/^m=audio 5004 RTP\/AVP /m);
    const attrs = attributes(sdp);
    const red = offered.recovery!.red!;
    expect(attrs).toContain(`rtpmap:${red.payloadType} red/48000/2`);
    expect(attrs).toContain(`fmtp:${red.payloadType} ${codecPt}/${codecPt}/${codecPt}`);
    for (const c of offered.codecs) {
      const rtx = offered.recovery!.rtx.find((r) => r.apt === c.payloadType)!;
      expect(attrs).toContain(`rtpmap:${rtx.payloadType} rtx/48000`);
      expect(attrs).toContain(`fmtp:${rtx.payloadType} apt=${c.payloadType};rtx-time=1000`);
      expect(attrs).toContain(`rtcp-fb:${c.payloadType} nack`);
    }
    // Every payload type is used once, codecs first in the m-line.
    const fmts = /^m=audio \d+ RTP\/AVP (.*)$/m.exec(sdp)![1]!.trim().split(' ').map(Number);
    expect(new Set(fmts).size).toBe(fmts.length);
    expect(fmts[0]).toBe(codecPt);
  });

  it.each<[string, Profile['redundancy']]>([
    ['no redundancy key', undefined],
    ['only a duplicated stream (set up from configuration, not SDP)', { duplicate: true }],
    ['RTX switched off', { rtx: false }],
  ])('offers nothing extra with %s', (_what, redundancy) => {
    const { sdp, offered } = buildOffer({ profile: withRedundancy('opus-music-128k', redundancy), ...local });
    expect(sdp).not.toMatch(/red\/|rtx\/|rtcp-fb/);
    expect(offered.recovery).toBeUndefined();
  });
});

describe('answering an offer', () => {
  const CASES: [what: string, redundancy: Profile['redundancy'], lines: string[], expected: NegotiatedMedia['recovery']][] = [
    ['RED and RTX both listed and wanted', { red: { depth: 1, distance: 2 }, rtx: true }, OPUS_WEBRTC_LIKE, { red: { payloadType: 63, depth: 1, distance: 2 }, rtx: { payloadType: 112, rtxTimeMs: 300 } }],
    ['only RED wanted', { red: { depth: 1, distance: 1 } }, OPUS_WEBRTC_LIKE, { red: { payloadType: 63, depth: 1, distance: 1 } }],
    ['only RTX wanted', { rtx: true }, OPUS_WEBRTC_LIKE, { rtx: { payloadType: 112, rtxTimeMs: 300 } }],
    ['nothing wanted', undefined, OPUS_WEBRTC_LIKE, undefined],
    ['RTX listed without NACK feedback', { rtx: true }, OPUS_WEBRTC_LIKE.filter((l) => !l.startsWith('a=rtcp-fb')), undefined],
    ['NACK for every payload type (*)', { rtx: true }, [...OPUS_WEBRTC_LIKE.filter((l) => !l.startsWith('a=rtcp-fb')), 'a=rtcp-fb:* nack'], { rtx: { payloadType: 112, rtxTimeMs: 300 } }],
    ['RED around another codec', { red: { depth: 1, distance: 1 } }, ['a=rtpmap:111 opus/48000/2', 'a=rtpmap:63 red/48000/2', 'a=fmtp:63 0/0'], undefined],
    ['a RED format without its fmtp', { red: { depth: 1, distance: 1 } }, ['a=rtpmap:111 opus/48000/2', 'a=rtpmap:63 red/48000/2'], undefined],
    ['a plain offer', { red: { depth: 1, distance: 1 }, rtx: true }, ['a=rtpmap:111 opus/48000/2'], undefined],
  ];

  it.each(CASES)('with %s', (_what, redundancy, lines, expected) => {
    const fmts = [...new Set(lines.map((l) => /^a=(?:rtpmap|fmtp):(\d+)/.exec(l)?.[1]).filter((x): x is string => x !== undefined))].join(' ');
    const res = answerOffer(audioOffer(lines, { fmts }), { profile: withRedundancy('opus-music-128k', redundancy), ...local });
    if (!res.ok) throw new Error(res.reason);
    expect(res.negotiated.payloadType).toBe(111);
    expect(res.negotiated.recovery).toEqual(expected);
    const attrs = attributes(res.sdp);
    // The answer lists exactly what is in force, under the offerer's numbers (RFC 3264 §6.1).
    expect(attrs.some((a) => /^rtpmap:63 red\/48000\/2$/.test(a))).toBe(expected?.red !== undefined);
    expect(attrs.some((a) => /^rtpmap:112 rtx\/48000$/.test(a))).toBe(expected?.rtx !== undefined);
    expect(attrs.includes('rtcp-fb:111 nack')).toBe(expected?.rtx !== undefined);
    // RED and RTX are never chosen as the codec.
    expect(res.sdp).toMatch(/^m=audio 5004 RTP\/AVP 111\b/m);
  });
});

describe('reading the answer to our offer', () => {
  const p = withRedundancy('opus-music-128k', { red: { depth: 1, distance: 1 }, rtx: true });
  const { offered } = buildOffer({ profile: p, ...local });
  const pt = offered.codecs[0]!.payloadType;
  const red = offered.recovery!.red!.payloadType;
  const rtx = offered.recovery!.rtx.find((r) => r.apt === pt)!.payloadType;
  const answer = (lines: string[], fmts: string) => audioOffer([`a=rtpmap:${pt} opus/48000/2`, ...lines], { fmts });

  it.each<[string, string[], string, NegotiatedMedia['recovery']]>([
    ['kept RED and RTX with NACK', [`a=rtpmap:${red} red/48000/2`, `a=fmtp:${red} ${pt}/${pt}`, `a=rtpmap:${rtx} rtx/48000`, `a=fmtp:${rtx} apt=${pt}`, `a=rtcp-fb:${pt} nack`], `${pt} ${red} ${rtx}`, { red: { payloadType: red, depth: 1, distance: 1 }, rtx: { payloadType: rtx, rtxTimeMs: 1000 } }],
    ['kept only RED', [`a=rtpmap:${red} red/48000/2`, `a=fmtp:${red} ${pt}/${pt}`], `${pt} ${red}`, { red: { payloadType: red, depth: 1, distance: 1 } }],
    ['answered plain (a SIP peer that knows neither)', [], `${pt}`, undefined],
    ['renumbered RED (not what we offered)', [`a=rtpmap:120 red/48000/2`, `a=fmtp:120 ${pt}/${pt}`], `${pt} 120`, undefined],
  ])('that %s', (_what, lines, fmts, expected) => {
    const res = applyAnswer(offered, answer(lines, fmts));
    if (!res.ok) throw new Error(res.reason);
    expect(res.negotiated.payloadType).toBe(pt);
    expect(res.negotiated.recovery).toEqual(expected);
  });
});
