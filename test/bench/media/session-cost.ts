/**
 * Per-session and per-call media costs, as ratios and CPU times measured in one run, so that the
 * figures depend less on the machine's load than wall-clock rates do.
 *
 *   npm run bench -- session-cost            (or: node --import tsx test/bench/media/session-cost.ts)
 *   node --import tsx test/bench/media/session-cost.ts --only=steady|alloc|calls|memory|stats [--config=pcma]
 *     [--pairs=N] [--step-s=S] [--warmup-s=S] [--calls=N] [--concurrency=N] [--workers=N] [--shape=pair|service]
 *     [--profile=/tmp/prefix]
 *
 * `--profile` writes a CPU profile of each measuring window (inspector), not of start-up; a steady
 * state profile starts a second before its window (the profiler's own start-up stall stays out of
 * the window). The inspector's sampling slows the wasm codec several-fold: read a profile for where
 * the time above the codec goes, and the figures of a run without `--profile` for what it costs.
 *
 * 1. Steady state, for Opus 128k stereo complexity 5, L24 stereo 5 ms and PCMA 20 ms: `pairs`
 *    full-duplex session pairs over UDP loopback in this thread (tone in, null out, adaptive jitter
 *    buffer, 5 ms receive ticks, as a link runs them). After `warmupS` seconds (default 10: with 1 s,
 *    TurboFan was still compiling the media path in the window, 8–14 % of the profile's samples; on a
 *    busy machine (load 6–12 on 2 cores) the media path's own functions (sendTick, receiveTick, onRtp,
 *    the playout tick) reached optimized code only 7–8 s after start, so a 5 s warm-up measured
 *    baseline code in the first slices, which fell from ~390 to ~270 µs across the window), the
 *    CPU time over a `stepS` window, measured twice: the process (process.cpuUsage: every thread,
 *    GC helpers included) and the main thread alone (/proc/thread-self/schedstat, where readable),
 *    divided by the send frames of all sessions: CPU µs per session frame, i.e. one frame encoded,
 *    sent, received, buffered, decoded, metered and played. The window is cut into slices whose
 *    spread is printed (a compile or a neighbour's burst shows there). Beside it, in the same run and
 *    in the same two CPU times: the codec record's bare encode + decode of one frame (Float32 in and
 *    out), and for Opus opusscript's own encode + decode (Int16 in and out), with the ratios session /
 *    bare. A window in which any frame-clock tick was skipped (the process fell more than the catch-up
 *    limit behind real time, so fewer frames did less work) is marked INVALID: its ratio is not a cost.
 *    After the steady-state rows (and alone with `--only=alloc`): the bytes and objects each session
 *    frame allocates in the same configurations, measured on virtual time in a child process with a
 *    young generation large enough that no collection runs in the window (session-alloc.ts says how):
 *    deterministic, unlike the CPU figures, and what drives the collections' pauses under load.
 * 2. Per call (PCMA 20 ms, what the call-rate bench's calls do): open two sessions, point them at
 *    each other, 200 ms of media, close both; `calls` calls, `concurrency` in flight. CPU µs per
 *    call and per session, and the same with 0 ms of media (set-up + teardown alone).
 *    With `--workers=N` the calls go through a MediaWorkerPool instead (CPU of all threads: the
 *    worker's session work plus the messages both ways, as the service runs them).
 *    Then the same for calls shaped as the service answers sipp's in the call-rate bench: one session
 *    opened provisionally with the default profile's first codec (Opus, nothing sent or received, a
 *    port from the range), updated to the PCMA answer, a far end that sends no RTP, closed.
 * 3. Memory: heap and ArrayBuffer bytes per open session (PCMA 20 ms and Opus), after a forced GC; and
 *    per PCMA session whose far end never sends (as sipp's calls: no jitter buffer is needed there).
 * 4. `stats()` against `meters()` on a running session: what a 10 Hz meter push costs either way.
 *
 * The machine is shared: CPU times per frame and per call move less with load than rates do, but are
 * still only indicative on a busy machine; the ratios are what to compare between runs.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadavg } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import OpusScript from 'opusscript';
import dgram from 'node:dgram';
import { Session as InspectorSession } from 'node:inspector/promises';
import { MediaSession, type MediaSessionParams } from '../../../server/media/media-session.js';
import { codecRegistry } from '../../../server/codecs/registry.js';
import type { CodecParams } from '../../../server/codecs/codec.js';
import { systemClock } from '../../../server/util/clock.js';
import { MediaWorkerPool } from '../../../server/media/worker/media-worker-pool.js';
import type { MediaSessionLike, MediaSessionOpener } from '../../../server/media/worker/media-session-like.js';
import { benchSessionParams, runAllocChild, SESSION_COST_CONFIGS, type AllocConfig } from './session-alloc.js';

type CostConfig = AllocConfig;

export { SESSION_COST_CONFIGS };

const PCMA = SESSION_COST_CONFIGS[2]!;

export interface SessionCostOptions {
  /** Session pairs per steady-state configuration (default 8: 16 sessions). */
  pairs?: number;
  /** Seconds measured per configuration after `warmupS` (defaults 5 and 10). */
  stepS?: number;
  warmupS?: number;
  /** Calls in the per-call part (default 300) and how many in flight (default 20). */
  calls?: number;
  concurrency?: number;
  /** Sessions opened for the memory part (default 100). */
  memorySessions?: number;
  only?: 'steady' | 'alloc' | 'calls' | 'memory' | 'stats';
  /** Per-call part through a MediaWorkerPool of this many workers (default 0: in this thread). */
  workers?: number;
  /** Per-call part: both ends ours ('pair'), the service's call shape ('service'), or both (default). */
  shape?: 'pair' | 'service';
  /** Write a CPU profile of each measuring window (steady state and per-call) to `<profile>-<part>.cpuprofile`. */
  profile?: string;
  /** Steady state: only the configurations whose name contains this (case-insensitive). */
  config?: string;
  log?: (line: string) => void;
}

