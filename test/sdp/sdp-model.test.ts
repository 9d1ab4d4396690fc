import { parse, write } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { formatOrigin, incrementDecimal, readSdp, SDP_MALFORMED, writeSdp } from '../../server/sdp/sdp-model.js';
import { fixture } from './helpers.js';

describe('reading SDP through sdp-transform', () => {
  it("reads baresip's captured offer field by field", () => {
    const s = readSdp(fixture('baresip-offer-ebuacip.sdp'));
    expect(s.origin).toEqual({ username: '-', sessionId: '4089666996', sessionVersion: '1415324075', address: '127.0.0.1', ipVer: 4 });
    expect(s.sessionName).toBe('-');
    expect(s.media).toHaveLength(1);
    const m = s.media[0];
    if (!m) throw new Error('unreachable');
    expect([m.type, m.port, m.protocol, m.rawFormats]).toEqual(['audio', 38098, 'RTP/AVP', '96 97 9 8 101']);
    expect(m.formats).toEqual([
      { payloadType: 96, encodingName: 'opus', clockRate: 48000, channels: 2, fmtp: 'stereo=1;sprop-stereo=1;maxaveragebitrate=128000', fromStaticTable: false },
      { payloadType: 97, encodingName: 'L16', clockRate: 48000, channels: 2, fromStaticTable: false },
      { payloadType: 9, encodingName: 'G722', clockRate: 8000, fromStaticTable: false },
      { payloadType: 8, encodingName: 'PCMA', clockRate: 8000, fromStaticTable: false },
      { payloadType: 101, encodingName: 'telephone-event', clockRate: 8000, fmtp: '0-15', fromStaticTable: false },
    ]);
    expect([m.address, m.ipVer, m.direction, m.ptimeMs, m.maxPtimeMs]).toEqual(['127.0.0.1', 4, 'sendrecv', 20, undefined]);
    // sdp-transform has no grammar for a=ebuacip or a=minptime: they arrive as "invalid" lines.
    expect(m.ebuacip).toEqual(['version 0', 'jb 0', 'jbdef 0 auto 20-160', 'qosrec 46', 'plength 97 4']);
    expect(m.otherAttributes).toEqual(['minptime:4']);
  });

  it('keeps 19- and 20-digit o= ids as exact strings', () => {
    expect(readSdp(fixture('comrex-style-offer.sdp')).origin).toMatchObject({ username: 'ACCESS', sessionId: '18446744073709551615', sessionVersion: '18446744073709551614' });
    expect(readSdp(fixture('tieline-style-offer.sdp')).origin).toMatchObject({ sessionId: '3612345678901234567', sessionVersion: '3612345678901234568' });
    expect(readSdp(fixture('webrtc-chrome-dtls-offer.sdp')).origin.sessionId).toBe('8067213454937291234');
  });

  it("documents why we write o= ourselves: sdp-transform's write() rounds a 20-digit version", () => {
    const text = fixture('comrex-style-offer.sdp');
    const viaLibrary = write(parse(text));
    expect(viaLibrary).not.toContain('18446744073709551614 IN');
    const ours = writeSdp(parse(text), readSdp(text).origin);
    expect(ours).toContain('\r\no=ACCESS 18446744073709551615 18446744073709551614 IN IP4 192.0.2.50\r\n');
  });

  it('fills static payload types from the RFC 3551 table and marks them', () => {
    const m = readSdp(fixture('static-pt-no-rtpmap-offer.sdp')).media[0];
    expect(m?.formats).toEqual([
      { payloadType: 8, encodingName: 'PCMA', clockRate: 8000, fromStaticTable: true },
      { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, fromStaticTable: true },
      { payloadType: 18, encodingName: 'G729', clockRate: 8000, fromStaticTable: true },
    ]);
  });

  it('takes session-level c=, direction and b= when the media has none, media-level when it has', () => {
    const t = readSdp(fixture('tieline-style-offer.sdp')).media[0];
    expect([t?.address, t?.maxPtimeMs]).toEqual(['198.51.100.7', 20]);
    const i = readSdp(fixture('inactive-offer.sdp')).media[0];
    expect(i?.direction).toBe('inactive');
    const c = readSdp(fixture('comrex-style-offer.sdp')).media[0];
    expect(c?.bandwidthAs).toBe(384);
    const v = readSdp(fixture('video-and-audio-offer.sdp'));
    expect(v.media.map((m) => [m.type, m.port, m.address, m.ipVer])).toEqual([
      ['audio', 0, '2001:db8::1', 6],
      ['video', 51372, '2001:db8::1', 6],
      ['audio', 49170, '2001:db8::1', 6],
    ]);
    expect(v.media[2]?.rtcp).toEqual({ port: 53020, address: '2001:db8::2' });
  });

  it('keeps non-RTP formats out of the format list but in rawFormats', () => {
    const s = readSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n');
    expect(s.media[0]?.formats).toEqual([]);
    expect(s.media[0]?.rawFormats).toBe('webrtc-datachannel');
  });

  it('accepts LF-only line ends', () => {
    expect(readSdp(fixture('sipp-uac-offer.sdp').replace(/\r\n/g, '\n')).media[0]?.formats[0]?.encodingName).toBe('PCMU');
  });
});

describe('o= helpers', () => {
  it('increments decimal versions exactly at any length', () => {
    expect(incrementDecimal('0')).toBe('1');
    expect(incrementDecimal('9007199254740993')).toBe('9007199254740994');
    expect(incrementDecimal('99999999999999999999')).toBe('100000000000000000000');
    expect(() => incrementDecimal('12a')).toThrow(expect.objectContaining({ code: SDP_MALFORMED }));
  });

  it('refuses an o= username with a space and non-decimal ids', () => {
    expect(() => formatOrigin({ username: 'a b', sessionId: '1', sessionVersion: '1', address: '1.2.3.4', ipVer: 4 })).toThrow(/username/);
    expect(() => formatOrigin({ username: '-', sessionId: '1e5', sessionVersion: '1', address: '1.2.3.4', ipVer: 4 })).toThrow(/decimal/);
    expect(formatOrigin({ username: '-', sessionId: '1', sessionVersion: '2', address: '::1', ipVer: 6 })).toBe('o=- 1 2 IN IP6 ::1');
  });
});
