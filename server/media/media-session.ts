/**
 * The media session: ties the RTP session (sockets, RTP/RTCP, statistics, symmetric latching), the
 * codec record's encoder and decoder, the receive jitter buffer, the audio source and sink, meters
 * and silence detectors together for one link. Created and closed by the
 * link layer from plain negotiated values (session-types.ts); knows nothing of SIP or SDP.
 *
 * Clocks:
 * - Send: a FrameClock ticks once per send packet time; tick k pulls one frame from the input (at the
 *   codec's audio rate and channels: the source resamples), meters it, encodes it and sends it with
 *   RTP timestamp k · (samples per frame · RTP clock / audio rate). The ratio comes from the codec
 *   record (G.722: RTP clock 8000 for 16 kHz audio, RFC 3551 §4.5.2), with no codec branches here.
 * - Receive: RTP packets only go into the jitter buffer. A second FrameClock ticks every
 *   `receiveTickMs` (default min(receive ptime, 5 ms)) and takes one tick's worth of audio from the
 *   PlayoutAdapter (which pops whole frames, decodes or conceals them through the codec record, one
 *   codec frame per missing packet, applies the buffer's drift/delay stretch hints and hands the
 *   decoded audio out a tick at a time), then meters it, runs the silence detector, writes it to the
 *   output and, for a `loopback` input, hands it to the send path. Packet arrival never drives playout.
 *   Why a tick finer than the packet time: a frame can only start on a tick, so the buffer's delay
 *   sits on the tick grid; at 20 ms packets a 5 ms grid saves up to 15 ms of delay (the jitter bench,
 *   `npm run bench -- jitter`, measures it), and the buffer is told the grid as `pullPeriodMs`.
 * - Receive work runs after socket reads: the receive clock's timer callback only queues the tick
 *   (with its due time) and the playout runs from `setImmediate` (receive-queue.ts says why): one per
 *   turn for all the sessions of the thread with ticks waiting.
 * - Phase: both clocks start on the thread's tick grid (frame-ticker.ts), so that the ticks of all the
 *   sessions of a thread fall due together and one timer wake-up drives them all.
 *
 * Parts: parameter checks and derived settings (media-session-params.ts), the codec path a codec
 * change rebuilds (codec-path.ts), the network side (media-transport.ts: the RTP session, SRTP, the
 * second path of a duplicated stream and the loss-recovery stage of recovery-stage.ts, which hands
 * the jitter buffer each packet once), the receive tick queue (receive-queue.ts), the stats snapshot
 * (media-session-stats.ts). This file wires them to the source, the sink and the meters, and runs
 * the send and receive ticks (each receive tick also lets the recovery stage send NACKs due).
 *
 * Ports (decision): the session binds its own sockets. The link layer opens the session BEFORE it
 * builds the SDP offer (remote null, send/receive false if it likes), reads `localRtpPort` /
 * `localRtcpPort` for the m= line and c=, and calls `update()` with the remote endpoint and the
 * negotiated codec once the answer is known. No sockets cross the interface (it must stay
 * serialisable for worker threads), and no probe-then-bind race is possible.
 *
 * Mid-call changes (`update`, e.g. after a re-INVITE): the remote endpoint is just re-pointed; a codec,
 * packet-time or jitter-buffer change rebuilds the encoder, decoder, buffer and clocks. If the payload
 * type or RTP clock rate changes, the transport carries the RTP session over to them on the same ports
 * with the same SSRC and continuing sequence numbers (media-transport.ts says how).
 *
 * No-media: checked on the receive clock's ticks (no timer of its own): no RTP accepted for
 * `noMediaTimeoutMs` since start (or since the receive path was enabled) or since the last packet →
 * 'no-media', once per outage; the next packet → 'media-restored'. It runs only while receiving
 * and counts RTP alone: it tells that the audio we expect is missing. The last RTCP arrival is in the
 * stats (`lastRtcpRxMs`) for the link's inactivity rule, which counts both, since RTCP keeps flowing
 * on held and receive-only streams (RFC 3264 §5.1).
 */
