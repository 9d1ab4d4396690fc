/**
 * Real-time replay of seeded traces (test/fixtures/jitter/README.md, "Running and scoring") into acip's own
 * JitterBuffer and into GStreamer's rtpjitterbuffer: one sender (gst-compare.ts) sends every packet over
 * loopback UDP at its arrival time. By default acip's pass runs alone and GStreamer's receivers get the
 * same trace in a second pass, so ten gst-launch processes waking on every packet do not delay acip's
 * receiver on a 2-core machine (`--together` sends to all of them in one pass, as before) —
 * - acip: a child process (replay-receiver.ts) with a FrameClock on the system clock driving a
 *   PlayoutAdapter over a JitterBuffer as the media session does (min(ptime, 5 ms) ticks, pulls after
 *   the socket reads), scored by simulate.ts's scorer (`scoreOutputs`);
 * - GStreamer: `rtpjitterbuffer latency=N mode=slave [drop-on-latency=true]` for each latency, with and
 *   without drop-on-latency.
 *
 * Where real time loses against the fake clock, split in three rows of the same buffer and tick grid:
 * fake clock on the trace's arrivals (ideal); fake clock on the receiver's own arrival stamps (what
 * stamping after the event loop costs); real time (what the tick's wake-up and the pull order cost).
 *
 * "dominates": acip's point (p95 added delay, concealed %) against GStreamer's curve (every latency,
 * with and without drop-on-latency): yes when no GStreamer setting is at least as good on both (lower
 * or equal p95 and lower or equal concealment), no otherwise; the settings that are are named.
 *
 * A run is void when the replay's own timing is off: the sender's error (actual − scheduled send)
 * p99 > 1.5 ms, or acip's arrival-stamp error (stamp − scheduled arrival: sender error + loopback +
 * the receiver's event loop) p99 > 1.5 ms. Both are printed; a void run's figures are printed but its
 * verdict is "void".
 *
 *   npx tsx test/bench/jitter/replay.ts [--profiles wan,mobile] [--seeds 1-5] [--seconds 60]
 *     [--latencies 20,40,60,100,200] [--no-gst] [--min 0 --max 300] [--tick-ms 5] [--tick-before-io] [--together]
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { runGstCompare, type GstScore } from './gst-compare.js';
import { DEFAULT_ADAPTIVE, simulateTrace, type JbSettings, type JitterScores } from './simulate.js';
import { generateTrace, PROFILE_NAMES, type ProfileName, type Trace } from './traces.js';
import type { ReplayGo, ReplayReceiverResult } from './replay-receiver.js';

export interface JitterReplayOptions {
  profile?: ProfileName;
  seed?: number;
  seconds?: number;
  /** GStreamer latencies (ms); each runs with and without drop-on-latency. Empty: acip only. */
  latencies?: number[];
  jb?: JbSettings;
  /** Pull after the socket has been read in each event-loop turn (see ReplayGo.tickAfterIo; default true). */
  tickAfterIo?: boolean;
  /** Output tick period (ms; default min(ptime, 5) as the media session). */
  tickMs?: number;
  /** Replay to acip and GStreamer in one pass instead of acip alone, then GStreamer (default false). */
  together?: boolean;
  /** Void threshold for the timing checks (ms, default 1.5). */
  maxTimingErrP99Ms?: number;
  print?: (line: string) => void;
}

export interface JitterReplayResult {
  void: boolean;
  voidReasons: string[];
  loadAvg: number[];
  sendErr: { p50: number; p99: number; max: number };
  acip: ReplayReceiverResult;
  /** Fake clock, same buffer and tick grid, on the trace's arrivals. */
  acipSimulated: JitterScores;
  /** Fake clock, same buffer and tick grid, on the receiver's own arrival stamps. */
  acipStamped: JitterScores;
  gst: GstScore[];
  /** GStreamer settings at least as good as acip on both p95 and concealment (empty: acip dominates). */
  betterGst: string[];
}

const RECEIVER = fileURLToPath(new URL('./replay-receiver.ts', import.meta.url));

