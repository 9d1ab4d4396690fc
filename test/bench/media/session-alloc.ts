/**
 * Allocation per session frame in steady state, measured deterministically: on virtual time, not
 * wall clock, so that the figure is the same on a quiet and on a busy machine.
 *
 *   node --import tsx test/bench/media/session-alloc.ts [--config=opus] [--pairs=N] [--sites=N]
 *   (or: node --import tsx test/bench/media/session-cost.ts --only=alloc, which runs this in a child)
 *
 * How: `pairs` full-duplex session pairs (tone in, null out, adaptive jitter buffer, as session-cost's
 * steady state runs them) take all their time from one VirtualClock; each 5 ms step advances it and
 * then lets the event loop turn until every packet sent so far was read (real UDP on 127.0.0.1). The
 * process runs with a young generation far larger than what the window allocates
 * (`--min-semi-space-size`, set by the parent or by `main` re-running itself), so no garbage collection
 * happens in the window (V8's old generation may still start one; what it freed is added back) and the
 * growth of V8's used heap is exactly the bytes allocated on the heap; the growth of
 * `process.memoryUsage().arrayBuffers` is what typed arrays and Buffers allocated outside it (their
 * sample data), a lower bound when a collection ran (it is said). Both are divided by
 * the send frames of all sessions: one frame read from the source, metered, encoded and sent, one
 * received, buffered, decoded, metered and played. The stepping's own allocation (a few promises per
 * step, measured with no sessions open) is subtracted.
 *
 * Then the same window again with V8's sampling heap profiler on (collected objects included, a
 * sample every 128 bytes on average): objects per session frame (an estimate), and the sites that
 * allocate the most (function, file).
 */
import { spawnSync } from 'node:child_process';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { Session as InspectorSession } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { MediaSession, type MediaSessionParams } from '../../../server/media/media-session.js';
import type { CodecParams } from '../../../server/codecs/codec.js';
import type { Clock, TimerHandle } from '../../../server/util/clock.js';

export interface AllocConfig {
  name: string;
  codecId: string;
  payloadType: number;
  params: CodecParams;
}

/** The configurations session-cost measures (its steady state and this). */
export const SESSION_COST_CONFIGS: AllocConfig[] = [
  { name: 'opus 128k stereo 20 ms c5', codecId: 'opus', payloadType: 96, params: { sampleRate: 48000, channels: 2, ptimeMs: 20, bitrate: 128000, complexity: 5, application: 'audio' } },
  { name: 'L24 stereo 5 ms', codecId: 'L24', payloadType: 98, params: { sampleRate: 48000, channels: 2, ptimeMs: 5 } },
  { name: 'PCMA 20 ms', codecId: 'PCMA', payloadType: 8, params: { sampleRate: 8000, channels: 1, ptimeMs: 20 } },
];

/** Young generation (MB) of the measuring process: no scavenge in a window of a few MB. */
const SEMI_SPACE_MB = 256;
const STEP_MS = 5;
/** Virtual warm-up before the windows (buffers reach their running state, RTCP has started, code is compiled). */
const WARMUP_STEPS = 800;
/** Virtual length of each window: 4 s, so RTCP reports fall in it as they do in a real run. */
const WINDOW_STEPS = 800;

/** A Clock on virtual time whose own timers allocate one object each (as a Node timer does). */
class VirtualClock implements Clock {
  private t = 0;
  private readonly timers: VirtualTimer[] = [];
  private seq = 0;

  now(): number {
    return this.t;
  }

  wallNow(): number {
    return 1_700_000_000_000 + this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer = new VirtualTimer(this.t + Math.max(0, ms), this.seq++, fn);
    this.timers.push(timer);
    return timer;
  }

