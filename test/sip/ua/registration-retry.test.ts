import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, systemClock } from '../../../server/util/clock.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import { registrationBackoff, retryKind, type RegistrationFailure } from '../../../server/sip/ua/registration.js';
import { backoffDelay } from '../../../server/util/backoff.js';
import { createResponse } from '../../../server/sip/grammar/response.js';
import type { SipRequest } from '../../../server/sip/grammar/message.js';
import { TcpSipTransport } from '../../../server/sip/transport/tcp-transport.js';
import { MemoryNetwork, type MemoryTransport } from '../../helpers/sip-memory-transport.js';
import { startUa, type UaHarness } from '../../helpers/sip-ua-harness.js';

type Behaviour = 'ok' | 'down' | 'error503' | 'forbidden' | { status: number; headers?: [string, string][] };

/** A registrar on the memory network whose behaviour the test switches; it logs each REGISTER's arrival time. */
function switchableRegistrar(t: MemoryTransport, clock: FakeClock) {
  const state = { behaviour: 'ok' as Behaviour, arrivals: [] as number[] };
  t.setHandler({
    onMessage: (msg, info) => {
      if (msg.kind !== 'request' || msg.method !== 'REGISTER') return;
      const req = msg as SipRequest;
      state.arrivals.push(clock.now());
      const b = state.behaviour;
      if (b === 'down') return;
      const reply = (status: number, headers: [string, string][] = []) => void t.send(createResponse(req, status, undefined, { toTag: 'r', headers }), info.remote);
      if (b === 'ok') reply(200, [['Contact', `${req.headers.get('Contact') ?? ''};expires=${req.headers.get('Expires') ?? '3600'}`]]);
      else if (b === 'error503') reply(503);
      else if (b === 'forbidden') reply(403);
      else reply(b.status, b.headers);
    },
  });
  return state;
}

function setup(random: () => number, retry: { baseSeconds?: number; maxSeconds?: number; rejectedSeconds?: number } | false = {}) {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 5);
  const tu = net.transport();
  const tr = net.transport();
  const ua = new SipUserAgent({ clock, transports: [tu], userAgentName: 'ua' });
  const registrar = switchableRegistrar(tr, clock);
  const start = (expires = 600) =>
    ua.register({ registrar: `sip:127.0.0.1:${tr.local.port}`, aor: 'sip:alice@test', expires, retry: retry === false ? false : { ...retry, random } });
  return { clock, ua, registrar, start };
}

describe('RFC 5626 §4.5 retry arithmetic', () => {
  it('doubles the wait from base-time up to max-time and jitters it between 50 % and 100 %', () => {
    const top = registrationBackoff(30, 1800, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6, 7, 60].map((n) => Math.round(backoffDelay(n, top) / 1000))).toEqual([60, 120, 240, 480, 960, 1800, 1800, 1800]);
    const at = (r: number) => backoffDelay(3, registrationBackoff(30, 1800, () => r)) / 1000;
    expect([at(0), at(0.5), at(0.999999)].map(Math.round)).toEqual([120, 180, 240]);
  });

  it('backs off on timeouts, transport errors and 5xx, and waits long after rejections', () => {
    expect([retryKind(408, true), retryKind(503, true), retryKind(408, false), retryKind(480, false), retryKind(500, false), retryKind(503, false)]).toEqual(
      Array(6).fill('backoff'),
    );
    expect([retryKind(401, false), retryKind(403, false), retryKind(404, false), retryKind(603, false), retryKind(200, false)]).toEqual(Array(5).fill('rejected'));
  });
});

