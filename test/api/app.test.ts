import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/api/app.js';
import { createMetrics } from '../../server/metrics/metrics.js';
import { validateConfig } from '../../server/config/load-config.js';
import { loadProfiles } from '../../server/config/load-profiles.js';
import { knownCodecIds } from '../../server/codecs/known-codecs.js';
import { ROOT_DIR } from '../../server/version.js';
import { FakeClock } from '../../server/util/clock.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function make(configOverrides: Record<string, unknown> = {}) {
  const clock = new FakeClock(1000);
  const config = validateConfig(configOverrides);
  const profiles = loadProfiles([join(ROOT_DIR, 'profiles')], knownCodecIds()).profiles;
  const metrics = createMetrics({ version: '9.9.9', startedAtMs: () => 1000, nowMs: () => clock.now() });
  app = await buildApp({
    config,
    version: '9.9.9',
    metrics,
    profiles: () => profiles,
    nowMs: () => clock.now(),
    startedAtMs: 1000,
    listening: () => ({ sip: ['udp:0.0.0.0:5060'], http: 'http://127.0.0.1:8080' }),
    webRoot: join(ROOT_DIR, 'web'),
    logger: false,
  });
  return { app, clock, metrics };
}

describe('GET /api/health', () => {
  it('answers ok with version, uptime from the injected clock, and the listening sockets', async () => {
    const { app, clock } = await make();
    clock.advance(12_340);
    const res = await app.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'ok',
      version: '9.9.9',
      uptimeSeconds: 12.3,
      listening: { sip: ['udp:0.0.0.0:5060'], http: 'http://127.0.0.1:8080' },
    });
  });
});

describe('GET /metrics', () => {
  it('serves Prometheus text from the app registry with process metrics and acip_ names', async () => {
    const { app } = await make();
    await app.inject({ method: 'GET', url: '/api/health' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(res.body).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(res.body).toContain('acip_build_info{version="9.9.9"');
    expect(res.body).toMatch(/^acip_http_requests_total\{route="\/api\/health",status="200"\} 1$/m);
    const ownNames = [...res.body.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!).filter((n) => !/^(process|nodejs)_/.test(n));
    expect(ownNames.length).toBeGreaterThan(0);
    for (const n of ownNames) expect(n).toMatch(/^acip_/);
  });

  it('does not touch the global prom-client registry', async () => {
    const { register } = await import('prom-client');
    await make();
    expect(await register.getMetricsAsJSON()).toEqual([]);
  });
});

describe('profiles routes', () => {
  it('lists the shipped profiles without their file paths', async () => {
    const { app } = await make();
    const body = (await app.inject({ url: '/api/profiles' })).json() as { profiles: { name: string; source?: string }[] };
    expect(body.profiles.map((p) => p.name)).toContain('ebu-3326-interop');
    expect(body.profiles.every((p) => p.source === undefined)).toBe(true);
  });

  it('answers 404 with a code and the field for an unknown profile', async () => {
    const { app } = await make();
    const res = await app.inject({ url: '/api/profiles/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 'NOT_FOUND', message: 'no profile named "nope"', field: 'name' });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { app } = await make();
    const res = await app.inject({ url: '/api/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('password protection', () => {
  const password = 'correct horse battery';
  const basic = (p: string) => `Basic ${Buffer.from(`engineer:${p}`).toString('base64')}`;

  it('needs no password on a loopback host', async () => {
    const { app } = await make();
    expect((await app.inject({ url: '/api/health' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/' })).statusCode).toBe(200);
  });

  it('refuses the API, the docs and the metrics without the password on a public host, but serves the login page', async () => {
    const { app } = await make({ http: { host: '0.0.0.0', password } });
    expect((await app.inject({ url: '/' })).statusCode).toBe(200);
    for (const url of ['/api/health', '/metrics', '/api/profiles', '/api/status', '/docs/json']) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm="acip"/);
      expect(res.json()).toMatchObject({ code: 'AUTH_REQUIRED' });
    }
    expect((await app.inject({ url: '/api/health', headers: { authorization: basic('wrong password!') } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/health', headers: { authorization: 'Basic !!!' } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/health', headers: { authorization: basic(password) } })).statusCode).toBe(200);
  });
});

describe('panel', () => {
  it('serves the panel page at /', async () => {
    const { app } = await make();
    const res = await app.inject({ url: '/' });
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('<title>acip control panel</title>');
  });
});
