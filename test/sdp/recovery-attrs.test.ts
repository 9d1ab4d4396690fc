import { describe, expect, it } from 'vitest';
import {
  formatRedFmtpConfig,
  formatRtxFmtpConfig,
  parseGroupValue,
  parseRedFmtpConfig,
  parseRtcpFbValue,
  parseRtxFmtpConfig,
  parseSsrcGroupValue,
  readRecoveryAttributes,
  RecoveryAttrError,
  redBlocksFor,
  writeDupGroupLine,
  writeNackLine,
  writeRecoveryAttributes,
  writeRedLines,
  writeRtxLines,
  writeSsrcDupGroupLine,
  type RecoveryAttrField,
  type RecoveryAttributes,
} from '../../server/sdp/recovery-attrs.js';

function rejection(f: () => unknown): { code: string; field: RecoveryAttrField } | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof RecoveryAttrError) return { code: err.code, field: err.field };
    throw err;
  }
  return undefined;
}

describe('writing the recovery attributes', () => {
  it.each([
    {
      name: 'RED over stereo Opus with one copy, as WebRTC offers it',
      lines: writeRedLines({ payloadType: 63, clockRate: 48000, channels: 2, blockPayloadTypes: redBlocksFor(111, 1) }),
      expected: ['a=rtpmap:63 red/48000/2', 'a=fmtp:63 111/111'],
    },
    {
      name: 'RED with two copies',
      lines: writeRedLines({ payloadType: 100, clockRate: 48000, channels: 2, blockPayloadTypes: redBlocksFor(111, 2) }),
      expected: ['a=rtpmap:100 red/48000/2', 'a=fmtp:100 111/111/111'],
    },
    {
      name: 'RTX with an rtx-time (RFC 4588 §8.1)',
      lines: writeRtxLines({ payloadType: 112, clockRate: 48000, apt: 111, rtxTimeMs: 200 }),
      expected: ['a=rtpmap:112 rtx/48000', 'a=fmtp:112 apt=111;rtx-time=200'],
    },
    { name: 'RTX without rtx-time', lines: writeRtxLines({ payloadType: 97, clockRate: 8000, apt: 0 }), expected: ['a=rtpmap:97 rtx/8000', 'a=fmtp:97 apt=0'] },
    { name: 'generic NACK for one payload type and for all', lines: [writeNackLine(111), writeNackLine('*')], expected: ['a=rtcp-fb:111 nack', 'a=rtcp-fb:* nack'] },
    { name: 'a DUP group of two mids (RFC 7104)', lines: [writeDupGroupLine(['a1', 'a2'])], expected: ['a=group:DUP a1 a2'] },
    { name: 'an ssrc-group:DUP', lines: [writeSsrcDupGroupLine([1, 0xffff_ffff])], expected: ['a=ssrc-group:DUP 1 4294967295'] },
  ])('writes $name', ({ lines, expected }) => {
    expect(lines).toEqual(expected);
  });

  it('reads back everything it writes', () => {
    const attrs: RecoveryAttributes = {
      red: [{ payloadType: 63, clockRate: 48000, channels: 2, blockPayloadTypes: [111, 111] }],
      rtx: [
        { payloadType: 112, clockRate: 48000, apt: 111, rtxTimeMs: 3000 },
        { payloadType: 113, clockRate: 48000, apt: 63 },
      ],
      nack: [111, '*'],
      dupGroups: [['1', '2']],
      dupSsrcGroups: [[0x5eed0001, 0x5eed0002]],
    };
    const { attrs: back, invalid } = readRecoveryAttributes(writeRecoveryAttributes(attrs));
    expect(invalid).toEqual([]);
    expect(back).toEqual(attrs);
  });
});

describe('reading the recovery attributes of a peer', () => {
  it('picks RED, RTX, NACK and DUP out of a media section and ignores the rest', () => {
    const lines = [
      'a=rtpmap:111 opus/48000/2',
      'a=fmtp:111 minptime=10;useinbandfec=1',
      'a=rtcp-fb:111 transport-cc',
      'a=rtcp-fb:111 nack',
      'a=rtcp-fb:111 nack pli',
      'a=rtcp-fb:111 nack',
      'a=rtpmap:63 RED/48000/2',
      'a=fmtp:63 111/111',
      'rtpmap:96 rtx/48000',
      'fmtp:96 apt=111; rtx-time=125; unknown=1',
      'a=group:BUNDLE 0 1',
      'a=ssrc-group:FID 1 2',
      'a=ssrc-group:DUP 3 4',
      'a=group:DUP 0 1',
      'a=ebuacip:jb 0',
      'a=rtpmap:9 G722/8000',
    ];
    const { attrs, invalid } = readRecoveryAttributes(lines);
    expect(invalid).toEqual([]);
    expect(attrs).toEqual({
      red: [{ payloadType: 63, clockRate: 48000, channels: 2, blockPayloadTypes: [111, 111] }],
      rtx: [{ payloadType: 96, clockRate: 48000, apt: 111, rtxTimeMs: 125 }],
      nack: [111],
      dupGroups: [['0', '1']],
      dupSsrcGroups: [[3, 4]],
    });
  });

  it('defaults a RED rtpmap without a channel count to one channel', () => {
    const { attrs } = readRecoveryAttributes(['a=rtpmap:99 red/8000', 'a=fmtp:99 0/0']);
    expect(attrs.red).toEqual([{ payloadType: 99, clockRate: 8000, channels: 1, blockPayloadTypes: [0, 0] }]);
  });

  it.each([
    { name: 'a RED rtpmap without its fmtp', lines: ['a=rtpmap:63 red/48000/2'] },
    { name: 'an RTX fmtp without apt', lines: ['a=rtpmap:96 rtx/48000', 'a=fmtp:96 rtx-time=200'] },
    { name: 'an RTX rtpmap with a channel count', lines: ['a=rtpmap:96 rtx/48000/2', 'a=fmtp:96 apt=111'] },
    { name: 'a RED fmtp with a payload type out of range', lines: ['a=rtpmap:63 red/48000/2', 'a=fmtp:63 111/128'] },
    { name: 'a red rtpmap with a broken rate', lines: ['a=rtpmap:63 red/fast/2'] },
    { name: 'an rtcp-fb without a type', lines: ['a=rtcp-fb:111'] },
    { name: 'a DUP group of one', lines: ['a=group:DUP 1'] },
    { name: 'an ssrc-group:DUP with a non-numeric SSRC', lines: ['a=ssrc-group:DUP 1 x'] },
  ])('keeps $name as invalid instead of throwing', ({ lines }) => {
    const { attrs, invalid } = readRecoveryAttributes(lines);
    expect(invalid).toHaveLength(1);
    expect(attrs.red).toEqual([]);
    expect(attrs.rtx).toEqual([]);
  });

  it('ignores other codecs\' malformed rtpmap and fmtp lines, which are not ours to report', () => {
    expect(readRecoveryAttributes(['a=rtpmap:x opus', 'a=fmtp:abc foo', 'a=fmtp:111']).invalid).toEqual([]);
  });
});

