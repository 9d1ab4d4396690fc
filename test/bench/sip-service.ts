/**
 * `npm run bench -- sip-service`: SIP session establishment rate of the service as users run it
 * (RFC 7501 §3.3: the highest rate at which every session attempt of a sustained step succeeds),
 * beside baresip answering the same calls.
 *
 * The service starts exactly as `npm start` runs it (the compiled build, npm start's node flags) with auto-answer,
 * `sip.maxLinks` and `links.maxPerSource` at 1000 (sipp calls from one source) and a wide RTP range.
 * sipp plays test/fixtures/sipp/bench-uac-g711.xml: an INVITE offering PCMA and PCMU, a 2xx whose SDP
 * answer must carry an audio port (so every counted success opened media), ACK, CALL_MS of call, BYE.
 * Steps go up in rate (RFC 7501 §5.1: steps of constant rate, default 30 s each); each prints attempted,
 * succeeded and failed calls, the answerer's RSS and CPU share over the step (from /proc/PID/stat), and
 * for acip the SIP counters from /metrics. The run stops after the first step with a failed call
 * unless `--keep-going`. Between steps the bench waits (bounded) until the service holds no live link.
 *
 * Options, as `--name=value` (run.ts takes any word without a leading dash for a benchmark name) or
 * the environment:
 *   --rates=200,400,…    ACIP_SIP_SERVICE_RATES    calls/s per step (default 200,400,600,800,1000,1200)
 *   --step-s=N           ACIP_SIP_SERVICE_STEP_S   seconds per step (default 30, the RFC 7501 figure)
 *   --call-ms=N          ACIP_SIP_SERVICE_CALL_MS  call length between ACK and BYE (default 200)
 *   --targets=acip,baresip  ACIP_SIP_SERVICE_TARGETS  answerers to measure (default both)
 *   --cpu-prof[=DIR]     ACIP_SIP_SERVICE_CPU_PROF  profile the service with `node --cpu-prof` (1 ms
 *                        sampling, main thread and every media worker), one CPU.*.cpuprofile per thread
 *                        written to DIR (default test-artifacts/cpu-prof) when the service stops
 *   --keep-going         run every step even after one failed
 *   --warm-up-s=N        ACIP_SIP_SERVICE_WARM_UP_S  first a step of N seconds at the lowest rate, printed
 *                        but not counted (default 0: none): the main thread's code is compiled on first
 *                        use (the media workers are warmed up before SIP listens), so the first seconds
 *                        of the first step measure a cold start (a call flood at once after start-up)
 *                        rather than the sustained rate
 *   --media-workers=N    ACIP_SIP_SERVICE_MEDIA_WORKERS  acip's --media-workers (default: not passed, so the
 *                        service runs with its shipped default)
 *   --keep-dir           keep the bench's temporary directory (the service's log, sipp's statistics) and print its path
 *   --timeline           ACIP_SIP_SERVICE_TIMELINE=1  acip: print one line a second during each step, from
 *                        /metrics (INVITEs in, 100/200/503 out, refusals, overload state, media load per
 *                        worker, main-thread lag, machine CPU, links): what happens in the first seconds
 *
 * With admission control wired in, each acip step also prints the INVITEs refused for overload (503)
 * and the media load and main-thread lag the service measured (acip_media_load_ratio,
 * acip_event_loop_lag_seconds), read from /metrics at the end of the step.
 *
 * Figures are only meaningful on a quiet machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT_DIR } from '../../server/version.js';
import { ensureServerBuilt, serviceEntryArgs, serviceEnv } from '../helpers/server-build.js';
import { freePort, PeerProcess, readSippStats, runProgram } from '../helpers/sip-peer-process.js';
import { GROUP_LEADER, stopProcess, trackProcess } from '../helpers/stop-process.js';

export const BENCH_SCENARIO = join(ROOT_DIR, 'test/fixtures/sipp/bench-uac-g711.xml');

export interface SipServiceOptions {
  rates: number[];
  stepS: number;
  callMs: number;
  targets: Set<string>;
  cpuProfDir: string | undefined;
  keepGoing: boolean;
  /** Seconds of an uncounted warm-up step before the steps (0: none). */
  warmUpS: number;
  /** acip's `--media-workers`; undefined: not passed (the service's default). */
  mediaWorkers: number | undefined;
  /** Print a line a second from /metrics during each acip step. */
  timeline: boolean;
  /** Keep the temporary directory (logs, sipp statistics). */
  keepDir: boolean;
}

