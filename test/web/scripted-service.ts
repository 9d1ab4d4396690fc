/**
 * The service's real HTTP layer (REST routes, live feed, stores on a temp dir) with a scripted link
 * manager in place of SIP and media, so that the panel's browser tests can show any link state,
 * failure, prompt or alarm on demand.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/api/app.js';
import { createMetrics } from '../../server/metrics/metrics.js';
import { validateConfig } from '../../server/config/load-config.js';
import { loadProfiles } from '../../server/config/load-profiles.js';
import { knownCodecIds } from '../../server/codecs/known-codecs.js';
import { ROOT_DIR, VERSION } from '../../server/version.js';
import { TypedEmitter } from '../../server/util/typed-emitter.js';
import { AcipError } from '../../server/util/errors.js';
import { Phonebook } from '../../server/store/phonebook.js';
import { CallHistory } from '../../server/store/call-history.js';
import type { DialRequest, LinksEvents, LinksPort } from '../../server/links/links-port.js';
import type { Alarm, LinkMeters, LinkSnapshot } from '../../server/links/link-types.js';
import { snapshot } from './snapshots.js';

/** A link manager driven by the test: `set` publishes a state change like the real one would. */
export class ScriptedLinks implements LinksPort {
  events = new TypedEmitter<LinksEvents>();
  links = new Map<string, LinkSnapshot>();
  alarmList: Alarm[] = [];
  calls: string[] = [];
  private n = 0;
  /** The level the scripted tone is at, dBFS; meters wobble around it. */
  level = -18;

  list(): LinkSnapshot[] {
    // Like the real manager: connected links report their duration and live meters.
    return [...this.links.values()].map((l) =>
      l.state === 'connected' && l.connectedAt ? { ...l, durationS: (Date.now() - Date.parse(l.connectedAt)) / 1000, meters: this.toneMeters() } : l,
    );
  }
  get(id: string) {
    return this.links.get(id);
  }
  meters(): { id: string; meters: LinkMeters }[] {
    return this.list().flatMap((l) => (l.meters ? [{ id: l.id, meters: l.meters }] : []));
  }

  private toneMeters(): LinkMeters {
    const wobble = Math.sin(Date.now() / 150) * 3;
    const p = this.level + wobble;
    return { input: { peak: [p, p - 1], rms: [p - 3, p - 4], clips: 0 }, output: { peak: [p - 2, p - 2], rms: [p - 5, p - 5], clips: 0 } };
  }
  set(id: string, patch: Partial<LinkSnapshot>): LinkSnapshot {
    const l = { ...this.links.get(id)!, ...patch };
    this.links.set(id, l);
    this.events.emit('link', l);
    return l;
  }
  add(l: LinkSnapshot): void {
    this.links.set(l.id, l);
    this.events.emit('link', l);
  }
  dial(req: DialRequest): LinkSnapshot {
    if (!/^sips?:/.test(req.to)) throw new AcipError('VALIDATION', 'to: not a SIP URI', 'to');
    this.calls.push(`dial ${req.to}`);
    const l = snapshot({
      id: `s${++this.n}`,
      state: 'dialling',
      remote: req.to,
      profile: req.profile ?? 'ebu-3326-interop',
      createdAt: new Date().toISOString(),
      codec: null,
      rx: null,
      tx: null,
      rttMs: null,
      meters: null,
    });
    this.add(l);
    return l;
  }
  hangup(id: string) {
    this.calls.push(`hangup ${id}`);
    return this.set(id, { state: 'ended', endReason: { by: 'local', reason: 'hung up from the panel' } });
  }
  answer(id: string) {
    this.calls.push(`answer ${id}`);
    return this.set(id, { state: 'connected', connectedAt: new Date().toISOString() });
  }
  /** Profiles whose re-INVITE the scripted far end refuses with 488. */
  refuseProfiles = new Set<string>();
  async changeProfile(id: string, profile: string) {
    const l = this.links.get(id);
    if (!l) throw new AcipError('NOT_FOUND', `no link ${id}`, 'id');
    if (l.state !== 'connected') throw new AcipError('CONFLICT', `link ${id} is ${l.state}; only a connected link can change codec`, 'id');
    this.calls.push(`profile ${id} ${profile}`);
    if (this.refuseProfiles.has(profile)) throw new AcipError('CONFLICT', 'the far end refused the codec change (488 Not Acceptable Here)');
    return this.set(id, { profile });
  }
  reject(id: string) {
    this.calls.push(`reject ${id}`);
    return this.set(id, { state: 'ended', endReason: { by: 'local', sipStatus: 603, reason: 'Decline' } });
  }
  registration() {
    return { state: 'registered' as const, aor: 'sip:studio1@example.net', registrar: 'sip:example.net' };
  }
  alarms() {
    return this.alarmList;
  }
  ackAlarm(id: string) {
    const a = this.alarmList.find((x) => x.id === id);
    if (!a) throw new AcipError('NOT_FOUND', `no alarm ${id}`, 'id');
    a.acknowledged = true;
    return a;
  }
  reachability() {
    return { reachable: true, rttMs: 3.2, status: 200, checkedAt: new Date().toISOString() };
  }
}

export interface ScriptedApp {
  app: FastifyInstance;
  url: string;
}

/** Serve the built panel and the API over `links` on 127.0.0.1 (`port` 0: a free one). */
export async function startScriptedApp(links: ScriptedLinks, port = 0, opts: { statsIntervalMs?: number } = {}): Promise<ScriptedApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'acip-panel-feed-'));
  const config = validateConfig({ dataDir });
  const profiles = loadProfiles([join(ROOT_DIR, 'profiles')], knownCodecIds()).profiles;
  const metrics = createMetrics({ version: VERSION, startedAtMs: () => 0, nowMs: () => performance.now(), processMetrics: false });
  const app = await buildApp({
    config,
    version: VERSION,
    metrics,
    profiles: () => profiles,
    nowMs: () => performance.now(),
    startedAtMs: performance.now(),
    listening: () => ({ sip: ['udp:127.0.0.1:5060'], http: undefined }),
    webRoot: join(ROOT_DIR, 'web'),
    links,
    phonebook: new Phonebook({ dataDir, profileExists: (n) => profiles.has(n), wallNow: () => Date.now() }),
    history: new CallHistory(dataDir),
    logger: false,
    live: { statsIntervalMs: opts.statsIntervalMs ?? 1000, metersIntervalMs: 100 },
  });
  const url = await app.listen({ host: '127.0.0.1', port });
  return { app, url };
}
