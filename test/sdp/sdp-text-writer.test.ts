import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { answerOffer, buildOffer } from '../../server/sdp/offer-answer.js';
import { readSdp } from '../../server/sdp/sdp-model.js';
import { writeKnownSdp } from '../../server/sdp/sdp-text-writer.js';
import { fixture, profile, profileNames } from './helpers.js';

const ORIGIN = 'o=acip 4611686018427387904 18446744073709551616 IN IP4 192.0.2.1';

/** What sdp-transform writes for `desc`, with our o= line in its place (as writeSdp did it before). */
function viaLibrary(desc: SessionDescription, originLine = ORIGIN): string {
  const lines = write(structuredClone(desc)).split('\r\n');
  const i = lines.findIndex((l) => l.startsWith('o='));
  if (i >= 0) lines[i] = originLine;
  else lines.splice(1, 0, originLine);
  return lines.join('\r\n');
}

function session(media: MediaDescription[], extra: Partial<SessionDescription> = {}): SessionDescription {
  return {
    version: 0,
    origin: { username: 'acip', sessionId: 1, sessionVersion: 1, netType: 'IN', ipVer: 4, address: '192.0.2.1' },
    name: 'acip',
    connection: { version: 4, ip: '192.0.2.1' },
    timing: { start: 0, stop: 0 },
    media,
    ...extra,
  };
}

const audio = (extra: Partial<MediaDescription> = {}): MediaDescription => ({ type: 'audio', port: 6000, protocol: 'RTP/AVP', payloads: '8', rtp: [], fmtp: [], ...extra });

const fixtures = readdirSync(fileURLToPath(new URL('../fixtures/sdp/', import.meta.url))).filter((f) => f.endsWith('.sdp'));

describe('writing our session descriptions without the general writer', () => {
  it.each<[string, SessionDescription]>([
    ['an m-line with nothing but its formats', session([audio()])],
    ['rtpmap with channels, with a rate only, with neither (RFC 4566 §6)', session([audio({ payloads: '96 97 98', rtp: [{ payload: 96, codec: 'opus', rate: 48000, encoding: 2 }, { payload: 97, codec: 'L24', rate: 48000 }, { payload: 98, codec: 'x' } as never] })])],
    ['fmtp lines, b=AS and b=TIAS, ptime, maxptime and a direction', session([audio({ fmtp: [{ payload: 8, config: 'a=1;b=2' }], bandwidth: [{ type: 'AS', limit: 80 }, { type: 'TIAS', limit: 64000 }], ptime: 20, maxptime: 120, direction: 'recvonly' })])],
    ['a=rtcp on a port alone and with an address (RFC 3605)', session([audio({ rtcp: { port: 6005 } }), audio({ rtcp: { port: 6007, netType: 'IN', ipVer: 4, address: '192.0.2.9' } })])],
    ['rtcp-fb with and without a subtype (RFC 4585)', session([audio({ rtcpFb: [{ payload: 96, type: 'nack' }, { payload: '*', type: 'nack', subtype: 'pli' }] as never })])],
    ['a=crypto with and without session parameters (RFC 4568)', session([audio({ protocol: 'RTP/SAVP', crypto: [{ id: 1, suite: 'AES_CM_128_HMAC_SHA1_80', config: 'inline:abc' }, { id: 2, suite: 'AES_CM_128_HMAC_SHA1_32', config: 'inline:def', sessionConfig: 'UNENCRYPTED_SRTP' }] })])],
    ['two grouped m-lines with a media-level c= and mids (RFC 5888, RFC 7104)', session([audio({ mid: '1' }), audio({ port: 6002, mid: '2', connection: { version: 6, ip: '2001:db8::1' } })], { groups: [{ type: 'DUP', mids: '1 2' }] })],
    ['unknown attributes kept verbatim, last (a=ebuacip)', session([audio({ invalid: [{ value: 'ebuacip:jb 0' }, { value: 'ebuacip:jbdef 0 fixed 40' }], direction: 'sendrecv' })])],
    ['a rejected m-line (port 0)', session([audio(), { type: 'video', port: 0, protocol: 'RTP/AVP', payloads: '31', rtp: [], fmtp: [] }])],
    ['fields present but undefined', session([audio({ ptime: undefined, rtcp: undefined, mid: undefined })], { groups: undefined })],
  ])('writes %s as sdp-transform does', (_name, desc) => {
    expect(writeKnownSdp(structuredClone(desc), ORIGIN)).toBe(viaLibrary(desc));
  });

  it.each<[string, SessionDescription]>([
    ['a session-level attribute it does not know', session([audio()], { msidSemantic: { semantic: 'WMS', token: '*' } })],
    ['an m-line attribute it does not know', session([audio({ ssrcs: [{ id: 1, attribute: 'cname', value: 'x' }] })])],
    ['a session-level b= line', session([audio()], { bandwidth: [{ type: 'AS', limit: 64 }] })],
  ])('leaves a description with %s to sdp-transform', (_name, desc) => {
    expect(writeKnownSdp(desc, ORIGIN)).toBeUndefined();
  });

  it.each(fixtures)('writes the parsed fixture %s as sdp-transform does, or leaves it to it', (name) => {
    const desc = parse(fixture(name));
    const ours = writeKnownSdp(structuredClone(desc), ORIGIN);
    if (ours !== undefined) expect(ours).toBe(viaLibrary(desc));
  });

  it.each(profileNames)('writes the offer and the answer of profile %s, which read back as sdp-transform writes them', (name) => {
    const p = profile(name);
    const { sdp: offer } = buildOffer({ profile: p, localAddress: '192.0.2.1', rtpPort: 6000, rtcpPort: 6001 });
    const answer = answerOffer(offer, { profile: p, localAddress: '192.0.2.2', rtpPort: 7000, rtcpPort: 7005 });
    if (!answer.ok) throw new Error(`profile ${name} does not answer its own offer: ${answer.reason}`);
    for (const text of [offer, answer.sdp]) {
      const o = readSdp(text).origin;
      expect(viaLibrary(parse(text), `o=${o.username} ${o.sessionId} ${o.sessionVersion} IN IP${o.ipVer} ${o.address}`)).toBe(text);
    }
  });
});
