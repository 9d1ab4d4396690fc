/**
 * The codec path of a media session: what a codec, packet-time or jitter-buffer change rebuilds. The
 * encoder and send clock (send direction), the decoder, jitter buffer, playout adapter, receive clock
 * and receive queue (receive direction), all built from the codec record with no codec branches.
 *
 * The send clock ticks once per send packet time; the receive clock every receive tick (see
 * media-session.ts). What a tick does (read the source, encode, send; or pull, meter, write the sink)
 * is the session's: the path only calls back into it.
 */
import type { AudioDecoder, AudioEncoder, CodecParams, CodecRecord } from '../codecs/codec.js';
import type { Clock } from '../util/clock.js';
import { FrameClock, type FrameClockStats } from './frame-clock.js';
import { JitterBuffer } from './jitter-buffer.js';
import { badParam, jitterOptions, receiveTickSamples } from './media-session-params.js';
import { parseInputSpec, parseOutputSpec } from './audio-spec.js';
import { PlayoutAdapter } from './playout-adapter.js';
import { ReceiveQueue } from './receive-queue.js';
import type { MediaSessionParams } from './session-types.js';

export interface CodecPath {
  record: CodecRecord;
  params: CodecParams;
  receivePtimeMs: number;
  rtpClockRate: number;
  /** RTP timestamp units per send frame. */
  rtpUnitsPerFrame: number;
  encoder: AudioEncoder | null;
  decoder: AudioDecoder | null;
  buffer: JitterBuffer | null;
  adapter: PlayoutAdapter | null;
  sendClock: FrameClock | null;
  receiveClock: FrameClock | null;
  /** Receive clock period in force, ms. */
  receiveTickMs: number;
  /** Receive ticks waiting to run after socket reads. */
  rx: ReceiveQueue;
  /** Output sample frames written by this path. */
  rxFramesOut: number;
  /** RTP timestamp (caller origin) of send tick 0 of this path: timestamps continue across rebuilds. */
  tsBase: number;
  sentFrames: number;
}

/** What the path calls back into (the media session). */
export interface CodecPathHooks {
  clock: Clock;
  /** Runs the queued receive ticks after pending socket reads. */
  deferReceive: (fn: () => void) => void;
  /** Whether `path` is the session's path in force. */
  isCurrent: (path: CodecPath) => boolean;
  sendTick: (path: CodecPath, k: number) => void;
  receiveTick: (path: CodecPath, dueMs: number) => void;
  decode: (dec: AudioDecoder, payload: Buffer) => Float32Array;
  reportError: (e: unknown, where: string) => void;
}

/** Totals of a stopped path's playout adapter, for the session to keep. */
export interface PlayoutTotals {
  silenceFrames: number;
  samplesInserted: number;
  samplesRemoved: number;
}

export function buildCodecPath(p: MediaSessionParams, record: CodecRecord, tsBase: number, h: CodecPathHooks): CodecPath {
  const params = p.codecParams;
  const receivePtimeMs = p.receivePtimeMs ?? params.ptimeMs;
  const rtpClockRate = record.rtpClockRate(params);
  const audioRate = record.audioSampleRate(rtpClockRate);
  if (audioRate !== params.sampleRate) badParam('codecParams.sampleRate', `${record.id} at RTP clock ${rtpClockRate} runs at ${audioRate} Hz, not ${params.sampleRate}`);
  const path: CodecPath = {
    record,
    params,
    receivePtimeMs,
    rtpClockRate,
    rtpUnitsPerFrame: 0,
    encoder: null,
    decoder: null,
    buffer: null,
    adapter: null,
    sendClock: null,
    receiveClock: null,
    receiveTickMs: receivePtimeMs,
    rx: new ReceiveQueue({
      clock: h.clock,
      defer: h.deferReceive,
      live: () => path.adapter !== null && h.isCurrent(path),
      run: (dueMs) => h.receiveTick(path, dueMs),
      onError: (e) => h.reportError(e, 'decode'),
    }),
    rxFramesOut: 0,
    tsBase,
    sentFrames: 0,
  };
  try {
    if (p.send) {
      const enc = record.createEncoder(params);
      path.encoder = enc;
      // Audio samples → RTP clock units, from the record (G.722: 320 samples = 160 units).
      path.rtpUnitsPerFrame = Math.round((enc.samplesPerFrame * rtpClockRate) / audioRate);
      path.sendClock = new FrameClock({
        frameMs: (enc.samplesPerFrame * 1000) / audioRate,
        clock: h.clock,
        onTick: (k) => h.sendTick(path, k),
        onError: (e) => h.reportError(e, 'encode'),
      });
    }
    if (p.receive) {
      const rxParams = { ...params, ptimeMs: receivePtimeMs };
      const dec = record.createDecoder(rxParams);
      path.decoder = dec;
      const tickSamples = receiveTickSamples(p, dec.samplesPerFrame, audioRate);
      const tickMs = (tickSamples * 1000) / audioRate;
      path.receiveTickMs = tickMs;
      const buffer = new JitterBuffer(jitterOptions(p, rtpClockRate, receivePtimeMs, tickMs));
      path.buffer = buffer;
      path.adapter = new PlayoutAdapter({
        buffer,
        channels: dec.channels,
        sampleRate: audioRate,
        frameSamples: tickSamples,
        codecFrameSamples: dec.samplesPerFrame,
        unitRatio: audioRate / rtpClockRate,
        decode: (payload) => h.decode(dec, payload),
        conceal: () => dec.conceal(),
        unheard: isUnheardPlayout(p),
      });
      path.receiveClock = new FrameClock({
        frameMs: tickMs,
        clock: h.clock,
        onTick: (_k, dueMs) => path.rx.push(dueMs),
        onError: (e) => h.reportError(e, 'decode'),
      });
    }
  } catch (e) {
    path.encoder?.close();
    path.decoder?.close();
    throw e;
  }
  return path;
}

/**
 * Whether nobody hears what this session plays: a `null` output, and an input other than `loopback`
 * (which sends the played audio back to the far end). Such playout needs only exact timing.
 */
export function isUnheardPlayout(p: Pick<MediaSessionParams, 'input' | 'output'>): boolean {
  return parseOutputSpec(p.output).kind === 'null' && parseInputSpec(p.input).kind !== 'loopback';
}

export function startCodecPath(path: CodecPath, originMs?: number): void {
  path.sendClock?.start(originMs);
  path.receiveClock?.start(originMs);
}

/** Stops the clocks and closes the codec; returns the playout totals the session keeps. */
export function stopCodecPath(path: CodecPath): PlayoutTotals | undefined {
  path.sendClock?.stop();
  path.receiveClock?.stop();
  const totals = path.adapter?.stats();
  path.adapter = null;
  path.rx.clear();
  path.encoder?.close();
  path.decoder?.close();
  return totals;
}

/** The receive clock's stats, with ticks skipped in the receive queue counted as skipped. */
export function receiveClockStats(path: CodecPath): FrameClockStats | null {
  return path.rx.clockStats(path.receiveClock?.stats());
}