function workersOption(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`media-workers: expected a whole number, got ${raw}`);
  return n;
}

/** Options from `--name=value` arguments, then ACIP_SIP_SERVICE_* variables, then the defaults. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): SipServiceOptions {
  const flag = (name: string): string | undefined => {
    const hit = argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (hit === undefined) return undefined;
    return hit.includes('=') ? hit.slice(hit.indexOf('=') + 1) : '';
  };
  const pick = (name: string, envName: string): string | undefined => flag(name) ?? env[envName];
  const positive = (raw: string | undefined, def: number, what: string): number => {
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${what}: expected a positive number, got ${raw}`);
    return n;
  };
  const rates = (pick('rates', 'ACIP_SIP_SERVICE_RATES') ?? '200,400,600,800,1000,1200')
    .split(',')
    .filter((r) => r.trim() !== '')
    .map((r) => positive(r.trim(), 0, 'rates'));
  const prof = pick('cpu-prof', 'ACIP_SIP_SERVICE_CPU_PROF');
  return {
    rates,
    stepS: positive(pick('step-s', 'ACIP_SIP_SERVICE_STEP_S'), 30, 'step-s'),
    callMs: positive(pick('call-ms', 'ACIP_SIP_SERVICE_CALL_MS'), 200, 'call-ms'),
    targets: new Set((pick('targets', 'ACIP_SIP_SERVICE_TARGETS') ?? 'acip,baresip').split(',').map((t) => t.trim())),
    cpuProfDir: prof === undefined ? undefined : resolve(prof === '' ? join(ROOT_DIR, 'test-artifacts/cpu-prof') : prof),
    keepGoing: flag('keep-going') !== undefined,
    warmUpS: (() => {
      const raw = pick('warm-up-s', 'ACIP_SIP_SERVICE_WARM_UP_S');
      return raw === undefined || raw === '' || raw === '0' ? 0 : positive(raw, 0, 'warm-up-s');
    })(),
    mediaWorkers: workersOption(pick('media-workers', 'ACIP_SIP_SERVICE_MEDIA_WORKERS')),
    timeline: flag('timeline') !== undefined || env.ACIP_SIP_SERVICE_TIMELINE === '1',
    keepDir: flag('keep-dir') !== undefined,
  };
}

// ---- /proc sampling ------------------------------------------------------------------------------

function getconf(name: string, def: number): number {
  const r = spawnSync('getconf', [name], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return r.status === 0 && n > 0 ? n : def;
}
const CLK_TCK = getconf('CLK_TCK', 100);
const PAGE_SIZE = getconf('PAGESIZE', 4096);

export interface ProcSample {
  atMs: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
  rssBytes: number;
}

/** proc(5): fields after the parenthesised command name, which may itself hold spaces or ')'. */
export function parseProcStat(text: string, atMs: number): ProcSample {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): field N is rest[N - 3].
  const field = (n: number) => Number(rest[n - 3]);
  return { atMs, cpuTicks: field(14) + field(15), rssBytes: field(24) * PAGE_SIZE };
}

function sampleProc(pid: number): ProcSample | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'), performance.now());
  } catch {
    return undefined; // the process is gone
  }
}

