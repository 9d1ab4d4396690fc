/**
 * A small in-memory LinksPort for route tests (the real link manager is exercised end to end with
 * baresip in test/interop), and an app built around it with the real phonebook and history stores on
 * a temporary data dir.
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
import { ROOT_DIR } from '../../server/version.js';
import { FakeClock } from '../../server/util/clock.js';
import { TypedEmitter } from '../../server/util/typed-emitter.js';
import { AcipError } from '../../server/util/errors.js';
import { Phonebook } from '../../server/store/phonebook.js';
import { CallHistory } from '../../server/store/call-history.js';
import type { DialRequest, LinksEvents, LinksPort } from '../../server/links/links-port.js';
import type { Alarm, LinkSnapshot, RegistrationStatus } from '../../server/links/link-types.js';

type Reach = ReturnType<LinksPort['reachability']>;

export class MemoryLinks implements LinksPort {
  events = new TypedEmitter<LinksEvents>();
  links = new Map<string, LinkSnapshot>();
  alarmList: Alarm[] = [];
  registrationStatus: RegistrationStatus | null = null;
  reach = new Map<string, Reach>();
  n = 0;
  list() {
    return [...this.links.values()];
  }
  get(id: string) {
    return this.links.get(id);
  }
  meters() {
    return this.list().flatMap((l) => (l.meters ? [{ id: l.id, meters: l.meters }] : []));
  }
  dial(req: DialRequest): LinkSnapshot {
    if (!req.to.startsWith('sip:')) throw new AcipError('VALIDATION', 'to: not a SIP URI', 'to');
    const link: LinkSnapshot = {
      id: `l${++this.n}`, state: 'dialling', direction: 'outbound', remote: req.to, profile: req.profile ?? 'ebu-3326-interop',
      permanent: req.permanent ?? false, input: req.input ?? 'tone', output: req.output ?? 'null', createdAt: new Date(0).toISOString(),
      durationS: 0, redials: 0, codec: null, mediaDirection: null, rx: null, tx: null, rttMs: null,
      meters: { input: { peak: [-18, -18], rms: [-21, -21], clips: 0 }, output: { peak: [null, null], rms: [null, null], clips: 0 } },
      ebuacip: null, localSdp: null, remoteSdp: null, endReason: null,
    };
    if (req.phonebookId) link.phonebookId = req.phonebookId;
    this.put(link);
    return link;
  }
  put(link: LinkSnapshot): void {
    this.links.set(link.id, link);
    this.events.emit('link', link);
  }
  hangup(id: string) {
    const l = { ...this.links.get(id)!, state: 'ended' as const, endReason: { by: 'local' as const, reason: 'hang-up' } };
    this.put(l);
    return l;
  }
  answer(id: string) {
    const l = { ...this.links.get(id)!, state: 'connected' as const };
    this.put(l);
    return l;
  }
  async changeProfile(id: string, profile: string) {
    const l = { ...this.links.get(id)!, profile };
    this.links.set(id, l);
    return l;
  }
  reject(id: string) {
    const l = { ...this.links.get(id)!, state: 'ended' as const, endReason: { by: 'local' as const, sipStatus: 486, reason: 'rejected' } };
    this.put(l);
    return l;
  }
  registration() {
    return this.registrationStatus;
  }
  alarms() {
    return this.alarmList;
  }
  ackAlarm(id: string) {
    const a = this.alarmList.find((x) => x.id === id);
    if (!a) throw new AcipError('NOT_FOUND', `no alarm ${id}`, 'id');
    a.acknowledged = true;
    this.events.emit('alarm', a);
    return a;
  }
  reachability(phonebookId: string): Reach {
    return this.reach.get(phonebookId) ?? { reachable: true, rttMs: 1.5, status: 200, checkedAt: new Date(0).toISOString() };
  }
}

export interface TestApp {
  app: FastifyInstance;
  links: MemoryLinks;
  phonebook: Phonebook;
  history: CallHistory;
  clock: FakeClock;
  dataDir: string;
}

export async function makeApp(http: Record<string, unknown> = {}): Promise<TestApp> {
  const clock = new FakeClock(1000);
  const dataDir = mkdtempSync(join(tmpdir(), 'acip-api-'));
  const config = validateConfig({ http, dataDir });
  const profiles = loadProfiles([join(ROOT_DIR, 'profiles')], knownCodecIds()).profiles;
  const metrics = createMetrics({ version: '1.0.0', startedAtMs: () => 1000, nowMs: () => clock.now(), processMetrics: false });
  const links = new MemoryLinks();
  const phonebook = new Phonebook({ dataDir, profileExists: (n) => profiles.has(n), wallNow: () => clock.wallNow() });
  const history = new CallHistory(dataDir);
  const app = await buildApp({
    config, version: '1.0.0', metrics, profiles: () => profiles, nowMs: () => clock.now(), startedAtMs: 1000,
    listening: () => ({ sip: ['udp:127.0.0.1:5060'], http: undefined }), webRoot: join(ROOT_DIR, 'web'), links, phonebook, history, logger: false,
    live: { clock, statsIntervalMs: 1000, metersIntervalMs: 100 },
  });
  return { app, links, phonebook, history, clock, dataDir };
}
