/**
 * Kamailio (kamailio-tls-modules) as registrar over TLS: acip, started as npm start does, registers
 * over SIP/TLS with digest authentication (certificates made for this test run; Kamailio's checked
 * against the test CA, and acip's checked by Kamailio when it connects back), once with a `sips:`
 * registrar URI and once with `;transport=tls`. A caller then dials acip's address of record at
 * Kamailio, which finds the TLS binding and relays the INVITE to acip over TLS (record-routing, so
 * acip's BYE passes the proxy too); the call carries audio both ways.
 *
 * Callers: with `;transport=tls`, baresip dials Kamailio over TLS. With `sips:`, the binding is a
 * `sips:` Contact, which baresip 1.0 cannot call ("Function not implemented"), so a second acip
 * dials a `sips:` URI: TLS on every hop (RFC 5630 §3.1.3).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOURCE_TONE } from '../../helpers/baresip.js';
import { tlsTestEnv, type TestCerts } from '../../helpers/certs.js';
import { requireProgram } from '../../helpers/require-program.js';
import { startKamailio, type Kamailio } from '../../helpers/sip-kamailio.js';
import { measureTone, readWavFile, sleep, startLtAcip, waitFor, waitForLinkState, type LtAcip } from '../links/harness.js';
import { startTlsCaller } from './tls-caller.js';

const env = tlsTestEnv();
const has = env.hasOpenssl && requireProgram('kamailio') && requireProgram('baresip') && requireProgram('sox');
const PASSWORD = 'acip-tls-secret';
/** What the calling acip sends (its --input), told apart from the callee's default 1 kHz at -18 dBFS. */
const CALLER_TONE = { hz: 440, peakDbfs: -12 } as const;
const CALLEE_TONE = { hz: 1000, peakDbfs: -18 } as const;

/** One call's far end, as seen by the test: it dials, and afterwards says what it heard. */
interface Caller {
  dial(uri: string): Promise<void>;
  /** The WAV of what the caller received (after the call ended). */
  received(): Promise<string | undefined>;
  sent: { hz: number; peakDbfs: number };
  output(): string;
}

function tlsYaml(certs: TestCerts): string[] {
  return ['  tls:', '    port: 0', `    certFile: ${certs.server.certFile}`, `    keyFile: ${certs.server.keyFile}`, `    caFile: ${certs.ca.certFile}`];
}

async function baresipCaller(certs: TestCerts): Promise<Caller> {
  const b = await startTlsCaller(certs);
  env.closers.push(() => b.stop());
  return {
    dial: (uri) => b.command(`/dial ${uri}`),
    async received() {
      // The dump is complete once baresip has seen the BYE.
      await waitFor(() => /terminated/.test(b.proc.output), 5000);
      return waitFor(() => b.decDumps()[0], 3000);
    },
    sent: SOURCE_TONE,
    output: () => b.proc.output.slice(-2000),
  };
}

async function acipCaller(certs: TestCerts): Promise<Caller> {
  const a = await startLtAcip({ config: ['sip:', ...tlsYaml(certs), ''].join('\n'), args: ['--input', `tone:${CALLER_TONE.hz}:${CALLER_TONE.peakDbfs}`] });
  env.closers.push(() => a.close());
  let linkId = '';
  return {
    async dial(uri) {
      const r = await a.api('POST', '/api/links', { to: uri });
      expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
      linkId = r.body.id;
    },
    async received() {
      await waitForLinkState(a, linkId, 'ended', 8000);
      return join(a.recDir, `acip-${linkId}.wav`);
    },
    sent: CALLER_TONE,
    output: () => JSON.stringify(a.logs.filter((l) => Number(l.level) >= 40).slice(-10)),
  };
}