export async function runJitterReplayCompare(opts: JitterReplayOptions = {}): Promise<JitterReplayResult> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const profile = opts.profile ?? 'wan';
  const seed = opts.seed ?? 1;
  const seconds = opts.seconds ?? 60;
  const latencies = opts.latencies ?? [20, 40, 60, 100, 200];
  const jb = opts.jb ?? DEFAULT_ADAPTIVE;
  const limit = opts.maxTimingErrP99Ms ?? 1.5;
  const trace = generateTrace({ profile, seed, seconds });
  const lastArrival = Math.max(...trace.rows.map((r) => r.arrivalMs ?? 0));
  const endMs = lastArrival + jb.maxDelayMs + 500;

  const child = fork(RECEIVER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('replay receiver did not start')), 20_000);
      child.once('message', (m: { type?: string; port?: number }) => {
        clearTimeout(t);
        if (m.type === 'ready' && typeof m.port === 'number') resolve(m.port);
        else reject(new Error(`replay receiver: unexpected ${JSON.stringify(m)}`));
      });
      child.once('exit', (code) => reject(new Error(`replay receiver exited ${code}`)));
    });
    const done = new Promise<ReplayReceiverResult>((resolve, reject) => {
      child.on('message', (m: { type?: string; result?: ReplayReceiverResult }) => {
        if (m.type === 'done' && m.result) resolve(m.result);
      });
      child.once('exit', (code) => reject(new Error(`replay receiver exited ${code} before its result`)));
    });
    const configs = latencies.flatMap((latencyMs) => [false, true].map((dropOnLatency) => ({ latencyMs, dropOnLatency })));
    const beforeReplay = (t0Abs: number) => {
      const go: ReplayGo = { type: 'go', t0Abs, profile, seed, seconds, jb, endMs, tickAfterIo: opts.tickAfterIo !== false };
      if (opts.tickMs !== undefined) go.tickMs = opts.tickMs;
      child.send(go);
    };
    const base = { profile, seed, seconds, latencies, printTable: false, print, leadMs: 1000 };
    let gst: Awaited<ReturnType<typeof runGstCompare>>;
    let acipSend: Awaited<ReturnType<typeof runGstCompare>> | undefined;
    if (opts.together === true || configs.length === 0) {
      gst = await runGstCompare({ ...base, configs, extraPorts: [port], beforeReplay });
    } else {
      acipSend = await runGstCompare({ ...base, configs: [], extraPorts: [port], beforeReplay });
      gst = await runGstCompare({ ...base, configs });
    }
    const acip = await done;
    const grid = { ...jb, pullPeriodMs: acip.tickMs };
    const acipSimulated = simulateTrace({ trace, jb: grid, tickPhaseMs: acip.tickPhaseMs });
    const acipStamped = simulateTrace({ trace, jb: grid, tickPhaseMs: acip.tickPhaseMs, arrivals: stampedArrivals(trace, acip.stamps) });
    const voidReasons: string[] = [];
    for (const [pass, r] of acipSend ? ([['acip pass', acipSend], ['GStreamer pass', gst]] as const) : ([['', gst]] as const)) {
      if (!(r.replayErrP99 <= limit)) voidReasons.push(`sender timing error${pass ? ` (${pass})` : ''} p99 ${r.replayErrP99.toFixed(2)} ms > ${limit}`);
    }
    const sender = acipSend ?? gst;
    if (!(acip.arrivalErr.p99 <= limit)) voidReasons.push(`acip arrival-stamp error p99 ${acip.arrivalErr.p99.toFixed(2)} ms > ${limit}`);
    const result: JitterReplayResult = {
      void: voidReasons.length > 0,
      voidReasons,
      loadAvg: loadavg(),
      sendErr: { p50: sender.replayErrP50, p99: sender.replayErrP99, max: sender.replayErrMax },
      acip,
      acipSimulated,
      acipStamped,
      gst: gst.scores,
      betterGst: betterSettings(acip.scores, gst.scores),
    };
    for (const line of formatReplay(result, { profile, seed, seconds, jb, tickAfterIo: opts.tickAfterIo !== false, together: acipSend === undefined })) print(line);
    return result;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}

