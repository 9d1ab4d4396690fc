/**
 * sipp against the real service, for the interop tests that play a scenario of test/fixtures/sipp.
 *
 * `sippSuite()` gives a describe block one acip (startLtAcip) and one working folder, where the
 * scenarios find `tone.al` for `rtp_stream` and write their own files (`acip-tag.txt`, message logs,
 * statistics). Each sipp is started with the same argument list (`planSipp`) on free loopback ports,
 * either as a UAC calling acip (`-s acip`, acip's SIP address as remote host) or as a UAS that acip
 * dials; the test reads back its exit code, output, message log and statistics, and every sipp a
 * test started is stopped after that test, passed or failed.
 *
 * Tests with a set-up of their own (several acip nodes, a proxy in front of them) use `placeSipp` and
 * `runSipp` without the suite: the same argument list, files and bounds.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { ROOT_DIR } from '../../server/version.js';
import { startLtAcip, type LtAcip, type LtAcipOptions } from '../interop/links/harness.js';
import { PeerProcess, freePort, readSippStats, runProgram, type RunResult } from './sip-peer-process.js';

/** Where the scenarios live. */
export const SIPP_FIXTURES = join(ROOT_DIR, 'test/fixtures/sipp');

/** The one address everything binds to: tests stay on loopback. */
const HOST = '127.0.0.1';

/** What a run-to-completion gets beyond sipp's own `-timeout` before it is stopped. */
const RUN_MARGIN_MS = 10_000;

/** How long a started sipp gets to bind its SIP port. */
const LISTEN_MS = 5000;

/** How much of sipp's output, stderr and message log a failure message shows. */
const TAIL = { output: 2500, stdout: 2000, stderr: 800, messages: 4000 } as const;

/** One sipp run, as a test describes it. */
export interface SippCall {
  /** Scenario file name in test/fixtures/sipp, or with `builtin` the name of one of sipp's own (`-sn`). */
  scenario: string;
  /** `scenario` is one of sipp's built-in scenarios (`-sn uac`), not a file. */
  builtin?: boolean;
  /** 'uac': sipp calls acip; 'uas': sipp waits for acip to send it the first request. */
  role: 'uac' | 'uas';
  /** The user part a UAC calls (`-s`); 'acip' unless told. */
  service?: string;
  /** The loopback address sipp binds and sends from (`-i`); 127.0.0.1 unless told (another 127/8 address is another source). */
  host?: string;
  /** Calls to make before sipp ends (`-m`); 1 unless told. */
  calls?: number;
  /** New calls per second (`-r`); sipp's default (10) unless told. */
  rate?: number;
  /** Most calls at once (`-l`); sipp's default unless told. */
  limit?: number;
  /** sipp's global `-timeout`, in seconds. */
  timeoutS: number;
  /** `-timeout_error`: reaching the global timeout fails the run (non-zero exit). */
  timeoutError?: boolean;
  /** Open sipp's media port (`-mp`) on a free port, for `rtp_stream`. */
  media?: boolean;
  /** `-key NAME VALUE`, read by the scenario as `[NAME]`. */
  keys?: Record<string, string>;
  /** `-trace_msg` into a file of the working folder, read back by `messages()`. */
  traceMessages?: boolean;
  /** `-trace_stat` and `-trace_err` into files of the working folder, read back by `stats()`. */
  traceStats?: boolean;
  /** Further arguments, passed as they are (`-cid_str`, `-d`). */
  extra?: string[];
}

/** Where one run listens and what it writes: the inputs of `planSipp` besides the call. */
export interface SippPlace {
  /** sipp's SIP port. */
  port: number;
  /** sipp's media port, when the call asks for one. */
  mediaPort?: number;
  /** The working folder: sipp's cwd and where its trace files go. */
  dir: string;
  /** acip's SIP port (or that of a proxy in front of acip), the remote host of a UAC. */
  acipSipPort: number;
}

/** The argument list of one run and the files it will write. */
export interface SippPlan {
  args: string[];
  messageFile?: string;
  statFile?: string;
  errorFile?: string;
}

