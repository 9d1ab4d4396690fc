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
 * Where real time loses against the fake clock, in rows of the same buffer and tick grid: fake clock
 * on the trace's arrivals (ideal); on the packets' actual send times (what the sender's error costs);
 * on the receiver's own stamps with each pull when it ran (the real-time run replayed: a check); real
 * time. Real time − "as sent" is what acip's receiver costs: reading late (its event loop, loopback),
 * pulling early or late. (Stamps with pulls on time would be no split: a stall of the receiver's
 * process holds its reads and its pulls alike, and its catch-up pulls find the packets in time.)
 *
 * "dominates": acip's point (p95 added delay, concealed %) against GStreamer's curve (every latency,
 * with and without drop-on-latency): yes when no GStreamer setting is at least as good on both (lower
 * or equal p95 and lower or equal concealment), no otherwise; the settings that are are named.
 * Both sides are measured alike on the same trace: added delay over played packets (acip: the tick's
 * due time, or the pull's time when it ran late, plus the output FIFO's backlog; GStreamer: its sink's
 * send-back arriving over loopback, which adds that hop to its figure), and concealed % as
 * (packets never played + frames inserted while stalled) / (packets sent + stalled frames), so that a
 * packet acip drops without playing counts as GStreamer's do (GStreamer never stalls).
 *
 * A run is void only when the trace was not replayed as written: the sender's timing error (actual −
 * scheduled send) p99 > 1.5 ms in either pass. acip's own receive error (arrival stamp − the actual
 * send time each packet carries: the loopback hop plus acip's event loop) is no reason to void: it is
 * part of what acip does in real time, already in its figures, and printed beside them.
 *
 *   npx tsx test/bench/jitter/replay.ts [--profiles wan,mobile] [--seeds 1-5] [--seconds 60]
 *     [--latencies 20,40,60,100,200] [--no-gst] [--min 0 --max 300] [--tick-ms 5] [--tick-before-io] [--together]
 *     [--pull-not-before-due] [--no-charge-late-pulls]
 * Every run takes about twice its trace length (acip's pass, then GStreamer's) plus ~10 s of set-up:
 * all 11 profiles × seeds 1–5 at 60 s about 2 h 10 min, at 20 s about 50 min.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { runGstCompare, type GstScore } from './gst-compare.js';
import { DEFAULT_ADAPTIVE, simulateTrace, type JbSettings, type JitterScores } from './simulate.js';
import { generateTrace, PROFILE_NAMES, type ProfileName, type Trace } from './traces.js';
import type { ArrivalStamp, ReplayGo, ReplayReceiverResult } from './replay-receiver.js';

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
  /** Prototype: pulls never run before their tick is due (see ReplayGo.pullNotBeforeDue; default false). */
  pullNotBeforeDue?: boolean;
  /** A frame pulled late is handed out at the pull's time (see ReplayGo.chargeLatePulls; default true). */
  chargeLatePulls?: boolean;
  /** Void threshold for the sender's timing error (ms, default 1.5). */
  maxTimingErrP99Ms?: number;
  print?: (line: string) => void;
}

