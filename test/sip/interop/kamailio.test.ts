import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { startKamailio } from '../../helpers/sip-kamailio.js';
import { freePort, readSippStats, runProgram } from '../../helpers/sip-peer-process.js';
import { minimalSdp, startUa } from '../../helpers/sip-ua-harness.js';
import type { Registration } from '../../../server/sip/ua/registration.js';

const has = requireProgram('kamailio') && requireProgram('sipp');

function next<T>(reg: Registration, ms: number): Promise<{ event: string; data?: T }> {
  return new Promise((resolve) => {
    const offs: Array<() => void> = [];
    const done = (v: { event: string; data?: T }) => {
      clearTimeout(t);
      for (const o of offs) o();
      resolve(v);
    };
    const t = setTimeout(() => done({ event: 'timeout' }), ms);
    offs.push(reg.on('registered', (d) => done({ event: 'registered', data: d as T })));
    offs.push(reg.on('failed', (d) => done({ event: 'failed', data: d as T })));
    offs.push(reg.on('unregistered', () => done({ event: 'unregistered' })));
  });
}

describe('registration at Kamailio', () => {
  it.skipIf(!has)(
    'registers with MD5 digest, is reachable through the proxy, re-registers before expiry, and unregisters',
    async () => {
      const k = await startKamailio({ users: { alice: 'secret' }, minExpires: 10 });
      const h = await startUa();
      const dir = mkdtempSync(join(tmpdir(), 'acip-kam-sipp-'));
      try {
        const reg = h.ua.register({
          registrar: `sip:127.0.0.1:${k.port}`,
          aor: `sip:alice@127.0.0.1`,
          username: 'alice',
          password: 'secret',
          expires: 4, // below min_expires: Kamailio raises the binding to 10 s (423 is covered by the unit tests)
        });
        const first = await next<{ expires: number; refreshInSeconds: number }>(reg, 5000);
        expect(first.event).toBe('registered');
        expect(first.data?.expires).toBe(10);
        expect(first.data?.refreshInSeconds).toBe(5);
        // One unauthenticated REGISTER, one after the 401 challenge.
        expect(reg.sentCount).toBe(2);

        // A call from sipp to alice@proxy is routed by Kamailio to our contact.
        let offered = 0;
        h.ua.on('incomingCall', (call) => {
          offered++;
          call.accept(minimalSdp());
        });
        const stf = join(dir, 'stats.csv');
        const r = await runProgram(
          'sipp',
          ['-sn', 'uac', `127.0.0.1:${k.port}`, '-s', 'alice', '-i', '127.0.0.1', '-p', String(await freePort()), '-m', '1', '-nostdin', '-trace_stat', '-stf', stf, '-timeout', '15s'],
          20_000,
          dir,
        );
        expect(readSippStats(stf).get('SuccessfulCall(C)')).toBe('1');
        expect(r.code).toBe(0);
        expect(offered).toBe(1);

        // The refresh fires at expires/2 = 5 s, before the binding expires.
        const sentBefore = reg.sentCount;
        const refresh = await next(reg, 8000);
        expect(refresh.event).toBe('registered');
        expect(reg.sentCount).toBeGreaterThan(sentBefore);

        await reg.unregister();
        expect(reg.state).toBe('unregistered');
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await h.close();
        await k.stop();
      }
    },
    45_000,
  );

  it.skipIf(!has)('reports a wrong password as a registration failure, and keeps answering', async () => {
    const k = await startKamailio({ users: { alice: 'secret' } });
    const h = await startUa();
    try {
      const reg = h.ua.register({ registrar: `sip:127.0.0.1:${k.port}`, aor: 'sip:alice@127.0.0.1', username: 'alice', password: 'wrong', expires: 60 });
      const r = await next<{ status: number; reason: string }>(reg, 5000);
      expect(r.event).toBe('failed');
      expect([401, 403, 407]).toContain(r.data?.status);
      expect(reg.state).toBe('failed');
      expect((await h.ua.options(`sip:127.0.0.1:${h.udp.local.port}`)).status).toBe(200);
    } finally {
      await h.close();
      await k.stop();
    }
  }, 30_000);

  it.skipIf(!has)('registers with SHA-256 digest (RFC 8760)', async () => {
    const k = await startKamailio({ users: { bob: 'hunter2' }, algorithm: 'SHA-256' });
    const h = await startUa();
    try {
      const reg = h.ua.register({ registrar: `sip:127.0.0.1:${k.port}`, aor: 'sip:bob@127.0.0.1', username: 'bob', password: 'hunter2', expires: 60 });
      const r = await next(reg, 5000);
      expect(r.event).toBe('registered');
      expect(k.proc.output).not.toMatch(/ERROR/);
    } finally {
      await h.close();
      await k.stop();
    }
  }, 30_000);
});
