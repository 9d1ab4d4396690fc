/**
 * Full-duplex links per core (issue 4 benchmarks).
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
 * Not asserted anywhere; `npm run bench` prints it. Bounded: at most `maxLinks` links and about
 * `budgetS` seconds per configuration.
 */
import OpusScript from 'opusscript';
import { MediaSession, type MediaSessionParams } from '../../../server/media/media-session.js';
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
  clean: boolean;
}

export interface MediaBenchConfigResult {
  name: string;
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

async function openPairs(c: MediaBenchConfig, pairs: number): Promise<MediaSession[]> {
  const all: MediaSession[] = [];
  for (let i = 0; i < pairs; i++) {
    const pa = params(c, `a${i}`);
    const a = await MediaSession.open(pa, { clock: systemClock });
    const b = await MediaSession.open({ ...params(c, `b${i}`), remote: { address: '127.0.0.1', rtpPort: a.localRtpPort, rtcpPort: a.localRtcpPort } }, { clock: systemClock });
    await a.update({ ...pa, remote: { address: '127.0.0.1', rtpPort: b.localRtpPort, rtcpPort: b.localRtcpPort } });
    all.push(a, b);
  }
  return all;
}

interface Totals {
  underruns: number;
  concealed: number;
  skipped: number;
  late: number;
}

function totals(sessions: MediaSession[]): Totals {
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

async function step(c: MediaBenchConfig, links: number, o: Required<Omit<MediaBenchOptions, 'configs' | 'log'>>): Promise<MediaBenchStep> {
  const sessions = await openPairs(c, links / 2);
  try {
    await sleep(o.warmupS * 1000);
    const t0 = totals(sessions);
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await sleep(o.stepS * 1000);
    const cpu = process.cpuUsage(cpu0);
    const wall = (performance.now() - w0) * 1000; // µs
    const t1 = totals(sessions);
    const cpuShare = (cpu.user + cpu.system) / wall;
    const underruns = t1.underruns - t0.underruns;
    const skipped = t1.skipped - t0.skipped;
    return {
      links,
      cpuShare,
      cpuPerLinkPct: (100 * cpuShare) / links,
      underruns,
      concealedFrames: t1.concealed - t0.concealed,
      skippedTicks: skipped,
      maxTickLateMs: t1.late,
      clean: underruns === 0 && skipped === 0 && cpuShare <= o.cpuLimit,
    };
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}

async function searchConfig(c: MediaBenchConfig, o: Required<Omit<MediaBenchOptions, 'configs' | 'log'>>, log: (l: string) => void): Promise<MediaBenchConfigResult> {
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
    const s = await step(c, n, o);
    steps.push(s);
    log(
      `  ${c.name}: ${s.links} links  cpu ${(100 * s.cpuShare).toFixed(0)}% of a core  ${s.cpuPerLinkPct.toFixed(2)}%/link  ` +
        `underrun frames ${s.underruns}  skipped ticks ${s.skippedTicks}  worst tick lateness (incl. start-up) ${s.maxTickLateMs.toFixed(1)} ms  ${s.clean ? 'clean' : 'NOT clean'}`,
    );
    if (s.clean) good = !good || s.links > good.links ? s : good;
    else {
      bad = !bad || s.links < bad.links ? s : bad;
      limitedBy = s.cpuShare > o.cpuLimit ? 'cpu' : 'underruns';
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
  return { name: c.name, maxCleanLinks: good?.links ?? 0, cpuPerLinkPct: good?.cpuPerLinkPct ?? null, limitedBy: bad ? limitedBy : limitedBy === 'budget' ? 'budget' : 'cap', steps };
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

export async function runMediaBench(opts: MediaBenchOptions = {}): Promise<MediaBenchResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const o = {
    maxLinks: opts.maxLinks ?? 256,
    startLinks: opts.startLinks ?? 8,
    stepS: opts.stepS ?? 4,
    warmupS: opts.warmupS ?? 1.5,
    budgetS: opts.budgetS ?? 60,
    cpuLimit: opts.cpuLimit ?? 0.9,
  };
  const { availableParallelism } = await import('node:os');
  const result: MediaBenchResult = { node: process.version, cpus: availableParallelism(), configs: [], opusscript: [] };
  log(`media links per core (one Node process = one core; ${result.cpus} cores available)`);
  for (const c of opts.configs ?? MEDIA_BENCH_CONFIGS) {
    const r = await searchConfig(c, o, log);
    result.configs.push(r);
    log(`${c.name}: ${r.maxCleanLinks} links clean on one core, ${r.cpuPerLinkPct?.toFixed(2) ?? '-'} % of a core per link (search stopped by ${r.limitedBy})`);
  }
  for (const complexity of [5, 10]) {
    const b = measureOpusscript(complexity);
    result.opusscript.push(b);
    log(
      `opusscript bare, 20 ms stereo 128 kbit/s, complexity ${complexity}: encode ${b.encodeUs.toFixed(0)} µs + decode ${b.decodeUs.toFixed(0)} µs = ` +
        `${b.totalUs.toFixed(0)} µs per frame = ${b.corePctPerStream.toFixed(2)} % of a core per realtime stream (${Math.floor(100 / b.corePctPerStream)} streams/core at most)`,
    );
  }
  return result;
}

// `npx tsx test/bench/media/links-per-core.ts` runs it on its own.
if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  await runMediaBench(quick ? { budgetS: 20, stepS: 2, warmupS: 1 } : {});
}