export interface JitterReplayResult {
  void: boolean;
  voidReasons: string[];
  loadAvg: number[];
  /** The sender's timing error, acip's pass (and GStreamer's when it ran apart). */
  sendErr: { p50: number; p99: number; max: number };
  gstSendErr?: { p50: number; p99: number; max: number };
  acip: ReplayReceiverResult;
  /** Concealed % in the measure shared with GStreamer (see the header): real time, fake clock on arrivals, on stamps. */
  acipConcealed: { real: number; simulated: number; asSent: number; replayed: number };
  /** Fake clock, same buffer and tick grid, on the trace's arrivals. */
  acipSimulated: JitterScores;
  /** Fake clock, same buffer and tick grid, on the packets' actual send times (the sender's error alone). */
  acipAsSent: JitterScores;
  /**
   * Fake clock, same buffer and tick grid, on the receiver's own stamps with each pull when it ran:
   * the real-time run replayed (it differs only by the order of reads and pulls within a turn).
   */
  acipReplayed: JitterScores;
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
    // Awaited after the replay: a receiver that dies meanwhile must not be an unhandled rejection.
    done.catch(() => undefined);
    const configs = latencies.flatMap((latencyMs) => [false, true].map((dropOnLatency) => ({ latencyMs, dropOnLatency })));
    const beforeReplay = (t0Abs: number) => {
      const go: ReplayGo = {
        type: 'go', t0Abs, profile, seed, seconds, jb, endMs, tickAfterIo: opts.tickAfterIo !== false,
        pullNotBeforeDue: opts.pullNotBeforeDue === true, chargeLatePulls: opts.chargeLatePulls !== false,
      };
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
    const acipAsSent = simulateTrace({ trace, jb: grid, tickPhaseMs: acip.tickPhaseMs, arrivals: stampedArrivals(trace, acip.stamps, 'sent') });
    const acipReplayed = simulateTrace({ trace, jb: grid, tickPhaseMs: acip.tickPhaseMs, arrivals: stampedArrivals(trace, acip.stamps, 'stamp'), tickRunAtMs: acip.pullRanAt });
    const voidReasons = senderVoidReasons(acipSend ? [{ pass: 'acip pass', errP99: acipSend.replayErrP99 }, { pass: 'GStreamer pass', errP99: gst.replayErrP99 }] : [{ pass: '', errP99: gst.replayErrP99 }], limit);
    const sender = acipSend ?? gst;
    const acipConcealed = {
      real: packetConcealedPct(trace, acip.scores),
      simulated: packetConcealedPct(trace, acipSimulated),
      asSent: packetConcealedPct(trace, acipAsSent),
      replayed: packetConcealedPct(trace, acipReplayed),
    };
    const result: JitterReplayResult = {
      void: voidReasons.length > 0,
      voidReasons,
      loadAvg: loadavg(),
      sendErr: { p50: sender.replayErrP50, p99: sender.replayErrP99, max: sender.replayErrMax },
      acip,
      acipConcealed,
      acipSimulated,
      acipAsSent,
      acipReplayed,
      gst: gst.scores,
      betterGst: betterSettings({ addedP95: acip.scores.addedP95, concealedPct: acipConcealed.real }, gst.scores),
    };
    if (acipSend) result.gstSendErr = { p50: gst.replayErrP50, p99: gst.replayErrP99, max: gst.replayErrMax };
    for (const line of formatReplay(result, { profile, seed, seconds, jb, tickAfterIo: opts.tickAfterIo !== false, together: acipSend === undefined })) print(line);
    return result;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}

export function formatReplay(r: JitterReplayResult, ctx: { profile: string; seed: number; seconds: number; jb: JbSettings; tickAfterIo?: boolean; together?: boolean }): string[] {
  const f = (x: number, d = 1, w = 7) => (Number.isFinite(x) ? x.toFixed(d) : '–').padStart(w);
  const t = (s: { p50: number; p99: number; max: number }) => `p50 ${f(s.p50, 2, 0)} p99 ${f(s.p99, 2, 0)} max ${f(s.max, 2, 0)} ms`;
  const lines: string[] = [];
  const mode = ctx.jb.mode === 'fixed' ? `fixed ${ctx.jb.fixedDelayMs ?? ctx.jb.minDelayMs}` : `adaptive ${ctx.jb.minDelayMs}–${ctx.jb.maxDelayMs}`;
  const passes = ctx.together === false ? 'acip alone, then GStreamer in a second pass' : 'acip and GStreamer in one pass';
  const a = r.acip;
  lines.push(`real-time replay over loopback UDP (${passes}): ${ctx.profile} seed ${ctx.seed}, ${ctx.seconds} s; load average ${r.loadAvg.map((x) => x.toFixed(2)).join(' ')}`);
  lines.push(`  sender timing error${ctx.together === false ? ' (acip pass)' : ''} ${t(r.sendErr)}${r.gstSendErr ? `; (GStreamer pass) ${t(r.gstSendErr)}` : ''}`);
  lines.push(`  acip receive error (stamp − actual send: loopback + acip's event loop; in acip's figures, counts against it) ${t(a.receiveErr)} (n ${a.receiveErr.n})`);
  lines.push(`  acip pulls − tick due time p01 ${f(a.pullOffset.p01, 2, 0)} p50 ${f(a.pullOffset.p50, 2, 0)} p99 ${f(a.pullOffset.p99, 2, 0)} max ${f(a.pullOffset.max, 2, 0)} ms; early ${a.earlyPulls} of ${a.pullOffset.n}; ` +
    `packets stamped after an early pull, before its tick ${a.afterEarlyPull}; skipped ticks ${a.skippedTicks}, malformed ${a.malformed}`);
  lines.push(r.void ? `  VOID RUN (the trace was not replayed as written): ${r.voidReasons.join('; ')}` : '  sender timing error p99 ≤ 1.5 ms: run valid');
  lines.push(`${'receiver'.padEnd(56)} added mean     p95     p99  last10s   conc %  lost-net %  late %  stall %  JICO %  events`);
  const row = (name: string, s: { mean: number; p95: number; p99: number; last10: number; conc: number; net: number; late: number; stall: number; jico: number; events: number }) =>
    `${name.padEnd(56)}${f(s.mean, 1, 11)} ${f(s.p95)} ${f(s.p99)} ${f(s.last10, 1, 8)} ${f(s.conc, 2, 8)} ${f(s.net, 2, 11)} ${f(s.late, 2, 7)} ${f(s.stall, 2, 8)} ${f(s.jico, 2, 7)} ${String(s.events).padStart(7)}`;
  const acipRow = (s: JitterScores, conc: number) => ({
    mean: s.addedMean, p95: s.addedP95, p99: s.addedP99, last10: s.addedLast10sMean, conc, net: s.lostNetPct,
    late: s.latePct, stall: s.stallPct, jico: s.jicoPct, events: s.concealmentEvents,
  });
  const tick = `${a.tickMs} ms ticks`;
  lines.push(row(`acip ${mode} (fake clock, trace arrivals)`, acipRow(r.acipSimulated, r.acipConcealed.simulated)));
  lines.push(row(`acip ${mode} (fake clock, as the sender sent)`, acipRow(r.acipAsSent, r.acipConcealed.asSent)));
  lines.push(row(`acip ${mode} (fake clock, stamps, pulls as they ran)`, acipRow(r.acipReplayed, r.acipConcealed.replayed)));
  lines.push(row(`acip ${mode} (real time, ${tick}${ctx.tickAfterIo === false ? ', tick before I/O' : ''})`, acipRow(a.scores, r.acipConcealed.real)));
  for (const g of r.gst) {
    lines.push(row(`gst rtpjitterbuffer latency=${g.latencyMs}${g.dropOnLatency ? ' dol' : ''}`, {
      mean: g.addedMean, p95: g.addedP95, p99: g.addedP99, last10: g.addedLast10sMean, conc: g.concealedPct, net: g.lostNetPct,
      late: g.latePct, stall: NaN, jico: g.jicoPct, events: g.events,
    }));
  }
  lines.push('added = first sample handed to the output − sent − trace minimum one-way delay (acip: max(tick due time, pull time) + output');
  lines.push('FIFO backlog; gst: the sink\'s send-back arriving over loopback, processing-deadline=0); conc % = (packets never played +');
  lines.push('stall frames) / (packets sent + stall frames), for both; dol = drop-on-latency; acip JICO = late + stall (% of output frames).');
  const d = (x: number, y: number, k = 1) => `${x - y >= 0 ? '+' : ''}${(x - y).toFixed(k)}`;
  lines.push(`real time − fake clock on the trace: p95 ${d(a.scores.addedP95, r.acipSimulated.addedP95)} ms, concealed ${d(r.acipConcealed.real, r.acipConcealed.simulated, 2)} %; ` +
    `of which the sender's error ${d(r.acipAsSent.addedP95, r.acipSimulated.addedP95)} ms, ${d(r.acipConcealed.asSent, r.acipConcealed.simulated, 2)} % and acip's receiver (stamps, pulls) ` +
    `${d(a.scores.addedP95, r.acipAsSent.addedP95)} ms, ${d(r.acipConcealed.real, r.acipConcealed.asSent, 2)} %`);
  lines.push(verdictLine(r));
  return lines;
}

/**
 * Why a run is void: a pass whose sender timing error p99 is above `limit` (or not a number) did not
 * replay the trace as written. Only the sender's error voids a run: acip's receive error is acip's.
 */
export function senderVoidReasons(passes: readonly { pass: string; errP99: number }[], limit: number): string[] {
  return passes
    .filter((p) => !(p.errP99 <= limit))
    .map((p) => `sender timing error${p.pass ? ` (${p.pass})` : ''} p99 ${p.errP99.toFixed(2)} ms > ${limit}`);
}

/** The comparison's verdict for one run (fields of JitterReplayResult it reads). */
export type VerdictInput = Pick<JitterReplayResult, 'void' | 'voidReasons' | 'gst' | 'betterGst' | 'acipConcealed'> & { acip: { scores: Pick<JitterScores, 'addedP95'> } };

/** "dominates: yes/no/void" with the point and, for no, the GStreamer settings at least as good on both. */
export function verdictLine(r: VerdictInput): string {
  const point = `acip p95 ${r.acip.scores.addedP95.toFixed(1)} ms at ${r.acipConcealed.real.toFixed(2)} % concealed`;
  if (r.void) return `dominates: void (${r.voidReasons.join('; ')}); ${point}`;
  if (r.gst.length === 0) return `dominates: – (no GStreamer run); ${point}`;
  return r.betterGst.length === 0 ? `dominates: yes; ${point}` : `dominates: no; ${point}; at least as good on both: ${r.betterGst.join(', ')}`;
}

/** GStreamer settings whose p95 and concealment are both at most acip's. */
export function betterSettings(acip: { addedP95: number; concealedPct: number }, gst: readonly GstScore[]): string[] {
  return gst
    .filter((g) => g.addedP95 <= acip.addedP95 && g.concealedPct <= acip.concealedPct)
    .map((g) => `latency=${g.latencyMs}${g.dropOnLatency ? ' dol' : ''} (${g.addedP95.toFixed(1)} ms, ${g.concealedPct.toFixed(2)} %)`);
}

/**
 * acip's concealment in the measure GStreamer's is taken in: (packets never played + frames inserted
 * while stalled) / (packets sent + stalled frames), %. A packet acip skipped without playing (above
 * its maximum delay) counts as concealed, as a packet GStreamer never sends back does.
 */
export function packetConcealedPct(trace: Pick<Trace, 'packets'>, s: Pick<JitterScores, 'played' | 'stallPct' | 'outputFrames'>): number {
  const stall = Math.round((s.stallPct * s.outputFrames) / 100);
  const frames = trace.packets + stall;
  return frames > 0 ? (100 * (trace.packets - s.played + stall)) / frames : 0;
}

/** The GStreamer setting with the lowest p95 among those concealing at most `concealedPct` (else the least concealing). */
export function bestGst(gst: readonly GstScore[], concealedPct: number): GstScore | undefined {
  const within = gst.filter((g) => g.concealedPct <= concealedPct);
  const pool = within.length > 0 ? within : [...gst].sort((x, y) => x.concealedPct - y.concealedPct).slice(0, 1);
  return [...pool].sort((x, y) => x.addedP95 - y.addedP95)[0];
}

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * The trace's packets in the order the receiver read them (duplicates included), at the times it
 * stamped them (`stamp`), or at their actual send times (`sent`; packets that carried none left out)
 * in send order.
 */
export function stampedArrivals(trace: Trace, stamps: readonly ArrivalStamp[], at: 'stamp' | 'sent'): { seq: number; rtpTs: number; arrivalMs: number }[] {
  const tsBySeq = new Map<number, number>();
  for (const r of trace.rows) tsBySeq.set(r.seq, r.rtpTs);
  const out: { seq: number; rtpTs: number; arrivalMs: number }[] = [];
  for (const [seq, stamp, sent] of stamps) {
    const rtpTs = tsBySeq.get(seq);
    const t = at === 'stamp' ? stamp : sent;
    if (rtpTs !== undefined && Number.isFinite(t)) out.push({ seq, rtpTs, arrivalMs: t });
  }
  return at === 'sent' ? out.sort((x, y) => x.arrivalMs - y.arrivalMs) : out;
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
  const runs = profiles.length * seeds.length;
  const estMin = (runs * (2 * (opts.seconds ?? 60) + 10)) / 60;
  print(`${runs} runs (${profiles.length} profiles × ${seeds.length} seeds), ${opts.seconds ?? 60} s each: about ${Math.round(estMin)} min`);
  for (const profile of profiles) {
    for (const seed of seeds) {
      print('');
      try {
        const r = await runJitterReplayCompare({ ...opts, profile, seed, print });
        results.push({ profile, seed, r });
      } catch (e) {
        // One failed run (a receiver that died) is reported and left out; the others go on.
        print(`${profile} seed ${seed}: run failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  print('');
  print('summary (p95 added delay ms at concealed %; real time against the fake clock on the same grid; verdict against GStreamer)');
  for (const { profile, seed, r } of results) {
    const a = r.acip.scores;
    const best = bestGst(r.gst, r.acipConcealed.real);
    const gstPart = best ? `; best gst at ≤ acip's concealment: latency=${best.latencyMs}${best.dropOnLatency ? ' dol' : ''} ${best.addedP95.toFixed(1)} at ${best.concealedPct.toFixed(2)} %` : '';
    print(`${profile.padEnd(11)} seed ${seed}: real ${a.addedP95.toFixed(1)} at ${r.acipConcealed.real.toFixed(2)} %, fake ${r.acipSimulated.addedP95.toFixed(1)} at ${r.acipConcealed.simulated.toFixed(2)} %, ` +
      `receive err p99 ${r.acip.receiveErr.p99.toFixed(2)} ms, send err p99 ${r.sendErr.p99.toFixed(2)}${r.gstSendErr ? `/${r.gstSendErr.p99.toFixed(2)}` : ''} ms, load ${r.loadAvg[0]?.toFixed(2)}${gstPart} — ${verdictLine(r)}`);
  }
  const valid = results.filter((x) => !x.r.void && x.r.gst.length > 0);
  print('');
  print('per profile (valid runs: dominated/valid, void; medians of acip real time and of the best GStreamer setting at ≤ acip\'s concealment)');
  for (const profile of profiles) {
    const mine = results.filter((x) => x.profile === profile);
    const ok = mine.filter((x) => !x.r.void && x.r.gst.length > 0);
    const yes = ok.filter((x) => x.r.betterGst.length === 0).length;
    const verdict = ok.length === 0 ? 'void' : yes === ok.length ? 'yes' : 'no';
    const bests = ok.map((x) => bestGst(x.r.gst, x.r.acipConcealed.real)).filter((g): g is GstScore => g !== undefined);
    print(`${profile.padEnd(11)} dominates ${verdict.padEnd(4)} (${yes}/${ok.length} valid, ${mine.length - ok.length} void): acip ${median(ok.map((x) => x.r.acip.scores.addedP95)).toFixed(1)} ms at ` +
      `${median(ok.map((x) => x.r.acipConcealed.real)).toFixed(2)} %, best gst ${median(bests.map((g) => g.addedP95)).toFixed(1)} ms at ${median(bests.map((g) => g.concealedPct)).toFixed(2)} %` +
      `; all runs incl. void: acip ${median(mine.map((x) => x.r.acip.scores.addedP95)).toFixed(1)} ms, receive err p99 median ${median(mine.map((x) => x.r.acip.receiveErr.p99)).toFixed(2)} ms`);
  }
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
    pullNotBeforeDue: args.includes('--pull-not-before-due'),
    chargeLatePulls: !args.includes('--no-charge-late-pulls'),
    together: args.includes('--together'),
  };
  if (profiles) matrix.profiles = profiles;
  if (tickMs !== undefined) matrix.tickMs = Number(tickMs);
  await runJitterReplayMatrix(matrix);
  process.exit(0);
}