/** CPU share of one core between two samples, percent. */
function cpuPct(a: ProcSample, b: ProcSample): number {
  const s = (b.atMs - a.atMs) / 1000;
  return s > 0 ? ((b.cpuTicks - a.cpuTicks) / CLK_TCK / s) * 100 : 0;
}

// ---- /metrics ------------------------------------------------------------------------------------

/** Sum of the samples of `name` whose labels include every `labels` pair (Prometheus text format). */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const p of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have.set(p[1]!, p[2]!);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}

interface SipCounters {
  invitesIn: number;
  byesIn: number;
  ok200Out: number;
  /** Final error responses sent, by status code. */
  rejected: Record<string, number>;
  /** prom-client's event-loop delay p99 over its monitoring window, s. */
  lagP99S: number;
  /** Admission control (absent from /metrics when not wired): links refused for overload so far. */
  refusedOverload: number | undefined;
  /** Its last sample: mean media load (0..1) and main-thread lag p99 (s). */
  mediaLoad: number | undefined;
  admissionLagS: number | undefined;
}

const REJECT_CODES = ['403', '408', '481', '486', '488', '500', '503'];

/** The admission-control series, or undefined for each when the service does not export them. */
function admissionFigures(t: string): Pick<SipCounters, 'refusedOverload' | 'mediaLoad' | 'admissionLagS'> {
  const has = (name: string) => t.includes(`\n${name}`);
  const loads = [...t.matchAll(/^acip_media_load_ratio\{[^}]*\}\s+(\S+)/gm)].map((m) => Number(m[1]));
  return {
    refusedOverload: has('acip_links_refused_overload_total') ? metricSum(t, 'acip_links_refused_overload_total') : undefined,
    mediaLoad: loads.length > 0 ? loads.reduce((a, b) => a + b, 0) / loads.length : undefined,
    admissionLagS: has('acip_event_loop_lag_seconds') ? metricSum(t, 'acip_event_loop_lag_seconds') : undefined,
  };
}

async function sipCounters(httpUrl: string): Promise<SipCounters | undefined> {
  try {
    const res = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
    const t = await res.text();
    return {
      invitesIn: metricSum(t, 'acip_sip_requests_total', { method: 'INVITE', direction: 'in' }),
      byesIn: metricSum(t, 'acip_sip_requests_total', { method: 'BYE', direction: 'in' }),
      ok200Out: metricSum(t, 'acip_sip_responses_total', { code: '200', direction: 'out' }),
      rejected: Object.fromEntries(REJECT_CODES.map((code) => [code, metricSum(t, 'acip_sip_responses_total', { code, direction: 'out' })])),
      lagP99S: metricSum(t, 'nodejs_eventloop_lag_p99_seconds'),
      ...admissionFigures(t),
    };
  } catch {
    return undefined; // too busy to answer in time: reported as unknown
  }
}

