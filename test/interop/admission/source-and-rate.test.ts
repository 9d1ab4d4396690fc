/**
 * Source rules and the per-source rate limit against the real service (started as `npm start`
 * does) and a real sipp INVITE flood from 127.0.0.2, a loopback alias outside the allowed sources:
 * nothing of the flood gets a link, a history record or an answer, and /metrics counts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireProgram } from '../../helpers/require-program.js';
import { freePort, readSippStats, runProgram } from '../../helpers/sip-peer-process.js';
import { startLtAcip, waitFor, type LtAcip } from '../links/harness.js';
import { metricValue, optionsFrom } from './probe.js';

const HAVE_SIPP = requireProgram('sipp');
/** A bounded flood: this many INVITEs at this rate, and sipp gives up after FLOOD_TIMEOUT. */
const FLOOD_CALLS = 300;
const FLOOD_RATE = 200;
const FLOOD_TIMEOUT = '8s';

async function flood(sipPort: number, source: string, dir: string): Promise<Map<string, string>> {
  const stf = join(dir, `flood-${source}.csv`);
  const r = await runProgram(
    'sipp',
    ['-sn', 'uac', `127.0.0.1:${sipPort}`, '-i', source, '-p', String(await freePort()), '-r', String(FLOOD_RATE), '-m', String(FLOOD_CALLS), '-l', String(FLOOD_CALLS),
      '-nostdin', '-trace_stat', '-stf', stf, '-timeout', FLOOD_TIMEOUT, '-timeout_error'],
    30_000,
  );
  expect(r.timedOut, r.stderr.slice(-500)).toBe(false);
  return readSippStats(stf);
}

async function metrics(acip: LtAcip): Promise<string> {
  return (await fetch(`${acip.httpUrl}/metrics`)).text();
}

describe.runIf(HAVE_SIPP)('source rules and rate limits against a sipp flood', () => {
  let dir: string;
  let allowOnlyLocal: LtAcip;
  let rateLimited: LtAcip;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acip-admission-'));
    [allowOnlyLocal, rateLimited] = await Promise.all([
      startLtAcip({ config: "links:\n  allowSources: ['127.0.0.1']\n" }),
      startLtAcip({ config: 'links:\n  rateLimit: { exempt: [], requestsPerS: 5, burst: 10, blockS: 30 }\n' }),
    ]);
  }, 120_000); // the first start may build the server
  afterAll(async () => {
    await Promise.all([allowOnlyLocal?.close(), rateLimited?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a flood from outside allowSources creates no link and no history record, and gets no answer', async () => {
    // The loopback alias works as a source, and the allowed source is answered.
    expect(await optionsFrom('127.0.0.1', allowOnlyLocal.sipPort)).toBe(200);
    expect(await optionsFrom('127.0.0.2', allowOnlyLocal.sipPort, 500)).toBeUndefined();
    const stats = await flood(allowOnlyLocal.sipPort, '127.0.0.2', dir);
    expect(Number(stats.get('SuccessfulCall(C)'))).toBe(0);
    expect((await allowOnlyLocal.api('GET', '/api/links')).body.links).toEqual([]);
    const history = await allowOnlyLocal.api('GET', '/api/history');
    expect(history.status).toBe(200);
    expect(history.body.calls).toEqual([]);
    const text = await metrics(allowOnlyLocal);
    expect(metricValue(text, 'acip_sip_rejected_total{reason="source"}')).toBeGreaterThanOrEqual(FLOOD_CALLS);
    // Nothing was answered: no 100 Trying, no error.
    expect(metricValue(text, 'acip_sip_responses_total{code="100",direction="out"}')).toBe(0);
  }, 40_000);

  it('a source over the rate is blocked, its requests dropped, and an alarm names it', async () => {
    const stats = await flood(rateLimited.sipPort, '127.0.0.2', dir);
    const text = await metrics(rateLimited);
    const dropped = metricValue(text, 'acip_sip_rejected_total{reason="rate"}');
    expect(dropped).toBeGreaterThan(FLOOD_CALLS / 2);
    expect(metricValue(text, 'acip_sip_blocked_sources')).toBe(1);
    // Only the burst got through: at most that many calls were ever offered.
    expect(Number(stats.get('SuccessfulCall(C)')) + Number(stats.get('FailedCall(C)') ?? 0)).toBeLessThanOrEqual(FLOOD_CALLS);
    const links = (await rateLimited.api('GET', '/api/links')).body.links as unknown[];
    expect(links.length).toBeLessThanOrEqual(10);
    const alarm = await waitFor(async () => ((await rateLimited.api('GET', '/api/alarms')).body.alarms as { kind: string; message: string }[]).find((a) => a.kind === 'source-blocked'), 3000);
    expect(alarm?.message).toMatch(/127\.0\.0\.2/);
    // Another source is not affected.
    expect(await optionsFrom('127.0.0.3', rateLimited.sipPort)).toBe(200);
  }, 40_000);
});
