/**
 * Real-time replay of one seeded trace (JITTER-TRACES.md "Running and scoring") into acip's own
 * JitterBuffer and into GStreamer's rtpjitterbuffer in the same run: one sender (gst-compare.ts) sends
 * every packet over loopback UDP at its arrival time to every receiver at once —
 * - acip: a child process (replay-receiver.ts) with a FrameClock on the system clock driving a
 *   PlayoutAdapter over a JitterBuffer, scored by simulate.ts's scorer (`scoreOutputs`);
 * - GStreamer: `rtpjitterbuffer latency=N mode=slave [drop-on-latency=true]` for each latency, with and
 *   without drop-on-latency;
 * and prints them side by side with acip's fake-clock simulation of the same trace.
 *
 * The run is void when the replay's own timing is off: the sender's error (actual − scheduled send)
 * p99 > 1.5 ms, or acip's arrival-stamp error (stamp − scheduled arrival: sender error + loopback +
 * the receiver's event loop) p99 > 1.5 ms. Both are printed.
 *
 *   npx tsx test/bench/jitter/replay.ts [--profile wan] [--seed 1] [--seconds 60] [--latencies 20,40,60,100,200] [--no-gst]
 *     [--min 0 --max 300] [--tick-after-io]
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { runGstCompare, type GstScore } from './gst-compare.js';
import { DEFAULT_ADAPTIVE, simulateTrace, type JbSettings, type JitterScores } from './simulate.js';
import { generateTrace, PROFILE_NAMES, type ProfileName } from './traces.js';
import type { ReplayGo, ReplayReceiverResult } from './replay-receiver.js';

export interface JitterReplayOptions {
  profile?: ProfileName;
  seed?: number;
  seconds?: number;
  /** GStreamer latencies (ms); each runs with and without drop-on-latency. Empty: acip only. */
  latencies?: number[];
  jb?: JbSettings;
  /** Pull after the socket has been read in each event-loop turn (see ReplayGo.tickAfterIo). */
  tickAfterIo?: boolean;
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
  acipSimulated: JitterScores;
  gst: GstScore[];
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
    const gst = await runGstCompare({
      profile, seed, seconds, latencies, configs, extraPorts: [port], printTable: false, print, leadMs: 1000,
      beforeReplay: (t0Abs) => {
        const go: ReplayGo = { type: 'go', t0Abs, profile, seed, seconds, jb, endMs, tickAfterIo: opts.tickAfterIo === true };
        child.send(go);
      },
    });
    const acip = await done;
    const acipSimulated = simulateTrace({ trace, jb });
    const voidReasons: string[] = [];
    if (!(gst.replayErrP99 <= limit)) voidReasons.push(`sender timing error p99 ${gst.replayErrP99.toFixed(2)} ms > ${limit}`);
    if (!(acip.arrivalErr.p99 <= limit)) voidReasons.push(`acip arrival-stamp error p99 ${acip.arrivalErr.p99.toFixed(2)} ms > ${limit}`);
    const result: JitterReplayResult = {
      void: voidReasons.length > 0,
      voidReasons,
      loadAvg: loadavg(),
      sendErr: { p50: gst.replayErrP50, p99: gst.replayErrP99, max: gst.replayErrMax },
      acip,
      acipSimulated,
      gst: gst.scores,
    };
    for (const line of formatReplay(result, { profile, seed, seconds, jb, tickAfterIo: opts.tickAfterIo === true })) print(line);
    return result;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}