/** The sipp command line for `call` at `place`: pure, so the argument list is tested as data. */
export function planSipp(call: SippCall, place: SippPlace): SippPlan {
  const tag = `${call.scenario.replace(/\.xml$/, '')}-${place.port}`;
  const host = call.host ?? HOST;
  if (!host.startsWith('127.')) throw new Error(`planSipp: ${call.scenario} would bind ${host}; tests stay on loopback`);
  const messageFile = call.traceMessages ? join(place.dir, `${tag}-messages.log`) : undefined;
  const statFile = call.traceStats ? join(place.dir, `${tag}-stats.csv`) : undefined;
  const errorFile = call.traceStats ? join(place.dir, `${tag}-errors.log`) : undefined;
  if (call.media && place.mediaPort === undefined) throw new Error(`planSipp: ${call.scenario} wants a media port and none was given`);
  const args = [
    ...(call.builtin ? ['-sn', call.scenario] : ['-sf', join(SIPP_FIXTURES, call.scenario)]),
    ...(call.role === 'uac' ? ['-s', call.service ?? 'acip'] : []),
    '-i', host, '-p', String(place.port),
    ...(call.media ? ['-mp', String(place.mediaPort)] : []),
    '-m', String(call.calls ?? 1),
    ...(call.rate !== undefined ? ['-r', String(call.rate)] : []),
    ...(call.limit !== undefined ? ['-l', String(call.limit)] : []),
    '-nostdin',
    ...Object.entries(call.keys ?? {}).flatMap(([k, v]) => ['-key', k, v]),
    ...(call.extra ?? []),
    '-timeout', String(call.timeoutS),
    ...(call.timeoutError ? ['-timeout_error'] : []),
    ...(messageFile ? ['-trace_msg', '-message_file', messageFile] : []),
    ...(statFile && errorFile ? ['-trace_stat', '-stf', statFile, '-trace_err', '-error_file', errorFile] : []),
    ...(call.role === 'uac' ? [`${HOST}:${place.acipSipPort}`] : []),
  ];
  return { args, messageFile, statFile, errorFile };
}

function tailOf(file: string | undefined, n: number): string {
  return file && existsSync(file) ? readFileSync(file, 'utf8').slice(-n) : '';
}

/** The ports bound for UDP on this host, from the kernel's socket table; undefined where there is none. */
function boundUdpPorts(): Set<number> | undefined {
  const ports = new Set<number>();
  let found = false;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    if (!existsSync(table)) continue;
    found = true;
    // Rows: "sl local_address rem_address st …", local_address as HEXADDR:HEXPORT.
    for (const row of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const local = row.trim().split(/\s+/)[1];
      const port = local?.split(':')[1];
      if (port) ports.add(parseInt(port, 16));
    }
  }
  return found ? ports : undefined;
}

/** True when something holds UDP `port` on 127.0.0.1; without a socket table, by trying to bind it. */
async function udpPortTaken(port: number): Promise<boolean> {
  const bound = boundUdpPorts();
  if (bound) return bound.has(port);
  return new Promise<boolean>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(true));
    s.bind(port, HOST, () => s.close(() => resolve(false)));
  });
}

/** A sipp running beside the test. */
export class SippPeer {
  constructor(
    readonly place: SippPlace,
    readonly plan: SippPlan,
    readonly process: PeerProcess,
  ) {}

  get port(): number {
    return this.place.port;
  }

  /** Everything sipp printed so far. */
  get output(): string {
    return this.process.output;
  }

  /** sipp's exit code once it has exited, or null if it still runs after `ms`. */
  exit(ms: number): Promise<number | null> {
    const child = this.process.child;
    return new Promise((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      const t = setTimeout(() => resolve(null), ms);
      child.on('close', (code) => {
        clearTimeout(t);
        resolve(code);
      });
    });
  }

