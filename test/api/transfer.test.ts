/** The transfer route over a scripted port: the REFER's outcome in the answer, 400s naming the field, no route without a port. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { buildApp } from '../../server/api/app.js';
import { TransferResult } from '../../server/api/contract/index.js';
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

const port: TransferPort = {
  transfer: async (id, to) => {
    if (id !== 'L1') throw new AcipError('NOT_FOUND', `no link ${id}`, 'id');
    if (to === 'sip:busy@192.0.2.9') return { accepted: false, status: 603, reason: 'Decline', target: to };
    return { accepted: true, status: 202, reason: 'Accepted', target: to };
  },
};

async function make(transfer?: TransferPort) {
  const dataDir = mkdtempSync(join(tmpdir(), 'acip-api-transfer-'));
  const metrics = createMetrics({ version: '1.0.0', startedAtMs: () => 0, nowMs: () => 0, processMetrics: false });
  app = await buildApp({
    config: validateConfig({ http: {}, dataDir }), version: '1.0.0', metrics, profiles: () => new Map(), nowMs: () => 0, startedAtMs: 0,
    listening: () => ({ sip: [], http: undefined }), webRoot: join(ROOT_DIR, 'web'), logger: false, links: new MemoryLinks(),
    ...(transfer ? { transfer } : {}),
  });
  return app;
}

describe('POST /api/links/:id/transfer', () => {
  const outcomes: [string, string, { accepted: boolean; status: number }][] = [
    ['accepted by the far end', 'sip:studio3@192.0.2.3', { accepted: true, status: 202 }],
    ['refused by the far end', 'sip:busy@192.0.2.9', { accepted: false, status: 603 }],
  ];
  it.each(outcomes)('answers a transfer %s with the REFER status', async (_name, to, want) => {
    const a = await make(port);
    const res = await a.inject({ method: 'POST', url: '/api/links/L1/transfer', payload: { to } });
    expect(res.statusCode).toBe(200);
    expect(Value.Check(TransferResult, res.json())).toBe(true);
    expect(res.json()).toMatchObject({ ...want, target: to });
  });

  const bad: [string, unknown, string][] = [
    ['a missing to', {}, 'to'],
    ['an empty to', { to: '' }, 'to'],
    ['an unknown field', { to: 'sip:a@b', when: 'now' }, 'when'],
  ];
  it.each(bad)('answers 400 naming the field for %s', async (_name, payload, field) => {
    const a = await make(port);
    const res = await a.inject({ method: 'POST', url: '/api/links/L1/transfer', payload: payload as object });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe(field);
  });

  it('answers 404 for a link it does not know', async () => {
    const a = await make(port);
    expect((await a.inject({ method: 'POST', url: '/api/links/L9/transfer', payload: { to: 'sip:a@b' } })).statusCode).toBe(404);
  });

  it('has no transfer route without a transfer port', async () => {
    const a = await make();
    expect((await a.inject({ method: 'POST', url: '/api/links/L1/transfer', payload: { to: 'sip:a@b' } })).statusCode).toBe(404);
  });
});
