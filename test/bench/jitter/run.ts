/**
 * Jitter-buffer benchmark, fake-clock part: every profile × seeds 1–5 of the trace model (test/fixtures/jitter/README.md) through
 * the JitterBuffer (test/bench/jitter/simulate.ts), printed as medians with min–max over the seeds.
 * The real-time loopback replay and the GStreamer comparison are separate (test/bench/jitter/gst-compare.ts).
 *
 *   npx tsx test/bench/jitter/main.ts [--profiles wan,step] [--seeds 1-5] [--fixed 40] [--per-seed]
 */
import { DEFAULT_ADAPTIVE, simulateTrace, type JbSettings, type JitterScores } from './simulate.js';
import { generateTrace, PROFILE_NAMES, type ProfileName, type Trace } from './traces.js';

export interface JitterBenchOptions {
  profiles?: readonly ProfileName[];
  seeds?: readonly number[];
  /** Buffer settings (default: adaptive, 0–300 ms). */
  jb?: JbSettings;
  /** Where lines go (default console.log). */
  print?: (line: string) => void;
  /** Also print p95 added delay and JICO seed by seed under each table. */
  perSeed?: boolean;
}

export interface JitterBenchRow {
  profile: string;
  scores: JitterScores[];
  /** Offline bound: the smallest fixed delay above the minimum one-way delay with ≤ 1 % of arrived packets late. */
  oracleFixedMs: number[];
}

/** p99 of (one-way delay − minimum one-way delay) over arrived packets: the best fixed delay for 1 % late. */
export function oracleFixedDelay(trace: Trace, lateFraction = 0.01): number {
  const d = trace.rows.filter((r) => r.arrivalMs !== null && r.flags !== 'D').map((r) => (r.arrivalMs as number) - r.sendMs);
  if (d.length === 0) return NaN;
  const min = Math.min(...d);
  const rel = d.map((x) => x - min).sort((a, b) => a - b);
  return rel[Math.min(rel.length - 1, Math.ceil((1 - lateFraction) * rel.length) - 1)] as number;
}

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function cell(xs: number[], digits: number): string {
  const f = xs.filter((x) => Number.isFinite(x));
  if (f.length === 0) return '–';
  const med = median(f).toFixed(digits);
  if (f.length === 1) return med;
  return `${med} (${Math.min(...f).toFixed(digits)}–${Math.max(...f).toFixed(digits)})`;
}

export function benchRows(opts: JitterBenchOptions = {}): JitterBenchRow[] {
  const profiles = opts.profiles ?? PROFILE_NAMES;
  const seeds = opts.seeds ?? [1, 2, 3, 4, 5];
  const jb = opts.jb ?? DEFAULT_ADAPTIVE;
  return profiles.map((profile) => {
    const scores: JitterScores[] = [];
    const oracle: number[] = [];
    for (const seed of seeds) {
      const trace = generateTrace({ profile, seed });
      scores.push(simulateTrace({ trace, jb }));
      oracle.push(oracleFixedDelay(trace));
    }
    return { profile, scores, oracleFixedMs: oracle };
  });
}