  /** Fires the timers due within `ms`, in time order (ties in the order armed), with no allocation of its own. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let at = -1;
      for (let i = 0; i < this.timers.length; i++) {
        const x = this.timers[i]!;
        if (x.cancelled) {
          this.remove(i--);
          continue;
        }
        if (x.at <= end && (at < 0 || x.at < this.timers[at]!.at || (x.at === this.timers[at]!.at && x.seq < this.timers[at]!.seq))) at = i;
      }
      if (at < 0) break;
      const next = this.timers[at]!;
      this.remove(at);
      this.t = Math.max(this.t, next.at);
      next.cancelled = true;
      next.fn();
    }
    this.t = end;
  }

  private remove(i: number): void {
    const last = this.timers.pop()!;
    if (i < this.timers.length) this.timers[i] = last;
  }
}

class VirtualTimer implements TimerHandle {
  cancelled = false;
  constructor(readonly at: number, readonly seq: number, readonly fn: () => void) {}
  cancel(): void {
    this.cancelled = true;
  }
}

/** A bench session's parameters (tone in, null out, adaptive buffer), as session-cost and this measure them. */
export function benchSessionParams(c: AllocConfig, linkId: string, remote: MediaSessionParams['remote'] = null): MediaSessionParams {
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

async function openPair(c: AllocConfig, clock: Clock, tag: string): Promise<MediaSession[]> {
  const a = await MediaSession.open(benchSessionParams(c, `a${tag}`), { clock });
  const b = await MediaSession.open({ ...benchSessionParams(c, `b${tag}`), remote: { address: '127.0.0.1', rtpPort: a.localRtpPort, rtcpPort: a.localRtcpPort } }, { clock });
  await a.update({ ...benchSessionParams(c, `a${tag}`), remote: { address: '127.0.0.1', rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort } });
  return [a, b];
}

const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * One step: advance, then turn the event loop until the packets sent are read (two turns: the poll
 * phase reads the datagrams, the check phase runs the deferred receive ticks). `received` counts
 * nothing per packet: the check that nothing was late is the concealment count at the end.
 */
async function step(clock: VirtualClock): Promise<void> {
  clock.advance(STEP_MS);
  await immediate();
  await immediate();
}

async function steps(clock: VirtualClock, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await step(clock);
}

function sentFrames(sessions: MediaSession[]): number {
  let n = 0;
  for (const s of sessions) n += s.stats().encode.frames;
  return n;
}

function concealed(sessions: MediaSession[]): number {
  let n = 0;
  for (const s of sessions) {
    const jb = s.stats().jitterBuffer;
    n += jb?.concealedFrames ?? 0;
  }
  return n;
}

interface Bytes {
  heap: number;
  arrayBuffers: number;
  collections: number;
}

/**
 * Heap and ArrayBuffer bytes allocated by `body`, and the collections that ran meanwhile. The heap
 * figure stays exact through a collection (what each one freed is added back, from V8's GC profiler);
 * the ArrayBuffer figure is exact only when none ran (a collection frees backing stores unseen).
 */
async function bytesOf(body: () => Promise<void>): Promise<Bytes> {
  const prof = new GCProfiler();
  prof.start();
  const h0 = getHeapStatistics().used_heap_size;
  const a0 = process.memoryUsage().arrayBuffers;
  await body();
  const h1 = getHeapStatistics().used_heap_size;
  const a1 = process.memoryUsage().arrayBuffers;
  const gcs = prof.stop()?.statistics ?? [];
  let freed = 0;
  for (const g of gcs) freed += g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize;
  return { heap: h1 - h0 + freed, arrayBuffers: a1 - a0, collections: gcs.length };
}

export interface AllocSite {
  fn: string;
  where: string;
  objects: number;
  bytes: number;
}

interface SampledNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children: SampledNode[];
}

/** Mean bytes between two sampled allocations: small enough that nearly every object of the media path is seen. */
const SAMPLING_INTERVAL = 128;

/**
 * Objects and heap bytes that `body` allocated, by the function that allocated them: V8's sampling heap
 * profiler, collected objects included, at a small sampling interval. Each sample of `size` bytes
 * stands for 1 / (1 − e^(−size/interval)) objects (V8's own scaling), so the figures are estimates,
 * close to exact over thousands of frames.
 */
async function sitesOf(body: () => Promise<void>): Promise<{ objects: number; bytes: number; sites: AllocSite[] }> {
  const s = new InspectorSession();
  s.connect();
  try {
    await s.post('HeapProfiler.enable');
    await s.post('HeapProfiler.startSampling', {
      samplingInterval: SAMPLING_INTERVAL,
      includeObjectsCollectedByMinorGC: true,
      includeObjectsCollectedByMajorGC: true,
    } as never);
    await body();
    const { profile } = (await s.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: SampledNode; samples: Array<{ size: number; nodeId: number }> } };
    const nodes = new Map<number, SampledNode>();
    const walk = (n: SampledNode): void => {
      nodes.set(n.id, n);
      for (const c of n.children) walk(c);
    };
    walk(profile.head);
    const bySite = new Map<string, AllocSite>();
    let objects = 0;
    let bytes = 0;
    for (const x of profile.samples) {
      const n = nodes.get(x.nodeId);
      if (!n) continue;
      const where = n.callFrame.url.replace(/^.*\/(server|test|node_modules)\//, '$1/');
      // The measurement's own allocation (the inspector's messages, the stepping) is not the sessions'.
      if (/^node:inspector|session-alloc\.ts$/.test(where)) continue;
      const count = 1 / (1 - Math.exp(-x.size / SAMPLING_INTERVAL));
      const key = `${n.callFrame.functionName}|${where}`;
      const e = bySite.get(key) ?? { fn: n.callFrame.functionName || '(anonymous)', where, objects: 0, bytes: 0 };
      e.objects += count;
      e.bytes += count * x.size;
      bySite.set(key, e);
      objects += count;
      bytes += count * x.size;
    }
    const sites = [...bySite.values()].sort((x, y) => y.objects - x.objects);
    return { objects, bytes, sites };
  } finally {
    s.disconnect();
  }
}

export interface AllocRow {
  name: string;
  sessions: number;
  frames: number;
  heapBytesPerFrame: number;
  arrayBufferBytesPerFrame: number;
  objectsPerFrame: number;
  /** Collections in the byte window: 0, or the ArrayBuffer figure is a lower bound (the heap figure stays exact). */
  collections: number;
  /** Frames concealed in the windows (0: every packet was in time). */
  concealedFrames: number;
  sites: AllocSite[];
}

export async function measureAlloc(c: AllocConfig, pairs = 2): Promise<AllocRow> {
  const clock = new VirtualClock();
  // The stepping's own allocation, with nothing to run.
  await steps(clock, 50);
  (globalThis as { gc?: () => void }).gc?.();
  const idle = await bytesOf(() => steps(clock, WINDOW_STEPS));
  const sessions: MediaSession[] = [];
  try {
    for (let i = 0; i < pairs; i++) sessions.push(...(await openPair(c, clock, `${i}`)));
    await steps(clock, WARMUP_STEPS);
    const f0 = sentFrames(sessions);
    const k0 = concealed(sessions);
    // An empty young generation (and external-memory baseline) for the window: no collection falls in it.
    (globalThis as { gc?: () => void }).gc?.();
    const b = await bytesOf(() => steps(clock, WINDOW_STEPS));
    const f1 = sentFrames(sessions);
    const t = await sitesOf(() => steps(clock, WINDOW_STEPS));
    const f2 = sentFrames(sessions);
    const frames = f1 - f0;
    return {
      name: c.name,
      sessions: sessions.length,
      frames,
      heapBytesPerFrame: (b.heap - idle.heap) / frames,
      arrayBufferBytesPerFrame: (b.arrayBuffers - idle.arrayBuffers) / frames,
      objectsPerFrame: t.objects / (f2 - f1),
      collections: b.collections,
      concealedFrames: concealed(sessions) - k0,
      sites: t.sites.map((s) => ({ ...s, objects: s.objects / (f2 - f1), bytes: s.bytes / (f2 - f1) })),
    };
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}

export function allocLines(r: AllocRow, siteCount = 8): string[] {
  return [
    `  ${r.name}: ${r.sessions} sessions, ${r.frames} session frames on virtual time: ` +
      `${r.heapBytesPerFrame.toFixed(0)} B heap + ${r.arrayBufferBytesPerFrame.toFixed(0)} B ArrayBuffers, ${r.objectsPerFrame.toFixed(1)} objects per session frame` +
      `${r.collections > 0 ? `  (${r.collections} collections in the window: the ArrayBuffer figure is a lower bound)` : ''}${r.concealedFrames > 0 ? `  (${r.concealedFrames} frames concealed)` : ''}`,
    ...r.sites
      .slice(0, siteCount)
      .filter((s) => s.objects >= 0.05)
      .map((s) => `      ${s.objects.toFixed(2).padStart(6)} objects ${s.bytes.toFixed(0).padStart(6)} B  ${s.fn}  ${s.where}`),
  ];
}

/**
 * Runs the measurement in a child process with the young generation it needs (this process's
 * semi-space cannot be changed once the heap exists). Prints the child's lines through `log`.
 */
export function runAllocChild(config: string | undefined, pairs: number | undefined, log: (line: string) => void, sites?: number): void {
  const self = fileURLToPath(import.meta.url);
  const args = [`--max-semi-space-size=${SEMI_SPACE_MB}`, `--min-semi-space-size=${SEMI_SPACE_MB}`, '--expose-gc', '--import', 'tsx', self, '--child'];
  if (config) args.push(`--config=${config}`);
  if (pairs) args.push(`--pairs=${pairs}`);
  if (sites) args.push(`--sites=${sites}`);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 600_000 });
  for (const line of r.stdout.split('\n').filter(Boolean)) log(line);
  if (r.status !== 0) log(`  allocation measurement failed (${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  if (!argv.includes('--child')) {
    runAllocChild(arg('config'), arg('pairs') ? Number(arg('pairs')) : undefined, (l) => console.log(l), arg('sites') ? Number(arg('sites')) : undefined);
    return;
  }
  const config = arg('config');
  for (const c of SESSION_COST_CONFIGS.filter((x) => !config || x.name.toLowerCase().includes(config.toLowerCase()))) {
    const r = await measureAlloc(c, arg('pairs') ? Number(arg('pairs')) : 2);
    for (const line of allocLines(r, Number(arg('sites') ?? 10))) console.log(line);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main(process.argv);
  process.exit(0);
}