describe('registration retry after failure', () => {
  it('retries a registrar that answers 503 with the capped backoff, and recovers without an operator', () => {
    const { clock, registrar, start } = setup(() => 0, { baseSeconds: 30, maxSeconds: 1800 });
    registrar.behaviour = 'error503';
    const reg = start();
    const failures: RegistrationFailure[] = [];
    reg.on('failed', (f) => failures.push(f));
    let registeredAt: number | undefined;
    reg.on('registered', () => (registeredAt = clock.now()));
    clock.advance(4000 * 1000);
    // random() = 0: each delay is exactly half of min(1800, 30·2^n).
    expect(failures.slice(0, 8).map((f) => f.retryInSeconds)).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
    expect(failures.slice(0, 3).map((f) => f.consecutiveFailures)).toEqual([1, 2, 3]);
    // Every REGISTER arrives 5 ms after it is sent; every 503 comes back 5 ms later.
    const gaps = registrar.arrivals.slice(1, 8).map((t, i) => t - registrar.arrivals[i]!);
    expect(gaps).toEqual([30_010, 60_010, 120_010, 240_010, 480_010, 900_010, 900_010]);
    expect(reg.state).toBe('failed');
    expect(reg.nextRetryAt).toBe(registrar.arrivals.at(-1)! + 5 + 900_000);
    expect(reg.retryInMs).toBe(reg.nextRetryAt! - clock.now());
    // The registrar comes back: the next scheduled retry registers.
    registrar.behaviour = 'ok';
    clock.advance(900_000);
    expect(reg.state).toBe('registered');
    expect(registeredAt).toBeDefined();
    expect(reg.consecutiveFailures).toBe(0);
    expect(reg.nextRetryAt).toBeUndefined();
    expect(reg.lastFailure).toBeUndefined();
  });

  it('retries a registrar that does not answer after Timer F, and honours Retry-After', () => {
    const { clock, registrar, start } = setup(() => 0.5, { baseSeconds: 30 });
    registrar.behaviour = 'down';
    const reg = start();
    const failures: string[] = [];
    reg.on('failed', (f) => failures.push(`${f.status} at ${clock.now()} retry in ${f.retryInSeconds}`));
    clock.advance(32_000);
    expect(failures).toEqual(['408 at 32000 retry in 45']); // 64·T1, then 75 % of 60 s
    registrar.behaviour = { status: 500, headers: [['Retry-After', '7 (maintenance)']] };
    clock.advance(45_000 + 10);
    expect(failures.at(-1)).toBe(`500 at ${32_000 + 45_000 + 10} retry in 7`);
  });

  it('waits the long rejection delay after a refused REGISTER, then succeeds once the account is fixed', () => {
    const { clock, registrar, start } = setup(() => 0, { rejectedSeconds: 600 });
    registrar.behaviour = 'forbidden';
    const reg = start();
    const failures: string[] = [];
    reg.on('failed', (f) => failures.push(`${f.status} retry in ${f.retryInSeconds}`));
    clock.advance(299_000);
    expect(failures).toEqual(['403 retry in 300']);
    expect(registrar.arrivals).toHaveLength(1);
    registrar.behaviour = 'ok';
    clock.advance(2000);
    expect(registrar.arrivals).toHaveLength(2);
    expect(reg.state).toBe('registered');
  });

  it('retries after a failed refresh, and stops retrying on unregister', async () => {
    const { clock, registrar, start } = setup(() => 0);
    const reg = start(120);
    clock.advance(100);
    expect(reg.state).toBe('registered');
    registrar.behaviour = 'error503';
    clock.advance(60_000); // refresh at expires/2 → 503
    expect(reg.state).toBe('failed');
    expect(reg.retryInMs).toBeGreaterThan(0);
    registrar.behaviour = 'ok';
    const p = reg.unregister();
    clock.advance(100);
    await p;
    expect(reg.state).toBe('unregistered');
    const count = registrar.arrivals.length;
    clock.advance(3_600_000);
    expect(registrar.arrivals).toHaveLength(count);
    expect(reg.nextRetryAt).toBeUndefined();
  });

  it('keeps the old "fail and stop" behaviour with retry: false, and retryNow() starts an attempt at once', () => {
    const { clock, registrar, start } = setup(() => 0, false);
    registrar.behaviour = 'error503';
    const reg = start();
    const failures: (number | undefined)[] = [];
    reg.on('failed', (f) => failures.push(f.retryInSeconds));
    clock.advance(3_600_000);
    expect(failures).toEqual([undefined]);
    expect(registrar.arrivals).toHaveLength(1);
    registrar.behaviour = 'ok';
    reg.retryNow();
    clock.advance(100);
    expect(reg.state).toBe('registered');
  });
});

describe('registration retry over real loopback TCP', () => {
  let h: UaHarness | undefined;
  let registrar: TcpSipTransport | undefined;
  afterEach(async () => {
    await h?.close();
    await registrar?.close();
    h = registrar = undefined;
  });

  it('reports the refused connection as a failure and registers once the registrar is listening', async () => {
    // A free port: bind, note it, close; the registrar starts there only after the first failure.
    const probe = await TcpSipTransport.listen({ clock: systemClock, host: '127.0.0.1', port: 0 });
    const port = probe.local.port;
    await probe.close();
    h = await startUa();
    const reg = h.ua.register({
      registrar: `sip:127.0.0.1:${port};transport=tcp`,
      aor: 'sip:alice@127.0.0.1',
      expires: 60,
      retry: { baseSeconds: 0.05, maxSeconds: 0.2 },
    });
    const events: string[] = [];
    const firstFailure = new Promise<void>((resolve) => reg.once('failed', () => resolve()));
    reg.on('failed', (f) => events.push(`failed ${f.status}`));
    const registered = new Promise<void>((resolve) => reg.on('registered', () => resolve()));
    const deadline = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms));
    expect(await Promise.race([firstFailure.then(() => 'failed'), deadline(5000)])).toBe('failed');
    registrar = await TcpSipTransport.listen({ clock: systemClock, host: '127.0.0.1', port });
    const r = registrar;
    r.setHandler({
      onMessage: (msg, info) => {
        if (msg.kind !== 'request' || msg.method !== 'REGISTER') return;
        void r.send(createResponse(msg, 200, 'OK', { toTag: 'r', headers: [['Contact', `${msg.headers.get('Contact') ?? ''};expires=60`]] }), {
          ...info.remote,
          ...(info.connectionId ? { connectionId: info.connectionId } : {}),
        });
      },
    });
    expect(await Promise.race([registered.then(() => 'registered'), deadline(5000)])).toBe('registered');
    expect(events[0]).toBe('failed 503');
    expect(reg.state).toBe('registered');
  });
});
