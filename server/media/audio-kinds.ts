/**
 * The kinds of audio input (sources) and output (sinks) a link can use, one record per kind: its spec
 * name, usage text, how the rest of its spec (after `name:`) is parsed and printed, and the factory
 * that builds it at the link's rate and channel count. The spec parsers (audio-spec.ts) and the
 * factories (audio-source.ts, audio-sink.ts) only look records up here, so adding a kind means adding
 * its record to AUDIO_SOURCE_KINDS or AUDIO_SINK_KINDS (the spec type unions follow from the records).
 */
import type { AudioSink, AudioSource } from './audio-io.js';
import type { AlsaSampleFormat } from './alsa-pcm.js';
import { AlsaSink } from './alsa-sink.js';
import { AlsaSource } from './alsa-source.js';
import {
  DEFAULT_TONE_DBFS,
  DEFAULT_TONE_HZ,
  MAX_TONE_HZ,
  MIN_TONE_DBFS,
  MIN_TONE_HZ,
  noArgs,
  parseAlsaDevice,
  parseSpecNumber,
  parseWavPath,
  specError,
  substituteLinkPlaceholder,
  type SpecContext,
} from './audio-spec-grammar.js';
import { LoopbackSource } from './loopback-source.js';
import { NullSink } from './null-sink.js';
import { SilenceSource } from './silence-source.js';
import { ToneSource } from './tone-source.js';
import { WavFileSink, type WavFileSinkOptions } from './wav-file-sink.js';
import { WavFileSource } from './wav-file-source.js';
import type { WavWriteDepth } from './wav.js';

export interface AudioSourceParams {
  sampleRate: number;
  channels: number;
  /** ALSA capture options. */
  alsa?: { sampleFormat?: AlsaSampleFormat; periodMs?: number; queueMs?: number; env?: NodeJS.ProcessEnv; command?: string };
}

export interface AudioSinkParams {
  sampleRate: number;
  channels: number;
  /** Replaces `{link}` in a file path. */
  linkId: string;
  /** WAV recording depth: 24 (default; L24 bit-exact) or 16. */
  bitDepth?: WavWriteDepth;
  /** WAV header update / write interval (default 250 ms). */
  flushIntervalMs?: number;
  /** ALSA playback options. */
  alsa?: { sampleFormat?: AlsaSampleFormat; periodMs?: number; maxQueueMs?: number; env?: NodeJS.ProcessEnv; command?: string };
}

/** What every kind record has, sources and sinks alike. */
interface AudioKindBase<S extends { kind: string }> {
  name: S['kind'];
  /** The spec's shape, for help texts: `tone[:HZ[:DBFS]]`, `file:PATH.wav`. */
  usage: string;
  description: string;
  /** Parses what follows `name:` (undefined when there is no colon); throws AUDIO_SPEC_INVALID. */
  parse(rest: string | undefined, ctx: SpecContext): S;
  /** Canonical spec text: `parse` of what follows the colon gives the spec back. */
  format(spec: S): string;
}

export interface AudioSourceKind<S extends { kind: string } = { kind: string }> extends AudioKindBase<S> {
  /** Throws AcipError when the spec cannot be honoured at these parameters (tone above Nyquist, bad WAV file). */
  create(spec: S, params: AudioSourceParams): AudioSource;
}

export interface AudioSinkKind<S extends { kind: string } = { kind: string }> extends AudioKindBase<S> {
  /** Said when this output kind is given as an input (instead of listing the input kinds). */
  notAnInputHint?: string;
  create(spec: S, params: AudioSinkParams): AudioSink;
}

export type ToneInput = { kind: 'tone'; frequencyHz: number; levelDbfs: number };
export type SilenceInput = { kind: 'silence' };
export type FileInput = { kind: 'file'; path: string };
export type AlsaInput = { kind: 'alsa'; device: string };
export type LoopbackInput = { kind: 'loopback' };
export type NullOutput = { kind: 'null' };
export type FileOutput = { kind: 'file'; path: string };
export type AlsaOutput = { kind: 'alsa'; device: string };

/** The spec grammar of a kind named by its name alone (`silence`, `loopback`, `null`). */
function bareKind<K extends string>(name: K): Pick<AudioKindBase<{ kind: K }>, 'name' | 'usage' | 'parse' | 'format'> {
  return {
    name,
    usage: name,
    parse(rest, { field }) {
      noArgs(field, name, rest);
      return { kind: name };
    },
    format: () => name,
  };
}

/** The spec grammar of a WAV file, `file:PATH.wav`; only an output's path may hold `{link}`. */
function wavFileSpec(output: boolean): Pick<AudioKindBase<{ kind: 'file'; path: string }>, 'name' | 'parse' | 'format'> {
  return {
    name: 'file',
    parse: (rest, { field }) => ({ kind: 'file', path: parseWavPath(field, rest, output) }),
    format: (s) => `file:${s.path}`,
  };
}

/** The spec grammar of an ALSA device, capture and playback alike: `alsa:DEVICE`. */
const alsaDeviceSpec: Pick<AudioKindBase<{ kind: 'alsa'; device: string }>, 'name' | 'usage' | 'parse' | 'format'> = {
  name: 'alsa',
  usage: 'alsa:DEVICE',
  parse: (rest, { field }) => ({ kind: 'alsa', device: parseAlsaDevice(field, rest) }),
  format: (s) => `alsa:${s.device}`,
};

