import { describe, expect, it } from 'vitest';
import type { CodecParams } from '../../server/codecs/codec.js';
import { opusCodec } from '../../server/codecs/opus.js';
import { buildOpusPacket, lossPacket, parseOpusPacket, parseToc } from '../../server/codecs/opus/opus-packet.js';
import { isAcipError } from '../../server/util/errors.js';
import { estimateFrequency, goertzelDbfs, rmsDbfs, sine } from '../helpers/audio-measure.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isAcipError(e) ? e.code : 'untyped';
  }
  return undefined;
}

/** Encodes `seconds` of a 1 kHz tone at -18 dBFS peak and returns input and output after 100 ms. */
function roundTrip(p: CodecParams, seconds = 0.4) {
  const enc = opusCodec.createEncoder(p);
  const dec = opusCodec.createDecoder(p);
  const n = enc.samplesPerFrame;
  const frames = Math.ceil((seconds * p.sampleRate) / n);
  const warm = Math.ceil((0.1 * p.sampleRate) / n);
  const inp: number[] = [];
  const out: number[] = [];
  const sizes: number[] = [];
  for (let k = 0; k < frames; k++) {
    const f = sine(p.sampleRate, 1000, -18, n, p.channels, k * n);
    const pkt = enc.encode(f);
    sizes.push(pkt.length);
    const d = dec.decode(pkt);
    expect(d.length).toBe(n * p.channels);
    if (k >= warm) {
      inp.push(...f);
      out.push(...d);
    }
  }
  return { enc, dec, inp, out, sizes };
}

describe('Opus encoder and decoder', () => {
  for (const ptimeMs of [2.5, 5, 10, 20, 40, 60]) {
    for (const channels of [1, 2]) {
      for (const complexity of [5, 10]) {
        it(`carries the line-up tone at ${ptimeMs} ms, ${channels === 2 ? 'stereo' : 'mono'}, complexity ${complexity}`, () => {
          const p = { ...opusCodec.defaultParams, ptimeMs, channels, complexity };
          const { enc, dec, inp, out } = roundTrip(p);
          for (let c = 0; c < channels; c++) {
            expect(Math.abs(rmsDbfs(out, channels, c) - rmsDbfs(inp, channels, c))).toBeLessThan(0.5);
            expect(Math.abs(estimateFrequency(out, 48000, channels, c) - 1000)).toBeLessThan(5);
          }
          enc.close();
          dec.close();
        });
      }
    }
  }

  it('carries the tone in RESTRICTED_LOWDELAY at 2.5 ms and 40 ms', () => {
    for (const ptimeMs of [2.5, 40]) {
      const { inp, out } = roundTrip({ ...opusCodec.defaultParams, ptimeMs, application: 'restricted-lowdelay' });
      expect(Math.abs(rmsDbfs(out) - rmsDbfs(inp))).toBeLessThan(0.5);
      expect(Math.abs(goertzelDbfs(out, 48000, 1000, 2, 0) - -18)).toBeLessThan(0.5);
    }
  });

  it('sends 40 and 60 ms as one packet of 2 or 3 frames of 20 ms (RFC 6716 §3.2)', () => {
    for (const [ptimeMs, frames] of [[40, 2], [60, 3]] as const) {
      const enc = opusCodec.createEncoder({ ...opusCodec.defaultParams, ptimeMs });
      for (let k = 0; k < 5; k++) {
        const pkt = parseOpusPacket(enc.encode(sine(48000, 1000, -18, enc.samplesPerFrame, 2, k * enc.samplesPerFrame)));
        expect(pkt.frames).toHaveLength(frames);
        expect(pkt.toc.frameSamples48k).toBe(960);
      }
      enc.close();
    }
  });

  it('keeps the bitrate near the target (128 kbit/s stereo, 20 ms)', () => {
    const { sizes } = roundTrip({ ...opusCodec.defaultParams, ptimeMs: 20 }, 1);
    const kbps = (sizes.reduce((a, b) => a + b, 0) * 8) / (sizes.length * 20);
    expect(kbps).toBeGreaterThan(100);
    expect(kbps).toBeLessThan(160);
  });

  it('carries in-band FEC by staying in SILK/hybrid modes when fec is on (CELT-only when off)', () => {
    const modes = (fec: boolean) => {
      const enc = opusCodec.createEncoder({ ...opusCodec.defaultParams, channels: 1, fec, packetLossPercent: 20 });
      const seen = new Set<string>();
      for (let k = 0; k < 25; k++) seen.add(parseOpusPacket(enc.encode(sine(48000, 220, -12, 960, 1, k * 960))).toc.mode);
      enc.close();
      return seen;
    };
    expect([...modes(false)]).toEqual(['celt']);
    expect(modes(true).has('celt')).toBe(false);
  });

  it('survives many encoders and decoders of mixed frame sizes in one process (opusscript wrapper crashed here)', () => {
    const pairs = [];
    for (let i = 0; i < 40; i++) {
      const p = { ...opusCodec.defaultParams, ptimeMs: [40, 60, 20, 2.5][i % 4] as number, application: i % 2 ? ('restricted-lowdelay' as const) : ('audio' as const) };
      pairs.push({ enc: opusCodec.createEncoder(p), dec: opusCodec.createDecoder(p) });
    }
    for (let k = 0; k < 3; k++) {
      for (const { enc, dec } of pairs) {
        const f = sine(48000, 1000, -18, enc.samplesPerFrame, 2, k * enc.samplesPerFrame);
        expect(dec.decode(enc.encode(f))).toHaveLength(f.length);
      }
    }
    for (const { enc, dec } of pairs) {
      enc.close();
      dec.close();
      enc.close(); // idempotent
    }
  });

  it('drops malformed payloads with CODEC_BAD_PAYLOAD and keeps decoding', () => {
    const p = { ...opusCodec.defaultParams };
    const { dec, enc } = roundTrip(p, 0.2);
    expect(code(() => dec.decode(Buffer.alloc(0)))).toBe('CODEC_BAD_PAYLOAD');
    expect(code(() => dec.decode(Buffer.from([0xfc | 1, 1, 2, 3])))).toBe('CODEC_BAD_PAYLOAD'); // code 1, odd length
    expect(code(() => dec.decode(Buffer.from([0xfc | 3, 0])))).toBe('CODEC_BAD_PAYLOAD'); // code 3, M = 0
    const f = sine(48000, 1000, -18, 960, 2);
    expect(dec.decode(enc.encode(f))).toHaveLength(1920);
  });
});

