/**
 * Dual-path streaming in offer/answer: two audio m-lines grouped by a=group:DUP (RFC 7104 §3, RFC
 * 5888 §5) with the same formats, the second on the second path's port and address. An answer that
 * groups both gives the peer's second address; one without the group (RFC 5888 §9.2) or with the
 * second line at port 0 leaves a single path. An offer's group we cannot or will not run gets its
 * second line refused with port 0 (RFC 3264 §6), never a 488; an unreadable group is ignored.
 */
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../server/config/profile-schema.js';
import { answerOffer, applyAnswer, buildOffer, buildReoffer, type AnswerOk, type DualPathOutcome, type SecondPath } from '../../server/sdp/offer-answer.js';
import { readDupGroup } from '../../server/sdp/negotiate/grouping.js';
import { readSdp } from '../../server/sdp/sdp-model.js';
import { fixture, profile } from './helpers.js';

function dupProfile(name = 'opus-music-128k', duplicate = true): Profile {
  const p = profile(name);
  return duplicate ? { ...p, redundancy: { duplicate: true } } : p;
}

const OURS = { localAddress: '192.0.2.1', rtpPort: 5004 };
const OUR_SECOND: SecondPath = { address: '198.51.100.1', rtpPort: 6004, rtcpPort: 6005 };
const PEER = { localAddress: '192.0.2.2', rtpPort: 7004 };
const PEER_SECOND: SecondPath = { address: '203.0.113.2', rtpPort: 8004 };

/** The m= lines of a body. */
function mLines(sdp: string): string[] {
  return sdp.split('\r\n').filter((l) => l.startsWith('m='));
}

/** The a= lines of each m-line section (without `a=`). */
function sections(sdp: string): { m: string; c?: string; attrs: string[] }[] {
  const out: { m: string; c?: string; attrs: string[] }[] = [];
  for (const l of sdp.split('\r\n')) {
    if (l.startsWith('m=')) out.push({ m: l, attrs: [] });
    else if (out.length > 0 && l.startsWith('c=')) out[out.length - 1]!.c = l;
    else if (out.length > 0 && l.startsWith('a=')) out[out.length - 1]!.attrs.push(l.slice(2));
  }
  return out;
}

function sessionAttrs(sdp: string): string[] {
  const head = sdp.split('\r\nm=')[0]!;
  return head.split('\r\n').filter((l) => l.startsWith('a=')).map((l) => l.slice(2));
}

function answered(offerSdp: string, p: Profile, second?: SecondPath): AnswerOk {
  const r = answerOffer(offerSdp, { profile: p, ...PEER, ...(second ? { secondPath: second } : {}) });
  if (!r.ok) throw new Error(`refused: ${r.status} ${r.reason}`);
  return r;
}

describe('our offer with a second path', () => {
  it('has two audio m-lines grouped with a=group:DUP, the same formats, and the second path on the second', () => {
    const { sdp, offered } = buildOffer({ profile: dupProfile(), ...OURS, secondPath: OUR_SECOND });
    expect(sessionAttrs(sdp)).toContain('group:DUP 1 2');
    const [first, second] = sections(sdp);
    expect(mLines(sdp)).toHaveLength(2);
    expect(first!.m).toMatch(/^m=audio 5004 RTP\/AVP (\d+)$/);
    expect(second!.m).toBe(first!.m.replace('5004', '6004'));
    expect(first!.c).toBeUndefined();
    expect(second!.c).toBe('c=IN IP4 198.51.100.1');
    expect(first!.attrs).toContain('mid:1');
    expect(second!.attrs).toContain('mid:2');
    // RFC 7104 §3: the copy carries the same stream: every other attribute is the same.
    const strip = (a: string[]) => a.filter((x) => !x.startsWith('mid:'));
    expect(strip(second!.attrs)).toEqual(strip(first!.attrs));
    expect(offered.dupLine).toEqual({ ...OUR_SECOND, mids: ['1', '2'] });
  });

  it.each<[string, Profile, SecondPath | undefined]>([
    ['the profile does not duplicate', dupProfile('opus-music-128k', false), OUR_SECOND],
    ['no second path is open', dupProfile(), undefined],
  ])('is a single m-line without a group when %s', (_why, p, second) => {
    const { sdp, offered } = buildOffer({ profile: p, ...OURS, ...(second ? { secondPath: second } : {}) });
    expect(mLines(sdp)).toHaveLength(1);
    expect(sdp).not.toMatch(/a=group|a=mid/);
    expect(offered.dupLine).toBeUndefined();
  });

  it('writes no media-level c= for a second path on the session address, and a=rtcp when its RTCP is not next', () => {
    const { sdp } = buildOffer({ profile: dupProfile(), ...OURS, secondPath: { address: OURS.localAddress, rtpPort: 6004, rtcpPort: 6100 } });
    const second = sections(sdp)[1]!;
    expect(second.c).toBeUndefined();
    expect(second.attrs).toContain('rtcp:6100');
  });

  it('carries the same a=crypto key on both lines, since both paths run one SRTP key', () => {
    const p: Profile = { ...dupProfile(), srtp: 'optional' };
    const { sdp } = buildOffer({ profile: p, ...OURS, secondPath: OUR_SECOND, signalling: 'tls' });
    const [first, second] = sections(sdp);
    const crypto = (a: string[]) => a.filter((x) => x.startsWith('crypto:'));
    expect(crypto(first!.attrs).length).toBeGreaterThan(0);
    expect(crypto(second!.attrs)).toEqual(crypto(first!.attrs));
  });
});

