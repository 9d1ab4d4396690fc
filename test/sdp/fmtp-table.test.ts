/**
 * The Opus fmtp key table (RFC 7587 §6.1): every key parses, refuses values outside its range with
 * the key named, has the RFC default, and formats back to what it parsed. The table reads and
 * writes exactly what the Opus record does.
 */
import { describe, expect, it } from 'vitest';
import type { CodecParams } from '../../server/codecs/codec.js';
import { fmtpDefaultsOf, formatFmtpWithTable, OPUS_FMTP, parseFmtpWithTable, type FmtpKey } from '../../server/codecs/fmtp.js';
import { opusCodec } from '../../server/codecs/opus.js';
import { AcipError } from '../../server/util/errors.js';
import { thrownBy } from '../helpers/thrown.js';

function key(name: string): FmtpKey<number | boolean> {
  const k = OPUS_FMTP.find((x) => x.name === name);
  if (!k) throw new Error(`no fmtp key ${name}`);
  return k as FmtpKey<number | boolean>;
}

const thrown = (fn: () => unknown): AcipError => thrownBy(AcipError, fn);

// key, a value as peers write it, what it means, a value outside the range, the RFC default and what it means
const rows: Array<[string, string, number | boolean, string, string | undefined, number | boolean | undefined]> = [
  ['maxplaybackrate', '16000', 16000, '96000', '48000', 48000],
  ['sprop-maxcapturerate', '24000', 24000, '7999', '48000', 48000],
  ['stereo', '1', 2, '2', '0', 1],
  ['sprop-stereo', '0', 1, '2', '0', 1],
  ['maxaveragebitrate', '96000', 96000, '4294967296', '510000', 510000],
  ['useinbandfec', '1', true, '2', '0', false],
  ['usedtx', '1', true, '2', '0', false],
  ['cbr', '0', false, '2', '0', false],
  ['ptime', '2.5', 2.5, '121', '20', 20],
  ['maxptime', '40', 40, '2', '120', 120],
  ['minptime', '10', 10, '120.5', undefined, undefined],
];

describe('the Opus fmtp key table (RFC 7587 §6.1)', () => {
  it('has one row per key, in the order we write them', () => {
    expect(rows.map((r) => r[0])).toEqual(OPUS_FMTP.map((k) => k.name));
  });

  it.each(rows)('%s: parses "%s"', (name, text, value) => {
    expect(key(name).parse(text)).toBe(value);
    expect(parseFmtpWithTable(OPUS_FMTP, { [name]: text })[key(name).field]).toBe(value);
  });

  it.each(rows)('%s: refuses "%s"-like values outside its range, naming the key', (name, _text, _value, outside) => {
    const err = thrown(() => key(name).parse(outside));
    expect([err.code, err.field]).toEqual(['CODEC_BAD_FMTP', name]);
    expect(err.message).toContain(name);
    const viaLine = thrown(() => parseFmtpWithTable(OPUS_FMTP, new Map([[name.toUpperCase(), outside]])));
    expect(viaLine.field).toBe(name);
  });

  it.each(rows)('%s: has the RFC default', (name, _text, _value, _outside, dflt, meaning) => {
    expect(key(name).default).toBe(dflt);
    if (dflt !== undefined) expect(key(name).parse(dflt)).toBe(meaning);
  });

  it.each(rows)('%s: formats back to the text it parsed', (name, text, value) => {
    const k = key(name);
    expect(k.format(value)).toBe(text);
    expect(k.parse(k.format(value))).toBe(value);
    expect(formatFmtpWithTable(OPUS_FMTP, { [k.field]: value })).toBe(`${name}=${text}`);
  });

  it('gives the same defaults as the Opus record', () => {
    expect(fmtpDefaultsOf(OPUS_FMTP)).toEqual(opusCodec.fmtpDefaults);
  });

  it('caps maxaveragebitrate into 6000..510000 instead of refusing it', () => {
    expect(key('maxaveragebitrate').parse('1000')).toBe(6000);
    expect(key('maxaveragebitrate').parse('1000000')).toBe(510000);
    expect(key('maxaveragebitrate').range).toEqual([0, 4_294_967_295]);
  });

  it('refuses text that is not a number at all, naming the key', () => {
    for (const k of OPUS_FMTP) expect(thrown(() => k.parse('lots')).field).toBe(k.name);
  });
});

describe('the table reads and writes what the Opus record does', () => {
  const peers: Array<Record<string, string>> = [
    {},
    { stereo: '1', 'sprop-stereo': '1', maxaveragebitrate: '128000' },
    { Stereo: '1', 'sprop-stereo': '0', MaxAverageBitrate: '96000', useinbandfec: '1', usedtx: '0', maxplaybackrate: '24000', minptime: '10', 'x-foo': 'bar' },
    { ptime: '10', maxptime: '40', usedtx: '1', cbr: '1', maxplaybackrate: '16000', useinbandfec: '1', 'sprop-maxcapturerate': '16000' },
    { maxaveragebitrate: '1000000' },
  ];
  it.each(peers)('parses %j like opusCodec.parseFmtp', (fmtp) => {
    expect(parseFmtpWithTable(OPUS_FMTP, fmtp)).toEqual(opusCodec.parseFmtp(fmtp));
  });

  it('keeps a __proto__ key from the network in `unknown`, off every object prototype', () => {
    const f = parseFmtpWithTable(OPUS_FMTP, new Map([['__proto__', '1'], ['stereo', '1']]));
    expect(f.receiveChannels).toBe(2);
    expect(f.unknown.get('__proto__')).toBe('1');
    expect(({} as Record<string, unknown>)['1']).toBeUndefined();
  });

  const ours: CodecParams[] = [
    { ...opusCodec.defaultParams },
    { ...opusCodec.defaultParams, channels: 1, bitrate: 64000, fec: true, dtx: true, cbr: true },
    { ...opusCodec.defaultParams, sampleRate: 16000, maxPlaybackRate: 12000 },
  ];
  it.each(ours)('writes our fmtp for %j like opusCodec.formatFmtp', (p) => {
    const written = formatFmtpWithTable(OPUS_FMTP, {
      maxPlaybackRate: Math.min(p.maxPlaybackRate ?? p.sampleRate, p.sampleRate),
      spropMaxCaptureRate: p.sampleRate,
      receiveChannels: p.channels,
      sendChannels: p.channels,
      maxAverageBitrate: p.bitrate ?? (p.channels === 2 ? 128000 : 64000),
      useInbandFec: false,
      useDtx: p.dtx === true,
      ...(p.cbr ? { cbr: true } : {}),
    });
    expect(written).toBe(opusCodec.formatFmtp(p));
  });

  it('writes nothing when no value is given', () => {
    expect(formatFmtpWithTable(OPUS_FMTP, {})).toBeUndefined();
  });
});