import type { AudioDecoder, CodecParams, CodecRecord } from '../codecs/codec.js';
import type { RtpLogger } from '../rtp/rtp-session.js';
import type { IncomingPacket } from './jitter-buffer-types.js';
import { MediaTransport } from './media-transport.js';
import type { Clock } from '../util/clock.js';
import { AcipError } from '../util/errors.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { createAudioSink } from './audio-sink.js';
import { createAudioSource, isLoopbackSource, type LoopbackSource } from './audio-source.js';
import { parseInputSpec, parseOutputSpec } from './audio-spec.js';
import type { AudioSink, AudioSource } from './audio-io.js';
import { buildCodecPath, isUnheardPlayout, startCodecPath, stopCodecPath, type CodecPath } from './codec-path.js';
import { tickGridAtOrBefore } from './frame-ticker.js';
import { LevelMeter, type LevelSnapshot } from './level-meter.js';
import {
  badParam,
  checkParams,
  DEFAULT_NO_MEDIA_TIMEOUT_MS,
  MEDIA_SESSION_CLOSED,
  plainError,
  sameJson,
} from './media-session-params.js';
import { sessionStats } from './media-session-stats.js';
import { deferAfterReads } from './receive-queue.js';
import { SilenceDetector } from './silence-detector.js';
import type { MediaDirection, MediaSessionEvents, MediaSessionParams, MediaSessionStats } from './session-types.js';

export type * from './session-types.js';
export {
  DEFAULT_NO_MEDIA_TIMEOUT_MS,
  DEFAULT_RECEIVE_TICK_MS,
  MEDIA_SESSION_CLOSED,
  MEDIA_SESSION_PARAMS,
  MIN_RECEIVE_TICK_MS,
  receiveTickSamples,
} from './media-session-params.js';

export interface MediaSessionLogger extends RtpLogger {
  info?(obj: object, msg: string): void;
}

export interface MediaSessionDeps {
  /**
   * One clock for everything: RTCP timers, packet arrival stamps, the frame clocks and the no-media
   * check (the jitter buffer compares arrival stamps with frame due times, so they must share it).
   * `systemClock` in production; a FakeClock drives everything but the sockets in tests.
   */
  clock: Clock;
  logger?: MediaSessionLogger;
  /**
   * Runs the queued receive ticks after pending socket reads (default `deferAfterReads`: one
   * `setImmediate` per turn for every session of the thread). Tests with a
   * FakeClock may pass `(fn) => fn()` to run them inside the clock's tick; the stall test uses that to
   * measure what the deferral buys.
   */
  deferReceive?: (fn: () => void) => void;
  /**
   * Observer of every receive tick, for tests and diagnostics (not carried to workers): where in the
   * output stream the tick's audio starts (sample frames since the receive path started), how many
   * frames it wrote, and what the jitter buffer gave for each frame pulled on it. Tests use it to tell
   * concealed stretches of a recording from clean ones.
   */
  onPlayout?: (tick: PlayoutTickInfo) => void;
}

export interface PlayoutTickInfo {
  /** Output sample frames written by this receive path before this tick. */
  outputFrame: number;
  frames: number;
  /** One entry per frame pulled from the jitter buffer on this tick: 'packet' or the missing reason. */
  pulled: Array<'packet' | 'lost' | 'underrun' | 'not-started' | 'gap'>;
  /** Whether any frame pulled on this tick was stretched or shrunk (a splice, drift-corrector.ts). */
  spliced: boolean;
  /** Frames the buffer skipped unplayed on this tick (delay above its maximum). */
  droppedFrames: number;
}

export class MediaSession extends TypedEmitter<MediaSessionEvents> {
  readonly linkId: string;
  private params: MediaSessionParams;
  private readonly clock: Clock;
  private readonly logger: MediaSessionLogger | undefined;
  private readonly deferReceive: (fn: () => void) => void;
  private readonly onPlayout: ((tick: PlayoutTickInfo) => void) | undefined;
  /** RTP session(s), SRTP and loss recovery (media-transport.ts). */
  private transport: MediaTransport;
  private path: CodecPath;
  private source: AudioSource;
  /** `source` when it is a loopback input (fed from the receive path), else null: checked once per source, not per tick. */
  private loopback: LoopbackSource | null = null;
  private sink: AudioSink;
  private sourceKey: string;
  private sinkKey: string;
  private inMeter: LevelMeter;
  private outMeter: LevelMeter;
  private inSilence: SilenceDetector;
  private outSilence: SilenceDetector;
  private readonly openedAt: number;
  private rxWatchFrom: number;
  private noMedia = false;
  private noMediaSince = 0;
  private noMediaEvents = 0;
  private byeReceived = false;
  /** `clock.now()` of the last RTCP packet from the far end (kept across RTP session reopens). */
  private lastRtcpRx: number | null = null;
  private decodeErrors = 0;
  private encodeErrors = 0;
  private playedFrames = 0;
  private silenceFrames = 0;
  private samplesInserted = 0;
  private samplesRemoved = 0;
  private errorCounts = new Map<string, number>();
  private closing: Promise<void> | null = null;

