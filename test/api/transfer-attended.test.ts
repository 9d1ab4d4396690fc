/** The transfer route's attended form (RFC 3891): `replacesLink` instead of `to`, exactly one of the two, 400s naming the field. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/api/app.js';
import type { TransferPort } from '../../server/api/routes/transfer.js';
import { createMetrics } from '../../server/metrics/metrics.js';
import { validateConfig } from '../../server/config/load-config.js';
import { ROOT_DIR } from '../../server/version.js';
import { AcipError } from '../../server/util/errors.js';
import { MemoryLinks } from './memory-links.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const calls: [string, string, string][] = [];
const port: TransferPort = {
  transfer: async (id, to) => {
    calls.push(['blind', id, to]);
    return { accepted: true, status: 202, reason: 'Accepted', target: to };
  },
  attendedTransfer: async (id, other) => {
    calls.push(['attended', id, other]);
    if (other !== 'L2') throw new AcipError('NOT_FOUND', `no link ${other}`, 'replacesLink');
    return { accepted: true, status: 202, reason: 'Accepted', target: 'sip:b@192.0.2.2?Replaces=c%3Bto-tag%3Dt%3Bfrom-tag%3Df' };
  },
};

async function post(payload: object, p: TransferPort = port) {
  const dataDir = mkdtempSync(join(tmpdir(), 'acip-api-attended-'));
  const metrics = createMetrics({ version: '1.0.0', startedAtMs: () => 0, nowMs: () => 0, processMetrics: false });
  app = await buildApp({
    config: validateConfig({ http: {}, dataDir }), version: '1.0.0', metrics, profiles: () => new Map(), nowMs: () => 0, startedAtMs: 0,
    listening: () => ({ sip: [], http: undefined }), webRoot: join(ROOT_DIR, 'web'), logger: false, links: new MemoryLinks(), transfer: p,
  });
  return app.inject({ method: 'POST', url: '/api/links/L1/transfer', payload });
}

describe('POST /api/links/:id/transfer with replacesLink', () => {
  it('asks the port for an attended transfer and answers with the Refer-To sent', async () => {
    calls.length = 0;
    const res = await post({ replacesLink: 'L2' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: true, status: 202, target: expect.stringContaining('?Replaces=') });
    expect(calls).toEqual([['attended', 'L1', 'L2']]);
  });

  const bad: [string, object, number, string][] = [
    ['both to and replacesLink', { to: 'sip:a@192.0.2.1', replacesLink: 'L2' }, 400, 'replacesLink'],
    ['neither to nor replacesLink', {}, 400, 'to'],
    ['an empty replacesLink', { replacesLink: '' }, 400, 'replacesLink'],
    ['a replacesLink that is not a string', { replacesLink: 7 }, 400, 'replacesLink'],
    ['an unknown other link', { replacesLink: 'L9' }, 404, 'replacesLink'],
  ];
  it.each(bad)('answers %s with %i naming the field', async (_name, payload, status, field) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(status);
    expect(res.json().field).toBe(field);
  });

  it('answers 400 naming replacesLink when the service offers no attended transfer', async () => {
    const res = await post({ replacesLink: 'L2' }, { transfer: port.transfer });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('replacesLink');
  });
});