export function formatReplay(r: JitterReplayResult, ctx: { profile: string; seed: number; seconds: number; jb: JbSettings; tickAfterIo?: boolean }): string[] {
  const f = (x: number, d = 1, w = 7) => (Number.isFinite(x) ? x.toFixed(d) : '–').padStart(w);
  const lines: string[] = [];
  const mode = ctx.jb.mode === 'fixed' ? `fixed ${ctx.jb.fixedDelayMs ?? ctx.jb.minDelayMs}` : `adaptive ${ctx.jb.minDelayMs}–${ctx.jb.maxDelayMs}`;
  lines.push(`real-time replay over loopback UDP: ${ctx.profile} seed ${ctx.seed}, ${ctx.seconds} s; load average ${r.loadAvg.map((x) => x.toFixed(2)).join(' ')}`);
  lines.push(`  sender timing error p50 ${f(r.sendErr.p50, 2, 0)} p99 ${f(r.sendErr.p99, 2, 0)} max ${f(r.sendErr.max, 2, 0)} ms; acip arrival-stamp error p50 ${f(r.acip.arrivalErr.p50, 2, 0)} p99 ${f(r.acip.arrivalErr.p99, 2, 0)} max ${f(r.acip.arrivalErr.max, 2, 0)} ms (n ${r.acip.arrivalErr.n});`);
  lines.push(`  acip frame clock lateness p50 ${f(r.acip.tickLate.p50, 2, 0)} p99 ${f(r.acip.tickLate.p99, 2, 0)} max ${f(r.acip.tickLate.max, 2, 0)} ms, skipped ticks ${r.acip.skippedTicks}, malformed ${r.acip.malformed}`);
  lines.push(r.void ? `  VOID RUN (machine too busy): ${r.voidReasons.join('; ')}` : '  timing checks passed (p99 ≤ 1.5 ms): run valid');
  lines.push(`${'receiver'.padEnd(48)} added mean     p95     p99  last10s   conc %  lost-net %  late %  stall %  JICO %  events`);
  const row = (name: string, s: { mean: number; p95: number; p99: number; last10: number; conc: number; net: number; late: number; stall: number; jico: number; events: number }) =>
    `${name.padEnd(48)}${f(s.mean, 1, 11)} ${f(s.p95)} ${f(s.p99)} ${f(s.last10, 1, 8)} ${f(s.conc, 2, 8)} ${f(s.net, 2, 11)} ${f(s.late, 2, 7)} ${f(s.stall, 2, 8)} ${f(s.jico, 2, 7)} ${String(s.events).padStart(7)}`;
  const acipRow = (s: JitterScores) => ({
    mean: s.addedMean, p95: s.addedP95, p99: s.addedP99, last10: s.addedLast10sMean, conc: s.concealedPct, net: s.lostNetPct,
    late: s.latePct, stall: s.stallPct, jico: s.jicoPct, events: s.concealmentEvents,
  });
  lines.push(row(`acip ${mode} (real time${ctx.tickAfterIo ? ', tick after I/O' : ''})`, acipRow(r.acip.scores)));
  lines.push(row(`acip ${mode} (fake clock)`, acipRow(r.acipSimulated)));
  for (const g of r.gst) {
    lines.push(row(`gst rtpjitterbuffer latency=${g.latencyMs}${g.dropOnLatency ? ' dol' : ''}`, {
      mean: g.addedMean, p95: g.addedP95, p99: g.addedP99, last10: g.addedLast10sMean, conc: g.concealedPct, net: g.lostNetPct,
      late: g.latePct, stall: NaN, jico: g.jicoPct, events: g.events,
    }));
  }
  lines.push('added = first sample handed to the output − sent − trace minimum one-way delay (acip: tick due time + output FIFO backlog;');
  lines.push('gst: the sink\'s send-back arriving over loopback, processing-deadline=0); dol = drop-on-latency; acip JICO = late + stall.');
  return lines;
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const args = process.argv.slice(2);
  const arg = (n: string) => {
    const i = args.indexOf(`--${n}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const profile = (arg('profile') ?? 'wan') as ProfileName;
  if (!PROFILE_NAMES.includes(profile)) throw new Error(`unknown profile ${profile}`);
  const min = arg('min');
  const max = arg('max');
  await runJitterReplayCompare({
    profile,
    seed: Number(arg('seed') ?? 1),
    seconds: Number(arg('seconds') ?? 60),
    latencies: args.includes('--no-gst') ? [] : (arg('latencies') ?? '20,40,60,100,200').split(',').map(Number),
    jb: { mode: 'adaptive', minDelayMs: Number(min ?? 0), maxDelayMs: Number(max ?? 300) },
    tickAfterIo: args.includes('--tick-after-io'),
  });
  process.exit(0);
}
