/**
 * Per-session and per-call media costs, as ratios and CPU times measured in one run, so that the
 * figures depend less on the machine's load than wall-clock rates do.
 *
 *   npm run bench -- session-cost            (or: node --import tsx test/bench/media/session-cost.ts)
 *   node --import tsx test/bench/media/session-cost.ts --only=steady|calls|memory|stats [--config=pcma]
 *     [--pairs=N] [--step-s=S] [--calls=N] [--concurrency=N] [--workers=N] [--shape=pair|service] [--profile=/tmp/prefix]
 *
 * `--profile` writes a CPU profile of each measuring window only (inspector), not of start-up.
 *
 * 1. Steady state, for Opus 128k stereo complexity 5, L24 stereo 5 ms and PCMA 20 ms: `pairs`
 *    full-duplex session pairs over UDP loopback in this thread (tone in, null out, adaptive jitter
 *    buffer, 5 ms receive ticks, as a link runs them). CPU time of the process (process.cpuUsage, all
 *    threads) over the window, divided by the send frames of all sessions: CPU µs per session frame,
 *    i.e. one frame encoded, sent, received, buffered, decoded, metered and played. Beside it, in the
 *    same run, the codec record's bare encode + decode of one frame (and for Opus opusscript's own
 *    cost), and the ratio session / bare.
 * 2. Per call (PCMA 20 ms, what the call-rate bench's calls do): open two sessions, point them at
 *    each other, 200 ms of media, close both; `calls` calls, `concurrency` in flight. CPU µs per
 *    call and per session, and the same with 0 ms of media (set-up + teardown alone).
 *    With `--workers=N` the calls go through a MediaWorkerPool instead (CPU of all threads: the
 *    worker's session work plus the messages both ways, as the service runs them).
 *    Then the same for calls shaped as the service answers sipp's in the call-rate bench: one session
 *    opened provisionally with the default profile's first codec (Opus, nothing sent or received, a
 *    port from the range), updated to the PCMA answer, a far end that sends no RTP, closed.
 * 3. Memory: heap and ArrayBuffer bytes per open session (PCMA 20 ms and Opus), after a forced GC.
 * 4. `stats()` against `meters()` on a running session: what a 10 Hz meter push costs either way.
 *
 * The machine is shared: CPU times per frame and per call move less with load than rates do, but are
 * still only indicative on a busy machine; the ratios are what to compare between runs.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import { Session as InspectorSession } from 'node:inspector/promises';
import { MediaSession, type MediaSessionParams } from '../../../server/media/media-session.js';
import { codecRegistry } from '../../../server/codecs/registry.js';
import type { CodecParams } from '../../../server/codecs/codec.js';
import { systemClock } from '../../../server/util/clock.js';
import { measureOpusscript } from './links-per-core.js';
import { MediaWorkerPool } from '../../../server/media/worker/media-worker-pool.js';
import type { MediaSessionLike, MediaSessionOpener } from '../../../server/media/worker/media-session-like.js';

interface CostConfig {
  name: string;
  codecId: string;
  payloadType: number;
  params: CodecParams;
}

export const SESSION_COST_CONFIGS: CostConfig[] = [
  { name: 'opus 128k stereo 20 ms c5', codecId: 'opus', payloadType: 96, params: { sampleRate: 48000, channels: 2, ptimeMs: 20, bitrate: 128000, complexity: 5, application: 'audio' } },
  { name: 'L24 stereo 5 ms', codecId: 'L24', payloadType: 98, params: { sampleRate: 48000, channels: 2, ptimeMs: 5 } },
  { name: 'PCMA 20 ms', codecId: 'PCMA', payloadType: 8, params: { sampleRate: 8000, channels: 1, ptimeMs: 20 } },
];

const PCMA = SESSION_COST_CONFIGS[2]!;

export interface SessionCostOptions {
  /** Session pairs per steady-state configuration (default 8: 16 sessions). */
  pairs?: number;
  /** Seconds measured per configuration after `warmupS` (defaults 5 and 1). */
  stepS?: number;
  warmupS?: number;
  /** Calls in the per-call part (default 300) and how many in flight (default 20). */
  calls?: number;
  concurrency?: number;
  /** Sessions opened for the memory part (default 100). */
  memorySessions?: number;
  only?: 'steady' | 'calls' | 'memory' | 'stats';
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