export function formatReplay(r: JitterReplayResult, ctx: { profile: string; seed: number; seconds: number; jb: JbSettings; tickAfterIo?: boolean; together?: boolean }): string[] {
  const f = (x: number, d = 1, w = 7) => (Number.isFinite(x) ? x.toFixed(d) : '–').padStart(w);
  const lines: string[] = [];
  const mode = ctx.jb.mode === 'fixed' ? `fixed ${ctx.jb.fixedDelayMs ?? ctx.jb.minDelayMs}` : `adaptive ${ctx.jb.minDelayMs}–${ctx.jb.maxDelayMs}`;
  const passes = ctx.together === false ? 'acip alone, then GStreamer in a second pass' : 'acip and GStreamer in one pass';
  lines.push(`real-time replay over loopback UDP (${passes}): ${ctx.profile} seed ${ctx.seed}, ${ctx.seconds} s; load average ${r.loadAvg.map((x) => x.toFixed(2)).join(' ')}`);
  lines.push(`  sender timing error${ctx.together === false ? ' (acip pass)' : ''} p50 ${f(r.sendErr.p50, 2, 0)} p99 ${f(r.sendErr.p99, 2, 0)} max ${f(r.sendErr.max, 2, 0)} ms; acip arrival-stamp error p50 ${f(r.acip.arrivalErr.p50, 2, 0)} p99 ${f(r.acip.arrivalErr.p99, 2, 0)} max ${f(r.acip.arrivalErr.max, 2, 0)} ms (n ${r.acip.arrivalErr.n});`);
  lines.push(`  acip frame clock lateness p50 ${f(r.acip.tickLate.p50, 2, 0)} p99 ${f(r.acip.tickLate.p99, 2, 0)} max ${f(r.acip.tickLate.max, 2, 0)} ms, skipped ticks ${r.acip.skippedTicks}, malformed ${r.acip.malformed}`);
  lines.push(r.void ? `  VOID RUN (machine too busy): ${r.voidReasons.join('; ')}` : '  timing checks passed (p99 ≤ 1.5 ms): run valid');
  lines.push(`${'receiver'.padEnd(56)} added mean     p95     p99  last10s   conc %  lost-net %  late %  stall %  JICO %  events`);
  const row = (name: string, s: { mean: number; p95: number; p99: number; last10: number; conc: number; net: number; late: number; stall: number; jico: number; events: number }) =>
    `${name.padEnd(56)}${f(s.mean, 1, 11)} ${f(s.p95)} ${f(s.p99)} ${f(s.last10, 1, 8)} ${f(s.conc, 2, 8)} ${f(s.net, 2, 11)} ${f(s.late, 2, 7)} ${f(s.stall, 2, 8)} ${f(s.jico, 2, 7)} ${String(s.events).padStart(7)}`;
  const acipRow = (s: JitterScores) => ({
    mean: s.addedMean, p95: s.addedP95, p99: s.addedP99, last10: s.addedLast10sMean, conc: s.concealedPct, net: s.lostNetPct,
    late: s.latePct, stall: s.stallPct, jico: s.jicoPct, events: s.concealmentEvents,
  });
  const tick = `${r.acip.tickMs} ms ticks`;
  lines.push(row(`acip ${mode} (fake clock, trace arrivals)`, acipRow(r.acipSimulated)));
  lines.push(row(`acip ${mode} (fake clock, receiver's stamps)`, acipRow(r.acipStamped)));
  lines.push(row(`acip ${mode} (real time, ${tick}${ctx.tickAfterIo === false ? ', tick before I/O' : ''})`, acipRow(r.acip.scores)));
  for (const g of r.gst) {
    lines.push(row(`gst rtpjitterbuffer latency=${g.latencyMs}${g.dropOnLatency ? ' dol' : ''}`, {
      mean: g.addedMean, p95: g.addedP95, p99: g.addedP99, last10: g.addedLast10sMean, conc: g.concealedPct, net: g.lostNetPct,
      late: g.latePct, stall: NaN, jico: g.jicoPct, events: g.events,
    }));
  }
  lines.push('added = first sample handed to the output − sent − trace minimum one-way delay (acip: tick due time + output FIFO backlog;');
  lines.push('gst: the sink\'s send-back arriving over loopback, processing-deadline=0); dol = drop-on-latency; acip JICO = late + stall.');
  lines.push(`p95 real time − fake clock: ${(r.acip.scores.addedP95 - r.acipSimulated.addedP95).toFixed(1)} ms, of which stamping ${(r.acipStamped.addedP95 - r.acipSimulated.addedP95).toFixed(1)} ms and ticking ${(r.acip.scores.addedP95 - r.acipStamped.addedP95).toFixed(1)} ms`);
  lines.push(verdictLine(r));
  return lines;
}

/** "dominates: yes/no/void" with the point and, for no, the GStreamer settings at least as good on both. */
export function verdictLine(r: JitterReplayResult): string {
  const point = `acip p95 ${r.acip.scores.addedP95.toFixed(1)} ms at ${r.acip.scores.concealedPct.toFixed(2)} % concealed`;
  if (r.void) return `dominates: void (${r.voidReasons.join('; ')}); ${point}`;
  if (r.gst.length === 0) return `dominates: – (no GStreamer run); ${point}`;
  return r.betterGst.length === 0 ? `dominates: yes; ${point}` : `dominates: no; ${point}; at least as good on both: ${r.betterGst.join(', ')}`;
}