  /** Opens the sockets and starts the clocks of the enabled directions. */
  static async open(params: MediaSessionParams, deps: MediaSessionDeps): Promise<MediaSession> {
    const record = checkParams(params);
    const ssrc = params.ssrc ?? (Math.random() * 0x1_0000_0000) >>> 0;
    const initialSeq = (Math.random() * 0x10000) >>> 0;
    // The transport's handlers reach the session once it exists (nothing arrives before: no await between).
    let session: MediaSession | null = null;
    const transport = await MediaTransport.open(params, record, { clock: deps.clock, ...(deps.logger ? { logger: deps.logger } : {}) }, ssrc, initialSeq, {
      packet: (p) => session?.onPacket(p),
      arrived: () => session?.onArrived(),
      bufferDelayMs: () => session?.path.buffer?.targetDelayMs,
      playoutAtMs: (ts) => session?.path.buffer?.playoutAtMs(ts),
      bye: (reason) => session?.onBye(reason),
      rtcp: (at) => {
        if (session) session.lastRtcpRx = at;
      },
      latched: (l) => session?.emit('latched', l),
      error: (e) => session?.reportError(e, 'rtp'),
    });
    try {
      session = new MediaSession(params, record, deps, transport);
      return session;
    } catch (e) {
      await transport.close();
      throw e;
    }
  }

  private constructor(params: MediaSessionParams, record: CodecRecord, deps: MediaSessionDeps, transport: MediaTransport) {
    super();
    this.linkId = params.linkId;
    this.params = params;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.deferReceive = deps.deferReceive ?? deferAfterReads;
    this.onPlayout = deps.onPlayout;
    this.transport = transport;
    this.onListenerError = (event, err) => this.logger?.warn({ event, err, link: this.linkId }, 'media session listener threw');
    const openedAt = this.clock.now();
    this.openedAt = tickGridAtOrBefore(openedAt);
    this.rxWatchFrom = openedAt;
    const cp = params.codecParams;
    // Meters and detectors are per direction and survive codec changes only when the format does.
    this.inMeter = new LevelMeter({ sampleRate: cp.sampleRate, channels: cp.channels });
    this.outMeter = new LevelMeter({ sampleRate: cp.sampleRate, channels: cp.channels });
    this.inSilence = this.makeSilence('input', cp);
    this.outSilence = this.makeSilence('output', cp);
    this.sourceKey = '';
    this.sinkKey = '';
    this.source = this.makeSource(params);
    try {
      this.sink = this.makeSink(params);
    } catch (e) {
      this.source.close();
      throw e;
    }
    try {
      this.path = this.buildPath(params, record, 0);
    } catch (e) {
      this.source.close();
      void this.sink.close();
      throw e;
    }
    // Both clocks count from the moment the session opened (`openedAtMs` in the stats: the tick grid
    // point at or just before it), not from after the codec set-up (Opus: tens of ms when its wasm
    // module is first compiled), so that the stats tell exactly when input sample 0 was due and
    // output sample 0 played.
    startCodecPath(this.path, this.openedAt);
  }

  // ------------------------------------------------------------------------------------------
  // Public surface

  get localRtpPort(): number {
    return this.transport.localRtpPort;
  }

  get localRtcpPort(): number {
    return this.transport.localRtcpPort;
  }

  get isClosed(): boolean {
    return this.closing !== null;
  }

  /** The parameters in force (a copy). */
  currentParams(): MediaSessionParams {
    return structuredClone(this.params);
  }