/** Links not yet ended, from /api/status (undefined when it does not answer in time). */
async function liveLinks(httpUrl: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${httpUrl}/api/status`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { links: { total: number; byState: Record<string, number> } };
    return body.links.total - (body.links.byState.ended ?? 0);
  } catch {
    return undefined;
  }
}

/**
 * Datagrams the kernel dropped on the UDP socket bound to `port` (the `drops` column of
 * /proc/net/udp, proc(5)): requests that never reached the service because its receive queue was full.
 */
export function udpDrops(procNetUdp: string, port: number): number {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let drops = 0;
  for (const line of procNetUdp.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.endsWith(hexPort)) drops += Number(f[f.length - 1]) || 0;
  }
  return drops;
}

function readUdpDrops(port: number): number | undefined {
  try {
    return udpDrops(readFileSync('/proc/net/udp', 'utf8'), port);
  } catch {
    return undefined;
  }
}

/**
 * Why the service refused calls in a stretch of its log: each "alarm: overloaded, new links refused: WHY"
 * line, its figures blanked so alike reasons count together ("media workers N % busy (refuse at N %)" ×3).
 */
export function overloadReasons(logText: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of logText.matchAll(/alarm: overloaded, new links refused: ([^"]*)"/g)) {
    const why = m[1]!.replace(/\d+/g, 'N');
    out.set(why, (out.get(why) ?? 0) + 1);
  }
  return out;
}

function logSize(file: string | undefined): number {
  try {
    return file === undefined ? 0 : readFileSync(file).length;
  } catch {
    return 0;
  }
}

function logSince(file: string | undefined, offset: number): string {
  try {
    return file === undefined ? '' : readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

/** One timeline line: the change of the SIP counters since `prev`, and the gauges of `cur`. */
export function timelineLine(sinceS: number, prev: string, cur: string): string {
  const d = (name: string, labels: Record<string, string>) => metricSum(cur, name, labels) - metricSum(prev, name, labels);
  const out = (code: string) => d('acip_sip_responses_total', { code, direction: 'out' });
  const loads = [...cur.matchAll(/^acip_media_load_ratio\{worker="(\d+)"\}\s+(\S+)/gm)].map((m) => `w${m[1]} ${(Number(m[2]) * 100).toFixed(0)}`);
  const live = [...cur.matchAll(/^acip_links\{state="(\w+)"\}\s+(\d+)/gm)]
    .filter((m) => m[1] !== 'ended' && m[1] !== 'failed' && m[2] !== '0')
    .map((m) => `${m[1]} ${m[2]}`);
  return (
    `    t=${sinceS.toFixed(0).padStart(3)} s INVITE ${d('acip_sip_requests_total', { method: 'INVITE', direction: 'in' })} ` +
    `ACK ${d('acip_sip_requests_total', { method: 'ACK', direction: 'in' })} BYE ${d('acip_sip_requests_total', { method: 'BYE', direction: 'in' })} ` +
    `| 100 ${out('100')} 200 ${out('200')} 503 ${out('503')} refused ${d('acip_links_refused_overload_total', {})} ` +
    `| ${metricSum(cur, 'acip_overloaded') ? 'OVERLOADED' : 'normal'} load ${loads.join(' ') || '-'} % lag ${(metricSum(cur, 'acip_event_loop_lag_seconds') * 1000).toFixed(0)} ms ` +
    `machine ${(metricSum(cur, 'acip_machine_cpu_busy_ratio') * 100).toFixed(0)} % links ${live.join(', ') || 'none live'}`
  );
}

/** Prints a timeline line a second until `running()` turns false (bounded by `maxS`). */
async function printTimeline(httpUrl: string, running: () => boolean, maxS: number): Promise<void> {
  const t0 = performance.now();
  let prev = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(900) }).then((r) => r.text()).catch(() => '');
  for (let i = 0; running() && i < maxS; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    try {
      const cur = await (await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(900) })).text();
      if (prev) process.stdout.write(`${timelineLine((performance.now() - t0) / 1000, prev, cur)}\n`);
      prev = cur;
    } catch {
      process.stdout.write(`    t=${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s /metrics did not answer within 0.9 s\n`);
    }
  }
}

// ---- sipp ----------------------------------------------------------------------------------------

export interface StepResult {
  rate: number;
  attempted: number;
  succeeded: number;
  failed: number;
  retransmissions: number;
  /** Non-zero sipp failure counters, e.g. FailedMaxUDPRetrans(C) → 12. */
  reasons: Record<string, number>;
  sippExit: number | null;
  timedOut: boolean;
}

/** One sustained sipp run of `rate` calls/s for `stepS` seconds against `target` (host:port). */
export async function sippStep(o: { target: string; service: string; rate: number; stepS: number; callMs: number; dir: string }): Promise<StepResult> {
  const calls = Math.round(o.rate * o.stepS);
  const stf = join(o.dir, `step-${o.service}-${o.rate}.csv`);
  rmSync(stf, { force: true });
  const mediaPort = await freePort();
  const limit = Math.max(200, o.rate * 4);
  const r = await runProgram(
    'sipp',
    ['-sf', BENCH_SCENARIO, o.target, '-s', o.service, '-i', '127.0.0.1', '-mp', String(mediaPort), '-r', String(o.rate), '-m', String(calls),
      '-l', String(limit), '-d', String(o.callMs), '-recv_timeout', '5000', '-nostdin', '-trace_stat', '-stf', stf, '-fd', '1',
      '-timeout', `${Math.ceil(o.stepS + 30)}s`, '-timeout_error'],
    (o.stepS + 60) * 1000,
    o.dir,
  );
  const out: StepResult = { rate: o.rate, attempted: calls, succeeded: 0, failed: calls, retransmissions: 0, reasons: {}, sippExit: r.code, timedOut: r.timedOut };
  try {
    const s = readSippStats(stf);
    const num = (k: string) => Number(s.get(k) ?? 0) || 0;
    out.attempted = num('TotalCallCreated') || calls;
    out.succeeded = num('SuccessfulCall(C)');
    out.failed = out.attempted - out.succeeded;
    out.retransmissions = num('Retransmissions(C)');
    for (const [k, v] of s) if (k.startsWith('Failed') && k.endsWith('(C)') && Number(v) > 0) out.reasons[k.slice(6, -3)] = Number(v);
  } catch {
    // no statistics file: every call counts as failed
  }
  return out;
}

// ---- answerers -----------------------------------------------------------------------------------

interface Answerer {
  name: string;
  pid: number;
  target: string;
  service: string;
  sipPort?: number;
  httpUrl?: string;
  /** The service's log (pino lines), for the overload reasons of each step. */
  logFile?: string;
  stop(): Promise<void>;
}

/**
 * Node's own sampling profiler at 1 ms, from start to exit, on the command line: unlike a preloaded
 * node:inspector session it also profiles every worker thread (each writes its own CPU.*.cpuprofile
 * when it ends), and NODE_OPTIONS may not carry --cpu-prof.
 */
function cpuProfArgs(outDir: string): string[] {
  return ['--cpu-prof', `--cpu-prof-dir=${outDir}`, '--cpu-prof-interval=1000'];
}

async function startAcipAnswerer(o: SipServiceOptions, dir: string): Promise<Answerer> {
  const config = join(dir, 'acip.yaml');
  writeFileSync(config, ['sip:', '  maxLinks: 1000', 'links:', '  maxPerSource: 1000', '  answerPolicy: auto', ''].join('\n'));
  const profArgs: string[] = [];
  if (o.cpuProfDir !== undefined) {
    mkdirSync(o.cpuProfDir, { recursive: true });
    profArgs.push(...cpuProfArgs(o.cpuProfDir));
  }
  // Spawned as test/helpers/acip-process.ts spawns it (npm start's node command line), but with the log
  // going to a file as under a process manager: parsing thousands of log lines a second in this
  // process would take CPU from the service on a small machine.
  await ensureServerBuilt();
  const logFile = join(dir, 'acip.log');
  const fd = openSync(logFile, 'w');
  const child = trackProcess(
    spawn(process.execPath, [...profArgs, ...serviceEntryArgs(), '--config', config, '--data-dir', join(dir, 'data'), '--http-port', '0', '--sip-port', '0',
      '--sip-host', '127.0.0.1', '--rtp-host', '127.0.0.1', '--rtp-ports', '10000-59999',
      ...(o.mediaWorkers !== undefined ? ['--media-workers', String(o.mediaWorkers)] : [])], {
      cwd: ROOT_DIR,
      env: { ...process.env, ...serviceEnv() },
      stdio: ['ignore', fd, fd],
      ...GROUP_LEADER,
    }),
    { group: true },
  );
  closeSync(fd);
  const stop = async () => {
    const st = await stopProcess(child, { group: true, graceMs: 5000 });
    if (st.code !== 0) process.stdout.write(`  acip exited with ${st.code ?? st.signal}; log ${logFile}\n`);
  };
  let httpUrl: string | undefined;
  let sipPort = 0;
  for (let i = 0; i < 600 && (!httpUrl || !sipPort) && child.exitCode === null; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const log = readFileSync(logFile, 'utf8');
    httpUrl ??= /listening: HTTP[^"]*?(http:\/\/[^\s"]+)/.exec(log)?.[1];
    sipPort ||= Number(/listening: SIP over UDP on [^:"]+:(\d+)/.exec(log)?.[1] ?? 0);
  }
  if (!httpUrl || !sipPort) {
    await stop();
    throw new Error(`acip did not start: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
  }
  return {
    name: 'acip',
    pid: child.pid!,
    target: `127.0.0.1:${sipPort}`,
    service: 'acip',
    sipPort,
    httpUrl,
    logFile,
    stop,
  };
}

