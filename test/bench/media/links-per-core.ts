/**
 * Full-duplex links per core.
 *
 * One "link" here is one MediaSession doing what one acip link end does: read a tone, encode, send
 * RTP/RTCP, receive, jitter-buffer, decode, meter and play out to a null sink, both directions at
 * once. Links run in pairs over UDP loopback (A ⇄ B), both ends in this one Node process, so all the
 * work lands on the one core the event loop owns. For each configuration the number of links grows
 * (doubling, then bisecting) until underruns or missed frame-clock ticks appear or the process uses
 * more than `cpuLimit` of a core; the result is the largest link count that ran clean, with the CPU
 * per link (process.cpuUsage over the measuring window, user + system, all threads of the process:
 * libuv's UDP work included).
 *
 * Beside it, opusscript's bare encode + decode cost of one 20 ms 48 kHz stereo frame at 128 kbit/s,
 * measured in the same run.
 *
 * Worker mode (`workers: N`, N ≥ 1; the default is os.availableParallelism()): every session runs in
 * a MediaWorkerPool of N worker threads instead, both ends of each link included. Placement
 * (`placement`):
 * - 'same' (default): both ends of link i on worker i mod N. Like the one-thread run, a scheduling
 *   stall delays a link's sender and receiver together, so the figure compares like with like.
 * - 'split': the pool's own least-loaded choice, which puts A and B of every link on DIFFERENT
 *   workers: each worker is what one acip instance would be for its half of the links, and a stall of
 *   one thread reaches the other end as network jitter (as between two machines). Stricter: on a busy
 *   machine it counts underruns that the other placements hide.
 * CPU is then the whole process (all threads) as a share of ONE core, so it can
 * reach N; the saturation limit scales to `cpuLimit` × N. Underruns and skipped ticks come from the
 * stats snapshots the workers push (at most one push interval, 100 ms, old at both ends of the window,
 * which does not bias the difference). Each worker's event-loop utilisation over the window is printed
 * beside it. `compareSingleThread` (default true) runs the one-thread search first, for the figure
 * side by side.
 *
 * Not asserted anywhere; `npm run bench` prints it. Bounded: at most `maxLinks` links and about
 * `budgetS` seconds per configuration.
 */
import { availableParallelism, loadavg } from 'node:os';
import OpusScript from 'opusscript';
import { MediaSession, type MediaSessionParams } from '../../../server/media/media-session.js';
import { MediaWorkerPool } from '../../../server/media/worker/media-worker-pool.js';
import type { MediaSessionLike } from '../../../server/media/worker/media-session-like.js';
import { systemClock } from '../../../server/util/clock.js';
import type { CodecParams } from '../../../server/codecs/codec.js';

export interface MediaBenchConfig {
  name: string;
  codecId: string;
  payloadType: number;
  params: CodecParams;
}

export const MEDIA_BENCH_CONFIGS: MediaBenchConfig[] = [
  { name: 'opus 128k stereo 20 ms, complexity 5', codecId: 'opus', payloadType: 96, params: { sampleRate: 48000, channels: 2, ptimeMs: 20, bitrate: 128000, complexity: 5, application: 'audio' } },
  { name: 'opus 128k stereo 20 ms, complexity 10', codecId: 'opus', payloadType: 96, params: { sampleRate: 48000, channels: 2, ptimeMs: 20, bitrate: 128000, complexity: 10, application: 'audio' } },
  { name: 'L24 stereo 5 ms', codecId: 'L24', payloadType: 98, params: { sampleRate: 48000, channels: 2, ptimeMs: 5 } },
  { name: 'L24 stereo 1 ms', codecId: 'L24', payloadType: 98, params: { sampleRate: 48000, channels: 2, ptimeMs: 1 } },
];

