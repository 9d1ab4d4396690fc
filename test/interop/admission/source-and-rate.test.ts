/**
 * Source rules and the per-source rate limit against the real service (started as `npm start`
 * does) and a real sipp INVITE flood from 127.0.0.2, a loopback alias outside the allowed sources:
 * nothing of the flood gets a link, a history record or an answer, and /metrics counts it.
 */
import { describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { sippSuite, type SippCall, type SippSuite } from '../../helpers/sipp-scenario.js';
import { waitFor, type LtAcip } from '../links/harness.js';
import { metricValue, optionsFrom } from './probe.js';

const HAVE_SIPP = requireProgram('sipp');
/** A bounded flood: this many INVITEs at this rate, and sipp gives up after FLOOD_TIMEOUT_S. */
const FLOOD_CALLS = 300;
const FLOOD_RATE = 200;
const FLOOD_TIMEOUT_S = 8;

/** sipp's built-in UAC (service `service`, its default) from `source`, all calls at once if it can. */
async function flood(suite: SippSuite, source: string): Promise<Map<string, string>> {
  const call: SippCall = {
    scenario: 'uac',
    builtin: true,
    role: 'uac',
    service: 'service',
    host: source,
    calls: FLOOD_CALLS,
    rate: FLOOD_RATE,
    limit: FLOOD_CALLS,
    timeoutS: FLOOD_TIMEOUT_S,
    timeoutError: true,
    traceStats: true,
  };
  const r = await suite.run(call);
  expect(r.timedOut, r.stderr.slice(-500)).toBe(false);
  return r.stats();
}

async function metrics(acip: LtAcip): Promise<string> {
  return (await fetch(`${acip.httpUrl}/metrics`)).text();
}

describe.runIf(HAVE_SIPP)('source rules and rate limits against a sipp flood', () => {
  describe('with only 127.0.0.1 among the allowed sources', () => {
    const suite = sippSuite({ acip: { config: "links:\n  allowSources: ['127.0.0.1']\n" } });

    it('a flood from outside allowSources creates no link and no history record, and gets no answer', async () => {
      // The loopback alias works as a source, and the allowed source is answered.
      expect(await optionsFrom('127.0.0.1', suite.acip.sipPort)).toBe(200);
      expect(await optionsFrom('127.0.0.2', suite.acip.sipPort, 500)).toBeUndefined();
      const stats = await flood(suite, '127.0.0.2');
      expect(Number(stats.get('SuccessfulCall(C)'))).toBe(0);
      expect((await suite.acip.api('GET', '/api/links')).body.links).toEqual([]);
      const history = await suite.acip.api('GET', '/api/history');
      expect(history.status).toBe(200);
      expect(history.body.calls).toEqual([]);
      const text = await metrics(suite.acip);
      expect(metricValue(text, 'acip_sip_rejected_total{reason="source"}')).toBeGreaterThanOrEqual(FLOOD_CALLS);
      // Nothing was answered: no 100 Trying, no error.
      expect(metricValue(text, 'acip_sip_responses_total{code="100",direction="out"}')).toBe(0);
    }, 40_000);
  });

  describe('with a rate limit of 5 requests/s and a burst of 10, nobody exempt', () => {
    const suite = sippSuite({ acip: { config: 'links:\n  rateLimit: { exempt: [], requestsPerS: 5, burst: 10, blockS: 30 }\n' } });

    it('a source over the rate is blocked, its requests dropped, and an alarm names it', async () => {
      const stats = await flood(suite, '127.0.0.2');
      const text = await metrics(suite.acip);
      const dropped = metricValue(text, 'acip_sip_rejected_total{reason="rate"}');
      expect(dropped).toBeGreaterThan(FLOOD_CALLS / 2);
      expect(metricValue(text, 'acip_sip_blocked_sources')).toBe(1);
      // Only the burst got through: at most that many calls were ever offered.
      expect(Number(stats.get('SuccessfulCall(C)')) + Number(stats.get('FailedCall(C)') ?? 0)).toBeLessThanOrEqual(FLOOD_CALLS);
      const links = (await suite.acip.api('GET', '/api/links')).body.links as unknown[];
      expect(links.length).toBeLessThanOrEqual(10);
      const alarm = await waitFor(async () => ((await suite.acip.api('GET', '/api/alarms')).body.alarms as { kind: string; message: string }[]).find((a) => a.kind === 'source-blocked'), 3000);
      expect(alarm?.message).toMatch(/127\.0\.0\.2/);
      // Another source is not affected.
      expect(await optionsFrom('127.0.0.3', suite.acip.sipPort)).toBe(200);
    }, 40_000);
  });
});