describe('Opus samples at the engine', () => {
  it('encodes a float frame exactly as its 16-bit quantisation (rounded, clamped) and decodes to whole 16-bit steps', () => {
    const p: CodecParams = { sampleRate: 48000, channels: 2, ptimeMs: 20, bitrate: 128000, complexity: 5 };
    const a = opusCodec.createEncoder(p);
    const b = opusCodec.createEncoder(p);
    const dec = opusCodec.createDecoder(p);
    try {
      for (let k = 0; k < 20; k++) {
        // A tone with a full-scale overshoot on some samples, so the clamp is exercised too.
        const f = sine(p.sampleRate, 1000, -1, 960, 2, k * 960).map((v, i) => (i % 97 === 0 ? 1.5 * Math.sign(v) : v) + 1e-6);
        const q = f.map((v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))) / 32768);
        const pkt = a.encode(f);
        expect(pkt.equals(b.encode(q)), `frame ${k}`).toBe(true);
        const d = dec.decode(pkt);
        expect(d.every((v) => Number.isInteger(v * 32768) && v >= -1 && v < 1)).toBe(true);
      }
    } finally {
      a.close();
      b.close();
      dec.close();
    }
  });
});

describe('Opus concealment', () => {
  for (const ptimeMs of [2.5, 5, 10, 20, 40, 60]) {
    it(`conceals exactly one ${ptimeMs} ms frame per lost packet, continuing the tone`, () => {
      const p = { ...opusCodec.defaultParams, ptimeMs };
      const { enc, dec } = roundTrip(p, 0.2);
      const first = dec.conceal();
      expect(first).toHaveLength(enc.samplesPerFrame * 2);
      // libopus' PLC extrapolates the tone rather than going silent at once.
      expect(rmsDbfs(first)).toBeGreaterThan(-40);
      for (let i = 0; i < 5; i++) expect(dec.conceal()).toHaveLength(enc.samplesPerFrame * 2);
      // And decoding resumes normally.
      const f = sine(48000, 1000, -18, enc.samplesPerFrame, 2);
      expect(dec.decode(enc.encode(f))).toHaveLength(f.length);
    });
  }

  it('conceals one local frame even when the far end sends longer packets than our packet time', () => {
    const far = opusCodec.createEncoder({ ...opusCodec.defaultParams, ptimeMs: 60 });
    const dec = opusCodec.createDecoder({ ...opusCodec.defaultParams, ptimeMs: 5 });
    for (let k = 0; k < 5; k++) expect(dec.decode(far.encode(sine(48000, 1000, -18, 2880, 2, k * 2880)))).toHaveLength(5760);
    for (let i = 0; i < 30; i++) expect(dec.conceal()).toHaveLength(480);
  });

  it('conceals one local frame when the far end sends shorter packets than our packet time', () => {
    const far = opusCodec.createEncoder({ ...opusCodec.defaultParams, ptimeMs: 2.5 });
    const dec = opusCodec.createDecoder({ ...opusCodec.defaultParams, ptimeMs: 20 });
    for (let k = 0; k < 20; k++) dec.decode(far.encode(sine(48000, 1000, -18, 120, 2, k * 120)));
    for (let i = 0; i < 4; i++) expect(dec.conceal()).toHaveLength(1920);
  });

  it('conceals silence before the first packet', () => {
    const dec = opusCodec.createDecoder({ ...opusCodec.defaultParams, channels: 1 });
    const f = dec.conceal();
    expect(f).toHaveLength(960);
    expect(f.every((v) => v === 0)).toBe(true);
  });
});

