import { describe, expect, it } from 'vitest';
import { ExpositionError, parseExposition, sumSamples } from './prometheus-text.js';

const SCRAPE = [
  '# HELP acip_sip_requests_total SIP requests by method and direction',
  '# TYPE acip_sip_requests_total counter',
  'acip_sip_requests_total{method="INVITE",direction="in"} 9',
  'acip_sip_requests_total{method="OPTIONS",direction="in"} 31',
  'acip_sip_requests_total{method="INVITE",direction="out"} 2',
  '# TYPE acip_uptime_seconds gauge',
  'acip_uptime_seconds 12.5',
  'acip_rtt_seconds{link="a"} NaN',
  'acip_clock_drift_ppm{link="a"} Nan',
  'acip_call_setup_seconds_bucket{le="+Inf"} 4 1700000000000',
  'acip_build_info{version="0.1.0",note="a \\"quoted\\" \\\\ word\\nnext"} 1',
  '',
].join('\n');

describe('the Prometheus text parser', () => {
  it('reads every sample with its labels, skipping comments and blank lines', () => {
    const s = parseExposition(SCRAPE);
    expect(s.map((x) => x.name)).toEqual([
      'acip_sip_requests_total',
      'acip_sip_requests_total',
      'acip_sip_requests_total',
      'acip_uptime_seconds',
      'acip_rtt_seconds',
      'acip_clock_drift_ppm',
      'acip_call_setup_seconds_bucket',
      'acip_build_info',
    ]);
    expect(Object.fromEntries(s[0]!.labels)).toEqual({ method: 'INVITE', direction: 'in' });
    expect(s[3]!.value).toBe(12.5);
    expect(s[4]!.value).toBeNaN();
    expect(s[5]!.value).toBeNaN();
    expect(s[6]!.value).toBe(4);
    expect(s[7]!.labels.get('note')).toBe('a "quoted" \\ word\nnext');
  });

  it.each([
    [{ method: 'INVITE', direction: 'in' }, 9],
    [{ method: 'INVITE' }, 11],
    [{ direction: 'in' }, 40],
    [{ method: 'BYE' }, 0],
  ])('sums the samples matching %j to %d', (match, sum) => {
    expect(sumSamples(parseExposition(SCRAPE), 'acip_sip_requests_total', match)).toBe(sum);
  });

  it.each([
    ['9bad 1', 'bad metric name'],
    ['m{a="1" 1', 'expected , or }'],
    ['m{a="1', 'unterminated value'],
    ['m{a=1} 1', 'without ="value"'],
    ['m{a="\\x"} 1', 'bad escape'],
    ['m one', 'bad sample value'],
    ['m 1 2 3', 'expected a value'],
  ])('rejects %j with a typed error naming the line', (line, message) => {
    const err = (() => {
      try {
        parseExposition(`# ok\n${line}`);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ExpositionError);
    expect((err as ExpositionError).code).toBe('PROM_TEXT_INVALID');
    expect((err as ExpositionError).line).toBe(2);
    expect((err as Error).message).toContain(message);
  });
});