  /** True once sipp has bound its SIP port, polled for at most `ms`. */
  async listening(ms: number): Promise<boolean> {
    for (let waited = 0; waited <= ms; waited += 50) {
      if (await udpPortTaken(this.port)) return true;
      if (this.process.child.exitCode !== null) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  /** The SIP messages sipp saw (with `traceMessages`), '' before it wrote any. */
  messages(): string {
    return tailOf(this.plan.messageFile, Infinity);
  }

  /** sipp's output and the tail of its message log, for failure messages. */
  trace(): string {
    return `${this.output.slice(-TAIL.output)}\n${tailOf(this.plan.messageFile, TAIL.messages)}`;
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}

/** A sipp run to its end. */
export interface SippResult extends RunResult {
  port: number;
  /** The SIP messages sipp saw (with `traceMessages`). */
  messages(): string;
  /** The last row of the `-trace_stat` CSV (with `traceStats`), column → value. */
  stats(): Map<string, string>;
  /** The `-trace_err` log (with `traceStats`), '' if sipp wrote none. */
  errors(): string;
  /** The tails of sipp's stdout, stderr and message log, for failure messages. */
  trace(): string;
}

export interface SippSuiteOptions {
  /** How the suite's acip is started. */
  acip?: LtAcipOptions;
  /** Write `tone.al` to the working folder: `hz` at `peakDbfs` peak, raw A-law at 8 kHz, 10 s (what `rtp_stream` sends as PCMA). */
  tone?: { hz: number; peakDbfs: number };
}

export interface SippSuite {
  /** The suite's acip (started in beforeAll). */
  readonly acip: LtAcip;
  /** The suite's working folder (made in beforeAll). */
  readonly dir: string;
  /** Start sipp beside the test; it is stopped after the test. */
  start(call: SippCall): Promise<SippPeer>;
  /** Run sipp to its end (stopped `RUN_MARGIN_MS` after its own `-timeout` at the latest). */
  run(call: SippCall): Promise<SippResult>;
  /**
   * Start sipp as a UAS and, once it listens, dial it from the API (`POST /api/links` with `link`
   * besides `to`); expects both to succeed. Returns sipp and the new link's id.
   */
  dial(call: Omit<SippCall, 'role'>, link?: Record<string, unknown>): Promise<{ sipp: SippPeer; id: string }>;
}

/** The sox arguments that write `file`: a sine at `hz` with `peakDbfs` peak, raw A-law at 8 kHz, 10 s. */
export function toneArgs(file: string, tone: { hz: number; peakDbfs: number }): string[] {
  const gain = (10 ** (tone.peakDbfs / 20)).toFixed(4);
  return ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', '-t', 'raw', file, 'synth', '10', 'sine', String(tone.hz), 'vol', gain];
}

/** Free loopback ports for `call` (SIP, and media when it asks), its files in `dir`, calling `acipSipPort`. */
export async function placeSipp(call: SippCall, dir: string, acipSipPort: number): Promise<SippPlace> {
  return { port: await freePort(), mediaPort: call.media ? await freePort() : undefined, dir, acipSipPort };
}

/** Run sipp for `call` at `place` to its end, stopped `RUN_MARGIN_MS` after its own `-timeout` at the latest. */
export async function runSipp(call: SippCall, place: SippPlace): Promise<SippResult> {
  const plan = planSipp(call, place);
  const r = await runProgram('sipp', plan.args, call.timeoutS * 1000 + RUN_MARGIN_MS, place.dir);
  return {
    ...r,
    port: place.port,
    messages: () => tailOf(plan.messageFile, Infinity),
    stats: () => {
      if (!plan.statFile) throw new Error(`sipp: ${call.scenario} ran without traceStats`);
      return readSippStats(plan.statFile);
    },
    errors: () => tailOf(plan.errorFile, Infinity),
    trace: () => `${r.stdout.slice(-TAIL.stdout)}\n${r.stderr.slice(-TAIL.stderr)}\n${tailOf(plan.messageFile, TAIL.messages)}`,
  };
}

/**
 * Register the hooks of a describe block that plays sipp scenarios against one acip: start acip and
 * make the working folder (with the tone) before all, stop every sipp after each test, stop acip
 * and remove the folder after all.
 */
export function sippSuite(opts: SippSuiteOptions = {}): SippSuite {
  let acip: LtAcip | undefined;
  let dir: string | undefined;
  let running: SippPeer[] = [];

  const ready = (): { acip: LtAcip; dir: string } => {
    if (!acip || !dir) throw new Error('sippSuite: used before its beforeAll ran (use it inside a test or a hook)');
    return { acip, dir };
  };
  const place = (call: SippCall): Promise<SippPlace> => {
    const s = ready();
    return placeSipp(call, s.dir, s.acip.sipPort);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acip-sipp-'));
    acip = await startLtAcip(opts.acip);
    if (opts.tone) {
      const sox = await runProgram('sox', toneArgs(join(dir, 'tone.al'), opts.tone), 15_000);
      expect(sox.code, sox.stderr).toBe(0);
    }
  }, 120_000);
  afterEach(async () => {
    const stopping = running;
    running = [];
    // Every one is stopped even when another fails to stop; the first failure is reported.
    await Promise.all(stopping.map((p) => p.stop()));
  });
  afterAll(async () => {
    await acip?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const suite: SippSuite = {
    get acip() {
      return ready().acip;
    },
    get dir() {
      return ready().dir;
    },
    async start(call) {
      const at = await place(call);
      const plan = planSipp(call, at);
      const peer = new SippPeer(at, plan, PeerProcess.start('sipp', plan.args, at.dir));
      running.push(peer);
      return peer;
    },
    async run(call) {
      return runSipp(call, await place(call));
    },
    async dial(call, link = {}) {
      const sipp = await suite.start({ ...call, role: 'uas' });
      expect(await sipp.listening(LISTEN_MS), `sipp did not bind its port\n${sipp.trace()}`).toBe(true);
      const dial = await suite.acip.api('POST', '/api/links', { to: `sip:sipp@${HOST}:${sipp.port}`, ...link });
      expect(dial.status, JSON.stringify(dial.body)).toBe(201);
      return { sipp, id: dial.body.id as string };
    },
  };
  return suite;
}