describe('Opus packet framing (RFC 6716 §3)', () => {
  it('reads the TOC: config 31 is CELT fullband 20 ms, config 1 SILK narrowband 20 ms, config 12 hybrid SWB 10 ms', () => {
    expect(parseToc(0xfc)).toMatchObject({ config: 31, mode: 'celt', bandwidth: 'fb', frameSamples48k: 960, stereo: true, code: 0 });
    expect(parseToc(1 << 3)).toMatchObject({ mode: 'silk', bandwidth: 'nb', frameSamples48k: 960, stereo: false });
    expect(parseToc(12 << 3)).toMatchObject({ mode: 'hybrid', bandwidth: 'swb', frameSamples48k: 480 });
  });

  it('builds and parses packets with codes 0, 1, 2 and 3 (CBR and VBR, two-byte lengths)', () => {
    const a = Buffer.alloc(10, 1);
    const b = Buffer.alloc(300, 2);
    const c = Buffer.alloc(10, 3);
    for (const frames of [[a], [a, c], [a, b], [a, c, c], [a, b, c], [b, b, b]]) {
      const pkt = buildOpusPacket(0xf8, frames);
      const parsed = parseOpusPacket(pkt);
      expect(parsed.frames.map((f) => f.toString('hex'))).toEqual(frames.map((f) => f.toString('hex')));
    }
    expect(buildOpusPacket(0xf8, [a, a])[0]! & 3).toBe(1);
    expect(buildOpusPacket(0xf8, [a, b])[0]! & 3).toBe(2);
    expect(buildOpusPacket(0xf8, [a, b, c])[1]).toBe(0x83);
  });

  it('makes loss packets of zero-length frames (§3.2.1)', () => {
    expect(parseOpusPacket(lossPacket(0xfd, 1)).frames.map((f) => f.length)).toEqual([0]);
    expect(parseOpusPacket(lossPacket(0xfc, 3)).frames.map((f) => f.length)).toEqual([0, 0, 0]);
  });

  it('rejects every malformed framing case', () => {
    const bad = [
      Buffer.alloc(0), // R1
      Buffer.concat([Buffer.from([0xf8]), Buffer.alloc(1276)]), // R2: frame > 1275
      Buffer.from([0xf9, 1, 2, 3]), // R3: code 1 odd
      Buffer.from([0xfa, 5, 1, 2]), // R4: code 2 length past the end
      Buffer.from([0xfa, 253]), // code 2 two-byte length truncated
      Buffer.from([0xfb]), // code 3 without count
      Buffer.from([0xfb, 0]), // R5: zero frames
      Buffer.from([0xfb, 7]), // R5: 7 × 20 ms > 120 ms
      Buffer.from([0xfb, 0x42, 200]), // padding larger than the packet
      Buffer.from([0xfb, 0x02, 1, 2, 3]), // R7: CBR not a multiple
      Buffer.from([0xfb, 0x82, 9, 1]), // VBR frame past the end
    ];
    for (const b of bad) expect(code(() => parseOpusPacket(b))).toBe('CODEC_BAD_PAYLOAD');
  });
});

