import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_DIR } from '../../server/version.js';

export interface AcipProcess {
  child: ChildProcess;
  /** Parsed pino log lines so far. */
  logs: Record<string, unknown>[];
  stderr: () => string;
  httpUrl: string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Run the real service as a child process (`node --import tsx server/main.ts`). */
export function runAcip(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT_DIR, 'server/main.ts'), ...args], {
    cwd: ROOT_DIR,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, logs, stderr: () => err, stdout: () => all, exited };
}

/** Start the service on free ports and wait (bounded) until HTTP listens. */
export async function startAcip(extraArgs: string[] = [], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<AcipProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'acip-data-'));
  const base = ['--http-port', '0', '--sip-port', '0', '--data-dir', dataDir, '--log-level', 'info'];
  const p = runAcip([...base, ...extraArgs], opts);
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let httpUrl: string | undefined;
  while (!httpUrl) {
    const line = p.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('listening: HTTP'));
    if (line) httpUrl = /(http:\/\/\S+)/.exec(String(line.msg))?.[1];
    if (p.child.exitCode !== null) throw new Error(`acip exited early (${p.child.exitCode}): ${p.stderr()}`);
    if (Date.now() > deadline) {
      p.child.kill('SIGKILL');
      throw new Error(`acip did not start in time; stderr: ${p.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    ...p,
    httpUrl,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (p.child.exitCode === null) p.child.kill(signal);
      const killer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
      const r = await p.exited;
      clearTimeout(killer);
      return r;
    },
  };
}
