/**
 * Process shell: flags → config → service; SIGINT/SIGTERM → clean shutdown; SIGHUP → TLS certificate reload.
 * Exit codes: 0 clean stop, 1 runtime failure (e.g. a port in use), 2 bad configuration.
 */
import { parseArgs, helpText } from './config/cli.js';
import { loadConfig } from './config/load-config.js';
import { ConfigError } from './config/config-error.js';
import { AcipService } from './service.js';
import { VERSION } from './version.js';

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