/** How long before a steady-state window the profiler starts (see `steady`). */
const PROFILER_SETTLE_MS = 1000;

/** Profiles the measuring windows only (not start-up, module loading or the bare codec runs). */
class WindowProfiler {
  private session: InspectorSession | null = null;
  constructor(private readonly prefix: string | undefined) {}
  get active(): boolean {
    return this.prefix !== undefined;
  }
  async start(): Promise<void> {
    if (!this.prefix) return;
    this.session = new InspectorSession();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 200 });
    await this.session.post('Profiler.start');
  }
  async stop(part: string): Promise<void> {
    if (!this.session) return;
    const { profile } = await this.session.post('Profiler.stop');
    writeFileSync(`${this.prefix}-${part.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`, JSON.stringify(profile));
    this.session.disconnect();
    this.session = null;
  }
}

let profiler = new WindowProfiler(undefined);

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * CPU µs of the calling thread (Linux: the first field of /proc/thread-self/schedstat is its run
 * time in ns), or NaN where that file cannot be read. Node 20 has no process.threadCpuUsage().
 */
function threadCpuMicros(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]) / 1000;
  } catch {
    return NaN;
  }
}

/** Both CPU times at once. */
interface CpuTimes {
  process: number;
  thread: number;
}

function cpuNow(): CpuTimes {
  return { process: cpuMicros(), thread: threadCpuMicros() };
}

function cpuSince(t0: CpuTimes): CpuTimes {
  const t = cpuNow();
  return { process: t.process - t0.process, thread: t.thread - t0.thread };
}

