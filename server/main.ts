/**
 * Process shell: flags → config → service; SIGINT/SIGTERM → clean shutdown; SIGHUP → TLS certificate reload;
 * SIGUSR2 → a full, compacting garbage collection of the main thread and the media workers, logged with the memory before and
 * after, and each thread's heap spaces and memory outside them after it (fields `main`, `workers[].after`).
 * Exit codes: 0 clean stop, 1 runtime failure (e.g. a port in use), 2 bad configuration.
 */
import { parseArgs, helpText } from './config/cli.js';
import { loadConfig } from './config/load-config.js';
import { ConfigError } from './config/config-error.js';
import { AcipService } from './service.js';
import { VERSION } from './version.js';
import { collectAndCompact, readThreadMemory } from './media/worker/worker-protocol.js';

const mib = (bytes: number) => (bytes / 1048576).toFixed(1);

/** Shutdown must finish within this; then we exit anyway rather than hang a supervisor. */
const SHUTDOWN_DEADLINE_MS = 1500;

async function main(): Promise<number> {
  let service: AcipService;
  try {
    const args = parseArgs(process.argv.slice(2), process.env);
    if (args.help) {
      process.stdout.write(helpText(VERSION));
      return 0;
    }
    if (args.version) {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    const config = loadConfig({ configFile: args.configFile, overrides: args.overrides });
    service = new AcipService({ config });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`acip: configuration error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.log.info({ signal }, `received ${signal}, shutting down`);
    const deadline = setTimeout(() => {
      service.log.error('shutdown deadline passed; exiting anyway');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    void service.close().then(() => {
      service.log.info('stopped');
      service.log.flush?.();
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // SIGHUP: new TLS certificate and key for new handshakes; connections and calls stay up.
  process.on('SIGHUP', () => {
    if (stopping) return;
    service.log.info({ signal: 'SIGHUP' }, 'received SIGHUP, reloading the TLS certificate');
    service.reloadTls();
  });

  // SIGUSR2: collect the garbage of the main thread and of every media worker now, compacting their
  // heaps (collectAndCompact), and log what each held, so an operator (or a soak test) can tell memory
  // the service retains from garbage and half-empty pages V8 has not yet had a reason to give back. It
  // needs `node --expose-gc`, which `npm start` passes; without it the request is refused in the log.
  // Each worker pauses for its own collection, one worker at a time, and its links' frame clocks wait
  // meanwhile (the soak measured tens of ms: a link may conceal that much; the pauses are logged). The
  // line's fields carry each thread's heap spaces, external memory and array buffers after its
  // collection (`ThreadMemory`), to tell which of them an RSS growth is in.
  process.on('SIGUSR2', () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) {
      service.log.warn({ signal: 'SIGUSR2' }, 'received SIGUSR2, but garbage collection on request needs node --expose-gc');
      return;
    }
    const before = process.memoryUsage();
    const t0 = performance.now();
    collectAndCompact(gc);
    const mainPauseMs = performance.now() - t0;
    const mainMemory = readThreadMemory();
    void service.collectMediaGarbage().then((workers) => {
      const rssAfter = process.memoryUsage().rss;
      const w = workers.map((v) => `${mib(v.heapUsedBefore)} → ${mib(v.heapUsedAfter)} in ${Math.round(v.pauseMs)} ms`).join(', ');
      service.log.info(
        { signal: 'SIGUSR2', heapUsedBefore: before.heapUsed, heapUsedAfter: mainMemory.heapUsed, mainPauseMs, rssBefore: before.rss, rssAfter, main: mainMemory, workers },
        `received SIGUSR2: full garbage collection, heap used ${mib(before.heapUsed)} → ${mib(mainMemory.heapUsed)} MiB in ${Math.round(mainPauseMs)} ms` +
          `${workers.length > 0 ? ` (media workers ${w} MiB)` : ''}, RSS ${mib(before.rss)} → ${mib(rssAfter)} MiB`,
      );
    }).catch((err: unknown) => service.log.warn({ err, signal: 'SIGUSR2' }, 'garbage collection of the media workers failed'));
  });

  try {
    await service.start();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    service.log.fatal({ err }, `start-up failed: ${e.code === 'EADDRINUSE' ? `address in use (${e.message})` : e.message}`);
    await service.close();
    return 1;
  }
  return -1; // keep running
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`acip: fatal: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
