import { describe, expect, it } from 'vitest';
import {
  formatInputSpec,
  formatOutputSpec,
  parseInputSpec,
  parseOutputSpec,
  substituteLinkPlaceholder,
  type InputSpec,
  type OutputSpec,
} from '../../server/media/audio-spec.js';
import { AcipError } from '../../server/util/errors.js';

const validInputs: Array<[string, InputSpec]> = [
  ['tone', { kind: 'tone', frequencyHz: 1000, levelDbfs: -18 }],
  ['tone:440', { kind: 'tone', frequencyHz: 440, levelDbfs: -18 }],
  ['tone:997:-20', { kind: 'tone', frequencyHz: 997, levelDbfs: -20 }],
  ['tone:20:0', { kind: 'tone', frequencyHz: 20, levelDbfs: 0 }],
  ['tone:20000:-144', { kind: 'tone', frequencyHz: 20000, levelDbfs: -144 }],
  ['tone:1000.5:-18.5', { kind: 'tone', frequencyHz: 1000.5, levelDbfs: -18.5 }],
  ['  TONE  ', { kind: 'tone', frequencyHz: 1000, levelDbfs: -18 }],
  ['silence', { kind: 'silence' }],
  ['loopback', { kind: 'loopback' }],
  ['file:/tmp/music.wav', { kind: 'file', path: '/tmp/music.wav' }],
  ['file:rel/dir/A.WAV', { kind: 'file', path: 'rel/dir/A.WAV' }],
  ['file:/tmp/with:colon.wav', { kind: 'file', path: '/tmp/with:colon.wav' }],
  ['alsa:default', { kind: 'alsa', device: 'default' }],
  ['alsa:plughw:CARD=PCH,DEV=0', { kind: 'alsa', device: 'plughw:CARD=PCH,DEV=0' }],
];

const invalidInputs: Array<[string, RegExp]> = [
  ['', /empty/],
  ['   ', /empty/],
  ['noise', /unknown audio input 'noise'/],
  ['null', /'null' is an output/],
  ['tone:', /tone frequency is empty/],
  ['tone:abc', /tone frequency 'abc' is not a number/],
  ['tone:1e3', /tone frequency '1e3' is not a number/],
  ['tone:19', /tone frequency 19 Hz is out of range 20\.\.20000/],
  ['tone:20001', /tone frequency 20001 Hz is out of range/],
  ['tone:1000:', /tone level is empty/],
  ['tone:1000:3', /tone level 3 dBFS is above full scale/],
  ['tone:1000:-200', /tone level -200 dBFS is below -144/],
  ['tone:1000:-18:x', /too many parts/],
  ['tone:1000:Infinity', /tone level 'Infinity' is not a number/],
  ['silence:5', /'silence' takes no parameters/],
  ['loopback:x', /'loopback' takes no parameters/],
  ['file:', /file spec needs a path/],
  ['file', /file spec needs a path/],
  ['file:/tmp/a.mp3', /'\/tmp\/a\.mp3' must end in \.wav/],
  ['file:/tmp/.wav', /no file name before \.wav/],
  ['file:/tmp/{link}.wav', /\{link\} placeholder is for output files only/],
  ['file:/tmp/a\u0001.wav', /control characters/],
  ['alsa:', /alsa spec needs a device/],
  ['alsa:hw 0', /must not contain whitespace/],
  ['alsa:-D', /must not start with '-'/],
];

const validOutputs: Array<[string, OutputSpec]> = [
  ['null', { kind: 'null' }],
  ['file:/tmp/out.wav', { kind: 'file', path: '/tmp/out.wav' }],
  ['file:/tmp/rec-{link}.wav', { kind: 'file', path: '/tmp/rec-{link}.wav' }],
  ['file:/tmp/{link}/{link}.wav', { kind: 'file', path: '/tmp/{link}/{link}.wav' }],
  ['alsa:null', { kind: 'alsa', device: 'null' }],
];

const invalidOutputs: Array<[string, RegExp]> = [
  ['', /empty/],
  ['tone', /'tone' is an input, not an output/],
  ['loopback', /'loopback' is an input/],
  ['silence', /'silence' is an input/],
  ['speaker', /unknown audio output 'speaker'/],
  ['null:1', /'null' takes no parameters/],
  ['file:/tmp/out.flac', /must end in \.wav/],
  ['file:/tmp/{Link}.wav', /unknown placeholder '\{Link\}'/],
  ['alsa:', /alsa spec needs a device/],
];

function errorOf(fn: () => unknown): AcipError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AcipError) return e;
    throw e;
  }
  throw new Error('expected an AcipError, nothing was thrown');
}

describe('audio input specs', () => {
  it.each(validInputs)('parses %j', (text, expected) => {
    expect(parseInputSpec(text)).toEqual(expected);
  });

  it.each(invalidInputs)('rejects %j with a message naming the problem', (text, message) => {
    const e = errorOf(() => parseInputSpec(text));
    expect(e.code).toBe('AUDIO_SPEC_INVALID');
    expect(e.field).toBe('input');
    expect(e.message).toMatch(message);
  });

  it('round-trips every valid input through its canonical text', () => {
    for (const [, spec] of validInputs) expect(parseInputSpec(formatInputSpec(spec))).toEqual(spec);
  });

  it('names the config field passed by the caller', () => {
    const e = errorOf(() => parseInputSpec('tone:5', 'links.default.input'));
    expect(e.field).toBe('links.default.input');
    expect(e.message).toMatch(/^links\.default\.input: /);
  });
});

describe('audio output specs', () => {
  it.each(validOutputs)('parses %j', (text, expected) => {
    expect(parseOutputSpec(text)).toEqual(expected);
  });

  it.each(invalidOutputs)('rejects %j with a message naming the problem', (text, message) => {
    const e = errorOf(() => parseOutputSpec(text));
    expect(e.code).toBe('AUDIO_SPEC_INVALID');
    expect(e.field).toBe('output');
    expect(e.message).toMatch(message);
  });

  it('round-trips every valid output through its canonical text', () => {
    for (const [, spec] of validOutputs) expect(parseOutputSpec(formatOutputSpec(spec))).toEqual(spec);
  });

  it('gives each link its own file through the {link} placeholder, with unsafe characters replaced', () => {
    expect(substituteLinkPlaceholder('/rec/{link}-{link}.wav', 'studio-1')).toBe('/rec/studio-1-studio-1.wav');
    expect(substituteLinkPlaceholder('/rec/{link}.wav', '../etc/x y')).toBe('/rec/_._etc_x_y.wav');
    expect(substituteLinkPlaceholder('/rec/fixed.wav', 'a')).toBe('/rec/fixed.wav');
  });
});