  /**
   * Apply new negotiated parameters (re-INVITE, or the SDP answer after opening before the offer).
   * linkId, localHost, ports/portRange and cname are fixed at open and must not change.
   */
  async update(next: MediaSessionParams): Promise<void> {
    if (this.closing) throw new AcipError(MEDIA_SESSION_CLOSED, 'media session is closed');
    const record = checkParams(next);
    const prev = this.params;
    if (next.linkId !== prev.linkId) badParam('linkId', 'linkId cannot change');
    if (next.localHost !== prev.localHost) badParam('localHost', 'localHost cannot change (the ports are kept)');
    if (next.cname !== prev.cname) badParam('cname', 'cname cannot change');
    const codecChanged =
      next.codecId !== prev.codecId ||
      next.payloadType !== prev.payloadType ||
      !sameJson(next.codecParams, prev.codecParams) ||
      (next.receivePtimeMs ?? next.codecParams.ptimeMs) !== (prev.receivePtimeMs ?? prev.codecParams.ptimeMs) ||
      next.receiveTickMs !== prev.receiveTickMs ||
      !sameJson(next.jitterBuffer, prev.jitterBuffer) ||
      next.send !== prev.send ||
      next.receive !== prev.receive;
    const rtpChanged = this.transport.needsReopen(next, record);
    if (!codecChanged && !rtpChanged) {
      await this.transport.update(next, record, false);
      this.params = next;
      if (next.input !== prev.input) this.replaceSource(next);
      if (next.output !== prev.output) await this.replaceSink(next);
      if (!sameJson(next.silence, prev.silence)) {
        this.inSilence = this.makeSilence('input', next.codecParams);
        this.outSilence = this.makeSilence('output', next.codecParams);
      }
      return;
    }
    // Codec path rebuild: stop the old clocks first so nothing ticks into half-built state.
    const old = this.path;
    const nextTs = old.tsBase + (old.sendClock ? old.sendClock.nextTick : 0) * old.rtpUnitsPerFrame;
    this.stopPath(old);
    this.params = next;
    await this.transport.update(next, record, rtpChanged);
    const formatChanged = next.codecParams.sampleRate !== prev.codecParams.sampleRate || next.codecParams.channels !== prev.codecParams.channels;
    if (formatChanged) {
      this.inMeter = new LevelMeter({ sampleRate: next.codecParams.sampleRate, channels: next.codecParams.channels });
      this.outMeter = new LevelMeter({ sampleRate: next.codecParams.sampleRate, channels: next.codecParams.channels });
    }
    if (formatChanged || !sameJson(next.silence, prev.silence)) {
      this.inSilence = this.makeSilence('input', next.codecParams);
      this.outSilence = this.makeSilence('output', next.codecParams);
    }
    if (formatChanged || next.input !== prev.input) this.replaceSource(next);
    if (formatChanged || next.output !== prev.output) await this.replaceSink(next);
    if (next.receive && !prev.receive) this.rxWatchFrom = this.clock.now();
    this.path = this.buildPath(next, record, nextTs);
    startCodecPath(this.path, tickGridAtOrBefore(this.clock.now()));
  }

  stats(): MediaSessionStats {
    return sessionStats({
      linkId: this.linkId,
      closed: this.closing !== null,
      openedAtMs: this.openedAt,
      params: this.params,
      path: this.path,
      rtp: this.transport.stats(),
      recovery: this.transport.recoveryStats(this.path.buffer?.stats().lost ?? 0),
      counters: {
        playedFrames: this.playedFrames,
        silenceFrames: this.silenceFrames,
        decodeErrors: this.decodeErrors,
        encodeErrors: this.encodeErrors,
        samplesInserted: this.samplesInserted,
        samplesRemoved: this.samplesRemoved,
        noMedia: this.noMedia,
        noMediaEvents: this.noMediaEvents,
        byeReceived: this.byeReceived,
        lastRtcpRxMs: this.lastRtcpRx,
      },
      input: { meter: this.inMeter.snapshot(), silence: this.inSilence.state(), source: this.source.stats() },
      output: { meter: this.outMeter.snapshot(), silence: this.outSilence.state(), sink: this.sink.stats() },
    });
  }

  /**
   * The two level meters alone: what a 10 Hz meter feed needs between full snapshots, without the
   * cost of building `stats()` (about 100 µs: RTP, jitter buffer, clocks, source and sink).
   */
  meters(): { input: LevelSnapshot; output: LevelSnapshot } {
    return { input: this.inMeter.snapshot(), output: this.outMeter.snapshot() };
  }

