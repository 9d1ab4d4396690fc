/**
 * The text of a scrape is a contract with every dashboard and alert built on it: the per-link series,
 * their order, labels, escaping and values must not move when the collectors are made cheaper. The
 * expected texts were written by the collectors as they stood before the scrape was optimised (plain
 * prom-client counters and gauges reset and set on every scrape), from the fixed snapshots of
 * scrape-snapshots.ts: in full for 48 links (test/fixtures/metrics/link-scrape-48.txt), as a SHA-256
 * for 200; since then only `acip_rtx_suppressed_total` and `acip_rtx_copies_total` were added (a diff
 * of the fixture shows their lines alone, and the 200-link text without them hashes as before). The
 * service's registry, which lets those families write their own text, writes the same.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { registerLinkMetrics } from '../../server/metrics/link-collectors.js';
import { AcipRegistry } from '../../server/metrics/metrics.js';
import { ROOT_DIR } from '../../server/version.js';
import type { RegistrationStatus } from '../../server/links/link-types.js';
import { scrapeBoards } from './scrape-snapshots.js';

const SEPARATOR = '# ---- second scrape ----\n';

async function twoScrapes(count: number, registration: RegistrationStatus | null, registry: Registry = new Registry()): Promise<string> {
  const [first, second] = scrapeBoards(count);
  let board = first;
  registerLinkMetrics(registry, { links: () => board, registration: () => registration });
  const a = await registry.metrics();
  board = second;
  const b = await registry.metrics();
  return `${a}${SEPARATOR}${b}`;
}

describe('the text of a scrape', () => {
  it('is byte for byte what the collectors wrote before, for 48 links and the same board a scrape later', async () => {
    const expected = readFileSync(join(ROOT_DIR, 'test/fixtures/metrics/link-scrape-48.txt'), 'utf8');
    const text = await twoScrapes(48, { state: 'registered', aor: 'sip:a@b', registrar: 'sip:b' });
    expect(text.split('\n')).toEqual(expected.split('\n'));
  });

  it('is byte for byte what the collectors wrote before, for 200 links', async () => {
    const text = await twoScrapes(200, null);
    expect(createHash('sha256').update(text).digest('hex')).toBe('01096565553393811b24b505fac1177c32a63baba0767192b032484fde25b8cd');
  });

  it("is the same from the service's registry, which lets the per-link families write themselves", async () => {
    const registration: RegistrationStatus = { state: 'unregistered', aor: 'sip:"odd"\\aor@b', registrar: 'sip:b' };
    expect(await twoScrapes(48, registration, new AcipRegistry())).toBe(await twoScrapes(48, registration));
    expect(await twoScrapes(200, null, new AcipRegistry())).toBe(await twoScrapes(200, null));
  });

  it('is the same from both registries with default labels, which only prom-client writes', async () => {
    const withDefaults = (r: Registry) => (r.setDefaultLabels({ site: 'studio-b' }), r);
    const text = await twoScrapes(12, null, withDefaults(new AcipRegistry()));
    expect(text).toBe(await twoScrapes(12, null, withDefaults(new Registry())));
    expect(text).toMatch(/^acip_rtp_jitter_seconds\{link="[^"]+",site="studio-b"\} /m);
  });

  it('builds the board once per scrape, however many families read it', async () => {
    const registry = new AcipRegistry();
    const [board] = scrapeBoards(10);
    let calls = 0;
    registerLinkMetrics(registry, { links: () => (calls++, board), registration: () => null });
    await registry.metrics();
    expect(calls).toBe(1);
    await registry.getMetricsAsJSON();
    expect(calls).toBe(2);
  });
});