/** The best (least disturbed) of `rounds` runs of `body`, as CPU µs per unit of work, in both CPU times. */
function bestCpu(rounds: number, units: number, body: () => void): CpuTimes {
  const best = { process: Infinity, thread: Infinity };
  for (let r = 0; r < rounds; r++) {
    const t0 = cpuNow();
    body();
    const d = cpuSince(t0);
    best.process = Math.min(best.process, d.process / units);
    best.thread = Math.min(best.thread, d.thread / units);
  }
  return best;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

const params = benchSessionParams;

const deps = { clock: systemClock };
const inProcess: MediaSessionOpener = (p) => MediaSession.open(p, deps);

async function openPair(c: CostConfig, tag: string): Promise<[MediaSession, MediaSession]> {
  return (await openPairWith(inProcess, c, tag)) as [MediaSession, MediaSession];
}

async function openPairWith(open: MediaSessionOpener, c: CostConfig, tag: string): Promise<[MediaSessionLike, MediaSessionLike]> {
  const pa = params(c, `a${tag}`);
  const a = await open(pa);
  try {
    const b = await open(params(c, `b${tag}`, { address: '127.0.0.1', rtpPort: a.localRtpPort, rtcpPort: a.localRtcpPort }));
    await a.update({ ...pa, remote: { address: '127.0.0.1', rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort } });
    return [a, b];
  } catch (e) {
    await a.close();
    throw e;
  }
}

/** A 1 kHz tone at -18 dBFS with a little noise, so that the encoder has real work: 8 frames of `n` sample frames. */
function toneFrames(n: number, channels: number, sampleRate: number): Float32Array[] {
  let seed = 1;
  const frames: Float32Array[] = [];
  for (let k = 0; k < 8; k++) {
    const f = new Float32Array(n * channels);
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const v = 0.125 * Math.sin((2 * Math.PI * 1000 * (k * n + i)) / sampleRate) + 0.01 * (seed / 2 ** 32 - 0.5);
      for (let j = 0; j < channels; j++) f[i * channels + j] = v;
    }
    frames.push(f);
  }
  return frames;
}

/** CPU µs of one encode + decode of a frame through the codec record (Float32 in and out), best of 5. */
export function bareCodecMicros(c: CostConfig, frames = 400): CpuTimes {
  const rec = codecRegistry.get(c.codecId);
  const enc = rec.createEncoder(c.params);
  const dec = rec.createDecoder(c.params);
  try {
    const pcm = toneFrames(enc.samplesPerFrame, c.params.channels, c.params.sampleRate);
    for (let k = 0; k < 200; k++) dec.decode(enc.encode(pcm[k % 8]!));
    return bestCpu(5, frames, () => {
      for (let k = 0; k < frames; k++) dec.decode(enc.encode(pcm[k % 8]!));
    });
  } finally {
    enc.close();
    dec.close();
  }
}

/**
 * CPU µs of opusscript's own encode + decode of one 20 ms 48 kHz frame (Int16 in and out, its
 * Buffer API), at the Opus configuration's bitrate, channels and complexity: best of 5.
 */
export function opusscriptMicros(c: CostConfig, frames = 400): CpuTimes {
  const n = (c.params.sampleRate * c.params.ptimeMs) / 1000;
  const ch = c.params.channels;
  const enc = new OpusScript(c.params.sampleRate as 48000, ch, OpusScript.Application.AUDIO);
  const dec = new OpusScript(c.params.sampleRate as 48000, ch, OpusScript.Application.AUDIO);
  try {
    enc.setBitrate(c.params.bitrate ?? 128000);
    enc.encoderCTL(4010, c.params.complexity ?? 10); // OPUS_SET_COMPLEXITY_REQUEST
    const pcm = toneFrames(n, ch, c.params.sampleRate).map((f) => {
      const b = Buffer.alloc(f.length * 2);
      for (let i = 0; i < f.length; i++) b.writeInt16LE(Math.round(f[i]! * 32767), i * 2);
      return b;
    });
    for (let k = 0; k < 200; k++) dec.decode(enc.encode(pcm[k % 8]!, n));
    return bestCpu(5, frames, () => {
      for (let k = 0; k < frames; k++) dec.decode(enc.encode(pcm[k % 8]!, n));
    });
  } finally {
    enc.delete();
    dec.delete();
  }
}

export interface SteadyRow {
  name: string;
  sessions: number;
  warmupS: number;
  windowS: number;
  /** Send frames of all sessions in the window. */
  frames: number;
  /** CPU µs per session frame over the window: the process (all threads) and the main thread (NaN if unknown). */
  session: CpuTimes;
  /** The same per slice of the window (process CPU), to show how steady it was. */
  sliceUs: number[];
  /** The codec record's bare encode + decode of one frame, and for Opus opusscript's (null otherwise). */
  bare: CpuTimes;
  opusscript: CpuTimes | null;
  /** session / bare, process CPU; and against opusscript (null if not Opus). */
  ratio: number;
  ratioOpusscript: number | null;
  /** Per session, % of one core in real time; and the bare codec's. */
  sessionCorePct: number;
  bareCorePct: number;
  /** In the window only. */
  underrunFrames: number;
  skippedTicks: number;
  /** False when ticks were skipped in the window: the sessions did less than real time asked. */
  valid: boolean;
}