/** Profiles the measuring windows only (not start-up, module loading or the bare codec runs). */
class WindowProfiler {
  private session: InspectorSession | null = null;
  constructor(private readonly prefix: string | undefined) {}
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

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

function params(c: CostConfig, linkId: string, remote: MediaSessionParams['remote'] = null): MediaSessionParams {
  return {
    linkId,
    codecId: c.codecId,
    payloadType: c.payloadType,
    codecParams: { ...c.params },
    localHost: '127.0.0.1',
    ports: { rtp: 0, rtcp: 0 },
    remote,
    send: true,
    receive: true,
    jitterBuffer: { mode: 'adaptive', minMs: 10, maxMs: 160 },
    input: 'tone:1000:-18',
    output: 'null',
    cname: `${linkId}@bench`,
    noMediaTimeoutMs: 0,
  };
}

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

/** CPU µs of one encode + decode of a frame through the codec record (Float32 in and out), best of 5. */
export function bareCodecMicros(c: CostConfig, frames = 400): number {
  const rec = codecRegistry.get(c.codecId);
  const enc = rec.createEncoder(c.params);
  const dec = rec.createDecoder(c.params);
  try {
    const n = enc.samplesPerFrame;
    const ch = c.params.channels;
    const pcm: Float32Array[] = [];
    for (let k = 0; k < 8; k++) {
      const f = new Float32Array(n * ch);
      for (let i = 0; i < n; i++) for (let j = 0; j < ch; j++) f[i * ch + j] = 0.125 * Math.sin((2 * Math.PI * 1000 * (k * n + i)) / c.params.sampleRate) + 0.01 * (Math.random() - 0.5);
      pcm.push(f);
    }
    for (let k = 0; k < 50; k++) dec.decode(enc.encode(pcm[k % 8]!));
    let best = Infinity;
    for (let r = 0; r < 5; r++) {
      const t0 = cpuMicros();
      for (let k = 0; k < frames; k++) dec.decode(enc.encode(pcm[k % 8]!));
      best = Math.min(best, (cpuMicros() - t0) / frames);
    }
    return best;
  } finally {
    enc.close();
    dec.close();
  }
}

export interface SteadyRow {
  name: string;
  sessions: number;
  /** CPU µs per session frame (all threads), and the bare codec's µs per encode + decode. */
  sessionUsPerFrame: number;
  bareUsPerFrame: number;
  ratio: number;
  /** Per session, % of one core in real time; and the bare codec's. */
  sessionCorePct: number;
  bareCorePct: number;
  underrunFrames: number;
  skippedTicks: number;
}

async function steady(c: CostConfig, o: Required<Omit<SessionCostOptions, 'only' | 'log' | 'config' | 'profile' | 'workers' | 'shape'>>): Promise<SteadyRow> {
  const sessions: MediaSession[] = [];
  try {
    for (let i = 0; i < o.pairs; i++) sessions.push(...(await openPair(c, `${i}`)));
    await sleep(o.warmupS * 1000);
    const frames0 = sessions.reduce((s, x) => s + x.stats().encode.frames, 0);
    const u0 = sessions.reduce((s, x) => s + (x.stats().jitterBuffer?.underrunFrames ?? 0), 0);
    await profiler.start();
    const cpu0 = cpuMicros();
    await sleep(o.stepS * 1000);
    const cpu = cpuMicros() - cpu0;
    await profiler.stop(c.name);
    const st = sessions.map((x) => x.stats());
    const frames = st.reduce((s, x) => s + x.encode.frames, 0) - frames0;
    const underruns = st.reduce((s, x) => s + (x.jitterBuffer?.underrunFrames ?? 0), 0) - u0;
    const skipped = st.reduce((s, x) => s + (x.clocks.send?.skippedTicks ?? 0) + (x.clocks.receive?.skippedTicks ?? 0), 0);
    const bare = bareCodecMicros(c);
    const perFrame = cpu / frames;
    const fps = 1000 / c.params.ptimeMs;
    return {
      name: c.name,
      sessions: sessions.length,
      sessionUsPerFrame: perFrame,
      bareUsPerFrame: bare,
      ratio: perFrame / bare,
      sessionCorePct: (perFrame * fps) / 1e4,
      bareCorePct: (bare * fps) / 1e4,
      underrunFrames: underruns,
      skippedTicks: skipped,
    };
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
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

export async function runSessionCostBench(opts: SessionCostOptions = {}): Promise<{ steady: SteadyRow[]; calls: CallRow[]; memory: MemoryRow[] }> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const o = {
    pairs: opts.pairs ?? 8,
    stepS: opts.stepS ?? 5,
    warmupS: opts.warmupS ?? 1,
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
      log(
        `  ${r.name}: ${r.sessions} sessions  ${r.sessionUsPerFrame.toFixed(1)} µs CPU per session frame  bare codec ${r.bareUsPerFrame.toFixed(1)} µs  ratio ${r.ratio.toFixed(2)}  ` +
          `(${r.sessionCorePct.toFixed(2)} % vs ${r.bareCorePct.toFixed(2)} % of a core per session)  underrun frames ${r.underrunFrames}  skipped ticks ${r.skippedTicks}`,
      );
    }
    const op = measureOpusscript(5);
    log(`  opusscript bare, 128k stereo c5: ${op.totalUs.toFixed(1)} µs per frame (encode + decode, Int16 in/out) = ${op.corePctPerStream.toFixed(2)} % of a core`);
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
    for (const c of [PCMA, SESSION_COST_CONFIGS[0]!]) {
      const r = await memory(c, o.memorySessions);
      out.memory.push(r);
      log(`  memory, ${r.name}: ${(r.heapBytesPerSession / 1024).toFixed(1)} KiB heap + ${(r.arrayBufferBytesPerSession / 1024).toFixed(1)} KiB ArrayBuffers per session (${r.sessions} sessions)`);
    }
  }
  log(`  load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const num = (name: string): number | undefined => (arg(name) !== undefined ? Number(arg(name)) : undefined);
  const only = arg('only') as SessionCostOptions['only'];
  const pick = <K extends string>(k: K, v: number | undefined): Partial<Record<K, number>> => (v !== undefined ? ({ [k]: v } as Record<K, number>) : {});
  await runSessionCostBench({
    ...(only ? { only } : {}),
    ...(arg('config') ? { config: arg('config')! } : {}),
    ...(arg('profile') ? { profile: arg('profile')! } : {}),
    ...(arg('shape') ? { shape: arg('shape') as 'pair' | 'service' } : {}),
    ...pick('pairs', num('pairs')),
    ...pick('stepS', num('step-s')),
    ...pick('calls', num('calls')),
    ...pick('concurrency', num('concurrency')),
    ...pick('memorySessions', num('memory-sessions')),
    ...pick('workers', num('workers')),
  });
  process.exit(0);
}