/** GStreamer settings whose p95 and concealment are both at most acip's. */
export function betterSettings(acip: JitterScores, gst: readonly GstScore[]): string[] {
  return gst
    .filter((g) => g.addedP95 <= acip.addedP95 && g.concealedPct <= acip.concealedPct)
    .map((g) => `latency=${g.latencyMs}${g.dropOnLatency ? ' dol' : ''} (${g.addedP95.toFixed(1)} ms, ${g.concealedPct.toFixed(2)} %)`);
}

/** The trace's packets in the order and at the times the receiver stamped them (duplicates included). */
export function stampedArrivals(trace: Trace, stamps: readonly [number, number][]): { seq: number; rtpTs: number; arrivalMs: number }[] {
  const tsBySeq = new Map<number, number>();
  for (const r of trace.rows) tsBySeq.set(r.seq, r.rtpTs);
  const out: { seq: number; rtpTs: number; arrivalMs: number }[] = [];
  for (const [seq, t] of stamps) {
    const rtpTs = tsBySeq.get(seq);
    if (rtpTs !== undefined) out.push({ seq, rtpTs, arrivalMs: t });
  }
  return out;
}

export interface JitterReplayMatrixOptions extends Omit<JitterReplayOptions, 'profile' | 'seed' | 'print'> {
  profiles?: readonly ProfileName[];
  seeds?: readonly number[];
  print?: (line: string) => void;
}

/**
 * Every profile × seed in turn (default: all profiles, seeds 1–5; each run takes its trace's length
 * in real time, `seconds` default 60), then one summary line per run with its verdict.
 */
export async function runJitterReplayMatrix(opts: JitterReplayMatrixOptions = {}): Promise<JitterReplayResult[]> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const profiles = opts.profiles ?? PROFILE_NAMES;
  const seeds = opts.seeds ?? [1, 2, 3, 4, 5];
  const results: { profile: string; seed: number; r: JitterReplayResult }[] = [];
  for (const profile of profiles) {
    for (const seed of seeds) {
      print('');
      const r = await runJitterReplayCompare({ ...opts, profile, seed, print });
      results.push({ profile, seed, r });
    }
  }
  print('');
  print('summary (p95 added delay ms at concealed %; real time against the fake clock on the same grid; verdict against GStreamer)');
  for (const { profile, seed, r } of results) {
    const a = r.acip.scores;
    print(`${profile.padEnd(11)} seed ${seed}: real ${a.addedP95.toFixed(1)} at ${a.concealedPct.toFixed(2)} %, fake ${r.acipSimulated.addedP95.toFixed(1)} at ${r.acipSimulated.concealedPct.toFixed(2)} % — ${verdictLine(r)}`);
  }
  const valid = results.filter((x) => !x.r.void && x.r.gst.length > 0);
  print(`dominates: ${valid.filter((x) => x.r.betterGst.length === 0).length} of ${valid.length} valid runs; ${results.length - valid.length} void or without GStreamer`);
  return results.map((x) => x.r);
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const args = process.argv.slice(2);
  const arg = (n: string) => {
    const i = args.indexOf(`--${n}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const profiles = (arg('profiles') ?? arg('profile'))?.split(',') as ProfileName[] | undefined;
  for (const p of profiles ?? []) if (!PROFILE_NAMES.includes(p)) throw new Error(`unknown profile ${p}`);
  const seedArg = arg('seeds') ?? arg('seed') ?? '1-5';
  const [a, b] = seedArg.split('-').map(Number);
  const seeds = b === undefined ? [a as number] : Array.from({ length: (b as number) - (a as number) + 1 }, (_, k) => (a as number) + k);
  const tickMs = arg('tick-ms');
  const matrix: JitterReplayMatrixOptions = {
    seeds,
    seconds: Number(arg('seconds') ?? 60),
    latencies: args.includes('--no-gst') ? [] : (arg('latencies') ?? '20,40,60,100,200').split(',').map(Number),
    jb: { mode: 'adaptive', minDelayMs: Number(arg('min') ?? 0), maxDelayMs: Number(arg('max') ?? 300) },
    tickAfterIo: !args.includes('--tick-before-io'),
    together: args.includes('--together'),
  };
  if (profiles) matrix.profiles = profiles;
  if (tickMs !== undefined) matrix.tickMs = Number(tickMs);
  await runJitterReplayMatrix(matrix);
  process.exit(0);
}
