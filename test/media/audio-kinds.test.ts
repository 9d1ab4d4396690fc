/**
 * The audio source and sink kinds are records: every test here runs over the registry, so a new kind
 * is covered by adding a row for its example spec.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIO_SINK_KINDS, AUDIO_SOURCE_KINDS, findSinkKind, findSourceKind } from '../../server/media/audio-kinds.js';
import { createAudioSink } from '../../server/media/audio-sink.js';
import { createAudioSource } from '../../server/media/audio-source.js';
import {
  formatInputSpec,
  formatOutputSpec,
  INPUT_KINDS,
  INPUT_SPEC_USAGE,
  OUTPUT_KINDS,
  OUTPUT_SPEC_USAGE,
  parseInputSpec,
  parseOutputSpec,
} from '../../server/media/audio-spec.js';

const fixtures = new URL('../fixtures/audio/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'acip-kinds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `true` stands in for arecord/aplay: the record's factory is what is under test, not ALSA. */
const alsa = { command: 'true' };

/** One example spec per source kind; the table must name every record. */
const SOURCE_EXAMPLES: Record<string, string> = {
  tone: 'tone:440:-12',
  silence: 'silence',
  file: `file:${fixtures}tone-1k-m18dbfs-s16-48k-mono.wav`,
  alsa: 'alsa:default',
  loopback: 'loopback',
};

/** One example spec per sink kind; the table must name every record. */
const SINK_EXAMPLES: Record<string, string> = {
  null: 'null',
  file: `file:${dir}/rec-{link}.wav`,
  alsa: 'alsa:default',
};

describe('the audio source registry', () => {
  it('lists the input kinds in the order messages and help texts give them', () => {
    expect(INPUT_KINDS).toEqual(['tone', 'silence', 'file', 'alsa', 'loopback']);
    expect(AUDIO_SOURCE_KINDS.map((k) => k.name)).toEqual(INPUT_KINDS);
    expect(INPUT_SPEC_USAGE).toBe('tone[:HZ[:DBFS]], silence, file:PATH.wav, alsa:DEVICE, loopback');
  });

  it('has an example spec for every kind and no example without a kind', () => {
    expect(Object.keys(SOURCE_EXAMPLES).sort()).toEqual([...INPUT_KINDS].sort());
  });

  it.each(AUDIO_SOURCE_KINDS.map((k) => [k.name, k] as const))('%s: usage starts with its name and it is found by name', (name, record) => {
    expect(record.usage.startsWith(name)).toBe(true);
    expect(record.description.length).toBeGreaterThan(0);
    expect(findSourceKind(name)).toBe(record);
  });

  it.each(AUDIO_SOURCE_KINDS.map((k) => [k.name] as const))('%s: parses its example, prints it back and builds a source of that kind', (name) => {
    const spec = parseInputSpec(SOURCE_EXAMPLES[name] as string);
    expect(spec.kind).toBe(name);
    expect(parseInputSpec(formatInputSpec(spec))).toEqual(spec);
    const src = createAudioSource(spec, { sampleRate: 48000, channels: 2, alsa });
    try {
      expect(src.kind).toBe(name);
      expect(src.sampleRate).toBe(48000);
      expect(src.channels).toBe(2);
      expect(src.read(480)).toHaveLength(960);
      expect(src.stats().kind).toBe(name);
    } finally {
      src.close();
    }
  });

  it.each(AUDIO_SOURCE_KINDS.filter((k) => !findSinkKind(k.name)).map((k) => [k.name] as const))('%s: is refused as an output, named as an input', (name) => {
    expect(() => parseOutputSpec(name)).toThrow(new RegExp(`'${name}' is an input, not an output`));
  });
});

describe('the audio sink registry', () => {
  it('lists the output kinds in the order messages and help texts give them', () => {
    expect(OUTPUT_KINDS).toEqual(['null', 'file', 'alsa']);
    expect(AUDIO_SINK_KINDS.map((k) => k.name)).toEqual(OUTPUT_KINDS);
    expect(OUTPUT_SPEC_USAGE).toBe('null, file:PATH.wav ({link} = link id), alsa:DEVICE');
  });

  it('has an example spec for every kind and no example without a kind', () => {
    expect(Object.keys(SINK_EXAMPLES).sort()).toEqual([...OUTPUT_KINDS].sort());
  });

  it.each(AUDIO_SINK_KINDS.map((k) => [k.name, k] as const))('%s: usage starts with its name and it is found by name', (name, record) => {
    expect(record.usage.startsWith(name)).toBe(true);
    expect(record.description.length).toBeGreaterThan(0);
    expect(findSinkKind(name)).toBe(record);
  });

  it.each(AUDIO_SINK_KINDS.map((k) => [k.name] as const))('%s: parses its example, prints it back and builds a sink of that kind', async (name) => {
    const spec = parseOutputSpec(SINK_EXAMPLES[name] as string);
    expect(spec.kind).toBe(name);
    expect(parseOutputSpec(formatOutputSpec(spec))).toEqual(spec);
    const sink = createAudioSink(spec, { sampleRate: 48000, channels: 2, linkId: 'kinds', alsa });
    try {
      expect(sink.kind).toBe(name);
      expect(sink.sampleRate).toBe(48000);
      expect(sink.channels).toBe(2);
      sink.write(new Float32Array(960));
      expect(sink.stats().kind).toBe(name);
    } finally {
      await sink.close();
    }
  });

  it.each(AUDIO_SINK_KINDS.filter((k) => !findSourceKind(k.name)).map((k) => [k.name] as const))('%s: is refused as an input, named as an output', (name) => {
    expect(() => parseInputSpec(name)).toThrow(new RegExp(`'${name}' is an output, not an input`));
  });
});
