/**
 * The one way tests stop a program they started: SIGTERM, then SIGKILL once a deadline passes, to the
 * whole process group when the program forks (kamailio's workers, acip's arecord/aplay, a shell's
 * children). A program that ignores SIGTERM, or a child it forked that outlives it, is still gone
 * when `stopProcess` resolves.
 *
 * Group mode needs the child started as a group leader: spawn it with `detached: true` (see
 * `GROUP_LEADER`), so its process group id is its PID and `kill(-pid)` reaches every descendant that
 * did not move to a group of its own. Every child started through these helpers is also tracked, and
 * killed (SIGKILL, group included) if the test process exits, or is stopped by SIGINT/SIGTERM/SIGHUP,
 * with it still running, e.g. after a hook timed out before its `stop()` finished. (A group leader is
 * out of reach of the terminal's Ctrl-C, so this sweep is what stops it then.)
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';

/** Spawn option that makes the child the leader of a new process group. */
export const GROUP_LEADER = { detached: true } as const satisfies SpawnOptions;

export interface StopOptions {
  /** Time between the first signal and SIGKILL (default 3 s). */
  graceMs?: number;
  /** Signal the whole process group (the child must have been spawned with GROUP_LEADER). */
  group?: boolean;
  /** First signal (default SIGTERM); SIGKILL skips the grace period. */
  signal?: NodeJS.Signals;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How long to wait for the exit after SIGKILL before giving up (the kernel should take microseconds). */
const KILL_WAIT_MS = 5000;
/** How long to let stdout/stderr drain after the exit. */
const DRAIN_MS = 1000;

const tracked = new Map<ChildProcess, boolean>();
let exitHookInstalled = false;

function signal(child: ChildProcess, group: boolean, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(group ? -child.pid : child.pid, sig);
  } catch {
    // ESRCH: already gone (or, for a group, no member left).
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves at the child's exit, or with false after `ms`. */
function exitWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    child.once('exit', onExit);
  });
}

function closeWithin(child: ChildProcess, ms: number): Promise<void> {
  const streams = [child.stdout, child.stderr].filter((s) => s !== null && !s.readableEnded && !s.destroyed);
  if (streams.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('close', onClose);
      resolve();
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve();
    };
    child.once('close', onClose);
  });
}

/** SIGKILL every tracked child (its group too) that is still running. */
function sweep(): void {
  for (const [c, group] of tracked) signal(c, group, 'SIGKILL');
  tracked.clear();
}

/**
 * Register a child to be killed if the test process exits while it runs. `stopProcess` and the
 * helpers below call this; call it yourself for a child you spawn by other means.
 */
export function trackProcess(child: ChildProcess, opts: { group?: boolean } = {}): ChildProcess {
  tracked.set(child, opts.group ?? false);
  child.once('exit', () => {
    // A group leader's forks can outlive it; its group entry stays until stopProcess sweeps it.
    if (!tracked.get(child)) tracked.delete(child);
  });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', sweep);
    // A test process stopped by a signal (Ctrl-C, a `timeout` wrapper) fires no 'exit': sweep there
    // too, then die of the signal as before unless someone else handles it.
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const onSignal = () => {
        sweep();
        if (process.listenerCount(sig) === 1) {
          process.off(sig, onSignal);
          process.kill(process.pid, sig);
        }
      };
      process.on(sig, onSignal);
    }
  }
  return child;
}

/**
 * Stop `child`: `signal` (SIGTERM), SIGKILL after `graceMs`, and for a group a final SIGKILL to the
 * group so that forks which outlived the leader go too. Resolves with the leader's exit status once
 * it has exited and its output has drained (bounded). Safe to call on a child that already exited.
 */
export async function stopProcess(child: ChildProcess, opts: StopOptions = {}): Promise<ExitStatus> {
  const group = opts.group ?? false;
  trackProcess(child, { group });
  const first = opts.signal ?? 'SIGTERM';
  if (!hasExited(child)) {
    signal(child, group, first);
    if (first === 'SIGKILL' || !(await exitWithin(child, opts.graceMs ?? 3000))) {
      signal(child, group, 'SIGKILL');
      if (!(await exitWithin(child, KILL_WAIT_MS))) throw new Error(`process ${child.pid} (${child.spawnfile}) survived SIGKILL`);
    }
  }
  if (group) signal(child, true, 'SIGKILL');
  tracked.delete(child);
  await closeWithin(child, DRAIN_MS);
  return { code: child.exitCode, signal: child.signalCode };
}