describe('answering an offer with a=group:DUP', () => {
  const offer = fixture('dup-group-offer.sdp');

  it('accepts both lines with the offer’s tags when the profile duplicates and a second path is open', () => {
    const r = answered(offer, dupProfile(), PEER_SECOND);
    expect(sessionAttrs(r.sdp)).toContain('group:DUP S1a S1b');
    const [first, second] = sections(r.sdp);
    expect(first!.m).toBe('m=audio 7004 RTP/AVP 96');
    expect(second!.m).toBe('m=audio 8004 RTP/AVP 96');
    expect(second!.c).toBe('c=IN IP4 203.0.113.2');
    expect([first!.attrs.includes('mid:S1a'), second!.attrs.includes('mid:S1b')]).toEqual([true, true]);
    expect(r.negotiated.remote).toMatchObject({ address: '192.0.2.10', rtpPort: 30000 });
    expect(r.negotiated.dualPath).toEqual({ signalled: true, remote: { address: '203.0.113.10', rtpPort: 30002, rtcpPort: 30003 }, local: { rtpPort: 8004 } });
    expect(r.local.dupLine).toEqual({ ...PEER_SECOND, mids: ['S1a', 'S1b'] });
  });

  const G = ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0'];
  const line = (port: number, mid: string | undefined, fmts = '8', extra: string[] = []) => [`m=audio ${port} RTP/AVP ${fmts}`, ...(mid !== undefined ? [`a=mid:${mid}`] : []), ...extra];
  const body = (lines: string[]) => `${lines.join('\r\n')}\r\n`;
  const PCMA = dupProfile('g711-telephone');

  // Offer, expected m= port of our second line (0: refused), expected outcome (signalled, or the reason's words).
  const cases: [string, string, number, boolean | RegExp, boolean?][] = [
    ['both lines usable', body([...G, 'a=group:DUP a b', ...line(4000, 'a'), ...line(4002, 'b')]), 8004, true],
    ['the group in the other order', body([...G, 'a=group:DUP b a', ...line(4000, 'a'), ...line(4002, 'b')]), 8004, true],
    ['a group of three lines (the first two are used)', body([...G, 'a=group:DUP a b c', ...line(4000, 'a'), ...line(4002, 'b'), ...line(4004, 'c')]), 8004, true],
    ['hostile but valid tags (__proto__, constructor)', body([...G, 'a=group:DUP __proto__ constructor', ...line(4000, '__proto__'), ...line(4002, 'constructor')]), 8004, true],
    ['the second line at port 0', body([...G, 'a=group:DUP a b', ...line(4000, 'a'), ...line(0, 'b')]), 0, /port 0/],
    ['the second line without our codec', body([...G, 'a=group:DUP a b', ...line(4000, 'a'), ...line(4002, 'b', '0')]), 0, /does not carry PCMA/],
    ['the second line on another transport', body([...G, 'a=group:DUP a b', ...line(4000, 'a'), 'm=audio 4002 RTP/AVPF 8', 'a=mid:b']), 0, /RTP\/AVPF/],
    ['the second line on hold (c=0.0.0.0)', body([...G, 'a=group:DUP a b', ...line(4000, 'a'), ...line(4002, 'b', '8', []).slice(0, 1), 'c=IN IP4 0.0.0.0', 'a=mid:b']), 0, /no usable c=/],
    ['no group at all', body([...G, ...line(4000, 'a'), ...line(4002, 'b')]), 0, /no a=group:DUP/],
    ['a group line without tags', body([...G, 'a=group:DUP', ...line(4000, 'a'), ...line(4002, 'b')]), 0, /malformed/, true],
    ['a group of one line', body([...G, 'a=group:DUP a', ...line(4000, 'a'), ...line(4002, 'b')]), 0, /needs two/, true],
    ['a tag no m-line carries', body([...G, 'a=group:DUP a z', ...line(4000, 'a'), ...line(4002, 'b')]), 0, /no m-line has a=mid/, true],
    ['the same tag on both lines', body([...G, 'a=group:DUP a b', ...line(4000, 'a'), ...line(4002, 'a')]), 0, /no m-line has a=mid:"b"|on 2 m-lines/, true],
    ['a group naming one tag twice', body([...G, 'a=group:DUP a a', ...line(4000, 'a'), ...line(4002, 'b')]), 0, /twice/, true],
    ['a tag that is not a token', body([...G, 'a=group:DUP a b<x', ...line(4000, 'a'), ...line(4002, 'b<x')]), 0, /not a token/, true],
    ['a tag of 200 characters', body([...G, `a=group:DUP a ${'x'.repeat(200)}`, ...line(4000, 'a'), ...line(4002, 'x'.repeat(200))]), 0, /not a token/, true],
    ['a video member', body([...G, 'a=group:DUP a v', ...line(4000, 'a'), 'm=video 4002 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=mid:v']), 0, /video, not audio/, true],
  ];

  it.each(cases)('with %s: our second line is on port %i, never a 488', (_name, sdp, port, outcome, malformed) => {
    const r = answered(sdp, PCMA, PEER_SECOND);
    expect(r.negotiated.codecId).toBe('PCMA');
    const ms = mLines(r.sdp);
    expect(ms).toHaveLength(readSdp(sdp).media.length);
    expect(ms[1]).toMatch(new RegExp(`^m=(audio|video) ${port} `));
    const d = r.negotiated.dualPath as DualPathOutcome;
    if (outcome === true) {
      expect(d.signalled).toBe(true);
      expect(sessionAttrs(r.sdp).some((a) => a.startsWith('group:DUP '))).toBe(true);
    } else {
      expect(d).toMatchObject({ signalled: false, reason: expect.stringMatching(outcome as RegExp) });
      expect(d.signalled === false && d.malformed === true).toBe(malformed === true);
      // RFC 5888 §9.2: no group in the answer when the grouping is not accepted.
      expect(r.sdp).not.toMatch(/a=group/);
      if (malformed) expect(r.negotiated.notes.some((n) => n.startsWith('ignored: '))).toBe(true);
    }
  });

  it.each<[string, Profile, SecondPath | undefined, RegExp]>([
    ['the profile does not duplicate', dupProfile('opus-music-128k', false), PEER_SECOND, /redundancy\.duplicate/],
    ['no second path is configured', dupProfile(), undefined, /rtp\.duplicatePath/],
  ])('refuses the second line with port 0 when %s, and runs the first', (_why, p, second, reason) => {
    const r = answered(offer, p, second);
    expect(mLines(r.sdp)).toEqual(['m=audio 7004 RTP/AVP 96', 'm=audio 0 RTP/AVP 96 8']);
    expect(r.sdp).not.toMatch(/a=group/);
    expect(r.negotiated.dualPath).toMatchObject({ signalled: false, reason: expect.stringMatching(reason) });
    expect(r.local.dupLine).toBeUndefined();
  });

  it('answers an offer without a group as before: one line, and no second path for a profile that duplicates', () => {
    const r = answered(fixture('baresip-offer-default.sdp'), dupProfile(), PEER_SECOND);
    expect(mLines(r.sdp)).toHaveLength(1);
    expect(r.negotiated.dualPath).toEqual({ signalled: false, reason: 'the offer has no a=group:DUP' });
    // A profile without duplication is told nothing about it.
    expect(answered(fixture('baresip-offer-default.sdp'), dupProfile('opus-music-128k', false)).negotiated.dualPath).toBeUndefined();
  });

  it('notes an a=ssrc-group:DUP (RFC 7104 §4.1), which is not taken, and plays the primary stream', () => {
    const sdp = body([...G, ...line(4000, undefined, '8', ['a=ssrc:11 cname:x', 'a=ssrc:22 cname:x', 'a=ssrc-group:DUP 11 22'])]);
    const r = answered(sdp, PCMA, PEER_SECOND);
    expect(r.negotiated.notes.some((n) => /ssrc-group:DUP/.test(n))).toBe(true);
    expect(r.negotiated.dualPath).toMatchObject({ signalled: false });
  });
});