  /**
   * Idempotent. Stops both clocks, closes the RTP session (RTCP BYE, sockets), closes encoder and
   * decoder, closes the source and flushes and closes the sink (a WAV recording is complete when this
   * resolves). Leaves no timers or sockets behind.
   */
  close(reason?: string): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      this.stopPath(this.path);
      const errors: unknown[] = [];
      try {
        await this.transport.close(reason);
      } catch (e) {
        errors.push(e);
      }
      try {
        this.source.close();
      } catch (e) {
        errors.push(e);
      }
      try {
        await this.sink.close();
      } catch (e) {
        errors.push(e);
      }
      for (const e of errors) this.logger?.warn({ err: e, link: this.linkId }, 'media session close step failed');
    })();
    return this.closing;
  }

  // ------------------------------------------------------------------------------------------
  // Building

  private makeSilence(direction: MediaDirection, cp: CodecParams): SilenceDetector {
    const s = this.params.silence;
    const d = new SilenceDetector({
      sampleRate: cp.sampleRate,
      channels: cp.channels,
      ...(s?.thresholdDbfs !== undefined ? { thresholdDbfs: s.thresholdDbfs } : {}),
      ...(s?.durationMs !== undefined ? { durationMs: s.durationMs } : {}),
    });
    d.on('silence', (e) => this.emit('silence', { ...e, direction }));
    d.on('silence-cleared', (e) => this.emit('silence-cleared', { ...e, direction }));
    return d;
  }

  private makeSource(p: MediaSessionParams): AudioSource {
    const src = createAudioSource(parseInputSpec(p.input), { sampleRate: p.codecParams.sampleRate, channels: p.codecParams.channels });
    src.on('error', (e) => this.reportError(e, 'input'));
    this.loopback = isLoopbackSource(src) ? src : null;
    this.sourceKey = `${p.input}|${p.codecParams.sampleRate}|${p.codecParams.channels}`;
    return src;
  }

  private makeSink(p: MediaSessionParams): AudioSink {
    const sink = createAudioSink(parseOutputSpec(p.output), {
      sampleRate: p.codecParams.sampleRate,
      channels: p.codecParams.channels,
      linkId: p.linkId,
      ...(p.recordBitDepth !== undefined ? { bitDepth: p.recordBitDepth } : {}),
    });
    sink.on('error', (e) => this.reportError(e, 'output'));
    this.sinkKey = `${p.output}|${p.codecParams.sampleRate}|${p.codecParams.channels}`;
    return sink;
  }

  private replaceSource(p: MediaSessionParams): void {
    if (`${p.input}|${p.codecParams.sampleRate}|${p.codecParams.channels}` === this.sourceKey) return;
    const next = this.makeSource(p);
    this.source.close();
    this.source = next;
    this.path.adapter?.setUnheard(isUnheardPlayout(p));
  }

  private async replaceSink(p: MediaSessionParams): Promise<void> {
    if (`${p.output}|${p.codecParams.sampleRate}|${p.codecParams.channels}` === this.sinkKey) return;
    const old = this.sink;
    // Close the old one first: a new recording to the same path must not interleave with it.
    await old.close();
    this.sink = this.makeSink(p);
    this.path.adapter?.setUnheard(isUnheardPlayout(p));
  }

  private buildPath(p: MediaSessionParams, record: CodecRecord, tsBase: number): CodecPath {
    return buildCodecPath(p, record, tsBase, {
      clock: this.clock,
      deferReceive: this.deferReceive,
      isCurrent: (path) => this.path === path,
      sendTick: (path, k) => this.sendTick(path, k),
      receiveTick: (path, dueMs) => this.receiveTick(path, dueMs),
      decode: (dec, payload) => this.decode(dec, payload),
      reportError: (e, where) => this.reportError(e, where),
    });
  }

  private stopPath(path: CodecPath): void {
    // Keep the totals of a replaced path.
    const a = stopCodecPath(path);
    if (a) {
      this.silenceFrames += a.silenceFrames;
      this.samplesInserted += a.samplesInserted;
      this.samplesRemoved += a.samplesRemoved;
    }
  }

  // ------------------------------------------------------------------------------------------

  // Running

  private sendTick(path: CodecPath, k: number): void {
    const enc = path.encoder;
    if (!enc || this.path !== path) return;
    const frame = this.source.read(enc.samplesPerFrame);
    this.inSilence.processMeanSquare(this.inMeter.process(frame), enc.samplesPerFrame);
    let payload: Buffer;
    try {
      payload = enc.encode(frame);
    } catch (e) {
      this.encodeErrors++;
      this.reportError(e, 'encode');
      return;
    }
    path.sentFrames++;
    // RFC 3550 §5.1: the timestamp reflects the sampling instant of the first sample: tick k's frame.
    // Marker on the first packet of the stream (RFC 3551 §4.1: start of a talkspurt).
    this.transport.send(payload, path.tsBase + k * path.rtpUnitsPerFrame, path.sentFrames === 1);
  }

  private onArrived(): void {
    if (!this.noMedia) return;
    this.noMedia = false;
    // Now, not the arrival stamp: a packet held in RFC 3550 A.1 probation is released with its old stamp.
    this.emit('media-restored', { outageMs: this.clock.now() - this.noMediaSince });
  }

  private onPacket(p: IncomingPacket): void {
    this.path.buffer?.push(p);
  }

  private onBye(reason: string | undefined): void {
    this.byeReceived = true;
    this.emit('bye', { reason: reason ?? null });
  }

  private decode(dec: AudioDecoder, payload: Buffer): Float32Array {
    try {
      return dec.decode(payload);
    } catch (e) {
      // A malformed payload is network input: count it and conceal, never fail the link on it.
      this.decodeErrors++;
      if (this.decodeErrors === 1 || this.decodeErrors % 1000 === 0) {
        this.logger?.warn({ err: e, link: this.linkId, occurrences: this.decodeErrors }, 'undecodable payload concealed');
      }
      return dec.conceal();
    }
  }

  private receiveTick(path: CodecPath, dueMs: number): void {
    const adapter = path.adapter;
    if (!adapter || this.path !== path) return;
    const now = this.clock.now();
    this.checkNoMedia(now);
    this.transport.poll(now);
    // The buffer is asked at the tick's due time, not the wake-up time: at 1–2.5 ms packet times the
    // clock delivers ticks in batches, and the wake-up time would make the buffer see its delay
    // swing by the batch length within each batch (and correct it with needless stretching).
    const droppedBefore = this.onPlayout && path.buffer ? path.buffer.stats().framesDropped : 0;
    const frame = adapter.tick(dueMs);
    const frames = frame.length / (path.decoder?.channels ?? path.params.channels);
    if (this.onPlayout) {
      const last = adapter.lastFrames;
      const pulled = last.map((f) => (f.kind === 'packet' ? 'packet' : f.reason));
      const spliced = last.some((f) => f.adjustSamples !== 0);
      const droppedFrames = (path.buffer ? path.buffer.stats().framesDropped : 0) - droppedBefore;
      try {
        this.onPlayout({ outputFrame: path.rxFramesOut, frames, pulled, spliced, droppedFrames });
      } catch (e) {
        this.logger?.warn({ err: e, link: this.linkId }, 'onPlayout observer threw');
      }
    }
    path.rxFramesOut += frames;
    this.playedFrames++;
    this.outSilence.processMeanSquare(this.outMeter.process(frame), frames);
    this.sink.write(frame);
    this.loopback?.push(frame, path.decoder?.channels ?? path.params.channels);
  }

  private checkNoMedia(now: number): void {
    const timeout = this.params.noMediaTimeoutMs ?? DEFAULT_NO_MEDIA_TIMEOUT_MS;
    if (timeout <= 0 || this.noMedia) return;
    const last = this.transport.lastRxMs;
    const since = last === null || last < this.rxWatchFrom ? this.rxWatchFrom : last;
    if (now - since >= timeout) {
      this.noMedia = true;
      this.noMediaSince = since;
      this.noMediaEvents++;
      this.logger?.warn({ link: this.linkId, silentForMs: now - since }, 'no media');
      this.emit('no-media', { sinceMs: since, silentForMs: now - since });
    }
  }

  private reportError(e: unknown, where: string): void {
    const info = plainError(e, where);
    const key = `${where}:${info.code}`;
    const n = (this.errorCounts.get(key) ?? 0) + 1;
    this.errorCounts.set(key, n);
    // Once per kind, then every 1000th: a failing device must not flood the link's listeners.
    if (n === 1 || n % 1000 === 0) {
      this.logger?.warn({ ...info, link: this.linkId, occurrences: n }, 'media session error');
      this.emit('error', info);
    }
  }
}
