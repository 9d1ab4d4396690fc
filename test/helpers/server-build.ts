/**
 * Tests that start the service as a process run what `npm start` runs: the compiled build in
 * server/dist (`npm run build`). `ensureServerBuilt` compiles it when any source under server/ is newer
 * than the build, so a single test file run after an edit still tests the edit. That build skips the
 * type check (`--noCheck`: with isolatedModules the emitted JavaScript is the same, and
 * `npm run typecheck` is where type errors fail). Test files run in parallel, so builds are
 * serialised by a lock directory holding the builder's PID (bounded wait; a dead builder's lock is
 * taken over).
 *
 * ACIP_TEST_FROM_SOURCE=1 runs the sources through tsx instead (no build step; slower start).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ROOT_DIR } from '../../server/version.js';
import { runProgram } from './sip-peer-process.js';

export const SERVER_DIST = join(ROOT_DIR, 'server/dist');
export const SERVER_ENTRY = join(SERVER_DIST, 'main.js');
const SOURCES = join(ROOT_DIR, 'server');
const LOCK = join(ROOT_DIR, 'test-artifacts', '.server-build-lock');

interface NpmNodeScript {
  /** Environment assignments before `exec` (e.g. MALLOC_ARENA_MAX=2). */
  env: Record<string, string>;
  /** The node arguments, with script paths made absolute. */
  args: string[];
}

/** An npm script of the form `[NAME=VALUE …] exec node ARGS…` (`start`, `dev`). */
function npmNodeScript(script: 'start' | 'dev'): NpmNodeScript {
  const pkg = JSON.parse(readFileSync(join(ROOT_DIR, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const m = /^((?:[A-Z_][A-Z0-9_]*=\S+\s+)*)exec node (.+)$/.exec(pkg.scripts[script] ?? '');
  if (!m) throw new Error(`package.json script ${script} is not "[NAME=VALUE …] exec node ARGS": ${pkg.scripts[script]}`);
  const env: Record<string, string> = {};
  for (const a of m[1]!.trim().split(/\s+/).filter(Boolean)) env[a.slice(0, a.indexOf('='))] = a.slice(a.indexOf('=') + 1);
  const args = m[2]!.trim().split(/\s+/).map((a) => (/\.(m?js|ts)$/.test(a) && !isAbsolute(a) ? join(ROOT_DIR, a) : a));
  return { env, args };
}

/**
 * The node arguments of an npm script (`start`, `dev`), with paths made absolute, so tests and
 * benchmarks run exactly what `npm start` runs, V8 flags included.
 */
export function npmScriptNodeArgs(script: 'start' | 'dev'): string[] {
  return npmNodeScript(script).args;
}

/** The environment an npm script sets before it runs node (glibc malloc settings: MALLOC_ARENA_MAX, GLIBC_TUNABLES). */
export function npmScriptEnv(script: 'start' | 'dev'): Record<string, string> {
  return npmNodeScript(script).env;
}

const serviceScript = (): 'start' | 'dev' => (process.env.ACIP_TEST_FROM_SOURCE === '1' ? 'dev' : 'start');

/** The node arguments that run the service, before its own flags: `npm start`'s (or `npm run dev`'s). */
export function serviceEntryArgs(): string[] {
  return npmScriptNodeArgs(serviceScript());
}

/** The environment `npm start` (or `npm run dev`) gives the service, to lay over the caller's. */
export function serviceEnv(): Record<string, string> {
  return npmScriptEnv(serviceScript());
}

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (path !== SERVER_DIST) newest = Math.max(newest, newestSourceMtime(path));
    } else if (/\.(ts|mjs|json)$/.test(e.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIsFresh(): boolean {
  try {
    const built = statSync(SERVER_ENTRY).mtimeMs;
    return built >= Math.max(newestSourceMtime(SOURCES), statSync(join(ROOT_DIR, 'tsconfig.build.json')).mtimeMs);
  } catch {
    return false;
  }
}

/** A lock whose builder is gone (killed mid-build), or that is older than `maxAgeMs`. */
function lockIsStale(maxAgeMs: number): boolean {
  try {
    const age = Date.now() - statSync(LOCK).mtimeMs;
    if (age > maxAgeMs) return true;
    let pid: number;
    try {
      pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    } catch {
      return age > 5000; // just created: the owner is about to write its PID
    }
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Compile server/ into server/dist (type check skipped) unless the build is newer than every source. */
export async function ensureServerBuilt(timeoutMs = 180_000): Promise<void> {
  if (process.env.ACIP_TEST_FROM_SOURCE === '1' || buildIsFresh()) return;
  mkdirSync(join(ROOT_DIR, 'test-artifacts'), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch {
      if (lockIsStale(timeoutMs)) {
        rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for another server build');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (buildIsFresh()) return;
    const started = Date.now();
    const r = await runProgram(
      process.execPath,
      [join(ROOT_DIR, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT_DIR, 'tsconfig.build.json'), '--noCheck'],
      Math.max(10_000, deadline - Date.now()),
      ROOT_DIR,
    );
    let emitted = false;
    try {
      emitted = statSync(SERVER_ENTRY).mtimeMs >= started - 1000;
    } catch {
      emitted = false;
    }
    if (r.code !== 0 || !emitted) throw new Error(`server build failed (${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`}):\n${r.stdout.slice(-4000)}${r.stderr.slice(-2000)}`);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