describe('applying the answer to our two-line offer', () => {
  const p = dupProfile();
  const { sdp: offerSdp, offered } = buildOffer({ profile: p, ...OURS, secondPath: OUR_SECOND });
  const accepting = answered(offerSdp, p, PEER_SECOND).sdp;
  const single = answered(offerSdp, dupProfile('opus-music-128k', false)).sdp;
  // A peer that ignores grouping (RFC 5888 §9.2) and takes both lines as separate streams.
  const independent = accepting.replace('a=group:DUP 1 2\r\n', '').replace(/a=mid:\d\r\n/g, '');

  const cases: [string, string, boolean | RegExp, boolean?][] = [
    ['groups both lines', accepting, true],
    ['ignores the grouping and accepts both lines as separate streams', independent, /no a=group:DUP/],
    ['refuses the second line with port 0', single, /port 0/],
    ['keeps the group but puts the second line at port 0', accepting.replace('m=audio 8004', 'm=audio 0'), /port 0/],
    ['answers our two lines with one', accepting.split('\r\nm=audio 8004')[0]! + '\r\n', /1 m-line/],
    ['groups the lines with a malformed group line', accepting.replace('a=group:DUP 1 2', 'a=group:DUP'), /malformed/, true],
    ['groups tags that are not its lines', accepting.replace('a=group:DUP 1 2', 'a=group:DUP 1 9'), /no m-line has a=mid/, true],
  ];

  it.each(cases)('when the peer %s', (_name, answer, outcome, malformed) => {
    const r = applyAnswer(offered, answer);
    if (!r.ok) throw new Error(r.reason);
    expect(r.negotiated.remote).toMatchObject({ address: '192.0.2.2', rtpPort: 7004 });
    if (outcome === true) {
      expect(r.negotiated.dualPath).toEqual({ signalled: true, remote: { address: '203.0.113.2', rtpPort: 8004, rtcpPort: 8005 }, local: { rtpPort: 6004, rtcpPort: 6005 } });
    } else {
      expect(r.negotiated.dualPath).toMatchObject({ signalled: false, reason: expect.stringMatching(outcome as RegExp) });
      expect(r.negotiated.dualPath?.signalled === false && r.negotiated.dualPath.malformed === true).toBe(malformed === true);
      expect(r.negotiated.notes.some((n) => n.startsWith('single path: '))).toBe(true);
    }
  });

  it('reads baresip’s captured answer (no grouping, the second line at port 0) as a single path', () => {
    const ours = buildOffer({ profile: dupProfile('g711-telephone'), localAddress: '127.0.0.1', rtpPort: 5502, secondPath: { address: '127.0.0.2', rtpPort: 5508 } });
    // The offer of that call had the same two grouped lines.
    expect(mLines(fixture('acip-offer-dup-pcma.sdp'))).toEqual(['m=audio 5502 RTP/AVP 8', 'm=audio 5508 RTP/AVP 8']);
    expect(mLines(ours.sdp)[1]).toMatch(/^m=audio 5508 RTP\/AVP 8/);
    const r = applyAnswer(ours.offered, fixture('baresip-answer-dup-pcma.sdp'));
    if (!r.ok) throw new Error(r.reason);
    expect(r.negotiated.remote).toMatchObject({ address: '127.0.0.1', rtpPort: 40818 });
    expect(r.negotiated.dualPath).toEqual({ signalled: false, reason: 'the peer refused the second m-line (port 0)' });
  });

  it('refuses an answer with more m-lines than our offer (RFC 3264 §6)', () => {
    const r = applyAnswer(offered, `${accepting}m=audio 9000 RTP/AVP 96\r\n`);
    expect(r).toMatchObject({ ok: false, code: 'SDP_ANSWER_MISMATCH' });
  });

  it('reads a one-line offer’s answer as before, with no second path', () => {
    const one = buildOffer({ profile: p, ...OURS });
    const r = applyAnswer(one.offered, answered(one.sdp, p, PEER_SECOND).sdp);
    expect(r.ok && r.negotiated.dualPath).toBeUndefined();
  });
});