describe('Opus SDP parameters (RFC 7587 §6.1)', () => {
  it('reads a peer fmtp case-insensitively, keeping unknown keys', () => {
    const f = opusCodec.parseFmtp({ Stereo: '1', 'sprop-stereo': '0', MaxAverageBitrate: '96000', useinbandfec: '1', usedtx: '0', maxplaybackrate: '24000', minptime: '10', 'x-foo': 'bar' });
    expect(f).toMatchObject({ receiveChannels: 2, sendChannels: 1, maxAverageBitrate: 96000, useInbandFec: true, useDtx: false, maxPlaybackRate: 24000, minPtimeMs: 10 });
    expect([...f.unknown]).toEqual([['x-foo', 'bar']]);
  });

  it('caps maxaveragebitrate into 6000..510000 and refuses non-numeric or non-boolean values', () => {
    expect(opusCodec.parseFmtp({ maxaveragebitrate: '1000000' }).maxAverageBitrate).toBe(510000);
    expect(code(() => opusCodec.parseFmtp({ maxaveragebitrate: 'lots' }))).toBe('CODEC_BAD_FMTP');
    expect(code(() => opusCodec.parseFmtp({ stereo: 'yes' }))).toBe('CODEC_BAD_FMTP');
    expect(code(() => opusCodec.parseFmtp({ maxplaybackrate: '96000' }))).toBe('CODEC_BAD_FMTP');
  });

  it('does not let a __proto__ key from the network reach an object prototype', () => {
    const m = new Map([['__proto__', '1'], ['stereo', '1']]);
    const f = opusCodec.parseFmtp(m);
    expect(f.receiveChannels).toBe(2);
    expect(f.unknown.get('__proto__')).toBe('1');
    expect(({} as Record<string, unknown>)['1']).toBeUndefined();
  });

  it('writes our fmtp from the parameters, saying useinbandfec=0 because our decoder cannot use FEC', () => {
    expect(opusCodec.formatFmtp({ ...opusCodec.defaultParams })).toBe('maxplaybackrate=48000;sprop-maxcapturerate=48000;stereo=1;sprop-stereo=1;maxaveragebitrate=128000;useinbandfec=0;usedtx=0');
    expect(opusCodec.formatFmtp({ ...opusCodec.defaultParams, channels: 1, bitrate: 64000, fec: true, dtx: true, cbr: true })).toBe(
      'maxplaybackrate=48000;sprop-maxcapturerate=48000;stereo=0;sprop-stereo=0;maxaveragebitrate=64000;useinbandfec=0;usedtx=1;cbr=1',
    );
    expect(opusCodec.rtpClockRate({ sampleRate: 16000 })).toBe(48000);
    expect(opusCodec.rtpmapChannels({ channels: 1 })).toBe(2);
  });

  it('refuses parameters outside the codec: 30 ms frames, 44.1 kHz, bitrate 1 Mbit/s, complexity 11', () => {
    const d = opusCodec.defaultParams;
    expect(code(() => opusCodec.validate({ ...d, ptimeMs: 30 }))).toBe('CODEC_BAD_PARAMS');
    expect(code(() => opusCodec.validate({ ...d, sampleRate: 44100 }))).toBe('CODEC_BAD_PARAMS');
    expect(code(() => opusCodec.validate({ ...d, bitrate: 1_000_000 }))).toBe('CODEC_BAD_PARAMS');
    expect(code(() => opusCodec.validate({ ...d, complexity: 11 }))).toBe('CODEC_BAD_PARAMS');
  });
});
