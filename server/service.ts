/**
 * The acip service: owns every socket and timer of a running instance and closes them
 * in reverse order of opening. `main.ts` is only the process shell around it (flags, signals,
 * exit codes), so tests can start real services on free ports in-process or as a child.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { AcipConfig } from './config/schema.js';
import { loadProfiles, type ProfileSet } from './config/load-profiles.js';
import { createMetrics, type AcipMetrics } from './metrics/metrics.js';
import { buildApp } from './api/app.js';
import { ROOT_DIR, VERSION } from './version.js';
import { systemClock, type Clock } from './util/clock.js';
import { knownCodecIds } from './codecs/known-codecs.js';

export interface ServiceOptions {
  config: AcipConfig;
  logger?: Logger;
  clock?: Clock;
}

export class AcipService {
  readonly config: AcipConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly metrics: AcipMetrics;
  readonly startedAtMs: number;
  profiles: ProfileSet = { profiles: new Map(), errors: [] };
  private app: FastifyInstance | undefined;
  private closers: { name: string; close: () => Promise<void> | void }[] = [];
  private httpAddress: string | undefined;
  private sipAddresses: string[] = [];
  private closing: Promise<void> | undefined;

  constructor(opts: ServiceOptions) {
    this.config = opts.config;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? pino({ level: opts.config.log.level, base: { svc: 'acip' } });
    this.startedAtMs = this.clock.now();
    this.metrics = createMetrics({ version: VERSION, startedAtMs: () => this.startedAtMs, nowMs: () => this.clock.now() });
  }

  get dataDir(): string {
    return resolve(this.config.dataDir);
  }

  /** Folders profiles load from: the shipped (or configured) folder, then the data dir's overrides. */
  profileDirs(): string[] {
    return [resolve(this.config.profilesDir ?? join(ROOT_DIR, 'profiles')), join(this.dataDir, 'profiles')];
  }

  reloadProfiles(): ProfileSet {
    this.profiles = loadProfiles(this.profileDirs(), knownCodecIds());
    for (const e of this.profiles.errors) this.log.warn({ file: e.file, field: e.field }, `profile rejected: ${e.file}: ${e.field}: ${e.message}`);
    this.metrics.profilesLoaded.set(this.profiles.profiles.size);
    this.metrics.profileErrors.set(this.profiles.errors.length);
    return this.profiles;
  }

  async start(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true });
    this.reloadProfiles();
    if (!this.profiles.profiles.has(this.config.defaultProfile)) {
      this.log.warn(`default profile ${this.config.defaultProfile} is not loaded; calls must name a profile`);
    }

    const app = await buildApp({
      config: this.config,
      version: VERSION,
      metrics: this.metrics,
      profiles: () => this.profiles.profiles,
      nowMs: () => this.clock.now(),
      startedAtMs: this.startedAtMs,
      listening: () => ({ sip: [...this.sipAddresses], http: this.httpAddress }),
      webRoot: join(ROOT_DIR, 'web'),
      logger: this.log.child({ part: 'http' }),
    });
    this.app = app;
    this.closers.push({ name: 'http', close: () => app.close() });
    // fastify logs one line per listening socket with this text.
    this.httpAddress = await app.listen({
      host: this.config.http.host,
      port: this.config.http.port,
      listenTextResolver: (address) => `listening: HTTP API and panel on ${address}`,
    });
  }

  /** Bound HTTP port (useful when configured as 0 in tests). */
  httpPort(): number | undefined {
    const addr = this.app?.server.address();
    return addr && typeof addr === 'object' ? addr.port : undefined;
  }

  /** Idempotent: closes everything in reverse order; errors are logged, never thrown. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const c of this.closers.reverse()) {
        try {
          await c.close();
        } catch (err) {
          this.log.error({ err }, `closing ${c.name} failed`);
        }
      }
      this.closers = [];
    })();
    return this.closing;
  }
}