// Intermittent in one full-suite run (Kamailio's log lacked the BYE line): one retry, the same
// assertions each time, so a steady failure still fails.
describe.skipIf(!has)('acip registered at Kamailio over TLS', { retry: 1 }, () => {
  it.each([
    {
      form: 'a sips: registrar URI',
      registrar: (k: Kamailio) => `sips:127.0.0.1:${k.tlsPort}`,
      // RFC 3261 §8.1.1.8: a sips: Request-URI makes the registered Contact a sips: URI.
      bound: (port: number) => `sips:acip@127.0.0.1:${port}`,
      caller: acipCaller,
      dial: (k: Kamailio) => `sips:acip@127.0.0.1:${k.tlsPort}`,
    },
    {
      form: 'a sip: registrar URI with ;transport=tls',
      registrar: (k: Kamailio) => `sip:127.0.0.1:${k.tlsPort};transport=tls`,
      bound: (port: number) => `sip:acip@127.0.0.1:${port};transport=tls`,
      caller: baresipCaller,
      dial: (k: Kamailio) => `sip:acip@127.0.0.1:${k.tlsPort};transport=tls`,
    },
  ])('registers with digest auth through $form and answers a call Kamailio relays over TLS, with audio', async (row) => {
    const { certs } = env;
    const kam = await startKamailio({
      users: { acip: PASSWORD },
      tls: { certFile: certs.server.certFile, keyFile: certs.server.keyFile, caFile: certs.ca.certFile },
      recordRoute: true,
    });
    env.closers.push(() => kam.stop());
    const acip: LtAcip = await startLtAcip({
      config: [
        'sip:',
        '  registration:',
        `    registrar: "${row.registrar(kam)}"`,
        '    aor: sip:acip@127.0.0.1',
        `    password: ${PASSWORD}`,
        '    expires: 60',
        ...tlsYaml(certs),
        '',
      ].join('\n'),
    });
    env.closers.push(() => acip.close());
    const caller = await row.caller(certs);

    const st = await waitFor(async () => {
      const s = (await acip.api('GET', '/api/status')).body;
      return s.registration?.state === 'registered' ? s : undefined;
    }, 10_000);
    expect(st?.registration, `kamailio: ${kam.proc.output.slice(-2000)}`).toMatchObject({ state: 'registered', aor: 'sip:acip@127.0.0.1' });
    const tlsLine = acip.logs.find((l) => /listening: SIP over TLS on/.test(String(l.msg ?? '')));
    const acipTlsPort = Number(/:(\d+)$/.exec(String(tlsLine?.msg ?? ''))?.[1]);
    expect(acipTlsPort).toBeGreaterThan(0);

    await caller.dial(row.dial(kam));
    const link = await waitFor(async () => ((await acip.api('GET', '/api/links')).body.links as any[]).find((l) => l.direction === 'inbound'), 8000);
    expect(link, `no inbound link; kamailio: ${kam.proc.output.slice(-2000)}\ncaller: ${caller.output()}`).toBeTruthy();
    expect((await waitForLinkState(acip, link.id, 'connected', 8000)).state).toBe('connected');
    // Kamailio relayed the INVITE to the bound Contact, over TLS to acip's TLS port.
    expect(kam.proc.output).toContain(`acip-test: sent INVITE ${row.bound(acipTlsPort)} over tls to 127.0.0.1:${acipTlsPort}`);
    await sleep(2500);
    // acip hangs up: its BYE follows the route set the INVITE recorded, back through Kamailio.
    await acip.api('DELETE', `/api/links/${link.id}`);
    const ended = await waitForLinkState(acip, link.id, 'ended', 8000);
    expect(ended.state, `caller: ${caller.output()}\nkamailio: ${kam.proc.output.slice(-3000)}`).toBe('ended');
    expect(kam.proc.output).toMatch(/acip-test: sent BYE /);

    // Both directions: the caller's tone as acip recorded it, acip's 1 kHz as the caller heard it.
    const atAcip = measureTone(readWavFile(join(acip.recDir, `acip-${link.id}.wav`)), caller.sent.hz, 1.0, 1.0);
    expect(Math.abs(atAcip.frequencyHz[0]! - caller.sent.hz)).toBeLessThanOrEqual(5);
    expect(Math.abs(atAcip.peakEquivDbfs[0]! - caller.sent.peakDbfs)).toBeLessThanOrEqual(1.5);
    const heard = await caller.received();
    expect(heard, caller.output()).toBeTruthy();
    const atCaller = measureTone(readWavFile(heard!), CALLEE_TONE.hz, 1.0, 1.0);
    expect(Math.abs(atCaller.frequencyHz[0]! - CALLEE_TONE.hz)).toBeLessThanOrEqual(5);
    expect(Math.abs(atCaller.peakEquivDbfs[0]! - CALLEE_TONE.peakDbfs)).toBeLessThanOrEqual(1);
  }, 60_000);
});