const toneSource: AudioSourceKind<ToneInput> = {
  name: 'tone',
  usage: 'tone[:HZ[:DBFS]]',
  description: `sine line-up tone; default ${DEFAULT_TONE_HZ} Hz at ${DEFAULT_TONE_DBFS} dBFS peak (EBU R 68 line-up level)`,
  parse(rest, { field, text }) {
    if (rest === undefined) return { kind: 'tone', frequencyHz: DEFAULT_TONE_HZ, levelDbfs: DEFAULT_TONE_DBFS };
    const parts = rest.split(':');
    if (parts.length > 2) specError(field, `tone spec '${text}' has too many parts (expected tone[:HZ[:DBFS]])`);
    const frequencyHz = parseSpecNumber(field, 'tone frequency', parts[0] ?? '');
    if (frequencyHz < MIN_TONE_HZ || frequencyHz > MAX_TONE_HZ) {
      specError(field, `tone frequency ${frequencyHz} Hz is out of range ${MIN_TONE_HZ}..${MAX_TONE_HZ} Hz`);
    }
    let levelDbfs = DEFAULT_TONE_DBFS;
    if (parts.length === 2) {
      levelDbfs = parseSpecNumber(field, 'tone level', parts[1] ?? '');
      if (levelDbfs > 0) specError(field, `tone level ${levelDbfs} dBFS is above full scale (must be <= 0 dBFS)`);
      if (levelDbfs < MIN_TONE_DBFS) specError(field, `tone level ${levelDbfs} dBFS is below ${MIN_TONE_DBFS} dBFS`);
    }
    return { kind: 'tone', frequencyHz, levelDbfs };
  },
  format: (s) => `tone:${s.frequencyHz}:${s.levelDbfs}`,
  create: (s, { sampleRate, channels }) => new ToneSource({ sampleRate, channels, frequencyHz: s.frequencyHz, levelDbfs: s.levelDbfs }),
};

const silenceSource: AudioSourceKind<SilenceInput> = {
  ...bareKind('silence'),
  description: 'digital silence',
  create: (_s, { sampleRate, channels }) => new SilenceSource(sampleRate, channels),
};

const fileSource: AudioSourceKind<FileInput> = {
  ...wavFileSpec(false),
  usage: 'file:PATH.wav',
  description: 'looped WAV file, resampled/channel-mapped to the link',
  create: (s, { sampleRate, channels }) => new WavFileSource(s.path, { sampleRate, channels }),
};

const alsaSource: AudioSourceKind<AlsaInput> = {
  ...alsaDeviceSpec,
  description: 'ALSA capture through `arecord -D DEVICE`',
  create: (s, { sampleRate, channels, alsa }) => new AlsaSource({ ...alsa, device: s.device, sampleRate, channels }),
};

const loopbackSource: AudioSourceKind<LoopbackInput> = {
  ...bareKind('loopback'),
  description: 'send back what arrives on the same link',
  // The media session feeds it from its receive path (isLoopbackSource in audio-source.ts).
  create: (_s, { sampleRate, channels }) => new LoopbackSource({ sampleRate, channels }),
};

const nullSink: AudioSinkKind<NullOutput> = {
  ...bareKind('null'),
  description: 'discard what arrives',
  notAnInputHint: "use 'silence' to send nothing",
  create: (_s, { sampleRate, channels }) => new NullSink(sampleRate, channels),
};

const fileSink: AudioSinkKind<FileOutput> = {
  ...wavFileSpec(true),
  usage: 'file:PATH.wav ({link} = link id)',
  description: 'streamed WAV recording; `{link}` in PATH is replaced by the link id',
  create(s, params) {
    const opts: WavFileSinkOptions = {
      sampleRate: params.sampleRate,
      channels: params.channels,
    };
    if (params.bitDepth !== undefined) opts.bitDepth = params.bitDepth;
    if (params.flushIntervalMs !== undefined) opts.flushIntervalMs = params.flushIntervalMs;
    return new WavFileSink(substituteLinkPlaceholder(s.path, params.linkId), opts);
  },
};

const alsaSink: AudioSinkKind<AlsaOutput> = {
  ...alsaDeviceSpec,
  description: 'ALSA playback through `aplay -D DEVICE`',
  create: (s, { sampleRate, channels, alsa }) => new AlsaSink({ ...alsa, device: s.device, sampleRate, channels }),
};

/** Input kinds, in the order help texts and error messages list them. */
export const AUDIO_SOURCE_KINDS = [toneSource, silenceSource, fileSource, alsaSource, loopbackSource] as const;
/** Output kinds, in the order help texts and error messages list them. */
export const AUDIO_SINK_KINDS = [nullSink, fileSink, alsaSink] as const;

type SpecOf<R> = R extends AudioKindBase<infer S> ? S : never;
/** A parsed `--input` spec: one member per source record. */
export type InputSpec = SpecOf<(typeof AUDIO_SOURCE_KINDS)[number]>;
/** A parsed `--output` spec: one member per sink record. */
export type OutputSpec = SpecOf<(typeof AUDIO_SINK_KINDS)[number]>;
export type InputKind = InputSpec['kind'];
export type OutputKind = OutputSpec['kind'];

const sourceByName = new Map<string, AudioSourceKind<InputSpec>>(AUDIO_SOURCE_KINDS.map((k) => [k.name, k as unknown as AudioSourceKind<InputSpec>]));
const sinkByName = new Map<string, AudioSinkKind<OutputSpec>>(AUDIO_SINK_KINDS.map((k) => [k.name, k as unknown as AudioSinkKind<OutputSpec>]));

/** The source record named `name` (lower case), undefined when there is none. */
export function findSourceKind(name: string): AudioSourceKind<InputSpec> | undefined {
  return sourceByName.get(name);
}

/** The sink record named `name` (lower case), undefined when there is none. */
export function findSinkKind(name: string): AudioSinkKind<OutputSpec> | undefined {
  return sinkByName.get(name);
}