export function formatBench(rows: JitterBenchRow[], jb: JbSettings = DEFAULT_ADAPTIVE): string[] {
  const lines: string[] = [];
  const mode = jb.mode === 'fixed' ? `fixed ${jb.fixedDelayMs ?? jb.minDelayMs} ms` : `adaptive ${jb.minDelayMs}–${jb.maxDelayMs} ms`;
  const clock = jb.pullPeriodMs === undefined ? 'output clock at the packet time (the media session before its 5 ms receive tick)' : `output clock every ${jb.pullPeriodMs} ms (min(ptime, ${jb.pullPeriodMs}))`;
  lines.push(`acip JitterBuffer (${mode}), fake clock, ${clock}; medians over seeds (min–max)`);
  const head = ['profile', 'added mean', 'p50', 'p95', 'p99', 'max', 'last 10 s', 'conc %', 'lost-net %', 'late %', 'stall %', 'JICO %', 'events', 'underruns', 'overflows', 'slope ms/min', 'step back ms', 'settle ms', 'settled ms', 'drift ppm', 'oracle fixed ms'];
  const table: string[][] = [head];
  for (const r of rows) {
    const g = (k: keyof JitterScores) => r.scores.map((s) => (s[k] as number | null) ?? NaN);
    table.push([
      r.profile, cell(g('addedMean'), 1), cell(g('addedP50'), 1), cell(g('addedP95'), 1), cell(g('addedP99'), 1), cell(g('addedMax'), 1),
      cell(g('addedLast10sMean'), 1), cell(g('concealedPct'), 2), cell(g('lostNetPct'), 2), cell(g('latePct'), 2), cell(g('stallPct'), 2),
      cell(g('jicoPct'), 2), cell(g('concealmentEvents'), 0), cell(g('underruns'), 0), cell(g('overflows'), 0), cell(g('slopeMsPerMin'), 3),
      cell(g('stepRecoveryMs'), 0), cell(g('settleMs'), 0), cell(g('settledMs'), 1), cell(g('driftPpm'), 1), cell(r.oracleFixedMs, 1),
    ]);
  }
  const widths = head.map((_, c) => Math.max(...table.map((row) => (row[c] ?? '').length)));
  for (const row of table) lines.push(row.map((v, c) => v.padEnd(widths[c] as number)).join('  ').trimEnd());
  lines.push('added = handed to the output (first sample plays) − sent − trace minimum one-way delay; conc % of output frames;');
  lines.push('stall = frames inserted while waiting (jitter-induced); JICO = late + stall; slope over frames after 60 s (10 s for short traces);');
  lines.push('step back = from the first post-step arrival to the first frame within 10 ms of the pre-step mean delay;');
  lines.push('settle = from the first played frame until the delay stays within 3 ms of the settled level (the highest of the last 10 s);');
  lines.push('oracle fixed = smallest fixed delay above the minimum one-way delay with ≤ 1 % of arrived packets late (offline bound).');
  return lines;
}

/**
 * One line per profile: p95 added delay / JICO % for each seed, and `R n` after a seed whose buffer
 * resynchronised n times (re-anchored playout, or followed a sequence or timestamp jump). These traces
 * have neither jumps nor a sender the drift estimator cannot follow, so any is worth a look (mobile
 * seed 8 once showed a spike's tail taken for a slow sender).
 */
export function formatPerSeed(rows: JitterBenchRow[]): string[] {
  const lines = ['per seed (p95 added ms / JICO %, R: resyncs):'];
  const seed = (s: JitterScores) => `${s.seed}: ${s.addedP95.toFixed(1)} / ${s.jicoPct.toFixed(2)}${s.jb.resyncs > 0 ? ` R ${s.jb.resyncs}` : ''}`;
  for (const r of rows) lines.push(`  ${r.profile.padEnd(12)} ${r.scores.map(seed).join('   ')}`);
  return lines;
}

export async function runJitterBench(opts: JitterBenchOptions & { finerClockMs?: number | null } = {}): Promise<void> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const jb = opts.jb ?? DEFAULT_ADAPTIVE;
  const rows = benchRows(opts);
  for (const line of formatBench(rows, jb)) print(line);
  if (opts.perSeed) for (const line of formatPerSeed(rows)) print(line);
  // The same buffer pulled by a finer output clock (a frame is taken at the first 5 ms tick after it is
  // due, not the first packet-time tick): what media-session.ts would get by ticking its receive clock
  // every min(ptime, 5 ms). Not what it does today.
  const finer = opts.finerClockMs === undefined ? 5 : opts.finerClockMs;
  if (finer !== null && jb.pullPeriodMs === undefined) {
    print('');
    const fine = { ...jb, pullPeriodMs: finer };
    const fineRows = benchRows({ ...opts, jb: fine });
    for (const line of formatBench(fineRows, fine)) print(line);
    if (opts.perSeed) for (const line of formatPerSeed(fineRows)) print(line);
  }
}
