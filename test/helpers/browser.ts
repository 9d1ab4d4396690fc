/**
 * Browser tests drive Debian's chromium through playwright-core (no downloaded browsers).
 * `hasChromium` says whether to run (requireProgram: skipped locally when missing, a failure under CI);
 * `launchChromium` starts a headless instance; `buildPanel` runs the Vite build, bounded in time.
 */
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT_DIR } from '../../server/version.js';
import { requireProgram } from './require-program.js';
import { runProgram } from './sip-peer-process.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(ROOT_DIR, 'test-artifacts');

export function hasChromium(): boolean {
  return requireProgram('chromium');
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    timeout: 30_000,
  });
}

/** A 1280×720 page (a control-room screen) that records console errors and page crashes. */
export async function openPanelPage(browser: Browser, opts: { viewport?: { width: number; height: number } } = {}): Promise<{
  context: BrowserContext;
  page: Page;
  errors: string[];
}> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 720 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return { context, page, errors };
}

/** Build web/ with Vite into web/dist (what the service serves at /). Rejects after `timeoutMs` (the build is stopped). */
export async function buildPanel(timeoutMs = 60_000): Promise<void> {
  const r = await runProgram(
    process.execPath,
    [join(ROOT_DIR, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts'],
    timeoutMs,
    ROOT_DIR,
    { ...process.env, NODE_ENV: 'production' },
  );
  if (r.code !== 0) throw new Error(`vite build failed (${r.timedOut ? `timed out after ${timeoutMs} ms` : `exit ${r.code ?? r.signal}`}):\n${r.stderr}`);
}

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const name of readdirSync(path)) m = Math.max(m, newestMtime(join(path, name)));
  return m;
}

function distIsFresh(): boolean {
  try {
    const built = statSync(join(ROOT_DIR, 'web/dist/index.html')).mtimeMs;
    const sources = Math.max(
      newestMtime(join(ROOT_DIR, 'web/src')),
      newestMtime(join(ROOT_DIR, 'web/index.html')),
      newestMtime(join(ROOT_DIR, 'web/vite.config.ts')),
    );
    return built >= sources;
  } catch {
    return false;
  }
}

/**
 * Build the panel unless web/dist is newer than every source. Test files run in parallel and the
 * service serves web/dist, so builds are serialised by a lock directory (bounded wait) and a file
 * that finds a fresh build skips its own.
 */
export async function ensurePanelBuilt(timeoutMs = 90_000): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const lock = join(ARTIFACTS_DIR, '.panel-build-lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than the timeout was left by a killed run: take it over.
      try {
        if (Date.now() - statSync(lock).mtimeMs > timeoutMs) {
          rmdirSync(lock);
          continue;
        }
      } catch {
        continue;
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for another panel build');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (!distIsFresh()) await buildPanel(Math.max(10_000, deadline - Date.now()));
  } finally {
    rmdirSync(lock);
  }
}

/** The slice of HTMLCanvasElement that page-side helpers use (the test tsconfig has no DOM lib). */
export interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/**
 * Pixels of a meter canvas lit in the bar's green (the part below alignment level). Runs in the page:
 * pass it as is to `locator.evaluate` (it must not refer to anything outside itself).
 */
export function countGreenPixels(c: CanvasLike): number {
  const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 1]! > 150 && d[i]! < 120) n++;
  return n;
}

/** Where screenshots go (gitignored). */
export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}
