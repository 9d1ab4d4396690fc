import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../server/util/clock.js';
import { TlsSipTransport } from '../../../server/sip/transport/tls-transport.js';
import { UdpSipTransport } from '../../../server/sip/transport/udp-transport.js';
import { SipUserAgent } from '../../../server/sip/ua/user-agent.js';
import type { CallEndInfo } from '../../../server/sip/ua/call.js';
import type { IncomingCall } from '../../../server/sip/ua/incoming-call.js';
import { requireProgram } from '../../helpers/require-program.js';
import { baresipConsole, launchBaresip, writeBaresipFiles } from '../../helpers/baresip.js';
import { freePort } from '../../helpers/sip-peer-process.js';
import { minimalSdp } from '../../helpers/sip-ua-harness.js';
import { makeTestCerts, type TestCerts } from '../../helpers/certs.js';

/**
 * SIP over TLS with baresip 1.0 both ways. baresip listens for TLS on its `sip_listen` port + 1,
 * presents `sip_certificate` (certificate and key in one PEM) and trusts `sip_cafile`; both sides
 * use certificates from one per-run test CA, so acip verifies baresip's certificate.
 */
const has = requireProgram('baresip') && requireProgram('openssl');
let certs: TestCerts;
beforeAll(() => {
  if (has) certs = makeTestCerts();
});
afterAll(() => certs?.remove());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) await sleep(50);
  return pred();
}

async function startAcip() {
  const tls = await TlsSipTransport.listen({
    clock: systemClock,
    host: '127.0.0.1',
    port: 0,
    credentials: { cert: certs.server.cert, key: certs.server.key, ca: certs.ca.cert },
  });
  const udp = await UdpSipTransport.listen({ host: '127.0.0.1', port: 0 });
  const ua = new SipUserAgent({ clock: systemClock, userAgentName: 'acip-test/0', transports: [udp, tls] });
  return { ua, tls, udp, close: () => ua.close() };
}

async function startPeer() {
  const dir = mkdtempSync(join(tmpdir(), 'acip-baresip-tls-'));
  const sipPort = await freePort();
  const consPort = await freePort();
  const rtpLo = 30000 + 2 * Math.floor(Math.random() * 9000);
  writeBaresipFiles(
    dir,
    {
      sipPort,
      consPort,
      rtpPorts: [rtpLo, rtpLo + 40],
      audioSource: 'ausine,1000',
      modules: ['g711', 'ausine', 'aubridge', 'account', 'cons'],
      appModules: ['menu'],
      settings: [`sip_certificate ${certs.server.combinedFile}`, `sip_cafile ${certs.ca.certFile}`],
    },
    `<sip:bs@127.0.0.1:${sipPort + 1};transport=tls>;regint=0;answermode=auto;audio_codecs=PCMU/8000/1`,
  );
  const proc = await launchBaresip(dir, { ready: /baresip is ready/i });
  const cons = baresipConsole(consPort);
  return {
    tlsPort: sipPort + 1,
    proc,
    command: (line: string) => cons.command(line),
    stop: async () => {
      cons.close();
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('SIP over TLS with baresip', () => {
  const targets = [
    { name: 'a sips: URI', uri: (port: number) => `sips:bs@127.0.0.1:${port}` },
    { name: 'a sip: URI with transport=tls', uri: (port: number) => `sip:bs@127.0.0.1:${port};transport=tls` },
  ];
  for (const t of targets) {
    it.skipIf(!has)(`calls baresip at ${t.name}, verifies its certificate, is answered, and hangs up cleanly, all over TLS`, async () => {
      const acip = await startAcip();
      const bs = await startPeer();
      const ended: CallEndInfo[] = [];
      try {
        const call = acip.ua.invite(t.uri(bs.tlsPort), { sdp: minimalSdp(41100) });
        call.on('ended', (e) => ended.push(e));
        let failed: number | undefined;
        call.on('failed', (f) => (failed = f.status));
        expect(await waitFor(() => call.state === 'answered' || failed !== undefined, 10_000)).toBe(true);
        expect(failed).toBeUndefined();
        const before = bs.proc.output.length;
        await call.bye();
        // baresip 1.0 reports a BYE it received as "session closed: Connection reset by peer" (libre
        // closes the session with ECONNRESET) and, with the menu module, "terminated".
        expect(await waitFor(() => /terminated|session closed/i.test(bs.proc.output.slice(before)), 5000)).toBe(true);
        expect(ended).toEqual([{ by: 'local' }]);
        // INVITE, ACK and BYE went over one verified TLS connection, nothing over UDP.
        expect(acip.tls.counters.messagesOut).toBeGreaterThanOrEqual(3);
        expect(acip.tls.counters.connectionsOpened).toBe(1);
        expect(acip.udp.counters.messagesOut).toBe(0);
      } finally {
        await bs.stop();
        await acip.close();
      }
    }, 40_000);
  }

  it.skipIf(!has)('takes a call from baresip over TLS, answers it, and sees baresip hang up cleanly', async () => {
    const acip = await startAcip();
    const bs = await startPeer();
    const ended: CallEndInfo[] = [];
    let call: IncomingCall | undefined;
    acip.ua.on('incomingCall', (c) => {
      call = c;
      c.on('ended', (e) => ended.push(e));
      c.accept(minimalSdp(41120));
    });
    try {
      await bs.command(`/dial sip:acip@127.0.0.1:${acip.tls.local.port}`);
      expect(await waitFor(() => call?.state === 'confirmed', 10_000)).toBe(true);
      expect(call!.request.headers.get('Via')).toMatch(/^SIP\/2\.0\/TLS /);
      await bs.command('/hangup');
      expect(await waitFor(() => ended.length > 0, 5000)).toBe(true);
      expect(ended).toEqual([{ by: 'remote' }]);
      expect(acip.udp.counters.messagesIn).toBe(0);
      expect(acip.tls.counters.messagesIn).toBeGreaterThanOrEqual(3);
    } finally {
      await bs.stop();
      await acip.close();
    }
  }, 40_000);
});