export interface MediaBenchOptions {
  configs?: MediaBenchConfig[];
  /** Most links (sessions) tried per configuration (default 256). */
  maxLinks?: number;
  /** First link count tried (default 8, even). */
  startLinks?: number;
  /** Seconds measured per step, after `warmupS` (defaults 4 and 1.5). */
  stepS?: number;
  warmupS?: number;
  /** Wall-time budget per configuration, s (default 60). */
  budgetS?: number;
  /** Above this share of one core the step counts as saturated (default 0.9). */
  cpuLimit?: number;
  /**
   * Worker threads for the sessions (default os.availableParallelism()); 0 runs every session in this
   * thread, as before.
   */
  workers?: number;
  /** With workers > 0, run the one-thread search too, first (default true). */
  compareSingleThread?: boolean;
  /** Worker mode: both ends of a link on the same worker (default) or split across two. */
  placement?: 'same' | 'split';
  log?: (line: string) => void;
}

export interface MediaBenchStep {
  links: number;
  cpuShare: number;
  cpuPerLinkPct: number;
  underruns: number;
  concealedFrames: number;
  skippedTicks: number;
  maxTickLateMs: number;
  /** Worker mode: each worker's event-loop utilisation over the window (0..1). */
  workerElu: number[] | null;
  /** os.loadavg()[0] at the end of the step. */
  loadAvg1: number;
  clean: boolean;
}

export interface MediaBenchConfigResult {
  name: string;
  /** 0: one thread; N: N worker threads. */
  workers: number;
  /** Worker mode: where the two ends of a link ran. */
  placement: 'same' | 'split' | null;
  /** Largest link count with zero underruns and CPU under the limit; 0 if none. */
  maxCleanLinks: number;
  /** CPU per link at that count, % of one core. */
  cpuPerLinkPct: number | null;
  /** Whether the search stopped on CPU saturation (one core not enough) rather than the cap. */
  limitedBy: 'underruns' | 'cpu' | 'cap' | 'budget';
  steps: MediaBenchStep[];
}

export interface OpusBareCost {
  complexity: number;
  /** Mean microseconds per 20 ms stereo frame: encode, decode, both; and % of one core per realtime stream. */
  encodeUs: number;
  decodeUs: number;
  totalUs: number;
  corePctPerStream: number;
}

export interface MediaBenchResult {
  node: string;
  cpus: number;
  configs: MediaBenchConfigResult[];
  opusscript: OpusBareCost[];
  /** os.loadavg() at the start and the end of the run (the machine may be shared). */
  loadAvgStart: number[];
  loadAvgEnd: number[];
}

/** Where the sessions of a run live: this thread, or a worker pool. */
interface SessionHost {
  workers: number;
  placement: 'same' | 'split' | null;
  label: string;
  /** `pair`: the link index, for placement. */
  open(p: MediaSessionParams, pair: number): Promise<MediaSessionLike>;
  /** Cumulative event-loop {idle, active} per worker (worker mode). */
  elu(): Array<{ idle: number; active: number }> | null;
}

function inProcessHost(): SessionHost {
  return { workers: 0, placement: null, label: 'one thread', open: (p) => MediaSession.open(p, { clock: systemClock }), elu: () => null };
}

