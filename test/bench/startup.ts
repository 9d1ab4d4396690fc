/**
 * Start-up cost of the service, the compiled build (`npm start`: node server/dist/main.js) against the
 * sources under tsx (`npm run dev`): for each, RUNS cold starts on free loopback ports, timing spawn →
 * the first answer of GET /api/health, the CPU time the process had used by then (user + system: a
 * figure a loaded machine inflates far less than the wall-clock one), then the resident set size
 * (VmRSS) after IDLE_MS with no links. Printed, never asserted. `npm run bench -- startup`; ACIP_STARTUP_RUNS / ACIP_STARTUP_IDLE_MS override.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_DIR } from '../../server/version.js';
import { ensureServerBuilt, npmScriptEnv, npmScriptNodeArgs } from '../helpers/server-build.js';
import { freePort } from '../helpers/sip-peer-process.js';
import { GROUP_LEADER, stopProcess } from '../helpers/stop-process.js';

const RUNS = Number(process.env.ACIP_STARTUP_RUNS ?? 5);
const IDLE_MS = Number(process.env.ACIP_STARTUP_IDLE_MS ?? 5000);
const HEALTH_TIMEOUT_MS = 30_000;
const POLL_MS = 5;

/** What `npm start` and `npm run dev` run, read from package.json. */
const MODES: Record<string, { args: string[]; env: Record<string, string> }> = {
  compiled: { args: npmScriptNodeArgs('start'), env: npmScriptEnv('start') },
  tsx: { args: npmScriptNodeArgs('dev'), env: npmScriptEnv('dev') },
};

export interface StartupRun {
  mode: string;
  healthyMs: number;
  cpuMs: number;
  idleRssMb: number;
}

/** Kernel clock ticks per second for /proc/PID/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** User + system CPU time of `pid` so far, ms (all its threads). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: state is field 3, utime 14 and stime 15 (proc(5)), here offset by 3.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

async function oneRun(mode: string, entry: { args: string[]; env: Record<string, string> }): Promise<StartupRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'acip-startup-'));
  const [httpPort, sipPort] = [await freePort(), await freePort()];
  const args = ['--http-port', String(httpPort), '--sip-port', String(sipPort), '--sip-host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'warn'];
  const url = `http://127.0.0.1:${httpPort}/api/health`;
  const started = performance.now();
  const child = spawn(process.execPath, [...entry.args, ...args], { cwd: ROOT_DIR, env: { ...process.env, ...entry.env }, stdio: ['ignore', 'ignore', 'pipe'], ...GROUP_LEADER });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    let healthyMs = Number.NaN;
    let cpu = Number.NaN;
    while (performance.now() - started < HEALTH_TIMEOUT_MS) {
      if (child.exitCode !== null) throw new Error(`${mode}: acip exited (${child.exitCode}): ${stderr}`);
      if (await healthy(url)) {
        healthyMs = performance.now() - started;
        cpu = cpuMs(child.pid!);
        break;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    if (Number.isNaN(healthyMs)) throw new Error(`${mode}: /api/health did not answer within ${HEALTH_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return { mode, healthyMs, cpuMs: cpu, idleRssMb: rssMb(child.pid!) };
  } finally {
    await stopProcess(child, { group: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function runStartupBench(): Promise<StartupRun[]> {
  await ensureServerBuilt();
  for (const [mode, { args, env }] of Object.entries(MODES)) {
    const vars = Object.entries(env).map(([k, v]) => `${k}=${v} `).join('');
    console.log(`${mode}: ${vars}node ${args.map((a) => a.replace(`${ROOT_DIR}/`, '')).join(' ')}`);
  }
  console.log(`${RUNS} cold starts per mode; RSS read ${IDLE_MS} ms after /api/health first answers, no links`);
  const runs: StartupRun[] = [];
  // Interleave the modes so a burst of load on the machine does not land on one mode only.
  for (let i = 0; i < RUNS; i++) {
    for (const [mode, entry] of Object.entries(MODES)) {
      const r = await oneRun(mode, entry);
      runs.push(r);
      console.log(
        `  ${mode.padEnd(8)} run ${i + 1}: start→healthy ${r.healthyMs.toFixed(0).padStart(5)} ms (CPU ${r.cpuMs.toFixed(0).padStart(5)} ms), idle RSS ${r.idleRssMb.toFixed(1).padStart(6)} MB`,
      );
    }
  }
  const cell = (xs: number[], digits: number) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`.padEnd(22);
  console.log(`\n  median (min–max) ${'start→healthy ms'.padEnd(22)}${'CPU to healthy ms'.padEnd(22)}idle RSS MB`);
  for (const mode of Object.keys(MODES)) {
    const mine = runs.filter((r) => r.mode === mode);
    const col = (f: (r: StartupRun) => number, digits: number) => cell(mine.map(f), digits);
    console.log(`  ${mode.padEnd(17)}${col((r) => r.healthyMs, 0)}${col((r) => r.cpuMs, 0)}${col((r) => r.idleRssMb, 1)}`);
  }
  console.log(`  (load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
  return runs;
}
