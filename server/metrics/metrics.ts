/**
 * The app's own prom-client registry (never the global one, so two services in one process,
 * as in tests, don't collide). Process metrics keep their conventional names (process_*, nodejs_*);
 * acip's own are prefixed `acip_` and use base units (seconds, bytes; levels in dBFS say so).
 * Link metrics are collected on scrape from the link manager's snapshot, not pushed per packet.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface AcipMetrics {
  registry: Registry;
  buildInfo: Gauge<'version' | 'node'>;
  uptime: Gauge;
  profilesLoaded: Gauge;
  profileErrors: Gauge;
  httpRequests: Counter<'route' | 'status'>;
}

/** A metric that writes its own text (see link-family.ts). */
interface SelfWriting {
  promText(): string;
}
const writesItself = (m: unknown): m is SelfWriting => typeof (m as Partial<SelfWriting>).promText === 'function';

/**
 * The service's registry: a prom-client Registry whose text output lets a family that writes its own
 * text (the per-link families, thousands of series at full load) do so, and writes every other metric
 * as prom-client does. Collection runs as in prom-client: every metric's collector, in registration
 * order, before any text is written; the text is the same as a plain Registry writes.
 */
export class AcipRegistry extends Registry {
  /** Default labels go on every series: only prom-client's own writer adds them. */
  private defaultLabelsSet = false;

  override setDefaultLabels(labels: object): void {
    this.defaultLabelsSet = Object.keys(labels).length > 0;
    super.setDefaultLabels(labels);
  }

  override async metrics(): Promise<string> {
    if (this.contentType !== Registry.PROMETHEUS_CONTENT_TYPE || this.defaultLabelsSet) return super.metrics();
    const parts = this.getMetricsAsArray().map((m) => (writesItself(m) ? Promise.resolve().then(() => m.promText()) : this.getSingleMetricAsString(m.name)));
    return `${(await Promise.all(parts)).join('\n\n')}\n`;
  }
}

export function createMetrics(opts: { version: string; startedAtMs: () => number; nowMs: () => number; processMetrics?: boolean }): AcipMetrics {
  const registry = new AcipRegistry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const buildInfo = new Gauge({
    name: 'acip_build_info',
    help: 'acip build information; the value is always 1',
    labelNames: ['version', 'node'] as const,
    registers: [registry],
  });
  buildInfo.set({ version: opts.version, node: process.versions.node }, 1);
  const uptime = new Gauge({
    name: 'acip_uptime_seconds',
    help: 'Seconds since the service started',
    registers: [registry],
    collect() {
      this.set((opts.nowMs() - opts.startedAtMs()) / 1000);
    },
  });
  const profilesLoaded = new Gauge({ name: 'acip_profiles_loaded', help: 'Profiles loaded from profiles/ and the data dir', registers: [registry] });
  const profileErrors = new Gauge({ name: 'acip_profile_errors', help: 'Profile files rejected by the schema at start-up', registers: [registry] });
  const httpRequests = new Counter({
    name: 'acip_http_requests_total',
    help: 'HTTP API requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  return { registry, buildInfo, uptime, profilesLoaded, profileErrors, httpRequests };
}

export interface SipRejectionSource {
  /** Every reason that can be counted (each gets a series from the start, 0 included). */
  reasons: readonly string[];
  /** Running totals by reason (the UA's counters). */
  counts: () => ReadonlyMap<string, number>;
  /** Sources blocked by the rate limit right now. */
  blockedSources: () => number;
}

/**
 * `acip_sip_rejected_total{reason}`: requests the SIP core refused (answered with an error or
 * dropped by admission), collected on scrape from the UA's running totals; and
 * `acip_sip_blocked_sources`: sources the rate limit blocks right now.
 */
export function registerSipRejectionMetrics(registry: Registry, src: SipRejectionSource): void {
  new Counter({
    name: 'acip_sip_rejected_total',
    help: 'SIP requests refused by reason: admission (source, rate, auth_required, auth_stale, auth_failed, locked_out) and the core (bad_request, method, …)',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const counts = src.counts();
      for (const reason of src.reasons) this.inc({ reason }, counts.get(reason) ?? 0);
    },
  });
  new Gauge({
    name: 'acip_sip_blocked_sources',
    help: 'Source addresses the SIP rate limit blocks right now',
    registers: [registry],
    collect() {
      this.set(src.blockedSources());
    },
  });
}