describe('re-offers keep the two m-lines consistent (RFC 3264 §8)', () => {
  const p = dupProfile();
  const first = buildOffer({ profile: p, ...OURS, secondPath: OUR_SECOND });
  const previous = { ...first.offered };

  it('keep both lines and their ports, and the o= version for an unchanged description', () => {
    const again = buildReoffer(previous, p, { secondPath: OUR_SECOND });
    expect(again.sdp).toBe(first.sdp);
    expect(buildReoffer(previous, p).sdp).toBe(first.sdp);
  });

  it('keep the second line at port 0 when the new profile does not duplicate (never removed, §8.2)', () => {
    const { sdp, offered } = buildReoffer(previous, dupProfile('opus-music-128k', false));
    const ms = mLines(sdp);
    expect(ms).toHaveLength(2);
    expect(ms[1]).toMatch(/^m=audio 0 RTP\/AVP /);
    expect(sdp).not.toMatch(/a=group/);
    expect(offered.dupLine?.rtpPort).toBe(0);
    // The answer to it (the second line refused in turn) leaves a single path.
    const r = applyAnswer(offered, answered(sdp, dupProfile('opus-music-128k', false)).sdp);
    expect(r.ok && r.negotiated.dualPath).toMatchObject({ signalled: false });
  });

  it('open the second line again on the port given when the profile duplicates once more', () => {
    const off = buildReoffer(previous, dupProfile('opus-music-128k', false)).offered;
    const { sdp } = buildReoffer(off, p, { secondPath: OUR_SECOND });
    expect(mLines(sdp)[1]).toMatch(/^m=audio 6004 /);
    expect(sessionAttrs(sdp)).toContain('group:DUP 1 2');
  });

  it('answer a re-offer of the group with the same second port', () => {
    const a1 = answered(first.sdp, p, PEER_SECOND);
    const r = answerOffer(buildReoffer(previous, p).sdp, { profile: p, ...PEER, secondPath: PEER_SECOND, previous: a1.local });
    expect(r.ok && mLines(r.sdp)).toEqual(mLines(a1.sdp));
    expect(r.ok && r.local.origin.sessionVersion).toBe(a1.local.origin.sessionVersion);
  });
});

describe('reading a=group:DUP', () => {
  it('ignores a group whose tags are on several m-lines, rather than guess', () => {
    const v = readSdp(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'a=group:DUP a b', 'm=audio 4000 RTP/AVP 8', 'a=mid:a', 'm=audio 4002 RTP/AVP 8', 'a=mid:b', 'm=audio 4004 RTP/AVP 8', 'a=mid:b', ''].join('\r\n'));
    expect(readDupGroup(v)).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/on 2 m-lines/) });
  });

  it('reads the grouping of other semantics as no duplication', () => {
    const v = readSdp(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'a=group:LS a b', 'm=audio 4000 RTP/AVP 8', 'a=mid:a', 'm=audio 4002 RTP/AVP 8', 'a=mid:b', ''].join('\r\n'));
    expect(readDupGroup(v)).toEqual({ kind: 'none' });
  });
});
