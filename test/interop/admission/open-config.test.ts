/**
 * The start-up warning for an open configuration: auto-answer on a SIP address that is not loopback,
 * with neither source rules nor caller authentication, is logged and raised as an alarm the panel
 * shows. The service runs in-process on port 0 (SIP on the wildcard address only while it starts and
 * closes; nothing is sent to it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { validateConfig } from '../../../server/config/load-config.js';
import { AcipService } from '../../../server/service.js';

const dirs: string[] = [];
const services: AcipService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(sipHost: string, links: Record<string, unknown>): Promise<{ lines: string[]; service: AcipService }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'acip-open-'));
  dirs.push(dataDir);
  const config = validateConfig({ dataDir, sip: { host: sipHost, port: 0 }, http: { host: '127.0.0.1', port: 0 }, rtp: { host: '127.0.0.1' }, links });
  const lines: string[] = [];
  const service = new AcipService({ config, logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }) });
  services.push(service);
  await service.start();
  return { lines, service };
}

const OPEN = /answers every call .* with neither links\.allowSources nor caller authentication/;

describe('start-up warning for auto-answer open to anyone', () => {
  const rows: [what: string, sipHost: string, links: Record<string, unknown>, warns: boolean][] = [
    ['auto on the wildcard address with no rules', '0.0.0.0', {}, true],
    ['auto on the wildcard address with source rules', '0.0.0.0', { allowSources: ['192.0.2.0/24'] }, false],
    ['auto on the wildcard address with caller authentication', '0.0.0.0', { inboundAuth: { users: [{ user: 'studio', password: 'secret-pw' }] } }, false],
    ['manual answer on the wildcard address', '0.0.0.0', { answerPolicy: 'manual' }, false],
    ['auto on loopback', '127.0.0.1', {}, false],
  ];
  it.each(rows)('%s (SIP on %s)', async (_what, sipHost, links, warns) => {
    const { lines, service } = await start(sipHost, links);
    const warning = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => OPEN.test(l.msg));
    const alarm = service.links!.alarms().find((a) => a.kind === 'insecure-config');
    if (warns) {
      expect(warning?.level).toBe(40); // pino's warn
      expect(alarm?.message).toMatch(OPEN);
    } else {
      expect(warning).toBeUndefined();
      expect(alarm).toBeUndefined();
    }
  }, 20_000);
});