/** baresip with auto-answer and G.711, its audio bridged to nothing, as test/bench/sip-bench.ts runs it. */
async function startBaresipAnswerer(dir: string): Promise<Answerer> {
  const port = await freePort();
  const cfg = join(dir, 'baresip');
  mkdirSync(cfg, { recursive: true });
  writeFileSync(
    join(cfg, 'config'),
    [`sip_listen 127.0.0.1:${port}`, 'net_interface 127.0.0.1', 'rtp_ports 10000-59999', 'module_path /usr/lib/baresip/modules',
      'module g711.so', 'module aubridge.so', 'module account.so', 'module menu.so', 'audio_source aubridge,nil',
      'audio_player aubridge,nil', 'call_max_calls 10000', ''].join('\n'),
  );
  writeFileSync(join(cfg, 'accounts'), `<sip:uas@127.0.0.1:${port}>;regint=0;answermode=auto;audio_codecs=PCMA/8000/1,PCMU/8000/1\n`);
  // Output ignored: an undrained pipe would block baresip once its buffer fills.
  const peer = new PeerProcess(spawn('baresip', ['-f', cfg], { stdio: 'ignore', ...GROUP_LEADER }));
  await new Promise((r) => setTimeout(r, 1500));
  if (peer.child.exitCode !== null) throw new Error(`baresip exited at start (${peer.child.exitCode})`);
  return { name: 'baresip', pid: peer.child.pid!, target: `127.0.0.1:${port}`, service: 'uas', sipPort: port, stop: () => peer.stop(3000) };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Share of samples by area of the code, first match wins (node_modules and node: internals by package). */
const AREAS: [RegExp, string][] = [
  [/^\((garbage collector)\)/, 'GC'],
  [/^\((idle|program|root)\)/, 'idle/program'],
  [/\/server\/dist\/([a-z-]+)\//, 'server/$1'],
  [/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//, '$1'],
  [/^node:([a-z_/]+)/, 'node:$1'],
];

function areaOf(fn: string, url: string): string {
  const key = url === '' ? fn : url;
  for (const [re, name] of AREAS) {
    const m = re.exec(key);
    if (m) return name.replace(/\$(\d)/g, (_, i: string) => m[Number(i)] ?? '');
  }
  return url === '' ? 'native' : 'other';
}

/** Top self-time functions and areas of a V8 .cpuprofile, as printable lines. */
export function summariseCpuProfile(text: string, top = 25): string[] {
  const prof = JSON.parse(text) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  let busy = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    total += us;
    const area = areaOf(functionName, url);
    if (area !== 'idle/program') busy += us;
    const file = url.replace(/^.*\/(server\/dist|node_modules)\//, '$1/').replace(/^file:\/\//, '');
    const key = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + us);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / Math.max(1, busy)) * 100).toFixed(1).padStart(5)} %`;
  const lines = [`profile: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (shares below are of busy time)`];
  lines.push('  by area:');
  for (const [k, v] of [...areas].filter(([k]) => k !== 'idle/program').sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`    ${pct(v)}  ${k}`);
  lines.push('  top self time:');
  for (const [k, v] of [...fns].sort((a, b) => b[1] - a[1]).filter(([k]) => !/^\((idle|program|root)\)/.test(k)).slice(0, top)) lines.push(`    ${pct(v)}  ${k}`);
  return lines;
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;

/** Run the steps against one answerer; returns the highest rate whose step had every call succeed. */
async function measure(a: Answerer, o: SipServiceOptions, dir: string): Promise<number> {
  let best = 0;
  const steps = [
    ...(o.warmUpS > 0 ? [{ rate: Math.min(...o.rates), stepS: o.warmUpS, warmUp: true }] : []),
    ...o.rates.map((rate) => ({ rate, stepS: o.stepS, warmUp: false })),
  ];
  for (const { rate, stepS, warmUp } of steps) {
    const before = sampleProc(a.pid);
    const cBefore = a.httpUrl ? await sipCounters(a.httpUrl) : undefined;
    const dropsBefore = a.sipPort !== undefined ? readUdpDrops(a.sipPort) : undefined;
    const logBefore = logSize(a.logFile);
    let peakRss = before?.rssBytes ?? 0;
    // RSS peak over the step: one sample a second, for as long as sipp runs (bounded by the step).
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; sampling && i < (stepS + 90) * 2; i++) {
        await new Promise((r) => setTimeout(r, 500));
        const s = sampleProc(a.pid);
        if (s) peakRss = Math.max(peakRss, s.rssBytes);
      }
    })();
    const timeline = o.timeline && a.httpUrl ? printTimeline(a.httpUrl, () => sampling, stepS + 90) : Promise.resolve();
    const r = await sippStep({ target: a.target, service: a.service, rate, stepS, callMs: o.callMs, dir });
    sampling = false;
    await sampler;
    await timeline;
    const after = sampleProc(a.pid);
    const cAfter = a.httpUrl ? await sipCounters(a.httpUrl) : undefined;
    // CPU time per attempted call (set-up, media and tear-down, all threads): the per-call cost,
    // which a busy machine disturbs less than the success count.
    const cpu = before && after ? `${cpuPct(before, after).toFixed(0)} %, ${(((after.cpuTicks - before.cpuTicks) / CLK_TCK / Math.max(1, r.attempted)) * 1e6).toFixed(0)} µs/call` : '?';
    const rss = after ? `${mb(after.rssBytes)} (peak ${mb(peakRss)})` : 'gone';
    let sip = '';
    if (cBefore && cAfter) {
      const d = (k: 'invitesIn' | 'byesIn' | 'ok200Out') => cAfter[k] - cBefore[k];
      const rejected = REJECT_CODES.map((c) => [c, (cAfter.rejected[c] ?? 0) - (cBefore.rejected[c] ?? 0)] as const).filter(([, n]) => n > 0);
      // A 200 answers each INVITE (retransmitted until the ACK) and each BYE: 200s less BYEs ≈ answered INVITEs.
      sip =
        `; INVITE in ${d('invitesIn')}, 200s to INVITEs (retransmissions included) ${d("ok200Out") - d("byesIn")}, ` +
        `rejected ${rejected.length ? rejected.map(([c, n]) => `${c}×${n}`).join(' ') : 0}, event-loop lag p99 ${(cAfter.lagP99S * 1000).toFixed(0)} ms`;
      if (cAfter.refusedOverload !== undefined) {
        const load = cAfter.mediaLoad !== undefined ? `${(cAfter.mediaLoad * 100).toFixed(0)} %` : '?';
        const lag = cAfter.admissionLagS !== undefined ? `${(cAfter.admissionLagS * 1000).toFixed(0)} ms` : '?';
        sip += `, refused for overload ${cAfter.refusedOverload - (cBefore.refusedOverload ?? 0)} (media load ${load}, lag ${lag} at the end)`;
      }
    }
    const drops = a.sipPort !== undefined && dropsBefore !== undefined ? (readUdpDrops(a.sipPort) ?? dropsBefore) - dropsBefore : undefined;
    if (drops !== undefined) sip += `, SIP datagrams dropped by the kernel ${drops}`;
    const stepLog = logSince(a.logFile, logBefore);
    if (a.logFile !== undefined) sip += `, log lines ${stepLog.split('\n').length - 1}`;
    const reasons = overloadReasons(stepLog);
    if (reasons.size > 0) sip += `; overload raised for: ${[...reasons].map(([k, n]) => `${k} ×${n}`).join('; ')}`;
    const why = Object.entries(r.reasons).map(([k, v]) => `${k} ${v}`).join(', ');
    process.stdout.write(
      `  ${(warmUp ? `${a.name} warm-up` : a.name).padEnd(7)} ${String(rate).padStart(5)}/s × ${stepS} s: attempted ${r.attempted}, succeeded ${r.succeeded}, failed ${r.failed}` +
        `${why ? ` (${why})` : ''}, retransmissions ${r.retransmissions}; RSS ${rss}, CPU ${cpu}${sip}${r.timedOut ? '; sipp timed out' : ''}\n`,
    );
    const ok = warmUp || (r.failed === 0 && r.succeeded === r.attempted && r.sippExit === 0);
    if (ok && !warmUp) best = rate;
    if (a.httpUrl) {
      // Let the links of this step end before the next (bounded).
      for (let i = 0; i < 60; i++) {
        const live = await liveLinks(a.httpUrl);
        if (live === 0) break;
        await new Promise((res) => setTimeout(res, 500));
      }
    } else {
      await new Promise((res) => setTimeout(res, 2000));
    }
    if (!ok && !o.keepGoing) break;
  }
  return best;
}

export async function runSipServiceBench(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!has('sipp')) {
    process.stdout.write('sip-service: sipp not installed, skipped\n');
    return;
  }
  const o = parseOptions(argv, env);
  const dir = mkdtempSync(join(tmpdir(), 'acip-sip-service-'));
  const results: string[] = [];
  try {
    process.stdout.write(
      `sip-service: session establishment rate (RFC 7501), sipp ${BENCH_SCENARIO.slice(ROOT_DIR.length + 1)}, ` +
        `PCMA/PCMU offer, ${o.callMs} ms calls, ${o.stepS} s steps at ${o.rates.join(', ')} calls/s` +
        `${o.mediaWorkers !== undefined ? `, acip with --media-workers ${o.mediaWorkers}` : ''}\n`,
    );
    if (o.targets.has('acip')) {
      const a = await startAcipAnswerer(o, join(dir));
      let rate = 0;
      try {
        rate = await measure(a, o, dir);
      } finally {
        await a.stop();
      }
      results.push(`acip (npm start) ${rate} calls/s`);
      if (o.cpuProfDir !== undefined) {
        const profiles = readdirSync(o.cpuProfDir).filter((f) => f.endsWith('.cpuprofile'));
        process.stdout.write(`  CPU profile(s) in ${o.cpuProfDir}: ${profiles.join(', ') || 'none written'}\n`);
        for (const f of profiles) process.stdout.write(`${summariseCpuProfile(readFileSync(join(o.cpuProfDir, f), 'utf8')).join('\n')}\n`);
      }
    }
    if (o.targets.has('baresip') && has('baresip')) {
      const b = await startBaresipAnswerer(dir);
      let rate = 0;
      try {
        rate = await measure(b, o, dir);
      } finally {
        await b.stop();
      }
      results.push(`baresip ${rate} calls/s`);
    }
    process.stdout.write(`sip-service: ${results.join(', ')} (highest step rate with every call of a ${o.stepS} s step successful)\n`);
  } finally {
    if (o.keepDir) process.stdout.write(`sip-service: logs and statistics kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) void runSipServiceBench();
