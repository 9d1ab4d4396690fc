/**
 * The receive path's jitter buffer built on the first packet (codec-path.ts `lazyReceive`): the same
 * playout, tick for tick, as a buffer built with the path, and no buffer at all for a far end that
 * never sends.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../server/util/clock.js';
import { codecRegistry } from '../../server/codecs/registry.js';
import { buildCodecPath, receivePacket, startCodecPath, stopCodecPath, type CodecPath } from '../../server/media/codec-path.js';
import { JitterBuffer } from '../../server/media/jitter-buffer.js';
import { PlayoutAdapter } from '../../server/media/playout-adapter.js';
import type { MediaSessionParams } from '../../server/media/session-types.js';

const PARAMS: MediaSessionParams = {
  linkId: 'lazy',
  codecId: 'L16',
  payloadType: 96,
  codecParams: { sampleRate: 48000, channels: 1, ptimeMs: 10 },
  localHost: '127.0.0.1',
  remote: null,
  send: false,
  receive: true,
  jitterBuffer: { mode: 'adaptive', minMs: 10, maxMs: 160 },
  input: 'silence',
  output: 'null',
  cname: 'lazy@test',
};

interface Run {
  path: CodecPath;
  /** Per receive tick: due time, the frames pulled, and the first sample played. */
  ticks: string[];
}

function open(clock: FakeClock, lazy: boolean): Run {
  const rec = codecRegistry.get(PARAMS.codecId);
  const ticks: string[] = [];
  const path: CodecPath = buildCodecPath(PARAMS, rec, 0, {
    clock,
    deferReceive: (fn) => fn(),
    isCurrent: () => true,
    sendTick: () => undefined,
    receiveTick: (p, dueMs) => {
      const out = p.adapter!.tick(dueMs);
      ticks.push(`${dueMs}:${p.adapter!.lastFrames.map((f) => (f.kind === 'packet' ? f.seq : f.reason)).join(',')}:${out[0]?.toFixed(4)}`);
    },
    decode: (dec, payload) => dec.decode(payload),
    reportError: (e) => {
      throw e;
    },
    lazyReceive: lazy,
  });
  startCodecPath(path);
  return { path, ticks };
}

/** One 10 ms L16 mono packet at 48 kHz whose samples all hold `value`. */
function packet(seq: number, value: number, arrivalMs: number) {
  const payload = Buffer.alloc(480 * 2);
  for (let i = 0; i < 480; i++) payload.writeInt16BE(value, i * 2);
  return { seq, timestamp: seq * 480, payload, arrivalMs };
}

describe('lazy receive path', () => {
  it.each([
    { silentMs: 0, label: 'the first packet at once' },
    { silentMs: 137, label: 'the first packet after 137 ms of silence' },
    { silentMs: 2000, label: 'the first packet after 2 s' },
  ])('plays every tick as a path with its buffer built up front does, with $label', ({ silentMs }) => {
    const clocks = [new FakeClock(0), new FakeClock(0)];
    const runs = [open(clocks[0]!, false), open(clocks[1]!, true)];
    expect(runs[0]!.path.buffer).toBeInstanceOf(JitterBuffer);
    expect(runs[1]!.path.buffer).toBeNull();
    for (const c of clocks) c.advance(silentMs);
    expect(runs[1]!.path.buffer).toBeNull();
    // 200 packets, one every 10 ms with a little jitter, the 40th lost.
    for (let seq = 0; seq < 200; seq++) {
      const at = silentMs + seq * 10 + ((seq * 7) % 5);
      for (let i = 0; i < 2; i++) {
        clocks[i]!.advance(at - clocks[i]!.now());
        if (seq !== 40) receivePacket(runs[i]!.path, packet(seq, 1000 + seq, at));
      }
    }
    for (const c of clocks) c.advance(300);
    expect(runs[1]!.path.buffer).toBeInstanceOf(JitterBuffer);
    expect(runs[1]!.ticks).toEqual(runs[0]!.ticks);
    expect(runs[1]!.ticks.filter((t) => /:\d+:/.test(t)).length).toBeGreaterThan(150);
    expect(runs[1]!.path.buffer!.stats().lost).toBe(1);
    expect(runs[1]!.path.buffer!.stats()).toEqual(runs[0]!.path.buffer!.stats());
    expect(runs[1]!.path.adapter!.stats()).toEqual(runs[0]!.path.adapter!.stats());
    for (const r of runs) stopCodecPath(r.path);
  });

  it('builds no buffer for a far end that never sends, and plays silence on every tick', () => {
    const clock = new FakeClock(0);
    const { path, ticks } = open(clock, true);
    clock.advance(10_000);
    expect(path.buffer).toBeNull();
    expect(ticks).toHaveLength(2001);
    expect(ticks.every((t) => t.endsWith(':not-started:0.0000'))).toBe(true);
    expect(path.adapter!.stats().silenceFrames).toBe(2001);
    stopCodecPath(path);
    // A packet after the path stopped builds nothing.
    receivePacket(path, packet(0, 1, clock.now()));
    expect(path.buffer).toBeNull();
    expect(clock.pending()).toBe(0);
  });

  it('ignores packets on a send-only path', () => {
    const clock = new FakeClock(0);
    const path = buildCodecPath({ ...PARAMS, send: true, receive: false }, codecRegistry.get('L16'), 0, {
      clock,
      deferReceive: (fn) => fn(),
      isCurrent: () => true,
      sendTick: () => undefined,
      receiveTick: () => undefined,
      decode: (dec, payload) => dec.decode(payload),
      reportError: () => undefined,
      lazyReceive: true,
    });
    receivePacket(path, packet(0, 1, 0));
    expect(path.buffer).toBeNull();
    stopCodecPath(path);
  });

  it('rejects a bad jitter-buffer setting when the path is built, not at the first packet', () => {
    const bad = { ...PARAMS, jitterBuffer: { mode: 'adaptive' as const, minMs: 200, maxMs: 100 } };
    const build = (lazy: boolean) => () =>
      buildCodecPath(bad, codecRegistry.get('L16'), 0, {
        clock: new FakeClock(0),
        deferReceive: (fn) => fn(),
        isCurrent: () => true,
        sendTick: () => undefined,
        receiveTick: () => undefined,
        decode: (dec, payload) => dec.decode(payload),
        reportError: () => undefined,
        lazyReceive: lazy,
      });
    expect(build(false)).toThrow(expect.objectContaining({ code: 'JB_BAD_OPTION' }));
    expect(build(true)).toThrow(expect.objectContaining({ code: 'JB_BAD_OPTION' }));
  });

  it('gives a playout adapter its buffer once only', () => {
    const opts = { samplesPerFrame: 960, ptimeMs: 20, rtpClockRate: 48000, mode: 'adaptive' as const, minDelayMs: 10, maxDelayMs: 160 };
    const adapter = new PlayoutAdapter({
      buffer: null,
      channels: 1,
      sampleRate: 48000,
      frameSamples: 960,
      decode: () => new Float32Array(960),
      conceal: () => new Float32Array(960),
    });
    expect(adapter.tick(0)).toHaveLength(960);
    expect(adapter.lastFrames).toEqual([{ kind: 'missing', reason: 'not-started', adjustSamples: 0 }]);
    adapter.attach(new JitterBuffer(opts));
    expect(() => adapter.attach(new JitterBuffer(opts))).toThrow();
  });
});
