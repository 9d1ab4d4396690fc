import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../server/util/clock.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import { refreshDelaySeconds } from '../../../server/sip/ua/registration.js';
import { createResponse } from '../../../server/sip/grammar/response.js';
import type { SipRequest } from '../../../server/sip/grammar/message.js';
import { MemoryNetwork, type MemoryTransport } from '../../helpers/sip-memory-transport.js';
import { minimalSdp } from '../../helpers/sip-ua-harness.js';

/** Parse `Digest a="b", c=d` into a map (test-side, independent of the grammar under test). */
function digestParams(v: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of v.replace(/^Digest\s+/i, '').matchAll(/([a-z-]+)=(?:"([^"]*)"|([^,\s]+))/gi)) out.set(m[1]!.toLowerCase(), m[2] ?? m[3] ?? '');
  return out;
}

function expectedResponse(p: Map<string, string>, method: string, password: string, alg: 'MD5' | 'SHA-256'): string {
  const H = (s: string) => createHash(alg === 'MD5' ? 'md5' : 'sha256').update(s).digest('hex');
  const ha1 = H(`${p.get('username')}:${p.get('realm')}:${password}`);
  const ha2 = H(`${method}:${p.get('uri')}`);
  return H(`${ha1}:${p.get('nonce')}:${p.get('nc')}:${p.get('cnonce')}:${p.get('qop')}:${ha2}`);
}

interface FakeRegistrarOpts {
  password: string;
  algorithm?: 'MD5' | 'SHA-256';
  minExpires?: number;
}

/** A scripted registrar on the memory network: challenges, checks digests, enforces Min-Expires. */
function fakeRegistrar(t: MemoryTransport, o: FakeRegistrarOpts) {
  const seen: { expires: string | undefined; nc: string | undefined; ok: boolean; status: number }[] = [];
  t.setHandler({
    onMessage: (msg, info) => {
      if (msg.kind !== 'request' || msg.method === 'ACK') return;
      const req = msg as SipRequest;
      const reply = (status: number, headers: [string, string][] = []) => {
        const res = createResponse(req, status, undefined, { toTag: 'reg', headers });
        void t.send(res, info.remote);
        return status;
      };
      const auth = req.headers.get('Authorization');
      const alg = o.algorithm ?? 'MD5';
      const challenge: [string, string] = ['WWW-Authenticate', `Digest realm="test", nonce="n0nce", qop="auth", algorithm=${alg}`];
      if (!auth) {
        seen.push({ expires: req.headers.get('Expires'), nc: undefined, ok: false, status: reply(401, [challenge]) });
        return;
      }
      const p = digestParams(auth);
      const ok = p.get('response') === expectedResponse(p, req.method, o.password, alg) && p.get('algorithm') === alg;
      if (!ok) {
        seen.push({ expires: req.headers.get('Expires'), nc: p.get('nc'), ok, status: reply(401, [challenge]) });
        return;
      }
      const exp = Number(req.headers.get('Expires') ?? '3600');
      if (o.minExpires !== undefined && exp > 0 && exp < o.minExpires) {
        seen.push({ expires: String(exp), nc: p.get('nc'), ok, status: reply(423, [['Min-Expires', String(o.minExpires)]]) });
        return;
      }
      const contact = req.headers.get('Contact') ?? '';
      seen.push({ expires: String(exp), nc: p.get('nc'), ok, status: reply(200, [['Contact', `${contact};expires=${exp}`]]) });
    },
  });
  return seen;
}

function setup(o: FakeRegistrarOpts) {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock, 5);
  const tu = net.transport();
  const tr = net.transport();
  const ua = new SipUserAgent({ clock, transports: [tu], userAgentName: 'ua' });
  const seen = fakeRegistrar(tr, o);
  const registrar = `sip:127.0.0.1:${tr.local.port}`;
  return { clock, ua, seen, registrar, net };
}