describe('the single-value parsers', () => {
  it.each([
    { config: '111/111', pts: [111, 111] },
    { config: ' 111/111/111 ', pts: [111, 111, 111] },
    { config: '0', pts: [0] },
  ])('reads the RED fmtp "$config"', ({ config, pts }) => {
    expect(parseRedFmtpConfig(config)).toEqual(pts);
    expect(formatRedFmtpConfig(pts)).toBe(config.trim());
  });

  it.each([
    { config: 'apt=111', value: { apt: 111 } },
    { config: 'apt=111;rtx-time=3000', value: { apt: 111, rtxTimeMs: 3000 } },
    { config: 'rtx-time=0 ; APT=96', value: { apt: 96, rtxTimeMs: 0 } },
  ])('reads the RTX fmtp "$config"', ({ config, value }) => {
    expect(parseRtxFmtpConfig(config)).toEqual(value);
    expect(parseRtxFmtpConfig(formatRtxFmtpConfig(value))).toEqual(value);
  });

  it.each([
    { value: '111 nack', result: 111 },
    { value: '* nack', result: '*' },
    { value: '111 NACK', result: 111 },
    { value: '111 nack pli', result: undefined },
    { value: '111 ccm fir', result: undefined },
    { value: '* trr-int 100', result: undefined },
  ])('reads rtcp-fb "$value" as $result', ({ value, result }) => {
    expect(parseRtcpFbValue(value)).toBe(result);
  });

  it('reads only the DUP semantics of group and ssrc-group', () => {
    expect(parseGroupValue('BUNDLE 0 1')).toBeUndefined();
    expect(parseGroupValue('DUP 0 1 2')).toEqual(['0', '1', '2']);
    expect(parseSsrcGroupValue('FID 1 2')).toBeUndefined();
    expect(parseSsrcGroupValue('DUP 4294967295 0')).toEqual([0xffff_ffff, 0]);
  });

  it.each([
    { name: 'an empty RED fmtp', f: () => parseRedFmtpConfig(''), field: 'fmtp' },
    { name: 'a RED fmtp with a negative payload type', f: () => parseRedFmtpConfig('111/-1'), field: 'fmtp' },
    { name: 'a RED fmtp of nine blocks', f: () => parseRedFmtpConfig(Array(9).fill('111').join('/')), field: 'fmtp' },
    { name: 'a RED fmtp with a leading zero', f: () => parseRedFmtpConfig('0111/111'), field: 'fmtp' },
    { name: 'an RTX fmtp without apt', f: () => parseRtxFmtpConfig('rtx-time=100'), field: 'fmtp' },
    { name: 'an RTX fmtp parameter without a value', f: () => parseRtxFmtpConfig('apt'), field: 'fmtp' },
    { name: 'an rtx-time that is not a number', f: () => parseRtxFmtpConfig('apt=1;rtx-time=soon'), field: 'fmtp' },
    { name: 'an rtx-time past 32 bits', f: () => parseRtxFmtpConfig('apt=1;rtx-time=4294967296'), field: 'fmtp' },
    { name: 'an rtcp-fb payload type of 128', f: () => parseRtcpFbValue('128 nack'), field: 'rtcp-fb' },
    { name: 'a DUP group with a bad tag', f: () => parseGroupValue('DUP a b@c'), field: 'group' },
    { name: 'an ssrc-group:DUP SSRC past 32 bits', f: () => parseSsrcGroupValue('DUP 1 4294967296'), field: 'ssrc-group' },
    { name: 'writing a RED fmtp with no block', f: () => formatRedFmtpConfig([]), field: 'fmtp' },
    { name: 'writing an RTX payload type of 128', f: () => writeRtxLines({ payloadType: 128, clockRate: 48000, apt: 1 }), field: 'rtpmap' },
    { name: 'writing a DUP group of one', f: () => writeDupGroupLine(['a']), field: 'group' },
    { name: 'writing an ssrc-group:DUP with a negative SSRC', f: () => writeSsrcDupGroupLine([1, -1]), field: 'ssrc-group' },
  ] as const)('rejects $name with SDP_MALFORMED naming $field', ({ f, field }) => {
    expect(rejection(f)).toEqual({ code: 'SDP_MALFORMED', field });
  });
});