/** Window slices whose spread is printed. */
const SLICES = 5;

function windowTotals(sessions: MediaSession[]): { frames: number; underruns: number; skipped: number } {
  let frames = 0;
  let underruns = 0;
  let skipped = 0;
  for (const x of sessions) {
    const st = x.stats();
    frames += st.encode.frames;
    underruns += st.jitterBuffer?.underrunFrames ?? 0;
    skipped += (st.clocks.send?.skippedTicks ?? 0) + (st.clocks.receive?.skippedTicks ?? 0);
  }
  return { frames, underruns, skipped };
}

async function steady(c: CostConfig, o: Required<Omit<SessionCostOptions, 'only' | 'log' | 'config' | 'profile' | 'workers' | 'shape'>>): Promise<SteadyRow> {
  const sessions: MediaSession[] = [];
  try {
    for (let i = 0; i < o.pairs; i++) sessions.push(...(await openPair(c, `${i}`)));
    // The profiler starts a second before the window: enabling it stalls the thread (V8 logs every
    // code object), which skipped ticks and made the window INVALID when it started inside it.
    await sleep(o.warmupS * 1000 - (profiler.active ? PROFILER_SETTLE_MS : 0));
    await profiler.start();
    if (profiler.active) await sleep(PROFILER_SETTLE_MS);
    const w0 = windowTotals(sessions);
    const cpu0 = cpuNow();
    const sliceUs: number[] = [];
    let slice = { cpu: cpu0.process, frames: w0.frames };
    for (let i = 0; i < SLICES; i++) {
      await sleep((o.stepS * 1000) / SLICES);
      const now = { cpu: cpuMicros(), frames: sessions.reduce((s, x) => s + x.stats().encode.frames, 0) };
      sliceUs.push((now.cpu - slice.cpu) / Math.max(1, now.frames - slice.frames));
      slice = now;
    }
    const cpu = cpuSince(cpu0);
    await profiler.stop(c.name);
    const w1 = windowTotals(sessions);
    // The slices' stats() calls are in the window too: a few µs per session per slice, noise here.
    const frames = w1.frames - w0.frames;
    const bare = bareCodecMicros(c);
    const op = c.codecId === 'opus' ? opusscriptMicros(c) : null;
    const perFrame = { process: cpu.process / frames, thread: cpu.thread / frames };
    const fps = 1000 / c.params.ptimeMs;
    return {
      name: c.name,
      sessions: sessions.length,
      warmupS: o.warmupS,
      windowS: o.stepS,
      frames,
      session: perFrame,
      sliceUs,
      bare,
      opusscript: op,
      ratio: perFrame.process / bare.process,
      ratioOpusscript: op ? perFrame.process / op.process : null,
      sessionCorePct: (perFrame.process * fps) / 1e4,
      bareCorePct: (bare.process * fps) / 1e4,
      underrunFrames: w1.underruns - w0.underruns,
      skippedTicks: w1.skipped - w0.skipped,
      valid: w1.skipped === w0.skipped,
    };
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}

function us(x: number): string {
  return Number.isFinite(x) ? x.toFixed(1) : '?';
}

function steadyLines(r: SteadyRow): string[] {
  const min = Math.min(...r.sliceUs);
  const max = Math.max(...r.sliceUs);
  const ref = (b: CpuTimes): string =>
    `${us(b.process)} µs (process) / ${us(b.thread)} µs (main thread), ratio ${(r.session.process / b.process).toFixed(2)} / ${(r.session.thread / b.thread).toFixed(2)}`;
  return [
    `  ${r.name}: ${r.sessions} sessions, ${r.windowS} s window after ${r.warmupS} s warm-up, ${r.frames} session frames` +
      `${r.valid ? '' : `  INVALID: ${r.skippedTicks} frame-clock ticks skipped in the window (the process fell behind real time)`}`,
    `    CPU per session frame: ${us(r.session.process)} µs (process, all threads) / ${us(r.session.thread)} µs (main thread)  ` +
      `= ${r.sessionCorePct.toFixed(2)} % of a core per session; per ${r.windowS / SLICES} s slice ${r.sliceUs.map((x) => x.toFixed(0)).join(' ')} µs ` +
      `(spread ${(((max - min) / min) * 100).toFixed(0)} %)`,
    `    against the codec record's bare encode + decode (Float32): ${ref(r.bare)}`,
    ...(r.opusscript ? [`    against opusscript's own encode + decode (Int16): ${ref(r.opusscript)}`] : []),
    `    underrun frames ${r.underrunFrames}, skipped ticks ${r.skippedTicks} (in the window)`,
    ...(stillWarming(r.sliceUs) ? ['    the slices still fall across the window: the code was not yet optimized (or the load eased); a longer --warmup-s reads truer'] : []),
  ];
}

/** Whether the first two slices cost a fifth more than the last two (JIT warm-up still visible). */
function stillWarming(slices: number[]): boolean {
  if (slices.length < 4) return false;
  const head = (slices[0]! + slices[1]!) / 2;
  const tail = (slices[slices.length - 2]! + slices[slices.length - 1]!) / 2;
  return head > 1.2 * tail;
}

export interface CallRow {
  mediaMs: number;
  calls: number;
  cpuUsPerCall: number;
  cpuUsPerSession: number;
  /** ms of wall time for all calls (load-dependent; context only). */
  wallMs: number;
}

/**
 * One call as the service answers sipp's (test/fixtures/sipp/bench-uac-g711.xml): the link layer opens
 * the session provisionally with the default profile's first codec (ebu-3326-interop: Opus 128k stereo),
 * nothing sent or received and a port from the range, then applies the answer: PCMA 20 ms both ways to
 * a far end that sends no RTP (sipp), tone in, null out. One session per call.
 */
async function serviceCall(open: MediaSessionOpener, tag: string, farEnd: number, mediaMs: number): Promise<void> {
  const provisional: MediaSessionParams = {
    ...params(SESSION_COST_CONFIGS[0]!, `s${tag}`),
    codecParams: { sampleRate: 48000, channels: 2, ptimeMs: 20, bitrate: 128000, complexity: 10, application: 'audio' },
    ports: undefined,
    portRange: { min: 20000, max: 29999 },
    send: false,
    receive: false,
    input: 'tone',
    noMediaTimeoutMs: 5000,
    jitterBuffer: { mode: 'adaptive', minMs: 20, maxMs: 160 },
  };
  delete provisional.ports;
  const s = await open(provisional);
  try {
    await s.update({
      ...provisional,
      codecId: 'PCMA',
      payloadType: 8,
      codecParams: { ...PCMA.params },
      receivePtimeMs: 20,
      remote: { address: '127.0.0.1', rtpPort: farEnd, rtcpPort: farEnd + 1 },
      send: true,
      receive: true,
    });
    if (mediaMs > 0) await sleep(mediaMs);
  } finally {
    await s.close('hang-up');
  }
}

async function calls(mediaMs: number, n: number, concurrency: number, open: MediaSessionOpener, shape: 'pair' | 'service' = 'pair', farEnd = 0): Promise<CallRow> {
  let next = 0;
  const one = async (): Promise<void> => {
    if (shape === 'service') return serviceCall(open, `${next}`, farEnd, mediaMs);
    const [a, b] = await openPairWith(open, PCMA, `c${next}`);
    if (mediaMs > 0) await sleep(mediaMs);
    await Promise.all([a.close(), b.close()]);
  };
  const lane = async (): Promise<void> => {
    while (next < n) {
      next++;
      await one();
    }
  };
  // Warm-up: JIT and module loading out of the figure.
  await Promise.all(Array.from({ length: Math.min(concurrency, 10) }, () => one()));
  next = 0;
  await profiler.start();
  const cpu0 = cpuMicros();
  const w0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  const cpu = cpuMicros() - cpu0;
  await profiler.stop(`calls-${mediaMs}ms`);
  return { mediaMs, calls: n, cpuUsPerCall: cpu / n, cpuUsPerSession: cpu / (shape === 'service' ? n : 2 * n), wallMs: performance.now() - w0 };
}

export interface MemoryRow {
  name: string;
  sessions: number;
  heapBytesPerSession: number;
  arrayBufferBytesPerSession: number;
}

async function memory(c: CostConfig, n: number): Promise<MemoryRow> {
  const sessions: MediaSession[] = [];
  try {
    // One pair first so that modules, codec engines and JIT state are not counted.
    sessions.push(...(await openPair(c, 'm-warm')));
    await sleep(100);
    gc();
    const m0 = process.memoryUsage();
    for (let i = 0; i < n / 2; i++) sessions.push(...(await openPair(c, `m${i}`)));
    await sleep(300); // buffers reach their running state
    gc();
    const m1 = process.memoryUsage();
    return { name: c.name, sessions: n, heapBytesPerSession: (m1.heapUsed - m0.heapUsed) / n, arrayBufferBytesPerSession: (m1.arrayBuffers - m0.arrayBuffers) / n };
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}

/**
 * Memory of `n` PCMA sessions whose far end never sends (sipp's call-rate calls): sending to a UDP
 * port that only listens, receiving nothing.
 */
async function memorySilentFarEnd(n: number): Promise<MemoryRow> {
  const farEnd = dgram.createSocket('udp4');
  farEnd.on('message', () => undefined);
  await new Promise<void>((r) => farEnd.bind(0, '127.0.0.1', r));
  const remote = { address: '127.0.0.1', rtpPort: farEnd.address().port, rtcpPort: farEnd.address().port };
  const sessions: MediaSession[] = [];
  try {
    sessions.push(await MediaSession.open(params(PCMA, 'silent-warm', remote), deps));
    await sleep(100);
    gc();
    const m0 = process.memoryUsage();
    for (let i = 0; i < n; i++) sessions.push(await MediaSession.open(params(PCMA, `silent${i}`, remote), deps));
    await sleep(300);
    gc();
    const m1 = process.memoryUsage();
    return { name: `${PCMA.name}, far end silent`, sessions: n, heapBytesPerSession: (m1.heapUsed - m0.heapUsed) / n, arrayBufferBytesPerSession: (m1.arrayBuffers - m0.arrayBuffers) / n };
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    farEnd.close();
  }
}

export async function runSessionCostBench(opts: SessionCostOptions = sessionCostOptionsFromArgv(process.argv)): Promise<{ steady: SteadyRow[]; calls: CallRow[]; memory: MemoryRow[] }> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const o = {
    pairs: opts.pairs ?? 8,
    stepS: opts.stepS ?? 5,
    warmupS: opts.warmupS ?? 10,
    calls: opts.calls ?? 300,
    concurrency: opts.concurrency ?? 20,
    memorySessions: opts.memorySessions ?? 100,
  };
  profiler = new WindowProfiler(opts.profile);
  const out = { steady: [] as SteadyRow[], calls: [] as CallRow[], memory: [] as MemoryRow[] };
  log(`session cost (one thread; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}: the machine may be shared, compare the ratios)`);
  if (!opts.only || opts.only === 'steady') {
    for (const c of SESSION_COST_CONFIGS.filter((x) => !opts.config || x.name.toLowerCase().includes(opts.config.toLowerCase()))) {
      const r = await steady(c, o);
      out.steady.push(r);
      for (const line of steadyLines(r)) log(line);
    }
  }
  if (!opts.only || opts.only === 'steady' || opts.only === 'alloc') {
    log('  allocation per session frame (virtual time, no collection in the window; objects sampled by V8, the top sites beneath):');
    runAllocChild(opts.config, undefined, log);
  }
  if (!opts.only || opts.only === 'calls') {
    const pool = opts.workers ? new MediaWorkerPool({ workers: opts.workers }) : null;
    // The far end of a service-shaped call: sipp's media port, which sends nothing and ignores what it gets.
    const farEnd = dgram.createSocket('udp4');
    farEnd.on('message', () => undefined);
    await new Promise<void>((r) => farEnd.bind(0, '127.0.0.1', r));
    try {
      if (pool) await pool.ready();
      const where = pool ? `through ${opts.workers} media worker(s), all threads` : 'in this thread';
      const opener: MediaSessionOpener = pool ? (p) => pool.open(p) : inProcess;
      for (const shape of opts.shape ? [opts.shape] : (['pair', 'service'] as const)) {
        for (const mediaMs of [200, 0]) {
          const r = await calls(mediaMs, o.calls, o.concurrency, opener, shape, farEnd.address().port);
          out.calls.push(r);
          log(
            shape === 'pair'
              ? `  PCMA call ${where}, ${mediaMs} ms of media, ${r.calls} calls ${o.concurrency} in flight: ${r.cpuUsPerCall.toFixed(0)} µs CPU per call ` +
                  `(${r.cpuUsPerSession.toFixed(0)} µs per session; both ends are ours)  [${(r.wallMs / 1000).toFixed(1)} s wall]`
              : `  service-shaped call ${where} (provisional Opus open, PCMA answer, far end silent), ${mediaMs} ms of media, ${r.calls} calls ` +
                  `${o.concurrency} in flight: ${r.cpuUsPerCall.toFixed(0)} µs CPU per call (one session)  [${(r.wallMs / 1000).toFixed(1)} s wall]`,
          );
        }
      }
    } finally {
      farEnd.close();
      await pool?.close();
    }
  }
  if (!opts.only || opts.only === 'stats') {
    const [a, b] = await openPair(PCMA, 'stats');
    try {
      await sleep(300);
      const time = (fn: () => unknown, n = 2000): number => {
        const t0 = cpuMicros();
        for (let i = 0; i < n; i++) fn();
        return (cpuMicros() - t0) / n;
      };
      time(() => a.stats(), 200);
      log(`  a running PCMA session: stats() ${time(() => a.stats()).toFixed(1)} µs, meters() ${time(() => a.meters()).toFixed(1)} µs (CPU per call)`);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }
  if (!opts.only || opts.only === 'memory') {
    for (const c of [PCMA, SESSION_COST_CONFIGS[0]!, null]) {
      const r = c ? await memory(c, o.memorySessions) : await memorySilentFarEnd(o.memorySessions);
      out.memory.push(r);
      log(`  memory, ${r.name}: ${(r.heapBytesPerSession / 1024).toFixed(1)} KiB heap + ${(r.arrayBufferBytesPerSession / 1024).toFixed(1)} KiB ArrayBuffers per session (${r.sessions} sessions)`);
    }
  }
  log(`  load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  return out;
}

/**
 * The options a command line gives (`--only=steady --config=opus` and the rest in the file comment).
 * `npm run bench -- session-cost --only=steady` reaches the bench through run.ts, which passes no
 * options: the bench then reads them here, so the flags work the same both ways.
 */
export function sessionCostOptionsFromArgv(argv: string[]): SessionCostOptions {
  const arg = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const num = (name: string): number | undefined => (arg(name) !== undefined ? Number(arg(name)) : undefined);
  const only = arg('only') as SessionCostOptions['only'];
  const pick = <K extends string>(k: K, v: number | undefined): Partial<Record<K, number>> => (v !== undefined ? ({ [k]: v } as Record<K, number>) : {});
  return {
    ...(only ? { only } : {}),
    ...(arg('config') ? { config: arg('config')! } : {}),
    ...(arg('profile') ? { profile: arg('profile')! } : {}),
    ...(arg('shape') ? { shape: arg('shape') as 'pair' | 'service' } : {}),
    ...pick('pairs', num('pairs')),
    ...pick('stepS', num('step-s')),
    ...pick('warmupS', num('warmup-s')),
    ...pick('calls', num('calls')),
    ...pick('concurrency', num('concurrency')),
    ...pick('memorySessions', num('memory-sessions')),
    ...pick('workers', num('workers')),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runSessionCostBench(sessionCostOptionsFromArgv(process.argv));
  process.exit(0);
}