describe('REGISTER as a client', () => {
  it('chooses the refresh time by the RFC 5626 §4.4.1 rule: halfway up to 1200 s, else 600 s early', () => {
    expect([refreshDelaySeconds(60), refreshDelaySeconds(1200), refreshDelaySeconds(3600)]).toEqual([30, 600, 3000]);
  });

  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    it(`answers a ${algorithm} challenge with qop=auth and increments the nonce count on each refresh`, () => {
      const { clock, ua, seen, registrar } = setup({ password: 'pw', algorithm });
      const reg = ua.register({ registrar, aor: 'sip:alice@test', username: 'alice', password: 'pw', expires: 120 });
      const events: string[] = [];
      reg.on('registered', (r) => events.push(`registered ${r.expires} at ${clock.now()}`));
      clock.advance(100);
      clock.advance(60_000);
      clock.advance(60_000);
      expect(seen.map((s) => [s.status, s.nc])).toEqual([
        [401, undefined],
        [200, '00000001'],
        [200, '00000002'],
        [200, '00000003'],
      ]);
      // 5 ms each way: the first 200 arrives at 20 ms; each refresh starts 60 s (expires/2) after the last success.
      expect(events).toEqual(['registered 120 at 20', 'registered 120 at 60030', 'registered 120 at 120040']);
    });
  }

  it('retries with Min-Expires after 423 Interval Too Brief', () => {
    const { clock, ua, seen, registrar } = setup({ password: 'pw', minExpires: 300 });
    const reg = ua.register({ registrar, aor: 'sip:alice@test', username: 'alice', password: 'pw', expires: 30 });
    let granted = 0;
    reg.on('registered', (r) => (granted = r.expires));
    clock.advance(1000);
    expect(seen.map((s) => [s.status, s.expires])).toEqual([
      [401, '30'],
      [423, '30'],
      [200, '300'],
    ]);
    expect(granted).toBe(300);
  });

  it('reports a wrong password as a failure at once, and tries again only after the long rejection delay', () => {
    const { clock, ua, seen, registrar } = setup({ password: 'right' });
    const reg = ua.register({ registrar, aor: 'sip:alice@test', username: 'alice', password: 'wrong', expires: 60 });
    const failures: number[] = [];
    const delays: (number | undefined)[] = [];
    reg.on('failed', (f) => {
      failures.push(f.status);
      delays.push(f.retryInSeconds);
    });
    clock.advance(10_000);
    expect(seen.map((s) => s.status)).toEqual([401, 401]);
    expect(failures).toEqual([401]);
    expect(reg.state).toBe('failed');
    // Default rejection delay: 50–100 % of max-time (1800 s).
    expect(delays[0]).toBeGreaterThanOrEqual(900);
    expect(delays[0]).toBeLessThanOrEqual(1800);
  });

  it('removes the binding with Expires: 0', async () => {
    const { clock, ua, seen, registrar } = setup({ password: 'pw' });
    const reg = ua.register({ registrar, aor: 'sip:alice@test', username: 'alice', password: 'pw', expires: 60 });
    clock.advance(100);
    const p = reg.unregister();
    clock.advance(100);
    await p;
    expect(seen.at(-1)?.expires).toBe('0');
    expect(reg.state).toBe('unregistered');
    clock.advance(100_000);
    expect(seen).toHaveLength(3); // no refresh after unregistering
  });
});

describe('INVITE with digest authentication', () => {
  it('retries once with Authorization after 401 and a CSeq one higher', () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock, 5);
    const ta = net.transport();
    const tb = net.transport();
    const a = new SipUserAgent({ clock, transports: [ta], userAgentName: 'a' });
    const seen: string[] = [];
    tb.setHandler({
      onMessage: (msg, info) => {
        if (msg.kind !== 'request' || msg.method !== 'INVITE') return;
        const auth = msg.headers.get('Authorization');
        seen.push(`${msg.headers.get('CSeq')} ${auth ? 'auth' : 'none'}`);
        const ok = auth && digestParams(auth).get('response') === expectedResponse(digestParams(auth), 'INVITE', 'pw', 'MD5');
        const res = ok
          ? createResponse(msg, 486, 'Busy Here', { toTag: 'x' })
          : createResponse(msg, 401, undefined, { toTag: 'x', headers: [['WWW-Authenticate', 'Digest realm="r", nonce="abc", qop="auth"']] });
        void tb.send(res, info.remote);
      },
    });
    const call = a.invite(`sip:b@127.0.0.1:${tb.local.port}`, { sdp: minimalSdp(), auth: { username: 'u', password: 'pw' } });
    const failed: number[] = [];
    call.on('failed', (f) => failed.push(f.status));
    clock.advance(1000);
    expect(seen).toEqual(['1 INVITE none', '2 INVITE auth']);
    expect(failed).toEqual([486]);
  });
});