function poolHost(pool: MediaWorkerPool, placement: 'same' | 'split'): SessionHost {
  return {
    workers: pool.size,
    placement,
    label: `${pool.size} workers, ends ${placement === 'same' ? 'on the same worker' : 'on different workers'}`,
    open: (p, pair) => (placement === 'same' ? pool.open(p, { worker: pair % pool.size }) : pool.open(p)),
    elu: () => pool.workers().map((w) => ({ idle: w.eventLoopUtilization?.idle ?? 0, active: w.eventLoopUtilization?.active ?? 0 })),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function params(c: MediaBenchConfig, linkId: string): MediaSessionParams {
  return {
    linkId,
    codecId: c.codecId,
    payloadType: c.payloadType,
    codecParams: { ...c.params },
    localHost: '127.0.0.1',
    ports: { rtp: 0, rtcp: 0 },
    remote: null,
    send: true,
    receive: true,
    jitterBuffer: { mode: 'adaptive', minMs: 10, maxMs: 160 },
    input: 'tone:1000:-18',
    output: 'null',
    cname: `${linkId}@bench`,
    noMediaTimeoutMs: 0,
  };
}

/** Opens into `all` as it goes, so that a failure half-way still lets the caller close what opened. */
async function openPairs(host: SessionHost, c: MediaBenchConfig, pairs: number, all: MediaSessionLike[]): Promise<void> {
  for (let i = 0; i < pairs; i++) {
    const pa = params(c, `a${i}`);
    const a = await host.open(pa, i);
    all.push(a);
    const b = await host.open({ ...params(c, `b${i}`), remote: { address: '127.0.0.1', rtpPort: a.localRtpPort, rtcpPort: a.localRtcpPort } }, i);
    all.push(b);
    await a.update({ ...pa, remote: { address: '127.0.0.1', rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort } });
  }
}

interface Totals {
  underruns: number;
  concealed: number;
  skipped: number;
  late: number;
}

function totals(sessions: MediaSessionLike[]): Totals {
  const t: Totals = { underruns: 0, concealed: 0, skipped: 0, late: 0 };
  for (const s of sessions) {
    const st = s.stats();
    t.underruns += st.jitterBuffer?.underrunFrames ?? 0;
    t.concealed += st.jitterBuffer?.concealedFrames ?? 0;
    t.skipped += (st.clocks.send?.skippedTicks ?? 0) + (st.clocks.receive?.skippedTicks ?? 0);
    t.late = Math.max(t.late, st.clocks.send?.maxLateMs ?? 0, st.clocks.receive?.maxLateMs ?? 0);
  }
  return t;
}

type StepOptions = Pick<Required<MediaBenchOptions>, 'maxLinks' | 'startLinks' | 'stepS' | 'warmupS' | 'budgetS' | 'cpuLimit'>;

async function step(host: SessionHost, c: MediaBenchConfig, links: number, o: StepOptions): Promise<MediaBenchStep> {
  const sessions: MediaSessionLike[] = [];
  try {
    await openPairs(host, c, links / 2, sessions);
    await sleep(o.warmupS * 1000);
    const t0 = totals(sessions);
    const e0 = host.elu();
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await sleep(o.stepS * 1000);
    const cpu = process.cpuUsage(cpu0);
    const wall = (performance.now() - w0) * 1000; // µs
    const e1 = host.elu();
    const t1 = totals(sessions);
    const cpuShare = (cpu.user + cpu.system) / wall;
    const underruns = t1.underruns - t0.underruns;
    const skipped = t1.skipped - t0.skipped;
    const workerElu =
      e0 && e1
        ? e1.map((e, i) => {
            const a = e.active - (e0[i]?.active ?? 0);
            const all = a + e.idle - (e0[i]?.idle ?? 0);
            return all > 0 ? a / all : 0;
          })
        : null;
    const cpuLimit = o.cpuLimit * Math.max(1, host.workers);
    return {
      links,
      cpuShare,
      cpuPerLinkPct: (100 * cpuShare) / links,
      underruns,
      concealedFrames: t1.concealed - t0.concealed,
      skippedTicks: skipped,
      maxTickLateMs: t1.late,
      workerElu,
      loadAvg1: loadavg()[0] ?? 0,
      clean: underruns === 0 && skipped === 0 && cpuShare <= cpuLimit,
    };
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}

async function searchConfig(host: SessionHost, c: MediaBenchConfig, o: StepOptions, log: (l: string) => void): Promise<MediaBenchConfigResult> {
  const started = performance.now();
  const steps: MediaBenchStep[] = [];
  let good: MediaBenchStep | null = null;
  let bad: MediaBenchStep | null = null;
  let n = Math.max(2, o.startLinks - (o.startLinks % 2));
  const stepCost = (o.warmupS + o.stepS) * 1000 + 500;
  let limitedBy: MediaBenchConfigResult['limitedBy'] = 'cap';
  for (;;) {
    if (performance.now() - started + stepCost > o.budgetS * 1000) {
      limitedBy = 'budget';
      break;
    }
    const s = await step(host, c, n, o);
    steps.push(s);
    const elu = s.workerElu ? `  worker ELU ${s.workerElu.map((e) => `${(100 * e).toFixed(0)}%`).join('/')}` : '';
    log(
      `  ${c.name} [${host.label}]: ${s.links} links  cpu ${(100 * s.cpuShare).toFixed(0)}% of a core  ${s.cpuPerLinkPct.toFixed(2)}%/link${elu}  ` +
        `underrun frames ${s.underruns}  skipped ticks ${s.skippedTicks}  worst tick lateness (incl. start-up) ${s.maxTickLateMs.toFixed(1)} ms  load ${s.loadAvg1.toFixed(2)}  ${s.clean ? 'clean' : 'NOT clean'}`,
    );
    if (s.clean) good = !good || s.links > good.links ? s : good;
    else {
      bad = !bad || s.links < bad.links ? s : bad;
      limitedBy = s.cpuShare > o.cpuLimit * Math.max(1, host.workers) ? 'cpu' : 'underruns';
    }
    // Double until the first failure, then bisect between the best clean and the first bad count.
    let next: number;
    if (!bad) next = Math.min(o.maxLinks, n * 2);
    else {
      const lo = good?.links ?? 0;
      next = Math.floor((lo + bad.links) / 4) * 2;
      if (next <= lo || bad.links - lo <= Math.max(2, Math.round(lo / 8))) break;
    }
    if (next === n) {
      limitedBy = 'cap';
      break;
    }
    n = next;
  }
  return { name: c.name, workers: host.workers, placement: host.placement, maxCleanLinks: good?.links ?? 0, cpuPerLinkPct: good?.cpuPerLinkPct ?? null, limitedBy: bad ? limitedBy : limitedBy === 'budget' ? 'budget' : 'cap', steps };
}

/** opusscript's own encode + decode cost per 20 ms stereo 48 kHz frame at 128 kbit/s. */
export function measureOpusscript(complexity: number, frames = 500): OpusBareCost {
  const enc = new OpusScript(48000, 2, OpusScript.Application.AUDIO);
  const dec = new OpusScript(48000, 2, OpusScript.Application.AUDIO);
  try {
    enc.setBitrate(128000);
    enc.encoderCTL(4010, complexity); // OPUS_SET_COMPLEXITY_REQUEST
    const pcm = Buffer.alloc(960 * 2 * 2);
    const packets: Buffer[] = [];
    // A 1 kHz tone with some noise, so the encoder has real work.
    let seed = 1;
    const frameAt = (k: number): Buffer => {
      for (let i = 0; i < 960; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const v = Math.round(4000 * Math.sin((2 * Math.PI * 1000 * (k * 960 + i)) / 48000) + ((seed >>> 16) - 32768) / 64);
        pcm.writeInt16LE(v, i * 4);
        pcm.writeInt16LE(v, i * 4 + 2);
      }
      return pcm;
    };
    for (let k = 0; k < 50; k++) dec.decode(enc.encode(frameAt(k), 960)); // warm-up
    let encNs = 0n;
    for (let k = 0; k < frames; k++) {
      const f = frameAt(k);
      const t = process.hrtime.bigint();
      packets.push(Buffer.from(enc.encode(f, 960)));
      encNs += process.hrtime.bigint() - t;
    }
    const t = process.hrtime.bigint();
    for (const p of packets) dec.decode(p);
    const decNs = process.hrtime.bigint() - t;
    const encodeUs = Number(encNs) / 1000 / frames;
    const decodeUs = Number(decNs) / 1000 / frames;
    const totalUs = encodeUs + decodeUs;
    return { complexity, encodeUs, decodeUs, totalUs, corePctPerStream: (100 * totalUs) / 20000 };
  } finally {
    enc.delete();
    dec.delete();
  }
}

function threadsLabel(workers: number): string {
  return workers === 0 ? 'one thread' : `${workers} workers`;
}

export async function runMediaBench(opts: MediaBenchOptions = {}): Promise<MediaBenchResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const o: StepOptions = {
    maxLinks: opts.maxLinks ?? 256,
    startLinks: opts.startLinks ?? 8,
    stepS: opts.stepS ?? 4,
    warmupS: opts.warmupS ?? 1.5,
    budgetS: opts.budgetS ?? 60,
    cpuLimit: opts.cpuLimit ?? 0.9,
  };
  const workers = opts.workers ?? availableParallelism();
  const modes = workers > 0 && (opts.compareSingleThread ?? true) ? [0, workers] : [workers];
  const result: MediaBenchResult = { node: process.version, cpus: availableParallelism(), configs: [], opusscript: [], loadAvgStart: loadavg(), loadAvgEnd: [] };
  log(
    `media links (${modes.map(threadsLabel).join(', then ')}; ${result.cpus} cores available; ` +
      `load average ${result.loadAvgStart.map((l) => l.toFixed(2)).join(' ')}: figures are only meaningful on a quiet machine)`,
  );
  // The pool starts before anything is measured, so that its workers load the same source files as
  // this thread did (they import them afresh; an edit made during the run would otherwise be measured
  // on one side only). Idle workers cost nothing during the one-thread search.
  const pool = workers > 0 ? new MediaWorkerPool({ workers }) : null;
  try {
    if (pool) await pool.ready();
    for (const mode of modes) {
      const host = mode > 0 && pool ? poolHost(pool, opts.placement ?? 'same') : inProcessHost();
      for (const c of opts.configs ?? MEDIA_BENCH_CONFIGS) {
        const r = await searchConfig(host, c, o, log);
        result.configs.push(r);
        log(
          `${c.name} [${host.label}]: ${r.maxCleanLinks} links clean, ${r.cpuPerLinkPct?.toFixed(2) ?? '-'} % of a core per link ` +
            `(search stopped by ${r.limitedBy})`,
        );
      }
    }
  } finally {
    await pool?.close();
  }
  for (const complexity of [5, 10]) {
    const b = measureOpusscript(complexity);
    result.opusscript.push(b);
    log(
      `opusscript bare, 20 ms stereo 128 kbit/s, complexity ${complexity}: encode ${b.encodeUs.toFixed(0)} µs + decode ${b.decodeUs.toFixed(0)} µs = ` +
        `${b.totalUs.toFixed(0)} µs per frame = ${b.corePctPerStream.toFixed(2)} % of a core per realtime stream (${Math.floor(100 / b.corePctPerStream)} streams/core at most)`,
    );
  }
  result.loadAvgEnd = loadavg();
  log(`load average at the end: ${result.loadAvgEnd.map((l) => l.toFixed(2)).join(' ')}`);
  return result;
}

// `npx tsx test/bench/media/links-per-core.ts [--quick] [--workers N] [--no-single] [--split] [--opus] [--start N]`
// runs it on its own (--workers 0: one thread only; --split: the ends of a link on different workers;
// --opus: the two Opus configurations only).
if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const num = (flag: string): number | undefined => {
    const i = argv.indexOf(flag);
    const v = i >= 0 ? Number(argv[i + 1]) : NaN;
    return Number.isFinite(v) ? v : undefined;
  };
  const quick = argv.includes('--quick');
  const workers = num('--workers');
  const startLinks = num('--start');
  await runMediaBench({
    ...(quick ? { budgetS: 20, stepS: 2, warmupS: 1 } : {}),
    ...(workers !== undefined ? { workers } : {}),
    ...(startLinks !== undefined ? { startLinks } : {}),
    ...(argv.includes('--no-single') ? { compareSingleThread: false } : {}),
    ...(argv.includes('--split') ? { placement: 'split' as const } : {}),
    ...(argv.includes('--opus') ? { configs: MEDIA_BENCH_CONFIGS.filter((c) => c.codecId === 'opus') } : {}),
  });
}
