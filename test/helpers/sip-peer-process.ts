/**
 * Run real SIP peers (sipp, baresip, kamailio) from tests: spawn each as its own process group with
 * bounded time, stop it (and whatever it forked) through stopProcess, pick free loopback ports, and
 * read sipp's statistics file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { GROUP_LEADER, stopProcess, trackProcess } from './stop-process.js';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Run a program to completion; past `timeoutMs` it is stopped (SIGTERM, then SIGKILL) with its process group. */
export function runProgram(cmd: string, args: string[], timeoutMs: number, cwd?: string, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = trackProcess(spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], ...GROUP_LEADER }), { group: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.on('data', (d: Buffer) => {
      if (stdout.length < 1_000_000) stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 1_000_000) stderr += d.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      stopProcess(child, { group: true, graceMs: 1000 }).catch(() => undefined);
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Forks that outlived the program (none, for a well-behaved one) go with its group.
      stopProcess(child, { group: true }).catch(() => undefined);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** A long-running peer in its own process group, stopped with everything it forked. */
export class PeerProcess {
  output = '';
  constructor(readonly child: ChildProcess) {
    trackProcess(child, { group: true });
    child.stdout?.on('data', (d: Buffer) => this.append(d));
    child.stderr?.on('data', (d: Buffer) => this.append(d));
  }

  static start(cmd: string, args: string[], cwd?: string): PeerProcess {
    return new PeerProcess(spawn(cmd, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'], ...GROUP_LEADER }));
  }

  private append(d: Buffer): void {
    if (this.output.length < 2_000_000) this.output += d.toString();
  }

  /** Wait until the output matches `re` (bounded). */
  async waitForOutput(re: RegExp, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (re.test(this.output)) return true;
      if (this.child.exitCode !== null) return re.test(this.output);
      await new Promise((r) => setTimeout(r, 50));
    }
    return re.test(this.output);
  }

  /** SIGTERM to the process group, then SIGKILL after `graceMs` (stopProcess). */
  async stop(graceMs = 2000): Promise<void> {
    await stopProcess(this.child, { group: true, graceMs });
  }

  /** SIGKILL at once, as a crash would (the group goes too). */
  async kill(): Promise<void> {
    await stopProcess(this.child, { group: true, signal: 'SIGKILL' });
  }
}

/** A port free on 127.0.0.1 for both UDP and TCP at the time of the call. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const srv = net.createServer();
    const port = await new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port)));
    const udp = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((r) => srv.close(() => r()));
    await new Promise<void>((r) => {
      try {
        udp.close(() => r());
      } catch {
        r();
      }
    });
    if (ok) return port;
  }
  throw new Error('no free port');
}

/** The last row of a sipp `-trace_stat` CSV as a column → value map. */
export function readSippStats(file: string): Map<string, string> {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const head = (lines[0] ?? '').split(';');
  const last = (lines[lines.length - 1] ?? '').split(';');
  return new Map(head.map((h, i) => [h, last[i] ?? '']));
}
