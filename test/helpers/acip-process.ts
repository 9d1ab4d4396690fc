import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_DIR } from '../../server/version.js';
import { ensureServerBuilt, serviceEntryArgs, serviceEnv } from './server-build.js';
import { GROUP_LEADER, stopProcess, trackProcess, type ExitStatus } from './stop-process.js';

export interface AcipProcess {
  child: ChildProcess;
  /** Parsed pino log lines so far. */
  logs: Record<string, unknown>[];
  stderr: () => string;
  httpUrl: string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<ExitStatus>;
  /** `signal` (SIGTERM), then SIGKILL after 5 s, to the service and anything it spawned (arecord, aplay). */
  stop(signal?: NodeJS.Signals): Promise<ExitStatus>;
}

const diagnosisNodeFlags = () => (process.env.ACIP_TEST_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);

/** Time a stopping service gets before SIGKILL: beyond its own shutdown deadline. */
const STOP_GRACE_MS = 5000;

/**
 * Run the real service as a child process, as `npm start` does (`node server/dist/main.js`, built
 * first when stale), in its own process group. ACIP_TEST_NODE_FLAGS adds node flags in front of npm
 * start's for a diagnosis by hand (e.g. `--trace-gc`); tests never set it.
 */
export async function runAcip(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
  await ensureServerBuilt();
  const child = trackProcess(
    spawn(process.execPath, [...diagnosisNodeFlags(), ...serviceEntryArgs(), ...args], {
      cwd: ROOT_DIR,
      env: { ...process.env, ...serviceEnv(), ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...GROUP_LEADER,
    }),
    { group: true },
  );
  let out = '';
  let all = '';
  let err = '';
  const logs: Record<string, unknown>[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    all += d;
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ raw: line });
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<ExitStatus>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, logs, stderr: () => err, stdout: () => all, exited };
}

/** Start the service on free ports and wait (bounded) until HTTP listens. */
export async function startAcip(extraArgs: string[] = [], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<AcipProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'acip-data-'));
  const base = ['--http-port', '0', '--sip-port', '0', '--data-dir', dataDir, '--log-level', 'info'];
  const p = await runAcip([...base, ...extraArgs], opts);
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let httpUrl: string | undefined;
  while (!httpUrl) {
    const line = p.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('listening: HTTP'));
    if (line) httpUrl = /(http:\/\/\S+)/.exec(String(line.msg))?.[1];
    if (p.child.exitCode !== null) throw new Error(`acip exited early (${p.child.exitCode}): ${p.stderr()}`);
    if (Date.now() > deadline) {
      await stopProcess(p.child, { group: true, signal: 'SIGKILL' });
      throw new Error(`acip did not start in time; stderr: ${p.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    ...p,
    httpUrl,
    stop: (signal: NodeJS.Signals = 'SIGTERM') => stopProcess(p.child, { group: true, signal, graceMs: STOP_GRACE_MS }),
  };
}
