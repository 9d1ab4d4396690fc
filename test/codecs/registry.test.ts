import { describe, expect, it } from 'vitest';
import { knownCodecIds } from '../../server/codecs/known-codecs.js';
import { codecRegistry } from '../../server/codecs/registry.js';
import { isAcipError } from '../../server/util/errors.js';

describe('codec registry', () => {
  it('holds one record per codec: opus, L24, L16, G722, PCMA, PCMU', () => {
    expect(codecRegistry.all().map((r) => r.id)).toEqual(['opus', 'L24', 'L16', 'G722', 'PCMA', 'PCMU']);
    expect([...knownCodecIds()].sort()).toEqual(['G722', 'L16', 'L24', 'PCMA', 'PCMU', 'opus']);
  });

  it('finds codecs by SDP encoding name whatever its case', () => {
    expect(codecRegistry.byEncodingName('OPUS', 48000, 2)?.id).toBe('opus');
    expect(codecRegistry.byEncodingName('opus', 48000, 2)?.id).toBe('opus');
    expect(codecRegistry.byEncodingName('l24', 48000, 2)?.id).toBe('L24');
    expect(codecRegistry.byEncodingName('L16', 44100, 1)?.id).toBe('L16');
    expect(codecRegistry.byEncodingName('pcma', 8000)?.id).toBe('PCMA');
    expect(codecRegistry.byEncodingName('PcMu', 8000, 1)?.id).toBe('PCMU');
  });

  it('reads G722/8000 as the 16 kHz G.722 codec (RFC 3551 §4.5.2)', () => {
    const rec = codecRegistry.byEncodingName('g722', 8000);
    expect(rec?.id).toBe('G722');
    expect(rec?.audioSampleRate(8000)).toBe(16000);
    expect(codecRegistry.byEncodingName('G722', 16000)).toBeUndefined();
  });

  it('accepts Opus only as opus/48000/2 (RFC 7587 §7)', () => {
    expect(codecRegistry.byEncodingName('opus', 48000, 1)).toBeUndefined();
    expect(codecRegistry.byEncodingName('opus', 16000, 2)).toBeUndefined();
  });

  it('rejects rates and channel counts a record cannot run', () => {
    expect(codecRegistry.byEncodingName('L24', 22050, 2)).toBeUndefined();
    expect(codecRegistry.byEncodingName('L24', 48000, 6)).toBeUndefined();
    expect(codecRegistry.byEncodingName('PCMA', 16000)).toBeUndefined();
    expect(codecRegistry.byEncodingName('speex', 8000)).toBeUndefined();
  });

  it('finds the static payload types 0, 8 and 9', () => {
    expect(codecRegistry.byStaticPayloadType(0)?.id).toBe('PCMU');
    expect(codecRegistry.byStaticPayloadType(8)?.id).toBe('PCMA');
    expect(codecRegistry.byStaticPayloadType(9)?.id).toBe('G722');
    expect(codecRegistry.byStaticPayloadType(96)).toBeUndefined();
  });

  it('throws a typed CODEC_UNKNOWN error from get() for an unknown id', () => {
    let err: unknown;
    try {
      codecRegistry.get('speex');
    } catch (e) {
      err = e;
    }
    expect(isAcipError(err) && err.code).toBe('CODEC_UNKNOWN');
    expect(codecRegistry.find('speex')).toBeUndefined();
  });

  it('gives every record defaults that validate and a matching rtpmap', () => {
    for (const rec of codecRegistry.all()) {
      expect(rec.validate(rec.defaultParams)).toEqual(rec.defaultParams);
      const clock = rec.rtpClockRate(rec.defaultParams);
      const ch = rec.rtpmapChannels(rec.defaultParams) ?? 1;
      expect(codecRegistry.byEncodingName(rec.encodingName, clock, ch)).toBe(rec);
      expect(rec.ptime.minMs).toBeLessThanOrEqual(rec.defaultPtimeMs);
    }
  });
});
